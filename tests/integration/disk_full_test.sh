#!/usr/bin/env bash
# A full data disk, for real: hirsd's store lives on a 64 MiB tmpfs
# (mounted in a private mount namespace, so nothing outside sees it), which
# the test fills with a ballast file while a reporting centre submits.
#
#  1. Below the reserve (--min_free_disk_mb=16, 8 MiB left): submissions
#     answer UNAVAILABLE with a message saying the disk is full and store
#     nothing; reads are served and audited (the audit trail may use the
#     last quarter of the reserve); the metrics say writes are refused;
#     restarted there, hirsd starts and serves reads.
#  2. With the check off, a bulk submission fills the last MiB: RocksDB's
#     own writes fail (its log, memtable flushes): hirsd stays up, answers
#     UNAVAILABLE, and resumes (reopening its store) once space returns.
#  3. Once the ballast is removed writes resume by themselves, a refused
#     submission is then stored once (its retry is ALREADY_RECEIVED), and
#     after a restart every acknowledged report is there and the audit
#     chain verifies.
# Needs root or unprivileged user namespaces (for the mount namespace).
# Usage: disk_full_test.sh HIRSD HIRS EXAMPLES_DIR
set -euo pipefail
if [ -z "${HIRS_IN_MOUNT_NS:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    exec env HIRS_IN_MOUNT_NS=1 unshare --mount "$0" "$@"
  fi
  exec env HIRS_IN_MOUNT_NS=1 unshare --user --map-root-user --mount "$0" "$@"
fi
HIRSD=$1
HIRS=$2
EXAMPLES=$3
WORK=$(mktemp -d)
trap 'kill "${HIRSD_PID:-}" 2>/dev/null && wait "$HIRSD_PID"; umount "$WORK/fs" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
source "$(dirname "$0")/../lib/hirsd_harness.sh"
fail() { echo "FAIL: $*"; echo "--- hirsd.log"; tail -30 "$WORK/hirsd.log"; exit 1; }

mount --make-rprivate /
mkdir -p "$WORK/fs"
mount -t tmpfs -o size=64m tmpfs "$WORK/fs"
export HIRSD_DATA=$WORK/fs/data
free_bytes() { df --output=avail -B1 "$WORK/fs" | tail -1 | tr -d ' '; }
# Leaves about $1 MiB free on the tmpfs.
fill_to() {
  local ballast=$(( $(free_bytes) - $1 * 1024 * 1024 ))
  [ "$ballast" -gt 0 ] && fallocate -l "$ballast" "$WORK/fs/ballast.$RANDOM"
  return 0
}
metric() {
  python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
    "http://$METRICS_ADDR/metrics" | awk -v m="$1" '$1 == m {print $2}'
}
# A report of its own for each name (request id and source reference).
report() {
  sed "s/loughborough-library-2026-0001/$1/; s/LL-2026-0001/$1/; s/Amina Example/Person $1/" "$EXAMPLES/report.json"
}

start_hirsd --min_free_disk_mb=16 --metrics_listen=127.0.0.1:0 --rate_limit_per_second=0
export HIRS_SERVER=$HIRSD_ADDR HIRS_TOKEN=$CENTRE_TOKEN
: >"$WORK/acked"
"$HIRS" submit --csv "$EXAMPLES/reports.csv" >"$WORK/csv.out" 2>&1 || fail "baseline csv: $(cat "$WORK/csv.out")"
awk -F'\t' '$2 ~ /^rpt_/ {print $2}' "$WORK/csv.out" >>"$WORK/acked"
[ "$(wc -l <"$WORK/acked")" -eq 3 ] || fail "baseline: $(cat "$WORK/csv.out")"
first=$(head -1 "$WORK/acked")
[ "$(metric hirs_store_writes_refused)" = 0 ] || fail "writes refused before the disk filled"

# 1. Below the reserve.
fill_to 8
report refused-1 >"$WORK/refused-1.json"
rc=0; "$HIRS" submit "$WORK/refused-1.json" >"$WORK/refused.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a submission was accepted below the reserve"
grep -q "UNAVAILABLE: .*data disk is full" "$WORK/refused.out" || fail "refusal: $(cat "$WORK/refused.out")"
grep -q "refusing writes" "$WORK/hirsd.log" || fail "no 'refusing writes' in the log"
[ "$(metric hirs_store_writes_refused)" = 1 ] || fail "hirs_store_writes_refused is not 1"
"$HIRS" report get "$first" >"$WORK/get.json" 2>&1 || fail "read below the reserve: $(cat "$WORK/get.json")"
grep -q "\"report_id\": \"$first\"" "$WORK/get.json" || fail "read: $(cat "$WORK/get.json")"
"$HIRS" --token="$POLICE_TOKEN" cases list --all >"$WORK/cases.jsonl" || fail "cases list below the reserve"
[ "$(wc -l <"$WORK/cases.jsonl")" -eq 3 ] || fail "cases list: $(cat "$WORK/cases.jsonl")"
"$HIRS" --token="$ADMIN_TOKEN" admin audit list --case_id="$first" --all >"$WORK/audit.jsonl"
grep '"hirs.v1.ReportingService/GetReport"' "$WORK/audit.jsonl" | grep -q '"OK"' ||
  fail "the read below the reserve was not audited: $(cat "$WORK/audit.jsonl")"
"$HIRS" --token="$ADMIN_TOKEN" admin audit list --principal_id=centre-a --all >"$WORK/audit.jsonl"
grep '"hirs.v1.ReportingService/SubmitReport"' "$WORK/audit.jsonl" | grep -q '"UNAVAILABLE"' ||
  fail "the refused submission was not audited"
# hirsd restarted on the nearly full disk starts and serves reads.
stop_hirsd
start_hirsd --min_free_disk_mb=16 --rate_limit_per_second=0
export HIRS_SERVER=$HIRSD_ADDR
"$HIRS" report get "$first" >/dev/null 2>&1 || fail "read after a restart below the reserve"

# 2. The disk full to the last byte, with the check off: restart without it
#    and submit in bulk while a writer takes the last bytes.
stop_hirsd
rm -f "$WORK"/fs/ballast.*
start_hirsd --min_free_disk_mb=0 --rate_limit_per_second=0
export HIRS_SERVER=$HIRSD_ADDR
for i in $(seq 1 300); do report "bulk-$i" | tr -d '\n'; echo; done >"$WORK/bulk.jsonl"
sed -i 's/"description": "Two men/"description": "'"$(head -c 3000 /dev/zero | tr '\0' x)"' Two men/' "$WORK/bulk.jsonl"
fill_to 1
rc=0; "$HIRS" submit "$WORK/bulk.jsonl" >"$WORK/bulk.out" 2>"$WORK/bulk.err" || rc=$?
[ "$(free_bytes)" -lt 65536 ] || fail "the disk did not fill: $(free_bytes) bytes free"
kill -0 "$HIRSD_PID" 2>/dev/null || fail "hirsd died on a full disk"
grep -q "data disk is full" "$WORK/bulk.out" || fail "bulk on a full disk: rc=$rc $(tail -3 "$WORK/bulk.out") $(cat "$WORK/bulk.err")"
awk -F'\t' '$2 ~ /^rpt_/ {print $2}' "$WORK/bulk.out" >>"$WORK/acked"
rc=0; "$HIRS" submit "$WORK/refused-1.json" >"$WORK/refused.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q "UNAVAILABLE" "$WORK/refused.out" || fail "submit on a full disk: rc=$rc $(cat "$WORK/refused.out")"

# 3. Space returns: writes resume without a restart.
rm -f "$WORK"/fs/ballast.*
ok=""
for _ in $(seq 1 30); do
  if "$HIRS" submit "$WORK/refused-1.json" >"$WORK/resumed.out" 2>&1; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] || fail "writes did not resume after space returned: $(cat "$WORK/resumed.out")"
