// District extracts and summaries over a real store filled through the real
// Intake and Cases: no personal data in any byte, reproducible as_of reads
// after merges, splits and status changes, change flags against the
// district's previous pull, suppression, scope and validation.
#include "services/extracts/extracts.h"
#include "services/extracts/publication.h"

#include "common/bad_request.h"
#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/cases/cases.h"
#include "services/collation/probabilistic_collator.h"
#include "services/intake/intake.h"
#include "services/records/history.h"
#include "services/records/migrations.h"
#include "storage/keys.h"
#include "tests/support/domain_support.h"

namespace hirs::extracts {
namespace {

using hirs::v1::ExtractRow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kCharnwood[] = "E07000130";
constexpr char kMonth[] = "2026-09";  // kTestNow is 2026-09-21
const auth::Principal kPolice{"police", hirs::v1::POLICE, "E23000021"};
const auth::Principal kCharnwoodCouncil{"charnwood", hirs::v1::DISTRICT, kCharnwood};
const auth::Principal kRutlandCouncil{"rutland", hirs::v1::DISTRICT, "E06000017"};

// Incident `i` (0 to 5) of its own in Loughborough (Charnwood), three days
// after i + 1's, in September 2026 (`days_back` moves it earlier).
hirs::v1::Report Incident(int i, int days_back = 0) {
  static constexpr const char* kNames[] = {"Amrit Kaur",    "Tomasz Nowak", "Grace Okafor", "Yusuf Farah",
                                           "Ioana Popescu", "Liam Walsh",   "Meera Shah",   "Kwame Boateng"};
  hirs::v1::Report r = hirs::testing::ValidReport();
  *r.mutable_occurred_start() = ToTimestamp(
      absl::FromUnixSeconds(absl::ToUnixSeconds(hirs::testing::kTestNow) - (2 + 3 * i + days_back) * 86400));
  r.mutable_victim()->set_full_name(kNames[i % 8]);
  r.mutable_victim()->clear_date_of_birth();
  r.set_description(absl::StrCat("Unrelated test incident number ", i, "."));
  r.set_source_reference(absl::StrCat("REF-", i, "-", days_back));
  return r;
}

class ExtractsTest : public ::testing::Test {
 protected:
  ExtractsTest()
      : hasher_(std::string(32, 'k')),
        collator_(&hasher_, collation::MatchModel::Default(), collation::MatcherOptions()) {
    storage::StoreOptions options;
    options.path = dir_.path();
    options.sync_writes = false;
    store_ = std::move(storage::Store::Open(options)).value();
    EXPECT_TRUE(records::Migrate(store_.get(), Now()).ok());
    router_ = intake::DistrictRouter::LeicestershireDefault();
    auto clock = [this] { return Now(); };
    intake_ = std::make_unique<intake::Intake>(store_.get(), &locks_, &collator_, router_.get(), &hasher_, clock);
    cases_ = std::make_unique<cases::Cases>(store_.get(), &locks_, &collator_, &hasher_, clock);
    extracts_ = std::make_unique<Extracts>(store_.get(), &hasher_, clock);
  }

  // The test's clock: kTestNow plus a minute per reading, so every write
  // and read happens at its own time.
  absl::Time Now() { return hirs::testing::kTestNow + later_ + absl::Minutes(ticks_++); }
  // Moves the clock past the end of September, when its summary is first
  // published.
  void MonthIsOver() { later_ = absl::Hours(24 * 12); }

  intake::SubmitResult Submit(const hirs::v1::Report& r, const std::string& centre = "centre-a") {
    auto result = intake_->Submit(centre, hirs::testing::Request(r));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : intake::SubmitResult();
  }

  hirs::v1::MonthlyExtractRequest Request(const std::string& district = kCharnwood, const std::string& month = kMonth) {
    hirs::v1::MonthlyExtractRequest request;
    request.set_district_code(district);
    request.set_month(month);
    return request;
  }

  std::vector<ExtractRow> Pull(const auth::Principal& who, const hirs::v1::MonthlyExtractRequest& request) {
    auto rows = extracts_->MonthlyExtract(who, request);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.value_or(std::vector<ExtractRow>());
  }

