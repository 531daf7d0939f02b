#!/usr/bin/env bash
# The performance comparison in one command: installs what is
# missing (PostgreSQL 15, libpqxx), builds hirsd and hirs-load, starts the
# echo baseline, hirsd (WAL synced, full collation) and PostgreSQL
# (synchronous_commit on) on this machine, all on the same disk, and runs
# hirs-load against each with the same concurrency; then hirsd's open-loop
# latency at half its measured maximum, the mixed workload (GetCase,
# ListCases, summaries) saturated and at half its rate; bulk streams are
# one of the saturated runs.
# PostgreSQL runs two ways: the transaction with hirsd's look-ups and
# records (hirs-load --pg_transaction=full), and the minimal one used
# until 2026-11-24 (=minimal). The six saturated submit runs (echo,
# RocksDB alone, PostgreSQL both ways, hirsd, hirsd bulk streams) are
# repeated in --rounds rounds, each round in another order, every run on an
# empty store after a sync, and the ratios are of the medians: a single PostgreSQL figure
# moved by almost a factor of two between two runs minutes apart
# (tests/bench/README.md, 2026-11-24).
# Each half-rate run is measured twice: right after the saturated run, and
# once no flush or compaction is running or pending (settle_compactions).
# Prints every figure and a table of ratios (Markdown, for
# tests/bench/README.md).
#
#   tests/bench/run_load.sh [--duration=15s] [--concurrency=32] [--channels=4] [--rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=15s
CONCURRENCY=32
CHANNELS=4
ROUNDS=3
for arg in "$@"; do
  case "$arg" in
    --duration=*) DURATION=${arg#*=} ;;
    --concurrency=*) CONCURRENCY=${arg#*=} ;;
    --channels=*) CHANNELS=${arg#*=} ;;
    --rounds=[1-9]) ROUNDS=${arg#*=} ;;
    *) echo "usage: $0 [--duration=15s] [--concurrency=32] [--channels=4] [--rounds=1..9]"; exit 2 ;;
  esac
done
source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD

WORK=$(mktemp -d -p /var/tmp hirs-load.XXXXXX)
PIDS=()
PG_BIN=/usr/lib/postgresql/15/bin
HIRSD_PID=
cleanup() {
  for pid in "${PIDS[@]}" $HIRSD_PID; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
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

# One saturated submit run against $1 in round $2: every round is the same
# experiment, so each server starts on an empty store (a young store slows
# as it fills: tests/bench/README.md, 2026-11-24), and with no other
# server's writes left in the kernel's dirty pages. hirsd's last round's
# store is the one the runs below continue on.
saturated() {
  sync
  case "$1" in
    echo) run --label=echo --target=echo --server="$ECHO_ADDR" --server_pid="$ECHO_PID" --request_prefix=echo ;;
    rocksdb)
      run --label=rocksdb --target=rocksdb --dir="$WORK/rocksdb" --request_prefix=rocks
      rm -rf "$WORK/rocksdb" ;;
    postgres | postgres_minimal)
      pg_start
      runuser -u postgres -- "$PG_BIN/dropdb" -h "$WORK/pgsock" --if-exists hirs
      runuser -u postgres -- "$PG_BIN/createdb" -h "$WORK/pgsock" hirs
      local shape=full
      [ "$1" = postgres_minimal ] && shape=minimal
      run --label="$1" --target=postgres --pg_transaction="$shape" --pg="$PG" --request_prefix=pg
      pg_stop ;;
    hirsd | hirsd_bulk)
      if [ -n "$HIRSD_PID" ]; then stop_hirsd; rm -rf "$WORK/data"; fi
      start_hirsd --rate_limit_per_second=0 --metrics_listen=127.0.0.1:0
      if [ "$1" = hirsd ]; then
        run --label=hirsd --target=hirsd --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" --server_pid="$HIRSD_PID" \
          --request_prefix=closed --seed=1
      else
        # SubmitReports streams of 100, on an empty store like the unary
        # run, so that the two compare (run after every other run, on the
        # store they had filled, it did not).
        run --label=hirsd_bulk --target=hirsd --workload=bulk --server="$HIRSD_ADDR" --token="$CENTRE_TOKEN" \
          --server_pid="$HIRSD_PID" --request_prefix=bulk --seed=4
      fi ;;
  esac
}
# Each round in another order, hirsd last in the last (the runs below
# continue on its store).
TARGETS=(echo rocksdb postgres postgres_minimal hirsd_bulk hirsd)
for round in $(seq 1 "$ROUNDS"); do
  echo "== submit, closed loop, concurrency $CONCURRENCY, $DURATION each: round $round of $ROUNDS"
  for i in "${!TARGETS[@]}"; do
    saturated "${TARGETS[$(((i + ROUNDS - round) % ${#TARGETS[@]}))]}" "$round"
  done
done

