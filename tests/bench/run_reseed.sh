#!/usr/bin/env bash
# How long a replica takes to re-seed itself from a leader holding a large
# store (replicated mode): fills a store with --reports generated reports
# (hirs-load --target=preload; hirsd's start migrates it once), starts three etcd members and one replica
# on that store (it leads), writes a few reports so that the leader
# truncates the log (--replication_keep_entries=1), then starts a second
# replica with an empty data directory and times it from its start to
# "re-seeded from a snapshot" in its log (fetched, checked, swapped in,
# following). Target: within 2 minutes for 1,000,000 reports.
#
#   tests/bench/run_reseed.sh [--reports=1000000] [--stores=DIR]
#
# --stores keeps the filled store in DIR/<reports> and reuses it (a fill of
# 1M reports takes minutes); the leader runs on a copy (SST files hard
# linked), so the kept store stays as filled.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPORTS=1000000
STORES=
for arg in "$@"; do
  case "$arg" in
    --reports=*) REPORTS=${arg#*=} ;;
    --stores=*) STORES=${arg#*=} ;;
    *) echo "usage: $0 [--reports=1000000] [--stores=DIR]"; exit 2 ;;
  esac
done
source tests/bench/setup.sh  # installs, builds; LOAD, HIRSD
cmake --build "$BUILD" -j2 --target hirs
HIRS=$PWD/$BUILD/clients/cli/hirs

WORK=$(mktemp -d -p /var/tmp hirs-reseed.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
source tests/lib/hirsd_harness.sh  # principals file and tokens in $WORK

FILLED=${STORES:+$STORES/$REPORTS}
FILLED=${FILLED:-$WORK/filled}
if [ ! -f "$FILLED/preloaded" ]; then
  echo "== filling a store with $REPORTS reports"
  "$LOAD" --target=preload --dir="$FILLED" --preload="$REPORTS" --concurrency=2
  touch "$FILLED/preloaded"
fi
if [ ! -f "$FILLED/migrated" ]; then
  # hirsd's start brings a filled store to the current schema (a minute or
  # two for 1M reports): once, as a single node, so that the replicated
  # leader does not write the migration through the log.
  echo "== migrating the filled store"
  "$HIRSD" --listen=127.0.0.1:0 --data_dir="$FILLED" --principals="$WORK/principals.json" >"$WORK/migrate.out" 2>&1 &
  pid=$!
  until grep -q "^listening on" "$WORK/migrate.out"; do kill -0 "$pid" || { cat "$WORK/migrate.out"; exit 1; }; sleep 1; done
  kill -TERM "$pid" && wait "$pid"
  touch "$FILLED/migrated"
fi
mkdir -p "$WORK/d0/db"
cp -al "$FILLED"/db/*.sst "$WORK/d0/db/"
find "$FILLED/db" -maxdepth 1 -type f ! -name '*.sst' -exec cp {} "$WORK/d0/db/" \;
echo "== leader's store: $(du -sh --apparent-size "$WORK/d0/db" | cut -f1)"

REPLICA_FLAGS=(--rate_limit_per_second=0 --replication_keep_entries=1)
source tests/lib/cluster_harness.sh
cp "$FILLED/hmac.key" "$WORK/hmac.key"  # the key the store's fingerprints were made with
start_replica 0
for _ in $(seq 1 24); do [ "$(leader)" = 0 ] && break; done  # a large store takes a while to open
[ "$(leader)" = 0 ] || { echo "replica 0 did not lead"; tail "$WORK/h0.log"; exit 1; }
for n in 1 2 3; do
  HIRS_TOKEN=$CENTRE_TOKEN HIRS_SERVER="127.0.0.1:${GP[0]}" "$HIRS" submit deploy/examples/report.json >/dev/null
done
first() { ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINTS" get /hirs/test/first --print-value-only; }
for _ in $(seq 1 300); do [ "$(first)" -gt 1 ] 2>/dev/null && break; sleep 0.1; done
[ "$(first)" -gt 1 ] || { echo "the leader did not truncate the log"; exit 1; }

echo "== a new replica with an empty store"
start=$(date +%s.%N)
start_replica 1
for _ in $(seq 1 6000); do grep -q "re-seeded from a snapshot" "$WORK/h1.log" && break; sleep 0.05; done
grep -q "re-seeded from a snapshot" "$WORK/h1.log" || { echo "no re-seed"; tail "$WORK/h1.log"; exit 1; }
took=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
grep -o "re-seeded from a snapshot.*" "$WORK/h1.log"
echo "result reports=$REPORTS reseed_seconds=$took date=$(date -u +%Y-%m-%d) commit=$(git rev-parse --short HEAD)"
