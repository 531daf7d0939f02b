#!/usr/bin/env bash
# hirsd replicated on etcd, from outside: three etcd members and three
# hirsd replicas on loopback, the real binaries. One leads and serves;
# followers answer NOT_LEADER naming it and report not ready. Faults: the
# leader killed (another serves every acknowledged report; the failover
# time is printed), a leader paused past its lease and continued (it has
# stepped down and writes nothing), the killed replica restarted (it
# follows). The CLI given every replica finds the leader. Under load from
# two retrying submitters the leader is killed twice: every acknowledged
# report is stored once, under the id acknowledged. The audit chain
# verifies on the last leader.
# Usage: replication_test.sh HIRSD HIRS EXAMPLES_DIR
set -euo pipefail
HIRSD=$1
HIRS=$2
EXAMPLES=$3
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do
    kill -CONT "$p" 2>/dev/null || true
    { kill -9 "$p" && wait "$p"; } 2>/dev/null || true
  done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
source "$(dirname "$0")/../lib/hirsd_harness.sh"
fail() { echo "FAIL: $*"; for i in 0 1 2; do echo "== replica $i"; tail -n 20 "$WORK/h$i.log" 2>/dev/null; done; exit 1; }
REPLICA_FLAGS=(--replication_lease_seconds=2)
source "$(dirname "$0")/../lib/cluster_harness.sh"

for i in 0 1 2; do start_replica "$i"; done

L=$(leader)
[ "$L" -ge 0 ] || fail "no replica became the leader"
[ "$(health "$L")" = SERVING ] || fail "the leader's health port says $(health "$L")"
export HIRS_TOKEN=$CENTRE_TOKEN
HIRS_SERVER="127.0.0.1:${GP[$L]}" "$HIRS" submit "$EXAMPLES/reports.jsonl" >"$WORK/first.out" 2>&1 || fail "submit: $(cat "$WORK/first.out")"
acknowledged=$(grep -c 'rpt_' "$WORK/first.out")
# Followers: NOT_LEADER naming the leader, not ready.
for i in 0 1 2; do
  [ "$i" = "$L" ] && continue
  rc=0; HIRS_SERVER="127.0.0.1:${GP[$i]}" "$HIRS" reports list 2>"$WORK/f.err" || rc=$?
  grep -q "the leader is 127.0.0.1:${GP[$L]}" "$WORK/f.err" || fail "follower $i said: $(cat "$WORK/f.err")"
  ! ready "$i" || fail "follower $i reports ready"
  [ "$(health "$i")" = NOT_SERVING ] || fail "follower $i's health port says $(health "$i")"
done

# Kill the leader: another serves, with every acknowledged report.
{ kill -9 "${RP[$L]}" && wait "${RP[$L]}"; } 2>/dev/null || true
killed=$L
start=$(date +%s.%N)
for _ in $(seq 1 200); do
  L=$(leader)
  if [ "$L" -ge 0 ] && HIRS_SERVER="127.0.0.1:${GP[$L]}" "$HIRS" submit "$EXAMPLES/report.json" >"$WORK/after.out" 2>&1; then break; fi
  sleep 0.05
done
grep -q 'rpt_' "$WORK/after.out" || fail "no write acknowledged after the leader was killed: $(cat "$WORK/after.out")"
echo "failover: $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s from SIGKILL to the first acknowledged write"
acknowledged=$((acknowledged + 1))
HIRS_SERVER="127.0.0.1:${GP[$L]}" "$HIRS" reports list --all --output=json >"$WORK/list.jsonl"
[ "$(wc -l <"$WORK/list.jsonl")" -eq "$acknowledged" ] || fail "the new leader holds $(wc -l <"$WORK/list.jsonl") reports, want $acknowledged"
# Every live replica serves its metrics on its own port, following or
# leading; the new leader, a follower until now, counts its calls there.
for i in 0 1 2; do
  [ "$i" = "$killed" ] && continue
  curl -sf "http://127.0.0.1:${MP[$i]}/metrics" >"$WORK/metrics$i.txt" || fail "replica $i serves no metrics"
  grep -q '^hirs_store_disk_free_bytes' "$WORK/metrics$i.txt" || fail "replica $i's metrics: $(head -5 "$WORK/metrics$i.txt")"
done
grep -q 'grpc_method="SubmitReport"' "$WORK/metrics$L.txt" || fail "the new leader's metrics count no submission"

