#include "storage/store.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "hirs/store/v1/records.pb.h"
#include "services/records/migrations.h"
#include "storage/fingerprints.h"
#include "storage/keys.h"
#include "storage/schema.h"
#include "tests/support/domain_support.h"

namespace hirs::storage {
namespace {

std::unique_ptr<Store> OpenAt(const std::string& path) {
  StoreOptions options;
  options.path = path;
  auto store = Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

std::vector<std::string> Keys(const Store& store, Family family, absl::string_view prefix, size_t limit = 0,
                              ScanOrder order = ScanOrder::kAscending) {
  std::vector<std::string> keys;
  EXPECT_TRUE(store
                  .Scan(
                      family, prefix, limit,
                      [&](absl::string_view k, absl::string_view) {
                        keys.emplace_back(k);
                        return true;
                      },
                      order)
                  .ok());
  return keys;
}

TEST(Store, WritesAreReadableAfterReopen) {
  hirs::testing::TempDir dir;
  {
    auto store = OpenAt(dir.path());
    WriteBatch batch;
    batch.Put(Family::kReports, "r1", "report one");
    batch.Put(Family::kCases, "c1", "case one");
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
  }
  auto store = OpenAt(dir.path());
  EXPECT_EQ(store->Get(Family::kReports, "r1").value(), std::optional<std::string>("report one"));
  EXPECT_EQ(store->Get(Family::kCases, "c1").value(), std::optional<std::string>("case one"));
  EXPECT_EQ(store->Get(Family::kCases, "r1").value(), std::nullopt);  // families are separate
}

TEST(Store, BelowTheFreeSpaceReserveOnlyReserveWritesGoOnAndReadsWork) {
  hirs::testing::TempDir dir;
  uint64_t free = 0;
  {
    auto store = OpenAt(dir.path());
    WriteBatch batch;
    batch.Put(Family::kReports, "kept", "stored before");
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
    ASSERT_TRUE(store->FreeDiskBytes().has_value());
    free = *store->FreeDiskBytes();
    EXPECT_FALSE(store->refusing_writes());
  }
  StoreOptions options;
  options.path = dir.path();
  // Twice what is free: ordinary writes are refused, the audit trail's
  // (down to a quarter of the reserve, half of what is free) are not.
  options.min_free_bytes = free * 2;
  auto store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  WriteBatch refused;
  refused.Put(Family::kReports, "new", "not stored");
  absl::Status status = (*store)->Write(std::move(refused));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("data disk is full"), absl::string_view::npos) << status;
  EXPECT_EQ(status.message().find(dir.path()), absl::string_view::npos) << "no server path to callers";
  EXPECT_TRUE((*store)->refusing_writes());
  EXPECT_EQ((*store)->Get(Family::kReports, "new").value(), std::nullopt);
  EXPECT_EQ((*store)->Get(Family::kReports, "kept").value(), std::optional<std::string>("stored before"));

  WriteBatch audit;
  audit.Put(Family::kAudit, "e1", "entry");
  audit.UseReserve();
  EXPECT_TRUE((*store)->Write(std::move(audit)).ok());
  EXPECT_EQ((*store)->Get(Family::kAudit, "e1").value(), std::optional<std::string>("entry"));
  store->reset();

  options.min_free_bytes = free * 8;  // a quarter of it is more than is free
  store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  WriteBatch last;
  last.Put(Family::kAudit, "e2", "entry");
  last.UseReserve();
  EXPECT_EQ((*store)->Write(std::move(last)).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*store)->Get(Family::kAudit, "e2").value(), std::nullopt);
}

TEST(Store, SchemaVersionIsRecorded) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  EXPECT_EQ(store->Get(Family::kMeta, kSchemaVersionKey).value(),
            std::optional<std::string>(absl::StrCat(kSchemaVersion)));
}

