#include "services/rpc/rpc.h"

#include <grpcpp/support/error_details.h>

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

google::rpc::Status FromGrpcStatus(const grpc::Status& status) {
  google::rpc::Status out;
  if (!status.error_details().empty() && out.ParseFromString(status.error_details()) &&
      out.code() == static_cast<int>(status.error_code())) {
    return out;
  }
  out.Clear();
  out.set_code(static_cast<int>(status.error_code()));
  out.set_message(status.error_message());
  return out;
}

}  // namespace hirs::rpc
