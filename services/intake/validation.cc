#include "services/intake/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/civil_time.h"
#include "common/utf8.h"
#include "services/intake/postcode.h"
#include "services/records/field_rules.h"

namespace hirs::intake {
namespace {

using hirs::v1::Report;

constexpr char kPostcodeHelp[] =
    "is not a UK postcode; give the full postcode (\"LE11 3AB\") or, if only the area is known, "
    "its first part (\"LE11\" or \"LE11 3\")";

// Collects violations with a common path prefix.
class Checker {
 public:
  explicit Checker(std::vector<FieldViolation>* out) : out_(out) {}

  void Fail(absl::string_view field, std::string description) {
    out_->push_back(FieldViolation{std::string(field), std::move(description)});
  }

  // Text: valid UTF-8, at most `max` bytes; single-line text has no control
  // characters at all, multi-line text only tab, CR and LF.
  bool Text(absl::string_view field, absl::string_view value, size_t max, bool multi_line = false) {
    if (!IsValidUtf8(value)) {
      Fail(field, "must be valid UTF-8 text");
      return false;
    }
    if (value.size() > max) {
      Fail(field, absl::StrCat("is ", value.size(), " bytes long; at most ", max, " are allowed"));
      return false;
    }
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) {
        if (multi_line && (c == '\n' || c == '\r' || c == '\t')) continue;
        Fail(field, multi_line ? "must not contain control characters other than tab and line breaks"
                               : "must be a single line without control characters");
        return false;
      }
    }
    return true;
  }

 private:
  std::vector<FieldViolation>* const out_;
};

template <typename Repeated, typename IsValid>
void CheckEnumList(Checker& c, absl::string_view field, const Repeated& values, IsValid is_valid,
                   absl::string_view what) {
  if (values.empty()) {
    c.Fail(field, absl::StrCat("at least one ", what, " is required"));
    return;
  }
  if (values.size() > kMaxRepeatedEnums) {
    c.Fail(field, absl::StrCat("at most ", kMaxRepeatedEnums, " values are allowed"));
    return;
  }
  for (int i = 0; i < values.size(); ++i) {
    const int v = values.Get(i);
    if (v == 0 || !is_valid(v)) {
      c.Fail(absl::StrCat(field, "[", i, "]"),
             v == 0 ? absl::StrCat("the UNSPECIFIED ", what, " is not allowed; choose a ", what)
                    : absl::StrCat("unknown ", what, " value ", v));
    }
  }
}

void CheckTimes(Checker& c, const Report& r, absl::Time now) {
  static const absl::Time kEarliest = absl::FromCivil(absl::CivilDay(1990, 1, 1), absl::UTCTimeZone());
  const absl::Time latest = now + kAllowedClockSkew;
  bool start_ok = false;
  absl::Time start;
  if (!r.has_occurred_start()) {
    c.Fail("report.occurred_start", "is required: when the incident happened (or began)");
  } else if (!ValidTimestamp(r.occurred_start())) {
    c.Fail("report.occurred_start", "is not a valid timestamp");
  } else {
    start = ToAbslTime(r.occurred_start());
    if (start < kEarliest) {
      c.Fail("report.occurred_start", "is before 1990-01-01; check the year");
    } else if (start > latest) {
      c.Fail("report.occurred_start", "is in the future; check the date and time zone");
    } else {
      start_ok = true;
    }
  }
  if (r.has_occurred_end()) {
    if (!ValidTimestamp(r.occurred_end())) {
      c.Fail("report.occurred_end", "is not a valid timestamp");
      return;
    }
    const absl::Time end = ToAbslTime(r.occurred_end());
    if (end > latest) {
      c.Fail("report.occurred_end", "is in the future; check the date and time zone");
    } else if (start_ok && end < start) {
      c.Fail("report.occurred_end", "is before occurred_start; the end must not precede the start");
    }
  }
}

void CheckLocation(Checker& c, const Report& r) {
  if (!r.has_location()) {
    c.Fail("report.location",
           "is required: give a UK postcode (location.postcode) or, for an online incident, the "
           "platform (location.online_platform)");
    return;
  }
  const auto& loc = r.location();
  const bool has_postcode = !loc.postcode().empty();
  if (has_postcode && !ParsePostcode(loc.postcode()).has_value()) {
    c.Fail("report.location.postcode", kPostcodeHelp);
  }
  if (loc.online_platform().empty() && !has_postcode) {
    c.Fail("report.location",
           "needs a UK postcode (location.postcode) or, for an online incident, the platform "
           "(location.online_platform)");
  }
  c.Text("report.location.online_platform", loc.online_platform(), kMaxOnlinePlatformBytes);
  c.Text("report.location.description", loc.description(), kMaxPlaceDescriptionBytes, true);
  if (loc.place_type() == hirs::v1::PLACE_TYPE_UNSPECIFIED) {
    c.Fail("report.location.place_type", "is required: choose the kind of place (ONLINE for online incidents)");
  } else if (!hirs::v1::PlaceType_IsValid(loc.place_type())) {
    c.Fail("report.location.place_type", absl::StrCat("unknown place type ", loc.place_type()));
  }
  if (!loc.district_code().empty() && !IsAreaDistrictCode(loc.district_code())) {
    c.Fail("report.location.district_code",
           "is not a GSS code of the Leicestershire police area (e.g. E07000130 for Charnwood)");
  }
}