# Pause the leader past its lease: it must step down and write nothing.
paused=$L
kill -STOP "${RP[$paused]}"
sleep 4
kill -CONT "${RP[$paused]}"
sleep 1
! ready "$paused" || fail "the paused leader still reports ready after its lease lapsed"
L=$(leader)
[ "$L" -ge 0 ] && [ "$L" != "$paused" ] || fail "no new leader after the pause (leader $L)"
# The CLI given every replica finds the leader.
HIRS_SERVER=$ALL "$HIRS" submit --csv "$EXAMPLES/reports.csv" >"$WORK/csv.out" 2>&1 || fail "submit after the pause: $(cat "$WORK/csv.out")"
acknowledged=$((acknowledged + $(grep -c 'rpt_' "$WORK/csv.out")))
HIRS_SERVER=$ALL "$HIRS" reports list --all --output=json >"$WORK/list.jsonl"
[ "$(wc -l <"$WORK/list.jsonl")" -eq "$acknowledged" ] || fail "the leader holds $(wc -l <"$WORK/list.jsonl") reports, want $acknowledged"

# The killed replica comes back as a follower.
start_replica "$killed"
sleep 2
! ready "$killed" || fail "the restarted replica leads although replica $L does"
rc=0; HIRS_SERVER="127.0.0.1:${GP[$killed]}" "$HIRS" reports list 2>"$WORK/back.err" || rc=$?
grep -q "the leader is 127.0.0.1:${GP[$L]}" "$WORK/back.err" || fail "restarted replica said: $(cat "$WORK/back.err")"

# Under load: two submitters, each retrying a report until it is
# acknowledged (same request_id, any replica), while the leader is killed
# twice and brought back. Every acknowledged report must be there once,
# with the id its acknowledgement gave.
mkdir -p "$WORK/load"
for n in $(seq 1 160); do
  sed -e "s/loughborough-library-2026-0001/load-$n/" -e "s/LL-2026-0001/LOAD-$n/" \
      -e "s/2026-10-03T20:30:00Z/2026-10-$(printf %02d $((n % 28 + 1)))T$(printf %02d $((n % 24))):00:00Z/" \
      -e "s/Two men shouted/Load incident $n: two men shouted/" "$EXAMPLES/report.json" >"$WORK/load/$n.json"
done
submitter() {  # FIRST LAST
  for n in $(seq "$1" "$2"); do
    for _ in $(seq 1 200); do
      if HIRS_SERVER=$ALL "$HIRS" --timeout_seconds=3 submit "$WORK/load/$n.json" >"$WORK/load/$n.out" 2>/dev/null; then
        echo "$n $(awk '/^report/ {print $2}' "$WORK/load/$n.out")" >>"$WORK/acks.$1"
        break
      fi
      echo "$n" >>"$WORK/retries.$1"
      sleep 0.1
    done
  done
}
submitter 1 80 & S1=$!
submitter 81 160 & S2=$!
for round in 1 2; do
  sleep 1
  L=$(leader)
  { kill -9 "${RP[$L]}" && wait "${RP[$L]}"; } 2>/dev/null || true
  sleep 3
  start_replica "$L"
done
wait "$S1" "$S2"
cat "$WORK"/acks.* >"$WORK/acks"
retried=$( (cat "$WORK"/retries.* 2>/dev/null || true) | sort -u | wc -l)
[ "$retried" -ge 2 ] || fail "only $retried submissions met a failover: the kills missed the load"
[ "$(wc -l <"$WORK/acks")" -eq 160 ] || fail "$(wc -l <"$WORK/acks") of 160 reports acknowledged"
L=$(leader)
HIRS_SERVER=$ALL "$HIRS" reports list --all --output=json >"$WORK/list.jsonl"
python3 - "$WORK/acks" "$WORK/list.jsonl" <<'PY' || fail "acknowledged reports missing or doubled"
import json, sys
acks = dict(line.split() for line in open(sys.argv[1]))
stored = [json.loads(l) for l in open(sys.argv[2])]
ids = [r["report_id"] for r in stored]
load = {r["source_reference"]: r["report_id"] for r in stored if r["source_reference"].startswith("LOAD-")}
assert len(ids) == len(set(ids)), "a report id twice"
missing = [n for n, rid in acks.items() if load.get(f"LOAD-{n}") != rid]
assert not missing, f"acknowledged and not stored as acknowledged: {missing}"
assert len(load) == len(acks), f"{len(load)} load reports stored for {len(acks)} acknowledged"
print(f"load: {len(acks)} acknowledged reports, each stored once under its acknowledged id", end="")
PY
echo " ($retried retried across a failover)"

HIRS_SERVER="127.0.0.1:${GP[$L]}" HIRS_TOKEN=$ADMIN_TOKEN "$HIRS" admin audit verify >"$WORK/audit.out" || fail "audit: $(cat "$WORK/audit.out")"
# Each replica exits cleanly on SIGTERM, leader and followers alike.
for i in 0 1 2; do
  kill -TERM "${RP[$i]}"
  rc=0; wait "${RP[$i]}" || rc=$?
  [ "$rc" -eq 0 ] || fail "replica $i exited $rc after SIGTERM"
done
echo "replication: leader elected, followers refuse naming it, failover after SIGKILL and SIGSTOP, restart follows, audit intact"