TEST(Migrations, SchemaOneIsMigratedByRebuildingTheCaseIndexes) {
  hirs::testing::TempDir dir;
  {
    auto store = OpenAt(dir.path());
    hirs::store::v1::StoredCase c;
    c.mutable_case_()->set_case_id("case_1");
    c.mutable_case_()->set_status(hirs::v1::CLOSED);
    c.mutable_case_()->set_district_code("E07000130");
    WriteBatch batch;
    batch.Put(Family::kMeta, kSchemaVersionKey, "1");
    batch.Put(Family::kCases, "case_1", c.SerializeAsString());
    batch.Put(Family::kIndexes, "rt|00000000000f4240|case_1", "");  // a version 1 entry
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
  }
  auto store = OpenAt(dir.path());
  ASSERT_TRUE(records::Migrate(store.get(), absl::Now()).ok());
  EXPECT_EQ(store->Get(Family::kMeta, kSchemaVersionKey).value(),
            std::optional<std::string>(absl::StrCat(kSchemaVersion)));
  EXPECT_TRUE(Keys(*store, Family::kIndexes, "rt|").empty());
  EXPECT_EQ(Keys(*store, Family::kIndexes, "st|06|"), std::vector<std::string>{"st|06|case_1"});
  EXPECT_EQ(Keys(*store, Family::kIndexes, "d|E07000130|"), std::vector<std::string>{"d|E07000130|case_1"});
}

// A fingerprint of `c` repeated.
std::string Fp(char c) { return std::string(kFingerprintBytes, c); }

std::vector<std::pair<std::string, std::string>> CasesOf(const Store& store, const std::string& fingerprint) {
  std::vector<std::pair<std::string, std::string>> out;
  auto read = ReadFingerprintCases(store, {fingerprint});
  EXPECT_TRUE(read.ok()) << read.status();
  if (!read.ok()) return out;
  for (const auto& e : (*read)[0].entries()) out.emplace_back(e.case_id(), e.report_id());
  return out;
}

TEST(Fingerprints, CasesAreSetReplacedAndRemovedNewestFirstAcrossMemtableFilesAndReopen) {
  hirs::testing::TempDir dir;
  const std::string fp_a = Fp('a');
  const std::string fp_b = Fp('b');
  {
    auto store = OpenAt(dir.path());
    WriteBatch flushed;
    for (int i = 0; i < 3; ++i) SetFingerprintCase(fp_a, absl::StrCat("case_", i), absl::StrCat("rpt_", i), &flushed);
    ASSERT_TRUE(store->Write(std::move(flushed)).ok());
    ASSERT_TRUE(store->Flush().ok());  // a base value in a file, operands in the memtable
    WriteBatch recent;
    SetFingerprintCase(fp_a, "case_3", "rpt_3", &recent);
    SetFingerprintCase(fp_a, "case_1", "rpt_9", &recent);  // another report of case_1
    RemoveFingerprintCase(fp_a, "case_0", &recent);
    RemoveFingerprintCase(fp_b, "case_0", &recent);  // nothing to remove
    ASSERT_TRUE(store->Write(std::move(recent)).ok());
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"case_3", "rpt_3"}, {"case_2", "rpt_2"}, {"case_1", "rpt_9"}};
    EXPECT_EQ(CasesOf(*store, fp_a), expected);
    EXPECT_TRUE(CasesOf(*store, fp_b).empty());
    auto both = ReadFingerprintCases(*store, {fp_b, fp_a, Fp('c')});
    ASSERT_TRUE(both.ok());
    ASSERT_EQ(both->size(), 3u);
    EXPECT_EQ((*both)[1].entries_size(), 3);
    EXPECT_EQ((*both)[2].entries_size(), 0);
  }
  auto store = OpenAt(dir.path());  // closing flushed the operands
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"case_3", "rpt_3"}, {"case_2", "rpt_2"}, {"case_1", "rpt_9"}};
  EXPECT_EQ(CasesOf(*store, fp_a), expected);
  // Rewritten into one file: the operands folded by compaction, read back
  // through the file's partitioned filter (a miss too).
  ASSERT_TRUE(store->CompactAll().ok());
  EXPECT_EQ(CasesOf(*store, fp_a), expected);
  EXPECT_TRUE(CasesOf(*store, fp_b).empty());
  EXPECT_TRUE(CasesOf(*store, Fp('c')).empty());
}

// A value of `words` 8-hex-digit words, different for each key `i` and
// each `round` of writes.
std::string Scrambled(unsigned i, unsigned round, int words) {
  std::string value;
  for (unsigned j = 0; j < static_cast<unsigned>(words); ++j) {
    value += absl::StrFormat("%08x", (i * 7919u + j * 104729u + round * 1299709u) * 2654435761u);
  }
  return value;
}

