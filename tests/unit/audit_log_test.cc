// The audit hash chain on a real RocksDB store: appends (concurrent ones
// too) verify; entries staged into a caller's batch or written by the
// caller are chained, and those a crash left pending are chained when the
// log reopens; an entry altered, deleted, reordered or cut from the end,
// or a pending record altered, written directly into the store, is
// caught; listing by resource and by principal pages through the chain.
#include "services/audit/audit_log.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "tests/support/domain_support.h"

namespace hirs::audit {
namespace {

using storage::Family;

std::unique_ptr<storage::Store> OpenStore(const std::string& dir) {
  storage::StoreOptions options;
  options.path = dir + "/db";
  options.sync_writes = false;
  auto store = storage::Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return *std::move(store);
}

hirs::v1::AuditEntry Entry(const std::string& principal, const std::string& case_id) {
  hirs::v1::AuditEntry e;
  e.set_principal_id(principal);
  e.set_method("hirs.v1.CaseService/GetCase");
  e.set_outcome("OK");
  e.set_peer("ipv4:127.0.0.1:1234");
  *e.mutable_time() = ToTimestamp(hirs::testing::kTestNow);
  if (!case_id.empty()) e.add_resource_ids(case_id);
  return e;
}

// Writes ten entries and closes the log.
void WriteTen(storage::Store* store) {
  auto log = AuditLog::Open(store);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE((*log)->AppendAndWait(Entry(i % 2 ? "police" : "admin", absl::StrCat("case-", i))).ok());
  }
}

hirs::v1::AuditEntry Read(const storage::Store& store, uint64_t sequence) {
  auto bytes = store.Get(Family::kAudit, storage::AuditEntryKey(sequence));
  EXPECT_TRUE(bytes.ok() && bytes->has_value());
  hirs::v1::AuditEntry e;
  EXPECT_TRUE(e.ParseFromString(**bytes));
  return e;
}

void Put(storage::Store* store, uint64_t sequence, const hirs::v1::AuditEntry& e) {
  storage::WriteBatch batch;
  batch.Put(Family::kAudit, storage::AuditEntryKey(sequence), e.SerializeAsString());
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
}

std::string Verify(const storage::Store& store) {
  auto result = VerifyChain(store);
  EXPECT_TRUE(result.ok()) << result.status();
  return result->ok() ? "" : result->first_problem();
}

TEST(AuditLog, APersonsAgencyIsInTheHashOnlyWhenSet) {
  hirs::v1::AuditEntry e = NewEntry("jo.bloggs", "hirs.v1.ReportingService/GetReport", hirs::testing::kTestNow,
                                    absl::StatusCode::kOk, {"rpt_1"});
  const std::string without = ChainHash(GenesisHash(), e);
  e.set_agency("centre-a");
  const std::string with = ChainHash(GenesisHash(), e);
  EXPECT_NE(with, without) << "a changed agency breaks the chain";
  e.set_agency("centre-b");
  EXPECT_NE(ChainHash(GenesisHash(), e), with);
  // Without one, an entry hashes as entries did before the field: the
  // resource ids are the last fields.
  e.clear_agency();
  e.add_resource_ids("centre-a");
  EXPECT_NE(ChainHash(GenesisHash(), e), with);
}

TEST(AuditLog, AppendedEntriesFormAVerifiableChainAcrossReopening) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteTen(store.get());
  WriteTen(store.get());  // reopened: the chain continues from its head
  auto result = VerifyChain(*store);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok()) << result->first_problem();
  EXPECT_EQ(result->entries_checked(), 20u);
  EXPECT_EQ(result->head_sequence(), 20u);
  EXPECT_EQ(result->head_hash(), Read(*store, 20).hash());
  EXPECT_EQ(Read(*store, 1).sequence(), 1u);
  hirs::v1::AuditEntry second = Read(*store, 2);
  const std::string hash = second.hash();
  second.clear_hash();
  EXPECT_EQ(ChainHash(Read(*store, 1).hash(), second), hash);
}

