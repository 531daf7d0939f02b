#!/usr/bin/env bash
# The hirs CLI against the real hirsd binary: the sample files of
# deploy/examples, per-line errors in bulk mode, exit codes, help and
# completion, lists as tables and JSON Lines, report get, restart
# persistence and a clean exit on SIGTERM.
# Usage: cli_test.sh HIRSD HIRS EXAMPLES_DIR
set -euo pipefail
HIRSD=$1
HIRS=$2
EXAMPLES=$3
WORK=$(mktemp -d)
trap 'kill "${HIRSD_PID:-}" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
source "$(dirname "$0")/../lib/hirsd_harness.sh"
fail() { echo "FAIL: $*"; exit 1; }

start_hirsd
export HIRS_SERVER=$HIRSD_ADDR HIRS_TOKEN=$CENTRE_TOKEN

"$HIRS" submit "$EXAMPLES/report.json" >"$WORK/one.out" || fail "submit report.json exited $?"
grep -q '^collation  NEW_CASE' "$WORK/one.out" || fail "report.json: $(cat "$WORK/one.out")"
report_id=$(awk '/^report/ {print $2}' "$WORK/one.out")
case_id=$(awk '/^case/ {print $2}' "$WORK/one.out")

"$HIRS" submit "$EXAMPLES/report.json" | grep -q 'ALREADY_RECEIVED' || fail "retry not ALREADY_RECEIVED"

"$HIRS" submit "$EXAMPLES/reports.jsonl" >"$WORK/jsonl.out" 2>"$WORK/jsonl.err" || fail "jsonl exited $?"
[ "$(grep -c '^line ' "$WORK/jsonl.out")" -eq 3 ] || fail "jsonl: $(cat "$WORK/jsonl.out")"
grep -q "^line 1	.*	$case_id	ATTACHED_TO_CASE" "$WORK/jsonl.out" || fail "witness report did not join the case"
grep -q 'failed 0' "$WORK/jsonl.err" || fail "jsonl summary: $(cat "$WORK/jsonl.err")"

"$HIRS" submit --csv "$EXAMPLES/reports.csv" >"$WORK/csv.out" 2>"$WORK/csv.err" || fail "csv exited $?"
[ "$(grep -c 'NEW_CASE' "$WORK/csv.out")" -eq 3 ] || fail "csv: $(cat "$WORK/csv.out")"

# A bulk file with bad lines: the good ones are stored, each bad one named.
head -1 "$EXAMPLES/reports.jsonl" | sed 's/cc-2026-0101/mixed-1/; s/CC-0101/MIXED-1/' >"$WORK/mixed.jsonl"
echo '{"report": {"reporter_role": "VICTIM"}}' >>"$WORK/mixed.jsonl"
echo 'this is not json' >>"$WORK/mixed.jsonl"
sed -n 2p "$EXAMPLES/reports.jsonl" | sed 's/cc-2026-0102/mixed-4/; s/CC-0102/MIXED-4/' >>"$WORK/mixed.jsonl"
rc=0
"$HIRS" submit "$WORK/mixed.jsonl" >"$WORK/mixed.out" 2>"$WORK/mixed.err" || rc=$?
[ "$rc" -eq 1 ] || fail "mixed file exited $rc, want 1"
grep -q '^line 2	error	INVALID_ARGUMENT.*report.motivations' "$WORK/mixed.out" || fail "line 2: $(cat "$WORK/mixed.out")"
grep -q '^line 3	error	not a report in JSON' "$WORK/mixed.out" || fail "line 3: $(cat "$WORK/mixed.out")"
grep -q '^line 4	rpt_' "$WORK/mixed.out" || fail "line 4 not stored: $(cat "$WORK/mixed.out")"
grep -q 'failed 2' "$WORK/mixed.err" || fail "summary: $(cat "$WORK/mixed.err")"

