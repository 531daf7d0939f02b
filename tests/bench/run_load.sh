#!/usr/bin/env bash
# What users feel, as ratios within one run on this machine (its speed
# moves from day to day; ratios measured together move less):
#   - latency at a realistic peak (--peak calls a second, 200 by default:
#     far above the county's busiest hour): hirsd's submit p99 and, in the
#     mixed workload at the same total rate, GetCase's p99, each against the
#     p99 of a bare synced RocksDB write (idempotency look-up, request key
#     and report in one synced batch) at the same rate, measured in the same
#     run (targets: ≤ 3× and ≤ 2×);
#   - throughput: hirsd against PostgreSQL 15 doing the same work (the
#     transaction with hirsd's look-ups and records, hirs-load
#     --pg_transaction=full; target ≥ 2×), and hirsd's SubmitReports bulk
#     streams against its unary submits.
# The saturated runs are repeated in --rounds rounds, each round in another
# order, every run on an empty store after a sync, and the throughput
# ratios are of the medians (one PostgreSQL figure moved by almost a factor
# of two between two runs minutes apart). The peak-rate runs follow, the
# bare RocksDB write first, then hirsd's submits and mixed calls on the
# last round's hirsd store.
# Prints every figure and the ratios as Markdown tables (for
# tests/bench/README.md).
#
#   tests/bench/run_load.sh [--duration=15s] [--concurrency=32] [--channels=4] [--rounds=3] [--peak=200]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=15s
CONCURRENCY=32
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
    *) echo "usage: $0 [--duration=15s] [--concurrency=32] [--channels=4] [--rounds=1..9] [--peak=200]"; exit 2 ;;
  esac
done
source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD

WORK=$(mktemp -d -p /var/tmp hirs-load.XXXXXX)
PG_BIN=/usr/lib/postgresql/15/bin
HIRSD_PID=
cleanup() {
  [ -n "$HIRSD_PID" ] && kill "$HIRSD_PID" 2>/dev/null && wait "$HIRSD_PID" 2>/dev/null || true
  [ -f "$WORK/pg/postmaster.pid" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
source tests/lib/hirsd_harness.sh  # principals file and tokens in $WORK

chmod 711 "$WORK"  # PostgreSQL runs as its own user
mkdir -p "$WORK/pg" "$WORK/pgsock"
chown postgres "$WORK/pg" "$WORK/pgsock"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" --auth=trust >/dev/null
pg_start() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w start \
    -o "-k $WORK/pgsock -c listen_addresses='' -c synchronous_commit=on -c fsync=on -c max_connections=200" >/dev/null
}
# Stopped between its runs, so that its checkpoints do not share the disk
# with the other servers' runs (a fast stop checkpoints first).
pg_stop() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null; }
PG="host=$WORK/pgsock user=postgres dbname=hirs"

COMMON=(--concurrency="$CONCURRENCY" --channels="$CHANNELS" --duration="$DURATION" --warmup=3s)
RESULTS=$WORK/results.txt
run() { "$LOAD" "${COMMON[@]}" "$@" | tee -a "$RESULTS"; }

# One saturated run against $1: each server starts on an empty store (a
# young store slows as it fills) with no other server's writes left in the
# kernel's dirty pages.
saturated() {
  sync
  case "$1" in
    postgres)
      pg_start
      runuser -u postgres -- "$PG_BIN/dropdb" -h "$WORK/pgsock" --if-exists hirs
      runuser -u postgres -- "$PG_BIN/createdb" -h "$WORK/pgsock" hirs
      run --label=postgres --target=postgres --pg_transaction=full --pg="$PG" --request_prefix=pg
      pg_stop ;;
    hirsd | hirsd_bulk)
      if [ -n "$HIRSD_PID" ]; then stop_hirsd; rm -rf "$WORK/data"; fi
      start_hirsd --rate_limit_per_second=0 --metrics_listen=127.0.0.1:0
      if [ "$1" = hirsd ]; then
        run --label=hirsd --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" --server_pid="$HIRSD_PID" \
          --request_prefix=closed --seed=1
      else
        run --label=hirsd_bulk --target=hirsd --workload=bulk --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
          --server_pid="$HIRSD_PID" --request_prefix=bulk --seed=4
      fi ;;
  esac
}
# Each round in another order, hirsd last in the last (the peak-rate runs
# continue on its store).
TARGETS=(postgres hirsd_bulk hirsd)
for round in $(seq 1 "$ROUNDS"); do
  echo "== saturated, closed loop, concurrency $CONCURRENCY, $DURATION each: round $round of $ROUNDS"
  for i in "${!TARGETS[@]}"; do
    saturated "${TARGETS[$(((i + ROUNDS - round) % ${#TARGETS[@]}))]}"
  done