  static std::string Bytes(const std::vector<ExtractRow>& rows) {
    std::string out;
    for (const auto& r : rows) out += r.SerializeAsString() + r.DebugString();
    return out;
  }

  void SetStatus(const std::string& case_id, hirs::v1::CaseStatus status, const std::string& crime_reference = "") {
    hirs::v1::UpdateCaseRequest update;
    update.mutable_case_()->set_case_id(case_id);
    update.mutable_case_()->set_status(status);
    update.mutable_update_mask()->add_paths("status");
    update.set_etag(cases_->GetCase(kPolice, case_id).value().etag());
    if (!crime_reference.empty()) {
      update.mutable_case_()->set_crime_reference(crime_reference);
      update.mutable_update_mask()->add_paths("crime_reference");
    }
    auto updated = cases_->UpdateCase(kPolice, update);
    ASSERT_TRUE(updated.ok()) << updated.status();
  }

  int ticks_ = 0;
  absl::Duration later_;
  hirs::testing::TempDir dir_;
  collation::KeyedHasher hasher_;
  collation::ProbabilisticCollator collator_;
  std::unique_ptr<storage::Store> store_;
  storage::CaseLocks locks_;
  std::unique_ptr<intake::DistrictRouter> router_;
  std::unique_ptr<intake::Intake> intake_;
  std::unique_ptr<cases::Cases> cases_;
  std::unique_ptr<Extracts> extracts_;
};

TEST_F(ExtractsTest, NoPersonalDataReachesAnyExtractOrSummaryByte) {
  hirs::v1::Report r = Incident(1);
  auto* v = r.mutable_victim();
  v->set_full_name("Zebediah Quillfeather");
  v->set_date_of_birth("1977-04-13");
  v->set_phone("07700 913579");
  v->set_email("zebediah.q@example.org");
  v->set_address("17 Marigold Crescent, Shepshed");
  v->set_postcode("LE12 9XQ");
  v->set_age_band(hirs::v1::AGE_45_TO_54);
  r.set_description("Quillfeather was followed home from the Bellwether Arms and threatened.");
  r.mutable_location()->set_description("outside the Bellwether Arms");
  r.set_source_reference("SECRET-SOURCE-REF-4471");
  r.set_crime_reference("LE/7654321/26");
  const auto first = Submit(r);
  hirs::v1::Report witness = r;  // a second report joins the case
  witness.set_reporter_role(hirs::v1::WITNESS);
  witness.set_source_reference("SECRET-SOURCE-REF-4472");
  Submit(witness, "centre-b");

  const auto rows = Pull(kPolice, Request());
  ASSERT_EQ(rows.size(), 1u);
  MonthIsOver();
  auto summary = extracts_->MonthlySummary(kPolice, Request());
  ASSERT_TRUE(summary.ok()) << summary.status();
  // case_ref is a random-looking hex string that could hold a short planted
  // string by chance; its form is checked below.
  std::vector<ExtractRow> without_refs = rows;
  for (auto& r : without_refs) r.clear_case_ref();
  const std::string bytes = Bytes(without_refs) + summary->SerializeAsString() + summary->DebugString();
  for (const char* planted :
       {"Zebediah", "Quillfeather", "zebediah", "quillfeather", "1977", "07700", "913579", "example.org", "Marigold",
        "Shepshed", "LE12 9XQ", "LE129XQ", "Bellwether", "SECRET-SOURCE", "7654321", "LE11 3AB", "LE113AB", "3AB"}) {
    EXPECT_THAT(bytes, ::testing::Not(HasSubstr(planted))) << planted;
  }
  EXPECT_THAT(bytes, ::testing::Not(HasSubstr(first.case_id)));  // pseudonymous ids only
  EXPECT_THAT(bytes, ::testing::Not(HasSubstr(first.report_id)));
  // What the row does say.
  const ExtractRow& row = rows[0];
  EXPECT_EQ(row.postcode_sector(), "LE11 3");
  EXPECT_EQ(row.district_code(), kCharnwood);
  EXPECT_EQ(row.month(), kMonth);
  EXPECT_EQ(row.report_count(), 2);
  EXPECT_EQ(row.source_count(), 2);
  EXPECT_THAT(row.reporter_roles(), ElementsAre(hirs::v1::VICTIM, hirs::v1::WITNESS));
  EXPECT_EQ(row.victim_age_band(), hirs::v1::AGE_45_TO_54);
  EXPECT_TRUE(row.crime_recorded());
  EXPECT_EQ(row.case_ref().size(), 16u);
  EXPECT_EQ(row.case_ref().find_first_not_of("0123456789ABCDEF"), std::string::npos);
}

TEST_F(ExtractsTest, AsOfReproducesTheExtractAfterMergesSplitsAndStatusChanges) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Submit(Incident(i)).case_id);
  hirs::v1::Report again = Incident(3);  // a second report of incident 3
  again.set_source_reference("REF-3-again");
  ASSERT_EQ(Submit(again, "centre-b").case_id, ids[3]);
  MonthIsOver();
  const absl::Time then = Now();
  auto request = Request();
  *request.mutable_as_of() = ToTimestamp(then);
  const auto before = Pull(kPolice, request);
  ASSERT_EQ(before.size(), 4u);
  auto summary_then = extracts_->MonthlySummary(kPolice, request);
  ASSERT_TRUE(summary_then.ok());