TEST(AuditLog, ConcurrentAppendsAreChainedWithoutGaps) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  auto log = AuditLog::Open(store.get());
  ASSERT_TRUE(log.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        EXPECT_TRUE((*log)->AppendAndWait(Entry(absl::StrCat("p", t), "")).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  (*log)->Stop();
  EXPECT_EQ(Verify(*store), "");
  EXPECT_EQ(VerifyChain(*store)->entries_checked(), 1600u);
  // After Stop, appends are refused, not lost silently.
  EXPECT_EQ((*log)->AppendAndWait(Entry("late", "")).code(), absl::StatusCode::kUnavailable);
}

// The pending records under the audit family's pending prefix.
size_t PendingRecords(const storage::Store& store) {
  size_t n = 0;
  EXPECT_TRUE(store
                  .Scan(Family::kAudit, storage::kAuditPendingPrefix, 0,
                        [&](absl::string_view, absl::string_view) {
                          ++n;
                          return true;
                        })
                  .ok());
  return n;
}

std::vector<std::string> PrincipalsInChain(const storage::Store& store) {
  auto listed = ListEntries(store, hirs::v1::ListAuditEntriesRequest());
  EXPECT_TRUE(listed.ok()) << listed.status();
  std::vector<std::string> out;
  for (const auto& e : listed->entries()) out.push_back(e.principal_id());
  return out;
}

TEST(AuditLog, StagedEntriesAreChainedOnceTheirBatchIsWritten) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  auto log = AuditLog::Open(store.get());
  ASSERT_TRUE(log.ok());
  // The caller's own write carries its entry.
  storage::WriteBatch batch;
  batch.Put(Family::kReports, "rpt-1", "the caller's record");
  StagedEntry staged = (*log)->Stage(Entry("centre", "rpt-1"), &batch);
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_EQ(PendingRecords(*store), 1u);  // durable before it is chained
  (*log)->Chain(std::move(staged));
  // A staged batch that is never written leaves nothing.
  storage::WriteBatch dropped;
  (*log)->Stage(Entry("dropped", ""), &dropped);
  // Written by the caller, on its own.
  ASSERT_TRUE((*log)->Write(Entry("police", "case-1")).ok());
  ASSERT_TRUE((*log)->AppendAndWait(Entry("refused", "")).ok());
  ASSERT_TRUE((*log)->Drain(absl::Seconds(10)));
  EXPECT_EQ(PendingRecords(*store), 0u);
  EXPECT_EQ(PrincipalsInChain(*store), (std::vector<std::string>{"centre", "police", "refused"}));
  auto verified = VerifyChain(*store);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->first_problem();
  EXPECT_EQ(verified->entries_checked(), 3u);
  EXPECT_EQ(verified->pending_entries(), 0u);
  // After Stop, an entry cannot be written.
  (*log)->Stop();
  EXPECT_EQ((*log)->Write(Entry("late", "")).code(), absl::StatusCode::kUnavailable);
}

// The chainer waits a little for more pending records when nobody waits
// for it; it must still chain them on its own, and an Append queued behind
// them must not wait for that pause to end before its entry is written.
TEST(AuditLog, PendingEntriesAreChainedWithoutADrainAndAnAppendDoesNotWaitBehindThem) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  auto log = AuditLog::Open(store.get());
  ASSERT_TRUE(log.ok());
  auto stage_and_chain = [&](const std::string& who) {
    storage::WriteBatch batch;
    StagedEntry staged = (*log)->Stage(Entry(who, "rpt-1"), &batch);
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
    (*log)->Chain(std::move(staged));
  };
  // No Drain, no Append: the chainer ends its pause by itself.
  for (const char* who : {"a", "b", "c"}) stage_and_chain(who);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (PendingRecords(*store) != 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(PendingRecords(*store), 0u) << "pending records were not chained without a Drain";
  EXPECT_EQ(PrincipalsInChain(*store), (std::vector<std::string>{"a", "b", "c"}));

  // A pending record then an Append: both are chained, in that order, by
  // the time the Append's caller has its answer.
  stage_and_chain("d");
  ASSERT_TRUE((*log)->AppendAndWait(Entry("refused", "")).ok());
  EXPECT_EQ(PendingRecords(*store), 0u);
  EXPECT_EQ(PrincipalsInChain(*store), (std::vector<std::string>{"a", "b", "c", "d", "refused"}));

  // More pending records than one chaining write takes are all chained.
  for (int i = 0; i < 2500; ++i) stage_and_chain(absl::StrCat("bulk-", i));
  ASSERT_TRUE((*log)->Drain(absl::Seconds(30)));
  EXPECT_EQ(PendingRecords(*store), 0u);
  auto verified = VerifyChain(*store);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->first_problem();
  EXPECT_EQ(verified->entries_checked(), 2505u);
}

