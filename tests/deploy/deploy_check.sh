#!/usr/bin/env bash
# Checks the deployable artefacts of deploy/ with the tools that judge them:
#   - the systemd unit with `systemd-analyze verify` (ExecStart pointed at
#     the built hirsd, since verify checks the binary exists);
#   - the Kubernetes manifests with yamllint;
#   - the production config: hirsd started with it (its paths moved to a
#     temporary directory, ports 0, development certificates) serves and
#     stops cleanly on SIGTERM;
#   - the Dockerfile's runtime stage: every package it installs exists in
#     Debian bookworm, and together they provide every shared library the
#     built hirsd links to (no Docker daemon here to build the image).
# Usage: deploy_check.sh HIRSD DEPLOY_DIR
set -euo pipefail
HIRSD=$1
DEPLOY=$2
WORK=$(mktemp -d)
trap 'kill "${PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# systemd
sed "s|^ExecStart=/usr/local/bin/hirsd|ExecStart=$HIRSD|" "$DEPLOY/hirsd.service" >"$WORK/hirsd.service"
if ! systemd-analyze verify "$WORK/hirsd.service" >"$WORK/verify.out" 2>&1; then
  cat "$WORK/verify.out"; fail "systemd-analyze verify"
fi
if grep -v "Documentation" "$WORK/verify.out" | grep -qi "hirsd.service"; then
  cat "$WORK/verify.out"; fail "systemd-analyze verify warned about the unit"
fi

# Kubernetes
command -v yamllint >/dev/null || fail "yamllint is not installed (deploy/install-deps.sh --tests)"
yamllint -s -c "$DEPLOY/k8s/.yamllint" "$DEPLOY"/k8s/*.yaml || fail "yamllint"

# The production config, as written, accepted by hirsd.
"$DEPLOY/dev-certs.sh" "$WORK/tls" >/dev/null
cp "$WORK/tls/server.pem" "$WORK/tls/tls.crt"; cp "$WORK/tls/server.key" "$WORK/tls/tls.key"; cp "$WORK/tls/ca.pem" "$WORK/tls/ca.crt"
openssl rand -hex 32 >"$WORK/hmac.key"
echo '{"principals": [{"id": "admin", "role": "ADMIN", "token_sha256": "'"$(printf t | sha256sum | cut -d' ' -f1)"'"}]}' \
  >"$WORK/principals.json"
python3 - "$DEPLOY/config/hirsd.production.json" "$WORK" >"$WORK/hirsd.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
work = sys.argv[2]
for key, value in config.items():
    if isinstance(value, str) and value.startswith("/"):
        config[key] = value.replace("/etc/hirs", work).replace("/var/lib/hirs-backups", work + "/backups").replace("/var/lib/hirs", work + "/data")
for key in ("listen", "health_listen", "metrics_listen", "http_listen"):
    config[key] = config[key].rsplit(":", 1)[0] + ":0"
print(json.dumps(config))
PY
"$HIRSD" --config="$WORK/hirsd.json" >"$WORK/out" 2>"$WORK/log" &
PID=$!
for _ in $(seq 1 100); do grep -q '^listening on' "$WORK/out" && break; kill -0 $PID 2>/dev/null || break; sleep 0.1; done
grep -q '^listening on 0.0.0.0:' "$WORK/out" || { cat "$WORK/log"; fail "hirsd did not start with the production config"; }
grep -q '^metrics on 0.0.0.0:' "$WORK/out" || fail "no metrics endpoint: $(cat "$WORK/out")"
grep -q '^http on 0.0.0.0:' "$WORK/out" || fail "no HTTP/JSON door: $(cat "$WORK/out")"
kill -TERM $PID; wait $PID || fail "hirsd exit after SIGTERM"; PID=

# The Dockerfile's runtime packages (checked against a normal build only:
# a sanitizer build links more, and differently).
if grep -qa __asan_init "$HIRSD"; then echo "deploy: ok (Dockerfile libraries not checked: sanitizer build)"; exit 0; fi
packages=$(sed -n '/^FROM debian:bookworm-slim/,$p' "$DEPLOY/Dockerfile" \
  | sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' | grep -E '^(lib|zlib|tzdata$|ca-certificates$)' | sort -u)
[ -n "$packages" ] || fail "no runtime packages found in the Dockerfile"
for p in $packages; do
  apt-cache show "$p" >/dev/null 2>&1 || fail "Dockerfile installs $p, which Debian bookworm does not have"
done
for lib in $(ldd "$HIRSD" | awk '$3 ~ /^\// {print $3}'); do
  owner=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true)
  owner=${owner%%:*}
  case "$owner" in libc6|libgcc-s1|libstdc++6|"") continue ;; esac
  grep -qx "$owner" <<<"$packages" || fail "hirsd needs $lib from $owner, which the Dockerfile does not install"
done
echo "deploy: ok"
