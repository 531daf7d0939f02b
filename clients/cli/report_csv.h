// The CSV layout reporting centres can export from a spreadsheet, one report
// per row (documented in deploy/examples/README.md):
//
//   request_id, source_reference, reporter_role, motivations, incident_types,
//   occurred_start, occurred_end, postcode, place_type, location_description,
//   online_platform, district_code, description, victim_full_name,
//   victim_date_of_birth, victim_age_band, victim_gender, victim_ethnicity,
//   victim_phone, victim_email, victim_address, victim_postcode,
//   consent_share_with_police, consent_contact_victim, anonymous,
//   school_related, crime_reference
//
// A header row names the columns (any order, any subset; reporter_role,
// motivations, incident_types, occurred_start and place_type are needed by
// the server). Lists are separated by ';'. Enum values are their API names in
// any case ("race; religion_or_belief"). Times are RFC 3339
// ("2026-10-03T21:30:00Z", "2026-10-03T22:30:00+01:00") or UK local time
// "YYYY-MM-DD HH:MM". Booleans: yes/no, true/false, y/n, 1/0 or empty (no).
#ifndef HIRS_CLIENTS_CLI_REPORT_CSV_H_
#define HIRS_CLIENTS_CLI_REPORT_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hirs/v1/reporting_service.pb.h"

namespace hirs::cli {

// The column layout of a CSV file, from its header row. INVALID_ARGUMENT
// naming an unknown or repeated column.
class CsvLayout {
 public:
  static absl::StatusOr<CsvLayout> FromHeader(const std::vector<std::string>& header);

  // One data row as a request. INVALID_ARGUMENT naming the column at fault
  // (a value the layout cannot represent; the server checks the rest).
  absl::StatusOr<hirs::v1::SubmitReportRequest> ToRequest(const std::vector<std::string>& row) const;

  // The documented column names, in order.
  static const std::vector<std::string>& Columns();

 private:
  std::vector<std::string> columns_;  // column name of each position
};

}  // namespace hirs::cli

#endif  // HIRS_CLIENTS_CLI_REPORT_CSV_H_
