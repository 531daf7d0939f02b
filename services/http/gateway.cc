#include "services/http/gateway.h"

#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/utf8.h"
#include "common/worker_pool.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/v1/admin_service.pb.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/http/errors.h"
#include "services/http/exchange.h"
#include "services/http/openapi.h"
#include "services/http/routes.h"
#include "services/rpc/gate.h"
#include "services/rpc/rpc.h"

namespace hirs::http {
namespace {

// The connection the calling thread serves (its peer, its certificate).
thread_local const Connection* current_connection = nullptr;
// Set while a connection beyond every bound is turned away on the
// accepting thread.
thread_local bool turning_away = false;

// cpp-httplib's connection queue: `threads` serve connections, four times
// as many wait (a burst of connections comes faster than threads take
// them), and beyond that a connection is answered 503 at once.
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(int threads) : pool_(threads, static_cast<size_t>(threads) * 4, "hirs-http") {}
  void enqueue(std::function<void()> fn) override {
    if (pool_.TrySchedule(fn)) return;
    turning_away = true;
    fn();
    turning_away = false;
  }
  void shutdown() override { pool_.Drain(); }

 private:
  WorkerPool pool_;
};

bool TakesBody(const std::string& verb) { return verb == "POST" || verb == "PATCH" || verb == "PUT"; }

// cpp-httplib compresses any text/* answer a client accepts compressed,
// streams included, and a compressor holds what it is given until it has
// enough: Server-Sent Events would wait there until the watch ends, and a
// browser's EventSource would see none. Such requests are answered
// uncompressed.
void NoCompressionForEvents(httplib::Request& req) {
  if (absl::StrContains(req.get_header_value("Accept"), "text/event-stream") || absl::EndsWith(req.path, ":watch")) {
    req.headers.erase("Accept-Encoding");
  }
}

}  // namespace

class Gateway::Impl final : public httplib::Server {
 public:
  Impl(const GatewayOptions& options, std::shared_ptr<grpc::Channel> channel, std::function<bool()> serving)
      : options_(options),
        channel_(std::move(channel)),
        stub_(channel_),
        serving_(std::move(serving)),
        routes_(ApiServices()),
        openapi_(OpenApiJson(ApiServices())),
        summary_method_(hirs::v1::MonthlyExtractRequest::descriptor()->file()->pool()->FindMethodByName(
            "hirs.v1.ExtractService.GetMonthlySummary")) {}

  absl::Status Listen();
  void StopAccepting();
  void Stop();
  int port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  void Route(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader* reader);
  void Api(const Exchange& ex, const RouteMatch& match, const std::string& body);
  // Body into *body, within max_body_bytes and of an accepted type; false
  // when the answer has been given.
  bool ReadBody(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader* reader,
                std::string* body) const;
  // The call's metadata and deadline; false (answered) for a bad
  // X-Server-Timeout.
  bool Setup(const httplib::Request& req, httplib::Response& res, const google::protobuf::MethodDescriptor* method,
             CallSetup* setup) const;
  // The credential and the HTTP client's address and certificate names,
  // as metadata only the door may set.
  void ForwardFrom(const httplib::Request& req, const std::string& authorization, CallSetup* setup) const;
  // Whether the site answered `req`.
  bool ServeSite(const httplib::Request& req, httplib::Response& res, const std::string& body) const;

  const GatewayOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  mutable grpc::GenericStub stub_;
  const std::function<bool()> serving_;
  const Routes routes_;
  const std::string openapi_;
  // What the district report calls, twelve times.
  const google::protobuf::MethodDescriptor* const summary_method_;
  std::unique_ptr<TlsFiles> tls_;
  std::thread thread_;
  int port_ = 0;
  std::string address_;
  std::atomic<bool> stopping_{false};
};

