#!/usr/bin/env bash
# Submit throughput and memory as the store grows (issue 8, "scale"): for
# each size, fills a hirsd data directory with that many generated reports
# (hirs-load --target=preload: the real intake in process), starts hirsd on
# it (WAL synced, rate limit off), runs the closed-loop submit workload and
# records throughput, latency, hirsd's peak RSS and the store's size on
# disk. Prints a Markdown table with each size's throughput as a share of
# the smallest size's.
#
#   tests/bench/run_scale.sh [--sizes=100000,1000000] [--duration=15s] [--concurrency=32]
#                            [--stores=DIR]
#
# --stores keeps the filled stores in DIR/<size> and reuses them on the next
# run (a fill of 1M reports takes about a quarter of an hour here); each run
# adds its measured submissions to them. Without it they are deleted.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=100000,1000000
DURATION=15s
CONCURRENCY=32
STORES=
for arg in "$@"; do
  case "$arg" in
    --sizes=*) SIZES=${arg#*=} ;;
    --duration=*) DURATION=${arg#*=} ;;
    --concurrency=*) CONCURRENCY=${arg#*=} ;;
    --stores=*) STORES=${arg#*=} ;;
    *) echo "usage: $0 [--sizes=100000,1000000] [--duration=15s] [--concurrency=32] [--stores=DIR]"; exit 2 ;;
  esac
done

source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD
bench_single_hirsd hirs-scale  # WORK, the hirsd harness
[ -n "$STORES" ] && mkdir -p "$STORES"
RESULTS=$WORK/results.txt

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
  HIRSD_DATA=$dir start_hirsd --rate_limit_per_second=0
  "$LOAD" --label="scale_$size" --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
    --server_pid="$HIRSD_PID" --concurrency="$CONCURRENCY" --duration="$DURATION" --warmup=5s \
    --request_prefix="scale-$(date +%s)" --seed="$(date +%s)" | tee -a "$RESULTS"
  stop_hirsd
  HIRSD_PID=
  echo "store $size $(du -sm "$dir/db" | cut -f1)" >>"$RESULTS"
done

python3 - "$RESULTS" "$(date -u +%Y-%m-%d)" "$CONCURRENCY" "$DURATION" <<'PY'
import sys
rows, disk = [], {}
for line in open(sys.argv[1]):
    if line.startswith("result "):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
    elif line.startswith("store "):
        _, size, mb = line.split()
        disk[size] = mb
date, conc, dur = sys.argv[2:5]
print(f"\n### {date}: submits at each store size, concurrency {conc}, {dur} measured after a 5 s warm-up\n")
print("| stored reports | submits per second | share of the smallest | p50 µs | p99 µs | hirsd peak RSS MB | store on disk MB |")
print("|---|---|---|---|---|---|---|")
base = float(rows[0]["per_second"]) if rows else 1
for r in rows:
    size = r["label"].split("_", 1)[1]
    print(f"| {int(size):,} | {float(r['per_second']):.0f} | {float(r['per_second']) / base:.2f} | {r['p50_us']} "
          f"| {r['p99_us']} | {r['server_peak_rss_mb']} | {disk.get(size, '')} |")
PY