TEST(AuditLog, PendingEntriesACrashLeftAreChainedOnReopening) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteTen(store.get());
  {
    // Written with their calls, but the process "died" before chaining.
    auto log = AuditLog::Open(store.get());
    ASSERT_TRUE(log.ok());
    for (const char* who : {"first", "second", "third"}) {
      storage::WriteBatch batch;
      (*log)->Stage(Entry(who, "case-9"), &batch);
      ASSERT_TRUE(store->Write(std::move(batch)).ok());
    }
  }
  EXPECT_EQ(PendingRecords(*store), 3u);
  auto before = VerifyChain(*store);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->ok()) << "pending records are not a break: " << before->first_problem();
  EXPECT_EQ(before->pending_entries(), 3u);
  EXPECT_EQ(before->entries_checked(), 10u);

  auto log = AuditLog::Open(store.get());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(PendingRecords(*store), 0u);
  ASSERT_TRUE((*log)->Write(Entry("after", "")).ok());
  (*log)->Stop();
  auto after = VerifyChain(*store);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->ok()) << after->first_problem();
  EXPECT_EQ(after->entries_checked(), 14u);
  const std::vector<std::string> chained = PrincipalsInChain(*store);
  EXPECT_EQ(std::vector<std::string>(chained.begin() + 10, chained.end()),
            (std::vector<std::string>{"first", "second", "third", "after"}));
}

TEST(AuditLog, AnAlteredPendingRecordIsReportedAndNotChained) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteTen(store.get());
  storage::WriteBatch batch;
  batch.Put(Family::kAudit, storage::AuditPendingKey(7), "not an entry \xff\xff\xff");
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  auto log = AuditLog::Open(store.get());
  ASSERT_TRUE(log.ok()) << "the log still opens: " << log.status();
  ASSERT_TRUE((*log)->Write(Entry("after", "")).ok());
  (*log)->Stop();
  EXPECT_EQ(Verify(*store), "a pending entry (not chained yet) does not parse (ticket 7)");
  EXPECT_EQ(VerifyChain(*store)->entries_checked(), 11u);
}

TEST(AuditLog, ConcurrentWritesStagesAndAppendsAreChainedWithoutGaps) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  auto log = AuditLog::Open(store.get());
  ASSERT_TRUE(log.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const hirs::v1::AuditEntry e = Entry(absl::StrCat("p", t), absl::StrCat("case-", t, "-", i));
        if (t % 3 == 0) {
          EXPECT_TRUE((*log)->AppendAndWait(e).ok());
        } else if (t % 3 == 1) {
          EXPECT_TRUE((*log)->Write(e).ok());
        } else {
          storage::WriteBatch batch;
          StagedEntry staged = (*log)->Stage(e, &batch);
          EXPECT_TRUE(store->Write(std::move(batch)).ok());
          (*log)->Chain(std::move(staged));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE((*log)->Drain(absl::Seconds(10)));
  EXPECT_EQ(Verify(*store), "");
  EXPECT_EQ(VerifyChain(*store)->entries_checked(), 1200u);
  EXPECT_EQ(PendingRecords(*store), 0u);
  hirs::v1::ListAuditEntriesRequest one;
  one.set_case_id("case-5-199");
  EXPECT_EQ(ListEntries(*store, one)->entries_size(), 1);
}

TEST(AuditLog, AnAlteredEntryIsCaught) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteTen(store.get());
  hirs::v1::AuditEntry e = Read(*store, 4);
  e.set_principal_id("someone-else");  // the hash left as it was
  Put(store.get(), 4, e);
  EXPECT_EQ(Verify(*store), "entry 4 does not match its hash (altered, or an earlier entry was)");
}

