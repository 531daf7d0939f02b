#include "tests/support/domain_support.h"

#include "services/http/routes.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/civil_time.h"
#include "common/field_behavior.h"
#include "gtest/gtest.h"
#include "hirs/v1/admin_service.pb.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "services/auth/principals.h"

namespace hirs::testing {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Sets (or adds, for a repeated field) one forged value of `field`.
void ForgeValue(Message* m, const FieldDescriptor* field) {
  const auto* r = m->GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(m, field, "forged-value") : r->SetString(m, field, "forged-value");
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      rep ? r->AddInt32(m, field, 7) : r->SetInt32(m, field, 7);
      break;
    case FieldDescriptor::CPPTYPE_INT64:  // seconds of 2001-01-01T00:00:00Z in a Timestamp
      rep ? r->AddInt64(m, field, 978307200) : r->SetInt64(m, field, 978307200);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      rep ? r->AddUInt32(m, field, 7) : r->SetUInt32(m, field, 7);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      rep ? r->AddUInt64(m, field, 7) : r->SetUInt64(m, field, 7);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      rep ? r->AddDouble(m, field, 7) : r->SetDouble(m, field, 7);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      rep ? r->AddFloat(m, field, 7) : r->SetFloat(m, field, 7);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      rep ? r->AddBool(m, field, true) : r->SetBool(m, field, true);
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = field->enum_type();
      const auto* last = e->value(e->value_count() - 1);
      rep ? r->AddEnum(m, field, last) : r->SetEnum(m, field, last);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = rep ? r->AddMessage(m, field) : r->MutableMessage(m, field);
      for (int i = 0; i < sub->GetDescriptor()->field_count(); ++i) {
        const FieldDescriptor* f = sub->GetDescriptor()->field(i);
        if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) ForgeValue(sub, f);
      }
      break;
    }
  }
}

// Whether a message of type `d` can hold an OUTPUT_ONLY field (to depth 4).
bool CanHoldOutputOnly(const google::protobuf::Descriptor* d, int depth) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (IsOutputOnly(*f)) return true;
    if (f->message_type() != nullptr && depth < 4 && CanHoldOutputOnly(f->message_type(), depth + 1)) return true;
  }
  return false;
}

void Forge(Message* m, FieldPath* prefix, int depth, std::vector<FieldPath>* out) {
  const auto* d = m->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    prefix->push_back(f);
    if (IsOutputOnly(*f)) {
      ForgeValue(m, f);
      out->push_back(*prefix);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated() && depth < 4 &&
               CanHoldOutputOnly(f->message_type(), depth + 1)) {
      Forge(m->GetReflection()->MutableMessage(m, f), prefix, depth + 1, out);
    }
    prefix->pop_back();
  }
}

// The bytes of the field at `path` alone, empty when a message on the way
// is unset.
std::string FieldBytes(const Message& root, const FieldPath& path) {
  const Message* m = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!m->GetReflection()->HasField(*m, path[i])) return "";
    m = &m->GetReflection()->GetMessage(*m, path[i]);
  }
  std::unique_ptr<Message> only(m->New());
  only->CopyFrom(*m);
  std::vector<const FieldDescriptor*> set;
  only->GetReflection()->ListFields(*only, &set);
  for (const FieldDescriptor* f : set) {
    if (f != path.back()) only->GetReflection()->ClearField(only.get(), f);
  }
  return only->SerializeAsString();
}

}  // namespace

std::vector<FieldPath> ForgeOutputOnlyFields(google::protobuf::Message* message) {
  std::vector<FieldPath> out;
  FieldPath prefix;
  Forge(message, &prefix, 0, &out);
  return out;
}

std::vector<std::string> KeptForgedFields(const google::protobuf::Message& forged,
                                          const google::protobuf::Message& result,
                                          const std::vector<FieldPath>& paths) {
  std::vector<std::string> kept;
  for (const FieldPath& path : paths) {
    const std::string value = FieldBytes(forged, path);
    if (!value.empty() && value == FieldBytes(result, path)) {
      std::vector<std::string> names;
      for (const auto* f : path) names.push_back(f->name());
      kept.push_back(absl::StrJoin(names, "."));
    }
  }
  return kept;
}

std::vector<const google::protobuf::ServiceDescriptor*> ApiServices() { return http::ApiServices(); }