TEST(Store, CompactAllFoldsEachKeyIntoOnePlaceAndStopsWhenCanceled) {
  hirs::testing::TempDir dir;
  uint64_t free = 0;
  {
    auto store = OpenAt(dir.path());
    // Each key written three times, in three files, and one key deleted:
    // a full compaction keeps one copy of each.
    for (int round = 0; round < 3; ++round) {
      WriteBatch batch;
      for (int i = 0; i < 200; ++i) batch.Put(Family::kReports, absl::StrFormat("r%03d", i), Scrambled(i, round, 64));
      if (round == 2) batch.Delete(Family::kReports, "r000");
      ASSERT_TRUE(store->Write(std::move(batch)).ok());
      ASSERT_TRUE(store->Flush().ok());
    }
    std::atomic<bool> canceled{true};
    absl::StatusOr<CompactionInfo> stopped = store->CompactAll(&canceled);
    EXPECT_EQ(stopped.status().code(), absl::StatusCode::kCancelled) << stopped.status();
    EXPECT_NE(stopped.status().message().find("Run it again"), absl::string_view::npos) << stopped.status();

    absl::StatusOr<CompactionInfo> info = store->CompactAll();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_GT(info->size_bytes_after, 0u);
    EXPECT_LT(info->size_bytes_after * 2, info->size_bytes_before) << "three copies folded into one";
    EXPECT_EQ(store->Get(Family::kReports, "r000").value(), std::nullopt);
    EXPECT_EQ(Keys(*store, Family::kReports, "r").size(), 199u);
    // Reads and writes go on as before.
    WriteBatch after;
    after.Put(Family::kReports, "r000", "again");
    ASSERT_TRUE(store->Write(std::move(after)).ok());
    EXPECT_EQ(store->Get(Family::kReports, "r000").value(), std::optional<std::string>("again"));
    free = store->FreeDiskBytes().value_or(0);
  }
  // Without room for the largest family beside the reserve: refused before
  // it starts, saying what it needs.
  StoreOptions options;
  options.path = dir.path();
  options.min_free_bytes = free * 2;
  auto store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<CompactionInfo> refused = (*store)->CompactAll();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_NE(refused.status().message().find("MiB are free"), absl::string_view::npos) << refused.status();
  EXPECT_EQ((*store)->Get(Family::kReports, "r000").value(), std::optional<std::string>("again"));
}

TEST(Store, CompactAllRunsOneAtATimeAndStopCompactionsEndsItForGood) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  // 64 MB in four files: a compaction that runs long enough (a few hundred
  // milliseconds here) to be met while it runs.
  for (int round = 0; round < 4; ++round) {
    WriteBatch batch;
    for (int i = 0; i < 16000; ++i) batch.Put(Family::kReports, absl::StrFormat("r%05d", i), Scrambled(i, round, 128));
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  absl::StatusOr<CompactionInfo> first = absl::UnknownError("not run");
  std::thread running([&] { first = store->CompactAll(); });
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!store->compacting() && absl::Now() < give_up) std::this_thread::yield();
  ASSERT_TRUE(store->compacting());
  absl::StatusOr<CompactionInfo> second = store->CompactAll();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  EXPECT_NE(second.status().message().find("already running"), absl::string_view::npos) << second.status();

  store->StopCompactions();
  running.join();
  EXPECT_FALSE(store->compacting());
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
  EXPECT_NE(first.status().message().find("closing"), absl::string_view::npos) << first.status();
  absl::StatusOr<CompactionInfo> later = store->CompactAll();
  EXPECT_EQ(later.status().code(), absl::StatusCode::kUnavailable) << later.status();
  EXPECT_NE(later.status().message().find("closing"), absl::string_view::npos) << later.status();
  // Nothing lost; writes go on.
  EXPECT_EQ(Keys(*store, Family::kReports, "r").size(), 16000u);
  WriteBatch after;
  after.Put(Family::kReports, "r00000", "again");
  ASSERT_TRUE(store->Write(std::move(after)).ok());
  EXPECT_EQ(store->Get(Family::kReports, "r00000").value(), std::optional<std::string>("again"));
}

