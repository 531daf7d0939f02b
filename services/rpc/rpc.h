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

// A unary handler: admit the call through `gate` for `method` and
// `request`, run `work(principal)` (returning absl::StatusOr<Response>) on
// `pool` unless the call's deadline has passed or the client left, then
// complete it through the gate (audit, then the answer). No reaction blocks.
template <typename Response, typename Work>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, CallGate& gate, absl::string_view method,
                                   const google::protobuf::Message& request, WorkerPool* pool, Response* response,
                                   Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Finisher finish = [reactor](const grpc::Status& status) { reactor->Finish(status); };
  std::optional<Call> call = gate.Admit(*context, method, &request, finish);
  if (!call.has_value()) return reactor;
  const bool scheduled =
      pool->TrySchedule([context, &gate, &request, response, finish, work = std::move(work), call = *call]() mutable {
        absl::Status wanted = CheckStillWanted(*context);
        if (!wanted.ok()) {
          gate.Complete(call, &request, nullptr, wanted, finish);
          return;
        }
        absl::StatusOr<Response> result = work(call.principal);
        if (result.ok()) *response = *std::move(result);
        gate.Complete(call, &request, result.ok() ? response : nullptr, result.status(), finish);
      });
  if (!scheduled) gate.Complete(*call, &request, nullptr, Overloaded(), finish);
  return reactor;
}

}  // namespace hirs::rpc

#endif  // HIRS_SERVICES_RPC_RPC_H_