  // Police change a status, merge two cases, split a report out.
  SetStatus(ids[0], hirs::v1::CRIME_RECORDED, "LE/1111111/26");
  hirs::v1::MergeCasesRequest merge;
  merge.set_target_case_id(ids[1]);
  merge.add_source_case_ids(ids[2]);
  ASSERT_TRUE(cases_->MergeCases(kPolice, merge).ok());
  hirs::v1::SplitReportRequest split;
  split.set_report_id(cases_->GetCase(kPolice, ids[3])->report_ids(1));
  ASSERT_TRUE(cases_->SplitReport(kPolice, split).ok());

  const auto now_rows = Pull(kPolice, Request());
  EXPECT_EQ(now_rows.size(), 4u);  // one merged away, one split off
  EXPECT_NE(Bytes(now_rows), Bytes(before));
  // As it stood: byte for byte the same, and so is its summary.
  EXPECT_EQ(Bytes(Pull(kPolice, request)), Bytes(before));
  auto summary_again = extracts_->MonthlySummary(kPolice, request);
  ASSERT_TRUE(summary_again.ok());
  EXPECT_EQ(summary_again->SerializeAsString(), summary_then->SerializeAsString());
}

TEST_F(ExtractsTest, RowsSayWhatChangedSinceTheDistrictsPreviousPull) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Submit(Incident(i)).case_id);
  const auto first = Pull(kCharnwoodCouncil, Request());
  ASSERT_EQ(first.size(), 4u);
  for (const auto& r : first) EXPECT_EQ(r.change(), ExtractRow::NEW);

  // A police read does not move the council's reconciliation point.
  SetStatus(ids[0], hirs::v1::UNDER_INVESTIGATION);
  hirs::v1::MergeCasesRequest merge;
  merge.set_target_case_id(ids[1]);
  merge.add_source_case_ids(ids[2]);
  ASSERT_TRUE(cases_->MergeCases(kPolice, merge).ok());
  Submit(Incident(5));
  Pull(kPolice, Request());

  const auto second = Pull(kCharnwoodCouncil, Request());
  std::map<ExtractRow::Change, int> changes;
  for (const auto& r : second) ++changes[r.change()];
  EXPECT_EQ(changes[ExtractRow::NEW], 1);        // incident 5
  EXPECT_EQ(changes[ExtractRow::REVISED], 2);    // the status change; the merge target
  EXPECT_EQ(changes[ExtractRow::UNCHANGED], 1);  // incident 3
  EXPECT_EQ(changes[ExtractRow::WITHDRAWN], 1);  // merged away
  EXPECT_EQ(second.back().change(), ExtractRow::WITHDRAWN);
  // Pulled again at once: nothing changed.
  for (const auto& r : Pull(kCharnwoodCouncil, Request())) {
    if (r.change() != ExtractRow::WITHDRAWN) {
      EXPECT_EQ(r.change(), ExtractRow::UNCHANGED);
    }
  }
  // Rows come in case_ref order, and a case keeps its ref.
  EXPECT_TRUE(std::is_sorted(second.begin(), second.end() - 1,
                             [](const auto& a, const auto& b) { return a.case_ref() < b.case_ref(); }));
}

