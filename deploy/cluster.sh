#!/usr/bin/env bash
# A replicated hirs on this machine, for trying failover by hand: three etcd
# members and three hirsd replicas (--replication=etcd) on loopback, etcd
# reached over TLS with client certificates (deploy/dev-certs.sh).
#
#   deploy/cluster.sh          build (Release), start, and print how to reach it
#   deploy/cluster.sh status   which replica leads
#   deploy/cluster.sh stop
#
# Replica i (0-2): gRPC 127.0.0.1:5006<i>, HTTP 127.0.0.1:809<i>; etcd
# member i: clients https://127.0.0.1:2379<i>, peers 127.0.0.1:2389<i>.
# Try: kill -9 the leader's pid (status prints it) and watch another lead.
# DEMO ONLY: certificates and tokens sit in $HIRS_CLUSTER_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${HIRS_CLUSTER_DIR:-$ROOT/.hirs-cluster}
BUILD=${HIRS_RELEASE_BUILD_DIR:-$ROOT/build-release}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop() {
  for f in "$DIR"/hirsd*.pid "$DIR"/etcd*.pid; do
    [ -e "$f" ] || continue
    if alive "$f"; then kill -TERM "$(cat "$f")"; fi
    rm -f "$f"
  done
  echo "cluster stopped"
}

status() {
  for i in 0 1 2; do
    local state="down"
    if alive "$DIR/hirsd$i.pid"; then
      state=$([ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:809$i/readyz")" = 200 ] && echo leader || echo follower)
    fi
    echo "replica r$i  pid $(cat "$DIR/hirsd$i.pid" 2>/dev/null || echo -)  gRPC 127.0.0.1:5006$i  HTTP http://127.0.0.1:809$i  $state"
  done
}

case "${1:-start}" in
  stop) stop; exit 0 ;;
  status) status; exit 0 ;;
  start) ;;
  *) echo "usage: deploy/cluster.sh [start|status|stop]" >&2; exit 2 ;;
esac

deploy/install-deps.sh --cluster
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j2 --target hirsd hirs
mkdir -p "$DIR"
chmod 700 "$DIR"
[ -f "$DIR/tls/ca.pem" ] || deploy/dev-certs.sh "$DIR/tls" r0 r1 r2 >/dev/null
[ -f "$DIR/hmac.key" ] || (umask 077; openssl rand -hex 32 >"$DIR/hmac.key")
if [ ! -f "$DIR/tokens.txt" ]; then
  (umask 077
   centre=$(openssl rand -hex 24); admin=$(openssl rand -hex 24)
   printf 'centre-a %s\nadmin %s\n' "$centre" "$admin" >"$DIR/tokens.txt"
   sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
   printf '{"principals": [{"id": "centre-a", "role": "REPORTING_CENTRE", "scope": "centre-a", "token_sha256": "%s"},
  {"id": "admin", "role": "ADMIN", "token_sha256": "%s"}]}\n' "$(sha "$centre")" "$(sha "$admin")" >"$DIR/principals.json")
fi

TLS=$DIR/tls
PEERS="m0=http://127.0.0.1:23890,m1=http://127.0.0.1:23891,m2=http://127.0.0.1:23892"
for i in 0 1 2; do
  alive "$DIR/etcd$i.pid" && continue
  etcd --name "m$i" --data-dir "$DIR/etcd$i" --listen-client-urls "https://127.0.0.1:2379$i" \
    --advertise-client-urls "https://127.0.0.1:2379$i" --listen-peer-urls "http://127.0.0.1:2389$i" \
    --initial-advertise-peer-urls "http://127.0.0.1:2389$i" --initial-cluster "$PEERS" --initial-cluster-state new \
    --client-cert-auth --trusted-ca-file "$TLS/ca.pem" --cert-file "$TLS/server.pem" --key-file "$TLS/server.key" \
    --auto-compaction-mode revision --auto-compaction-retention 10000 --quota-backend-bytes $((4 << 30)) \
    --logger zap --log-outputs "$DIR/etcd$i.log" >/dev/null 2>&1 &
  echo $! >"$DIR/etcd$i.pid"
done
ENDPOINTS="https://127.0.0.1:23790,https://127.0.0.1:23791,https://127.0.0.1:23792"
for i in 0 1 2; do
  alive "$DIR/hirsd$i.pid" && continue
  "$BUILD/services/server/hirsd" --listen="127.0.0.1:5006$i" --http_listen="127.0.0.1:809$i" \
    --data_dir="$DIR/d$i" --principals="$DIR/principals.json" --hmac_key_file="$DIR/hmac.key" \
    --replication=etcd --etcd_endpoints="$ENDPOINTS" --etcd_ca_file="$TLS/ca.pem" \
    --etcd_cert_file="$TLS/client-r$i.pem" --etcd_key_file="$TLS/client-r$i.key" \
    --replica_id="r$i" --advertise="127.0.0.1:5006$i" --cluster=demo >>"$DIR/hirsd$i.out" 2>>"$DIR/hirsd$i.log" &
  echo $! >"$DIR/hirsd$i.pid"
done
for _ in $(seq 1 100); do status | grep -q leader && break; sleep 0.2; done
status
cat <<TEXT

Tokens in $DIR/tokens.txt. Try:
  export HIRS_SERVER=127.0.0.1:50060,127.0.0.1:50061,127.0.0.1:50062 HIRS_TOKEN=$(awk '/^centre-a/ {print $2}' "$DIR/tokens.txt")
  $BUILD/clients/cli/hirs submit deploy/examples/reports.jsonl
  deploy/cluster.sh status; kill -9 <the leader's pid>; deploy/cluster.sh status
  $BUILD/clients/cli/hirs reports list
Logs: $DIR/hirsd<i>.log, $DIR/etcd<i>.log. Stop: deploy/cluster.sh stop
TEXT
