#include "clients/cli/report_csv.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/civil_time.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"

namespace hirs::cli {
namespace {

absl::Status ColumnError(absl::string_view column, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("column ", column, ": ", what));
}

absl::StatusOr<int> EnumValue(const google::protobuf::EnumDescriptor* type, absl::string_view column,
                              absl::string_view text) {
  const std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByName(name);
  if (value == nullptr || value->number() == 0) {
    std::vector<std::string> names;
    for (int i = 1; i < type->value_count(); ++i) names.push_back(type->value(i)->name());
    return ColumnError(column, absl::StrCat("\"", text, "\" is not one of ", absl::StrJoin(names, ", ")));
  }
  return value->number();
}

template <typename Add>
absl::Status EnumList(const google::protobuf::EnumDescriptor* type, absl::string_view column, absl::string_view text,
                      Add add) {
  for (absl::string_view part : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    ASSIGN_OR_RETURN(int v, EnumValue(type, column, part));
    add(v);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Bool(absl::string_view column, absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t.empty() || t == "no" || t == "n" || t == "false" || t == "0") return false;
  if (t == "yes" || t == "y" || t == "true" || t == "1") return true;
  return ColumnError(column, absl::StrCat("\"", text, "\" is not yes or no"));
}

absl::StatusOr<google::protobuf::Timestamp> Time(absl::string_view column, absl::string_view text) {
  absl::Time t;
  std::string err;
  const std::string s(absl::StripAsciiWhitespace(text));
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err) ||
      absl::ParseTime("%Y-%m-%d %H:%M", s, UkTimeZone(), &t, &err) ||
      absl::ParseTime("%Y-%m-%d %H:%M:%S", s, UkTimeZone(), &t, &err)) {
    return ToTimestamp(t);
  }
  return ColumnError(
      column, absl::StrCat("\"", text, "\" is not a time; use 2026-10-03T21:30:00Z or 2026-10-03 22:30 (UK time)"));
}

// Sets the victim column `c` to `v`; false when `c` is not one of them.
absl::StatusOr<bool> SetVictimColumn(const std::string& c, const std::string& v, hirs::v1::Report& r) {
  if (c == "victim_full_name") {
    r.mutable_victim()->set_full_name(v);
  } else if (c == "victim_date_of_birth") {
    r.mutable_victim()->set_date_of_birth(v);
  } else if (c == "victim_age_band") {
    ASSIGN_OR_RETURN(int a, EnumValue(hirs::v1::AgeBand_descriptor(), c, v));
    r.mutable_victim()->set_age_band(static_cast<hirs::v1::AgeBand>(a));
  } else if (c == "victim_gender") {
    r.mutable_victim()->set_gender(v);
  } else if (c == "victim_ethnicity") {
    r.mutable_victim()->set_ethnicity(v);
  } else if (c == "victim_phone") {
    r.mutable_victim()->set_phone(v);
  } else if (c == "victim_email") {
    r.mutable_victim()->set_email(v);
  } else if (c == "victim_address") {
    r.mutable_victim()->set_address(v);
  } else if (c == "victim_postcode") {
    r.mutable_victim()->set_postcode(v);
  } else {
    return false;
  }
  return true;
}

// Sets the consent column `c` to `v`; false when `c` is not one of them.
absl::StatusOr<bool> SetConsentColumn(const std::string& c, const std::string& v, hirs::v1::Report& r) {
  if (c == "consent_share_with_police") {
    ASSIGN_OR_RETURN(bool b, Bool(c, v));
    r.mutable_consent()->set_share_with_police(b);
  } else if (c == "consent_contact_victim") {
    ASSIGN_OR_RETURN(bool b, Bool(c, v));
    r.mutable_consent()->set_contact_victim(b);
  } else if (c == "anonymous") {
    ASSIGN_OR_RETURN(bool b, Bool(c, v));
    r.mutable_consent()->set_anonymous(b);
  } else {
    return false;
  }
  return true;
}

