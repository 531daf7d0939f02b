#!/usr/bin/env bash
# The performance comparison in one command (issue 8): installs what is
# missing (PostgreSQL 15, libpqxx), builds hirsd and hirs-load, starts the
# echo baseline, hirsd (WAL synced, full collation) and PostgreSQL
# (synchronous_commit on) on this machine, all on the same disk, and runs
# hirs-load against each with the same concurrency; then hirsd's open-loop
# latency at half its measured maximum, the mixed workload (GetCase,
# ListCases, summaries) saturated and at half its rate, and bulk streams.
# Each half-rate run is measured twice: right after the saturated run, and
# once no flush or compaction is running or pending (settle_compactions).
# Prints every figure and a table of ratios (Markdown, for
# tests/bench/README.md).
#
#   tests/bench/run_load.sh [--duration=15s] [--concurrency=32] [--channels=4]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=15s
CONCURRENCY=32
CHANNELS=4
for arg in "$@"; do
  case "$arg" in
    --duration=*) DURATION=${arg#*=} ;;
    --concurrency=*) CONCURRENCY=${arg#*=} ;;
    --channels=*) CHANNELS=${arg#*=} ;;
    *) echo "usage: $0 [--duration=15s] [--concurrency=32] [--channels=4]"; exit 2 ;;
  esac
done
source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD

