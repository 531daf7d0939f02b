#include "services/cases/cases.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "common/bad_request.h"
#include "common/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hirs/store/v1/records.pb.h"
#include "services/auth/redaction.h"
#include "services/collation/case_aggregate.h"
#include "services/collation/model.h"
#include "services/collation/probabilistic_collator.h"
#include "services/intake/intake.h"
#include "services/query/filter.h"
#include "services/query/page_token.h"
#include "storage/fingerprints.h"
#include "storage/keys.h"
#include "tests/support/domain_support.h"

namespace hirs::cases {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const auth::Principal kPolice{"police", hirs::v1::POLICE, "E23000021"};
const auth::Principal kOtherPolice{"police-2", hirs::v1::POLICE, "E23000021"};
const auth::Principal kAdmin{"admin", hirs::v1::ADMIN, ""};

using hirs::testing::DistinctReport;

class CasesTest : public ::testing::Test {
 protected:
  CasesTest()
      : hasher_(std::string(32, 'k')),
        collator_(&hasher_, collation::MatchModel::Default(), collation::MatcherOptions()) {
    storage::StoreOptions options;
    options.path = dir_.path();
    store_ = std::move(storage::Store::Open(options)).value();
    router_ = intake::DistrictRouter::LeicestershireDefault();
    intake_ = std::make_unique<intake::Intake>(store_.get(), &locks_, &collator_, router_.get(), &hasher_);
    cases_ = std::make_unique<Cases>(store_.get(), &locks_, &collator_, &hasher_,
                                     [this] { return absl::Now() + clock_offset_; });
  }

  intake::SubmitResult Submit(const hirs::v1::Report& r, const std::string& centre = "centre-a") {
    auto result = intake_->Submit(centre, hirs::testing::Request(r));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : intake::SubmitResult();
  }

  // Submits `n` unrelated reports; their case ids, oldest first.
  std::vector<std::string> SubmitDistinct(int n, int first = 0) {
    std::vector<std::string> ids;
    for (int i = first; i < first + n; ++i) {
      auto result = Submit(DistinctReport(i, absl::Now()));
      EXPECT_EQ(result.collation, hirs::v1::NEW_CASE);
      ids.push_back(result.case_id);
    }
    return ids;
  }

  // Every case of every page, following next_page_token; `between` runs
  // after each page.
  std::vector<std::string> AllPages(
      const std::string& filter, int page_size, const std::function<void()>& between = [] {}) {
    std::vector<std::string> seen;
    hirs::v1::ListCasesRequest request;
    request.set_filter(filter);
    request.set_page_size(page_size);
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = cases_->ListCases(kPolice, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->cases_size(), page_size);
      for (const auto& c : page->cases()) {
        EXPECT_EQ(c.explanations_size(), 0);
        seen.push_back(c.case_id());
      }
      if (page->next_page_token().empty()) break;
      request.set_page_token(page->next_page_token());
      between();
    }
    return seen;
  }

  absl::StatusOr<hirs::v1::Case> Update(const std::string& case_id, const std::string& etag,
                                        std::initializer_list<const char*> paths,
                                        const std::function<void(hirs::v1::Case*)>& set) {
    hirs::v1::UpdateCaseRequest request;
    request.mutable_case_()->set_case_id(case_id);
    set(request.mutable_case_());
    for (const char* p : paths) request.mutable_update_mask()->add_paths(p);
    request.set_etag(etag);
    return cases_->UpdateCase(kPolice, request);
  }