grep -q "store: .*after an I/O error" "$WORK/hirsd.log" || fail "the store did not recover from RocksDB's write error"
grep -Eq '^collation  (NEW_CASE|ATTACHED_TO_CASE|SENT_TO_REVIEW)' "$WORK/resumed.out" ||
  fail "the refused report was stored before: $(cat "$WORK/resumed.out")"
awk '/^report/ {print $2}' "$WORK/resumed.out" >>"$WORK/acked"
"$HIRS" submit "$WORK/refused-1.json" | grep -q '^collation  ALREADY_RECEIVED' || fail "retry not ALREADY_RECEIVED"
"$HIRS" submit "$WORK/bulk.jsonl" >"$WORK/bulk2.out" 2>&1 || fail "bulk after recovery: $(tail -3 "$WORK/bulk2.out")"
# Every report acknowledged on the full disk comes back as the same report.
while read -r id; do
  grep -q "	$id	.*ALREADY_RECEIVED" "$WORK/bulk2.out" || fail "acknowledged $id not ALREADY_RECEIVED after recovery"
done < <(awk -F'\t' '$2 ~ /^rpt_/ {print $2}' "$WORK/bulk.out")
awk -F'\t' '$2 ~ /^rpt_/ && $4 == "NEW_CASE" || $4 == "ATTACHED_TO_CASE" || $4 == "SENT_TO_REVIEW" {print $2}' "$WORK/bulk2.out" >>"$WORK/acked"

stop_hirsd
start_hirsd --min_free_disk_mb=16
export HIRS_SERVER=$HIRSD_ADDR
while read -r id; do
  "$HIRS" report get "$id" >/dev/null 2>&1 || fail "acknowledged report $id missing after restart"
done <"$WORK/acked"
"$HIRS" --token="$ADMIN_TOKEN" admin audit verify >/dev/null 2>"$WORK/verify.err" || fail "audit verify: $(cat "$WORK/verify.err")"
grep -q "audit chain intact" "$WORK/verify.err" || fail "audit verify: $(cat "$WORK/verify.err")"
stop_hirsd
echo "disk_full_test: ok ($(sort -u "$WORK/acked" | wc -l) acknowledged reports checked; on the full disk" \
  "$(grep -c 'rpt_' "$WORK/bulk.out") bulk items stored and $(grep -c 'data disk is full' "$WORK/bulk.out") refused)"
