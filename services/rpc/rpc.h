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

// A unary handler whose work audits the call itself: admit the call
// through `gate` for `method` and `request`, run `work(call)` on `pool`
// unless the call's deadline has passed or the client left, and finish
// with the absl::Status it returns, which must come from the gate
// (RecordNow, or OK after Staged). No reaction blocks.
template <typename Work>
grpc::ServerUnaryReactor* RunUnaryAudited(grpc::CallbackServerContext* context, CallGate& gate,
                                          absl::string_view method, const google::protobuf::Message& request,
                                          WorkerPool* pool, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Finisher finish = [reactor](const grpc::Status& status) { reactor->Finish(status); };
  std::optional<Call> call = gate.Admit(*context, method, &request, finish);
  if (!call.has_value()) return reactor;
  const bool scheduled =
      pool->TrySchedule([context, &gate, &request, finish, work = std::move(work), call = *call]() mutable {
        absl::Status wanted = CheckStillWanted(*context);
        if (!wanted.ok()) {
          gate.CompleteNow(call, &request, nullptr, wanted, finish);
          return;
        }
        gate.Answer([finish, answer = ToGrpcStatus(work(call))] { finish(answer); });
      });
  if (!scheduled) gate.Complete(*call, &request, nullptr, Overloaded(), finish);
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
