// The glue between gRPC and the domain: absl::Status to grpc::Status (the
// only place this conversion happens, carrying google.rpc error details),
// and the common shape of a unary handler. Who may call: gate.h.
#ifndef HIRS_SERVICES_RPC_RPC_H_
#define HIRS_SERVICES_RPC_RPC_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/worker_pool.h"
#include "google/rpc/status.pb.h"
#include "services/rpc/gate.h"

namespace hirs::rpc {

// The google.rpc.Status form of `status`: code, message, and each payload as
// a detail (payload type URLs are Any type URLs, e.g. google.rpc.BadRequest).
google::rpc::Status ToRpcStatus(const absl::Status& status);

// The grpc::Status form, with details in grpc-status-details-bin.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The google.rpc.Status a client reads from `status` (its
// grpc-status-details-bin, else its code and message).
google::rpc::Status FromGrpcStatus(const grpc::Status& status);

// Initial metadata a streaming method sends as soon as it has admitted a
// call, before any answer: the HTTP door answers "200" on it, or the
// refusal, before a quiet stream's first event.
inline constexpr char kStreamOpenKey[] = "x-hirs-stream-open";

// Sends `reactor`'s initial metadata now, marked kStreamOpenKey.
template <typename Reactor>
void AnnounceOpen(grpc::CallbackServerContext* context, Reactor* reactor) {
  context->AddInitialMetadata(kStreamOpenKey, "1");
  reactor->StartSendInitialMetadata();
}

// The steps every handler shares: admit the call through `gate` for
// `method` and `request` (a refusal is answered with `answer`), then run
// `work(call, answer)` on `pool` unless the call's deadline has passed or
// the client left (audited and answered); a full pool answers UNAVAILABLE.
// `work` ends the call through the gate itself (Audit, or Stage then
// AuditStaged). No reaction blocks.
template <typename Work>
void AdmitAndSchedule(grpc::CallbackServerContext* context, CallGate& gate, absl::string_view method,
                      const google::protobuf::Message& request, WorkerPool* pool, Answer answer, Work work) {
  std::optional<Call> call = gate.Admit(*context, method, &request, answer);
  if (!call.has_value()) return;
  const bool scheduled =
      pool->TrySchedule([context, &gate, &request, answer, work = std::move(work), call = *call]() mutable {
        absl::Status wanted = CheckStillWanted(*context);
        if (!wanted.ok()) {
          gate.Audit(call, &request, nullptr, wanted, answer);
          return;
        }
        work(call, answer);
      });
  if (!scheduled) gate.Audit(*call, &request, nullptr, Overloaded(), answer);
}

// A unary handler whose work ends the call itself: AdmitAndSchedule, the
// answer finishing the reactor.
template <typename Work>
grpc::ServerUnaryReactor* RunUnaryAudited(grpc::CallbackServerContext* context, CallGate& gate,
                                          absl::string_view method, const google::protobuf::Message& request,
                                          WorkerPool* pool, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AdmitAndSchedule(
      context, gate, method, request, pool,
      [reactor](const absl::Status& outcome) { reactor->Finish(ToGrpcStatus(outcome)); }, std::move(work));
  return reactor;
}

// A unary handler: as RunUnaryAudited, with `work(principal)` returning
// absl::StatusOr<Response>; the gate audits the outcome, then the answer
// is sent.
template <typename Response, typename Work>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, CallGate& gate, absl::string_view method,
                                   const google::protobuf::Message& request, WorkerPool* pool, Response* response,
                                   Work work) {
  return RunUnaryAudited(
      context, gate, method, request, pool,
      [&gate, &request, response, work = std::move(work)](const Call& call, const Answer& answer) mutable {
        absl::StatusOr<Response> result = work(call.principal);
        if (result.ok()) *response = *std::move(result);
        gate.Audit(call, &request, result.ok() ? response : nullptr, result.status(), answer);
      });
}

}  // namespace hirs::rpc

#endif  // HIRS_SERVICES_RPC_RPC_H_
