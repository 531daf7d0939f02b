#!/usr/bin/env bash
# Installs what is missing, builds hirsd and hirs (Release), creates a demo
# configuration on first run, and starts hirsd with an embedded RocksDB
# store: gRPC on 127.0.0.1:50051, HTTP/JSON and the web pages on
# 127.0.0.1:8080. Creates demo people on first run (one per kind of user) and
# prints tokens, how to sign in as the people, and first commands to try.
#
#   deploy/run.sh               start in the background (stop: deploy/run.sh stop)
#   deploy/run.sh --foreground  run in the foreground (Ctrl-C stops it cleanly)
#   deploy/run.sh stop
#
# DEMO ONLY: plaintext gRPC and HTTP on the loopback interface, demo tokens kept in
# $HIRS_DEMO_DIR/tokens.txt. Production needs TLS and real secrets.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO=${HIRS_DEMO_DIR:-$ROOT/.hirs-demo}
BUILD=${HIRS_RELEASE_BUILD_DIR:-$ROOT/build-release}
LISTEN=127.0.0.1:50051
HTTP_LISTEN=127.0.0.1:8080
PIDFILE=$DEMO/hirsd.pid

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

stop() {
  if running; then
    local pid; pid=$(cat "$PIDFILE")
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "hirsd (pid $pid) stopped"
  fi
  rm -f "$PIDFILE"
}

if [ "${1:-}" = "stop" ]; then stop; exit 0; fi

deploy/install-deps.sh
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j2 --target hirsd hirs
HIRSD=$BUILD/services/server/hirsd
HIRS=$BUILD/clients/cli/hirs

# Demo configuration, created once and kept across runs.
mkdir -p "$DEMO/data"
chmod 700 "$DEMO"
if [ ! -f "$DEMO/tokens.txt" ]; then
  umask 077
  : >"$DEMO/tokens.txt"
  entries=()
  add() {  # id role scope
    local token; token=$(openssl rand -hex 24)
    echo "$1 $token" >>"$DEMO/tokens.txt"
    entries+=("{\"id\": \"$1\", \"role\": \"$2\", \"scope\": \"$3\", \"token_sha256\": \"$(printf %s "$token" | sha256sum | cut -d' ' -f1)\"}")
  }
  add centre-loughborough-library REPORTING_CENTRE centre-loughborough-library
  add police-leicestershire POLICE E23000021
  add district-charnwood DISTRICT E07000130
  add district-blaby DISTRICT E07000129
  add admin ADMIN ""
  (IFS=,; echo "{\"principals\": [${entries[*]}]}") >"$DEMO/principals.json"
  openssl rand -hex 32 >"$DEMO/hmac.key"
  cat >"$DEMO/config.json" <<JSON
{
  "listen": "$LISTEN",
  "data_dir": "$DEMO/data",
  "principals_file": "$DEMO/principals.json",
  "hmac_key_file": "$DEMO/hmac.key",
  "sync_writes": true
}
JSON
  umask 022
fi
# Demo directories made before POLICE scopes were force area codes.
sed -i 's/"role": "POLICE", "scope": "leicestershire"/"role": "POLICE", "scope": "E23000021"/' "$DEMO/principals.json"

stop
token_of() { awk -v id="$1" '$1 == id {print $2}' "$DEMO/tokens.txt"; }
# Once, with hirsd running: a person of each kind for the web pages, their
# one-time password and TOTP secret kept in $DEMO/people.txt (0600).
demo_people() {
  [ -f "$DEMO/people.txt" ] && return 0
  umask 077
  : >"$DEMO/people.txt.new"
  while read -r id role scope name; do
    HIRS_SERVER=$LISTEN HIRS_TOKEN=$(token_of admin) "$HIRS" admin people create "$id" --role="$role" \
      --scope="$scope" --display_name="$name" --email="$id@example.org" >"$DEMO/person.json"
    python3 -c 'import json, sys, urllib.parse
d = json.load(open(sys.argv[1])); otp = d.get("one_time_password") or d["oneTimePassword"]
f = d.get("second_factor") or d["secondFactor"]; uri = f.get("totp_uri") or f["totpUri"]
print(sys.argv[2], otp, urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0])' \
      "$DEMO/person.json" "$id" >>"$DEMO/people.txt.new"
  done <<PEOPLE
