// The one way into and out of every RPC. Admit runs before any handler:
// authentication (bearer token, or a client certificate the TLS layer
// verified), the access table (services/auth/access.h), and the caller's
// rate limit. Audit runs after it: the call's audit entry
// (services/audit/audit_log.h) is written, and only then is the answer
// sent, from the gate's one answering thread; a call that writes may
// instead stage its entry into its own batch (Stage, then AuditStaged).
// Refused calls are audited too. A unary call passes through the gate
// twice (Admit, Audit), or three times when it stages (Admit, Stage,
// AuditStaged); a stream's items once more each (TakeItem, Audit).
#ifndef HIRS_SERVICES_RPC_GATE_H_
#define HIRS_SERVICES_RPC_GATE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/worker_pool.h"
#include "google/protobuf/message.h"
#include "services/audit/audit_log.h"
#include "services/auth/people.h"
#include "services/auth/principals.h"
#include "services/metrics/metrics.h"

namespace hirs::rpc {

// Calls per principal: a token bucket refilled at per_second up to burst.
// per_second 0: no limit.
struct RateLimit {
  double per_second = 0;
  double burst = 0;
};

// Thread safe.
class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit) : limit_(limit) {}
  // Zero when `key` may make one more call at `now` (and counts it);
  // otherwise how long until it may.
  absl::Duration Take(absl::string_view key, absl::Time now);

 private:
  struct Bucket {
    double tokens;
    absl::Time refilled;
  };
  const RateLimit limit_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

// RESOURCE_EXHAUSTED carrying google.rpc.RetryInfo (retry_after).
absl::Status RateLimited(absl::string_view principal_id, absl::Duration retry_after);

// The report ("rpt_…"), case ("case_…") and review ("rev_…") ids a message
// names in fields called *case_id(s), *report_id(s) or review_id, and in
// messages within it; "principal:<id>" for principals an AdminService call
// names; "extract:<district>:<month>" for an extract request. Ids that are
// not well formed are left out, so no free text reaches the audit trail.
void CollectResourceIds(const google::protobuf::Message& message, std::vector<std::string>* ids);

// Metadata the HTTP door (services/http/) sets on the calls it makes
// through the in-process channel: the HTTP client's address, and each name
// its verified client certificate gives. Believed only on calls that also
// carry kHttpKeyKey with the gate's forwarding_key(), which never leaves
// the process; any other caller's are ignored.
inline constexpr char kHttpPeerKey[] = "x-hirs-http-peer";
inline constexpr char kHttpCertNameKey[] = "x-hirs-http-cert-name";
inline constexpr char kHttpKeyKey[] = "x-hirs-http-key";

// An admitted call.
struct Call {
  auth::Principal principal;
  std::string method;
  std::string peer;
  absl::Time start;
};

// Answers a call (or a stream's item) with its outcome: a reactor's
// Finish, a stream's next write. Runs on the gate's answering thread.
using Answer = std::function<void(const absl::Status&)>;

// Thread safe.
class CallGate {
 public:
  // `metrics` may be null.
  // `people` (may be null) authenticates people's session tokens.
  CallGate(const auth::PrincipalRegistry* principals, audit::AuditLog* audit, RateLimit limit,
           metrics::Metrics* metrics = nullptr, auth::People* people = nullptr);

  // A random secret of this gate's (64 hex digits): the HTTP door's calls
  // carry it as kHttpKeyKey to have their kHttp* metadata believed.
  const std::string& forwarding_key() const { return forwarding_key_; }

  // The call, when its caller is authenticated, may call `method` with
  // `request` (null for a stream whose requests come later) and is within
  // its rate. Otherwise audits the refusal, answers it with `answer`
  // (UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED with RetryInfo)
  // and returns nullopt.
  std::optional<Call> Admit(const grpc::CallbackServerContext& context, absl::string_view method,
                            const google::protobuf::Message* request, const Answer& answer);

