// List filters: a documented subset of AIP-160 (https://google.aip.dev/160)
// over cases (ListCases) and over a centre's reports (ListReports).
//
// Grammar (keywords upper case, as AIP-160 requires):
//   filter     := expression?
//   expression := term { ["AND"] term }          -- juxtaposition is AND
//   term       := factor { "OR" factor }         -- OR binds tighter than AND
//   factor     := ["NOT" | "-"] ( "(" expression ")" | comparison )
//   comparison := field operator value
//   operator   := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
//   value      := "double quoted" | 'single quoted' | bare word
//
// Fields of cases and the operators each accepts:
//   district_code      = !=            GSS code, e.g. "E07000130"
//   status             = !=            CaseStatus name, e.g. OPEN
//   motivation         = != :          Motivation name; "=" and ":" mean the
//                                      case has it, "!=" that it has not
//   incident_type      = != :          IncidentType name, likewise
//   occurred_start     = != < <= > >=  RFC 3339 time, e.g. "2026-10-01T00:00:00Z"
//   first_received_at  = != < <= > >=  RFC 3339 time
//   repeat_victim      = !=            true or false
//   crime_reference    = !=            compared as stored: upper case, no spaces
//
// Fields of reports (FilterSubject::kReports):
//   received_at        = != < <= > >=  RFC 3339 time
//   motivation         = != :          the report has it (or, "!=", not)
//   incident_type      = != :          likewise
//   status             = !=            its case's CaseStatus name (also
//                                      written case_status)
//
// Errors are INVALID_ARGUMENT with a google.rpc.BadRequest violation on
// field "filter" whose description starts "at position N:" (1-based
// character position) and says what to write instead.
#ifndef HIRS_SERVICES_QUERY_FILTER_H_
#define HIRS_SERVICES_QUERY_FILTER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hirs/v1/types.pb.h"

namespace hirs::query {

enum class FilterField {
  kDistrictCode,
  kStatus,
  kMotivation,
  kIncidentType,
  kOccurredStart,
  kFirstReceivedAt,
  kRepeatVictim,
  kCrimeReference,
  kReceivedAt,
};

// What a filter is over: the fields it may name.
enum class FilterSubject { kCases, kReports };

enum class FilterOp { kEq, kNe, kLt, kLe, kGt, kGe, kHas };

// A parsed filter: a tree of AND / OR / NOT over comparisons. Immutable.
class Filter {
 public:
  // Parses `text` (at most kMaxFilterLength characters), a filter over
  // `subject`.
  static absl::StatusOr<Filter> Parse(absl::string_view text, FilterSubject subject = FilterSubject::kCases);

  // Whether `c` matches. The empty filter matches every case.
  bool Matches(const hirs::v1::Case& c) const;
  // Whether `r` matches a filter over reports; status is
  // r.progress().case_status().
  bool Matches(const hirs::v1::Report& r) const;

  // Keys prefixes of the `indexes` column family (storage::CaseIndexPrefix)
  // whose cases together include every case the filter can match; nullopt
  // when no index narrows it (every case must be examined). `now` bounds
  // open-ended ranges of occurred_start.
  std::optional<std::vector<std::string>> IndexCover(absl::Time now) const;

  struct Node;

 private:
  explicit Filter(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;  // null: the empty filter
};

inline constexpr size_t kMaxFilterLength = 2048;

}  // namespace hirs::query

#endif  // HIRS_SERVICES_QUERY_FILTER_H_
