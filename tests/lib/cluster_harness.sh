# Shell helpers for scripts that run replicated hirsd: three etcd members
# and three hirsd replicas (--replication=etcd) on loopback ports. Source
# it after tests/lib/hirsd_harness.sh (WORK, HIRSD, principals); it starts
# the etcd members at once and defines:
#   start_replica I   starts replica I (0-2), pid in RP[I], ports GP/HP/KP/MP[I]
#                     (gRPC, HTTP, health, metrics)
#   leader            the index of the replica that leads (waits 10 s), or -1
#   ready I, health I whether replica I is ready on HTTP; its grpc.health.v1
# ALL lists every replica's gRPC address (HIRS_SERVER=$ALL finds the
# leader). Every process started is in PIDS (kill them at exit).
# REPLICA_FLAGS (an array) are added to every replica's command line;
# ETCD_DATA_ROOT (default $WORK) holds the etcd members' data.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# etcd: three members.
for i in 0 1 2; do EC[$i]=$(port); EP[$i]=$(port); done
CLUSTER="m0=http://127.0.0.1:${EP[0]},m1=http://127.0.0.1:${EP[1]},m2=http://127.0.0.1:${EP[2]}"
for i in 0 1 2; do
  etcd --name "m$i" --data-dir "${ETCD_DATA_ROOT:-$WORK}/etcd$i" --listen-client-urls "http://127.0.0.1:${EC[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${EC[$i]}" --listen-peer-urls "http://127.0.0.1:${EP[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${EP[$i]}" --initial-cluster "$CLUSTER" \
    --heartbeat-interval 50 --election-timeout 500 --logger zap --log-outputs "$WORK/etcd$i.log" &
  PIDS+=($!)
done
ENDPOINTS="http://127.0.0.1:${EC[0]},http://127.0.0.1:${EC[1]},http://127.0.0.1:${EC[2]}"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:${EC[0]}/health" | grep -q true && break; sleep 0.1; done

openssl rand -hex 32 >"$WORK/hmac.key"
for i in 0 1 2; do GP[$i]=$(port); HP[$i]=$(port); KP[$i]=$(port); MP[$i]=$(port); done
start_replica() {
  "$HIRSD" --listen="127.0.0.1:${GP[$1]}" --http_listen="127.0.0.1:${HP[$1]}" --health_listen="127.0.0.1:${KP[$1]}" \
    --metrics_listen="127.0.0.1:${MP[$1]}" --data_dir="$WORK/d$1" \
    --principals="$WORK/principals.json" --hmac_key_file="$WORK/hmac.key" --replication=etcd \
    --etcd_endpoints="$ENDPOINTS" --replica_id="r$1" --advertise="127.0.0.1:${GP[$1]}" --cluster=test \
    "${REPLICA_FLAGS[@]}" >>"$WORK/h$1.out" 2>>"$WORK/h$1.log" &
  RP[$1]=$!
  PIDS+=($!)
}
# grpc.health.v1 on replica $1's health port: SERVING, NOT_SERVING or the error.
health() {
  /usr/bin/python3 - "127.0.0.1:${KP[$1]}" <<'PY'  # Debian's, with python3-grpcio
import sys, grpc
check = grpc.insecure_channel(sys.argv[1]).unary_unary(
    "/grpc.health.v1.Health/Check", request_serializer=lambda m: m, response_deserializer=lambda b: b)
try:
    answer = check(b"", timeout=2)  # HealthCheckRequest{}; the answer's field 1 is the status
    print({b"\x08\x01": "SERVING", b"\x08\x02": "NOT_SERVING"}.get(answer, answer.hex()))
except grpc.RpcError as e:
    print(e.code().name)
PY
}
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${HP[$1]}/readyz")" = 200 ]; }
# The replica that is ready (leads), else -1; waits up to 10 s.
leader() {
  for _ in $(seq 1 100); do
    for i in 0 1 2; do
      if [ -n "${RP[$i]:-}" ] && kill -0 "${RP[$i]}" 2>/dev/null && ready "$i"; then echo "$i"; return; fi
    done
    sleep 0.1
  done
  echo -1
}
ALL="127.0.0.1:${GP[0]},127.0.0.1:${GP[1]},127.0.0.1:${GP[2]}"
