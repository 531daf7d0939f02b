#!/usr/bin/env bash
# Replicated mode against the single node, as ratios within one run on this
# machine: saturated submit throughput (closed loop, --concurrency calls in
# flight) and the submit latency at a realistic peak (open loop, --peak
# calls a second), each on an empty store. The cluster is three etcd
# members and three hirsd replicas on loopback, all on this machine, so its
# figures include their sharing of its cores and disk. Target: replicated
# throughput at least 0.3 of the single node's. Prints the figures and the
# ratios as a Markdown table (for tests/bench/README.md).
# --etcd_on_tmpfs puts the etcd members' data in /dev/shm: not durable, a
# diagnostic of how much the members' fsyncs on the one shared disk cost.
#
#   tests/bench/run_replication.sh [--duration=15s] [--concurrency=32] [--peak=200] [--etcd_on_tmpfs]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=15s
CONCURRENCY=32
PEAK=200
for arg in "$@"; do
  case "$arg" in
    --duration=*) DURATION=${arg#*=} ;;
    --concurrency=*) CONCURRENCY=${arg#*=} ;;
    --peak=*) PEAK=${arg#*=} ;;
    --etcd_on_tmpfs) ETCD_DATA_ROOT=$(mktemp -d -p /dev/shm hirs-etcd.XXXXXX) ;;
    *) echo "usage: $0 [--duration=15s] [--concurrency=32] [--peak=200] [--etcd_on_tmpfs]"; exit 2 ;;
  esac
done
source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD

WORK=$(mktemp -d -p /var/tmp hirs-replication.XXXXXX)
PIDS=()
HIRSD_PID=
cleanup() {
  for p in "${PIDS[@]}" $HIRSD_PID; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
  rm -rf "$WORK" ${ETCD_DATA_ROOT:+"$ETCD_DATA_ROOT"}
}
trap cleanup EXIT
source tests/lib/hirsd_harness.sh  # principals file and tokens in $WORK
RESULTS=$WORK/results.txt
run() { "$LOAD" --duration="$DURATION" --warmup=3s --token="$CENTRE_TOKEN" "$@" | tee -a "$RESULTS"; }
measure() {  # LABEL ADDR PID
  sync
  run --label="$1" --target=hirsd --server="$2" --server_pid="$3" --concurrency="$CONCURRENCY" \
    --request_prefix=closed --seed=1
  run --label="$1_peak" --target=hirsd --server="$2" --server_pid="$3" --rate="$PEAK" --request_prefix=peak --seed=2
}

echo "== single node"
start_hirsd --rate_limit_per_second=0
measure single "$HIRSD_ADDR" "$HIRSD_PID"
stop_hirsd

echo "== replicated: three etcd members, three replicas"
REPLICA_FLAGS=(--rate_limit_per_second=0)
source tests/lib/cluster_harness.sh
for i in 0 1 2; do start_replica "$i"; done
L=$(leader)
[ "$L" -ge 0 ] || { echo "no replica leads"; exit 1; }
measure replicated "127.0.0.1:${GP[$L]}" "${RP[$L]}"

python3 - "$RESULTS" "$(date -u +%Y-%m-%d)" "$(git rev-parse --short HEAD)" "$CONCURRENCY" "$DURATION" "$PEAK" "${ETCD_DATA_ROOT:-}" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("result "):
        r = dict(kv.split("=", 1) for kv in line.split()[1:])
        rows[r["label"]] = r
date, commit, conc, dur, peak = sys.argv[2:7]
where = "etcd's data on tmpfs (not durable; diagnostic)" if sys.argv[7] else "etcd's data on the disk"
print(f"\n### {date}, commit {commit}: concurrency {conc}; peak {peak} calls/s; {dur} measured after a 3 s warm-up; {where}\n")
print("| run | per second | p50 µs | p99 µs | errors |")
print("|---|---|---|---|---|")
for label in ("single", "replicated", "single_peak", "replicated_peak"):
    r = rows[label]
    print(f"| {label} | {float(r['per_second']):.0f} | {r['p50_us']} | {r['p99_us']} | {r['errors']} |")
ratio = float(rows["replicated"]["per_second"]) / float(rows["single"]["per_second"])
p99 = int(rows["replicated_peak"]["p99_us"]) / int(rows["single_peak"]["p99_us"])
print(f"\n| ratio | value | target |\n|---|---|---|")
print(f"| replicated / single submit throughput | {ratio:.2f} | ≥ 0.3 |")
print(f"| replicated / single submit p99 at {peak}/s | {p99:.2f} | (reported) |")
PY
