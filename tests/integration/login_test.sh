#!/usr/bin/env bash
# A person with the real binaries: an administrator creates them with
# `hirs admin people create`, they `hirs login` with the one-time password
# and their authenticator's code (computed here per RFC 6238) and choose a
# password; the session file is theirs alone (0600); commands then work
# without a token, as the person; `hirs logout` ends it. A second person's
# first login has no code: the terminal sets up their second factor.
# Usage: login_test.sh HIRSD HIRS EXAMPLES_DIR
set -euo pipefail
HIRSD=$1
HIRS=$2
EXAMPLES=$3
WORK=$(mktemp -d)
trap 'kill "${HIRSD_PID:-}" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
source "$(dirname "$0")/../lib/hirsd_harness.sh"
fail() { echo "FAIL: $*"; exit 1; }

start_hirsd
export HIRS_SERVER=$HIRSD_ADDR XDG_CONFIG_HOME=$WORK/config
unset HIRS_TOKEN

"$HIRS" --token="$ADMIN_TOKEN" admin people create jo.bloggs --role=REPORTING_CENTRE --scope=centre-a \
  --display_name="Jo Bloggs" --email=jo.bloggs@example.org >"$WORK/created.json" || fail "people create"
read -r one_time uri < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["one_time_password"], d["second_factor"]["totp_uri"])' "$WORK/created.json" 2>/dev/null ||
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["oneTimePassword"], d["secondFactor"]["totpUri"])' "$WORK/created.json")
# totp URI [STEPS_AHEAD]: the RFC 6238 code of the URI's secret now (or
# that many 30-second steps ahead).
totp() {
  python3 - "$1" "${2:-0}" <<'PY'
import base64, hashlib, hmac, struct, sys, time, urllib.parse
secret = urllib.parse.parse_qs(urllib.parse.urlparse(sys.argv[1]).query)["secret"][0]
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + int(sys.argv[2])), hashlib.sha1).digest()
offset = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7fffffff) % 1000000))
PY
}
code=$(totp "$uri")
printf '%s\n%s\n%s\n%s\n%s\n' jo.bloggs@example.org "$one_time" "$code" "tea at the clock tower" \
  "tea at the clock tower" | "$HIRS" login 2>"$WORK/login.err" || fail "login: $(cat "$WORK/login.err")"
grep -q 'signed in as jo.bloggs' "$WORK/login.err" || fail "login said: $(cat "$WORK/login.err")"
grep -q 'password changed' "$WORK/login.err" || fail "login said: $(cat "$WORK/login.err")"
[ "$(stat -c %a "$XDG_CONFIG_HOME/hirs/session")" = 600 ] || fail "session file mode $(stat -c %a "$XDG_CONFIG_HOME/hirs/session")"
[ "$(stat -c %a "$XDG_CONFIG_HOME/hirs")" = 700 ] || fail "session directory mode"

"$HIRS" submit "$EXAMPLES/report.json" >"$WORK/one.out" || fail "submit with the session exited $?"
report_id=$(awk '/^report/ {print $2}' "$WORK/one.out")
"$HIRS" report get "$report_id" >"$WORK/report.json" || fail "report get"
grep -q '"submitted_by": *"jo.bloggs"\|"submittedBy": *"jo.bloggs"' "$WORK/report.json" || fail "provenance: $(cat "$WORK/report.json")"
"$HIRS" --token="$ADMIN_TOKEN" admin audit list --principal_id=jo.bloggs --output=json >"$WORK/audit.jsonl"
grep -q 'SessionService/SignIn' "$WORK/audit.jsonl" || fail "audit: $(cat "$WORK/audit.jsonl")"
grep -q 'ReportingService/SubmitReport' "$WORK/audit.jsonl" || fail "audit: $(cat "$WORK/audit.jsonl")"

"$HIRS" logout 2>/dev/null || fail "logout"
[ ! -e "$XDG_CONFIG_HOME/hirs/session" ] || fail "the session file stayed"
rc=0
"$HIRS" report get "$report_id" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "after logout: exit $rc"
# A first sign-in with no code: the terminal shows the otpauth:// URI to add
# to an authenticator app and takes a code from it, then a new password.
"$HIRS" --token="$ADMIN_TOKEN" admin people create sam.smith --role=REPORTING_CENTRE --scope=centre-a \
  --display_name="Sam Smith" --email=sam.smith@example.org >"$WORK/sam.json" || fail "people create sam"
read -r sam_once sam_uri < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
otp = d.get("one_time_password") or d["oneTimePassword"]; f = d.get("second_factor") or d["secondFactor"]
print(otp, f.get("totp_uri") or f["totpUri"])' "$WORK/sam.json")
printf '%s\n%s\n\n%s\n%s\n%s\n' sam.smith "$sam_once" "$(totp "$sam_uri")" "a quiet walk in bradgate park" \
  "a quiet walk in bradgate park" | "$HIRS" login 2>"$WORK/sam.err" || fail "first login: $(cat "$WORK/sam.err")"
grep -q 'otpauth://totp/hirs:sam.smith' "$WORK/sam.err" || fail "no enrolment URI: $(cat "$WORK/sam.err")"
grep -q 'second factor set up' "$WORK/sam.err" || fail "not set up: $(cat "$WORK/sam.err")"
grep -q 'password changed' "$WORK/sam.err" || fail "no new password: $(cat "$WORK/sam.err")"
"$HIRS" report get "$report_id" >/dev/null || fail "sam (centre-a) cannot read the centre's report"
"$HIRS" logout 2>/dev/null || fail "sam's logout"
# From now on a code is needed.
rc=0
printf '%s\n%s\n\n' sam.smith "a quiet walk in bradgate park" | "$HIRS" login 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "signed in without a code after setting one up"
stop_hirsd
echo "login_test: ok"
