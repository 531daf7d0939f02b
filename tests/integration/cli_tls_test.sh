#!/usr/bin/env bash
# The hirs CLI over TLS and mutual TLS against the real hirsd binary, with
# certificates from deploy/dev-certs.sh: an administrator's client
# certificate alone authenticates it; without a certificate the handshake
# is refused; a token over TLS works where certificates are optional.
# Usage: cli_tls_test.sh HIRSD HIRS DEPLOY_DIR
set -euo pipefail
HIRSD=$1
HIRS=$2
DEPLOY=$3
WORK=$(mktemp -d)
trap 'kill "${HIRSD_PID:-}" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
# Only what this test passes: no token or certificate from the environment.
unset HIRS_TOKEN HIRS_SERVER HIRS_CA_FILE HIRS_CERT_FILE HIRS_KEY_FILE
fail() { echo "FAIL: $*"; [ -f "$WORK/hirsd.log" ] && tail -5 "$WORK/hirsd.log"; exit 1; }
source "$(dirname "$0")/../lib/hirsd_harness.sh"

"$DEPLOY/dev-certs.sh" "$WORK/certs" admin >/dev/null
C=$WORK/certs
# The admin principal is also known by its certificate name.
sed -i 's|{"id": "admin", "role": "ADMIN",|{"id": "admin", "role": "ADMIN", "cert_names": ["hirs:principal:admin"],|' \
  "$WORK/principals.json"

start_tls() {  # extra hirsd flags
  start_hirsd --tls_cert_file="$C/server.pem" --tls_key_file="$C/server.key" --tls_client_ca_file="$C/ca.pem" "$@" \
    || fail "hirsd with TLS did not start"
  # The certificate names localhost; dial it by that name.
  export HIRS_SERVER=localhost:${HIRSD_ADDR##*:}
}

start_tls --tls_require_client_cert
MTLS=(--ca_file="$C/ca.pem" --cert_file="$C/client-admin.pem" --key_file="$C/client-admin.key")
"$HIRS" "${MTLS[@]}" admin principals list >"$WORK/list.json" || fail "mutual TLS admin call exited $?"
grep -q '"admin"' "$WORK/list.json" || fail "principals list: $(cat "$WORK/list.json")"
rc=0; "$HIRS" --ca_file="$C/ca.pem" --token="$ADMIN_TOKEN" --timeout_seconds=5 admin principals list \
  >/dev/null 2>"$WORK/nocert.err" || rc=$?
[ "$rc" -eq 3 ] || fail "no client certificate with --tls_require_client_cert: rc $rc $(cat "$WORK/nocert.err")"
rc=0; "$HIRS" --token="$ADMIN_TOKEN" --timeout_seconds=5 admin principals list >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 3 ] || fail "plaintext to a TLS port: rc $rc"
stop_hirsd

# Certificates optional: a bearer token over TLS authenticates.
start_tls
"$HIRS" --ca_file="$C/ca.pem" --token="$CENTRE_TOKEN" submit "$(dirname "$0")/../../deploy/examples/report.json" \
  >/dev/null || fail "token over TLS exited $?"
stop_hirsd
echo "cli tls: ok"
