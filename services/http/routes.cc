#include "services/http/routes.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/bad_request.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/v1/admin_service.pb.h"
#include "hirs/v1/case_service.pb.h"
#include "hirs/v1/extract_service.pb.h"
#include "hirs/v1/reporting_service.pb.h"
#include "hirs/v1/session_service.pb.h"

namespace hirs::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// `text` as it is when UTF-8, else escaped (a parser's message may quote
// the input, cut mid-character).
std::string Printable(absl::string_view text) { return IsValidUtf8(text) ? std::string(text) : absl::CHexEscape(text); }

absl::Status Violation(absl::string_view field, std::string description) {
  return InvalidArgumentWithViolations({{std::string(field), std::move(description)}});
}

// `segment` split into its text and a custom verb ("{id}:merge").
std::pair<std::string, std::string> SplitVerb(absl::string_view segment) {
  const size_t close = segment.rfind('}');
  const size_t colon = segment.find(':', close == absl::string_view::npos ? 0 : close);
  if (colon == absl::string_view::npos) return {std::string(segment), ""};
  return {std::string(segment.substr(0, colon)), std::string(segment.substr(colon + 1))};
}

Route Parse(const google::protobuf::MethodDescriptor* m, const google::api::HttpRule& rule) {
  const RulePattern pattern = PatternOf(rule);
  Route route{m, rule, pattern.verb, pattern.path, {}, ""};
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(pattern.path).substr(1), '/');
  if (!parts.empty()) std::tie(parts.back(), route.custom_verb) = SplitVerb(parts.back());
  for (const std::string& part : parts) {
    if (absl::StartsWith(part, "{")) {
      const std::string inside = part.substr(1, part.size() - 2);
      route.segments.push_back({true, inside.substr(0, inside.find('='))});
    } else {
      route.segments.push_back({false, part});
    }
  }
  return route;
}

// The variables of `path` if it fits `route`'s template (verb aside).
std::optional<std::vector<std::pair<std::string, std::string>>> Fit(const Route& route, absl::string_view path) {
  if (!absl::StartsWith(path, "/")) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(path.substr(1), '/');
  if (parts.size() != route.segments.size()) return std::nullopt;
  std::string verb;
  std::tie(parts.back(), verb) = SplitVerb(parts.back());
  if (verb != route.custom_verb) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> vars;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Route::Segment& s = route.segments[i];
    if (s.variable) {
      if (parts[i].empty()) return std::nullopt;
      vars.emplace_back(s.text, parts[i]);
    } else if (parts[i] != s.text) {
      return std::nullopt;
    }
  }
  return vars;
}

// The field named `name` (its proto or JSON name) in `d`.
const FieldDescriptor* Named(const Descriptor* d, absl::string_view name) {
  const FieldDescriptor* f = d->FindFieldByName(std::string(name));
  return f != nullptr ? f : d->FindFieldByCamelcaseName(std::string(name));
}

bool ParseText(absl::string_view text, int32_t* v) { return absl::SimpleAtoi(text, v); }
bool ParseText(absl::string_view text, int64_t* v) { return absl::SimpleAtoi(text, v); }
bool ParseText(absl::string_view text, uint32_t* v) { return absl::SimpleAtoi(text, v); }
bool ParseText(absl::string_view text, uint64_t* v) { return absl::SimpleAtoi(text, v); }
bool ParseText(absl::string_view text, double* v) { return absl::SimpleAtod(text, v); }
bool ParseText(absl::string_view text, float* v) { return absl::SimpleAtof(text, v); }
bool ParseText(absl::string_view text, bool* v) { return absl::SimpleAtob(text, v); }

// A number or boolean from text, set (`set`) or appended (`add`).
template <typename T>
bool PutText(Message* m, const FieldDescriptor* f, absl::string_view text,
             void (Reflection::*set)(Message*, const FieldDescriptor*, T) const,
             void (Reflection::*add)(Message*, const FieldDescriptor*, T) const) {
  T v;
  if (!ParseText(text, &v)) return false;
  (m->GetReflection()->*(f->is_repeated() ? add : set))(m, f, v);
  return true;
}

// An enum by name or number, set or appended.
absl::Status PutEnum(Message* m, const FieldDescriptor* f, absl::string_view text) {
  const auto* value = f->enum_type()->FindValueByName(std::string(text));
  int number;
  if (value == nullptr && absl::SimpleAtoi(text, &number)) value = f->enum_type()->FindValueByNumber(number);
  if (value == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no ", f->enum_type()->name(), " is named \"", absl::CHexEscape(text), "\""));
  }
  f->is_repeated() ? m->GetReflection()->AddEnum(m, f, value) : m->GetReflection()->SetEnum(m, f, value);
  return absl::OkStatus();
}

