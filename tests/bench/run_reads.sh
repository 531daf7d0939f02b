#!/usr/bin/env bash
# Where a read's latency goes (the GetCase and ListCases targets):
# starts hirsd on a fresh store, fills it with a few seconds of closed-loop
# submissions, waits for RocksDB's compactions to finish, then drives one
# kind of read at a time, open loop, at a fixed rate with nothing else
# running: GetCase, then ListCases pages of 100.
# Each is measured twice, with the WAL synced (as served) and with
# --sync_writes=false, so the share of the audit trail's synced write in a
# read shows. For each run it prints the client's percentiles (hirs-load)
# and the server's own, from hirsd's grpc_server_handling_seconds histogram
# (admission to answer, audit write included; bucket bounds, so "<= 1 ms").
# The difference between the two is gRPC on loopback and the client.
# Then the machine's busy and stolen CPU over the run: on a VM the
# hypervisor's steal shows in the tails.
#
#   tests/bench/run_reads.sh [--get_rate=200] [--list_rate=100] [--duration=10s] [--fill=8s]
set -euo pipefail
cd "$(dirname "$0")/../.."
GET_RATE=200
LIST_RATE=100
DURATION=10s
FILL=8s
for arg in "$@"; do
  case "$arg" in
    --get_rate=*) GET_RATE=${arg#*=} ;;
    --list_rate=*) LIST_RATE=${arg#*=} ;;
    --duration=*) DURATION=${arg#*=} ;;
    --fill=*) FILL=${arg#*=} ;;
    *) echo "usage: $0 [--get_rate=200] [--list_rate=100] [--duration=10s] [--fill=8s]"; exit 2 ;;
  esac
done
source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD
bench_single_hirsd hirs-reads  # WORK, the hirsd harness

# The histogram of one method at hirsd's metrics endpoint: "le count" lines.
scrape() {
  curl -sf "http://$METRICS_ADDR/metrics" |
    sed -n "s/^grpc_server_handling_seconds_bucket{grpc_method=\"$1\",[^}]*le=\"\([^\"]*\)\"} \([0-9.e+]*\)$/\1 \2/p"
}

# The server-side p50 and p99 (bucket upper bounds) of the calls between
# two scrapes.
server_percentiles() {
  python3 - "$1" "$2" <<'PY'
import sys
def read(path):
    return [(float(le), float(n)) for le, n in (line.split() for line in open(path))]
before = dict(read(sys.argv[1]))
after = read(sys.argv[2])
counts = [(le, n - before.get(le, 0)) for le, n in after]
total = counts[-1][1]
def bound(q):
    for le, n in counts:
        if n >= q * total:
            return "<= %g ms" % (le * 1000) if le != float("inf") else "> 10 s"
parts = ["server calls=%d" % total, "p50 %s" % bound(0.5), "p99 %s" % bound(0.99)]
under = [n for le, n in counts if le == 0.001]
if under and total:
    parts.append("under 1 ms: %.1f%%" % (100 * under[0] / total))
print("  ".join(parts))
PY
}

# The machine's CPU between two snapshots of /proc/stat's "cpu" line:
# busy and stolen (by the hypervisor) shares of both cores' time.
cpu_share() {
  python3 - "$1" "$2" <<'PY'
import sys
a = [int(x) for x in sys.argv[1].split()[1:9]]
b = [int(x) for x in sys.argv[2].split()[1:9]]
d = [y - x for x, y in zip(a, b)]
total = sum(d) or 1
print("machine busy %.0f%%, stolen %.1f%%" % (100 * (total - d[3] - d[4]) / total, 100 * d[7] / total))
PY
}

measure() {  # label sync_flag
  HIRSD_DATA=$WORK/data-$1 start_hirsd --rate_limit_per_second=0 --metrics_listen=127.0.0.1:0 "$2"
  "$LOAD" --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" --concurrency=32 --duration="$FILL" \
    --warmup=1s --request_prefix=fill --seed=1 2>/dev/null | sed -n 's/^result .*\(calls=[0-9]*\).*\(per_second=[0-9.]*\).*/fill: \1 \2/p'
  settle_compactions
  for kind in GetCase:get:$GET_RATE ListCases:list:$LIST_RATE; do
    IFS=: read -r method mix rate <<<"$kind"
    scrape "$method" >"$WORK/before"
    cpu_before=$(head -1 /proc/stat)
    echo "== $1: $method alone, open loop at $rate/s"
    "$LOAD" --label="reads_$1" --target=hirsd --workload=mixed --mix="$mix=100" --server="$HIRSD_ADDR" \
      --token="$CENTRE_TOKEN" --police_token="$POLICE_TOKEN" --district_token="$DISTRICT_TOKEN" \
      --server_pid="$HIRSD_PID" --rate="$rate" --concurrency=128 --duration="$DURATION" --warmup=2s \
      --request_prefix="reads-$1" --seed=3 2>&1 | grep "^reads_$1 " | sed 's/^/client /'
    scrape "$method" >"$WORK/after"
    server_percentiles "$WORK/before" "$WORK/after"
    cpu_share "$cpu_before" "$(head -1 /proc/stat)"
  done
  stop_hirsd
  HIRSD_PID=
}

measure synced --sync_writes=true
measure unsynced --sync_writes=false