TEST(Fingerprints, OnlyTheNewestCasesAreKept) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  const std::string fp = Fp('a');
  const int n = static_cast<int>(kMaxCasesPerFingerprint) + 5;
  for (int i = 0; i < n; ++i) {
    WriteBatch batch;  // in no particular order
    const int c = (i * 7) % n;
    SetFingerprintCase(fp, absl::StrFormat("case_%03d", c), "rpt", &batch);
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
    if (i == n / 2) {
      ASSERT_TRUE(store->Flush().ok());
    }
  }
  const auto cases = CasesOf(*store, fp);
  ASSERT_EQ(cases.size(), kMaxCasesPerFingerprint);
  EXPECT_EQ(cases.front().first, absl::StrFormat("case_%03d", n - 1));
  EXPECT_EQ(cases.back().first, absl::StrFormat("case_%03d", n - static_cast<int>(kMaxCasesPerFingerprint)));
}

TEST(Fingerprints, FoldRefusesWhatDoesNotParse) {
  std::string out;
  const absl::string_view garbage("\xff\xff\xff", 3);
  EXPECT_FALSE(FoldFingerprintCases(&garbage, {}, &out));
  EXPECT_FALSE(FoldFingerprintCases(nullptr, {garbage}, &out));
  EXPECT_TRUE(FoldFingerprintCases(nullptr, {}, &out));
  EXPECT_TRUE(out.empty());
}

TEST(Migrations, SchemaThreeFingerprintEntriesAreMovedUnderTheirFingerprints) {
  hirs::testing::TempDir dir;
  const std::string fp_a = Fp('a');
  const std::string fp_b = Fp('b');
  {
    auto store = OpenAt(dir.path());
    WriteBatch batch;
    batch.Put(Family::kMeta, kSchemaVersionKey, "3");
    // Version 3 entries: fingerprint + case id -> report id.
    batch.Put(Family::kFingerprints, fp_a + "case_1", "rpt_1");
    batch.Put(Family::kFingerprints, fp_a + "case_2", "rpt_2");
    batch.Put(Family::kFingerprints, fp_b + "case_2", "rpt_3");
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
    ASSERT_TRUE(store->Flush().ok());
    WriteBatch partly;  // as an interrupted migration leaves it: case_2 of fp_b already moved
    partly.Delete(Family::kFingerprints, fp_b + "case_2");
    SetFingerprintCase(fp_b, "case_2", "rpt_3", &partly);
    ASSERT_TRUE(store->Write(std::move(partly)).ok());
  }
  auto store = OpenAt(dir.path());
  ASSERT_TRUE(records::Migrate(store.get(), absl::Now()).ok());
  EXPECT_EQ(store->Get(Family::kMeta, kSchemaVersionKey).value(),
            std::optional<std::string>(absl::StrCat(kSchemaVersion)));
  EXPECT_EQ(Keys(*store, Family::kFingerprints, ""), (std::vector<std::string>{fp_a, fp_b}));
  EXPECT_EQ(CasesOf(*store, fp_a),
            (std::vector<std::pair<std::string, std::string>>{{"case_2", "rpt_2"}, {"case_1", "rpt_1"}}));
  EXPECT_EQ(CasesOf(*store, fp_b), (std::vector<std::pair<std::string, std::string>>{{"case_2", "rpt_3"}}));
}

TEST(Store, NewerSchemaIsRefusedWithAClearMessage) {
  hirs::testing::TempDir dir;
  {
    auto store = OpenAt(dir.path());
    WriteBatch batch;
    batch.Put(Family::kMeta, kSchemaVersionKey, "999");
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
  }
  StoreOptions options;
  options.path = dir.path();
  auto store = Store::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), absl::string_view::npos);
}

TEST(Store, SecondOpenOfTheSameDirectoryFails) {
  hirs::testing::TempDir dir;
  auto first = OpenAt(dir.path());
  StoreOptions options;
  options.path = dir.path();
  auto second = Store::Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(Store, BatchIsAtomicAcrossFamiliesIncludingDeletes) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  WriteBatch first;
  first.Put(Family::kIndexes, "a", "");
  ASSERT_TRUE(store->Write(std::move(first)).ok());
  WriteBatch second;
  second.Delete(Family::kIndexes, "a");
  second.Put(Family::kIndexes, "b", "");
  second.Put(Family::kReports, "rpt_x", "x");
  ASSERT_TRUE(store->Write(std::move(second)).ok());
  EXPECT_EQ(Keys(*store, Family::kIndexes, ""), std::vector<std::string>{"b"});
  EXPECT_EQ(Keys(*store, Family::kReports, ""), std::vector<std::string>{"rpt_x"});
}

