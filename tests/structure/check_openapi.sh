#!/usr/bin/env bash
# The generated OpenAPI document (services/http/openapi.h) passes
# `redocly lint` (npm @redocly/cli, pinned below) with its recommended
# rules. Run by ctest (openapi_lint): check_openapi.sh PRINT_OPENAPI NPM_DIR.
set -euo pipefail
print=$1
tools=$2
version=1.25.0
redocly=$tools/node_modules/.bin/redocly
command -v npm >/dev/null || { echo "npm is missing: this check installs its tool with the machine's npm"; exit 1; }
if [[ ! -x $redocly ]] || [[ $("$redocly" --version 2>/dev/null) != "$version" ]]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --silent --no-audit --no-fund "@redocly/cli@$version" >/dev/null)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$print" >"$work/openapi.json"
"$redocly" lint --format=stylish "$work/openapi.json"
echo "openapi: $(grep -c '"operationId"' "$work/openapi.json") operations, redocly lint clean"
