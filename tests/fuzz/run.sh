#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR (tests/sanitize.sh builds
# them) for SECONDS each, starting from the committed seeds, after replaying
# every committed regression input. A crash leaves its input in
# tests/fuzz/crashes/ and fails the run: fix it, then move the input to
# tests/fuzz/regressions/<target>/ so it is replayed from then on.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
FUZZ=$(cd "$(dirname "$0")" && pwd)
BUILD=$1
SECONDS_EACH=${2:-60}
mkdir -p "$FUZZ/crashes"
for target in report postcode filter page_token http_request; do
  bin="$BUILD/tests/${target}_fuzz"
  [ -x "$bin" ] || { echo "missing $bin: build with -DHIRS_SANITIZE=ON"; exit 1; }
  regressions=("$FUZZ/regressions/$target"/*)
  if [ -e "${regressions[0]}" ]; then "$bin" "${regressions[@]}" >/dev/null 2>&1 || { echo "regression of $target fails"; exit 1; }; fi
  corpus=$(mktemp -d)
  cp "$FUZZ/seeds/$target"/* "$corpus"/
  echo "fuzz: $target for ${SECONDS_EACH}s"
  "$bin" "$corpus" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$FUZZ/crashes/${target}-" -print_final_stats=1 2>"$corpus.log" \
    || { tail -40 "$corpus.log"; echo "FAIL: $target found a crash (input in tests/fuzz/crashes/)"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$corpus.log" | sed "s/^/  $target /"
  rm -rf "$corpus" "$corpus.log"
done
echo "fuzz: ok"
