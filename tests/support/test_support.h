// A real hirsd started in-process on 127.0.0.1:0 with stubs connected to
// it, for the tests of the services; with the helpers of domain_support.h.
#ifndef HIRS_TESTS_SUPPORT_TEST_SUPPORT_H_
#define HIRS_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "services/server/server.h"
#include "storage/store.h"
#include "tests/support/domain_support.h"

namespace hirs::testing {

// A real hirsd in-process, with its data in a TempDir, serving gRPC and
// HTTP/JSON on 127.0.0.1:0.
class TestServer {
 public:
  TestServer();
  // With options changed by `adjust` before it starts.
  explicit TestServer(const std::function<void(server::ServerOptions*)>& adjust);
  ~TestServer();

  // Stops the server (closing the store) and starts a new one on the same
  // data directory.
  void Restart();
  // Stops the server; the store may then be opened directly.
  void Stop();

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // The address the server listens on, e.g. "127.0.0.1:41234".
  std::string address() const { return server_->address(); }
  // The HTTP/JSON door's port.
  int http_port() const { return server_->http_port(); }
  // WatchCases calls open on the server now.
  int WatchersOpen() const { return static_cast<int>(server_->open_watches()); }
  std::unique_ptr<hirs::v1::ReportingService::Stub> Reporting() const;
  const std::string& data_dir() const { return data_dir_; }
  server::ServerOptions& options() { return options_; }
  // The Prometheus port (options().metrics_listen set), else 0.
  int metrics_port() const;

  // The number of entries in `family` of the (stopped) server's store.
  size_t CountEntries(storage::Family family) const;

 private:
  void Start();

  TempDir dir_;
  std::string data_dir_;
  server::ServerOptions options_;
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A client context carrying "authorization: Bearer <token>" (none when
// empty) and a 10 s deadline.
std::unique_ptr<grpc::ClientContext> ContextWithToken(const std::string& token);

// A person an administrator (kAdminToken) created: their id, one-time
// password and raw TOTP secret.
struct CreatedPerson {
  std::string id, one_time_password, totp_secret;
};

// Creates person `id` (display name `id`, e-mail id@example.org) through
// AdminService; expects it to succeed.
CreatedPerson CreatePerson(const std::shared_ptr<grpc::Channel>& channel, const std::string& id,
                           const std::string& scope, hirs::v1::Role role = hirs::v1::REPORTING_CENTRE);

// GET http://127.0.0.1:port/metrics: the body, "" when nothing answers.
std::string ScrapeMetrics(int port);

// The password SignInAndSetPassword chooses.
inline constexpr char kChosenPassword[] = "tea at the clock tower";

// Signs `person` in with their one-time password and a TOTP code of the
// current step, and changes the password to kChosenPassword; returns the
// session token (expects each step to succeed).
std::string SignInAndSetPassword(const std::shared_ptr<grpc::Channel>& channel, const CreatedPerson& person);

}  // namespace hirs::testing

#endif  // HIRS_TESTS_SUPPORT_TEST_SUPPORT_H_