# Failures: wrong role, bad token, unreachable server, bad usage.
rc=0; "$HIRS" --token="$POLICE_TOKEN" submit "$EXAMPLES/report.json" 2>"$WORK/denied.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q PERMISSION_DENIED "$WORK/denied.err" || fail "police submit: rc=$rc $(cat "$WORK/denied.err")"
rc=0; "$HIRS" --token=nope report get "$report_id" 2>"$WORK/unauth.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q UNAUTHENTICATED "$WORK/unauth.err" || fail "bad token: rc=$rc"
rc=0; "$HIRS" --server=127.0.0.1:1 --timeout_seconds=2 submit "$EXAMPLES/report.json" 2>/dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "unreachable server exited $rc, want 3"
rc=0; "$HIRS" frobnicate 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "bad usage exited $rc, want 2"
rc=0; "$HIRS" cases frobnicate 2>"$WORK/usage.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'hirs cases list' "$WORK/usage.err" || fail "bad cases usage: rc=$rc $(cat "$WORK/usage.err")"

# Help: the usage on standard output and exit 0, for the whole CLI and a group.
for args in "--help" "help" "-h" "cases --help" "help cases" "admin --help" "review -h"; do
  rc=0; "$HIRS" $args >"$WORK/help.out" 2>"$WORK/help.err" || rc=$?
  [ "$rc" -eq 0 ] && grep -q '^usage' "$WORK/help.out" || fail "hirs $args: rc=$rc $(cat "$WORK/help.out" "$WORK/help.err")"
