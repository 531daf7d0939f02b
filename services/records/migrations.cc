#include "services/records/migrations.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "hirs/store/v1/records.pb.h"
#include "services/collation/case_aggregate.h"
#include "services/records/history.h"
#include "storage/fingerprints.h"
#include "storage/keys.h"
#include "storage/schema.h"

namespace hirs::records {
namespace {

using hirs::store::v1::StoredCase;

// A migration's writes, in bounded batches: after each entry put into
// batch(), Added() writes the batch once it holds kEntries of them.
class MigrationWriter {
 public:
  explicit MigrationWriter(storage::Store* store) : store_(store) {}
  storage::WriteBatch* batch() { return &batch_; }
  absl::Status Added() {
    if (++entries_ < kEntries && batch_.bytes() < kBytes) return absl::OkStatus();
    return Finish();
  }
  // Writes what the batch holds.
  absl::Status Finish() {
    entries_ = 0;
    return store_->Write(std::exchange(batch_, storage::WriteBatch()));
  }

 private:
  // In replicated mode each write is one log entry: well under the log's
  // limit on a write (replication::LogOptions::max_group_bytes).
  static constexpr size_t kEntries = 10000;
  static constexpr size_t kBytes = 256 << 10;
  storage::Store* const store_;
  storage::WriteBatch batch_;
  size_t entries_ = 0;
};

// Adds, for every `Message` stored in `family`, the entries `add` puts
// into the batch, written in bounded batches. DATA_LOSS for a value that
// does not parse ("unreadable <noun> <key> while <doing>"), or what `add`
// returns.
template <typename Message>
absl::Status AddForEachStored(
    storage::Store* store, storage::Family family, absl::string_view noun, absl::string_view doing,
    const std::function<absl::Status(absl::string_view key, const Message& value, storage::WriteBatch* batch)>& add) {
  MigrationWriter writer(store);
  absl::Status inner;
  RETURN_IF_ERROR(store->Scan(family, "", 0, [&](absl::string_view key, absl::string_view value) {
    Message m;
    if (!m.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      inner = absl::DataLossError(absl::StrCat("unreadable ", noun, " ", absl::CHexEscape(key), " while ", doing));
      return false;
    }
    inner = add(key, m, writer.batch());
    if (inner.ok()) inner = writer.Added();
    return inner.ok();
  }));
  RETURN_IF_ERROR(inner);
  return writer.Finish();
}

// Schema 2: the indexes family rebuilt from the cases. An interrupted
// rebuild leaves the old version in kMeta and runs again.
absl::Status RebuildCaseIndexes(storage::Store* store, absl::Time) {
  MigrationWriter writer(store);
  absl::Status inner;
  RETURN_IF_ERROR(store->Scan(storage::Family::kIndexes, "", 0, [&](absl::string_view key, absl::string_view) {
    writer.batch()->Delete(storage::Family::kIndexes, key);
    inner = writer.Added();
    return inner.ok();
  }));
  RETURN_IF_ERROR(inner);
  RETURN_IF_ERROR(writer.Finish());
  return AddForEachStored<StoredCase>(store, storage::Family::kCases, "case", "rebuilding indexes",
                                      [](absl::string_view, const StoredCase& c, storage::WriteBatch* batch) {
                                        for (const auto& k : storage::CaseIndexKeys(c.case_()))
                                          batch->Put(storage::Family::kIndexes, k, "");
                                        return absl::OkStatus();
                                      });
}

// Schema 4: schema 3 kept one key per fingerprint and case: fingerprint +
// case id -> report id. Each becomes a set operand under the bare
// fingerprint, in the batch that deletes it: an interrupted migration
// leaves every entry in exactly one form and goes on at the next start.
// Bare fingerprints (kFingerprintBytes long) are already migrated.
absl::Status MigrateFingerprints(storage::Store* store, absl::Time) {
  MigrationWriter writer(store);
  uint64_t migrated = 0;
  absl::Status inner;
  RETURN_IF_ERROR(
      store->Scan(storage::Family::kFingerprints, "", 0, [&](absl::string_view key, absl::string_view report_id) {
        if (key.size() <= storage::kFingerprintBytes) return true;
        storage::SetFingerprintCase(key.substr(0, storage::kFingerprintBytes), key.substr(storage::kFingerprintBytes),
                                    report_id, writer.batch());
        writer.batch()->Delete(storage::Family::kFingerprints, key);
        ++migrated;
        inner = writer.Added();
        return inner.ok();
      }));
  RETURN_IF_ERROR(inner);
  RETURN_IF_ERROR(writer.Finish());
  if (migrated > 0) {
    LogInfo(absl::StrCat("store: schema 4: ", migrated, " fingerprint entries moved under their fingerprints"));
  }
  return absl::OkStatus();
}

// Case members: each case's report ids and explanations become kMembers
// entries, and the case keeps its report id sample and no explanations.
// Marked done in kMeta.
absl::Status MoveExplanationsToMembers(storage::Store* store, absl::Time) {
  constexpr char kDoneKey[] = "case_members_v1";
  ASSIGN_OR_RETURN(std::optional<std::string> done, store->Get(storage::Family::kMeta, kDoneKey));
  if (done.has_value()) return absl::OkStatus();
  std::vector<std::string> ids;
  RETURN_IF_ERROR(store->Scan(storage::Family::kCases, "", 0, [&](absl::string_view key, absl::string_view) {
    ids.emplace_back(key);
    return true;
  }));
  // One case per batch: idempotent, so an interrupted run starts again.
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(auto c, storage::ReadProto<hirs::store::v1::StoredCase>(*store, storage::Family::kCases, id));
    if (!c.has_value()) continue;
    hirs::v1::Case* k = c->mutable_case_();
    storage::WriteBatch batch;
    for (const std::string& report_id : k->report_ids()) {
      hirs::v1::CollationExplanation e;
      for (const auto& x : k->explanations()) {
        if (x.report_id() == report_id) e = x;
      }
      e.set_report_id(report_id);
      // Without the centre index: schema 6's migration, later, adds it.
      batch.Put(storage::Family::kMembers, storage::CaseMemberKey(id, report_id), e.SerializeAsString());
    }
    k->set_report_count(k->report_ids_size());
    if (k->report_ids_size() > collation::kCaseReportIdSample) {
      k->mutable_report_ids()->DeleteSubrange(collation::kCaseReportIdSample,
                                              k->report_ids_size() - collation::kCaseReportIdSample);
    }
    k->clear_explanations();
    batch.Put(storage::Family::kCases, id, c->SerializeAsString());
    RETURN_IF_ERROR(store->Write(std::move(batch)));
  }
  storage::WriteBatch mark;
  mark.Put(storage::Family::kMeta, kDoneKey, "1");
  return store->Write(std::move(mark));
}

// Extract history (schema 3): cases written before it have no statistics;
// each gets them rebuilt from its reports and a first history version
// stamped `now`, and the history is recorded as complete since `now`; a
// store without such cases is complete from the beginning. Needs members.
absl::Status StartExtractHistory(storage::Store* store, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<std::string> since,
                   store->Get(storage::Family::kMeta, storage::kExtractHistorySinceKey));
  if (since.has_value()) return absl::OkStatus();
  // Cases from before schema 3, each rebuilt in its own batch (an
  // interrupted run starts again: a rebuilt case has statistics).
  std::vector<std::string> old_cases;
  RETURN_IF_ERROR(store->Scan(storage::Family::kCases, "", 0, [&](absl::string_view key, absl::string_view value) {
    StoredCase c;
    if (c.ParseFromArray(value.data(), static_cast<int>(value.size())) && !c.has_statistics()) {
      old_cases.emplace_back(key);
    }
    return true;
  }));
  for (const std::string& id : old_cases) {
    ASSIGN_OR_RETURN(std::optional<StoredCase> c, storage::ReadProto<StoredCase>(*store, storage::Family::kCases, id));
    if (!c.has_value()) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> ids, collation::MemberIds(*store, id));
    ASSIGN_OR_RETURN(auto reports,
                     storage::ReadProtos<hirs::store::v1::StoredReport>(*store, storage::Family::kReports, ids));
    std::vector<hirs::store::v1::StoredReport> present;
    for (auto& r : reports) {
      if (r.has_value()) present.push_back(*std::move(r));
    }
    const StoredCase rebuilt = collation::RebuildCase(*c, std::move(present), now);
    StoredCase updated = *c;
    *updated.mutable_statistics() = rebuilt.statistics();
    storage::WriteBatch batch;
    batch.Put(storage::Family::kCases, id, updated.SerializeAsString());
    if (const auto row = ExtractFacts(updated); row.has_value()) {
      batch.Put(storage::Family::kExtracts,
                storage::ExtractRowKey(row->district_code(), row->month(), id, absl::ToUnixMicros(now)),
                row->SerializeAsString());
    }
    RETURN_IF_ERROR(store->Write(std::move(batch)));
  }
  storage::WriteBatch batch;
  batch.Put(storage::Family::kMeta, storage::kExtractHistorySinceKey,
            absl::StrCat(old_cases.empty() ? 0 : absl::ToUnixMicros(now)));
  return store->Write(std::move(batch));
}