  // Every report in exactly one case, which its record names; every
  // fingerprint under its report's case; indexes exactly those of the cases.
  void ExpectConsistent() {
    std::map<std::string, std::string> case_of_report;
    std::set<std::string> index_keys, expected_index_keys;
    ASSERT_TRUE(store_
                    ->Scan(storage::Family::kCases, "", 0,
                           [&](absl::string_view id, absl::string_view v) {
                             hirs::store::v1::StoredCase c;
                             EXPECT_TRUE(c.ParseFromArray(v.data(), static_cast<int>(v.size())));
                             EXPECT_EQ(c.case_().report_count(), c.case_().report_ids_size());
                             for (const auto& r : c.case_().report_ids()) {
                               EXPECT_TRUE(case_of_report.emplace(r, std::string(id)).second)
                                   << r << " is in two cases";
                             }
                             for (const auto& k : storage::CaseIndexKeys(c.case_())) expected_index_keys.insert(k);
                             return true;
                           })
                    .ok());
    ASSERT_TRUE(store_
                    ->Scan(storage::Family::kReports, "", 0,
                           [&](absl::string_view id, absl::string_view v) {
                             hirs::store::v1::StoredReport r;
                             EXPECT_TRUE(r.ParseFromArray(v.data(), static_cast<int>(v.size())));
                             auto it = case_of_report.find(std::string(id));
                             EXPECT_TRUE(it != case_of_report.end() && it->second == r.case_id()) << id;
                             return true;
                           })
                    .ok());
    ASSERT_TRUE(store_
                    ->Scan(storage::Family::kFingerprints, "", 0,
                           [&](absl::string_view, absl::string_view v) {
                             hirs::store::v1::FingerprintCases cases;
                             EXPECT_TRUE(cases.ParseFromArray(v.data(), static_cast<int>(v.size())));
                             for (const auto& e : cases.entries()) {
                               auto it = case_of_report.find(e.report_id());
                               EXPECT_TRUE(it != case_of_report.end())
                                   << "a fingerprint names an unknown report " << e.report_id();
                               if (it != case_of_report.end()) {
                                 EXPECT_EQ(e.case_id(), it->second) << e.report_id();
                               }
                             }
                             return true;
                           })
                    .ok());
    // ...and every report's keys present under its case.
    for (const auto& [report, case_id] : case_of_report) {
      auto keys = collator_.StoredKeys(report, *store_);
      ASSERT_TRUE(keys.ok()) << keys.status();
      auto cases = storage::ReadFingerprintCases(*store_, *keys);
      ASSERT_TRUE(cases.ok()) << cases.status();
      for (const auto& under_key : *cases) {
        bool present = false;
        for (const auto& e : under_key.entries()) present |= e.case_id() == case_id;
        EXPECT_TRUE(present) << "a key of " << report << " is missing from " << case_id;
      }
    }
    ASSERT_TRUE(store_
                    ->Scan(storage::Family::kIndexes, "", 0,
                           [&](absl::string_view k, absl::string_view) {
                             index_keys.emplace(k);
                             return true;
                           })
                    .ok());
    EXPECT_EQ(index_keys, expected_index_keys);
  }

  hirs::testing::TempDir dir_;
  collation::KeyedHasher hasher_;
  collation::ProbabilisticCollator collator_;
  std::unique_ptr<storage::Store> store_;
  storage::CaseLocks locks_;
  std::unique_ptr<intake::DistrictRouter> router_;
  std::unique_ptr<intake::Intake> intake_;
  absl::Duration clock_offset_;
  std::unique_ptr<Cases> cases_;
};

TEST_F(CasesTest, GetCaseShowsReportsWithProvenanceAndExplanations) {
  const auto first = Submit(hirs::testing::ValidReport(absl::Now()), "centre-a");
  hirs::v1::Report second = hirs::testing::ValidReport(absl::Now());
  second.set_source_reference("B-77");
  second.set_reporter_role(hirs::v1::WITNESS);
  const auto attached = Submit(second, "centre-b");
  ASSERT_EQ(attached.collation, hirs::v1::ATTACHED_TO_CASE);

  auto c = cases_->GetCase(kPolice, first.case_id);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->report_ids(), ElementsAre(first.report_id, attached.report_id));
  ASSERT_EQ(c->reports_size(), 2);
  EXPECT_EQ(c->reports(1).report_id(), attached.report_id);
  EXPECT_EQ(c->reports(1).reporting_centre(), "centre-b");
  EXPECT_EQ(c->reports(1).source_reference(), "B-77");
  EXPECT_TRUE(c->reports(1).has_received_at());
  ASSERT_EQ(c->explanations_size(), 2);
  EXPECT_EQ(c->explanations(1).outcome(), hirs::v1::ATTACHED_TO_CASE);
  EXPECT_GT(c->explanations(1).comparisons_size(), 0);
}

// The fields of the comparisons in `e`.
std::set<std::string> ComparedFields(const hirs::v1::CollationExplanation& e) {
  std::set<std::string> out;
  for (const auto& c : e.comparisons()) out.insert(c.field());
  return out;
}

