// gRPC adapter of hirs.v1.SessionService: people sign in (auth/people.h),
// out, set up their second factor at a first sign-in, change their
// password, and any caller asks who it is. SignIn needs no credential (the gate
// admits it within the rate of the caller's address); its audit entry
// names the person when it succeeds, and the client's address either way.
#ifndef HIRS_SERVICES_SESSIONS_SESSION_SERVICE_H_
#define HIRS_SERVICES_SESSIONS_SESSION_SERVICE_H_

#include "common/worker_pool.h"
#include "hirs/v1/session_service.grpc.pb.h"
#include "services/auth/people.h"
#include "services/rpc/gate.h"

namespace hirs::sessions {

// Thread safe. Every pointer is borrowed and must outlive the service.
class SessionServiceImpl final : public hirs::v1::SessionService::CallbackService {
 public:
  SessionServiceImpl(auth::People* people, rpc::CallGate* gate, WorkerPool* pool)
      : people_(people), gate_(gate), pool_(pool) {}

  grpc::ServerUnaryReactor* SignIn(grpc::CallbackServerContext* context, const hirs::v1::SignInRequest* request,
                                   hirs::v1::SignInResponse* response) override;
  grpc::ServerUnaryReactor* SignOut(grpc::CallbackServerContext* context, const hirs::v1::SignOutRequest* request,
                                    hirs::v1::SignOutResponse* response) override;
  grpc::ServerUnaryReactor* ChangePassword(grpc::CallbackServerContext* context,
                                           const hirs::v1::ChangePasswordRequest* request,
                                           hirs::v1::ChangePasswordResponse* response) override;
  grpc::ServerUnaryReactor* GetSecondFactorEnrolment(grpc::CallbackServerContext* context,
                                                     const hirs::v1::GetSecondFactorEnrolmentRequest* request,
                                                     hirs::v1::SecondFactorEnrolment* response) override;
  grpc::ServerUnaryReactor* ConfirmSecondFactor(grpc::CallbackServerContext* context,
                                                const hirs::v1::ConfirmSecondFactorRequest* request,
                                                hirs::v1::ConfirmSecondFactorResponse* response) override;
  grpc::ServerUnaryReactor* GetCaller(grpc::CallbackServerContext* context, const hirs::v1::GetCallerRequest* request,
                                      hirs::v1::Caller* response) override;

 private:
  // `method` of this service for a person's session only
  // (FAILED_PRECONDITION for another credential): `work(token)` with the
  // session's token, through the gate as RunUnary.
  template <typename Response, typename Work>
  grpc::ServerUnaryReactor* AsPerson(grpc::CallbackServerContext* context, absl::string_view method,
                                     const google::protobuf::Message& request, Response* response, Work work);

  auth::People* const people_;
  rpc::CallGate* const gate_;
  WorkerPool* const pool_;
};

}  // namespace hirs::sessions

#endif  // HIRS_SERVICES_SESSIONS_SESSION_SERVICE_H_
