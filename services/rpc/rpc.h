// The glue between gRPC and the domain: absl::Status to grpc::Status (the
// only place this conversion happens, carrying google.rpc error details) and
// call authentication from request metadata.
#ifndef HIRS_SERVICES_RPC_RPC_H_
#define HIRS_SERVICES_RPC_RPC_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/worker_pool.h"
#include "google/rpc/status.pb.h"
#include "services/auth/principals.h"

namespace hirs::rpc {

// The google.rpc.Status form of `status`: code, message, and each payload as
// a detail (payload type URLs are Any type URLs, e.g. google.rpc.BadRequest).
google::rpc::Status ToRpcStatus(const absl::Status& status);

// The grpc::Status form, with details in grpc-status-details-bin.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Authenticates the caller ("authorization: Bearer <token>" metadata, or a
// client certificate the TLS layer verified) and checks the access table
// (services/auth/access.h) for `method` ("hirs.v1.Service/Method") with
// `request` (null for a stream's later requests). UNAUTHENTICATED or
// PERMISSION_DENIED otherwise.
absl::StatusOr<auth::Principal> AuthorizeCall(const grpc::CallbackServerContext& context,
                                              const auth::PrincipalRegistry& registry, absl::string_view method,
                                              const google::protobuf::Message* request);

// DEADLINE_EXCEEDED when the call's deadline has passed, CANCELLED when the
// client has gone: work that has not started yet should not start.
absl::Status CheckStillWanted(grpc::CallbackServerContext& context);

// UNAVAILABLE: the worker pool's queue is full or the server is stopping.
absl::Status Overloaded();

// The common shape of a unary handler: authenticate and authorize the
// caller for `method` and `request`, then run `work(principal)` (returning
// absl::StatusOr<Response>) on `pool`, unless the call's deadline has passed
// or the client left, and finish with its result. No reaction blocks.
template <typename Response, typename Work>
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, const auth::PrincipalRegistry& registry,
                                   absl::string_view method, const google::protobuf::Message& request,
                                   WorkerPool* pool, Response* response, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<auth::Principal> principal = AuthorizeCall(*context, registry, method, &request);
  if (!principal.ok()) {
    reactor->Finish(ToGrpcStatus(principal.status()));
    return reactor;
  }
  const bool scheduled = pool->TrySchedule(
      [context, response, reactor, work = std::move(work), principal = *std::move(principal)]() mutable {
        absl::Status wanted = CheckStillWanted(*context);
        if (!wanted.ok()) {
          reactor->Finish(ToGrpcStatus(wanted));
          return;
        }
        absl::StatusOr<Response> result = work(principal);
        if (result.ok()) *response = *std::move(result);
        reactor->Finish(ToGrpcStatus(result.status()));
      });
  if (!scheduled) reactor->Finish(ToGrpcStatus(Overloaded()));
  return reactor;
}

}  // namespace hirs::rpc

#endif  // HIRS_SERVICES_RPC_RPC_H_
