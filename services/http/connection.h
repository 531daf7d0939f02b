// One HTTP client connection as cpp-httplib's Stream, with the bounds the
// library does not keep itself: the request head (request line and
// headers) must arrive whole by a deadline and within a size, the body by
// another deadline, every read and write within a timeout. A client that
// trickles bytes (slowloris) therefore holds a thread for the head
// deadline at most. Optionally TLS (OpenSSL), with the client certificate's
// names for authentication.
#ifndef HIRS_SERVICES_HTTP_CONNECTION_H_
#define HIRS_SERVICES_HTTP_CONNECTION_H_

#include <openssl/ssl.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace hirs::http {

struct ConnectionLimits {
  absl::Duration head_timeout = absl::Seconds(10);  // the whole request head
  absl::Duration body_timeout = absl::Seconds(30);  // the whole body
  absl::Duration io_timeout = absl::Seconds(10);    // any one read or write
  size_t max_head_bytes = 16 << 10;                 // beyond: 431
  size_t max_request_line_bytes = 8 << 10;          // beyond: 414
};

// TLS settings from PEM files, re-read when they change (checked at most
// every `reload`). Thread safe.
class TlsFiles {
 public:
  // FAILED_PRECONDITION naming the file that cannot be used.
  static absl::StatusOr<std::unique_ptr<TlsFiles>> Load(const std::string& cert_file, const std::string& key_file,
                                                        const std::string& client_ca_file, bool require_client_cert,
                                                        absl::Duration reload);
  // The context for a new connection (reloaded first if a file changed).
  std::shared_ptr<SSL_CTX> Context();

 private:
  TlsFiles() = default;
  absl::StatusOr<std::shared_ptr<SSL_CTX>> Build() const;
  std::string Stamp() const;  // the files' sizes and change times

  std::string cert_file_, key_file_, client_ca_file_;
  bool require_client_cert_ = false;
  absl::Duration reload_;
  absl::Mutex mu_;
  std::shared_ptr<SSL_CTX> context_ ABSL_GUARDED_BY(mu_);
  std::string stamp_ ABSL_GUARDED_BY(mu_);
  absl::Time checked_ ABSL_GUARDED_BY(mu_);
};

// "ipv4:ADDR:PORT" or "ipv6:[ADDR]:PORT" for a client at `ip` and `port`,
// as gRPC names peers.
std::string PeerName(const std::string& ip, int port);

// Not thread safe: one connection, one thread.
class Connection final : public httplib::Stream {
 public:
  // Takes `fd` (closed on destruction) and makes it non-blocking. With
  // `tls`, Handshake must succeed before anything else. Once `*stopping`
  // (may be null), no new request is waited for.
  Connection(int fd, std::shared_ptr<SSL_CTX> tls, ConnectionLimits limits,
             const std::atomic<bool>* stopping = nullptr);
  ~Connection() override;

  // The TLS handshake, by the head deadline.
  bool Handshake();
  // The names a verified client certificate gives (SAN URIs, SAN DNS
  // names, the subject CN), as the gRPC side reads them; empty without one.
  const std::vector<std::string>& certificate_names() const { return cert_names_; }

  enum class Head { kReady, kClosed, kTimeout, kTooLarge, kUriTooLong };
  // Waits up to `idle` for a request to begin, then reads its head by the
  // head deadline. kClosed: the client closed or sent nothing.
  Head ReadHead(absl::Duration idle);
  // A short answer written directly (408, 413, 414, 431, 503), then the
  // connection is to be closed.
  void WriteStatus(int status, const char* reason);

  // httplib::Stream.
  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  ssize_t Recv(char* ptr, size_t size, absl::Time deadline);
  ssize_t Send(const char* ptr, size_t size, absl::Time deadline);

  int fd_;
  SSL* ssl_ = nullptr;
  std::shared_ptr<SSL_CTX> tls_;
  ConnectionLimits limits_;
  const std::atomic<bool>* stopping_;
  std::string buffered_;  // read past the head's end, served first
  size_t buffered_at_ = 0;
  absl::Time read_deadline_ = absl::InfiniteFuture();  // the head's or body's
  std::vector<std::string> cert_names_;
};

}  // namespace hirs::http

#endif  // HIRS_SERVICES_HTTP_CONNECTION_H_
