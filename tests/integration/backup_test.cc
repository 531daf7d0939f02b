// Backups through AdminService while hirsd serves, and offline restores
// (storage::RestoreBackup, what `hirsd --restore_from` runs) into fresh
// directories: a backup taken under concurrent submissions holds every
// report acknowledged before it began and is self-consistent; one taken
// at rest restores every report and case byte for byte; damage is found by
// verification; nothing is restored over an existing store.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hirs/store/v1/records.pb.h"
#include "hirs/v1/admin_service.grpc.pb.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "services/collation/case_aggregate.h"
#include "storage/backup.h"
#include "storage/store.h"
#include "tests/support/test_support.h"

namespace hirs {
namespace {

using hirs::testing::ContextWithToken;
using hirs::testing::kAdminToken;

std::map<std::string, std::string> Family(const storage::Store& store, storage::Family family) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(store
                  .Scan(family, "", 0,
                        [&](absl::string_view k, absl::string_view v) {
                          out.emplace(std::string(k), std::string(v));
                          return true;
                        })
                  .ok());
  return out;
}

std::unique_ptr<storage::Store> Open(const std::string& db) {
  storage::StoreOptions options;
  options.path = db;
  auto store = storage::Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Every case lists reports that exist and say they are in it, and back.
void ExpectConsistent(const storage::Store& store) {
  const auto reports = Family(store, storage::Family::kReports);
  const auto cases = Family(store, storage::Family::kCases);
  size_t listed = 0;
  for (const auto& [id, bytes] : cases) {
    hirs::store::v1::StoredCase c;
    ASSERT_TRUE(c.ParseFromString(bytes));
    const auto members = collation::MemberIds(store, id).value();
    EXPECT_EQ(static_cast<int>(members.size()), c.case_().report_count()) << id;
    for (const std::string& report_id : members) {
      auto it = reports.find(report_id);
      ASSERT_NE(it, reports.end()) << report_id << " of " << id;
      hirs::store::v1::StoredReport r;
      ASSERT_TRUE(r.ParseFromString(it->second));
      EXPECT_EQ(r.case_id(), id);
      ++listed;
    }
  }
  EXPECT_EQ(listed, reports.size());
}

TEST(Backup, WhileServingAndRestoredIntoFreshDirectories) {
  hirs::testing::TestServer server;
  server.options().rate_limit_per_second = 0;
  server.Restart();
  auto admin = hirs::v1::AdminService::NewStub(server.channel());
  auto reporting = server.Reporting();

  std::mutex mu;
  std::vector<std::pair<absl::Time, std::string>> acknowledged;  // when, report id
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        hirs::v1::Report report = hirs::testing::ValidReport(hirs::testing::kTestNow - absl::Minutes(7 * i + w));
        report.mutable_victim()->set_full_name(absl::StrCat("Victim ", w, " ", i));
        report.set_source_reference(absl::StrCat("W", w, "-", i));
        hirs::v1::SubmitReportResponse response;
        grpc::Status s = reporting->SubmitReport(ContextWithToken(hirs::testing::kCentreAToken).get(),
                                                 hirs::testing::Request(report), &response);
        ASSERT_TRUE(s.ok()) << s.error_message();
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.emplace_back(absl::Now(), response.report_id());
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(700));
  const absl::Time backup_began = absl::Now();
  hirs::v1::Backup first;
  ASSERT_TRUE(admin->CreateBackup(ContextWithToken(kAdminToken).get(), {}, &first).ok());
  absl::SleepFor(absl::Milliseconds(300));
  stop = true;
  for (auto& t : writers) t.join();
  hirs::v1::Backup second;
  ASSERT_TRUE(admin->CreateBackup(ContextWithToken(kAdminToken).get(), {}, &second).ok());
  EXPECT_GT(second.backup_id(), first.backup_id());
  EXPECT_GT(second.size_bytes(), 0u);

  hirs::v1::ListBackupsResponse listed;
  ASSERT_TRUE(admin->ListBackups(ContextWithToken(kAdminToken).get(), {}, &listed).ok());
  ASSERT_EQ(listed.backups_size(), 2);
  EXPECT_EQ(listed.backups(0).backup_id(), first.backup_id());
  hirs::v1::VerifyBackupRequest verify;
  verify.set_backup_id(second.backup_id());
  hirs::v1::Backup verified;
  ASSERT_TRUE(admin->VerifyBackup(ContextWithToken(kAdminToken).get(), verify, &verified).ok());
  EXPECT_TRUE(verified.verified());
  verify.set_backup_id(99);
  EXPECT_EQ(admin->VerifyBackup(ContextWithToken(kAdminToken).get(), verify, &verified).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Only ADMIN may take backups.
  EXPECT_EQ(admin->CreateBackup(ContextWithToken(hirs::testing::kPoliceToken).get(), {}, &first).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  server.Stop();

  const std::string backups = server.data_dir() + "/backups";
  hirs::testing::TempDir restore;
  // The backup taken under load: every report acknowledged before it began
  // is there, and the store is consistent.
  auto one = storage::RestoreBackup(backups, first.backup_id(), restore.path() + "/one/db");
  ASSERT_TRUE(one.ok()) << one.status();
  {
    auto store = Open(restore.path() + "/one/db");
    ASSERT_NE(store, nullptr);
    const auto reports = Family(*store, storage::Family::kReports);
    size_t before = 0;
    for (const auto& [when, id] : acknowledged) {
      if (when < backup_began) {
        ++before;
        EXPECT_TRUE(reports.count(id)) << id << " acknowledged before the backup began";
      }
    }
    EXPECT_GT(before, 10u);
    EXPECT_LT(reports.size(), acknowledged.size());
    ExpectConsistent(*store);
  }
  // The newest backup, taken at rest: every report and case, byte for byte.
  auto latest = storage::RestoreBackup(backups, 0, restore.path() + "/two/db");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->id, second.backup_id());
  {
    auto source = Open(server.data_dir() + "/db");
    auto copy = Open(restore.path() + "/two/db");
    ASSERT_TRUE(source != nullptr && copy != nullptr);
    for (storage::Family f : {storage::Family::kReports, storage::Family::kCases, storage::Family::kFingerprints,
                              storage::Family::kIndexes, storage::Family::kChanges, storage::Family::kExtracts}) {
      EXPECT_EQ(Family(*copy, f), Family(*source, f)) << storage::FamilyName(f);
    }
    EXPECT_EQ(Family(*copy, storage::Family::kReports).size(), acknowledged.size());
  }
  // Nothing is restored over a store.
  EXPECT_EQ(storage::RestoreBackup(backups, 0, restore.path() + "/two/db").status().code(),
            absl::StatusCode::kFailedPrecondition);

  // A damaged file is found.
  std::string damaged;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(backups)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sst") damaged = entry.path();
  }
  ASSERT_FALSE(damaged.empty());
  std::filesystem::permissions(damaged, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.write("XXXXXXXX", 8);
  }
  bool found = false;
  for (uint32_t id : {first.backup_id(), second.backup_id()}) {
    auto checked = storage::VerifyBackup(backups, id);
    if (!checked.ok()) {
      EXPECT_EQ(checked.status().code(), absl::StatusCode::kDataLoss);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace hirs
