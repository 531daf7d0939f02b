#!/usr/bin/env python3
"""Checks the district report as headless Chromium rendered it.

Usage: report_render_check.py SCREENSHOT.png DOM.html PHRASE...

The screenshot must be a real picture of the page: a sane size, mostly
white paper, dark text, and the bar colour of the charts. The DOM's text
must hold every PHRASE and none of the personal data planted in the test
reports.
"""
import html
import re
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = prev[x], prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def main():
    png, dom, phrases = sys.argv[1], sys.argv[2], sys.argv[3:]
    width, height, channels, rows = pixels(png)
    assert width >= 800 and height >= 600, f"screenshot {width}x{height}"
    white = dark = bar = 0
    for row in rows[::2]:
        for x in range(0, width * channels, channels * 2):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if r > 245 and g > 245 and b > 245:
                white += 1
            elif r < 80 and g < 80 and b < 80:
                dark += 1
            elif abs(r - 0x1b) < 12 and abs(g - 0x6c) < 12 and abs(b - 0xa8) < 12:
                bar += 1
    total = len(rows[::2]) * len(range(0, width * channels, channels * 2))
    assert white > total * 0.5, f"the page is not mostly white ({white}/{total})"
    assert dark > 200, f"no text in the screenshot ({dark} dark pixels)"
    assert bar > 50, f"no chart bars in the screenshot ({bar} pixels)"
    text = html.unescape(re.sub(r"<[^>]+>", " ", open(dom, encoding="utf-8").read()))
    text = re.sub(r"\s+", " ", text)
    for phrase in phrases:
        assert phrase in text, f"the rendered report lacks {phrase!r}"
    for secret in ("Amina", "Example", "1990-04-12", "headscarf", "LE11 2XY", "le11 3ab", "LE11 3AB"):
        assert secret not in text, f"personal data {secret!r} in the report"
    print(f"report: {width}x{height} screenshot, {dark} text and {bar} bar pixels sampled; text checked")


if __name__ == "__main__":
    main()
