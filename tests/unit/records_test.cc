// The case-records layer: every way of writing a case writes the case, its
// index entries, its extract-history version and its change event in one
// batch. The areas write cases only through this layer
// (tests/structure/check_layers.sh), so this is the one test of the
// invariant.
#include "services/records/case_records.h"

#include <string>
#include <vector>

#include "common/civil_time.h"
#include "gtest/gtest.h"
#include "services/collation/case_aggregate.h"
#include "services/records/history.h"
#include "storage/keys.h"
#include "tests/support/domain_support.h"

namespace hirs::records {
namespace {

using hirs::store::v1::StoredCase;
using storage::Family;

class CaseRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions options;
    options.path = dir_.path();
    auto store = storage::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::vector<std::string> Keys(Family family, absl::string_view prefix = "") const {
    std::vector<std::string> keys;
    EXPECT_TRUE(store_
                    ->Scan(family, prefix, 0,
                           [&](absl::string_view k, absl::string_view) {
                             keys.emplace_back(k);
                             return true;
                           })
                    .ok());
    return keys;
  }

  std::vector<hirs::v1::CaseEvent> Events() const {
    std::vector<hirs::v1::CaseEvent> events;
    EXPECT_TRUE(store_
                    ->Scan(Family::kChanges, "", 0,
                           [&](absl::string_view, absl::string_view v) {
                             events.emplace_back().ParseFromArray(v.data(), static_cast<int>(v.size()));
                             return true;
                           })
                    .ok());
    return events;
  }

  void Write(storage::WriteBatch batch) { ASSERT_TRUE(store_->Write(std::move(batch)).ok()); }

  // An OPEN case in Charnwood with one racially motivated report.
  static StoredCase CharnwoodCase(const std::string& id, absl::Time now) {
    StoredCase c = collation::NewCase(id);
    hirs::store::v1::StoredReport r;
    *r.mutable_report() = hirs::testing::ValidReport(now);
    r.mutable_report()->set_report_id("rpt_" + id);
    r.mutable_normalised()->set_district_code("E07000130");
    r.mutable_normalised()->set_postcode_sector("LE11 3");
    collation::AddReportToCase(r, now, &c);
    return c;
  }

  hirs::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(CaseRecordsTest, PutCaseWritesTheCaseItsIndexesItsHistoryAndItsEventsTogether) {
  const absl::Time t0 = hirs::testing::kTestNow;
  const StoredCase created = CharnwoodCase("case_a", t0);
  storage::WriteBatch batch;
  PutCase(nullptr, created, {{hirs::v1::CaseEvent::CASE_CREATED, {}, {"rpt_case_a"}}}, t0, &batch);
  Write(std::move(batch));

  ASSERT_TRUE(ReadCase(*store_, "case_a").value().has_value());
  for (const std::string& k : storage::CaseIndexKeys(created.case_())) {
    EXPECT_EQ(Keys(Family::kIndexes, k), std::vector<std::string>{k});
  }
  EXPECT_EQ(Keys(Family::kExtracts).size(), 1u);
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0].kind(), hirs::v1::CaseEvent::CASE_CREATED);
  EXPECT_EQ(Events()[0].report_ids(0), "rpt_case_a");

  // A change readers see: the status index moves, a second history
  // version, and the events in the order given.
  StoredCase updated = created;
  updated.mutable_case_()->set_status(hirs::v1::CLOSED);
  collation::StampChange(t0 + absl::Minutes(1), &updated);
  storage::WriteBatch second;
  PutCase(&created, updated, {{hirs::v1::CaseEvent::CASE_UPDATED}, {hirs::v1::CaseEvent::PERSONAL_DATA_REMOVED}},
          t0 + absl::Minutes(1), &second);
  Write(std::move(second));
  const std::string open_status = storage::CaseIndexPrefix(storage::kStatusIndex, storage::IndexNumber(hirs::v1::OPEN));
  const std::string closed_status =
      storage::CaseIndexPrefix(storage::kStatusIndex, storage::IndexNumber(hirs::v1::CLOSED));
  EXPECT_TRUE(Keys(Family::kIndexes, open_status).empty());
  EXPECT_EQ(Keys(Family::kIndexes, closed_status).size(), 1u);
  EXPECT_EQ(Keys(Family::kExtracts).size(), 2u);
  const auto events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].kind(), hirs::v1::CaseEvent::CASE_UPDATED);
  EXPECT_EQ(events[2].kind(), hirs::v1::CaseEvent::PERSONAL_DATA_REMOVED);
  EXPECT_EQ(events[2].case_().status(), hirs::v1::CLOSED);
  EXPECT_TRUE(events[2].case_().report_ids().empty()) << "an event carries what changed, not the whole case";
}