demo.centre REPORTING_CENTRE centre-loughborough-library Sam (Loughborough Library)
demo.police POLICE E23000021 Alex (Leicestershire Police)
demo.district DISTRICT E07000130 Jo (Charnwood Borough Council)
PEOPLE
  rm -f "$DEMO/person.json"
  mv "$DEMO/people.txt.new" "$DEMO/people.txt"
  umask 022
}
people_banner() {
  [ -f "$DEMO/people.txt" ] || return 0
  cat <<TXT

Web pages: http://$HTTP_LISTEN/  (sign in as a person with the code below, or with no code to set up an
authenticator app on the page; the first sign-in then asks for a new password)
$(while read -r id otp secret; do
    echo "  $id   one-time password: $otp   code: oathtool --totp -b $secret"
  done <"$DEMO/people.txt")
  (or add otpauth://totp/hirs:ID?secret=SECRET to an authenticator app)
TXT
}
banner() {
  cat <<TXT

hirsd is serving gRPC on $LISTEN and HTTP/JSON on http://$HTTP_LISTEN
(plaintext, loopback only: a demo, not production).
Data: $DEMO/data   Log: $DEMO/hirsd.log   Config: $DEMO/config.json

Tokens (also in $DEMO/tokens.txt):
$(sed 's/^/  /' "$DEMO/tokens.txt")

Try it:
  export HIRS_SERVER=$LISTEN HIRS_TOKEN=$(token_of centre-loughborough-library)
  $HIRS help                                   # the command groups; hirs help cases, ...
  $HIRS submit deploy/examples/report.json
  $HIRS submit deploy/examples/reports.jsonl
  $HIRS submit --csv deploy/examples/reports.csv
  $HIRS reports get <report id printed above>
  HIRS_TOKEN=$(token_of district-charnwood) $HIRS extract --district E07000130 --month 2026-10 --format csv
  HIRS_TOKEN=$(token_of district-charnwood) $HIRS extract report --district E07000130 --month 2026-10 -o report.html
  HIRS_TOKEN=$(token_of admin) $HIRS admin audit verify
  HIRS_TOKEN=$(token_of admin) $HIRS admin audit list --principal_id=centre-loughborough-library

Over HTTP/JSON (the routes: http://$HTTP_LISTEN/v1/openapi.json):
  curl -X POST http://$HTTP_LISTEN/v1/reports -H "Authorization: Bearer $(token_of centre-loughborough-library)" \\
       -H 'Content-Type: application/json' --data @deploy/examples/report.json
  curl http://$HTTP_LISTEN/v1/cases -H "Authorization: Bearer $(token_of police-leicestershire)"
  curl http://$HTTP_LISTEN/v1/districts/E07000130/months/2026-10/summary -H "Authorization: Bearer $(token_of district-charnwood)"
  curl -N http://$HTTP_LISTEN/v1/cases:watch -H "Authorization: Bearer $(token_of police-leicestershire)"

Stop it with: deploy/run.sh stop
TXT
}

if [ "${1:-}" = "--foreground" ]; then
  banner
  people_banner
  exec "$HIRSD" --config="$DEMO/config.json" --http_listen="$HTTP_LISTEN"
fi
nohup "$HIRSD" --config="$DEMO/config.json" --http_listen="$HTTP_LISTEN" >"$DEMO/hirsd.out" 2>>"$DEMO/hirsd.log" &
echo $! >"$PIDFILE"
for _ in $(seq 1 100); do
  grep -q '^listening on' "$DEMO/hirsd.out" 2>/dev/null && break
  if ! running; then echo "hirsd failed to start:"; tail -20 "$DEMO/hirsd.log"; exit 1; fi
  sleep 0.1
done
grep -q '^listening on' "$DEMO/hirsd.out" || { echo "hirsd did not start in 10 s"; tail -20 "$DEMO/hirsd.log"; exit 1; }
demo_people
banner
people_banner
