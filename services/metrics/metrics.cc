#include "services/metrics/metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace hirs::metrics {
namespace {

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  family.metric.push_back(metric);
  return family;
}

// "hirs.v1.CaseService/GetCase" -> {"hirs.v1.CaseService", "GetCase"}.
std::pair<std::string, std::string> Split(absl::string_view method) {
  const size_t slash = method.find('/');
  if (slash == absl::string_view::npos) return {"", std::string(method)};
  return {std::string(method.substr(0, slash)), std::string(method.substr(slash + 1))};
}

}  // namespace

// Values read at scrape time.
class Metrics::Scraped final : public prometheus::Collectable {
 public:
  explicit Scraped(Sources sources) : sources_(std::move(sources)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    if (sources_.review_queue_length) {
      out.push_back(
          Gauge("hirs_review_queue_length", "Open review items.", static_cast<double>(sources_.review_queue_length())));
    }
    if (sources_.watchers) {
      out.push_back(Gauge("hirs_watchers", "Open WatchCases streams.", static_cast<double>(sources_.watchers())));
    }
    if (sources_.disk_free_bytes) {
      if (std::optional<uint64_t> free = sources_.disk_free_bytes()) {
        out.push_back(Gauge("hirs_store_disk_free_bytes", "Free bytes on the data disk.", static_cast<double>(*free)));
      }
    }
    if (sources_.writes_refused) {
      out.push_back(Gauge("hirs_store_writes_refused",
                          "1 while writes are refused because the data disk's free space is below the reserve.",
                          sources_.writes_refused() ? 1 : 0));
    }
    if (sources_.rocksdb) {
      for (const auto& [property, value] : sources_.rocksdb()) {
        std::string name = absl::StrReplaceAll(property, {{"rocksdb.", "hirs_rocksdb_"}, {"-", "_"}});
        out.push_back(Gauge(name, absl::StrCat("RocksDB property ", property, ", summed over column families."),
                            static_cast<double>(value)));
      }
    }
    return out;
  }

 private:
  const Sources sources_;
};

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  handled_ = &prometheus::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help("RPCs completed on the server, by method and status code (refusals included).")
                  .Register(*registry_);
  handling_ = &prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help("Time from admission to the answer, by method (audit write included).")
                   .Register(*registry_);
  collation_ = &prometheus::BuildCounter()
                    .Name("hirs_collation_outcomes_total")
                    .Help("Submitted reports by collation outcome.")
                    .Register(*registry_);
}

Metrics::~Metrics() = default;

absl::Status Metrics::Serve(const std::string& listen, Sources sources) {
  scraped_ = std::make_shared<Scraped>(std::move(sources));
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(scraped_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? 0 : ports.front();
  return absl::OkStatus();
}

void Metrics::RecordCall(absl::string_view method, absl::StatusCode code, absl::Duration latency) {
  const auto [service, name] = Split(method);
  handled_->Add({{"grpc_service", service}, {"grpc_method", name}, {"grpc_code", absl::StatusCodeToString(code)}})
      .Increment();
  prometheus::Histogram* histogram = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_method_.find(method);
    if (it == by_method_.end()) {
      // Bounds at 2 ms and 10 ms, the GetCase and ListCases latency
      // objectives, so a dashboard reads their
      // share of calls straight from the buckets.
      static const prometheus::Histogram::BucketBoundaries kBuckets = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                                                       0.1,    0.25,  0.5,   1,     2.5,  5,     10};
      histogram = &handling_->Add({{"grpc_service", service}, {"grpc_method", name}}, kBuckets);
      by_method_.emplace(std::string(method), histogram);
    } else {
      histogram = it->second;
    }
  }
  histogram->Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::RecordCollation(hirs::v1::CollationOutcome outcome) {
  collation_->Add({{"outcome", hirs::v1::CollationOutcome_Name(outcome)}}).Increment();
}

}  // namespace hirs::metrics
