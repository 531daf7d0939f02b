#!/usr/bin/env bash
# Installs the Debian 12 packages hirs needs to build and run, if any is
# missing; with --tests also what only the tests need (headless Chromium to
# render the district report, and with ChromeDriver and Selenium to drive
# the web pages; Noto fonts for their Gujarati, Gurmukhi and Urdu
# screenshots; yamllint, clang-format, curl for the HTTP door; buf,
# redocly and axe-core come from npm, with the machine's Node.js and npm), with --sanitize clang and its
# sanitizer and libFuzzer runtimes (tests/sanitize.sh), with --bench
# PostgreSQL 15 and libpqxx (tests/bench/run_load.sh) and curl
# (run_reads.sh scrapes hirsd's metrics), with --cluster etcd's server and
# etcdctl (replicated mode: deploy/cluster.sh; the tests use them too). Used by
# deploy/run.sh and the test scripts; safe to run again.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build pkg-config ccache openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev librocksdb-dev libssl-dev libicu-dev libcsv-dev libjemalloc-dev tzdata prometheus-cpp-dev
  libgtest-dev libgmock-dev libcpp-httplib-dev libargon2-dev liboath-dev libqrencode-dev
  python3 python3-grpcio python3-protobuf oathtool
)
for option in "$@"; do
  case "$option" in
    --tests) PACKAGES+=(chromium chromium-driver python3-selenium fonts-dejavu-core fonts-noto-core yamllint clang-format curl
                        etcd-server etcd-client) ;;
    --cluster) PACKAGES+=(etcd-server etcd-client) ;;
    --sanitize) PACKAGES+=(clang libclang-rt-14-dev) ;;
    --bench) PACKAGES+=(postgresql-15 libpqxx-dev curl) ;;
    *) echo "install-deps: unknown option $option" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