# The median of hirsd's saturated runs.
max=$(awk '$2 == "label=hirsd" {for (i = 1; i <= NF; i++) if ($i ~ /^per_second=/) {split($i, a, "="); print a[2]}}' "$RESULTS" |
  sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
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

python3 - "$RESULTS" "$(date -u +%Y-%m-%d)" "$CONCURRENCY" "$CHANNELS" "$DURATION" "$ROUNDS" <<'PY'
import sys
rows = []  # in the order run; "round": the how-many-th run of its label and kind
threads = {}  # (label, round) -> thread name -> "CPU µs/switches" per call
counted, last_round = {}, {}
for line in open(sys.argv[1]):
    if line.startswith("result "):
        r = dict(kv.split("=", 1) for kv in line.split()[1:])
        key = (r["label"], r["kind"])
        counted[key] = counted.get(key, 0) + 1
        r["round"] = last_round[r["label"]] = counted[key]
        rows.append(r)
    elif line.startswith("threads "):
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        label = fields.pop("label")
        fields.pop("calls", None)
        threads[(label, last_round.get(label, 1))] = fields
def runs_of(label, kind="submit"):
    return [r for r in rows if r["label"] == label and r["kind"] == kind]
def get(label, kind="submit"):
    """The run of `label` with the median throughput (the only one, for most)."""
    found = sorted(runs_of(label, kind), key=lambda r: float(r["per_second"]))
    return found[(len(found) - 1) // 2] if found else None
date, conc, chans, dur, rounds = sys.argv[2:7]
print(f"\n### {date}: concurrency {conc}, {chans} channels, {dur} measured after a 3 s warm-up, "
      f"{rounds} round(s) of the saturated runs\n")
print("| run | call | per second | p50 µs | p95 µs | p99 µs | p99.9 µs | errors | server peak RSS MB | server cores |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    cores = r.get("server_cores", "-1")
    name = r["label"] + (f" (round {r['round']})" if len(runs_of(r["label"], r["kind"])) > 1 else "")
    print(f"| {name} | {r['kind']} | {float(r['per_second']):.0f} | {r['p50_us']} | {r['p95_us']} | {r['p99_us']} "
          f"| {r['p999_us']} | {r['errors']} | {r['server_peak_rss_mb'] if r['server_peak_rss_mb'] != '-1' else ''} "
          f"| {cores if float(cores) >= 0 else ''} |")
h, e, p, pm, k = get("hirsd"), get("echo"), get("postgres"), get("postgres_minimal"), get("rocksdb")
def ratio(num, den, what, target):
    """The medians' ratio, and each round's own (its runs of both)."""
    if not (num and den):
        return
    own = [float(a["per_second"]) / float(b["per_second"]) for a, b in zip(runs_of(num["label"]), runs_of(den["label"]))]
    by_round = f" (by round: {', '.join(f'{x:.2f}' for x in own)})" if len(own) > 1 else ""
    print(f"| {what} | {float(num['per_second']) / float(den['per_second']):.2f}{by_round} | {target} |")
print("\n| ratio (of the medians) | figure | target |")
print("|---|---|---|")
ratio(h, e, "hirsd / echo (durable submits vs the transport)", "≥ 0.60")
ratio(h, p, "hirsd / PostgreSQL (the same look-ups and records)", "≥ 1.5")
ratio(h, pm, "hirsd / PostgreSQL, minimal (the baseline until 2026-11-24)", "")
ratio(h, k, "hirsd / RocksDB alone (storage ceiling)", "")
b = get("hirsd_bulk", "bulk")
if b and h:
    own = [float(x["per_second"]) / float(y["per_second"]) for x, y in zip(runs_of("hirsd_bulk", "bulk"), runs_of("hirsd"))]
    by_round = f" (by round: {', '.join(f'{x:.2f}' for x in own)})" if len(own) > 1 else ""
    print(f"| hirsd bulk streams / unary submits | {float(b['per_second']) / float(h['per_second']):.2f}{by_round} | ≥ 1 |")
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
# /proc/PID/task at the start and end of each measured time); for the
# saturated run, the median round's.
runs = []
for label in ("hirsd", "hirsd_half", "hirsd_half_settled", "hirsd_mixed_half_settled", "hirsd_bulk"):
    r = get(label, "bulk" if label == "hirsd_bulk" else "submit")
    if r and (label, r["round"]) in threads:
        runs.append((label, threads[(label, r["round"])]))
if runs:
    def cpu(t, name):
        return float(t.get(name, "0/0").split("/")[0])
    names = sorted({n for _, t in runs for n in t}, key=lambda n: -max(cpu(t, n) for _, t in runs))
    print("\nhirsd's CPU per call (per item for bulk) by thread, µs / context switches:\n")
    print("| thread | " + " | ".join(label for label, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    shown = [n for n in names if max(cpu(t, n) for _, t in runs) >= 5]
    for n in shown:
        print(f"| {n} | " + " | ".join(t.get(n, "") for _, t in runs) + " |")
    print("| all others | " + " | ".join(f"{sum(cpu(t, n) for n in names if n not in shown):.1f}" for _, t in runs) + " |")
    print("| total | " + " | ".join(f"{sum(cpu(t, n) for n in names):.0f}" for _, t in runs) + " |")
PY
