#include "services/rpc/gate.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "google/rpc/error_details.pb.h"
#include "services/auth/access.h"
#include "services/rpc/rpc.h"

namespace hirs::rpc {
namespace {

using google::protobuf::FieldDescriptor;

bool IsCode(absl::string_view s, size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

// A report, case or review id, if `value` is one.
bool IsRecordId(absl::string_view value) {
  return IsWellFormedId("rpt_", value) || IsWellFormedId("case_", value) || IsWellFormedId("rev_", value);
}

struct Collector {
  std::vector<std::string>* ids;
  absl::flat_hash_set<std::string> seen;

  void Add(std::string id) {
    if (ids->size() < audit::kMaxResourceIds && seen.insert(id).second) ids->push_back(std::move(id));
  }

  void Visit(const google::protobuf::Message& m, int depth) {
    const google::protobuf::Descriptor* d = m.GetDescriptor();
    const google::protobuf::Reflection* r = m.GetReflection();
    if (depth > 4 || d->full_name() == "hirs.v1.AuditEntry") return;
    if (d->full_name() == "hirs.v1.MonthlyExtractRequest") {
      const FieldDescriptor* district = d->FindFieldByName("district_code");
      const FieldDescriptor* month = d->FindFieldByName("month");
      if (district != nullptr && month != nullptr) {
        const std::string dv = r->GetString(m, district);
        const std::string mv = r->GetString(m, month);
        if (IsCode(dv, 9) && IsCode(mv, 7)) Add(absl::StrCat("extract:", dv, ":", mv));
      }
    }
    const bool names_principal =
        d->full_name() == "hirs.v1.Principal" || d->full_name() == "hirs.v1.DisablePrincipalRequest";
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
        if (f->is_repeated()) {
          for (int j = 0; j < r->FieldSize(m, f); ++j) Visit(r->GetRepeatedMessage(m, f, j), depth + 1);
        } else if (r->HasField(m, f)) {
          Visit(r->GetMessage(m, f), depth + 1);
        }
        continue;
      }
      if (f->type() != FieldDescriptor::TYPE_STRING) continue;
      const std::string& name = f->name();
      const bool record = absl::EndsWith(name, "case_id") || absl::EndsWith(name, "case_ids") ||
                          absl::EndsWith(name, "report_id") || absl::EndsWith(name, "report_ids") ||
                          name == "review_id";
      const bool principal = name == "principal_id" || (names_principal && name == "id");
      if (!record && !principal) continue;
      auto take = [&](const std::string& value) {
        if (record && IsRecordId(value)) Add(value);
        if (principal && auth::IsPrincipalId(value)) Add(absl::StrCat("principal:", value));
      };
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(m, f); ++j) take(r->GetRepeatedString(m, f, j));
      } else {
        take(r->GetString(m, f));
      }
    }
  }
};

}  // namespace

absl::Duration RateLimiter::Take(absl::string_view key, absl::Time now) {
  if (limit_.per_second <= 0) return absl::ZeroDuration();
  const double burst = std::max(1.0, limit_.burst);
  absl::MutexLock lock(&mu_);
  auto [it, added] = buckets_.try_emplace(key, Bucket{burst, now});
  Bucket& b = it->second;
  if (!added && now > b.refilled) {
    b.tokens = std::min(burst, b.tokens + absl::ToDoubleSeconds(now - b.refilled) * limit_.per_second);
    b.refilled = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1.0 - b.tokens) / limit_.per_second);
}

absl::Status RateLimited(absl::string_view principal_id, absl::Duration retry_after) {
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat("principal ", principal_id, " is over its rate limit; retry after ",
                   absl::FormatDuration(absl::Ceil(retry_after, absl::Milliseconds(1))), " (see RetryInfo)"));
  google::rpc::RetryInfo info;
  const int64_t nanos = absl::ToInt64Nanoseconds(retry_after);
  info.mutable_retry_delay()->set_seconds(nanos / 1000000000);
  info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  status.SetPayload("type.googleapis.com/google.rpc.RetryInfo", absl::Cord(info.SerializeAsString()));
  return status;
}

