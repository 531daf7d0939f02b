#!/usr/bin/env bash
# Creates a development certificate authority, a server certificate and one
# client certificate per principal id, with openssl. FOR DEVELOPMENT AND
# TESTS ONLY: the CA key sits beside the certificates, unencrypted.
#
#   deploy/dev-certs.sh OUT_DIR [PRINCIPAL_ID ...]
#
# Writes OUT_DIR/ca.pem (+ ca.key), server.pem + server.key (SAN localhost,
# 127.0.0.1, ::1) and, for each id, client-ID.pem + client-ID.key with
# CN=ID and SAN URI hirs:principal:ID — the name hirsd maps to the
# principal (principals file: "cert_names": ["hirs:principal:ID"]).
# Keys are ECDSA P-256; certificates last 30 days. In replicated mode the
# same files serve etcd: server.pem + server.key as the members'
# certificate (--cert-file, --key-file, --trusted-ca-file=ca.pem,
# --client-cert-auth; etcd also dials itself with it, hence clientAuth),
# and a client certificate per hirsd replica
# (dev-certs.sh OUT replica-a replica-b replica-c).
set -euo pipefail
OUT=${1:?usage: dev-certs.sh OUT_DIR [PRINCIPAL_ID ...]}
shift
mkdir -p "$OUT"
cd "$OUT"
umask 077

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }

if [ ! -f ca.pem ]; then
  key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=hirs development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.pem 2>/dev/null
fi

# sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.pem signed by the CA.
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

sign server "/CN=localhost" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

for id in "$@"; do
  sign "client-$id" "/CN=$id" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=URI:hirs:principal:$id"
done
chmod 644 ./*.pem
echo "dev-certs: CA, server and ${#} client certificate(s) in $OUT"
