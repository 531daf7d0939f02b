# shellcheck shell=bash disable=SC2034
# Shared set-up of the benchmark scripts; source it from the repository's
# root. Installs what is missing (deploy/install-deps.sh --tests --bench),
# builds hirsd and hirs-load (RelWithDebInfo, in $HIRS_BUILD_DIR or build/)
# and sets LOAD and HIRSD to them.
#
# bench_single_hirsd NAME: for scripts that run one hirsd at a time. Makes
# WORK (/var/tmp/NAME.XXXXXX), removed at exit together with a hirsd still
# running (HIRSD_PID), and sources the hirsd harness (principals, tokens,
# start_hirsd / stop_hirsd).
#
# settle_compactions [LIMIT]: waits (up to LIMIT seconds, 60) until the hirsd at METRICS_ADDR
# (start_hirsd --metrics_listen=...) runs no RocksDB flush or compaction
# and has none pending, then until the kernel has written its dirty pages
# (sync), so that a run is measured without the background work an
# earlier run left behind. Prints how long it waited.

deploy/install-deps.sh --tests --bench
BUILD=${HIRS_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null
cmake --build "$BUILD" -j2 --target hirsd hirs-load
LOAD=$PWD/$BUILD/tests/hirs-load
HIRSD=$PWD/$BUILD/services/server/hirsd

bench_single_hirsd() {
  WORK=$(mktemp -d -p /var/tmp "$1.XXXXXX")
  HIRSD_PID=
  trap bench_single_hirsd_cleanup EXIT
  # shellcheck source=tests/lib/hirsd_harness.sh
  source tests/lib/hirsd_harness.sh
}

bench_single_hirsd_cleanup() {
  if [ -n "$HIRSD_PID" ]; then kill "$HIRSD_PID" 2>/dev/null && wait "$HIRSD_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}

settle_compactions() {
  local metrics start=$SECONDS limit=${1:-60} settled=
  while [ $((SECONDS - start)) -lt "$limit" ]; do
    metrics=$(curl -sf "http://$METRICS_ADDR/metrics")
    if grep -q '^hirs_rocksdb_num_running_compactions 0$' <<<"$metrics" &&
      grep -q '^hirs_rocksdb_estimate_pending_compaction_bytes 0$' <<<"$metrics" &&
      grep -q '^hirs_rocksdb_num_running_flushes 0$' <<<"$metrics" &&
      grep -q '^hirs_rocksdb_mem_table_flush_pending 0$' <<<"$metrics"; then
      settled=1
      break
    fi
    sleep 1
  done
  sync
  if [ -n "$settled" ]; then
    echo "settled: no flush or compaction running or pending, dirty pages written, after $((SECONDS - start)) s"
  else
    echo "not settled after $limit s: RocksDB still has flushes or compactions running or pending"
  fi
}