// Schema 5: the centre_reports family, each stored report under its
// centre. Idempotent: an interrupted run writes the same entries again.
absl::Status IndexCentreReports(storage::Store* store, absl::Time) {
  return AddForEachStored<hirs::store::v1::StoredReport>(
      store, storage::Family::kReports, "report", "indexing reports by centre",
      [](absl::string_view key, const hirs::store::v1::StoredReport& r, storage::WriteBatch* batch) {
        batch->Put(storage::Family::kCentreReports, storage::CentreReportKey(r.report().reporting_centre(), key), "");
        return absl::OkStatus();
      });
}

// Schema 5: the case_changes family, each change event under its case.
// Idempotent as IndexCentreReports.
absl::Status IndexCaseChanges(storage::Store* store, absl::Time) {
  return AddForEachStored<hirs::v1::CaseEvent>(
      store, storage::Family::kChanges, "change", "indexing changes by case",
      [](absl::string_view key, const hirs::v1::CaseEvent& event, storage::WriteBatch* batch) {
        uint64_t sequence = 0;
        if (!storage::DecodeChangeKey(key, &sequence)) {
          return absl::DataLossError("a change key is not a sequence while indexing changes by case");
        }
        batch->Put(storage::Family::kCaseChanges, storage::CaseChangeKey(event.case_id(), sequence), "");
        return absl::OkStatus();
      });
}

