// hirsd's HTTP/JSON door: every RPC with a google.api.http rule (routes.h)
// served over HTTP/1.1 and transcoded into a call through the server's
// in-process channel, so that authentication (Authorization: Bearer, or a
// client certificate over mutual TLS), the access table, rate limits,
// validation, redaction and the audit trail are the gRPC ones. The HTTP
// client's address and certificate names reach the gate as metadata only
// the in-process channel may set (rpc/gate.h).
//
// Answers: protobuf's canonical JSON; errors as AIP-193 (errors.h).
// Streams: SubmitReports takes and gives JSON Lines (application/x-ndjson),
// answers written as items are stored; StreamMonthlyExtract gives JSON
// Lines, or CSV with Accept: text/csv (formats.h, the CLI's bytes);
// WatchCases gives Server-Sent Events, `id:` the cursor, resumed from
// Last-Event-ID. Also: GET /v1/openapi.json, /healthz, /readyz and the
// district report (HTML) at
// /v1/districts/{district_code}/months/{month}/report; and, with a site
// (site.h), its pages outside /v1/ and its session cookie on API calls.
//
// Bounds: `threads` connections served at once, four times as many
// waiting and the rest answered 503; the request head by ConnectionLimits (431, 414, 408);
// bodies at max_body_bytes (413); a request's deadline from
// X-Server-Timeout (seconds) or the default, passed to the call.
#ifndef HIRS_SERVICES_HTTP_GATEWAY_H_
#define HIRS_SERVICES_HTTP_GATEWAY_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/http/connection.h"
#include "services/http/site.h"

namespace hirs::http {

struct GatewayOptions {
  std::string listen;  // HOST:PORT; port 0: any free port
  int threads = 64;
  size_t max_body_bytes = 4 << 20;
  ConnectionLimits limits;
  absl::Duration keep_alive_idle = absl::Seconds(5);
  int max_requests_per_connection = 1000;
  absl::Duration default_deadline = absl::Seconds(30);  // without X-Server-Timeout (not for streams)
  absl::Duration max_deadline = absl::Hours(24);
  absl::Duration sse_heartbeat = absl::Seconds(15);  // a comment line on a quiet watch
  // TLS as the gRPC listener has it; none: plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  bool tls_require_client_cert = false;
  absl::Duration tls_reload = absl::Seconds(60);
  // The gate's forwarding key (rpc::CallGate::forwarding_key), without
  // which the gate ignores the HTTP client's address and certificate.
  std::string forwarding_key;
  // The web pages served beside the API (outside /v1/); none: the API only.
  std::shared_ptr<const Site> site;
};

// Thread safe.
class Gateway {
 public:
  // Serves on options.listen, calling through `channel`. `serving` answers
  // /readyz. UNAVAILABLE when the address cannot be bound,
  // FAILED_PRECONDITION for unusable TLS files.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(const GatewayOptions& options,
                                                        std::shared_ptr<grpc::Channel> channel,
                                                        std::function<bool()> serving);
  // Stop()s.
  ~Gateway();

  int port() const;
  // HOST:PORT as bound.
  const std::string& address() const;

  // Stops accepting connections and requests, and returns once every
  // connection has closed (answers in flight go on; a watch ends when the
  // feed shuts down). Idempotent.
  void Stop();

  class Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hirs::http

#endif  // HIRS_SERVICES_HTTP_GATEWAY_H_
