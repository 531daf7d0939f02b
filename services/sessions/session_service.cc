#include "services/sessions/session_service.h"

#include "services/rpc/rpc.h"

namespace hirs::sessions {
namespace {

constexpr char kService[] = "hirs.v1.SessionService/";

// FAILED_PRECONDITION for a caller that is not a person's session (an
// agency's token, a certificate).
absl::Status RequirePerson(const auth::Principal& caller) {
  if (caller.person) return absl::OkStatus();
  return absl::FailedPreconditionError("this credential is not a person's session; sign in first");
}

}  // namespace

template <typename Response, typename Work>
grpc::ServerUnaryReactor* SessionServiceImpl::AsPerson(grpc::CallbackServerContext* context, absl::string_view method,
                                                       const google::protobuf::Message& request, Response* response,
                                                       Work work) {
  return rpc::RunUnary(context, *gate_, absl::StrCat(kService, method), request, pool_, response,
                       [work = std::move(work),
                        token = rpc::BearerToken(*context)](const auth::Principal& caller) -> absl::StatusOr<Response> {
                         if (absl::Status s = RequirePerson(caller); !s.ok()) return s;
                         return work(token);
                       });
}

grpc::ServerUnaryReactor* SessionServiceImpl::SignIn(grpc::CallbackServerContext* context,
                                                     const hirs::v1::SignInRequest* request,
                                                     hirs::v1::SignInResponse* response) {
  return rpc::RunUnaryAudited(context, *gate_, absl::StrCat(kService, "SignIn"), *request, pool_,
                              [this, request, response](const rpc::Call& call, const rpc::Answer& answer) {
                                absl::StatusOr<hirs::v1::SignInResponse> result = people_->SignIn(*request, call.peer);
                                rpc::Call audited = call;  // the entry names who signed in
                                if (result.ok()) {
                                  audited.principal =
                                      auth::Principal{result->person().person_id(), result->person().role(),
                                                      result->person().scope(), /*person=*/true};
                                  *response = *std::move(result);
                                }
                                // The request (a password) and the answer (a session token) name no
                                // resource: the entry holds none of them.
                                gate_->Audit(audited, nullptr, nullptr, result.status(), answer);
                              });
}

grpc::ServerUnaryReactor* SessionServiceImpl::SignOut(grpc::CallbackServerContext* context,
                                                      const hirs::v1::SignOutRequest* request,
                                                      hirs::v1::SignOutResponse* response) {
  return AsPerson(context, "SignOut", *request, response,
                  [this](const std::string& token) -> absl::StatusOr<hirs::v1::SignOutResponse> {
                    if (absl::Status s = people_->SignOut(token); !s.ok()) return s;
                    return hirs::v1::SignOutResponse();
                  });
}

grpc::ServerUnaryReactor* SessionServiceImpl::ChangePassword(grpc::CallbackServerContext* context,
                                                             const hirs::v1::ChangePasswordRequest* request,
                                                             hirs::v1::ChangePasswordResponse* response) {
  return AsPerson(context, "ChangePassword", *request, response,
                  [this, request](const std::string& token) -> absl::StatusOr<hirs::v1::ChangePasswordResponse> {
                    if (absl::Status s = people_->ChangePassword(token, *request); !s.ok()) return s;
                    return hirs::v1::ChangePasswordResponse();
                  });
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetSecondFactorEnrolment(
    grpc::CallbackServerContext* context, const hirs::v1::GetSecondFactorEnrolmentRequest* request,
    hirs::v1::SecondFactorEnrolment* response) {
  return AsPerson(context, "GetSecondFactorEnrolment", *request, response,
                  [this](const std::string& token) { return people_->SecondFactorToEnrol(token); });
}

grpc::ServerUnaryReactor* SessionServiceImpl::ConfirmSecondFactor(grpc::CallbackServerContext* context,
                                                                  const hirs::v1::ConfirmSecondFactorRequest* request,
                                                                  hirs::v1::ConfirmSecondFactorResponse* response) {
  return AsPerson(context, "ConfirmSecondFactor", *request, response,
                  [this, request](const std::string& token) -> absl::StatusOr<hirs::v1::ConfirmSecondFactorResponse> {
                    if (absl::Status s = people_->ConfirmSecondFactor(token, request->code()); !s.ok()) return s;
                    return hirs::v1::ConfirmSecondFactorResponse();
                  });
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetCaller(grpc::CallbackServerContext* context,
                                                        const hirs::v1::GetCallerRequest* request,
                                                        hirs::v1::Caller* response) {
  return rpc::RunUnary(context, *gate_, absl::StrCat(kService, "GetCaller"), *request, pool_, response,
                       [this](const auth::Principal& caller) -> absl::StatusOr<hirs::v1::Caller> {
                         hirs::v1::Caller out;
                         out.set_id(caller.id);
                         out.set_role(caller.role);
                         out.set_scope(caller.scope);
                         out.set_person(caller.person);
                         out.set_must_change_password(caller.must_change_password);
                         out.set_must_enrol_second_factor(caller.must_enrol_second_factor);
                         if (caller.person) {
                           absl::StatusOr<hirs::v1::Person> person = people_->Get(caller.id);
                           if (!person.ok()) return person.status();
                           out.set_display_name(person->display_name());
                         }
                         return out;
                       });
}

}  // namespace hirs::sessions
