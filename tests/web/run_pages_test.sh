#!/usr/bin/env bash
# The web pages in a real browser against the real hirsd (pages_test.py).
# Usage: run_pages_test.sh HIRSD ARTEFACTS_DIR NPM_CACHE_DIR
# axe-core comes from npm (pinned here), installed into NPM_CACHE_DIR once.
set -euo pipefail
HIRSD=$1
export ARTEFACTS=$2
NPM_DIR=$3
AXE_CORE_VERSION=4.14.1
WORK=$(mktemp -d)
trap 'kill "${HIRSD_PID:-}" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/hirsd_harness.sh"

if [[ ! -f $NPM_DIR/node_modules/axe-core/axe.min.js ]] ||
   [[ $(node -p "require('$NPM_DIR/node_modules/axe-core/package.json').version") != "$AXE_CORE_VERSION" ]]; then
  mkdir -p "$NPM_DIR"
  (cd "$NPM_DIR" && npm install --silent --no-audit --no-fund "axe-core@$AXE_CORE_VERSION" >/dev/null)
fi
export AXE_JS=$NPM_DIR/node_modules/axe-core/axe.min.js
rm -rf "$ARTEFACTS" && mkdir -p "$ARTEFACTS"

# A second hirsd whose sessions end after 4 idle seconds, for the test of
# expiry.
HIRSD_DATA=$WORK/data-brief start_hirsd --http_listen=127.0.0.1:0 --session_idle_seconds=4
BRIEF_PID=$HIRSD_PID
export BRIEF_HTTP_ADDR=$HTTP_ADDR
start_hirsd --http_listen=127.0.0.1:0
trap 'kill "${HIRSD_PID:-}" "${BRIEF_PID:-}" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
export HTTP_ADDR ADMIN_TOKEN
# Debian's python3, where python3-selenium is.
/usr/bin/python3 "$here/pages_test.py"
stop_hirsd
HIRSD_PID=$BRIEF_PID stop_hirsd
echo "pages_test: ok (screenshots in $ARTEFACTS)"