TEST_F(ExtractsTest, EachDistrictHasItsOwnRows) {  // who may read which: access_test
  Submit(Incident(1));
  EXPECT_EQ(Pull(kCharnwoodCouncil, Request()).size(), 1u);
  EXPECT_EQ(Pull(kPolice, Request()).size(), 1u);
  EXPECT_EQ(Pull(kRutlandCouncil, Request("E06000017")).size(), 0u);
}

TEST_F(ExtractsTest, BadRequestsNameEveryFieldAtFaultAndStoreNothing) {
  hirs::v1::MonthlyExtractRequest bad;
  bad.set_district_code("E09000001");
  bad.set_month("2026-13");
  *bad.mutable_as_of() = ToTimestamp(hirs::testing::kTestNow + absl::Hours(24));
  auto result = extracts_->MonthlyExtract(kPolice, bad);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  std::set<std::string> fields;
  for (const auto& v : FieldViolationsOf(result.status())) fields.insert(v.field);
  EXPECT_THAT(fields, ElementsAre("as_of", "district_code", "month"));
  EXPECT_EQ(extracts_->MonthlyExtract(kPolice, Request(kCharnwood, "2027-01")).status().code(),
            absl::StatusCode::kInvalidArgument);  // not begun
  EXPECT_EQ(extracts_->MonthlyExtract(kPolice, Request(kCharnwood, "")).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A refused council pull records nothing.
  EXPECT_FALSE(extracts_->MonthlyExtract(kCharnwoodCouncil, bad).ok());
  int pulls = 0;
  ASSERT_TRUE(store_
                  ->Scan(storage::Family::kExtracts, "p|", 0,
                         [&](absl::string_view, absl::string_view) {
                           ++pulls;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(pulls, 0);
}

TEST_F(ExtractsTest, IncidentsCountInTheUkMonthTheyBeganAndCasesWithoutDistrictInNone) {
  hirs::v1::Report october = Incident(0);
  // 00:30 BST on 1 October 2025 is still 30 September in UTC.
  const absl::Time start = absl::FromCivil(absl::CivilSecond(2025, 9, 30, 23, 30, 0), absl::UTCTimeZone());
  *october.mutable_occurred_start() = ToTimestamp(start);
  *october.mutable_occurred_end() = ToTimestamp(start + absl::Hours(24 * 40));  // runs into November
  Submit(october);
  EXPECT_EQ(Pull(kPolice, Request(kCharnwood, "2025-10")).size(), 1u);
  EXPECT_EQ(Pull(kPolice, Request(kCharnwood, "2025-09")).size(), 0u);
  EXPECT_EQ(Pull(kPolice, Request(kCharnwood, "2025-11")).size(), 0u);

  hirs::v1::Report online = Incident(7);
  online.mutable_location()->clear_postcode();
  online.mutable_location()->set_place_type(hirs::v1::ONLINE);
  online.mutable_location()->set_online_platform("a social network");
  online.mutable_victim()->clear_postcode();
  const auto placed = Submit(online);
  ASSERT_FALSE(placed.case_id.empty());
  for (const char* district : {"E07000129", kCharnwood, "E06000016", "E06000017"}) {
    for (const auto& r : Pull(kPolice, Request(district))) EXPECT_NE(r.place_type(), hirs::v1::ONLINE);
  }
}

// The cell of `dimension`/`category` in `cells`.
const hirs::v1::SummaryCell& At(const std::vector<hirs::v1::SummaryCell>& cells, const std::string& dimension,
                                const std::string& category) {
  for (const auto& c : cells) {
    if (c.dimension() == dimension && c.category() == category) return c;
  }
  static const hirs::v1::SummaryCell kNone;
  ADD_FAILURE() << "no cell " << dimension << "/" << category;
  return kNone;
}

ExtractRow Row(hirs::v1::PlaceType place, bool crime, bool repeat, std::vector<hirs::v1::Motivation> motivations) {
  ExtractRow r;
  r.set_place_type(place);
  r.set_crime_recorded(crime);
  r.set_repeat_victim(repeat);
  for (auto m : motivations) r.add_motivations(m);
  r.add_incident_types(hirs::v1::VERBAL_ABUSE);
  return r;
}

// The published cells of `rows`, each case with its own record key.
std::vector<hirs::v1::SummaryCell> Published(const std::vector<ExtractRow>& rows, int small_max = 4) {
  Tally tally = EmptyTally();
  uint32_t key = 0x9e3779b9u;
  for (const ExtractRow& r : rows) CountRow(r, key *= 2654435761u, &tally);
  Publish(small_max, &tally);
  return tally.cells;
}

TEST(PublicationTest, SmallCountsAreSuppressedTheOthersRoundedAndZerosShown) {
  // 20 cases: 17 in the street, 3 at home; 1 crime; 6 repeat victims.
  std::vector<ExtractRow> rows;
  for (int i = 0; i < 20; ++i) {
    rows.push_back(Row(i < 17 ? hirs::v1::STREET_OR_PUBLIC_PLACE : hirs::v1::HOME, i == 0, i < 6,
                       {i < 2 ? hirs::v1::DISABILITY : hirs::v1::RACE}));
  }
  const auto cells = Published(rows);
  EXPECT_EQ(cells[0].count(), 20);  // a multiple of 5 stays
  EXPECT_FALSE(cells[0].suppressed());
  for (const auto& [dimension, category] : std::vector<std::pair<std::string, std::string>>{
           {"place_type", "HOME"}, {"crime", "CRIME_RECORDED"}, {"motivation", "DISABILITY"}}) {
    EXPECT_TRUE(At(cells, dimension, category).suppressed()) << category;
    EXPECT_EQ(At(cells, dimension, category).count(), 0) << category;
  }
  // 17, 19, 18, 6 and 14: multiples of 5 within 4 of the count.
  for (const auto& [dimension, category, count] :
       std::vector<std::tuple<std::string, std::string, int>>{{"place_type", "STREET_OR_PUBLIC_PLACE", 17},
                                                              {"crime", "NOT_CRIME_RECORDED", 19},
                                                              {"motivation", "RACE", 18},
                                                              {"repeat_victim", "REPEAT_VICTIM", 6},
                                                              {"repeat_victim", "NOT_REPEAT_VICTIM", 14}}) {
    const auto& c = At(cells, dimension, category);
    EXPECT_FALSE(c.suppressed()) << category;
    EXPECT_EQ(c.count() % 5, 0) << category;
    EXPECT_LE(std::abs(c.count() - count), 4) << category;
  }
  EXPECT_FALSE(At(cells, "place_type", "SCHOOL_OR_COLLEGE").suppressed());
  EXPECT_EQ(At(cells, "place_type", "SCHOOL_OR_COLLEGE").count(), 0);
  EXPECT_FALSE(RevealsASmallCount({cells}, 4));
}

TEST(PublicationTest, ASmallTotalIsSuppressedAndZeroPublishesExactCounts) {
  std::vector<ExtractRow> rows = {Row(hirs::v1::HOME, false, false, {hirs::v1::RACE}),
                                  Row(hirs::v1::HOME, false, false, {hirs::v1::RACE}),
                                  Row(hirs::v1::WORKPLACE, false, true, {hirs::v1::RACE})};
  const auto cells = Published(rows);
  EXPECT_TRUE(cells[0].suppressed());
  for (const auto& c : cells) {
    EXPECT_EQ(c.count(), 0) << c.dimension() << "/" << c.category();  // suppressed or zero
  }
  const auto open = Published(rows, 0);
  EXPECT_EQ(open[0].count(), 3);
  EXPECT_EQ(At(open, "place_type", "HOME").count(), 2);
  // Four parts that can only each be 1 of a total of at most 4: the table
  // is hidden.
  std::vector<ExtractRow> ones;
  for (auto place : {hirs::v1::HOME, hirs::v1::WORKPLACE, hirs::v1::ONLINE, hirs::v1::PLACE_OF_WORSHIP}) {
    ones.push_back(Row(place, false, false, {hirs::v1::RACE}));
  }
  const auto hidden = Published(ones);
  EXPECT_TRUE(At(hidden, "place_type", "HOME").table_hidden());
  EXPECT_TRUE(At(hidden, "place_type", "SCHOOL_OR_COLLEGE").table_hidden());  // zeros too
  EXPECT_FALSE(RevealsASmallCount({hidden}, 4));
}

TEST_F(ExtractsTest, SummaryIsPublishedOnceTheMonthIsOverWithThePreviousMonthBeside) {
  for (int i = 0; i < 6; ++i) Submit(Incident(i));
  for (int i = 0; i < 2; ++i) Submit(Incident(i, /*days_back=*/25));  // August
  auto early = extracts_->MonthlySummary(kCharnwoodCouncil, Request());
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), HasSubstr("published once the month is over, from 2026-10-01 00:00 BST"));
  MonthIsOver();
  auto summary = extracts_->MonthlySummary(kCharnwoodCouncil, Request());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->rounding_base(), 5);
  EXPECT_EQ(ToAbslTime(summary->as_of()), absl::FromCivil(absl::CivilMonth(2026, 10), UkTimeZone()));
  EXPECT_THAT(summary->total().count(), ::testing::AnyOf(5, 10));  // 6, rounded
  EXPECT_FALSE(summary->total().suppressed());
  EXPECT_EQ(summary->total().previous_count(), 0);
  EXPECT_TRUE(summary->total().previous_suppressed());  // 2 in August
  std::vector<hirs::v1::SummaryCell> cells(summary->cells().begin(), summary->cells().end());
  EXPECT_THAT(At(cells, "motivation", "RACE").count(), ::testing::AnyOf(5, 10));
  EXPECT_EQ(At(cells, "motivation", "DISABILITY").count(), 0);
  EXPECT_FALSE(At(cells, "motivation", "DISABILITY").suppressed());
  EXPECT_EQ(summary->district_code(), kCharnwood);
  EXPECT_EQ(summary->month(), kMonth);
  // Any as_of in October gives the October release.
  auto request = Request();
  *request.mutable_as_of() = ToTimestamp(Now());
  auto again = extracts_->MonthlySummary(kCharnwoodCouncil, request);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), summary->SerializeAsString());
}

