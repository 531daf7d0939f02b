// hirsd's Prometheus metrics (prometheus-cpp), served as text at /metrics
// on their own HTTP port (--metrics_listen):
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_service,grpc_method}   (histogram)
//   hirs_collation_outcomes_total{outcome}
//   hirs_review_queue_length, hirs_watchers                  (read at scrape)
//   hirs_rocksdb_*: SST size, pending compaction bytes, write stopped,
//     delayed write rate, running compactions, memtable and block cache
//     bytes (read from RocksDB at scrape)
//   hirs_store_disk_free_bytes, hirs_store_writes_refused (1 while free
//     space is below the reserve)
// Labels hold method names, status codes and outcomes only: never ids or
// personal data.
#ifndef HIRS_SERVICES_METRICS_METRICS_H_
#define HIRS_SERVICES_METRICS_METRICS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hirs/v1/types.pb.h"

namespace prometheus {
class Exposer;
class Registry;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace hirs::metrics {

// Values read when Prometheus scrapes.
struct Sources {
  std::function<int64_t()> review_queue_length;
  std::function<int64_t()> watchers;
  // RocksDB property name ("rocksdb.total-sst-files-size") -> value.
  std::function<absl::flat_hash_map<std::string, uint64_t>()> rocksdb;
  // Free bytes on the data disk (nullopt: unknown), and whether writes are
  // being refused for want of them.
  std::function<std::optional<uint64_t>()> disk_free_bytes;
  std::function<bool()> writes_refused;
};

// Thread safe.
class Metrics {
 public:
  Metrics();
  ~Metrics();

  // Serves /metrics on `listen` (HOST:PORT; port 0 picks one, see port()),
  // reading `sources` at each scrape. UNAVAILABLE if it cannot listen.
  absl::Status Serve(const std::string& listen, Sources sources);
  // The port served, 0 if not serving.
  int port() const { return port_; }

  // One finished call: `method` is "hirs.v1.Service/Method".
  void RecordCall(absl::string_view method, absl::StatusCode code, absl::Duration latency);
  void RecordCollation(hirs::v1::CollationOutcome outcome);

 private:
  class Scraped;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* handling_;
  prometheus::Family<prometheus::Counter>* collation_;
  std::shared_ptr<Scraped> scraped_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  // Histograms by method, created once (the family's Add takes a lock too).
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, prometheus::Histogram*> by_method_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hirs::metrics

#endif  // HIRS_SERVICES_METRICS_METRICS_H_