// Sets the request or incident column `c` to `v`; false when `c` is not one of them.
absl::StatusOr<bool> SetIncidentColumn(const std::string& c, const std::string& v,
                                       hirs::v1::SubmitReportRequest& request, hirs::v1::Report& r) {
  if (c == "request_id") {
    request.set_request_id(v);
  } else if (c == "source_reference") {
    r.set_source_reference(v);
  } else if (c == "reporter_role") {
    ASSIGN_OR_RETURN(int role, EnumValue(hirs::v1::ReporterRole_descriptor(), c, v));
    r.set_reporter_role(static_cast<hirs::v1::ReporterRole>(role));
  } else if (c == "motivations") {
    RETURN_IF_ERROR(EnumList(hirs::v1::Motivation_descriptor(), c, v,
                             [&](int m) { r.add_motivations(static_cast<hirs::v1::Motivation>(m)); }));
  } else if (c == "incident_types") {
    RETURN_IF_ERROR(EnumList(hirs::v1::IncidentType_descriptor(), c, v,
                             [&](int t) { r.add_incident_types(static_cast<hirs::v1::IncidentType>(t)); }));
  } else if (c == "occurred_start") {
    ASSIGN_OR_RETURN(*r.mutable_occurred_start(), Time(c, v));
  } else if (c == "occurred_end") {
    ASSIGN_OR_RETURN(*r.mutable_occurred_end(), Time(c, v));
  } else if (c == "postcode") {
    r.mutable_location()->set_postcode(v);
  } else if (c == "place_type") {
    ASSIGN_OR_RETURN(int p, EnumValue(hirs::v1::PlaceType_descriptor(), c, v));
    r.mutable_location()->set_place_type(static_cast<hirs::v1::PlaceType>(p));
  } else if (c == "location_description") {
    r.mutable_location()->set_description(v);
  } else if (c == "online_platform") {
    r.mutable_location()->set_online_platform(v);
  } else if (c == "district_code") {
    r.mutable_location()->set_district_code(v);
  } else if (c == "description") {
    r.set_description(v);
  } else if (c == "school_related") {
    ASSIGN_OR_RETURN(bool b, Bool(c, v));
    r.set_school_related(b);
  } else if (c == "crime_reference") {
    r.set_crime_reference(v);
  } else {
    return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string>& CsvLayout::Columns() {
  static const auto* const columns = new std::vector<std::string>{"request_id",
                                                                  "source_reference",
                                                                  "reporter_role",
                                                                  "motivations",
                                                                  "incident_types",
                                                                  "occurred_start",
                                                                  "occurred_end",
                                                                  "postcode",
                                                                  "place_type",
                                                                  "location_description",
                                                                  "online_platform",
                                                                  "district_code",
                                                                  "description",
                                                                  "victim_full_name",
                                                                  "victim_date_of_birth",
                                                                  "victim_age_band",
                                                                  "victim_gender",
                                                                  "victim_ethnicity",
                                                                  "victim_phone",
                                                                  "victim_email",
                                                                  "victim_address",
                                                                  "victim_postcode",
                                                                  "consent_share_with_police",
                                                                  "consent_contact_victim",
                                                                  "anonymous",
                                                                  "school_related",
                                                                  "crime_reference"};
  return *columns;
}

absl::StatusOr<CsvLayout> CsvLayout::FromHeader(const std::vector<std::string>& header) {
  CsvLayout layout;
  std::set<std::string> seen;
  for (const std::string& raw : header) {
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    if (layout.columns_.empty()) name = std::string(absl::StripPrefix(name, "\xef\xbb\xbf"));  // BOM
    if (std::find(Columns().begin(), Columns().end(), name) == Columns().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown column \"", raw, "\"; the columns are: ", absl::StrJoin(Columns(), ", ")));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("column \"", name, "\" appears twice"));
    }
    layout.columns_.push_back(name);
  }
  return layout;
}

absl::StatusOr<hirs::v1::SubmitReportRequest> CsvLayout::ToRequest(const std::vector<std::string>& row) const {
  if (row.size() != columns_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the row has ", row.size(), " fields but the header has ", columns_.size()));
  }
  hirs::v1::SubmitReportRequest request;
  hirs::v1::Report& r = *request.mutable_report();
  for (size_t i = 0; i < row.size(); ++i) {
    const std::string& c = columns_[i];
    const std::string& v = row[i];
    if (v.empty()) continue;
    ASSIGN_OR_RETURN(bool set, SetIncidentColumn(c, v, request, r));
    if (!set) {
      ASSIGN_OR_RETURN(set, SetVictimColumn(c, v, r));
    }
    if (!set) {
      ASSIGN_OR_RETURN(set, SetConsentColumn(c, v, r));
    }
  }
  return request;
}

}  // namespace hirs::cli