bool ValidPastDate(absl::string_view s, absl::Time now) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  absl::CivilDay day;
  if (!absl::ParseCivilTime(s, &day)) return false;
  // ParseCivilTime normalises 2023-02-30 to 2023-03-02; a real date
  // round-trips unchanged.
  if (absl::FormatCivilTime(day) != s) return false;
  return day >= absl::CivilDay(1900, 1, 1) && day <= absl::ToCivilDay(now, UkTimeZone());
}

void CheckVictim(Checker& c, const Report& r, absl::Time now) {
  if (!r.has_victim()) return;
  const auto& v = r.victim();
  c.Text("report.victim.full_name", v.full_name(), kMaxNameBytes);
  if (!v.date_of_birth().empty() && !ValidPastDate(v.date_of_birth(), now)) {
    c.Fail("report.victim.date_of_birth", "must be a real date in the past, written YYYY-MM-DD (e.g. 1984-07-21)");
  }
  if (v.has_age_band() &&
      (v.age_band() == hirs::v1::AGE_BAND_UNSPECIFIED || !hirs::v1::AgeBand_IsValid(v.age_band()))) {
    c.Fail("report.victim.age_band", "must be one of the age bands; leave it out if unknown");
  }
  c.Text("report.victim.gender", v.gender(), kMaxShortTextBytes);
  c.Text("report.victim.ethnicity", v.ethnicity(), kMaxShortTextBytes);
  if (c.Text("report.victim.phone", v.phone(), kMaxPhoneBytes) && !v.phone().empty()) {
    bool digits = false;
    bool ok = true;
    for (char ch : v.phone()) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(ch))) {
        digits = true;
      } else if (absl::string_view(" +()-").find(ch) == absl::string_view::npos) {
        ok = false;
      }
    }
    if (!ok || !digits) c.Fail("report.victim.phone", "may hold only digits, spaces and + ( ) -");
  }
  if (c.Text("report.victim.email", v.email(), kMaxEmailBytes) && !v.email().empty()) {
    const size_t at = v.email().find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= v.email().size() ||
        v.email().find('@', at + 1) != std::string::npos || v.email().find(' ') != std::string::npos) {
      c.Fail("report.victim.email", "is not an e-mail address (name@example.org)");
    }
  }
  c.Text("report.victim.address", v.address(), kMaxAddressBytes, true);
  if (!v.postcode().empty() && !ParsePostcode(v.postcode()).has_value()) {
    c.Fail("report.victim.postcode", kPostcodeHelp);
  }
  if (r.consent().anonymous()) {
    const char* kAnonymous = "must be empty in an anonymous report (consent.anonymous is set)";
    if (!v.full_name().empty()) c.Fail("report.victim.full_name", kAnonymous);
    if (!v.date_of_birth().empty()) c.Fail("report.victim.date_of_birth", kAnonymous);
    if (!v.phone().empty()) c.Fail("report.victim.phone", kAnonymous);
    if (!v.email().empty()) c.Fail("report.victim.email", kAnonymous);
    if (!v.address().empty()) c.Fail("report.victim.address", kAnonymous);
    // A home postcode narrows the victim to a few dozen households.
    if (!v.postcode().empty()) c.Fail("report.victim.postcode", kAnonymous);
  }
}

}  // namespace

std::vector<FieldViolation> ValidateSubmitRequest(const hirs::v1::SubmitReportRequest& request, absl::Time now) {
  std::vector<FieldViolation> out;
  Checker c(&out);
  if (!request.request_id().empty()) {
    bool printable = request.request_id().size() <= kMaxRequestIdBytes;
    for (unsigned char ch : request.request_id()) printable = printable && ch > 0x20 && ch < 0x7f;
    if (!printable) {
      c.Fail("request_id",
             absl::StrCat("must be printable ASCII without spaces, at most ", kMaxRequestIdBytes, " characters"));
    }
  }
  if (!request.has_report()) {
    c.Fail("report", "is required");
    return out;
  }
  const Report& r = request.report();
  c.Text("report.source_reference", r.source_reference(), kMaxSourceReferenceBytes);
  if (r.reporter_role() == hirs::v1::REPORTER_ROLE_UNSPECIFIED) {
    c.Fail("report.reporter_role", "is required: VICTIM, WITNESS or THIRD_PARTY");
  } else if (!hirs::v1::ReporterRole_IsValid(r.reporter_role())) {
    c.Fail("report.reporter_role", absl::StrCat("unknown reporter role ", r.reporter_role()));
  }
  CheckEnumList(c, "report.motivations", r.motivations(), hirs::v1::Motivation_IsValid, "motivation");
  CheckEnumList(c, "report.incident_types", r.incident_types(), hirs::v1::IncidentType_IsValid, "incident type");
  CheckTimes(c, r, now);
  CheckLocation(c, r);
  c.Text("report.description", r.description(), kMaxDescriptionBytes, true);
  CheckVictim(c, r, now);
  if (c.Text("report.crime_reference", r.crime_reference(), records::kMaxCrimeReferenceBytes)) {
    const std::string problem = records::CrimeReferenceProblem(r.crime_reference());
    if (!problem.empty()) c.Fail("report.crime_reference", problem);
  }
  return out;
}

}  // namespace hirs::intake