done
"$HIRS" --help | grep -q '^  cases' || fail "hirs --help lists no groups"
"$HIRS" cases --help | grep -q 'hirs cases watch' || fail "hirs cases --help: $("$HIRS" cases --help)"
"$HIRS" help admin | grep -q 'hirs admin audit list' || fail "hirs help admin"
# Bash completion completes groups, a group's commands and flags.
"$HIRS" completion bash >"$WORK/hirs.bash" || fail "completion bash exited $?"
complete_words() { bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hirs; echo "${COMPREPLY[*]}"' _ "$WORK/hirs.bash" "$@"; }
[ "$(complete_words hirs ca)" = "cases" ] || fail "completion of 'hirs ca': $(complete_words hirs ca)"
complete_words hirs cases "" | grep -qw watch || fail "completion of 'hirs cases': $(complete_words hirs cases "")"
complete_words hirs cases list --out | grep -qw -- --output || fail "completion of --out"

# Restart on the same data: the report is still there, as received.
stop_hirsd
start_hirsd --summary_releases=every_change  # current figures for the report below
export HIRS_SERVER=$HIRSD_ADDR
"$HIRS" report get "$report_id" >"$WORK/get.json" || fail "report get after restart"
grep -q '"postcode": "le11 3ab"' "$WORK/get.json" || fail "report not as received: $(cat "$WORK/get.json")"
grep -q '"reporting_centre": "centre-a"' "$WORK/get.json" || fail "reporting centre"

# More October incidents in Charnwood, so that the district report has
# counts above the suppression threshold to chart.
python3 - >"$WORK/october.jsonl" <<'PY'
import json
names = ["Ravi Mistry", "Olga Nowak", "Tunde Bello", "Maryam Ali", "Jack Price", "Ioana Pop"]
for i, name in enumerate(names):
    print(json.dumps({"request_id": f"oct-{i}", "report": {
        "source_reference": f"OCT-{i}", "reporter_role": "VICTIM", "motivations": ["RACE"],
        "incident_types": ["VERBAL_ABUSE"], "occurred_start": f"2026-10-{5 + 3 * i:02d}T1{i}:00:00Z",
        "location": {"postcode": f"LE11 {i + 1}AA", "place_type": "STREET_OR_PUBLIC_PLACE"},
        "description": f"Shouted at in the street, incident {i}.", "victim": {"full_name": name},
        "consent": {"share_with_police": True}}}))
PY
"$HIRS" submit "$WORK/october.jsonl" >/dev/null 2>&1 || fail "october reports"

# The time before the police change anything, for the district's as_of.
sleep 1
BEFORE_POLICE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1

# Police: read, list, update (with etags), review queue, watch.
P=(--token="$POLICE_TOKEN")
"$HIRS" "${P[@]}" cases get "$case_id" >"$WORK/case.json" || fail "cases get exited $?"
grep -q "\"report_id\": \"$report_id\"" "$WORK/case.json" || fail "case: $(cat "$WORK/case.json")"
"$HIRS" "${P[@]}" cases reports "$case_id" --page_size=1 --all >"$WORK/reports.jsonl" || fail "cases reports exited $?"
grep -q "\"report_id\":\"$report_id\"" "$WORK/reports.jsonl" || fail "cases reports: $(cat "$WORK/reports.jsonl")"
etag=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["etag"])' "$WORK/case.json")
"$HIRS" "${P[@]}" cases list --filter='status = OPEN' --page_size=2 --all >"$WORK/list.jsonl" || fail "cases list"
[ "$(wc -l <"$WORK/list.jsonl")" -ge 4 ] || fail "cases list: $(cat "$WORK/list.jsonl")"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$WORK/list.jsonl" || fail "not JSON Lines"
# A table when asked, or on a terminal by default; JSON Lines when asked.
"$HIRS" "${P[@]}" cases list --output=table >"$WORK/table.out" || fail "cases list --output=table"
head -1 "$WORK/table.out" | grep -qE '^CASE +STATUS +DISTRICT +REPORTS' || fail "table: $(cat "$WORK/table.out")"
grep -qE "^$case_id +OPEN +E07000130 " "$WORK/table.out" || fail "table row: $(cat "$WORK/table.out")"
script -qec "$HIRS --server=$HIRSD_ADDR --token=$POLICE_TOKEN cases list" /dev/null >"$WORK/tty.out" || fail "on a tty"
grep -qE '^CASE +STATUS' "$WORK/tty.out" || fail "no table on a terminal: $(cat "$WORK/tty.out")"
script -qec "$HIRS --server=$HIRSD_ADDR --token=$POLICE_TOKEN cases list --output=json" /dev/null >"$WORK/tty.json"
grep -q '^{"case_id"' "$WORK/tty.json" || fail "--output=json on a terminal: $(cat "$WORK/tty.json")"
rc=0; "$HIRS" "${P[@]}" cases list --output=yaml 2>"$WORK/output.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'table or json' "$WORK/output.err" || fail "--output=yaml: rc=$rc"
"$HIRS" "${P[@]}" review list --output=table >"$WORK/review.table" || fail "review list --output=table"
head -1 "$WORK/review.table" | grep -qE '^REVIEW +REPORT' || fail "review table: $(cat "$WORK/review.table")"
"$HIRS" "${P[@]}" cases update "$case_id" --etag="$etag" --status=UNDER_INVESTIGATION >"$WORK/updated.json" \
  || fail "cases update exited $?"
grep -q UNDER_INVESTIGATION "$WORK/updated.json" || fail "update: $(cat "$WORK/updated.json")"
# The centre sees what became of its report: the case's police status.
"$HIRS" reports list --filter='status = UNDER_INVESTIGATION' --output=table >"$WORK/mine.table" \
  || fail "reports list exited $?"
head -1 "$WORK/mine.table" | grep -qE '^REPORT +RECEIVED +REFERENCE +CASE +STATUS' || fail "reports table: $(cat "$WORK/mine.table")"
grep -qE "^$report_id .* $case_id +UNDER_INVESTIGATION" "$WORK/mine.table" || fail "reports row: $(cat "$WORK/mine.table")"
"$HIRS" reports list --page_size=2 --all --output=json >"$WORK/mine.jsonl" || fail "reports list --all"
[ "$(wc -l <"$WORK/mine.jsonl")" -ge 10 ] || fail "reports list --all: $(wc -l <"$WORK/mine.jsonl") lines"
"$HIRS" reports list --updated_since="$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" --output=json >"$WORK/none.jsonl" \
  || fail "reports list --updated_since"