TEST_F(CasesTest, ExplanationsHidePersonalComparisonsWhereEitherReportIsRedacted) {
  const auto consenting = Submit(hirs::testing::ValidReport(absl::Now()), "centre-a");
  hirs::v1::Report withheld = hirs::testing::ValidReport(absl::Now());
  withheld.set_source_reference("B-78");
  withheld.mutable_consent()->set_share_with_police(false);
  const auto attached = Submit(withheld, "centre-b");
  ASSERT_EQ(attached.case_id, consenting.case_id);

  const auto police = cases_->GetCase(kPolice, consenting.case_id).value();
  ASSERT_EQ(police.explanations_size(), 2);
  const auto& e = police.explanations(1);
  EXPECT_EQ(e.report_id(), attached.report_id);
  EXPECT_EQ(e.compared_report_id(), consenting.report_id);
  for (const std::string& field : ComparedFields(e)) EXPECT_FALSE(auth::IsPersonalComparison(field)) << field;
  EXPECT_TRUE(ComparedFields(e).count("time"));  // the incident's facts stay

  // Where both reports consent, police see every comparison; an
  // administrator never sees personal ones.
  const auto both = Submit(hirs::testing::ValidReport(absl::Now()), "centre-c");
  const auto full = cases_->GetCase(kPolice, consenting.case_id).value();
  const auto& shown = full.explanations(2);
  ASSERT_EQ(shown.report_id(), both.report_id);
  if (shown.compared_report_id() == consenting.report_id) {
    EXPECT_TRUE(ComparedFields(shown).count("surname"));
  }
  const auto admin = cases_->GetCase(kAdmin, consenting.case_id).value();
  for (const auto& x : admin.explanations()) {
    for (const std::string& field : ComparedFields(x)) EXPECT_FALSE(auth::IsPersonalComparison(field)) << field;
  }
}

TEST(IsPersonalComparison, CoversEveryIdentityFieldOfTheModelAndTheFreeText) {
  for (int f = 0; f < collation::kFieldCount; ++f) {
    const auto field = static_cast<collation::Field>(f);
    const bool personal = collation::IsIdentityField(field) || field == collation::Field::kPlaceDescription ||
                          field == collation::Field::kDescription;
    EXPECT_EQ(auth::IsPersonalComparison(collation::FieldName(field)), personal) << collation::FieldName(field);
  }
}

TEST_F(CasesTest, PersonalDataFollowsConsentAndRole) {
  hirs::v1::Report shared = DistinctReport(1, absl::Now());
  shared.mutable_victim()->set_phone("07700 900123");
  hirs::v1::Report withheld = DistinctReport(2, absl::Now());
  withheld.mutable_consent()->set_share_with_police(false);
  hirs::v1::Report anonymous = DistinctReport(3, absl::Now());
  anonymous.clear_victim();
  anonymous.mutable_victim()->set_age_band(hirs::v1::AGE_25_TO_34);
  anonymous.mutable_consent()->set_anonymous(true);
  const std::string shared_case = Submit(shared).case_id;
  const std::string withheld_case = Submit(withheld).case_id;
  const std::string anonymous_case = Submit(anonymous).case_id;

  auto police_view = cases_->GetCase(kPolice, shared_case).value();
  EXPECT_EQ(police_view.reports(0).victim().full_name(), "Victim1 Person1");
  EXPECT_EQ(police_view.reports(0).victim().phone(), "07700 900123");
  EXPECT_THAT(police_view.reports(0).description(), HasSubstr("Incident number 1"));

  auto admin_view = cases_->GetCase(kAdmin, shared_case).value();
  EXPECT_EQ(admin_view.reports(0).victim().full_name(), "");
  EXPECT_EQ(admin_view.reports(0).victim().phone(), "");
  EXPECT_EQ(admin_view.reports(0).description(), "");

  auto no_consent = cases_->GetCase(kPolice, withheld_case).value();
  EXPECT_EQ(no_consent.reports(0).victim().full_name(), "");
  EXPECT_EQ(no_consent.reports(0).description(), "");
  EXPECT_EQ(no_consent.reports(0).location().postcode(), "LE11 3AB");  // the place stays
  EXPECT_FALSE(no_consent.reports(0).consent().share_with_police());

  auto anon = cases_->GetCase(kPolice, anonymous_case).value();
  EXPECT_EQ(anon.reports(0).victim().full_name(), "");
  EXPECT_EQ(anon.reports(0).victim().age_band(), hirs::v1::AGE_25_TO_34);
}

TEST(Redaction, ACentresPeopleAndSystemsSeeItsReportsAndNoOtherCentreDoes) {
  hirs::v1::Report report = hirs::testing::ValidReport();
  report.set_reporting_centre("centre-a");
  const auth::Principal system{"centre-a", hirs::v1::REPORTING_CENTRE, "centre-a"};
  const auth::Principal person{"jo.bloggs", hirs::v1::REPORTING_CENTRE, "centre-a", /*person=*/true};
  const auth::Principal stranger{"centre-a-2", hirs::v1::REPORTING_CENTRE, "centre-b", /*person=*/true};
  EXPECT_TRUE(auth::MaySeePersonalData(system, report));
  EXPECT_TRUE(auth::MaySeePersonalData(person, report));
  EXPECT_FALSE(auth::MaySeePersonalData(stranger, report));
  auth::RedactReport(stranger, &report);
  EXPECT_EQ(report.victim().full_name(), "");
}

