// OUTPUT_ONLY fields (google.api.field_behavior) are the server's: what a
// caller sends in them is ignored, wherever the field sits in a request.
#include <set>

#include "common/field_behavior.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.pb.h"
#include "hirs/v1/case_service.pb.h"
#include "services/auth/directory.h"
#include "tests/support/domain_support.h"

namespace hirs {
namespace {

using google::protobuf::Descriptor;
using ::testing::IsEmpty;

TEST(ClearOutputOnlyFields, ClearsAnnotatedFieldsAtEveryDepthAndNothingElse) {
  hirs::v1::Case c;
  const auto paths = hirs::testing::ForgeOutputOnlyFields(&c);
  c.set_outcome_note("kept");
  c.set_status(hirs::v1::OPEN);
  hirs::v1::Report* nested = c.add_reports();
  nested->set_description("kept too");
  hirs::testing::ForgeOutputOnlyFields(nested);
  ClearOutputOnlyFields(&c);
  EXPECT_THAT(hirs::testing::KeptForgedFields(c, c, paths), IsEmpty());
  EXPECT_EQ(c.outcome_note(), "kept");
  EXPECT_EQ(c.status(), hirs::v1::OPEN);
  // `reports` is itself OUTPUT_ONLY, so nothing of it stays.
  EXPECT_EQ(c.reports_size(), 0);

  hirs::v1::Report r = hirs::testing::ValidReport();
  const std::string before = r.SerializeAsString();
  hirs::testing::ForgeOutputOnlyFields(&r);
  ClearOutputOnlyFields(&r);
  EXPECT_EQ(r.SerializeAsString(), before);
}

// Whether a message of type `d` can hold an OUTPUT_ONLY field, at any depth.
bool HoldsOutputOnly(const Descriptor* d, std::set<const Descriptor*>* seen) {
  if (!seen->insert(d).second) return false;
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (IsOutputOnly(*f)) return true;
    if (f->message_type() != nullptr && HoldsOutputOnly(f->message_type(), seen)) return true;
  }
  return false;
}

// A request type that gains an OUTPUT_ONLY field must get a test that the
// field is ignored, and a place on this list.
TEST(OutputOnly, EveryRequestHoldingOutputOnlyFieldsIsCovered) {
  const std::set<std::string> covered = {
      "hirs.v1.SubmitReportRequest",     // IntakeTest.EveryOutputOnlyFieldACallerSetsIsIgnored
      "hirs.v1.AmendReportRequest",      // ReportChangesTest.AnAmendmentIsANewVersionAndTheVersionReceivedStays
      "hirs.v1.CreatePrincipalRequest",  // below
      "hirs.v1.CreatePersonRequest",     // PeopleTest.CreationRules
      "hirs.v1.UpdateCaseRequest",       // update_mask admits only status, crime_reference, outcome_note
  };
  std::set<std::string> holding;
  for (const auto* s : hirs::testing::ApiServices()) {
    ASSERT_NE(s, nullptr);
    for (int m = 0; m < s->method_count(); ++m) {
      std::set<const Descriptor*> seen;
      if (HoldsOutputOnly(s->method(m)->input_type(), &seen)) holding.insert(s->method(m)->input_type()->full_name());
    }
  }
  EXPECT_EQ(holding, covered);
}

TEST(OutputOnly, CreatePrincipalIgnoresForgedOutputOnlyFields) {
  hirs::testing::TempDir dir;
  storage::StoreOptions options;
  options.path = dir.path();
  auto store = storage::Store::Open(options);
  ASSERT_TRUE(store.ok());
  auto directory = auth::PrincipalDirectory::Open(store->get(), {}, [] { return hirs::testing::kTestNow; });
  ASSERT_TRUE(directory.ok()) << directory.status();
  hirs::v1::Principal forged;
  const auto paths = hirs::testing::ForgeOutputOnlyFields(&forged);
  ASSERT_GE(paths.size(), 3u);  // source, token_issued_at, previous_token_expires_at
  forged.set_id("centre-new");
  forged.set_role(hirs::v1::REPORTING_CENTRE);
  forged.set_scope("centre-new");
  auto created = (*directory)->Create(forged);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(hirs::testing::KeptForgedFields(forged, *created, paths), IsEmpty());
  EXPECT_EQ(created->source(), "store");
}

}  // namespace
}  // namespace hirs
