// Who may call what: the one table of RPC x role x scope, enforced by the
// rpc layer (rpc::AuthorizeCall) before any handler runs, for every method
// of every service. Handlers do not check roles.
//
// Scope rules:
//   kAny            the role reaches every resource of the method;
//   kOwnReports     a reporting centre (a system or a person) reaches only
//                   its centre's reports, the centre being its scope: the
//                   handler answers NOT_FOUND for others' (it cannot be
//                   known before the report is read);
//   kRequestDistrict a DISTRICT principal only for the district_code of
//                   its scope (checked here, from the request); other
//                   roles in the rule reach every district;
//   kNoCredential   callers need no credential (signing in): the gate
//                   admits anyone, within the rate of their address.
#ifndef HIRS_SERVICES_AUTH_ACCESS_H_
#define HIRS_SERVICES_AUTH_ACCESS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "hirs/v1/types.pb.h"
#include "services/auth/principals.h"

namespace hirs::auth {

enum class Scope { kAny, kOwnReports, kRequestDistrict, kNoCredential };

// How far a person's session must have come for a method: a first
// sign-in must set up the second factor, then (as after a reset) choose a
// password, before anything else. Each stage admits the ones after it.
enum class Stage { kReady, kChoosingPassword, kEnrolling, kAny };

struct MethodRule {
  absl::string_view method;  // "hirs.v1.CaseService/GetCase"
  std::vector<hirs::v1::Role> roles;
  Scope scope;
  Stage stage = Stage::kReady;  // the earliest stage of a session it admits
};

// Every method of every hirs.v1 service, once.
const std::vector<MethodRule>& AccessTable();

// Whether `method` needs no credential (Scope::kNoCredential).
bool NeedsNoCredential(absl::string_view method);

// OK when `principal` may call `method` ("package.Service/Method") with
// `request` (for the kRequestDistrict rule; may be null for a stream whose
// requests come later); PERMISSION_DENIED naming the principal, role and
// method otherwise, and for any method not in the table.
absl::Status AuthorizeMethod(const Principal& principal, absl::string_view method,
                             const google::protobuf::Message* request);

}  // namespace hirs::auth

#endif  // HIRS_SERVICES_AUTH_ACCESS_H_