TEST_F(CasesTest, GetCaseRefusesBadAndUnknownIds) {
  auto bad = cases_->GetCase(kPolice, "nonsense");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(bad.status())[0].field, "case_id");
  EXPECT_EQ(cases_->GetCase(kPolice, "case_01HZZZZZZZZZZZZZZZZZZZZZZZ").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CasesTest, PagesListEveryCaseOnceNewestFirst) {
  const auto ids = SubmitDistinct(23);
  const auto seen = AllPages("", 5);
  EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend()));
}

TEST_F(CasesTest, FilteredPagesAgreeWithEvaluatingEveryCase) {
  const auto ids = SubmitDistinct(30);
  for (const std::string filter :
       {"motivation = RACE", "NOT motivation = RACE", "motivation = RACE OR motivation = DISABILITY",
        "district_code = E07000130 AND motivation = DISABILITY", "status = CLOSED", "repeat_victim = true",
        "occurred_start >= \"2000-01-01T00:00:00Z\" AND motivation = RACE"}) {
    auto parsed = query::Filter::Parse(filter).value();
    std::vector<std::string> expected;
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      if (parsed.Matches(cases_->GetCase(kPolice, *it).value())) expected.push_back(*it);
    }
    EXPECT_EQ(AllPages(filter, 4), expected) << filter;
  }
  EXPECT_EQ(AllPages("motivation = RACE", 4).size(), 10u);
}

TEST_F(CasesTest, CasesInsertedWhilePagingNeverAppearTwiceAndNoneIsMissed) {
  const auto ids = SubmitDistinct(40);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 100; !stop; ++i) Submit(DistinctReport(i, absl::Now()));
  });
  int next = 1000;
  const auto seen = AllPages("motivation = DISABILITY OR motivation = RACE", 6, [&] {
    SubmitDistinct(2, next);  // and some between pages, for certain
    next += 2;
  });
  stop = true;
  writer.join();
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a case appeared twice";
  for (const auto& id : ids) EXPECT_EQ(unique.count(id), 1u) << id;
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end(), std::greater<>()));
}

TEST_F(CasesTest, PageTokensCannotBeForgedOrReused) {
  SubmitDistinct(6);
  hirs::v1::ListCasesRequest request;
  request.set_page_size(2);
  request.set_filter("status = OPEN");
  auto first = cases_->ListCases(kPolice, request).value();
  ASSERT_FALSE(first.next_page_token().empty());

  auto refused = [&](const auth::Principal& who, const std::string& filter, const std::string& token,
                     const std::string& why) {
    hirs::v1::ListCasesRequest r = request;
    r.set_filter(filter);
    r.set_page_token(token);
    auto page = cases_->ListCases(who, r);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << why;
    auto v = FieldViolationsOf(page.status());
    ASSERT_EQ(v.size(), 1u) << why;
    EXPECT_EQ(v[0].field, "page_token") << why;
  };
  std::string forged = first.next_page_token();
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  refused(kPolice, "status = OPEN", forged, "altered");
  refused(kPolice, "status = OPEN", "not-a-token", "garbage");
  refused(kPolice, "status = CLOSED", first.next_page_token(), "other filter");
  refused(kOtherPolice, "status = OPEN", first.next_page_token(), "other caller");
  // A token made with another key (another server) is forged too.
  collation::KeyedHasher other(std::string(32, 'x'));
  refused(kPolice, "status = OPEN",
          query::EncodePageToken(other, absl::StrCat("ListCases\npolice\nstatus = OPEN"), "case_0", absl::Now()),
          "other key");
  clock_offset_ = query::kPageTokenLifetime + absl::Minutes(1);
  refused(kPolice, "status = OPEN", first.next_page_token(), "expired");
  clock_offset_ = absl::ZeroDuration();
  request.set_page_token(first.next_page_token());
  EXPECT_TRUE(cases_->ListCases(kPolice, request).ok());
}

