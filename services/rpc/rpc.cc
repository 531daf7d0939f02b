#include "services/rpc/rpc.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/support/error_details.h>

#include <chrono>

#include "absl/strings/ascii.h"
#include "services/auth/access.h"
#include "absl/strings/match.h"

namespace hirs::rpc {

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(status.code()));
  out.set_message(std::string(status.message()));
  status.ForEachPayload([&out](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = out.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  grpc::Status out;
  const google::rpc::Status rpc_status = ToRpcStatus(status);
  if (!grpc::SetErrorDetails(rpc_status, &out).ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
  }
  return out;
}

absl::StatusOr<auth::Principal> AuthorizeCall(const grpc::CallbackServerContext& context,
                                              const auth::PrincipalRegistry& registry, absl::string_view method,
                                              const google::protobuf::Message* request) {
  absl::string_view token;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (value.size() > 7 && absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
      token = absl::StripAsciiWhitespace(value.substr(7));
    }
  }
  absl::StatusOr<auth::Principal> principal = registry.Authenticate(token);
  // No token: a client certificate the TLS layer verified names the caller.
  if (token.empty()) {
    const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
    if (auth != nullptr && auth->IsPeerAuthenticated()) {
      std::vector<std::string> names;
      for (const char* property : {GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME,
                                   GRPC_X509_CN_PROPERTY_NAME}) {
        for (const grpc::string_ref& v : auth->FindPropertyValues(property)) names.emplace_back(v.data(), v.size());
      }
      principal = registry.AuthenticateCertificate(names);
    }
  }
  if (!principal.ok()) return principal.status();
  absl::Status allowed = auth::AuthorizeMethod(*principal, method, request);
  if (!allowed.ok()) return allowed;
  return principal;
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