TEST(Store, ScanStopsAtPrefixAndLimit) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  WriteBatch batch;
  for (int i = 0; i < 5; ++i) batch.Put(Family::kIndexes, "a|case_" + std::to_string(i), "");
  batch.Put(Family::kIndexes, "b|case_9", "");
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_EQ(Keys(*store, Family::kIndexes, "a|").size(), 5u);
  EXPECT_EQ(Keys(*store, Family::kIndexes, "a|", 3).size(), 3u);
  EXPECT_EQ(Keys(*store, Family::kIndexes, "b|"), std::vector<std::string>{"b|case_9"});
}

TEST(Store, DescendingScanVisitsThePrefixNewestFirstFromMemtableAndFiles) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  const std::string high("\x01\xff\xff", 3);  // a prefix whose successor carries
  WriteBatch flushed;
  for (int i = 0; i < 3; ++i) flushed.Put(Family::kIndexes, "a|case_" + std::to_string(i), "");
  flushed.Put(Family::kIndexes, high + "1", "");
  flushed.Put(Family::kIndexes, "\x02", "");
  ASSERT_TRUE(store->Write(std::move(flushed)).ok());
  ASSERT_TRUE(store->Flush().ok());  // some entries in SST files, some in the memtable
  WriteBatch recent;
  for (int i = 3; i < 5; ++i) recent.Put(Family::kIndexes, "a|case_" + std::to_string(i), "");
  recent.Put(Family::kIndexes, "b|case_0", "");
  recent.Put(Family::kIndexes, high + "2", "");
  recent.Put(Family::kIndexes, "\x01\xfe", "");
  ASSERT_TRUE(store->Write(std::move(recent)).ok());

  EXPECT_EQ(Keys(*store, Family::kIndexes, "a|", 0, ScanOrder::kDescending),
            (std::vector<std::string>{"a|case_4", "a|case_3", "a|case_2", "a|case_1", "a|case_0"}));
  EXPECT_EQ(Keys(*store, Family::kIndexes, "a|", 2, ScanOrder::kDescending).size(), 2u);
  EXPECT_EQ(Keys(*store, Family::kIndexes, high, 0, ScanOrder::kDescending),
            (std::vector<std::string>{high + "2", high + "1"}));
  EXPECT_EQ(Keys(*store, Family::kIndexes, "", 0, ScanOrder::kDescending),
            (std::vector<std::string>{"b|case_0", "a|case_4", "a|case_3", "a|case_2", "a|case_1", "a|case_0", "\x02",
                                      high + "2", high + "1", "\x01\xfe"}));
  EXPECT_TRUE(Keys(*store, Family::kIndexes, "\x03", 0, ScanOrder::kDescending).empty());
}

TEST(Store, ScanResumesStrictlyAfterTheGivenKeyInEitherOrder) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  WriteBatch batch;
  for (const char* k : {"x|1", "x|2", "x|3", "x|4", "y|1"}) batch.Put(Family::kIndexes, k, "");
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  auto scan = [&](ScanOrder order, absl::string_view resume) {
    std::vector<std::string> keys;
    EXPECT_TRUE(store
                    ->Scan(
                        Family::kIndexes, "x|", 2,
                        [&](absl::string_view k, absl::string_view) {
                          keys.emplace_back(k);
                          return true;
                        },
                        order, resume)
                    .ok());
    return keys;
  };
  EXPECT_EQ(scan(ScanOrder::kAscending, "2"), (std::vector<std::string>{"x|3", "x|4"}));
  EXPECT_EQ(scan(ScanOrder::kDescending, "3"), (std::vector<std::string>{"x|2", "x|1"}));
  EXPECT_EQ(scan(ScanOrder::kDescending, "25"), (std::vector<std::string>{"x|2", "x|1"}));  // between keys
  EXPECT_TRUE(scan(ScanOrder::kAscending, "4").empty());
  EXPECT_TRUE(scan(ScanOrder::kDescending, "1").empty());
}