TEST_F(CasesTest, PageSizeIsDefaultedCappedAndChecked) {
  SubmitDistinct(3);
  hirs::v1::ListCasesRequest request;
  EXPECT_EQ(cases_->ListCases(kPolice, request).value().cases_size(), 3);
  request.set_page_size(5000);
  EXPECT_EQ(cases_->ListCases(kPolice, request).value().cases_size(), 3);
  request.set_page_size(-1);
  request.set_filter("colour = red");
  auto bad = cases_->ListCases(kPolice, request);
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  const auto v = FieldViolationsOf(bad.status());
  ASSERT_EQ(v.size(), 2u);  // both faults at once
  EXPECT_EQ(v[0].field, "page_size");
  EXPECT_EQ(v[1].field, "filter");
}

TEST_F(CasesTest, UpdateCaseNeedsTheCurrentEtag) {
  const std::string id = SubmitDistinct(1)[0];
  const auto before = cases_->GetCase(kPolice, id).value();
  auto updated = Update(id, before.etag(), {"status", "outcome_note"}, [](hirs::v1::Case* c) {
    c->set_status(hirs::v1::UNDER_INVESTIGATION);
    c->set_outcome_note("Officer assigned.");
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->status(), hirs::v1::UNDER_INVESTIGATION);
  EXPECT_NE(updated->etag(), before.etag());

  // The stale etag again: ABORTED, and nothing changes.
  auto stale = Update(id, before.etag(), {"status"}, [](hirs::v1::Case* c) { c->set_status(hirs::v1::CLOSED); });
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  const auto after = cases_->GetCase(kPolice, id).value();
  EXPECT_EQ(after.status(), hirs::v1::UNDER_INVESTIGATION);
  EXPECT_EQ(after.etag(), updated->etag());
  EXPECT_EQ(after.outcome_note(), "Officer assigned.");
}

TEST_F(CasesTest, UpdateCaseMovesIndexesAndWritesAnEvent) {
  const std::string id = SubmitDistinct(1)[0];
  const uint64_t mark = store_->LastVisibleChange();
  auto updated =
      Update(id, cases_->GetCase(kPolice, id).value().etag(), {"status", "crime_reference"}, [](hirs::v1::Case* c) {
        c->set_status(hirs::v1::CRIME_RECORDED);
        c->set_crime_reference("le/555/26");
      });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->crime_reference(), "LE/555/26");
  EXPECT_EQ(AllPages("status = CRIME_RECORDED", 10), std::vector<std::string>{id});
  EXPECT_TRUE(AllPages("status = OPEN", 10).empty());
  EXPECT_EQ(AllPages("crime_reference = \"LE/555/26\"", 10), std::vector<std::string>{id});
  ASSERT_EQ(store_->LastVisibleChange(), mark + 1);
  auto event =
      storage::ReadProto<hirs::v1::CaseEvent>(*store_, storage::Family::kChanges, storage::EncodeChangeKey(mark + 1));
  ASSERT_TRUE(event.ok() && event->has_value());
  EXPECT_EQ((*event)->kind(), hirs::v1::CaseEvent::CASE_UPDATED);
  EXPECT_EQ((*event)->case_().status(), hirs::v1::CRIME_RECORDED);
}