bool Gateway::Impl::process_and_close_socket(socket_t sock) {
  const std::shared_ptr<SSL_CTX> tls = tls_ != nullptr ? tls_->Context() : nullptr;
  Connection conn(sock, turning_away ? nullptr : tls, options_.limits, &stopping_);
  if (turning_away) {  // on the accepting thread: a plain answer or none, without waiting
    if (tls == nullptr) conn.WriteStatus(503, "Service Unavailable");
    return true;
  }
  if (tls != nullptr && !conn.Handshake()) return false;
  current_connection = &conn;
  for (int served = 0; served < options_.max_requests_per_connection && !stopping_; ++served) {
    const Connection::Head head = conn.ReadHead(served == 0 ? options_.limits.head_timeout : options_.keep_alive_idle);
    if (head == Connection::Head::kClosed) break;
    if (head != Connection::Head::kReady) {
      if (head == Connection::Head::kTimeout) conn.WriteStatus(408, "Request Timeout");
      if (head == Connection::Head::kTooLarge) conn.WriteStatus(431, "Request Header Fields Too Large");
      if (head == Connection::Head::kUriTooLong) conn.WriteStatus(414, "URI Too Long");
      break;
    }
    bool closed = false;
    const bool last = served + 1 == options_.max_requests_per_connection || stopping_;
    if (!process_request(conn, last, closed, NoCompressionForEvents) || closed || last) break;
  }
  current_connection = nullptr;
  return true;
}

bool Gateway::Impl::ReadBody(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader* reader,
                             std::string* body) const {
  if (reader != nullptr) {
    bool too_large = false;
    const bool read = (*reader)([&](const char* data, size_t length) {
      too_large = body->size() + length > options_.max_body_bytes;
      if (!too_large) body->append(data, length);
      return !too_large;
    });
    too_large = too_large || res.status == 413;  // cpp-httplib's own check of Content-Length
    if (!read && !too_large) {
      res.set_header("Connection", "close");
      AnswerError(res, rpc::ToRpcStatus(absl::InvalidArgumentError(
                           "the body did not arrive whole in time (or its chunked encoding is malformed)")));
      return false;
    }
    if (too_large) {
      res.set_header("Connection", "close");
      AnswerError(res,
                  rpc::ToRpcStatus(absl::InvalidArgumentError(absl::StrCat(
                      "the body is over ", options_.max_body_bytes >> 20, " MiB; send fewer items at once"))),
                  413);
      return false;
    }
  }
  const std::string type = absl::AsciiStrToLower(req.get_header_value("Content-Type"));
  if (!body->empty() && !absl::StartsWith(type, "application/json") &&
      !absl::StartsWith(type, "application/x-ndjson")) {
    AnswerError(res,
                rpc::ToRpcStatus(absl::InvalidArgumentError(
                    absl::StrCat("Content-Type \"", type, "\" is not accepted: send application/json"))),
                415);
    return false;
  }
  return true;
}

void Gateway::Impl::ForwardFrom(const httplib::Request& req, const std::string& authorization, CallSetup* setup) const {
  if (!authorization.empty()) setup->metadata.emplace_back("authorization", authorization);
  setup->metadata.emplace_back(rpc::kHttpKeyKey, options_.forwarding_key);
  if (current_connection != nullptr) {
    setup->metadata.emplace_back(rpc::kHttpPeerKey, PeerName(req.remote_addr, req.remote_port));
    for (const std::string& name : current_connection->certificate_names()) {
      setup->metadata.emplace_back(rpc::kHttpCertNameKey, name);
    }
  }
}

bool Gateway::Impl::ServeSite(const httplib::Request& req, httplib::Response& res, const std::string& body) const {
  if (options_.site == nullptr || absl::StartsWith(req.path, "/v1/")) return false;
  const Site::Call call = [&](const std::string& method, const std::string& authorization, const std::string& request,
                              std::string* answer) {
    CallSetup setup;
    setup.method = method;
    ForwardFrom(req, authorization, &setup);
    setup.deadline = absl::Now() + options_.default_deadline;
    return rpc::FromGrpcStatus(UnaryCall(stub_, setup, request, answer));
  };
  return options_.site->Serve(req, res, body, call);
}