[ ! -s "$WORK/none.jsonl" ] || fail "changes from the future: $(cat "$WORK/none.jsonl")"
rc=0; "$HIRS" reports list --filter='district_code = "E07000130"' 2>"$WORK/filter.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'filter: at position 1' "$WORK/filter.err" || fail "bad filter: rc=$rc $(cat "$WORK/filter.err")"
"$HIRS" "${P[@]}" cases history "$case_id" --output=table >"$WORK/history.table" || fail "cases history exited $?"
sed -n 2p "$WORK/history.table" | grep -qE ' CASE_UPDATED +UNDER_INVESTIGATION' || fail "history: $(cat "$WORK/history.table")"
tail -1 "$WORK/history.table" | grep -q ' CASE_CREATED ' || fail "history ends with: $(tail -1 "$WORK/history.table")"
csv_report=$(grep -o 'rpt_[0-9A-Z]*' "$WORK/csv.out" | head -1)
# A centre corrects a report (a reason required, the etag as read): a new
# version; the version received stays readable.
"$HIRS" reports get "$csv_report" >"$WORK/current.json" || fail "reports get exited $?"
python3 - "$WORK/current.json" "$WORK/amended.json" <<'PY' || fail "amended report: $(cat "$WORK/current.json")"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("report_id", "reporting_centre", "received_at", "submitted_by", "progress", "etag", "versions"):
    r.pop(k, None)
r["description"] = r.get("description", "") + " (corrected)"
json.dump(r, open(sys.argv[2], "w"))
PY
report_etag=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["etag"])' "$WORK/current.json")
rc=0; "$HIRS" reports amend "$csv_report" "$WORK/amended.json" 2>"$WORK/amend.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'reason' "$WORK/amend.err" || fail "amend without a reason: rc=$rc $(cat "$WORK/amend.err")"
"$HIRS" reports amend "$csv_report" "$WORK/amended.json" --etag="$report_etag" --reason="description completed" \
  >"$WORK/amended.out" || fail "reports amend exited $?"
python3 - "$WORK/amended.out" <<'PY' || fail "amended: $(cat "$WORK/amended.out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["description"].endswith("(corrected)"), r["description"]
assert [v["version"] for v in r["versions"]] == [1, 2], r["versions"]
assert r["versions"][1]["changed_fields"] == ["description"], r["versions"]
PY
"$HIRS" reports get "$csv_report" --version=1 >"$WORK/first.json" || fail "reports get --version=1 exited $?"
! grep -q '(corrected)' "$WORK/first.json" || fail "the version received changed: $(cat "$WORK/first.json")"
rc=0; "$HIRS" reports amend "$csv_report" "$WORK/amended.json" --etag="$report_etag" --reason=again 2>"$WORK/amend.err" \
  || rc=$?
[ "$rc" -eq 1 ] && grep -q ABORTED "$WORK/amend.err" || fail "amend on a stale etag: rc=$rc $(cat "$WORK/amend.err")"
# A centre changes the victim's consent (only the flag given) and withdraws
# a report (a reason required).
"$HIRS" reports consent "$csv_report" --share_with_police=false --reason="the victim asked" >"$WORK/consent.json" \
  || fail "reports consent exited $?"