done

settle_compactions
echo "== at the peak rate, $PEAK calls a second, open loop"
sync
run --label=rocksdb_peak --target=rocksdb --dir="$WORK/rocksdb" --request_prefix=rocks --rate="$PEAK" --concurrency=8
rm -rf "$WORK/rocksdb"
run --label=hirsd_peak --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" --server_pid="$HIRSD_PID" \
  --rate="$PEAK" --request_prefix=peak --seed=2
run --label=hirsd_mixed_peak --target=hirsd --workload=mixed --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
  --police_token="$POLICE_TOKEN" --district_token="$DISTRICT_TOKEN" --server_pid="$HIRSD_PID" \
  --request_prefix=mixedpeak --seed=5 --rate="$PEAK"

python3 - "$RESULTS" "$(date -u +%Y-%m-%d)" "$(git rev-parse --short HEAD)" "$CONCURRENCY" "$DURATION" "$ROUNDS" "$PEAK" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    if line.startswith("result "):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
date, commit, conc, dur, rounds, peak = sys.argv[2:8]
def runs_of(label, kind="submit"):
    return [r for r in rows if r["label"] == label and r["kind"] == kind]
def median(label, kind="submit"):
    found = sorted(runs_of(label, kind), key=lambda r: float(r["per_second"]))
    return found[(len(found) - 1) // 2] if found else None
print(f"\n### {date}, commit {commit}: {rounds} round(s) of saturated runs (concurrency {conc}), "
      f"peak {peak} calls/s; {dur} measured after a 3 s warm-up\n")
print("| run | call | per second | p50 µs | p99 µs | p99.9 µs | errors | server cores |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    cores = float(r.get("server_cores", "-1"))
    print(f"| {r['label']} | {r['kind']} | {float(r['per_second']):.0f} | {r['p50_us']} | {r['p99_us']} "
          f"| {r['p999_us']} | {r['errors']} | {f'{cores:.2f}' if cores >= 0 else ''} |")
def by_round(num, den, kind_num="submit"):
    own = [float(a["per_second"]) / float(b["per_second"]) for a, b in zip(runs_of(num, kind_num), runs_of(den))]
    return f" ({', '.join(f'{x:.2f}' for x in own)} by round)" if len(own) > 1 else ""
print("\n| ratio | figure | target |")
print("|---|---|---|")
base = median("rocksdb_peak")
for label, kind, what, target in (("hirsd_peak", "submit", "submit", "≤ 3"), ("hirsd_mixed_peak", "get_case", "GetCase", "≤ 2")):
    r = median(label, kind)
    if r and base:
        print(f"| {what} p99 at {peak}/s / bare synced RocksDB write p99 at {peak}/s "
              f"({int(r['p99_us']) / 1000:.2f} / {int(base['p99_us']) / 1000:.2f} ms) "
              f"| {int(r['p99_us']) / int(base['p99_us']):.2f} | {target} |")
h, p, b = median("hirsd"), median("postgres"), median("hirsd_bulk", "bulk")
if h and p:
    print(f"| hirsd / PostgreSQL doing the same work, submits per second (medians) "
          f"| {float(h['per_second']) / float(p['per_second']):.2f}{by_round('hirsd', 'postgres')} | ≥ 2 |")
if h and b:
    print(f"| hirsd bulk streams / unary submits, reports per second (medians) "
          f"| {float(b['per_second']) / float(h['per_second']):.2f}{by_round('hirsd_bulk', 'hirsd', 'bulk')} | ≥ 1 |")
PY
