// The in-process hirsd the benchmarks drive: principals "police"
// (token "bench-police"), "centre-a" (token "bench-centre") and
// "centre-b" (token "bench-centre-b") written
// into `dir`, synced writes, no rate limit (the service is measured, not
// the per-principal limit), listening on a free loopback port.
#ifndef HIRS_TESTS_BENCH_BENCH_SERVER_H_
#define HIRS_TESTS_BENCH_BENCH_SERVER_H_

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "services/auth/principals.h"
#include "services/server/server.h"

namespace hirs::bench {

// The server on `dir` (a store there is used as it is); null, with the
// reason on stderr, when it cannot start.
inline std::unique_ptr<server::Server> StartBenchServer(const std::string& dir) {
  {
    std::ofstream p(dir + "/principals.json");
    p << "{\"principals\": [{\"id\": \"police\", \"role\": \"POLICE\", \"scope\": \"E23000021\", \"token_sha256\": \""
      << auth::TokenSha256Hex("bench-police") << "\"}, {\"id\": \"centre-a\", \"role\": \"REPORTING_CENTRE\", "
      << "\"scope\": \"centre-a\", \"token_sha256\": \"" << auth::TokenSha256Hex("bench-centre") << "\"}, "
      << "{\"id\": \"centre-b\", \"role\": \"REPORTING_CENTRE\", \"scope\": \"centre-b\", \"token_sha256\": \""
      << auth::TokenSha256Hex("bench-centre-b") << "\"}]}";
  }
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.rate_limit_per_second = 0;
  options.data_dir = dir;
  options.principals_file = dir + "/principals.json";
  options.sync_writes = true;
  auto started = server::Server::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "server: %s\n", std::string(started.status().message()).c_str());
    return nullptr;
  }
  return *std::move(started);
}

}  // namespace hirs::bench

#endif  // HIRS_TESTS_BENCH_BENCH_SERVER_H_
