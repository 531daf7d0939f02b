// Transport security with real certificates from deploy/dev-certs.sh: TLS,
// mutual TLS mapping client certificates to principals, the refusal of
// plaintext off loopback, and certificates renewed without a restart.
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "httplib.h"
#include "services/auth/principals.h"
#include "services/server/server.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs deploy/dev-certs.sh into `dir` for the given principal ids.
void MakeCerts(const std::string& dir, const std::string& ids) {
  const std::string command = absl::StrCat(HIRS_SOURCE_DIR, "/deploy/dev-certs.sh ", dir, " ", ids, " >/dev/null");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : certs_(dir_.path() + "/certs"), other_(dir_.path() + "/other-ca") {
    MakeCerts(certs_, "centre-a stranger");
    MakeCerts(other_, "centre-a");  // the same name, from a CA hirsd does not trust
    std::ofstream p(dir_.path() + "/principals.json");
    p << "{\"principals\": [{\"id\": \"centre-a\", \"role\": \"REPORTING_CENTRE\", \"scope\": \"centre-a\", "
      << "\"token_sha256\": \"" << auth::TokenSha256Hex("token-a") << "\", "
      << "\"cert_names\": [\"hirs:principal:centre-a\"]}]}";
    options_.listen = "127.0.0.1:0";
    options_.data_dir = dir_.path() + "/data";
    options_.principals_file = dir_.path() + "/principals.json";
    options_.sync_writes = false;
    options_.tls_cert_file = certs_ + "/server.pem";
    options_.tls_key_file = certs_ + "/server.key";
    options_.tls_client_ca_file = certs_ + "/ca.pem";
  }

  void Start() {
    auto server = server::Server::Start(options_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // A channel trusting `ca_dir`'s CA, presenting client-ID's certificate
  // from `client_dir` (none when `id` is empty).
  std::unique_ptr<hirs::v1::ReportingService::Stub> Stub(const std::string& ca_dir, const std::string& client_dir = "",
                                                         const std::string& id = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(ca_dir + "/ca.pem");
    if (!id.empty()) {
      ssl.pem_private_key = Read(absl::StrCat(client_dir, "/client-", id, ".key"));
      ssl.pem_cert_chain = Read(absl::StrCat(client_dir, "/client-", id, ".pem"));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt("grpc.use_local_subchannel_pool", 1);  // a fresh connection per channel
    return hirs::v1::ReportingService::NewStub(
        grpc::CreateCustomChannel(server_->address(), grpc::SslCredentials(ssl), args));
  }

  // Submits a report over `stub`, with `token` unless empty.
  grpc::Status Submit(hirs::v1::ReportingService::Stub* stub, const std::string& token,
                      hirs::v1::SubmitReportResponse* response) {
    auto context = hirs::testing::ContextWithToken(token);
    hirs::v1::Report report = hirs::testing::ValidReport(absl::Now());
    report.set_source_reference(absl::StrCat("TLS-", ++submitted_));
    return stub->SubmitReport(context.get(), hirs::testing::Request(report), response);
  }

  hirs::testing::TempDir dir_;
  const std::string certs_, other_;
  server::ServerOptions options_;
  std::unique_ptr<server::Server> server_;
  int submitted_ = 0;
};

TEST_F(TlsTest, MutualTlsMapsTheClientCertificateToItsPrincipal) {
  options_.tls_require_client_cert = true;
  Start();
  hirs::v1::SubmitReportResponse response;
  // A valid certificate naming a principal: no token needed.
  const grpc::Status ok = Submit(Stub(certs_, certs_, "centre-a").get(), "", &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  auto context = hirs::testing::ContextWithToken("");
  hirs::v1::GetReportRequest get;
  get.set_report_id(response.report_id());
  hirs::v1::Report report;
  ASSERT_TRUE(Stub(certs_, certs_, "centre-a")->GetReport(context.get(), get, &report).ok());
  EXPECT_EQ(report.reporting_centre(), "centre-a");
  // A valid certificate naming nobody known.
  EXPECT_EQ(Submit(Stub(certs_, certs_, "stranger").get(), "", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // No client certificate, or one from another CA: no connection at all.
  EXPECT_EQ(Submit(Stub(certs_).get(), "token-a", &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Submit(Stub(certs_, other_, "centre-a").get(), "", &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Plaintext to a TLS port.
  auto plain =
      hirs::v1::ReportingService::NewStub(grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(Submit(plain.get(), "token-a", &response).error_code(), grpc::StatusCode::UNAVAILABLE);
}

// An HTTPS client of the HTTP/JSON door trusting `certs_`'s CA, presenting
// client-ID's certificate from `client_dir` (none when `id` is empty).
std::unique_ptr<httplib::SSLClient> HttpsClient(int port, const std::string& ca_dir, const std::string& client_dir = "",
                                                const std::string& id = "") {
  std::unique_ptr<httplib::SSLClient> client =
      id.empty()
          ? std::make_unique<httplib::SSLClient>("localhost", port)
          : std::make_unique<httplib::SSLClient>("localhost", port, absl::StrCat(client_dir, "/client-", id, ".pem"),
                                                 absl::StrCat(client_dir, "/client-", id, ".key"));
  client->set_ca_cert_path((ca_dir + "/ca.pem").c_str());
  client->enable_server_certificate_verification(true);
  client->set_connection_timeout(5, 0);
  return client;
}

TEST_F(TlsTest, HttpsWithClientCertificatesAsForGrpc) {
  options_.http_listen = "127.0.0.1:0";
  Start();
  ASSERT_NE(server_->http_port(), 0);
  hirs::v1::Report report = hirs::testing::ValidReport(absl::Now());
  std::string body;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(hirs::testing::Request(report), &body).ok());
  // The certificate names the principal: no token needed.
  auto res =
      HttpsClient(server_->http_port(), certs_, certs_, "centre-a")->Post("/v1/reports", body, "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Strict-Transport-Security"), "max-age=31536000");
  // A certificate naming nobody known; no certificate and no token.
  res = HttpsClient(server_->http_port(), certs_, certs_, "stranger")->Post("/v1/reports", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = HttpsClient(server_->http_port(), certs_)->Post("/v1/reports", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  // A token instead.
  res = HttpsClient(server_->http_port(), certs_)
            ->Post("/v1/reports", {{"Authorization", "Bearer token-a"}}, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  // Plaintext HTTP to the TLS port gets nothing.
  httplib::Client plain("127.0.0.1", server_->http_port());
  plain.set_read_timeout(5, 0);
  EXPECT_FALSE(plain.Get("/healthz"));
  // A gRPC caller naming a certificate in the door's metadata is not believed.
  auto context = hirs::testing::ContextWithToken("");
  context->AddMetadata("x-hirs-http-cert-name", "hirs:principal:centre-a");
  hirs::v1::SubmitReportResponse response;
  EXPECT_EQ(Stub(certs_)->SubmitReport(context.get(), hirs::testing::Request(report), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TlsTest, HttpsRequiringClientCertificatesRefusesConnectionsWithout) {
  options_.http_listen = "127.0.0.1:0";
  options_.tls_require_client_cert = true;
  Start();
  EXPECT_FALSE(HttpsClient(server_->http_port(), certs_)->Get("/healthz"));
  EXPECT_FALSE(HttpsClient(server_->http_port(), certs_, other_, "centre-a")->Get("/healthz"));
  auto res = HttpsClient(server_->http_port(), certs_, certs_, "centre-a")->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(TlsTest, WithoutRequiringCertificatesABearerTokenStillServes) {
  Start();
  hirs::v1::SubmitReportResponse response;
  EXPECT_TRUE(Submit(Stub(certs_).get(), "token-a", &response).ok());
  EXPECT_EQ(Submit(Stub(certs_).get(), "", &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Submit(Stub(certs_, certs_, "centre-a").get(), "", &response).ok());
}

TEST_F(TlsTest, APlaintextHealthListenerServesHealthAndNothingElse) {
  options_.health_listen = "127.0.0.1:0";
  Start();
  ASSERT_NE(server_->health_port(), 0);
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->health_port()), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse status;
  ASSERT_TRUE(health->Check(&context, grpc::health::v1::HealthCheckRequest(), &status).ok());
  EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  // No data service answers there, with or without a token.
  auto reporting = hirs::v1::ReportingService::NewStub(channel);
  hirs::v1::SubmitReportResponse response;
  EXPECT_EQ(Submit(reporting.get(), "token-a", &response).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  server_->Shutdown(absl::Seconds(1));
  grpc::ClientContext after;
  after.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_FALSE(health->Check(&after, grpc::health::v1::HealthCheckRequest(), &status).ok() &&
               status.status() == grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(TlsTest, PlaintextOnlyOnLoopbackAndTlsSettingsChecked) {
  server::ServerOptions plain = options_;
  plain.tls_cert_file.clear();
  plain.tls_key_file.clear();
  plain.tls_client_ca_file.clear();
  plain.listen = "0.0.0.0:0";
  auto refused = server::Server::Start(plain);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("loopback"), std::string::npos) << refused.status();
  server::ServerOptions half = options_;
  half.tls_key_file.clear();
  EXPECT_EQ(server::Server::Start(half).status().code(), absl::StatusCode::kInvalidArgument);
  // A pool without threads would take calls and never answer them.
  server::ServerOptions no_readers = options_;
  no_readers.read_threads = 0;
  auto refused_threads = server::Server::Start(no_readers);
  EXPECT_EQ(refused_threads.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused_threads.status().message().find("--read_threads"), std::string::npos) << refused_threads.status();
  // A cache too small for even the pinned filters of level 0.
  server::ServerOptions tiny_cache = options_;
  tiny_cache.block_cache_bytes = 1 << 20;
  auto refused_cache = server::Server::Start(tiny_cache);
  EXPECT_EQ(refused_cache.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused_cache.status().message().find("--block_cache_mb"), std::string::npos) << refused_cache.status();
}

TEST_F(TlsTest, ARenewedServerCertificateIsTakenUpWithoutRestart) {
  options_.tls_reload_seconds = 1;
  Start();
  hirs::v1::SubmitReportResponse response;
  ASSERT_TRUE(Submit(Stub(certs_).get(), "token-a", &response).ok());
  // Renewal from another CA (e.g. a CA rotation): the files are replaced.
  const std::string renewed = dir_.path() + "/renewed";
  MakeCerts(renewed, "");
  std::filesystem::copy_file(renewed + "/server.pem", certs_ + "/server.pem",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed + "/server.key", certs_ + "/server.key",
                             std::filesystem::copy_options::overwrite_existing);
  grpc::Status status;
  for (int i = 0; i < 50; ++i) {  // up to 10 s for the watcher
    status = Submit(Stub(renewed).get(), "token-a", &response);
    if (status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Submit(Stub(certs_).get(), "token-a", &response).error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace hirs