bool Gateway::Impl::Setup(const httplib::Request& req, httplib::Response& res,
                          const google::protobuf::MethodDescriptor* method, CallSetup* setup) const {
  setup->method = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  std::string authorization = req.get_header_value("Authorization");
  if (authorization.empty() && options_.site != nullptr) {
    absl::StatusOr<std::string> from_cookie = options_.site->CookieAuthorization(req);
    if (!from_cookie.ok()) {
      AnswerError(res, rpc::ToRpcStatus(from_cookie.status()));
      return false;
    }
    authorization = *std::move(from_cookie);
  }
  ForwardFrom(req, authorization, setup);
  absl::Duration deadline =
      method->server_streaming() || method->client_streaming() ? absl::InfiniteDuration() : options_.default_deadline;
  if (req.has_header("X-Server-Timeout")) {
    double seconds = 0;
    if (!absl::SimpleAtod(req.get_header_value("X-Server-Timeout"), &seconds) || !(seconds > 0)) {
      AnswerError(res, rpc::ToRpcStatus(absl::InvalidArgumentError(
                           "X-Server-Timeout must be the seconds the call may take, a number above 0")));
      return false;
    }
    deadline = std::min(absl::Seconds(seconds), options_.max_deadline);
  }
  if (deadline != absl::InfiniteDuration()) setup->deadline = absl::Now() + deadline;
  return true;
}

void Gateway::Impl::Route(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader* reader) {
  const std::string verb = req.method == "HEAD" ? "GET" : req.method;
  if (verb == "GET" && req.path == "/healthz") {
    res.set_content("{\"status\": \"SERVING\"}\n", "application/json");
    return;
  }
  if (verb == "GET" && req.path == "/readyz") {
    const bool ready = serving_();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "{\"status\": \"SERVING\"}\n" : "{\"status\": \"NOT_SERVING\"}\n", "application/json");
    return;
  }
  if (verb == "GET" && req.path == "/v1/openapi.json") {
    res.set_content(openapi_, "application/json");
    return;
  }
  if (!IsValidUtf8(req.path)) {
    AnswerError(res, rpc::ToRpcStatus(absl::InvalidArgumentError("the request's path is not UTF-8 text")));
    return;
  }
  std::string body;
  if (TakesBody(verb) && !ReadBody(req, res, reader, &body)) return;
  if (ServeSite(req, res, body)) return;
  if (std::optional<hirs::v1::MonthlyExtractRequest> report = verb == "GET" ? ReportRequestOf(req.path) : std::nullopt;
      report.has_value()) {
    CallSetup setup;
    if (!Setup(req, res, summary_method_, &setup)) return;
    DistrictReport(Exchange{req, res, stub_, setup}, *report);
    return;
  }
  const RouteMatch match = routes_.Find(verb, req.path);
  if (match.route == nullptr) {
    if (!match.allowed.empty()) {
      res.set_header("Allow", absl::StrJoin(match.allowed, ", "));
      AnswerError(
          res,
          rpc::ToRpcStatus(absl::UnimplementedError(absl::StrCat(req.method, " is not a method of ", req.path,
                                                                 "; it takes ", absl::StrJoin(match.allowed, ", ")))),
          405);
      return;
    }
    AnswerError(res, rpc::ToRpcStatus(absl::NotFoundError(absl::StrCat("no route ", req.method, " ", req.path,
                                                                       "; the routes are in /v1/openapi.json"))));
    return;
  }
  CallSetup setup;
  if (!Setup(req, res, match.route->method, &setup)) return;
  Api(Exchange{req, res, stub_, setup}, match, body);
}

void Gateway::Impl::Api(const Exchange& ex, const RouteMatch& match, const std::string& body) {
  const google::protobuf::MethodDescriptor* method = match.route->method;
  if (method->client_streaming()) {
    SubmitLines(ex, method, body);
    return;
  }
  std::unique_ptr<google::protobuf::Message> request = NewMessage(method->input_type());
  absl::Status filled = FillRequest(match, body, ex.req.params, request.get());
  if (filled.ok() && ExtraStreamTypes(method) == std::vector<std::string>{kEventStream}) {
    filled = ResumeFromLastEventId(ex.req, request.get());
  }
  if (filled.ok() && absl::Now() >= ex.setup.deadline) {
    filled = absl::DeadlineExceededError("the request's deadline (X-Server-Timeout) passed before its call began");
  }
  if (!filled.ok()) {
    AnswerError(ex.res, rpc::ToRpcStatus(filled));
    return;
  }
  if (method->server_streaming()) {
    StreamAnswers(ex, method, *request, options_.sse_heartbeat);
    return;
  }
  std::string answer;
  const grpc::Status status = UnaryCall(ex.stub, ex.setup, request->SerializeAsString(), &answer);
  if (!status.ok()) {
    AnswerError(ex.res, rpc::FromGrpcStatus(status));
    return;
  }
  AnswerMessage(ex.res, method->output_type(), answer);
}