  // Writes the call's audit entry, naming the ids in `request` and
  // `response` (either may be null) and `outcome`'s code, then runs
  // `answer` with `outcome` (UNAVAILABLE instead when the entry could not
  // be written) on the answering thread, in order with other answers: gRPC
  // then writes the answers of many calls in one go, where answers sent
  // from each worker cost a fifth of the submit throughput. Does not
  // block, so reactions and workers alike may call it.
  void Audit(const Call& call, const google::protobuf::Message* request, const google::protobuf::Message* response,
             const absl::Status& outcome, Answer answer);

  // For a call that writes: its entry, as if it succeeded, goes into the
  // call's own `batch` (AuditLog::Stage), so the audit costs no write of its
  // own. Once the batch is written, pass the result to AuditStaged; if it is
  // not, drop it and Audit the failure.
  audit::StagedEntry Stage(const Call& call, const google::protobuf::Message* request,
                           const google::protobuf::Message* response, storage::WriteBatch* batch);
  // The staged call's batch is written: its entry is durable. Hands the
  // entry on to be chained, counts the call, and answers it OK on the
  // answering thread.
  void AuditStaged(const Call& call, audit::StagedEntry staged, Answer answer);

  // Runs every answer queued (server shutdown, once no call can end any
  // more).
  void DrainAnswers() { answers_.Drain(); }

  // Audits a call of `method` refused with INVALID_ARGUMENT because its
  // request did not parse (unparseable.h), under whoever its credentials
  // name (no principal when they name nobody). Does not block.
  void RecordUnparseable(const grpc::ServerContextBase& context, absl::string_view method);

  // Whether `token` still authenticates someone (an agency's token, a
  // person's live session); true for "" (a client certificate, checked by
  // TLS when the connection was made). For long calls (a watch).
  bool StillAuthenticated(const std::string& token) const;

  // One more item of a stream (SubmitReports) against the caller's rate.
  absl::Status TakeItem(const Call& call);

  // Where calls are counted (null: nowhere).
  metrics::Metrics* metrics() const { return metrics_; }

 private:
  absl::StatusOr<auth::Principal> Authenticate(const grpc::ServerContextBase& context) const;
  // Whether the call carries forwarding_key(): it comes from the HTTP door.
  bool Forwarded(const grpc::ServerContextBase& context) const;
  // The caller's address: the HTTP client's for the HTTP door's calls.
  std::string PeerOf(const grpc::ServerContextBase& context) const;
  // Runs `answer` with `outcome` on the answering thread (at once when its
  // queue is full).
  void Send(Answer answer, absl::Status outcome);
  // The call's entry: the ids in `request` and `response`, and the outcome
  // `code`.
  hirs::v1::AuditEntry EntryFor(const Call& call, const google::protobuf::Message* request,
                                const google::protobuf::Message* response, absl::StatusCode code) const;
  // Counts a call of `method` that started at `start` in metrics_ (if any).
  // The agency principal holding `token`, else the person whose live
  // session it is; UNAUTHENTICATED when neither.
  absl::StatusOr<auth::Principal> AuthenticateToken(const std::string& token) const;
  void Count(absl::string_view method, absl::Time start, absl::StatusCode code) const;

  const auth::PrincipalRegistry* const principals_;
  auth::People* const people_;
  audit::AuditLog* const audit_;
  RateLimiter limiter_;
  metrics::Metrics* const metrics_;
  const std::string forwarding_key_;
  // Last: destroyed first, running what is queued while the rest is alive.
  WorkerPool answers_{1, 1 << 16, "hirs-answers"};
};

// The token of the call's "authorization: Bearer <token>"; "" without one.
std::string BearerToken(const grpc::ServerContextBase& context);

// DEADLINE_EXCEEDED when the call's deadline has passed, CANCELLED when the
// client has gone: work that has not started yet should not start.
absl::Status CheckStillWanted(grpc::CallbackServerContext& context);

// UNAVAILABLE: the worker pool's queue is full or the server is stopping.
absl::Status Overloaded();

}  // namespace hirs::rpc

#endif  // HIRS_SERVICES_RPC_GATE_H_
