// The published forms of what ExtractService returns, shared by every
// client that writes them (the CLI's `hirs extract`): RFC 4180 CSV rows,
// and the monthly report, one self-contained HTML file (inline CSS and SVG,
// no scripts, no external assets) that prints cleanly. Depends on the
// protos alone.
#ifndef HIRS_SERVICES_EXTRACTS_FORMATS_H_
#define HIRS_SERVICES_EXTRACTS_FORMATS_H_

#include <string>
#include <vector>

#include "hirs/v1/extract_service.pb.h"

namespace hirs::extracts {

// The header line and one line per row, each ending CRLF (RFC 4180).
// Columns: case_ref, month, district_code, postcode_sector, place_type, one
// 0/1 column per motivation (motivation_race …), incident_types and
// reporter_roles (names joined by ';'), report_count, source_count, status,
// crime_recorded and repeat_victim (true/false), victim_age_band, change.
std::string ExtractCsvHeader();
std::string ExtractCsvLine(const hirs::v1::ExtractRow& row);

// `field` quoted as RFC 4180 requires (when it holds a comma, quote, CR or
// LF; quotes doubled).
std::string CsvField(const std::string& field);

// The district's name for a GSS code of the force area, else the code.
std::string DistrictName(const std::string& gss_code);

// The months a report for `month` ("YYYY-MM") shows: the eleven before it
// and itself, oldest first; `month` alone when it is not YYYY-MM (for the
// service to refuse).
std::vector<std::string> ReportMonths(const std::string& month);

// The report for `months.back()`'s month: its summary tables with the
// previous month beside, and SVG charts (12-month trend by motivation from
// `months`, oldest first; the month's incident and place types).
std::string SummaryReportHtml(const std::vector<hirs::v1::MonthlySummary>& months);

}  // namespace hirs::extracts

#endif  // HIRS_SERVICES_EXTRACTS_FORMATS_H_