TEST_F(CasesTest, ACaseHistoryListsItsOwnChangesNewestFirstPageByPage) {
  const auto first = Submit(hirs::testing::ValidReport(absl::Now()), "centre-a");
  hirs::v1::Report again = hirs::testing::ValidReport(absl::Now());
  again.set_source_reference("B-1");
  const auto second = Submit(again, "centre-b");
  ASSERT_EQ(second.case_id, first.case_id);
  SubmitDistinct(2, 5);  // other cases' changes are not in this history
  ASSERT_TRUE(
      Update(first.case_id, cases_->GetCase(kPolice, first.case_id).value().etag(), {"status"}, [](hirs::v1::Case* c) {
        c->set_status(hirs::v1::UNDER_INVESTIGATION);
      }).ok());
  hirs::v1::SplitReportRequest split;
  split.set_report_id(second.report_id);
  const auto parted = cases_->SplitReport(kPolice, split);
  ASSERT_TRUE(parted.ok()) << parted.status();

  hirs::v1::ListCaseEventsRequest request;
  request.set_case_id(first.case_id);
  request.set_page_size(2);
  std::vector<hirs::v1::CaseEvent::Kind> kinds;
  std::vector<uint64_t> cursors;
  int pages = 0;
  do {
    auto page = cases_->ListCaseEvents(kPolice, request);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const auto& e : page->events()) {
      EXPECT_EQ(e.case_id(), first.case_id);
      kinds.push_back(e.kind());
      cursors.push_back(e.cursor());
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  using E = hirs::v1::CaseEvent;
  EXPECT_THAT(kinds, ElementsAre(E::REPORT_SPLIT, E::CASE_UPDATED, E::REPORT_ATTACHED, E::CASE_CREATED));
  EXPECT_TRUE(std::is_sorted(cursors.rbegin(), cursors.rend()));
  EXPECT_EQ(pages, 2);

  request.set_page_token("");
  request.set_case_id(parted->new_case().case_id());
  auto split_off = cases_->ListCaseEvents(kPolice, request);
  ASSERT_TRUE(split_off.ok());
  ASSERT_EQ(split_off->events_size(), 1);
  EXPECT_EQ(split_off->events(0).kind(), E::CASE_CREATED);
  request.set_case_id("case_00000000000000000000000000");
  EXPECT_EQ(cases_->ListCaseEvents(kPolice, request).status().code(), absl::StatusCode::kNotFound);
  request.set_case_id("nope");
  request.set_page_size(-1);
  auto bad = cases_->ListCaseEvents(kPolice, request);
  std::vector<std::string> fields;
  for (const auto& v : FieldViolationsOf(bad.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ElementsAre("case_id", "page_size"));
}

TEST_F(CasesTest, UpdateCaseFollowsTheTransitionTable) {
  const std::string id = SubmitDistinct(1)[0];
  auto etag = [&] { return cases_->GetCase(kPolice, id).value().etag(); };
  auto set_status = [&](hirs::v1::CaseStatus s) {
    return Update(id, etag(), {"status"}, [s](hirs::v1::Case* c) { c->set_status(s); });
  };
  auto no_reference = set_status(hirs::v1::CRIME_RECORDED);
  EXPECT_EQ(no_reference.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_reference.status().message(), HasSubstr("crime reference"));
  ASSERT_TRUE(set_status(hirs::v1::CLOSED).ok());
  auto illegal = set_status(hirs::v1::UNDER_INVESTIGATION);
  EXPECT_EQ(illegal.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(illegal.status().message(), HasSubstr("from CLOSED to UNDER_INVESTIGATION"));
  EXPECT_TRUE(set_status(hirs::v1::OPEN).ok());  // reopened
  EXPECT_TRUE(StatusTransitionAllowed(hirs::v1::NON_CRIME_INCIDENT, hirs::v1::CRIME_RECORDED));
  EXPECT_FALSE(StatusTransitionAllowed(hirs::v1::CRIME_RECORDED, hirs::v1::OPEN));
}

TEST_F(CasesTest, UpdateCaseNamesEveryBadField) {
  hirs::v1::UpdateCaseRequest request;
  request.mutable_case_()->set_case_id("bad");
  request.mutable_case_()->set_crime_reference("LE|1");
  request.mutable_update_mask()->add_paths("district_code");
  request.mutable_update_mask()->add_paths("crime_reference");
  auto result = cases_->UpdateCase(kPolice, request);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : FieldViolationsOf(result.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ElementsAre("case.case_id", "etag", "update_mask.paths[0]", "case.crime_reference"));
}

TEST_F(CasesTest, MergeMovesReportsFingerprintsAndIndexes) {
  const auto ids = SubmitDistinct(3);
  hirs::v1::Report again = DistinctReport(2, absl::Now());  // a second report of case 2's incident
  again.set_reporter_role(hirs::v1::WITNESS);
  ASSERT_EQ(Submit(again, "centre-b").case_id, ids[2]);
  const uint64_t mark = store_->LastVisibleChange();

  hirs::v1::MergeCasesRequest request;
  request.set_target_case_id(ids[0]);
  request.add_source_case_ids(ids[2]);
  request.add_source_case_ids(ids[1]);
  auto merged = cases_->MergeCases(kPolice, request);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->report_count(), 4);
  EXPECT_EQ(merged->source_count(), 2);
  EXPECT_EQ(collation::ReadMembers(*store_, ids[0]).value().size(), 4u);
  EXPECT_TRUE(collation::ReadMembers(*store_, ids[1]).value().empty());
  EXPECT_EQ(cases_->GetCase(kPolice, ids[1]).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(AllPages("", 10), std::vector<std::string>{ids[0]});
  ExpectConsistent();
  auto event =
      storage::ReadProto<hirs::v1::CaseEvent>(*store_, storage::Family::kChanges, storage::EncodeChangeKey(mark + 1));
  EXPECT_EQ((*event)->kind(), hirs::v1::CaseEvent::CASES_MERGED);
  EXPECT_THAT((*event)->related_case_ids(), ElementsAre(ids[2], ids[1]));
  // A later report of the merged-away incident finds it in the target.
  hirs::v1::Report third = DistinctReport(1, absl::Now());
  third.set_source_reference("late");
  EXPECT_EQ(Submit(third, "centre-b").case_id, ids[0]);
  ExpectConsistent();
}

TEST_F(CasesTest, MergeRefusesBadRequestsAndChangesNothing) {
  const auto ids = SubmitDistinct(2);
  hirs::v1::MergeCasesRequest request;
  request.set_target_case_id(ids[0]);
  request.add_source_case_ids(ids[0]);
  request.add_source_case_ids("case_01HZZZZZZZZZZZZZZZZZZZZZZZ");
  request.add_source_case_ids("case_01HZZZZZZZZZZZZZZZZZZZZZZZ");
  auto bad = cases_->MergeCases(kPolice, request);
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : FieldViolationsOf(bad.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ElementsAre("source_case_ids[0]", "source_case_ids[2]"));
  request.clear_source_case_ids();
  request.add_source_case_ids("case_01HZZZZZZZZZZZZZZZZZZZZZZZ");
  auto missing = cases_->MergeCases(kPolice, request);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("case_01HZZZZZZZZZZZZZZZZZZZZZZZ"));
  EXPECT_EQ(AllPages("", 10).size(), 2u);
  ExpectConsistent();
}

TEST_F(CasesTest, SplitSeparatesAndALaterReportMatchingBothGoesToReview) {
  const auto first = Submit(hirs::testing::ValidReport(absl::Now()), "centre-a");
  hirs::v1::Report second_report = hirs::testing::ValidReport(absl::Now());
  second_report.set_source_reference("B-1");
  const auto second = Submit(second_report, "centre-b");
  ASSERT_EQ(second.case_id, first.case_id);

  hirs::v1::SplitReportRequest split;
  split.set_report_id(second.report_id);
  auto result = cases_->SplitReport(kPolice, split);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->original_case().case_id(), first.case_id);
  EXPECT_THAT(result->original_case().report_ids(), ElementsAre(first.report_id));
  EXPECT_THAT(result->new_case().report_ids(), ElementsAre(second.report_id));
  EXPECT_EQ(collation::ReadMembers(*store_, result->new_case().case_id()).value().size(), 1u);
  EXPECT_EQ(collation::ReadMembers(*store_, first.case_id).value().size(), 1u);
  ExpectConsistent();
  split.set_report_id(first.report_id);
  EXPECT_EQ(cases_->SplitReport(kPolice, split).status().code(), absl::StatusCode::kFailedPrecondition);

  // A third report of the same incident matches both: a person decides.
  hirs::v1::Report third = hirs::testing::ValidReport(absl::Now());
  third.set_source_reference("C-1");
  auto review = intake_->Submit("centre-c", hirs::testing::Request(third));
  ASSERT_TRUE(review.ok());
  EXPECT_EQ(review->collation, hirs::v1::NEEDS_REVIEW)
      << cases_->GetCase(kPolice, review->case_id).value().explanations().rbegin()->DebugString();
  auto items = cases_->ListReviewItems(kPolice, hirs::v1::ListReviewItemsRequest()).value();
  ASSERT_EQ(items.items_size(), 1);
  EXPECT_EQ(items.items(0).report_id(), review->report_id);
  EXPECT_GT(items.items(0).explanation().comparisons_size(), 0);
  ExpectConsistent();
}

TEST_F(CasesTest, ResolvingReviewItemsMergesOrKeepsApartOnce) {
  // Two review items, made the way the previous test makes one.
  const auto first = Submit(hirs::testing::ValidReport(absl::Now()), "centre-a");
  hirs::v1::Report second_report = hirs::testing::ValidReport(absl::Now());
  second_report.set_source_reference("B-1");
  const auto second = Submit(second_report, "centre-b");
  hirs::v1::SplitReportRequest split;
  split.set_report_id(second.report_id);
  const std::string apart = cases_->SplitReport(kPolice, split).value().new_case().case_id();
  for (const char* ref : {"C-1", "C-2"}) {
    hirs::v1::Report r = hirs::testing::ValidReport(absl::Now());
    r.set_source_reference(ref);
    ASSERT_EQ(intake_->Submit("centre-c", hirs::testing::Request(r))->collation, hirs::v1::NEEDS_REVIEW);
  }
  auto items = cases_->ListReviewItems(kPolice, hirs::v1::ListReviewItemsRequest()).value();
  ASSERT_EQ(items.items_size(), 2);
  // Until a person decides, the reports' cases are provisional to collation.
  auto provisional = [&](const std::string& report_id) {
    return storage::ReadProto<hirs::store::v1::MatchFeatures>(*store_, storage::Family::kFeatures, report_id)
        ->value()
        .sent_to_review();
  };
  EXPECT_TRUE(provisional(items.items(0).report_id()));
  EXPECT_TRUE(provisional(items.items(1).report_id()));

  hirs::v1::ResolveReviewItemRequest merge;
  merge.set_review_id(items.items(0).review_id());
  merge.set_decision(hirs::v1::MERGE);
  merge.set_target_case_id("case_01HZZZZZZZZZZZZZZZZZZZZZZZ");
  EXPECT_EQ(cases_->ResolveReviewItem(kPolice, merge).status().code(), absl::StatusCode::kInvalidArgument);
  merge.set_target_case_id(first.case_id);
  merge.set_reason(std::string(kMaxReviewReasonBytes + 1, 'x'));
  EXPECT_EQ(FieldViolationsOf(cases_->ResolveReviewItem(kPolice, merge).status()).at(0).field, "reason");
  merge.set_reason("\xff not text");
  EXPECT_EQ(FieldViolationsOf(cases_->ResolveReviewItem(kPolice, merge).status()).at(0).field, "reason");
  merge.set_reason("same time, place and words used");
  auto resolved = cases_->ResolveReviewItem(kPolice, merge);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->decision(), hirs::v1::MERGE);
  EXPECT_TRUE(resolved->has_resolved_at());
  EXPECT_EQ(resolved->reason(), "same time, place and words used");
  EXPECT_EQ(resolved->resolved_by(), kPolice.id);
  EXPECT_EQ(cases_->GetCase(kPolice, first.case_id).value().report_count(), 2);
  EXPECT_EQ(cases_->ResolveReviewItem(kPolice, merge).status().code(), absl::StatusCode::kFailedPrecondition);

  hirs::v1::ResolveReviewItemRequest keep;
  keep.set_review_id(items.items(1).review_id());
  keep.set_decision(hirs::v1::KEEP_SEPARATE);
  ASSERT_TRUE(cases_->ResolveReviewItem(kPolice, keep).ok());
  EXPECT_EQ(cases_->ListReviewItems(kPolice, hirs::v1::ListReviewItemsRequest()).value().items_size(), 0);
  auto kept =
      storage::ReadProto<hirs::store::v1::StoredCase>(*store_, storage::Family::kCases, items.items(1).case_id());
  EXPECT_THAT((*kept)->separated_case_ids(), ::testing::Contains(apart));
  EXPECT_FALSE(provisional(items.items(0).report_id()));
  EXPECT_FALSE(provisional(items.items(1).report_id()));
  ExpectConsistent();

  // The decisions, as labelled pairs for re-estimating the weights.
  const auto model = collation::MatchModel::Default();
  auto labelled = ReviewDecisions(*store_, model);
  ASSERT_TRUE(labelled.ok()) << labelled.status();
  EXPECT_THAT(labelled->is_match, ElementsAre(true, false));
  const auto& explanation = items.items(0).explanation();
  ASSERT_GT(explanation.comparisons_size(), 0);
  for (const auto& cmp : explanation.comparisons()) {
    bool found = false;
    for (int f = 0; f < collation::kFieldCount; ++f) {
      if (cmp.field() != collation::FieldName(static_cast<collation::Field>(f))) continue;
      found = true;
      const int level = labelled->pairs[0][f];
      ASSERT_GE(level, 0) << cmp.field();
      EXPECT_EQ(model.levels(static_cast<collation::Field>(f))[level].name, cmp.level());
    }
    EXPECT_TRUE(found) << cmp.field();
  }
}

TEST_F(CasesTest, ConcurrentMergesAndSubmissionsKeepEveryReportInOneCase) {
  const auto ids = SubmitDistinct(12);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      hirs::v1::MergeCasesRequest request;
      request.set_target_case_id(ids[t * 4]);
      for (int k = 1; k < 4; ++k) request.add_source_case_ids(ids[t * 4 + k]);
      EXPECT_TRUE(cases_->MergeCases(kPolice, request).ok());
    });
    threads.emplace_back([&, t] {
      for (int k = 0; k < 4; ++k) {
        hirs::v1::Report r = DistinctReport(t * 4 + k, absl::Now());  // joins a case being merged
        r.set_source_reference(absl::StrCat("again-", t, k));
        EXPECT_TRUE(intake_->Submit("centre-b", hirs::testing::Request(r)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  ExpectConsistent();
  EXPECT_EQ(AllPages("", 50).size(), 3u);
}

}  // namespace
}  // namespace hirs::cases
