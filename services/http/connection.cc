#include "services/http/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace hirs::http {
namespace {

// Whether `fd` becomes ready for `events` by `deadline`.
bool Await(int fd, short events, absl::Time deadline) {
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30)));
    if (r > 0) return true;
    if (r == 0) continue;  // the loop re-checks the deadline
    if (errno != EINTR) return false;
  }
}

// Waits as an SSL call that returned `r` asks; false when it failed.
bool AwaitSsl(SSL* ssl, int fd, int r, absl::Time deadline) {
  switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
      return Await(fd, POLLIN, deadline);
    case SSL_ERROR_WANT_WRITE:
      return Await(fd, POLLOUT, deadline);
    default:
      return false;
  }
}

std::string Addr(const sockaddr_storage& a, int* port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    *port = ntohs(v6->sin6_port);
  } else {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    *port = ntohs(v4->sin_port);
  }
  return text;
}

std::vector<std::string> CertificateNames(SSL* ssl) {
  std::vector<std::string> names;
  X509* cert = SSL_get_peer_certificate(ssl);
  if (cert == nullptr) return names;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int kind : {GEN_URI, GEN_DNS}) {
      for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
        if (n->type != kind) continue;
        const ASN1_IA5STRING* s = kind == GEN_URI ? n->d.uniformResourceIdentifier : n->d.dNSName;
        names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
      }
    }
    if (sans != nullptr) GENERAL_NAMES_free(sans);
    char cn[256] = {0};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn)) > 0) {
      names.emplace_back(cn);
    }
  }
  X509_free(cert);
  return names;
}

}  // namespace

std::string PeerName(const std::string& ip, int port) {
  return ip.find(':') != std::string::npos ? absl::StrCat("ipv6:[", ip, "]:", port)
                                           : absl::StrCat("ipv4:", ip, ":", port);
}

absl::StatusOr<std::unique_ptr<TlsFiles>> TlsFiles::Load(const std::string& cert_file, const std::string& key_file,
                                                         const std::string& client_ca_file, bool require_client_cert,
                                                         absl::Duration reload) {
  std::unique_ptr<TlsFiles> files(new TlsFiles());
  files->cert_file_ = cert_file;
  files->key_file_ = key_file;
  files->client_ca_file_ = client_ca_file;
  files->require_client_cert_ = require_client_cert;
  files->reload_ = reload;
  absl::StatusOr<std::shared_ptr<SSL_CTX>> context = files->Build();
  if (!context.ok()) return context.status();
  absl::MutexLock lock(&files->mu_);
  files->context_ = *std::move(context);
  files->stamp_ = files->Stamp();
  files->checked_ = absl::Now();
  return files;
}

std::string TlsFiles::Stamp() const {
  std::string out;
  for (const std::string& f : {cert_file_, key_file_, client_ca_file_}) {
    struct stat st {};
    if (!f.empty() && ::stat(f.c_str(), &st) == 0) {
      absl::StrAppend(&out, st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ";");
    }
  }
  return out;
}

absl::StatusOr<std::shared_ptr<SSL_CTX>> TlsFiles::Build() const {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file_.c_str()) != 1) {
    return absl::FailedPreconditionError(absl::StrCat("cannot use the certificate in ", cert_file_));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file_.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return absl::FailedPreconditionError(absl::StrCat("cannot use the key in ", key_file_, " with ", cert_file_));
  }
  if (!client_ca_file_.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), client_ca_file_.c_str(), nullptr) != 1) {
      return absl::FailedPreconditionError(absl::StrCat("cannot use the client CA in ", client_ca_file_));
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | (require_client_cert_ ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       nullptr);
  }
  return ctx;
}

std::shared_ptr<SSL_CTX> TlsFiles::Context() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (now - checked_ >= reload_) {
    checked_ = now;
    const std::string stamp = Stamp();
    if (stamp != stamp_) {
      absl::StatusOr<std::shared_ptr<SSL_CTX>> rebuilt = Build();
      if (rebuilt.ok()) {  // a half-written renewal is retried at the next check
        context_ = *std::move(rebuilt);
        stamp_ = stamp;
      }
    }
  }
  return context_;
}

Connection::Connection(int fd, std::shared_ptr<SSL_CTX> tls, ConnectionLimits limits, const std::atomic<bool>* stopping)
    : fd_(fd), tls_(std::move(tls)), limits_(limits), stopping_(stopping) {
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL, 0) | O_NONBLOCK);
  // An answer goes out as its head, then its body: without this, Nagle's
  // algorithm holds the body for the client's delayed ACK (40 ms).
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (tls_ != nullptr) {
    ssl_ = SSL_new(tls_.get());
    SSL_set_fd(ssl_, fd_);
  }
}

Connection::~Connection() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);  // best effort, non-blocking
    SSL_free(ssl_);
  }
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
}

bool Connection::Handshake() {
  const absl::Time deadline = absl::Now() + limits_.head_timeout;
  for (;;) {
    const int r = SSL_accept(ssl_);
    if (r == 1) break;
    if (!AwaitSsl(ssl_, fd_, r, deadline)) {
      ERR_clear_error();
      return false;
    }
  }
  cert_names_ = CertificateNames(ssl_);
  return true;
}