void CollectResourceIds(const google::protobuf::Message& message, std::vector<std::string>* ids) {
  Collector collector{ids, {}};
  for (const std::string& id : *ids) collector.seen.insert(id);
  collector.Visit(message, 0);
}

namespace {

// The values of metadata `key`.
std::vector<std::string> MetadataValues(const grpc::ServerContextBase& context, absl::string_view key) {
  std::vector<std::string> out;
  auto range = context.client_metadata().equal_range(grpc::string_ref(key.data(), key.size()));
  for (auto it = range.first; it != range.second; ++it) out.emplace_back(it->second.data(), it->second.size());
  return out;
}

std::string RandomKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // the CSPRNG failing is not recoverable
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace

CallGate::CallGate(const auth::PrincipalRegistry* principals, audit::AuditLog* audit, RateLimit limit,
                   metrics::Metrics* metrics, auth::People* people)
    : principals_(principals),
      people_(people),
      audit_(audit),
      limiter_(limit),
      metrics_(metrics),
      forwarding_key_(RandomKey()) {}

bool CallGate::Forwarded(const grpc::ServerContextBase& context) const {
  const std::vector<std::string> keys = MetadataValues(context, kHttpKeyKey);
  return keys.size() == 1 && keys[0].size() == forwarding_key_.size() &&
         CRYPTO_memcmp(keys[0].data(), forwarding_key_.data(), forwarding_key_.size()) == 0;
}

std::string CallGate::PeerOf(const grpc::ServerContextBase& context) const {
  if (Forwarded(context)) {
    std::vector<std::string> forwarded = MetadataValues(context, kHttpPeerKey);
    if (forwarded.size() == 1) return forwarded[0];
  }
  return context.peer();
}

std::string BearerToken(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  absl::string_view value(it->second.data(), it->second.size());
  if (value.size() <= 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) return "";
  return std::string(absl::StripAsciiWhitespace(value.substr(7)));
}

absl::StatusOr<auth::Principal> CallGate::AuthenticateToken(const std::string& token) const {
  absl::StatusOr<auth::Principal> agency = principals_->Authenticate(token);
  if (agency.ok() || people_ == nullptr) return agency;
  absl::StatusOr<auth::Principal> person = people_->Authenticate(token);
  if (person.ok()) return person;
  if (person.status().code() != absl::StatusCode::kNotFound) return person.status();  // the store failed
  return agency;
}

absl::StatusOr<auth::Principal> CallGate::Authenticate(const grpc::ServerContextBase& context) const {
  const std::string token = BearerToken(context);
  if (!token.empty()) return AuthenticateToken(token);
  // No token: a client certificate the TLS layer verified names the caller.
  if (Forwarded(context)) {
    std::vector<std::string> names = MetadataValues(context, kHttpCertNameKey);
    if (!names.empty()) return principals_->AuthenticateCertificate(names);
  }
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<std::string> names;
    for (const char* property :
         {GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME, GRPC_X509_CN_PROPERTY_NAME}) {
      for (const grpc::string_ref& v : auth->FindPropertyValues(property)) names.emplace_back(v.data(), v.size());
    }
    return principals_->AuthenticateCertificate(names);
  }
  return principals_->Authenticate("");
}