absl::Status Gateway::Impl::Listen() {
  if (!options_.tls_cert_file.empty()) {
    auto tls = TlsFiles::Load(options_.tls_cert_file, options_.tls_key_file, options_.tls_client_ca_file,
                              options_.tls_require_client_cert, options_.tls_reload);
    if (!tls.ok()) return tls.status();
    tls_ = *std::move(tls);
  }
  const int threads = options_.threads;
  new_task_queue = [threads] { return new ConnectionThreads(threads); };
  httplib::Headers headers = {{"X-Content-Type-Options", "nosniff"},
                              {"Cache-Control", "no-store"},
                              {"Referrer-Policy", "no-referrer"},
                              {"X-Frame-Options", "DENY"},
                              {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"}};
  if (tls_ != nullptr) headers.emplace("Strict-Transport-Security", "max-age=31536000");
  set_default_headers(std::move(headers));
  set_payload_max_length(options_.max_body_bytes);
  set_keep_alive_max_count(static_cast<size_t>(options_.max_requests_per_connection));
  set_keep_alive_timeout(absl::ToInt64Seconds(options_.keep_alive_idle));
  set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) AnswerLibraryError(req, res);
  });
  set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (TakesBody(req.method)) return HandlerResponse::Unhandled;  // to the handlers below, with the body
    Route(req, res, nullptr);
    return HandlerResponse::Handled;
  });
  const auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader) { Route(req, res, &reader); };
  const auto without_body = [this](const httplib::Request& req, httplib::Response& res) { Route(req, res, nullptr); };
  Post(".*", with_body).Patch(".*", with_body).Put(".*", with_body);
  Post(".*", without_body).Patch(".*", without_body).Put(".*", without_body);
  const size_t colon = options_.listen.rfind(':');
  int wanted = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(options_.listen.substr(colon + 1), &wanted)) {
    return absl::InvalidArgumentError(absl::StrCat("--http_listen \"", options_.listen, "\" is not HOST:PORT"));
  }
  std::string host = options_.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  port_ = wanted == 0 ? bind_to_any_port(host) : (bind_to_port(host, wanted) ? wanted : -1);
  if (port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen,
                                               " for HTTP (address in use, or not an address of this host)"));
  }
  address_ = absl::StrCat(options_.listen.substr(0, colon), ":", port_);
  thread_ = std::thread([this] {
    NameThisThread("hirs-http-accept");
    listen_after_bind();
  });
  // stop() only stops a server that is running.
  while (!is_running()) absl::SleepFor(absl::Milliseconds(1));
  return absl::OkStatus();
}

void Gateway::Impl::StopAccepting() {
  if (!stopping_.exchange(true)) stop();
}

void Gateway::Impl::Stop() {
  StopAccepting();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const GatewayOptions& options,
                                                        std::shared_ptr<grpc::Channel> channel,
                                                        std::function<bool()> serving) {
  auto impl = std::make_unique<Impl>(options, std::move(channel), std::move(serving));
  absl::Status listening = impl->Listen();
  if (!listening.ok()) return listening;
  LogInfo(absl::StrCat("HTTP/JSON on ", impl->address(), options.tls_cert_file.empty() ? " (plaintext)" : " (TLS)"));
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() { Stop(); }

int Gateway::port() const { return impl_->port(); }

const std::string& Gateway::address() const { return impl_->address(); }

void Gateway::Stop() { impl_->Stop(); }

}  // namespace hirs::http
