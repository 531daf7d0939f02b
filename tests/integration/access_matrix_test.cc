// The full authorization matrix over gRPC: every method of every hirs.v1
// service (from the compiled descriptors), called by every role through a
// generic stub against a real in-process hirsd. A role outside a method's
// rule gets PERMISSION_DENIED before anything runs; a role inside it gets
// something else (the empty request's INVALID_ARGUMENT, a NOT_FOUND, a
// watch's DEADLINE_EXCEEDED...). Districts: their own district passes, any
// other is refused. People signed in with a session stand beside the
// agency tokens, one of every role, and meet the same rules. Every one of
// those calls, refused or not, leaves an entry in the audit chain.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "services/auth/access.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

struct Role {
  std::string token;
  hirs::v1::Role role;
};

// Calls `method` with `request` bytes as the only message and returns the
// final status (a generic bidi call speaks every method kind on the wire).
grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method, const std::string& token,
                  const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
  auto call = stub.PrepareCall(&context, absl::StrCat("/", method), &cq);
  void* tag;
  bool ok;
  auto step = [&](intptr_t id) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), id);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  step(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

TEST(AccessMatrix, EveryMethodForEveryRoleOverGrpc) {
  hirs::testing::TestServer server;
  std::vector<Role> roles = {{hirs::testing::kCentreAToken, hirs::v1::REPORTING_CENTRE},
                             {hirs::testing::kPoliceToken, hirs::v1::POLICE},
                             {hirs::testing::kDistrictToken, hirs::v1::DISTRICT},
                             {hirs::testing::kAdminToken, hirs::v1::ADMIN}};
  const std::pair<hirs::v1::Role, const char*> people[] = {{hirs::v1::REPORTING_CENTRE, hirs::testing::kCentreA},
                                                           {hirs::v1::POLICE, "E23000021"},
                                                           {hirs::v1::DISTRICT, "E07000130"},
                                                           {hirs::v1::ADMIN, ""}};
  for (const auto& [role, scope] : people) {
    const std::string id = absl::AsciiStrToLower(absl::StrCat("person.", hirs::v1::Role_Name(role)));
    const auto person = hirs::testing::CreatePerson(server.channel(), id, scope, role);
    roles.push_back({hirs::testing::SignInAndSetPassword(server.channel(), person), role});
  }
  hirs::v1::MonthlyExtractRequest own, other;
  own.set_district_code("E07000130");  // the test district principal's scope
  own.set_month("2026-01");
  other = own;
  other.set_district_code("E06000017");
  int calls = 0;
  // SignOut last: it ends the people's sessions.
  std::vector<auth::MethodRule> rules(auth::AccessTable().begin(), auth::AccessTable().end());
  std::stable_partition(rules.begin(), rules.end(),
                        [](const auth::MethodRule& r) { return r.method != "hirs.v1.SessionService/SignOut"; });
  for (const auth::MethodRule& rule : rules) {
    if (rule.scope == auth::Scope::kNoCredential) continue;  // signing in: session_test.cc
    const std::string method(rule.method);
    const bool extract = absl::StartsWith(method, "hirs.v1.ExtractService/");
    for (const Role& r : roles) {
      const bool allowed = std::find(rule.roles.begin(), rule.roles.end(), r.role) != rule.roles.end();
      const grpc::Status status = Call(server.channel(), method, r.token, extract ? own.SerializeAsString() : "");
      ++calls;
      if (allowed) {
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " as " << hirs::v1::Role_Name(r.role) << ": " << status.error_message();
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " as " << hirs::v1::Role_Name(r.role) << ": " << status.error_message();
      }
      if (extract && r.role == hirs::v1::DISTRICT) {
        EXPECT_EQ(Call(server.channel(), method, r.token, other.SerializeAsString()).error_code(),
                  grpc::StatusCode::PERMISSION_DENIED)
            << method << " for another district";
      }
    }
    // No credential at all.
    EXPECT_EQ(Call(server.channel(), method, "", "").error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
    ++calls;
  }
  EXPECT_GE(calls, static_cast<int>((auth::AccessTable().size() - 1) * (roles.size() + 1)));  // all but SignIn

  // Every call above is in the audit chain, the refused ones included.
  auto admin = hirs::v1::AdminService::NewStub(server.channel());
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", hirs::testing::kAdminToken));
  hirs::v1::VerifyAuditResponse verified;
  ASSERT_TRUE(admin->VerifyAudit(&context, hirs::v1::VerifyAuditRequest(), &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.first_problem();
  EXPECT_GE(verified.entries_checked(), static_cast<uint64_t>(calls));
  grpc::ClientContext list_context;
  list_context.AddMetadata("authorization", absl::StrCat("Bearer ", hirs::testing::kAdminToken));
  hirs::v1::ListAuditEntriesRequest by_nobody;
  by_nobody.set_page_size(1000);
  hirs::v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(admin->ListAuditEntries(&list_context, by_nobody, &entries).ok());
  int unauthenticated = 0;
  for (const auto& e : entries.entries()) unauthenticated += e.outcome() == "UNAUTHENTICATED" ? 1 : 0;
  EXPECT_EQ(unauthenticated, static_cast<int>(auth::AccessTable().size()) - 1);  // all but SignIn
}

}  // namespace
}  // namespace hirs