WORK=$(mktemp -d -p /var/tmp hirs-load.XXXXXX)
PIDS=()
PG_BIN=/usr/lib/postgresql/15/bin
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [ -f "$WORK/pg/postmaster.pid" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
source tests/lib/hirsd_harness.sh  # principals file and tokens in $WORK

# Waits for "listening on" in $1 and prints the address.
address_in() {
  for _ in $(seq 1 100); do
    local a
    a=$(sed -n 's/^listening on //p' "$1")
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.1
  done
  echo "no 'listening on' in $1" >&2
  return 1
}

"$LOAD" --serve_echo=127.0.0.1:0 >"$WORK/echo.out" 2>"$WORK/echo.log" &
ECHO_PID=$!
PIDS+=("$ECHO_PID")
ECHO_ADDR=$(address_in "$WORK/echo.out")

start_hirsd --rate_limit_per_second=0 --metrics_listen=127.0.0.1:0
PIDS+=("$HIRSD_PID")

chmod 711 "$WORK"  # PostgreSQL runs as its own user
mkdir -p "$WORK/pg" "$WORK/pgsock"
chown postgres "$WORK/pg" "$WORK/pgsock"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" --auth=trust >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w start \
  -o "-k $WORK/pgsock -c listen_addresses='' -c synchronous_commit=on -c fsync=on -c max_connections=200" >/dev/null
runuser -u postgres -- "$PG_BIN/createdb" -h "$WORK/pgsock" hirs
PG="host=$WORK/pgsock user=postgres dbname=hirs"

COMMON=(--concurrency="$CONCURRENCY" --channels="$CHANNELS" --duration="$DURATION" --warmup=3s)
RESULTS=$WORK/results.txt
run() { "$LOAD" "${COMMON[@]}" "$@" | tee -a "$RESULTS"; }

echo "== submit, closed loop, concurrency $CONCURRENCY, $DURATION each"
run --label=echo --target=echo --server="$ECHO_ADDR" --server_pid="$ECHO_PID" --request_prefix=echo
run --label=rocksdb --target=rocksdb --dir="$WORK/rocksdb" --request_prefix=rocks
rm -rf "$WORK/rocksdb"
run --label=postgres --target=postgres --pg="$PG" --request_prefix=pg
# PostgreSQL's checkpoint would otherwise share the disk with hirsd's runs.
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null
sync
run --label=hirsd --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" --server_pid="$HIRSD_PID" \
  --request_prefix=closed --seed=1

max=$(awk '$2 == "label=hirsd" {for (i = 1; i <= NF; i++) if ($i ~ /^per_second=/) {split($i, a, "="); print a[2]}}' "$RESULTS")
half=$(awk -v m="$max" 'BEGIN {printf "%.0f", m / 2}')
# Twice: right after the saturated run (the latency just after a burst),
# then with RocksDB's background work settled, to tell that work's share
# of the tail from the rest.
echo "== hirsd submit, open loop at $half/s (half of $max/s), right after the saturated run"
run --label=hirsd_half --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" --server_pid="$HIRSD_PID" \
  --rate="$half" --concurrency=$((CONCURRENCY * 4)) --request_prefix=half --seed=2
settle_compactions
echo "== hirsd submit, open loop at $half/s, compactions settled"
run --label=hirsd_half_settled --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
  --server_pid="$HIRSD_PID" --rate="$half" --concurrency=$((CONCURRENCY * 4)) --request_prefix=halfsettled --seed=6
echo "== hirsd mixed"
run --label=hirsd_mixed --target=hirsd --workload=mixed --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
  --police_token="$POLICE_TOKEN" --district_token="$DISTRICT_TOKEN" --server_pid="$HIRSD_PID" \
  --request_prefix=mixed --seed=3
# The same mix at half of that rate (all kinds together), open loop: the
# read latencies a police system sees while centres submit, not queueing at
# saturation.
mixed_max=$(awk '$2 == "label=hirsd_mixed" {for (i = 1; i <= NF; i++) if ($i ~ /^per_second=/) {split($i, a, "="); s += a[2]}} END {print s}' "$RESULTS")
mixed_half=$(python3 -c "print(round($mixed_max / 2))")
echo "== hirsd mixed, open loop at $mixed_half calls/s (half of $mixed_max/s), right after the saturated run"
run --label=hirsd_mixed_half --target=hirsd --workload=mixed --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
  --police_token="$POLICE_TOKEN" --district_token="$DISTRICT_TOKEN" --server_pid="$HIRSD_PID" \
  --request_prefix=mixedhalf --seed=5 --rate="$mixed_half"
settle_compactions
echo "== hirsd mixed, open loop at $mixed_half calls/s, compactions settled"
run --label=hirsd_mixed_half_settled --target=hirsd --workload=mixed --server="$HIRSD_ADDR" \
  --token="$CENTRE_TOKEN" --police_token="$POLICE_TOKEN" --district_token="$DISTRICT_TOKEN" \
  --server_pid="$HIRSD_PID" --request_prefix=mixedhalfsettled --seed=7 --rate="$mixed_half"
echo "== hirsd bulk streams of 100"
run --label=hirsd_bulk --target=hirsd --workload=bulk --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
  --server_pid="$HIRSD_PID" --request_prefix=bulk --seed=4

python3 - "$RESULTS" "$(date -u +%Y-%m-%d)" "$CONCURRENCY" "$CHANNELS" "$DURATION" <<'PY'
import sys
rows = []
threads = {}  # label -> thread name -> "CPU µs/switches" per call
for line in open(sys.argv[1]):
    if line.startswith("result "):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
    elif line.startswith("threads "):
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        label = fields.pop("label")
        fields.pop("calls", None)
        threads[label] = fields
def get(label, kind="submit"):
    for r in rows:
        if r["label"] == label and r["kind"] == kind:
            return r
    return None
date, conc, chans, dur = sys.argv[2:6]
print(f"\n### {date}: concurrency {conc}, {chans} channels, {dur} measured after a 3 s warm-up\n")
print("| run | call | per second | p50 µs | p95 µs | p99 µs | p99.9 µs | errors | server peak RSS MB | server cores |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    cores = r.get("server_cores", "-1")
    print(f"| {r['label']} | {r['kind']} | {float(r['per_second']):.0f} | {r['p50_us']} | {r['p95_us']} | {r['p99_us']} "
          f"| {r['p999_us']} | {r['errors']} | {r['server_peak_rss_mb'] if r['server_peak_rss_mb'] != '-1' else ''} "
          f"| {cores if float(cores) >= 0 else ''} |")
h, e, p, k = get("hirsd"), get("echo"), get("postgres"), get("rocksdb")
print("\n| ratio | figure | target |")
print("|---|---|---|")
if h and e:
    print(f"| hirsd / echo (durable submits vs the transport) | {float(h['per_second']) / float(e['per_second']):.2f} | ≥ 0.60 |")
if h and p:
    print(f"| hirsd / PostgreSQL (same dedup-and-insert) | {float(h['per_second']) / float(p['per_second']):.2f} | ≥ 1.5 |")
if h and k:
    print(f"| hirsd / RocksDB alone (storage ceiling) | {float(h['per_second']) / float(k['per_second']):.2f} | |")
if h and float(h.get("server_cores", "-1")) > 0:
    print(f"| hirsd CPU per durable submit (server cores / submits per second) | {float(h['server_cores']) * 1e6 / float(h['per_second']):.0f} µs | |")
for label, when in (("hirsd_half", "right after the saturated run"), ("hirsd_half_settled", "compactions settled")):
    half = get(label)
    if half:
        print(f"| submit p99 at half the maximum ({float(half['per_second']):.0f}/s), {when} "
              f"| {int(half['p99_us']) / 1000:.1f} ms | < 10 ms |")
g, l = get("hirsd_mixed", "get_case"), get("hirsd_mixed", "list_cases")
if g:
    print(f"| GetCase p99 (mixed) | {int(g['p99_us']) / 1000:.1f} ms | < 2 ms |")
if l:
    print(f"| ListCases page of 100 p99 (mixed) | {int(l['p99_us']) / 1000:.1f} ms | < 10 ms |")
for label, when in (("hirsd_mixed_half", "right after the saturated run"), ("hirsd_mixed_half_settled", "settled")):
    g, l = get(label, "get_case"), get(label, "list_cases")
    if g:
        print(f"| GetCase p99 (mixed, half load, {when}) | {int(g['p99_us']) / 1000:.1f} ms | < 2 ms |")
    if l:
        print(f"| ListCases page of 100 p99 (mixed, half load, {when}) | {int(l['p99_us']) / 1000:.1f} ms | < 10 ms |")
# Where hirsd's CPU goes per call, by thread name (hirs-load reads
# /proc/PID/task at the start and end of each measured time).
runs = [r for r in ("hirsd", "hirsd_half", "hirsd_half_settled", "hirsd_mixed_half_settled", "hirsd_bulk") if r in threads]
if runs:
    def cpu(label, name):
        return float(threads[label].get(name, "0/0").split("/")[0])
    names = sorted({n for r in runs for n in threads[r]}, key=lambda n: -max(cpu(r, n) for r in runs))
    print("\nhirsd's CPU per call (per item for bulk) by thread, µs / context switches:\n")
    print("| thread | " + " | ".join(runs) + " |")
    print("|---|" + "---|" * len(runs))
    shown = [n for n in names if max(cpu(r, n) for r in runs) >= 5]
    for n in shown:
        print(f"| {n} | " + " | ".join(threads[r].get(n, "") for r in runs) + " |")
    print("| all others | " + " | ".join(f"{sum(cpu(r, n) for n in names if n not in shown):.1f}" for r in runs) + " |")
    print("| total | " + " | ".join(f"{sum(cpu(r, n) for n in names):.0f}" for r in runs) + " |")
PY
