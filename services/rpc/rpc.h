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

// The steps every handler shares: admit the call through `gate` for
// `method` and `request` (a refusal is finished with `finish`), then run
// `work(call)` on `pool` unless the call's deadline has passed or the
// client left (audited, and finished with `finish`); a full pool finishes
// the call with UNAVAILABLE. `work` audits and answers the call itself,
// through the gate (RecordNow or Staged, then Answer). No reaction blocks.
template <typename Work>
void AdmitAndSchedule(grpc::CallbackServerContext* context, CallGate& gate, absl::string_view method,
                      const google::protobuf::Message& request, WorkerPool* pool, Finisher finish, Work work) {
  std::optional<Call> call = gate.Admit(*context, method, &request, finish);
  if (!call.has_value()) return;
  const bool scheduled =
      pool->TrySchedule([context, &gate, &request, finish, work = std::move(work), call = *call]() mutable {
        absl::Status wanted = CheckStillWanted(*context);
        if (!wanted.ok()) {
          gate.CompleteNow(call, &request, nullptr, wanted, finish);
          return;
        }
        work(call);
      });
  if (!scheduled) gate.Complete(*call, &request, nullptr, Overloaded(), finish);
}

// A unary handler whose work audits the call itself: AdmitAndSchedule,
// finishing with the absl::Status `work(call)` returns, which must come
// from the gate (RecordNow, or OK after Staged).
template <typename Work>
grpc::ServerUnaryReactor* RunUnaryAudited(grpc::CallbackServerContext* context, CallGate& gate,
                                          absl::string_view method, const google::protobuf::Message& request,
                                          WorkerPool* pool, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Finisher finish = [reactor](const grpc::Status& status) { reactor->Finish(status); };
  AdmitAndSchedule(context, gate, method, request, pool, finish,
                   [&gate, finish, work = std::move(work)](const Call& call) mutable {
                     gate.Answer([finish, answer = ToGrpcStatus(work(call))] { finish(answer); });
                   });
  return reactor;
}

// A unary handler: as RunUnaryAudited, with `work(principal)` returning
// absl::StatusOr<Response>; the gate audits the outcome on the worker
// (RecordNow), then the answer is sent.
template <typename Response, typename Work>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, CallGate& gate, absl::string_view method,
                                   const google::protobuf::Message& request, WorkerPool* pool, Response* response,
                                   Work work) {
  return RunUnaryAudited(context, gate, method, request, pool,
                         [&gate, &request, response, work = std::move(work)](const Call& call) mutable {
                           absl::StatusOr<Response> result = work(call.principal);
                           if (result.ok()) *response = *std::move(result);
                           return gate.RecordNow(call, &request, result.ok() ? response : nullptr, result.status());
                         });
}

}  // namespace hirs::rpc

#endif  // HIRS_SERVICES_RPC_RPC_H_