python3 - "$WORK/consent.json" <<'PY' || fail "consent: $(cat "$WORK/consent.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert not r["consent"].get("share_with_police"), r["consent"]
assert r["consent_changes"][0]["before"]["share_with_police"], r["consent_changes"]
assert r["consent"].get("contact_victim") == r["consent_changes"][0]["before"].get("contact_victim"), r["consent"]
PY
rc=0; "$HIRS" reports consent "$csv_report" --anonymous=maybe --reason=x 2>"$WORK/consent.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'anonymous must be true or false' "$WORK/consent.err" || fail "bad flag: rc=$rc"
rc=0; "$HIRS" reports withdraw "$csv_report" 2>"$WORK/withdraw.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'reason' "$WORK/withdraw.err" || fail "withdraw without a reason: rc=$rc $(cat "$WORK/withdraw.err")"
"$HIRS" reports withdraw "$csv_report" --reason="entered twice" >"$WORK/withdrawn.json" || fail "reports withdraw exited $?"
"$HIRS" reports get "$csv_report" | grep -q '"reason": "entered twice"' || fail "no tombstone: $("$HIRS" reports get "$csv_report")"
rc=0; "$HIRS" "${P[@]}" cases update "$case_id" --etag="$etag" --status=CLOSED 2>"$WORK/stale.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q ABORTED "$WORK/stale.err" || fail "stale etag: rc=$rc $(cat "$WORK/stale.err")"
rc=0; "$HIRS" "${P[@]}" cases list --filter='colour = red' 2>"$WORK/filter.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'filter: at position 1: unknown field' "$WORK/filter.err" || fail "bad filter: $(cat "$WORK/filter.err")"
"$HIRS" "${P[@]}" review list >/dev/null || fail "review list exited $?"
rc=0; timeout 3 "$HIRS" "${P[@]}" cases watch >"$WORK/watch.jsonl" || rc=$?
[ "$rc" -eq 124 ] || fail "watch ended by itself (rc=$rc)"
grep -q '"kind":"CASE_UPDATED"' "$WORK/watch.jsonl" || fail "watch: $(head -3 "$WORK/watch.jsonl")"
# The centre follows its own reports: the police's update reached them, and
# a withdrawal; from a cursor, nothing before it.
rc=0; timeout 3 "$HIRS" reports watch --filter='status = UNDER_INVESTIGATION' >"$WORK/mine-watch.jsonl" || rc=$?
[ "$rc" -eq 124 ] || fail "reports watch ended by itself (rc=$rc)"
grep -q '"kind":"CASE_UPDATED"' "$WORK/mine-watch.jsonl" && grep -q '"case_status":"UNDER_INVESTIGATION"' "$WORK/mine-watch.jsonl" \
  || fail "reports watch: $(head -3 "$WORK/mine-watch.jsonl")"
last_cursor=$(tail -1 "$WORK/mine-watch.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cursor"])')
rc=0; timeout 2 "$HIRS" reports watch --filter='status = UNDER_INVESTIGATION' --from_cursor="$last_cursor" >"$WORK/after.jsonl" || rc=$?
[ "$rc" -eq 124 ] && [ ! -s "$WORK/after.jsonl" ] || fail "reports watch from the last cursor: rc=$rc $(head -2 "$WORK/after.jsonl")"

# Districts: October's extract as CSV read by Python's csv module, as JSON
# Lines, as it stood before the police update; another district refused;
# the HTML report rendered by headless Chromium, screenshot and text checked.
D=(--token="$DISTRICT_TOKEN")
"$HIRS" "${D[@]}" extract --district E07000130 --month 2026-10 --format csv -o "$WORK/extract.csv" \
  || fail "extract csv exited $?"
python3 - "$WORK/extract.csv" <<'PY' || fail "extract csv: $(cat "$WORK/extract.csv")"
import csv, sys
raw = open(sys.argv[1], newline="", encoding="utf-8").read()
assert raw.endswith("\r\n"), "RFC 4180 lines end CRLF"
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
assert len(rows) >= 1, rows
for r in rows:
    assert r["district_code"] == "E07000130" and r["month"] == "2026-10", r
    assert len(r["case_ref"]) == 16 and r["postcode_sector"].startswith("LE"), r
    assert r["change"] == "NEW", r
assert any(r["motivation_race"] == "1" for r in rows)
assert sum(r["status"] == "UNDER_INVESTIGATION" for r in rows) == 1, [r["status"] for r in rows]
without_refs = raw
for r in rows:  # random-looking hex: could hold a short string by chance
    without_refs = without_refs.replace(r["case_ref"], "")
