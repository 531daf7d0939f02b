// What the crash tests share: the incidents they report (half of them by
// two centres at once), a submission, and the checks of a store against
// what was acknowledged (crash_test: one hirsd killed again and again;
// replication_fault_test: a replicated cluster under faults).
#ifndef HIRS_TESTS_CRASH_INCIDENTS_H_
#define HIRS_TESTS_CRASH_INCIDENTS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "storage/store.h"

namespace hirs::crash {

// Incident `n`: a report by centre `centre` (0 or 1). Incidents whose
// number is even are meant to be reported by both centres, concurrently;
// distinct incidents never collate.
hirs::v1::Report Incident(uint64_t n, int centre);

// "centre-a" / "centre-b", and their bearer tokens.
std::string Centre(int centre);
std::string Token(int centre);

// A principals file holding the two centres.
void WritePrincipals(const std::string& path);

// SubmitReport of incident `incident` by `centre` with `request_id`.
grpc::Status Submit(hirs::v1::ReportingService::Stub* stub, int centre, const std::string& request_id,
                    uint64_t incident, hirs::v1::SubmitReportResponse* response,
                    absl::Duration deadline = absl::Seconds(5));

// WithdrawReport of `report_id` by `centre`.
grpc::Status Withdraw(hirs::v1::ReportingService::Stub* stub, int centre, const std::string& report_id);

// AmendReport of `report_id` (incident `incident` by `centre`) with
// `request_id`: the same incident, its description corrected.
grpc::Status Amend(hirs::v1::ReportingService::Stub* stub, int centre, const std::string& report_id, uint64_t incident,
                   const std::string& request_id);

// The first OK answer to a submission.
struct Ack {
  std::string report_id;
  std::string case_id;
  uint64_t incident = 0;
};

struct StoreSummary {
  size_t reports = 0;
  size_t cases = 0;
  size_t index_entries = 0;
  size_t shared_incidents = 0;  // incidents reported by both centres
  size_t withdrawn = 0;
  size_t amended = 0;  // reports holding a second version
  uint64_t audit_entries = 0;
};

// Checks a store against what was acknowledged (`acked`: request id ->
// first answer; `answers`: report id -> OK answers naming it; `withdrawn`:
// reports whose withdrawal was answered OK or FAILED_PRECONDITION): every
// acknowledged report present in the case it was acknowledged with, or
// withdrawn (a tombstone in no case, without personal data), and nothing
// else stored; every case lists reports that point back to it;
// the case indexes agree with the cases; each incident's reports that were
// not withdrawn in one case; no report with more than one amendment
// (each is amended once, with a request_id); the audit chain verifies with nothing pending and holds an OK SubmitReport
// entry for every OK answer. The problems found (none: the store is
// right).
std::vector<std::string> CheckStore(const storage::Store& store, const std::map<std::string, Ack>& acked,
                                    const std::map<std::string, int>& answers, const std::set<std::string>& withdrawn,
                                    StoreSummary* summary);

}  // namespace hirs::crash

#endif  // HIRS_TESTS_CRASH_INCIDENTS_H_
