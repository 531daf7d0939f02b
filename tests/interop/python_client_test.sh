#!/usr/bin/env bash
# Interop: Debian's python3-grpcio, with stubs generated from the project's
# protos, submits a report to the real hirsd binary and reads it back; it
# also checks health and server reflection as a generic gRPC tool sees them.
# Usage: python_client_test.sh HIRSD PROTO_DIR
set -euo pipefail
HIRSD=$1
PROTO_DIR=$2
WORK=$(mktemp -d)
trap 'kill "${HIRSD_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
source "$(dirname "$0")/../lib/hirsd_harness.sh"

mkdir -p "$WORK/py"
protoc -I "$PROTO_DIR" --python_out="$WORK/py" --grpc_python_out="$WORK/py" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  $(cd "$PROTO_DIR" && find google hirs/v1 -name '*.proto')
# Python's grpcio owns the module name "grpc", so Debian's health and
# reflection protos are generated under other file names (their package and
# service names, which is what goes on the wire, are unchanged).
mkdir -p "$WORK/extra"
cp /usr/share/grpc-proto/grpc/health/v1/health.proto "$WORK/extra/std_health.proto"
cp /usr/share/grpc-proto/grpc/reflection/v1alpha/reflection.proto "$WORK/extra/std_reflection.proto"
protoc -I "$WORK/extra" --python_out="$WORK/py" --grpc_python_out="$WORK/py" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin std_health.proto std_reflection.proto

start_hirsd
PYTHONPATH="$WORK/py" HIRS_SERVER="$HIRSD_ADDR" HIRS_TOKEN="$CENTRE_TOKEN" \
  /usr/bin/python3 "$(dirname "$0")/python_client.py"
stop_hirsd
echo "python interop: ok"
