#include "services/replication/etcd.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hirs::replication {

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

// Whether `host` is an IPv4 literal.
bool IsIpv4(absl::string_view host) {
  int parts = 0;
  for (absl::string_view part : absl::StrSplit(host, '.')) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v) || v < 0 || v > 255) return false;
    ++parts;
  }
  return parts == 4;
}

// The gRPC target for the endpoints (without their scheme): every member
// behind one channel ("ipv4:a:1,b:2") when they are IPv4 literals, else
// the one endpoint (a DNS name may resolve to every member).
absl::StatusOr<std::string> TargetOf(const std::vector<std::string>& hosts) {
  bool literal = true;
  for (const auto& h : hosts) literal &= IsIpv4(h.substr(0, h.rfind(':')));
  if (literal) return absl::StrCat("ipv4:", absl::StrJoin(hosts, ","));
  if (hosts.size() == 1) return absl::StrCat("dns:///", hosts[0]);
  return absl::InvalidArgumentError(
      "etcd endpoints by name: give one name that resolves to every member, or the members' IPv4 addresses");
}

// The answer of `stub`'s unary `method`, bounded by `context`'s deadline.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Unary(Stub* stub,
                               grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                               std::unique_ptr<grpc::ClientContext> context, const Request& request) {
  Response response;
  absl::Status s = FromEtcd((stub->*method)(context.get(), request, &response));
  if (!s.ok()) return s;
  return response;
}

}  // namespace

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

void RequireCreateRevision(etcdserverpb::TxnRequest* txn, absl::string_view key, int64_t revision) {
  auto* compare = txn->add_compare();
  compare->set_key(std::string(key));
  compare->set_target(etcdserverpb::Compare::CREATE);
  compare->set_result(etcdserverpb::Compare::EQUAL);
  compare->set_create_revision(revision);
}

absl::Status FromEtcd(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("etcd: ", status.error_message()));
}

absl::StatusOr<std::unique_ptr<Etcd>> Etcd::Connect(const EtcdOptions& options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no etcd endpoint given");
  std::vector<std::string> hosts;
  int secure = 0;
  for (absl::string_view url : options.endpoints) {
    if (absl::ConsumePrefix(&url, "https://")) {
      ++secure;
    } else if (!absl::ConsumePrefix(&url, "http://")) {
      return absl::InvalidArgumentError(absl::StrCat("etcd endpoint ", url, " is not an http:// or https:// URL"));
    }
    hosts.emplace_back(absl::StripSuffix(url, "/"));
  }
  if (secure != 0 && secure != static_cast<int>(hosts.size())) {
    return absl::InvalidArgumentError("etcd endpoints mix http:// and https://");
  }
  absl::StatusOr<std::string> target = TargetOf(hosts);
  if (!target.ok()) return target.status();
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (secure != 0) {
    grpc::SslCredentialsOptions tls;
    if (!options.ca_file.empty()) {
      auto ca = ReadPem(options.ca_file);
      if (!ca.ok()) return ca.status();
      tls.pem_root_certs = *ca;
    }
    if (!options.cert_file.empty() || !options.key_file.empty()) {
      auto cert = ReadPem(options.cert_file);
      auto key = ReadPem(options.key_file);
      if (!cert.ok()) return cert.status();
      if (!key.ok()) return key.status();
      tls.pem_cert_chain = *cert;
      tls.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(tls);
  }
  grpc::ChannelArguments args;
  // Several members by address behind one channel: TLS checks each
  // member's certificate for the first member's host (a name or address
  // every member's certificate must carry; etcd's documentation has them
  // share one), not for the whole target.
  if (secure != 0 && hosts.size() > 1) args.SetSslTargetNameOverride(hosts[0].substr(0, hosts[0].rfind(':')));
  // Every member in turn, skipping those that do not answer: a member cut
  // off from the others is left for the rest.
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  return std::unique_ptr<Etcd>(new Etcd(grpc::CreateCustomChannel(*target, credentials, args), options.call_timeout));
}

Etcd::Etcd(std::shared_ptr<grpc::Channel> channel, absl::Duration call_timeout)
    : channel_(std::move(channel)),
      call_timeout_(call_timeout),
      kv_(etcdserverpb::KV::NewStub(channel_)),
      lease_(etcdserverpb::Lease::NewStub(channel_)),
      watch_(etcdserverpb::Watch::NewStub(channel_)),
      maintenance_(etcdserverpb::Maintenance::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> Etcd::CallContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + call_timeout_));
  return context;
}

absl::StatusOr<etcdserverpb::RangeResponse> Etcd::Range(const etcdserverpb::RangeRequest& request) const {
  return Unary(kv_.get(), &etcdserverpb::KV::Stub::Range, CallContext(), request);
}

