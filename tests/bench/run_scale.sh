#!/usr/bin/env bash
# Submit throughput and memory as the store grows: for
# each size, fills a hirsd data directory with that many generated reports
# (hirs-load --target=preload: the real intake in process), starts hirsd on
# it (WAL synced, rate limit off), runs the closed-loop submit workload and
# records throughput, latency, hirsd's peak RSS and the store's size on
# disk. Prints a Markdown table with each size's throughput as a share of
# the smallest size's. Before it is measured, each store is settled: hirsd
# runs on it, unloaded, until RocksDB has no compaction left from the fill.
# The fill puts one chunk of 100,000 reports in the latest two-year window
# and the rest in older windows (hirs-load's --target=preload), and the
# measured submissions fall in the latest: at every size they meet the same
# density of recent reports, and the sizes differ by history, as a
# service's store grows.
#
#   tests/bench/run_scale.sh [--sizes=100000,1000000] [--duration=15s] [--concurrency=32]
#                            [--stores=DIR] [--window=0] [--page_cache=warm|cold]
#
# --stores keeps the filled stores in DIR/<size> and reuses them on the next
# run (a fill of 1M reports took 2.5 to 15 minutes on the test VMs). Each run
# measures a kept store through a copy, DIR/measuring-<size>, removed after:
# its SST files are hard links (RocksDB never changes one once written), the
# rest is copied, so a run adds nothing to the kept store and the next run
# meets it as filled. Without --stores the filled stores are deleted.
# --window=N sends the measured submissions to the N-th two-year window back
# (hirs-load --window), e.g. to a window a store was given one chunk in.
# --page_cache=warm (the default) reads the store's files once before it is
# measured, so that its blocks come from the page cache, as on a host that
# has been serving a while with memory to spare; =cold evicts them
# (posix_fadvise DONTNEED), so that reads go to the disk, as after a reboot.
# Either way the figure does not depend on what ran before: a 10M store is
# 16 GB, and how much of it the page cache happened to hold moved its
# figure by a tenth (measured 2026-11-24).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=100000,1000000
DURATION=15s
CONCURRENCY=32
STORES=
WINDOW=0
PAGE_CACHE=warm
for arg in "$@"; do
  case "$arg" in
    --sizes=*) SIZES=${arg#*=} ;;
    --duration=*) DURATION=${arg#*=} ;;
    --concurrency=*) CONCURRENCY=${arg#*=} ;;
    --stores=*) STORES=${arg#*=} ;;
    --window=*) WINDOW=${arg#*=} ;;
    --page_cache=warm | --page_cache=cold) PAGE_CACHE=${arg#*=} ;;
    *) echo "usage: $0 [--sizes=100000,1000000] [--duration=15s] [--concurrency=32] [--stores=DIR] [--window=0] [--page_cache=warm|cold]"
       exit 2 ;;
  esac
done

source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD
bench_single_hirsd hirs-scale  # WORK, the hirsd harness
[ -n "$STORES" ] && mkdir -p "$STORES"
RESULTS=$WORK/results.txt

# measuring_copy SRC DST: a hirsd data directory DST that starts as SRC
# (stopped) without changing it: SST files hard-linked, the rest copied.
measuring_copy() {
  rm -rf "$2"
  mkdir -p "$2/db"
  find "$1" -maxdepth 1 -type f -exec cp -p {} "$2/" \;
  find "$1/db" -maxdepth 1 -type f -name '*.sst' -exec ln {} "$2/db/" \;
  find "$1/db" -maxdepth 1 -type f ! -name '*.sst' -exec cp -p {} "$2/db/" \;
}

# set_page_cache DIR: every file under DIR read into the page cache (warm),
# or dropped from it (cold), as --page_cache says.
set_page_cache() {
  python3 - "$1" "$PAGE_CACHE" <<'PY'
import os, sys
for root, _, names in os.walk(sys.argv[1]):
    for name in names:
        fd = os.open(os.path.join(root, name), os.O_RDONLY)
        try:
            if sys.argv[2] == "warm":
                while os.read(fd, 1 << 20):
                    pass
            else:
                os.fsync(fd)  # dirty pages cannot be dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
PY
}

IFS=, read -r -a sizes <<<"$SIZES"
for size in "${sizes[@]}"; do
  dir=${STORES:-$WORK}/$size
  if [ -f "$dir/preloaded" ]; then
    echo "== $size reports: reusing $dir ($(cat "$dir/preloaded"))"
  else
    rm -rf "$dir"
    echo "== $size reports: filling $dir"
    "$LOAD" --target=preload --dir="$dir" --preload="$size" --concurrency=2 | tee "$WORK/preload.txt"
    awk '{for (i = 1; i <= NF; i++) if ($i ~ /^(seconds|per_second)=/) printf "%s ", $i}' "$WORK/preload.txt" \
      >"$dir/preloaded"
  fi
  # The store as a service would hold it: nothing left over from the fill
  # for RocksDB to compact.
  HIRSD_DATA=$dir start_hirsd --metrics_listen=127.0.0.1:0
  settle_compactions 3600
  stop_hirsd
  HIRSD_PID=
  echo "store $size $(du -sm "$dir/db" | cut -f1)" >>"$RESULTS"
  data=$dir
  if [ -n "$STORES" ]; then
    data=$STORES/measuring-$size
    measuring_copy "$dir" "$data"
  fi
  set_page_cache "$data"
  HIRSD_DATA=$data start_hirsd --rate_limit_per_second=0
  "$LOAD" --label="scale_$size" --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
    --server_pid="$HIRSD_PID" --concurrency="$CONCURRENCY" --duration="$DURATION" --warmup=5s \
    --window="$WINDOW" --request_prefix="scale-$(date +%s)" --seed="$(date +%s)" | tee -a "$RESULTS"
  stop_hirsd
  HIRSD_PID=
  if [ -n "$STORES" ]; then rm -rf "$data"; fi
done

python3 - "$RESULTS" "$(date -u +%Y-%m-%d)" "$CONCURRENCY" "$DURATION" "$PAGE_CACHE" <<'PY'
import sys
rows, disk = [], {}
for line in open(sys.argv[1]):
    if line.startswith("result "):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
    elif line.startswith("store "):
        _, size, mb = line.split()
        disk[size] = mb
date, conc, dur, cache = sys.argv[2:6]
print(f"\n### {date}: submits at each store size, concurrency {conc}, {dur} measured after a 5 s warm-up\n")
print(f"Store on disk: as filled, before the run. Page cache: {cache}. CPU per submit: hirsd's, all threads.\n")
print("| stored reports | submits per second | share of the smallest | p50 µs | p99 µs | CPU per submit µs | hirsd peak RSS MB | store on disk MB |")
print("|---|---|---|---|---|---|---|---|")
base = float(rows[0]["per_second"]) if rows else 1
for r in rows:
    size = r["label"].split("_", 1)[1]
    print(f"| {int(size):,} | {float(r['per_second']):.0f} | {float(r['per_second']) / base:.2f} | {r['p50_us']} "
          f"| {r['p99_us']} | {1e6 * float(r['server_cores']) / float(r['per_second']):.0f} "
          f"| {r['server_peak_rss_mb']} | {disk.get(size, '')} |")
PY
