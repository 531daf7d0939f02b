#!/usr/bin/env bash
# The generated OpenAPI document (services/http/openapi.h) passes
# `redocly lint` (npm @redocly/cli, pinned below) with its recommended
# rules. Run by ctest (openapi_lint): check_openapi.sh PRINT_OPENAPI NPM_DIR.
set -euo pipefail
print=$1
tools=$2
source "$(dirname "$0")/npm_tool.sh"
redocly=$(npm_tool @redocly/cli 1.25.0 "$tools" redocly)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$print" >"$work/openapi.json"
"$redocly" lint --format=stylish "$work/openapi.json"
echo "openapi: $(grep -c '"operationId"' "$work/openapi.json") operations, redocly lint clean"