TEST_F(ExtractsTest, AStoreFromBeforeTheHistoryGetsItAtStartAndRefusesEarlierAsOf) {
  const auto placed = Submit(Incident(1));
  // Make it look like a schema 2 store: no statistics, no history.
  auto c = storage::ReadProto<hirs::store::v1::StoredCase>(*store_, storage::Family::kCases, placed.case_id);
  ASSERT_TRUE(c.ok() && c->has_value());
  (*c)->clear_statistics();
  storage::WriteBatch batch;
  batch.Put(storage::Family::kCases, placed.case_id, (*c)->SerializeAsString());
  batch.Delete(storage::Family::kMeta, storage::kExtractHistorySinceKey);
  ASSERT_TRUE(store_
                  ->Scan(storage::Family::kExtracts, "", 0,
                         [&](absl::string_view k, absl::string_view) {
                           batch.Delete(storage::Family::kExtracts, k);
                           return true;
                         })
                  .ok());
  ASSERT_TRUE(store_->Write(std::move(batch)).ok());
  EXPECT_EQ(Pull(kPolice, Request()).size(), 0u);

  const absl::Time upgrade = Now();
  ASSERT_TRUE(records::Migrate(store_.get(), upgrade).ok());
  const auto rows = Pull(kPolice, Request());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].postcode_sector(), "LE11 3");  // rebuilt from the report
  EXPECT_EQ(records::ExtractHistorySince(*store_).value(), upgrade);
  auto early = Request();
  *early.mutable_as_of() = ToTimestamp(upgrade - absl::Minutes(5));
  EXPECT_EQ(extracts_->MonthlyExtract(kPolice, early).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(records::Migrate(store_.get(), Now()).ok());  // once only
  EXPECT_EQ(records::ExtractHistorySince(*store_).value(), upgrade);
}

}  // namespace
}  // namespace hirs::extracts