absl::StatusOr<etcdserverpb::PutResponse> Etcd::Put(const etcdserverpb::PutRequest& request) const {
  return Unary(kv_.get(), &etcdserverpb::KV::Stub::Put, CallContext(), request);
}

absl::StatusOr<etcdserverpb::DeleteRangeResponse> Etcd::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) const {
  return Unary(kv_.get(), &etcdserverpb::KV::Stub::DeleteRange, CallContext(), request);
}

absl::StatusOr<etcdserverpb::TxnResponse> Etcd::Txn(const etcdserverpb::TxnRequest& request) const {
  return Unary(kv_.get(), &etcdserverpb::KV::Stub::Txn, CallContext(), request);
}

absl::StatusOr<etcdserverpb::CompactionResponse> Etcd::Compact(int64_t revision) const {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  return Unary(kv_.get(), &etcdserverpb::KV::Stub::Compact, CallContext(), request);
}

absl::Status Etcd::Defragment() const {
  return Unary(maintenance_.get(), &etcdserverpb::Maintenance::Stub::Defragment, CallContext(),
               etcdserverpb::DefragmentRequest())
      .status();
}

absl::StatusOr<int64_t> Etcd::GrantLease(absl::Duration ttl) const {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(std::max<int64_t>(1, absl::ToInt64Seconds(ttl)));
  absl::StatusOr<etcdserverpb::LeaseGrantResponse> granted =
      Unary(lease_.get(), &etcdserverpb::Lease::Stub::LeaseGrant, CallContext(), request);
  if (!granted.ok()) return granted.status();
  if (!granted->error().empty()) return absl::UnavailableError(absl::StrCat("etcd: ", granted->error()));
  return granted->id();
}

absl::StatusOr<absl::Duration> Etcd::KeepAlive(int64_t id, absl::Duration timeout) const {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  auto stream = lease_->LeaseKeepAlive(&context);
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(id);
  etcdserverpb::LeaseKeepAliveResponse response;
  const bool answered = stream->Write(request) && stream->Read(&response);
  stream->WritesDone();
  context.TryCancel();
  grpc::Status finished = stream->Finish();
  if (!answered) {
    absl::Status s = FromEtcd(finished);
    return s.ok() ? absl::UnavailableError("etcd: the lease keep-alive stream closed") : s;
  }
  if (response.ttl() <= 0) return absl::NotFoundError(absl::StrCat("etcd: lease ", id, " has expired"));
  return absl::Seconds(response.ttl());
}

absl::Status Etcd::RevokeLease(int64_t id) const {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  return Unary(lease_.get(), &etcdserverpb::Lease::Stub::LeaseRevoke, CallContext(), request).status();
}

Etcd::Watch::~Watch() { Stop(); }

void Etcd::Watch::Stop() {
  stopping_ = true;
  if (context_ != nullptr) context_->TryCancel();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<Etcd::Watch> Etcd::WatchPrefix(absl::string_view prefix, int64_t start_revision, OnEvents on_events,
                                               OnEnd on_end) const {
  std::unique_ptr<Watch> watch(new Watch());
  watch->context_ = std::make_unique<grpc::ClientContext>();
  // etcd cancels the watch when its member loses the cluster's leader,
  // rather than leaving a cut-off member's watch silent.
  watch->context_->AddMetadata("hasleader", "true");
  etcdserverpb::WatchRequest request;
  auto* create = request.mutable_create_request();
  create->set_key(std::string(prefix));
  create->set_range_end(PrefixEnd(prefix));
  create->set_start_revision(start_revision);
  Watch* w = watch.get();
  watch->thread_ =
      std::thread([this, w, request, start_revision, on_events = std::move(on_events), on_end = std::move(on_end)] {
        auto stream = watch_->Watch(w->context_.get());
        absl::Status ended = absl::UnavailableError("etcd: the watch stream closed");
        if (stream->Write(request)) {
          etcdserverpb::WatchResponse response;
          while (stream->Read(&response)) {
            if (response.canceled()) {
              ended = response.compact_revision() > 0
                          ? absl::OutOfRangeError(absl::StrCat("etcd: revision ", start_revision,
                                                               " was compacted; the oldest left is ",
                                                               response.compact_revision()))
                          : absl::UnavailableError(
                                absl::StrCat("etcd: the watch was cancelled: ", response.cancel_reason()));
              break;
            }
            if (response.events_size() > 0) on_events(response);
          }
        }
        w->context_->TryCancel();
        grpc::Status finished = stream->Finish();
        if (!finished.ok() && ended.code() == absl::StatusCode::kUnavailable) ended = FromEtcd(finished);
        if (!w->stopping_) on_end(ended);
      });
  return watch;
}

}  // namespace hirs::replication
