#!/usr/bin/env bash
# Submissions over the HTTP/JSON door against the same over gRPC, in one
# sitting: the same generated reports, the same calls in flight
# (--concurrency; gRPC over --channels connections, HTTP one keep-alive
# connection per call in flight), each run on a fresh store, the two
# alternating for --rounds rounds (the order flipped each round); then
# each once more at a realistic peak, --peak calls a second open loop.
# Prints every run's figures, the ratio of the median saturated throughputs
# (target: HTTP ≥ 0.7 of gRPC) with both median p99s, and both p99s at the
# peak.
#
#   tests/bench/run_http.sh [--duration=15s] [--concurrency=16] [--channels=4] [--rounds=3] [--peak=200]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=15s
CONCURRENCY=16
CHANNELS=4
ROUNDS=3
PEAK=200
for arg in "$@"; do
  case "$arg" in
    --duration=*) DURATION=${arg#*=} ;;
    --concurrency=*) CONCURRENCY=${arg#*=} ;;
    --channels=*) CHANNELS=${arg#*=} ;;
    --rounds=[1-9]) ROUNDS=${arg#*=} ;;
    --peak=*) PEAK=${arg#*=} ;;
    *) echo "usage: $0 [--duration=15s] [--concurrency=16] [--channels=4] [--rounds=1..9] [--peak=200]"; exit 2 ;;
  esac
done
source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD
bench_single_hirsd hirs-http

run() {  # run TRANSPORT ROUND [RATE]: one measured run on a fresh store
  rm -rf "$WORK/data"
  start_hirsd --http_listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --rate_limit_per_second=0
  local target=(--target=hirsd --server="$HIRSD_ADDR" --channels="$CHANNELS")
  [ "$1" = http ] && target=(--target=http --http="$HTTP_ADDR")
  "$LOAD" "${target[@]}" --token="$CENTRE_TOKEN" --workload=submit --concurrency="$CONCURRENCY" \
    --duration="$DURATION" --label="$1${3:+-peak}" --request_prefix="$1-$2" --seed="$2" --rate="${3:-0}" \
    | tee -a "$WORK/results"
  stop_hirsd
}

for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then run grpc "$round"; run http "$round"; else run http "$round"; run grpc "$round"; fi
done
run grpc 0 "$PEAK"
run http 0 "$PEAK"

python3 - "$WORK/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    if not line.startswith("result "):
        continue
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    runs.setdefault(f["label"], []).append((float(f["per_second"]), float(f["p99_us"]) / 1000, f["errors"]))
g, h = runs["grpc"], runs["http"]
gs, hs = statistics.median(r[0] for r in g), statistics.median(r[0] for r in h)
print()
print("| transport | submits/s (median of %d) | p99 ms (median) | errors |" % len(g))
print("|---|---|---|---|")
for name, rs in (("gRPC", g), ("HTTP/JSON", h)):
    print("| %s | %.0f | %.1f | %s |" % (name, statistics.median(r[0] for r in rs),
                                       statistics.median(r[1] for r in rs), ",".join(sorted({r[2] for r in rs}))))
print()
print("HTTP/JSON / gRPC throughput: %.2f (target >= 0.7)" % (hs / gs))
print("at the peak: p99 gRPC %.1f ms, HTTP/JSON %.1f ms (ratio %.2f)" % (
    runs["grpc-peak"][0][1], runs["http-peak"][0][1], runs["http-peak"][0][1] / runs["grpc-peak"][0][1]))
PY
