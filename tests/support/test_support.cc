#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "hirs/v1/session_service.grpc.pb.h"
#include "services/auth/credentials.h"

namespace hirs::testing {

TestServer::TestServer() : TestServer([](server::ServerOptions*) {}) {}

TestServer::TestServer(const std::function<void(server::ServerOptions*)>& adjust) : data_dir_(dir_.path() + "/data") {
  options_.listen = "127.0.0.1:0";
  options_.http_listen = "127.0.0.1:0";
  options_.http_threads = 8;
  options_.data_dir = data_dir_;
  options_.principals_file = WritePrincipals(dir_.path());
  options_.worker_threads = 8;
  adjust(&options_);
  Start();
}

TestServer::~TestServer() { Stop(); }

void TestServer::Start() {
  auto server = server::Server::Start(options_);
  if (!server.ok()) {
    ADD_FAILURE() << "server did not start: " << server.status();
    std::abort();
  }
  server_ = std::move(*server);
  channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
}

void TestServer::Stop() {
  channel_.reset();
  server_.reset();
}

int TestServer::metrics_port() const { return server_ == nullptr ? 0 : server_->metrics_port(); }

void TestServer::Restart() {
  Stop();
  Start();
}

std::unique_ptr<hirs::v1::ReportingService::Stub> TestServer::Reporting() const {
  return hirs::v1::ReportingService::NewStub(channel_);
}

size_t TestServer::CountEntries(storage::Family family) const {
  storage::StoreOptions options;
  options.path = data_dir_ + "/db";
  auto store = storage::Store::Open(options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return 0;
  }
  size_t n = 0;
  auto s = (*store)->Scan(family, "", 0, [&](absl::string_view, absl::string_view) {
    ++n;
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return n;
}

std::unique_ptr<grpc::ClientContext> ContextWithToken(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

CreatedPerson CreatePerson(const std::shared_ptr<grpc::Channel>& channel, const std::string& id,
                           const std::string& scope, hirs::v1::Role role) {
  hirs::v1::CreatePersonRequest request;
  request.mutable_person()->set_person_id(id);
  request.mutable_person()->set_display_name(id);
  request.mutable_person()->set_email(id + "@example.org");
  request.mutable_person()->set_role(role);
  request.mutable_person()->set_scope(scope);
  hirs::v1::CreatePersonResponse created;
  const grpc::Status s =
      hirs::v1::AdminService::NewStub(channel)->CreatePerson(ContextWithToken(kAdminToken).get(), request, &created);
  EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
  return {id, created.one_time_password(), TotpSecretOf(created.second_factor().totp_uri())};
}

std::string SignInAndSetPassword(const std::shared_ptr<grpc::Channel>& channel, const CreatedPerson& person) {
  auto sessions = hirs::v1::SessionService::NewStub(channel);
  hirs::v1::SignInRequest request;
  request.set_login(person.id);
  request.set_password(person.one_time_password);
  request.set_code(auth::TotpCode(person.totp_secret, absl::Now()));
  hirs::v1::SignInResponse session;
  const grpc::Status s = sessions->SignIn(ContextWithToken("").get(), request, &session);
  EXPECT_TRUE(s.ok()) << person.id << ": " << s.error_message();
  EXPECT_TRUE(session.must_change_password());
  hirs::v1::ChangePasswordRequest change;
  change.set_current_password(person.one_time_password);
  change.set_new_password(kChosenPassword);
  hirs::v1::ChangePasswordResponse changed;
  const grpc::Status c = sessions->ChangePassword(ContextWithToken(session.session_token()).get(), change, &changed);
  EXPECT_TRUE(c.ok()) << person.id << ": " << c.error_message();
  return session.session_token();
}

std::string ScrapeMetrics(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

}  // namespace hirs::testing
