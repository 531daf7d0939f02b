#include "services/rpc/unparseable.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace hirs::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;

class Interceptor final : public grpc::experimental::Interceptor {
 public:
  Interceptor(grpc::experimental::ServerRpcInfo* info, CallGate* gate) : info_(info), gate_(gate) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // A call of one request message: gRPC delivers it (or nullptr when it
    // did not parse) before the handler runs.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        info_->type() != grpc::experimental::ServerRpcInfo::Type::CLIENT_STREAMING &&
        info_->type() != grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING) {
      unparsed_ = methods->GetRecvMessage() == nullptr;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) && unparsed_ &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      const std::string method = std::string(info_->method()).substr(1);  // "/pkg.Service/Method"
      methods->ModifySendStatus(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       absl::StrCat("the request is not a valid ", method,
                                    " request message: it does not parse (a string field holding invalid UTF-8, or a "
                                    "truncated or malformed message); send the message your client's generated code "
                                    "builds, with text in UTF-8")));
      gate_->RecordUnparseable(*info_->server_context(), method);
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  CallGate* const gate_;
  bool unparsed_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(CallGate* gate) : gate_(gate) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new Interceptor(info, gate_);
  }

 private:
  CallGate* const gate_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> UnparseableRequestInterceptor(CallGate* gate) {
  return std::make_unique<Factory>(gate);
}

}  // namespace hirs::rpc