TEST(AuditLog, AnAlteredEntryWithARecomputedHashBreaksTheNext) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteTen(store.get());
  hirs::v1::AuditEntry e = Read(*store, 4);
  e.set_outcome("PERMISSION_DENIED");
  e.clear_hash();
  e.set_hash(ChainHash(Read(*store, 3).hash(), e));
  Put(store.get(), 4, e);
  EXPECT_EQ(Verify(*store), "entry 5 does not match its hash (altered, or an earlier entry was)");
}

TEST(AuditLog, ADeletedEntryIsCaught) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteTen(store.get());
  storage::WriteBatch batch;
  batch.Delete(Family::kAudit, storage::AuditEntryKey(6));
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_EQ(Verify(*store), "entry 6 is missing (the next entry is 7)");
}

TEST(AuditLog, ReorderedEntriesAreCaught) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteTen(store.get());
  const hirs::v1::AuditEntry two = Read(*store, 2);
  const hirs::v1::AuditEntry five = Read(*store, 5);
  Put(store.get(), 2, five);
  Put(store.get(), 5, two);
  EXPECT_EQ(Verify(*store), "entry 2 holds sequence 5 (moved or reordered)");
  // Renumbered to hide the swap: the hashes no longer chain.
  hirs::v1::AuditEntry renumbered = five;
  renumbered.set_sequence(2);
  Put(store.get(), 2, renumbered);
  EXPECT_EQ(Verify(*store), "entry 2 does not match its hash (altered, or an earlier entry was)");
}

TEST(AuditLog, EntriesCutFromTheEndAreCaught) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  WriteTen(store.get());
  storage::WriteBatch batch;
  batch.Delete(Family::kAudit, storage::AuditEntryKey(9));
  batch.Delete(Family::kAudit, storage::AuditEntryKey(10));
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_EQ(Verify(*store), "entries 9 to 10 are missing from the end");
}

TEST(AuditLog, ListsByResourceAndPrincipalInPages) {
  hirs::testing::TempDir dir;
  auto store = OpenStore(dir.path());
  {
    auto log = AuditLog::Open(store.get());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 7; ++i) ASSERT_TRUE((*log)->AppendAndWait(Entry("police", "case-x")).ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*log)->AppendAndWait(Entry("admin", "case-x")).ok());
    ASSERT_TRUE((*log)->AppendAndWait(Entry("police", "case-y")).ok());
  }
  hirs::v1::ListAuditEntriesRequest request;
  request.set_case_id("case-x");
  request.set_page_size(4);
  std::vector<uint64_t> seen;
  for (int page = 0; page < 5; ++page) {
    auto response = ListEntries(*store, request);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const auto& e : response->entries()) seen.push_back(e.sequence());
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));

  hirs::v1::ListAuditEntriesRequest both;
  both.set_case_id("case-x");
  both.set_principal_id("admin");
  auto admin_on_x = ListEntries(*store, both);
  ASSERT_TRUE(admin_on_x.ok());
  EXPECT_EQ(admin_on_x->entries_size(), 3);
  hirs::v1::ListAuditEntriesRequest by_police;
  by_police.set_principal_id("police");
  EXPECT_EQ(ListEntries(*store, by_police)->entries_size(), 8);

  hirs::v1::ListAuditEntriesRequest bad;
  bad.set_page_size(5000);
  bad.set_page_token("not-a-token");
  auto refused = ListEntries(*store, bad);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolationsOf(refused.status()).size(), 2u);
}

}  // namespace
}  // namespace hirs::audit