TEST_F(CaseRecordsTest, DeleteCaseRemovesTheCaseAndItsIndexesAndLeavesAHistoryTombstone) {
  const absl::Time t0 = hirs::testing::kTestNow;
  const StoredCase c = CharnwoodCase("case_b", t0);
  storage::WriteBatch batch;
  PutCase(nullptr, c, {{hirs::v1::CaseEvent::CASE_CREATED}}, t0, &batch);
  Write(std::move(batch));
  storage::WriteBatch gone;
  DeleteCase(c, t0 + absl::Minutes(1), &gone);
  Write(std::move(gone));
  EXPECT_FALSE(ReadCase(*store_, "case_b").value().has_value());
  EXPECT_TRUE(Keys(Family::kIndexes).empty());
  EXPECT_TRUE(Keys(Family::kCases).empty());
  std::vector<std::string> versions;
  ASSERT_TRUE(store_
                  ->Scan(Family::kExtracts, "", 0,
                         [&](absl::string_view, absl::string_view v) {
                           versions.emplace_back(v);
                           return true;
                         })
                  .ok());
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[1], "") << "the second version is a tombstone";
}

TEST_F(CaseRecordsTest, AChangeNoReaderSeesWritesTheCaseWithoutAnEventOrAHistoryVersion) {
  const absl::Time t0 = hirs::testing::kTestNow;
  const StoredCase c = CharnwoodCase("case_c", t0);
  storage::WriteBatch batch;
  PutCase(nullptr, c, {{hirs::v1::CaseEvent::CASE_CREATED}}, t0, &batch);
  Write(std::move(batch));
  StoredCase apart = c;
  apart.add_separated_case_ids("case_d");
  storage::WriteBatch second;
  PutCase(&c, apart, {}, t0 + absl::Minutes(1), &second);
  Write(std::move(second));
  EXPECT_EQ(ReadCase(*store_, "case_c").value()->separated_case_ids_size(), 1);
  EXPECT_EQ(Events().size(), 1u);
  EXPECT_EQ(Keys(Family::kExtracts).size(), 1u);
}

TEST_F(CaseRecordsTest, ARebuiltCaseKeepsItsRetentionMarks) {
  // A split or a withdrawal rebuilds a case from the reports that stay:
  // the NCHI review period and the record of personal data removed run on.
  const absl::Time now = hirs::testing::kTestNow;
  StoredCase c = CharnwoodCase("case_a", now);
  c.mutable_case_()->set_status(hirs::v1::NON_CRIME_INCIDENT);
  *c.mutable_non_crime_since() = ToTimestamp(now - absl::Hours(24));
  *c.mutable_personal_data_removed_at() = ToTimestamp(now - absl::Hours(1));
  hirs::store::v1::StoredReport r;
  *r.mutable_report() = hirs::testing::ValidReport(now);
  const StoredCase rebuilt = collation::RebuildCase(c, {r}, now);
  EXPECT_EQ(rebuilt.non_crime_since().seconds(), c.non_crime_since().seconds());
  EXPECT_EQ(rebuilt.personal_data_removed_at().seconds(), c.personal_data_removed_at().seconds());
  EXPECT_EQ(rebuilt.case_().status(), hirs::v1::NON_CRIME_INCIDENT);
}

TEST_F(CaseRecordsTest, ACaseIsLinkedToTheSameVictimsOtherCasesOnceAndNeverToItself) {
  // An amended report's decision may name its own case among the victim's
  // cases: the case does not link to itself.
  StoredCase c = collation::NewCase("case_a");
  collation::LinkRepeatVictimCases({"case_a", "case_b", "case_b"}, &c);
  ASSERT_EQ(c.case_().linked_case_ids_size(), 1);
  EXPECT_EQ(c.case_().linked_case_ids(0), "case_b");
  EXPECT_TRUE(c.case_().repeat_victim());
  StoredCase alone = collation::NewCase("case_c");
  collation::LinkRepeatVictimCases({"case_c"}, &alone);
  EXPECT_EQ(alone.case_().linked_case_ids_size(), 0);
  EXPECT_FALSE(alone.case_().repeat_victim());
}

}  // namespace
}  // namespace hirs::records