// Schema 6: the centre_cases family, each report in a case under its
// centre and case. Idempotent as IndexCentreReports.
absl::Status IndexCentreCases(storage::Store* store, absl::Time) {
  return AddForEachStored<hirs::store::v1::StoredReport>(
      store, storage::Family::kReports, "report", "indexing reports by centre and case",
      [](absl::string_view key, const hirs::store::v1::StoredReport& r, storage::WriteBatch* batch) {
        if (r.case_id().empty()) return absl::OkStatus();  // withdrawn: in no case
        batch->Put(storage::Family::kCentreCases,
                   storage::CentreCaseReportKey(r.report().reporting_centre(), r.case_id(), key), "");
        return absl::OkStatus();
      });
}

struct Migration {
  const char* what;
  // Runs when the stored schema version is below this; 0: whenever the
  // migration's own kMeta mark is absent (it checks).
  uint32_t below_version;
  absl::Status (*run)(storage::Store* store, absl::Time now);
};

// In the order they run.
constexpr Migration kMigrations[] = {
    {"case indexes", 2, RebuildCaseIndexes},
    {"fingerprints under their fingerprints", 4, MigrateFingerprints},
    {"case members", 0, MoveExplanationsToMembers},
    {"extract history", 0, StartExtractHistory},
    {"reports by centre", 5, IndexCentreReports},
    {"changes by case", 5, IndexCaseChanges},
    {"reports by centre and case", 6, IndexCentreCases},
};

absl::StatusOr<uint32_t> StoredVersion(const storage::Store& store) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store.Get(storage::Family::kMeta, storage::kSchemaVersionKey));
  uint32_t version = 0;
  if (!stored.has_value() || !absl::SimpleAtoi(*stored, &version)) {
    return absl::DataLossError("the store has no readable schema version");
  }
  return version;
}

}  // namespace

absl::Status Migrate(storage::Store* store, absl::Time now) {
  ASSIGN_OR_RETURN(const uint32_t version, StoredVersion(*store));
  for (const Migration& m : kMigrations) {
    if (m.below_version != 0 && version >= m.below_version) continue;
    absl::Status s = m.run(store, now);
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat("migrating the store (", m.what, "): ", s.message()));
  }
  if (version >= storage::kSchemaVersion) return absl::OkStatus();
  storage::WriteBatch batch;
  batch.Put(storage::Family::kMeta, storage::kSchemaVersionKey, absl::StrCat(storage::kSchemaVersion));
  return store->Write(std::move(batch));
}

}  // namespace hirs::records