std::string TotpSecretOf(const std::string& otpauth_uri) {
  const size_t start = otpauth_uri.find("secret=") + 7;
  const std::string b32 = otpauth_uri.substr(start, otpauth_uri.find('&', start) - start);
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : b32) {
    buffer = (buffer << 5) | static_cast<uint32_t>(c >= 'A' && c <= 'Z' ? c - 'A' : c - '2' + 26);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

TempDir::TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/hirs-test-XXXXXX");
  char* made = mkdtemp(templ.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string WritePrincipals(const std::string& dir) {
  auto entry = [](const char* id, const char* role, const char* scope, const char* token, bool disabled = false) {
    return absl::StrCat(R"({"id": ")", id, R"(", "role": ")", role, R"(", "scope": ")", scope,
                        R"(", "token_sha256": ")", auth::TokenSha256Hex(token), R"(", "disabled": )",
                        disabled ? "true" : "false", "}");
  };
  const std::string json =
      absl::StrCat(R"({"principals": [)", entry(kCentreA, "REPORTING_CENTRE", kCentreA, kCentreAToken), ",",
                   entry(kCentreB, "REPORTING_CENTRE", kCentreB, kCentreBToken), ",",
                   entry("police", "POLICE", "E23000021", kPoliceToken), ",",
                   entry("district-charnwood", "DISTRICT", "E07000130", kDistrictToken), ",",
                   entry("admin", "ADMIN", "", kAdminToken), ",",
                   entry("centre-c", "REPORTING_CENTRE", "centre-c", "token-centre-c", true), "]}");
  const std::string path = dir + "/principals.json";
  std::ofstream(path) << json;
  return path;
}

std::vector<std::string> EveryEntry(const storage::Store& store) {
  std::vector<std::string> out;
  for (int f = 0; f < storage::kFamilyCount; ++f) {
    EXPECT_TRUE(store
                    .Scan(static_cast<storage::Family>(f), "", 0,
                          [&](absl::string_view k, absl::string_view v) {
                            out.push_back(absl::StrCat(f, "|", k, "=", v));
                            return true;
                          })
                    .ok());
  }
  return out;
}

hirs::v1::Report DistinctReport(int i, absl::Time now) {
  hirs::v1::Report r = hirs::testing::ValidReport(now);
  *r.mutable_occurred_start() =
      ToTimestamp(absl::FromUnixSeconds(absl::ToUnixSeconds(now) - 48 * 3600 - i * 4 * 86400));
  r.mutable_victim()->set_full_name(absl::StrCat("Victim", i, " Person", i));
  r.mutable_victim()->clear_date_of_birth();
  r.set_description(absl::StrCat("Incident number ", i, " of a series of unrelated test incidents."));
  r.set_source_reference(absl::StrCat("REF-", i));
  r.clear_motivations();
  r.add_motivations(i % 3 == 0 ? hirs::v1::RACE : hirs::v1::DISABILITY);
  return r;
}

hirs::v1::Report PlantedReport(const Planted& p, absl::Time when, const std::string& postcode, bool school) {
  hirs::v1::Report r = ValidReport(when);
  r.mutable_location()->set_postcode(postcode);
  r.mutable_location()->set_description(p.place);
  r.set_description(p.description);
  r.set_school_related(school);
  hirs::v1::Victim* v = r.mutable_victim();
  v->set_full_name(p.name);
  v->set_date_of_birth(p.dob);
  v->set_phone(p.phone);
  v->set_email(p.email);
  v->set_address(p.address);
  v->set_postcode(p.home_postcode);
  v->set_age_band(hirs::v1::AGE_25_TO_34);
  return r;
}

std::vector<std::string> Fields(const Planted& p) {
  return {p.name, p.dob, p.phone, p.email, p.address, p.home_postcode, p.description, p.place};
}

bool StoreHolds(const storage::Store& store, const std::string& needle) {
  const std::vector<std::string> all = EveryEntry(store);
  return std::any_of(all.begin(), all.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

hirs::v1::Report ValidReport(absl::Time now) {
  hirs::v1::Report r;
  r.set_source_reference("REF-1");
  r.set_reporter_role(hirs::v1::VICTIM);
  r.add_motivations(hirs::v1::RACE);
  r.add_incident_types(hirs::v1::VERBAL_ABUSE);
  *r.mutable_occurred_start() = ToTimestamp(absl::FromUnixSeconds(absl::ToUnixSeconds(now - absl::Hours(48))));
  r.mutable_location()->set_postcode("LE11 3AB");
  r.mutable_location()->set_place_type(hirs::v1::STREET_OR_PUBLIC_PLACE);
  r.set_description("Shouted at in the street near the library.");
  r.mutable_victim()->set_full_name("Test Victim");
  r.mutable_victim()->set_date_of_birth("1980-05-17");
  r.mutable_consent()->set_share_with_police(true);
  return r;
}

hirs::v1::SubmitReportRequest Request(const hirs::v1::Report& report, const std::string& request_id) {
  hirs::v1::SubmitReportRequest request;
  request.set_request_id(request_id);
  *request.mutable_report() = report;
  return request;
}

}  // namespace hirs::testing