// A string (UTF-8), or bytes in base64, set or appended.
absl::Status PutString(Message* m, const FieldDescriptor* f, absl::string_view text) {
  if (f->type() == FieldDescriptor::TYPE_STRING && !IsValidUtf8(text)) {
    return absl::InvalidArgumentError("is not UTF-8 text");
  }
  std::string v(text);
  if (f->type() == FieldDescriptor::TYPE_BYTES && !absl::WebSafeBase64Unescape(text, &v) &&
      !absl::Base64Unescape(text, &v)) {
    return absl::InvalidArgumentError("bytes are given in base64");
  }
  f->is_repeated() ? m->GetReflection()->AddString(m, f, std::move(v))
                   : m->GetReflection()->SetString(m, f, std::move(v));
  return absl::OkStatus();
}

// A well-known type with a JSON string form (Timestamp, Duration,
// FieldMask), from that form.
absl::Status PutWellKnown(Message* m, const FieldDescriptor* f, absl::string_view text) {
  Message* sub = f->is_repeated() ? m->GetReflection()->AddMessage(m, f) : m->GetReflection()->MutableMessage(m, f);
  if (!google::protobuf::util::JsonStringToMessage(absl::StrCat("\"", absl::CEscape(text), "\""), sub).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", absl::CHexEscape(text), "\" is not a ", f->message_type()->name(), " in its JSON form"));
  }
  return absl::OkStatus();
}

// A scalar, enum or well-known field's value from text, set or appended.
absl::Status SetScalar(Message* m, const FieldDescriptor* f, absl::string_view text) {
  using R = Reflection;
  bool parsed = false;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      parsed = PutText<int32_t>(m, f, text, &R::SetInt32, &R::AddInt32);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      parsed = PutText<int64_t>(m, f, text, &R::SetInt64, &R::AddInt64);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      parsed = PutText<uint32_t>(m, f, text, &R::SetUInt32, &R::AddUInt32);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      parsed = PutText<uint64_t>(m, f, text, &R::SetUInt64, &R::AddUInt64);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      parsed = PutText<double>(m, f, text, &R::SetDouble, &R::AddDouble);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      parsed = PutText<float>(m, f, text, &R::SetFloat, &R::AddFloat);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      parsed = PutText<bool>(m, f, text, &R::SetBool, &R::AddBool);
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      return PutEnum(m, f, text);
    case FieldDescriptor::CPPTYPE_STRING:
      return PutString(m, f, text);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return PutWellKnown(m, f, text);
  }
  if (parsed) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("\"", absl::CHexEscape(text), "\" is not a ", f->type_name()));
}

// Whether the field at `path` is one the body carries.
bool InBody(const std::string& body, const std::string& path) {
  return body == "*" || path == body || absl::StartsWith(path, absl::StrCat(body, "."));
}

absl::Status FillBody(const Route& route, absl::string_view body, Message* request) {
  const std::string& bound = route.rule.body();
  if (bound.empty()) {
    if (!absl::StripAsciiWhitespace(body).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(route.verb, " ", route.path_template, " takes no body; give the fields as query parameters"));
    }
    return absl::OkStatus();
  }
  Message* target = request;
  if (bound != "*") {
    const FieldDescriptor* f = FieldAt(request->GetDescriptor(), bound);
    if (f == nullptr || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
      return absl::InternalError(absl::StrCat("the rule of ", route.method->full_name(), " binds an unusable body"));
    }
    target = request->GetReflection()->MutableMessage(request, f);
  }
  if (absl::StripAsciiWhitespace(body).empty()) return absl::OkStatus();
  return ParseJson(body, bound == "*" ? "body" : bound, target);
}

}  // namespace

std::vector<const google::protobuf::ServiceDescriptor*> ApiServices() {
  // Naming a message of each file links the file, and so its services, in.
  return {hirs::v1::SubmitReportRequest::descriptor()->file()->FindServiceByName("ReportingService"),
          hirs::v1::GetCaseRequest::descriptor()->file()->FindServiceByName("CaseService"),
          hirs::v1::MonthlyExtractRequest::descriptor()->file()->FindServiceByName("ExtractService"),
          hirs::v1::CreatePrincipalRequest::descriptor()->file()->FindServiceByName("AdminService"),
          hirs::v1::SignInRequest::descriptor()->file()->FindServiceByName("SessionService")};
}

absl::Status ParseJson(absl::string_view json, absl::string_view field, Message* message) {
  if (!IsValidUtf8(json)) return Violation(field, "is not UTF-8 text");
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(std::string(json), message, options);
  if (parsed.ok()) return absl::OkStatus();
  return Violation(field, absl::StrCat("not a ", message->GetDescriptor()->full_name(),
                                       " in protobuf's JSON mapping: ", Printable(parsed.message().as_string())));
}