TEST(Store, FeaturesFamilyWithItsHashMemtableScansInKeyOrder) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  WriteBatch batch;
  for (const char* k : {"rpt_C", "rpt_A", "rpt_B"}) batch.Put(Family::kFeatures, k, k);
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_EQ(Keys(*store, Family::kFeatures, ""), (std::vector<std::string>{"rpt_A", "rpt_B", "rpt_C"}));
  EXPECT_EQ(Keys(*store, Family::kFeatures, "rpt_", 0, ScanOrder::kDescending),
            (std::vector<std::string>{"rpt_C", "rpt_B", "rpt_A"}));
  EXPECT_EQ(store->Get(Family::kFeatures, "rpt_B").value(), std::optional<std::string>("rpt_B"));
  EXPECT_EQ(store->Get(Family::kFeatures, "rpt_D").value(), std::nullopt);
}

TEST(Store, MultiGetAnswersInKeyOrderWithGapsForMissingKeys) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  WriteBatch batch;
  batch.Put(Family::kReports, "b", "bee");
  batch.Put(Family::kReports, "a", "ay");
  batch.AddToCount(Family::kCounts, "n", 2);
  batch.AddToCount(Family::kCounts, "n", 3);
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  auto values = store->MultiGet(Family::kReports, {"b", "missing", "a"});
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, (std::vector<std::optional<std::string>>{"bee", std::nullopt, "ay"}));
  EXPECT_EQ(ReadCounts(*store, {"none", "n"}).value(), (std::vector<int64_t>{0, 5}));
  EXPECT_TRUE(store->MultiGet(Family::kReports, {}).value().empty());
}

TEST(Store, ChangesGetIncreasingSequencesThatSurviveReopen) {
  hirs::testing::TempDir dir;
  {
    auto store = OpenAt(dir.path());
    for (int i = 0; i < 3; ++i) {
      WriteBatch batch;
      batch.AppendChange("case_x", [](uint64_t seq) { return std::to_string(seq); });
      ASSERT_TRUE(store->Write(std::move(batch)).ok());
    }
    EXPECT_EQ(store->LastVisibleChange(), 3u);
  }
  auto store = OpenAt(dir.path());
  WriteBatch batch;
  batch.AppendChange("case_x", [](uint64_t seq) { return std::to_string(seq); });
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_EQ(store->LastVisibleChange(), 4u);
  EXPECT_EQ(store->Get(Family::kChanges, EncodeChangeKey(4)).value(), std::optional<std::string>("4"));
  // Each change is indexed under its case, in order.
  std::vector<std::string> indexed;
  ASSERT_TRUE(store
                  ->Scan(Family::kCaseChanges, CaseChangePrefix("case_x"), 0,
                         [&](absl::string_view key, absl::string_view) {
                           indexed.emplace_back(key);
                           return true;
                         })
                  .ok());
  EXPECT_EQ(indexed, (std::vector<std::string>{CaseChangeKey("case_x", 1), CaseChangeKey("case_x", 2),
                                               CaseChangeKey("case_x", 3), CaseChangeKey("case_x", 4)}));
}

TEST(Store, ConcurrentChangeWritersLeaveNoGapBelowTheVisibleMark) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        WriteBatch batch;
        batch.AppendChange("case_x", [](uint64_t seq) { return std::to_string(seq); });
        ASSERT_TRUE(store->Write(std::move(batch)).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store->LastVisibleChange(), 400u);
  EXPECT_EQ(Keys(*store, Family::kChanges, "").size(), 400u);
}

TEST(Store, ReadProtoReportsUnparseableBytesAsDataLoss) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  WriteBatch batch;
  batch.Put(Family::kCases, "c", "\xff\xff\xff");
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  auto read = ReadProto<hirs::v1::Case>(*store, Family::kCases, "c");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  auto missing = ReadProto<hirs::v1::Case>(*store, Family::kCases, "nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(Keys, CaseIndexKeysUseTheUkMonth) {
  hirs::v1::Case c;
  c.set_case_id("case_1");
  c.set_district_code("E07000130");
  c.set_status(hirs::v1::OPEN);
  c.mutable_occurred_start()->set_seconds(1790811000);  // 00:30 BST, 1 October 2026
  c.add_motivations(hirs::v1::RACE);
  c.add_motivations(hirs::v1::DISABILITY);
  c.add_incident_types(hirs::v1::THREATS);
  const auto keys = CaseIndexKeys(c);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"d|E07000130|case_1", "st|01|case_1", "om|2026-10|case_1",
                                      "dm|E07000130|2026-10|case_1", "mo|01|case_1", "mo|04|case_1", "it|02|case_1"}));
  EXPECT_EQ(DistrictMonthPrefix("", "2026-10"), "dm|-|2026-10|");
  EXPECT_EQ(CaseIdOfIndexKey(keys[3]), "case_1");

  c.set_repeat_victim(true);
  c.set_crime_reference("LE/1/26");
  const auto more = CaseIndexKeys(c);
  EXPECT_NE(std::find(more.begin(), more.end(), "rv|1|case_1"), more.end());
  EXPECT_NE(std::find(more.begin(), more.end(), "cr|LE/1/26|case_1"), more.end());
}