for secret in ("Amina", "1990-04-12", "headscarf", "LE11 2XY", "3AB", "Near the bus stop"):
    assert secret not in without_refs, secret
PY
"$HIRS" "${D[@]}" extract --district E07000130 --month 2026-10 --format jsonl >"$WORK/extract.jsonl" \
  || fail "extract jsonl exited $?"
grep -q '"change": *"UNCHANGED"' "$WORK/extract.jsonl" || fail "second pull: $(head -2 "$WORK/extract.jsonl")"
"$HIRS" "${D[@]}" extract --district E07000130 --month 2026-10 --as-of "$BEFORE_POLICE" -o "$WORK/before.csv" \
  || fail "extract --as-of exited $?"
grep -q UNDER_INVESTIGATION "$WORK/before.csv" && fail "as_of shows a later status change"
[ "$(wc -l <"$WORK/before.csv")" -eq "$(wc -l <"$WORK/extract.csv")" ] || fail "as_of: other rows"
rc=0; "$HIRS" --token="$RUTLAND_TOKEN" extract --district E07000130 --month 2026-10 -o "$WORK/refused.csv" \
  2>"$WORK/refused.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q PERMISSION_DENIED "$WORK/refused.err" || fail "other district: rc=$rc"
[ ! -e "$WORK/refused.csv" ] || fail "a refused extract left a file"
rc=0; "$HIRS" "${D[@]}" extract --district E07000130 --month 2026-1 2>"$WORK/month.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'month: "2026-1" is not a month' "$WORK/month.err" || fail "bad month: $(cat "$WORK/month.err")"
"$HIRS" "${D[@]}" extract report --district E07000130 --month 2026-10 -o "$WORK/report.html" \
  || fail "extract report exited $?"