RulePattern PatternOf(const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return {"GET", rule.get()};
    case google::api::HttpRule::kPut:
      return {"PUT", rule.put()};
    case google::api::HttpRule::kPost:
      return {"POST", rule.post()};
    case google::api::HttpRule::kDelete:
      return {"DELETE", rule.delete_()};
    case google::api::HttpRule::kPatch:
      return {"PATCH", rule.patch()};
    default:
      return {"", ""};
  }
}

std::vector<PathVariable> PathVariables(const std::string& path) {
  std::vector<PathVariable> out;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    const size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    const std::string inside = path.substr(open + 1, close - open - 1);
    out.push_back({path.substr(open, close - open + 1), inside.substr(0, inside.find('='))});
  }
  return out;
}

const FieldDescriptor* FieldAt(const Descriptor* d, absl::string_view path) {
  const FieldDescriptor* f = nullptr;
  for (absl::string_view name : absl::StrSplit(path, '.')) {
    if (d == nullptr) return nullptr;
    f = Named(d, name);
    if (f == nullptr) return nullptr;
    d = f->message_type();
  }
  return f;
}

bool QueryField(const FieldDescriptor* f) {
  if (f->is_map()) return false;
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const std::string& n = f->message_type()->full_name();
  return !f->is_repeated() &&
         (n == "google.protobuf.Timestamp" || n == "google.protobuf.Duration" || n == "google.protobuf.FieldMask");
}

std::vector<std::string> ExtraStreamTypes(const google::protobuf::MethodDescriptor* m) {
  if (m->full_name() == "hirs.v1.CaseService.WatchCases" || m->full_name() == "hirs.v1.ReportingService.WatchReports") {
    return {kEventStream};
  }
  if (m->full_name() == "hirs.v1.ExtractService.StreamMonthlyExtract") return {kCsv};
  return {};
}

Routes::Routes(const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  for (const auto* s : services) {
    for (int i = 0; i < s->method_count(); ++i) {
      const auto* m = s->method(i);
      if (!m->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = m->options().GetExtension(google::api::http);
      if (PatternOf(rule).verb.empty()) continue;
      routes_.push_back(Parse(m, rule));
    }
  }
}

RouteMatch Routes::Find(absl::string_view verb, absl::string_view path) const {
  RouteMatch out;
  for (const Route& route : routes_) {
    auto vars = Fit(route, path);
    if (!vars.has_value()) continue;
    if (route.verb == verb) {
      out.route = &route;
      out.variables = *std::move(vars);
      out.allowed.clear();
      return out;
    }
    out.allowed.push_back(route.verb);
  }
  return out;
}

absl::Status SetFieldFromText(Message* message, absl::string_view path, absl::string_view text) {
  Message* m = message;
  std::vector<absl::string_view> names = absl::StrSplit(path, '.');
  for (size_t i = 0; i < names.size(); ++i) {
    const FieldDescriptor* f = Named(m->GetDescriptor(), names[i]);
    if (f == nullptr) return Violation(path, "no such field");
    if (i + 1 == names.size()) {
      if (!QueryField(f)) return Violation(path, "this field cannot be given as text");
      absl::Status set = SetScalar(m, f, text);
      return set.ok() ? set : Violation(path, std::string(set.message()));
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
      return Violation(path, "no such field");
    }
    m = m->GetReflection()->MutableMessage(m, f);
  }
  return Violation(path, "no such field");
}

absl::Status FillRequest(const RouteMatch& match, absl::string_view body, const QueryParams& query, Message* request) {
  const Route& route = *match.route;
  if (absl::Status s = FillBody(route, body, request); !s.ok()) return s;
  for (const auto& [field, value] : match.variables) {
    if (absl::Status s = SetFieldFromText(request, field, value); !s.ok()) return s;
  }
  for (const auto& [name, value] : query) {
    if (!IsValidUtf8(name) || name.size() > 256) return Violation("query", "a parameter's name is not a field name");
    const FieldDescriptor* f = FieldAt(request->GetDescriptor(), name);
    if (f == nullptr) return Violation(name, absl::StrCat("unknown query parameter for ", route.method->name()));
    const bool in_path = std::any_of(match.variables.begin(), match.variables.end(),
                                     [&](const auto& v) { return FieldAt(request->GetDescriptor(), v.first) == f; });
    if (in_path || (!route.rule.body().empty() && InBody(route.rule.body(), name))) {
      return Violation(name, "given in the path or body; not a query parameter here");
    }
    if (absl::Status s = SetFieldFromText(request, name, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace hirs::http