TEST(Keys, UpdateCaseIndexesWritesOnlyWhatChanged) {
  hirs::testing::TempDir dir;
  auto store = OpenAt(dir.path());
  hirs::v1::Case before;
  before.set_case_id("case_1");
  before.set_status(hirs::v1::OPEN);
  WriteBatch first;
  UpdateCaseIndexes(nullptr, &before, &first);
  ASSERT_TRUE(store->Write(std::move(first)).ok());
  hirs::v1::Case after = before;
  after.set_status(hirs::v1::CLOSED);
  WriteBatch second;
  UpdateCaseIndexes(&before, &after, &second);
  ASSERT_TRUE(store->Write(std::move(second)).ok());
  EXPECT_TRUE(Keys(*store, Family::kIndexes, "st|01|").empty());
  EXPECT_EQ(Keys(*store, Family::kIndexes, "st|06|"), std::vector<std::string>{"st|06|case_1"});
  WriteBatch gone;
  UpdateCaseIndexes(&after, nullptr, &gone);
  ASSERT_TRUE(store->Write(std::move(gone)).ok());
  EXPECT_TRUE(Keys(*store, Family::kIndexes, "").empty());
}

// A log kept in memory: each entry appended is applied to the store it
// serves at once, as the replicated log does once etcd has it.
class ListLog : public WriteLog {
 public:
  explicit ListLog(Store* store) : store_(store) {}
  absl::Status Append(hirs::store::v1::LogEntry entry) override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(std::move(entry));
    return store_->ApplyLogged({&entries_.back()}, entries_.size());
  }
  std::deque<hirs::store::v1::LogEntry> entries_;

 private:
  std::mutex mu_;
  Store* store_;
};

TEST(Store, AWriteThroughALogAppliesTheSameBytesOnAnotherReplica) {
  hirs::testing::TempDir leader_dir, follower_dir;
  auto leader = OpenAt(leader_dir.path());
  auto follower = OpenAt(follower_dir.path());
  ListLog log(leader.get());
  leader->SetWriteLog(&log);
  for (int i = 0; i < 5; ++i) {
    WriteBatch batch;
    batch.Put(Family::kCases, absl::StrCat("case_", i), absl::StrCat("v", i));
    batch.AddToCount(Family::kCounts, "n", 1);
    if (i == 3) batch.Delete(Family::kCases, "case_1");
    batch.AppendChange(absl::StrCat("case_", i), [](uint64_t seq) { return absl::StrCat("event ", seq); });
    ASSERT_TRUE(leader->Write(std::move(batch)).ok());
  }
  ASSERT_EQ(log.entries_.size(), 5u);
  EXPECT_EQ(leader->LastAppliedIndex().value(), 5u);
  std::vector<const hirs::store::v1::LogEntry*> entries;
  for (const auto& e : log.entries_) entries.push_back(&e);
  ASSERT_TRUE(follower->ApplyLogged(entries, 5).ok());
  EXPECT_EQ(hirs::testing::EveryEntry(*follower), hirs::testing::EveryEntry(*leader));
  EXPECT_EQ(ReadCount(*follower, "n").value(), 5);
  // The follower numbers changes on from the leader's.
  EXPECT_EQ(follower->LastVisibleChange(), 5u);
  WriteBatch next;
  next.AppendChange("case_9", [](uint64_t seq) { return absl::StrCat("event ", seq); });
  ASSERT_TRUE(follower->Write(std::move(next)).ok());
  EXPECT_EQ(follower->Get(Family::kChanges, EncodeChangeKey(6)).value(), std::optional<std::string>("event 6"));
}

}  // namespace
}  // namespace hirs::storage