std::optional<Call> CallGate::Admit(const grpc::CallbackServerContext& context, absl::string_view method,
                                    const google::protobuf::Message* request, const Answer& answer) {
  Call call{{}, std::string(method), PeerOf(context), absl::Now()};
  absl::Status admitted;
  std::string rate_key;
  if (auth::NeedsNoCredential(method)) {  // signing in: within the rate of the caller's address
    rate_key = absl::StrCat("address ", call.peer.substr(0, call.peer.rfind(':')));
  } else {
    absl::StatusOr<auth::Principal> principal = Authenticate(context);
    admitted = principal.status();
    if (principal.ok()) {
      call.principal = *principal;
      admitted = auth::AuthorizeMethod(*principal, method, request);
    }
    rate_key = call.principal.id;
  }
  if (admitted.ok()) {
    const absl::Duration wait = limiter_.Take(rate_key, call.start);
    if (wait > absl::ZeroDuration()) admitted = RateLimited(rate_key, wait);
  }
  if (admitted.ok()) return call;
  Audit(call, request, nullptr, admitted, answer);
  return std::nullopt;
}

hirs::v1::AuditEntry CallGate::EntryFor(const Call& call, const google::protobuf::Message* request,
                                        const google::protobuf::Message* response, absl::StatusCode code) const {
  std::vector<std::string> ids;
  if (request != nullptr) CollectResourceIds(*request, &ids);
  if (response != nullptr) CollectResourceIds(*response, &ids);
  hirs::v1::AuditEntry entry = audit::NewEntry(call.principal.id, call.method, call.start, code, std::move(ids));
  entry.set_peer(call.peer);
  if (call.principal.person) entry.set_agency(call.principal.scope);
  return entry;
}

void CallGate::Count(absl::string_view method, absl::Time start, absl::StatusCode code) const {
  if (metrics_ != nullptr) metrics_->RecordCall(method, code, absl::Now() - start);
}

void CallGate::Audit(const Call& call, const google::protobuf::Message* request,
                     const google::protobuf::Message* response, const absl::Status& outcome, Answer answer) {
  audit_->Append(EntryFor(call, request, response, outcome.code()),
                 [this, outcome, method = call.method, start = call.start,
                  answer = std::move(answer)](const absl::Status& written) mutable {
                   absl::Status sent = written.ok() ? outcome : written;
                   Count(method, start, sent.code());
                   Send(std::move(answer), std::move(sent));
                 });
}

void CallGate::Send(Answer answer, absl::Status outcome) {
  auto send = [answer = std::move(answer), outcome = std::move(outcome)] { answer(outcome); };
  if (!answers_.TrySchedule(send)) send();
}

audit::StagedEntry CallGate::Stage(const Call& call, const google::protobuf::Message* request,
                                   const google::protobuf::Message* response, storage::WriteBatch* batch) {
  return audit_->Stage(EntryFor(call, request, response, absl::StatusCode::kOk), batch);
}

void CallGate::AuditStaged(const Call& call, audit::StagedEntry staged, Answer answer) {
  audit_->Chain(std::move(staged));
  Count(call.method, call.start, absl::StatusCode::kOk);
  Send(std::move(answer), absl::OkStatus());
}

void CallGate::RecordUnparseable(const grpc::ServerContextBase& context, absl::string_view method) {
  Call call{{}, std::string(method), PeerOf(context), absl::Now()};
  absl::StatusOr<auth::Principal> principal = Authenticate(context);
  if (principal.ok()) call.principal = *principal;
  Audit(call, nullptr, nullptr, absl::InvalidArgumentError("unparseable request"), [](const absl::Status&) {});
}

bool CallGate::StillAuthenticated(const std::string& token) const {
  return token.empty() || AuthenticateToken(token).ok();
}

absl::Status CallGate::TakeItem(const Call& call) {
  const absl::Duration wait = limiter_.Take(call.principal.id, absl::Now());
  if (wait > absl::ZeroDuration()) return RateLimited(call.principal.id, wait);
  return absl::OkStatus();
}

absl::Status CheckStillWanted(grpc::CallbackServerContext& context) {
  if (context.IsCancelled()) return absl::CancelledError("the client cancelled the call");
  if (context.deadline() < std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the call's deadline passed before the work started");
  }
  return absl::OkStatus();
}

absl::Status Overloaded() {
  return absl::UnavailableError("the server is at capacity or shutting down; retry with backoff");
}

}  // namespace hirs::rpc
