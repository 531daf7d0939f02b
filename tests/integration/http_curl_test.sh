#!/usr/bin/env bash
# The HTTP/JSON door of the real hirsd binary with curl, as the README shows
# it: a submit, a case read, a summary and a watch; the extract as CSV
# byte-identical to `hirs extract --format csv`, and the district report
# byte-identical to `hirs extract report`; the OpenAPI document; a clean
# exit on SIGTERM with a watch open.
# Usage: http_curl_test.sh HIRSD HIRS EXAMPLES_DIR
set -euo pipefail
HIRSD=$1
HIRS=$2
EXAMPLES=$3
WORK=$(mktemp -d)
trap 'kill "${HIRSD_PID:-}" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
source "$(dirname "$0")/../lib/hirsd_harness.sh"
fail() { echo "FAIL: $*"; exit 1; }

start_hirsd --http_listen=127.0.0.1:0
[ -n "$HTTP_ADDR" ] || fail "hirsd printed no \"http on\" line: $(cat "$WORK/hirsd.out")"
H=http://$HTTP_ADDR

# Submit (README).
curl -sS -f -X POST "$H/v1/reports" -H "Authorization: Bearer $CENTRE_TOKEN" \
  -H 'Content-Type: application/json' --data @"$EXAMPLES/report.json" >"$WORK/submit.json" \
  || fail "submit: $(cat "$WORK/submit.json")"
case_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["caseId"])' "$WORK/submit.json")
[[ "$case_id" == case_* ]] || fail "submit answer: $(cat "$WORK/submit.json")"

# The rest of the examples in bulk, as JSON Lines.
curl -sS -f -X POST "$H/v1/reports:batchSubmit" -H "Authorization: Bearer $CENTRE_TOKEN" \
  -H 'Content-Type: application/x-ndjson' --data-binary @"$EXAMPLES/reports.jsonl" >"$WORK/batch.jsonl"
[ "$(wc -l <"$WORK/batch.jsonl")" -eq "$(grep -c . "$EXAMPLES/reports.jsonl")" ] || fail "batch: $(cat "$WORK/batch.jsonl")"
grep -q '"error"' "$WORK/batch.jsonl" && fail "batch item failed: $(cat "$WORK/batch.jsonl")"

# Case read (README): the police see it; a centre may not.
curl -sS -f "$H/v1/cases/$case_id" -H "Authorization: Bearer $POLICE_TOKEN" >"$WORK/case.json" || fail "case read"
grep -q "\"caseId\":\"$case_id\"" "$WORK/case.json" || fail "case: $(cat "$WORK/case.json")"
code=$(curl -sS -o "$WORK/refused.json" -w '%{http_code}' "$H/v1/cases/$case_id" -H "Authorization: Bearer $CENTRE_TOKEN")
[ "$code" = 403 ] || fail "a centre reading a case got $code"
grep -q '"status":"PERMISSION_DENIED"' "$WORK/refused.json" || fail "403 body: $(cat "$WORK/refused.json")"

# Summary (README).
curl -sS -f "$H/v1/districts/E07000130/months/2026-10/summary" -H "Authorization: Bearer $DISTRICT_TOKEN" \
  >"$WORK/summary.json" || fail "summary"
grep -q '"districtCode":"E07000130"' "$WORK/summary.json" || fail "summary: $(cat "$WORK/summary.json")"

# Watch (README): Server-Sent Events from the start, then resumed.
curl -sS -N --max-time 2 "$H/v1/cases:watch" -H "Authorization: Bearer $POLICE_TOKEN" >"$WORK/watch.txt" 2>/dev/null || true
grep -q '^id: 1$' "$WORK/watch.txt" || fail "watch: $(head -5 "$WORK/watch.txt")"
last=$(sed -n 's/^id: //p' "$WORK/watch.txt" | tail -1)
curl -sS -N --max-time 2 "$H/v1/cases:watch" -H "Authorization: Bearer $POLICE_TOKEN" \
  -H "Last-Event-ID: $((last - 1))" >"$WORK/resumed.txt" 2>/dev/null || true
[ "$(sed -n 's/^id: //p' "$WORK/resumed.txt")" = "$last" ] || fail "resumed: $(cat "$WORK/resumed.txt")"

# The extract as CSV: the CLI's bytes. Two pulls first, so that both read
# rows already sent (the change column then says UNCHANGED for both).
export HIRS_SERVER=$HIRSD_ADDR
D=(--token "$DISTRICT_TOKEN")
"$HIRS" "${D[@]}" extract --district E07000130 --month 2026-10 --format csv >/dev/null
"$HIRS" "${D[@]}" extract --district E07000130 --month 2026-10 --format csv >"$WORK/cli.csv"
curl -sS -f "$H/v1/districts/E07000130/months/2026-10/extract" -H "Authorization: Bearer $DISTRICT_TOKEN" \
  -H 'Accept: text/csv' >"$WORK/http.csv" || fail "extract over HTTP"
[ "$(wc -l <"$WORK/cli.csv")" -ge 2 ] || fail "extract has no rows: $(cat "$WORK/cli.csv")"
cmp "$WORK/cli.csv" "$WORK/http.csv" || fail "CSV over HTTP differs from the CLI's"
curl -sS -f "$H/v1/districts/E07000130/months/2026-10/extract" -H "Authorization: Bearer $DISTRICT_TOKEN" \
  >"$WORK/http.jsonl"
[ "$(wc -l <"$WORK/http.jsonl")" -eq "$(($(wc -l <"$WORK/cli.csv") - 1))" ] || fail "JSON Lines rows"

# The district report: the CLI's bytes.
"$HIRS" "${D[@]}" extract report --district E07000130 --month 2026-10 -o "$WORK/cli.html"
curl -sS -f "$H/v1/districts/E07000130/months/2026-10/report" -H "Authorization: Bearer $DISTRICT_TOKEN" \
  -D "$WORK/report.headers" >"$WORK/http.html" || fail "report over HTTP"
cmp "$WORK/cli.html" "$WORK/http.html" || fail "report over HTTP differs from the CLI's"
grep -qi '^content-type: text/html' "$WORK/report.headers" || fail "report type: $(cat "$WORK/report.headers")"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$H/v1/districts/E06000017/months/2026-10/report" \
  -H "Authorization: Bearer $DISTRICT_TOKEN")
[ "$code" = 403 ] || fail "another district's report: $code"

# The description, and health.
curl -sS -f "$H/v1/openapi.json" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "/v1/reports" in d["paths"]' \
  || fail "openapi.json"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "$H/readyz")" = 200 ] || fail "readyz"

# SIGTERM with a watch open: hirsd ends it and exits 0.
curl -sS -N "$H/v1/cases:watch" -H "Authorization: Bearer $POLICE_TOKEN" >/dev/null 2>&1 &
sleep 0.5
stop_hirsd
echo "http_curl_test: ok"
