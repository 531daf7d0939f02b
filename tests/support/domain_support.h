// Helpers shared by the tests that need no server: temporary directories,
// a valid report, a principals file with one principal per role, and forged
// output-only fields. Links no gRPC.
#ifndef HIRS_TESTS_SUPPORT_DOMAIN_SUPPORT_H_
#define HIRS_TESTS_SUPPORT_DOMAIN_SUPPORT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "hirs/v1/reporting_service.pb.h"
#include "storage/store.h"

namespace hirs::testing {

// A fresh directory under $TEST_TMPDIR (or /tmp), removed with its contents
// on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Tokens of the principals WritePrincipals writes.
inline constexpr char kCentreAToken[] = "token-centre-a";
inline constexpr char kCentreBToken[] = "token-centre-b";
inline constexpr char kPoliceToken[] = "token-police";
inline constexpr char kDistrictToken[] = "token-district-charnwood";
inline constexpr char kAdminToken[] = "token-admin";
inline constexpr char kCentreA[] = "centre-a";
inline constexpr char kCentreB[] = "centre-b";

// Writes a principals file (centre-a, centre-b, police, district-charnwood,
// admin, and a disabled centre-c) into `dir`; returns its path.
std::string WritePrincipals(const std::string& dir);

// A fixed instant (2026-09-21T14:13:20Z) for deterministic test data.
inline const absl::Time kTestNow = absl::FromUnixSeconds(1790000000);

// A report that passes validation: a racially motivated verbal abuse
// incident in LE11 3AB (Charnwood) two days before `now`, with a victim.
// The same `now` always gives the same bytes.
hirs::v1::Report ValidReport(absl::Time now = kTestNow);

// A report of an incident of its own: days apart from every other i, with
// its own victim, so that none collates with another; its motivation is
// RACE for i divisible by 3, else DISABILITY.
hirs::v1::Report DistinctReport(int i, absl::Time now);

// Distinctive personal data, planted in a report so that a byte search of
// the store can find it.
struct Planted {
  std::string name, dob, phone, email, address, home_postcode, description, place;
};

// ValidReport(when) in `postcode`, carrying `p` (and school_related).
hirs::v1::Report PlantedReport(const Planted& p, absl::Time when, const std::string& postcode, bool school);

// The planted strings, each of which the store holds while the report's
// personal data is there.
std::vector<std::string> Fields(const Planted& p);

// Whether any entry of `store` (EveryEntry) contains `needle`.
bool StoreHolds(const storage::Store& store, const std::string& needle);

// Every key and value of every column family of `store`, as
// "<family>|<key>=<value>" lines: equal for stores holding the same data.
std::vector<std::string> EveryEntry(const storage::Store& store);

// A SubmitReportRequest carrying `report` and idempotency key `request_id`.
hirs::v1::SubmitReportRequest Request(const hirs::v1::Report& report, const std::string& request_id = "");

// The four services of the public API (hirs.v1), from the compiled
// descriptors: Reporting, Case, Extract and Admin.
std::vector<const google::protobuf::ServiceDescriptor*> ApiServices();

// The raw TOTP secret an otpauth:// URI carries (its base32 secret=).
std::string TotpSecretOf(const std::string& otpauth_uri);

// A path of fields from a message type to one of its (nested) fields.
using FieldPath = std::vector<const google::protobuf::FieldDescriptor*>;

// Sets every field annotated OUTPUT_ONLY in `message` and in every message
// field within it (created where unset; recursive types to depth 4) to a
// value no server would choose ("forged-…" strings, 7, true, the last enum
// value, 2001-01-01 in timestamps); returns their paths.
std::vector<FieldPath> ForgeOutputOnlyFields(google::protobuf::Message* message);

// The dotted names of the fields of `paths` whose value in `result` is the
// value `forged` holds there: forged values a server kept.
std::vector<std::string> KeptForgedFields(const google::protobuf::Message& forged,
                                          const google::protobuf::Message& result, const std::vector<FieldPath>& paths);

}  // namespace hirs::testing

#endif  // HIRS_TESTS_SUPPORT_DOMAIN_SUPPORT_H_
