#!/usr/bin/env bash
# The public API's hygiene, with buf (npm @bufbuild/buf, pinned below):
#  - buf lint on proto/ with the rules of proto/buf.yaml;
#  - buf breaking: proto/ against the previous commit's, so that a change
#    that breaks the wire or JSON form of the API fails (skipped, saying so,
#    in a clone without that commit).
# Run by ctest (api_check) with a directory for the npm install.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools=${1:-$root/build/npm-buf}
source "$root/tests/structure/npm_tool.sh"
buf=$(npm_tool @bufbuild/buf 1.75.0 "$tools" buf)
cd "$root"
"$buf" lint proto
echo "buf lint: ok"
if git rev-parse --verify --quiet HEAD~1 >/dev/null; then
  "$buf" breaking proto --against ".git#ref=HEAD~1,subdir=proto"
  echo "buf breaking against $(git rev-parse --short HEAD~1): ok"
else
  echo "buf breaking: skipped, this clone has no previous commit"
fi
