#include "tests/support/test_support.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

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

}  // namespace hirs::testing