grep -q '<svg' "$WORK/report.html" || fail "report without charts"
if grep -Eq '(src|href)="(https?:)?//' "$WORK/report.html"; then fail "report loads external assets"; fi
CHROMIUM=$(command -v chromium || command -v chromium-browser) || fail "chromium is not installed (deploy/install-deps.sh --tests)"
CHROME_FLAGS=(--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$WORK/chromium")
timeout 60 "$CHROMIUM" "${CHROME_FLAGS[@]}" --window-size=1000,1800 --screenshot="$WORK/report.png" \
  "file://$WORK/report.html" >/dev/null 2>&1 || fail "chromium screenshot failed"
timeout 60 "$CHROMIUM" "${CHROME_FLAGS[@]}" --dump-dom "file://$WORK/report.html" >"$WORK/report.dom" 2>/dev/null \
  || fail "chromium dump-dom failed"
python3 "$(dirname "$0")/report_render_check.py" "$WORK/report.png" "$WORK/report.dom" \
  "Hate incidents in Charnwood" "October 2026" "Cases this month" "12-month trend by motivation" \
  "Type of incident" "Type of place" "suppressed" || fail "rendered report"

# Administration: a new centre's issued token works at once and stops when
# revoked; the audit chain verifies and lists the police's reads of the
# case; a retention dry run reports what it would remove.
A=(--token="$ADMIN_TOKEN")
"$HIRS" "${A[@]}" admin principals create centre-new --role=REPORTING_CENTRE --scope=centre-new \
  --display_name="Melton Library" >"$WORK/created.json" || fail "admin principals create exited $?"
grep -q '"source": *"store"' "$WORK/created.json" || fail "created: $(cat "$WORK/created.json")"
new_token=$("$HIRS" "${A[@]}" admin token issue centre-new | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
[ -n "$new_token" ] || fail "no token issued"
"$HIRS" --token="$new_token" submit "$EXAMPLES/report.json" >/dev/null || fail "the issued token was refused"
"$HIRS" "${A[@]}" admin token revoke centre-new >/dev/null || fail "admin token revoke exited $?"
rc=0; "$HIRS" --token="$new_token" report get "$report_id" 2>"$WORK/revoked.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q UNAUTHENTICATED "$WORK/revoked.err" || fail "revoked token: rc $rc $(cat "$WORK/revoked.err")"
"$HIRS" "${A[@]}" admin principals list | grep -q '"centre-new"' || fail "principals list"
"$HIRS" "${A[@]}" admin principals list --output=table | grep -qE '^centre-new +REPORTING_CENTRE +centre-new ' \
  || fail "principals table: $("$HIRS" "${A[@]}" admin principals list --output=table)"
"$HIRS" "${A[@]}" admin audit list --output=table >"$WORK/audit.table" || fail "audit list --output=table"
head -1 "$WORK/audit.table" | grep -qE '^SEQUENCE +TIME +PRINCIPAL +METHOD' || fail "audit table: $(cat "$WORK/audit.table")"
"$HIRS" "${A[@]}" admin audit verify >"$WORK/verify.json" 2>"$WORK/verify.err" || fail "audit verify: $(cat "$WORK/verify.err")"
grep -q "audit chain intact" "$WORK/verify.err" || fail "audit verify: $(cat "$WORK/verify.err")"
"$HIRS" "${A[@]}" admin audit list --case_id="$case_id" --all >"$WORK/audit.jsonl" || fail "audit list exited $?"
grep -q '"hirs.v1.CaseService/GetCase"' "$WORK/audit.jsonl" || fail "no GetCase of $case_id in: $(cat "$WORK/audit.jsonl")"
grep -q '"police"' "$WORK/audit.jsonl" || fail "the police's read is not attributed"
"$HIRS" "${A[@]}" admin retention run --dry_run >/dev/null || fail "retention dry run exited $?"
rc=0; "$HIRS" "${P[@]}" admin audit verify 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "police may not verify the audit chain (rc $rc)"

# A compaction of the store while it serves; the report still reads back.
"$HIRS" "${A[@]}" admin store compact >"$WORK/compact.json" || fail "admin store compact exited $?"
grep -q '"size_bytes_after"' "$WORK/compact.json" || fail "compact: $(cat "$WORK/compact.json")"
"$HIRS" report get "$report_id" | grep -q "\"$report_id\"" || fail "report missing after the compaction"
"$HIRS" "${A[@]}" admin audit list --principal_id=admin --all | grep -q '"hirs.v1.AdminService/CompactStore"' \
  || fail "the compaction is not audited"

# Backups: one taken while serving, listed and verified, then restored
# offline into a new data directory, where a second hirsd serves the report.
"$HIRS" "${A[@]}" admin backup create >"$WORK/backup.json" || fail "admin backup create exited $?"
backup_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["backup_id"])' "$WORK/backup.json")
"$HIRS" "${A[@]}" admin backup list | grep -q "\"backup_id\": *$backup_id" || fail "backup list"
"$HIRS" "${A[@]}" admin backup verify "$backup_id" | grep -q '"verified": *true' || fail "backup verify"
"$HIRSD" --data_dir="$WORK/restored" --restore_from="$WORK/data/backups" >"$WORK/restore.out" 2>>"$WORK/hirsd.log" \
  || fail "hirsd --restore_from exited $?"
grep -q "restored backup $backup_id" "$WORK/restore.out" || fail "restore: $(cat "$WORK/restore.out")"
rc=0; "$HIRSD" --data_dir="$WORK/restored" --restore_from="$WORK/data/backups" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a restore over a store must be refused (rc $rc)"
cp "$WORK/data/hmac.key" "$WORK/restored/hmac.key"
stop_hirsd
HIRSD_DATA=$WORK/restored start_hirsd
"$HIRS" --server="$HIRSD_ADDR" report get "$report_id" | grep -q "\"$report_id\"" || fail "report missing after restore"

# No personal data or description text in the server's log.
for secret in "Amina Example" "1990-04-12" "headscarf" "Sam Example" "LE11 2XY"; do
  if grep -q "$secret" "$WORK/hirsd.log"; then fail "personal data \"$secret\" in the hirsd log"; fi
done
stop_hirsd
echo "cli: ok"