Connection::Head Connection::ReadHead(absl::Duration idle) {
  buffered_.erase(0, buffered_at_);
  buffered_at_ = 0;
  if (buffered_.empty() && (ssl_ == nullptr || SSL_pending(ssl_) == 0)) {
    // In slices, so that a stop is noticed while the connection idles.
    const absl::Time until = absl::Now() + idle;
    for (;;) {
      if (stopping_ != nullptr && stopping_->load()) return Head::kClosed;
      const absl::Time slice = std::min(until, absl::Now() + absl::Milliseconds(100));
      if (Await(fd_, POLLIN, slice)) break;
      if (slice == until) return Head::kClosed;
    }
  }
  const absl::Time deadline = absl::Now() + limits_.head_timeout;
  size_t scanned = 0;
  size_t end;
  for (;;) {
    end = buffered_.find("\r\n\r\n", scanned > 3 ? scanned - 3 : 0);
    const size_t line_end = buffered_.find('\n');
    if ((line_end == std::string::npos ? buffered_.size() : line_end) > limits_.max_request_line_bytes) {
      return Head::kUriTooLong;
    }
    if (end != std::string::npos) break;
    if (buffered_.size() > limits_.max_head_bytes) return Head::kTooLarge;
    scanned = buffered_.size();
    char chunk[4096];
    const ssize_t n = Recv(chunk, sizeof(chunk), std::min(deadline, absl::Now() + limits_.io_timeout));
    if (n <= 0) return buffered_.empty() ? Head::kClosed : Head::kTimeout;
    buffered_.append(chunk, static_cast<size_t>(n));
  }
  if (end + 4 > limits_.max_head_bytes) return Head::kTooLarge;
  read_deadline_ = absl::Now() + limits_.body_timeout;
  return Head::kReady;
}

void Connection::WriteStatus(int status, const char* reason) {
  const std::string body = absl::StrCat("{\"error\": {\"code\": ", status, ", \"message\": \"", reason, "\"}}\n");
  const std::string answer = absl::StrCat("HTTP/1.1 ", status, " ", reason,
                                          "\r\nContent-Type: application/json\r\n"
                                          "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n"
                                          "Connection: close\r\nContent-Length: ",
                                          body.size(), "\r\n\r\n", body);
  (void)Send(answer.data(), answer.size(), absl::Now() + absl::Seconds(1));
}

bool Connection::is_readable() const {
  if (buffered_at_ < buffered_.size() || (ssl_ != nullptr && SSL_pending(ssl_) > 0)) return true;
  return Await(fd_, POLLIN, std::min(read_deadline_, absl::Now() + limits_.io_timeout));
}

bool Connection::is_writable() const { return Await(fd_, POLLOUT, absl::Now() + limits_.io_timeout); }

ssize_t Connection::read(char* ptr, size_t size) {
  if (buffered_at_ < buffered_.size()) {
    const size_t n = std::min(size, buffered_.size() - buffered_at_);
    buffered_.copy(ptr, n, buffered_at_);
    buffered_at_ += n;
    return static_cast<ssize_t>(n);
  }
  return Recv(ptr, size, std::min(read_deadline_, absl::Now() + limits_.io_timeout));
}

ssize_t Connection::write(const char* ptr, size_t size) { return Send(ptr, size, absl::Now() + limits_.io_timeout); }

ssize_t Connection::Recv(char* ptr, size_t size, absl::Time deadline) {
  for (;;) {
    if (ssl_ != nullptr) {
      const int r = SSL_read(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 20)));
      if (r > 0) return r;
      if (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN) return 0;
      if (!AwaitSsl(ssl_, fd_, r, deadline)) return -1;
      continue;
    }
    const ssize_t r = ::recv(fd_, ptr, size, 0);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !Await(fd_, POLLIN, deadline)) return -1;
  }
}

ssize_t Connection::Send(const char* ptr, size_t size, absl::Time deadline) {
  size_t sent = 0;
  while (sent < size) {
    if (ssl_ != nullptr) {
      const int r = SSL_write(ssl_, ptr + sent, static_cast<int>(std::min<size_t>(size - sent, 1 << 20)));
      if (r > 0) {
        sent += static_cast<size_t>(r);
      } else if (!AwaitSsl(ssl_, fd_, r, deadline)) {
        return -1;
      }
      continue;
    }
    const ssize_t r = ::send(fd_, ptr + sent, size - sent, MSG_NOSIGNAL);
    if (r > 0) {
      sent += static_cast<size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || !Await(fd_, POLLOUT, deadline)) {
      return -1;
    }
  }
  return static_cast<ssize_t>(size);
}

void Connection::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage a{};
  socklen_t len = sizeof(a);
  port = 0;
  ip.clear();
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) ip = Addr(a, &port);
}

void Connection::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage a{};
  socklen_t len = sizeof(a);
  port = 0;
  ip.clear();
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) ip = Addr(a, &port);
}

}  // namespace hirs::http
