# shellcheck shell=bash
# npm_tool PACKAGE VERSION DIR BIN: installs PACKAGE@VERSION from npm into DIR
# (with the machine's npm) unless DIR already holds that version, and
# prints the path of its executable BIN. Sourced by the check scripts that
# need a tool from npm.
npm_tool() {
  local package=$1 version=$2 dir=$3 bin=$3/node_modules/.bin/$4
  command -v npm >/dev/null || { echo "npm is missing: $package is installed with the machine's npm" >&2; return 1; }
  if [[ ! -x $bin ]] || [[ $("$bin" --version 2>/dev/null) != "$version" ]]; then
    mkdir -p "$dir"
    (cd "$dir" && npm install --silent --no-audit --no-fund "$package@$version" >/dev/null)
  fi
  echo "$bin"
}
