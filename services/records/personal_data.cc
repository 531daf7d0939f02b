#include "services/records/personal_data.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/civil_time.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/auth/redaction.h"
#include "services/collation/case_aggregate.h"
#include "services/collation/keyed_hasher.h"

namespace hirs::records {
namespace {

using hirs::store::v1::StoredCase;
using hirs::store::v1::StoredReport;
using storage::Family;

// Every report of `c`, oldest first.
absl::StatusOr<std::vector<std::string>> ReportIds(const storage::Store& store, const StoredCase& c) {
  return collation::MemberIds(store, c.case_().case_id());
}

// What normalisation derived from the victim's identity.
void ClearNormalisedIdentity(StoredReport* stored) {
  stored->mutable_normalised()->clear_victim_name();
  stored->mutable_normalised()->clear_victim_date_of_birth();
}

}  // namespace

void ClearStoredIdentity(StoredReport* stored) {
  auth::ClearIdentity(stored->mutable_report()->mutable_victim());
  for (hirs::v1::Report& earlier : *stored->mutable_earlier_versions()) auth::ClearIdentity(earlier.mutable_victim());
  ClearNormalisedIdentity(stored);
}

void ClearStoredReport(absl::Time now, StoredReport* stored) {
  auth::ClearPersonalData(stored->mutable_report());
  for (hirs::v1::Report& earlier : *stored->mutable_earlier_versions()) auth::ClearPersonalData(&earlier);
  *stored->mutable_report()->mutable_personal_data_removed_at() = ToTimestamp(now);
  ClearNormalisedIdentity(stored);
}

std::string ReportEtag(const StoredReport& stored) {
  hirs::v1::Report report = stored.report();
  report.clear_progress();
  report.clear_etag();
  std::string bytes;
  google::protobuf::io::StringOutputStream out(&bytes);
  google::protobuf::io::CodedOutputStream coded(&out);
  coded.SetSerializationDeterministic(true);
  report.SerializeToCodedStream(&coded);
  coded.Trim();
  return absl::StrCat("\"", absl::BytesToHexString(collation::Sha256(bytes)).substr(0, 16), "\"");
}

absl::StatusOr<int> RemovePersonalData(const storage::Store& store, const collation::Collator& collator,
                                       const std::vector<std::string>& remove, absl::Time now, StoredCase* after,
                                       storage::WriteBatch* batch) {
  ASSIGN_OR_RETURN(std::vector<std::optional<StoredReport>> reports,
                   storage::ReadProtos<StoredReport>(store, Family::kReports, remove));
  std::vector<std::string> changed;
  for (std::optional<StoredReport>& stored : reports) {
    if (!stored.has_value() || stored->report().has_personal_data_removed_at()) continue;
    ClearStoredReport(now, &*stored);
    batch->Put(Family::kReports, stored->report().report_id(), stored->SerializeAsString());
    changed.push_back(stored->report().report_id());
  }
  if (changed.empty()) return 0;
  ASSIGN_OR_RETURN(std::vector<std::string> others,
                   collation::MemberIdsExcept(store, after->case_().case_id(), changed));
  RETURN_IF_ERROR(collator.Forget(changed, others, after->case_().case_id(), store, batch));
  *after->mutable_personal_data_removed_at() = ToTimestamp(now);
  return static_cast<int>(changed.size());
}

absl::StatusOr<std::vector<std::string>> SchoolReportsToClear(const storage::Store& store, const StoredCase& c) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids, ReportIds(store, c));
  ASSIGN_OR_RETURN(std::vector<std::optional<StoredReport>> reports,
                   storage::ReadProtos<StoredReport>(store, Family::kReports, ids));
  std::vector<std::string> out;
  for (const std::optional<StoredReport>& r : reports) {
    if (r.has_value() && r->report().school_related() && !r->report().has_personal_data_removed_at()) {
      out.push_back(r->report().report_id());
    }
  }
  return out;
}

}  // namespace hirs::records
