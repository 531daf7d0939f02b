#include "services/http/openapi.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/api/annotations.pb.h"
#include "google/api/field_behavior.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/http/routes.h"

namespace hirs::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using google::protobuf::Struct;
using google::protobuf::Value;

Value Str(const std::string& s) {
  Value v;
  v.set_string_value(s);
  return v;
}

Value Num(double n) {
  Value v;
  v.set_number_value(n);
  return v;
}

Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}

Value Object(std::initializer_list<std::pair<std::string, Value>> fields) {
  Value v;
  auto* s = v.mutable_struct_value()->mutable_fields();
  for (const auto& [k, f] : fields) (*s)[k] = f;
  return v;
}

Value List(const std::vector<Value>& items) {
  Value v;
  for (const Value& item : items) *v.mutable_list_value()->add_values() = item;
  return v;
}

void Set(Value* object, const std::string& key, Value v) {
  (*object->mutable_struct_value()->mutable_fields())[key] = std::move(v);
}

Value Ref(const std::string& kind, const std::string& name) {
  return Object({{"$ref", Str(absl::StrCat("#/components/", kind, "/", name))}});
}

// The schemas of messages and enums, added as they are first referred to.
class Schemas {
 public:
  Value Field(const FieldDescriptor* f) {
    if (f->is_map()) {
      return Object({{"type", Str("object")}, {"additionalProperties", Single(f->message_type()->map_value())}});
    }
    Value one = Single(f);
    if (!f->is_repeated()) return one;
    return Object({{"type", Str("array")}, {"items", one}});
  }

  Value Message(const Descriptor* d) {
    if (auto known = WellKnown(d); known.has_value()) return *known;
    const std::string name = d->full_name();
    if (done_.insert(name).second) Add(d);
    return Ref("schemas", name);
  }

  const std::map<std::string, Value>& all() const { return all_; }

 private:
  // One value of `f` (an element, for a repeated field).
  Value Single(const FieldDescriptor* f) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
        return Object({{"type", Str("string")}, {"format", Str("int64")}});
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return Object({{"type", Str("string")}, {"format", Str("uint64")}});
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return Object({{"type", Str("integer")}, {"format", Str("int32")}});
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        return Object({{"type", Str("integer")}, {"format", Str("int64")}, {"minimum", Num(0)}});
      case FieldDescriptor::TYPE_DOUBLE:
        return Object({{"type", Str("number")}, {"format", Str("double")}});
      case FieldDescriptor::TYPE_FLOAT:
        return Object({{"type", Str("number")}, {"format", Str("float")}});
      case FieldDescriptor::TYPE_BOOL:
        return Object({{"type", Str("boolean")}});
      case FieldDescriptor::TYPE_STRING:
        return Object({{"type", Str("string")}});
      case FieldDescriptor::TYPE_BYTES:
        return Object({{"type", Str("string")}, {"format", Str("byte")}});
      case FieldDescriptor::TYPE_ENUM:
        return Enum(f->enum_type());
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return Message(f->message_type());
    }
    return Object({});
  }

  Value Enum(const EnumDescriptor* e) {
    const std::string name = e->full_name();
    if (done_.insert(name).second) {
      std::vector<Value> names;
      for (int i = 0; i < e->value_count(); ++i) names.push_back(Str(e->value(i)->name()));
      all_[name] = Object({{"type", Str("string")}, {"enum", List(names)}});
    }
    return Ref("schemas", name);
  }

  // The JSON forms protobuf gives the well-known types.
  static std::optional<Value> WellKnown(const Descriptor* d) {
    const std::string& n = d->full_name();
    if (n == "google.protobuf.Timestamp") return Object({{"type", Str("string")}, {"format", Str("date-time")}});
    if (n == "google.protobuf.Duration") {
      return Object({{"type", Str("string")}, {"description", Str("seconds with an s suffix, e.g. \"86400s\"")}});
    }
    if (n == "google.protobuf.FieldMask") {
      return Object({{"type", Str("string")}, {"description", Str("field paths, comma separated")}});
    }
    if (n == "google.protobuf.Any") {
      return Object({{"type", Str("object")},
                     {"properties", Object({{"@type", Object({{"type", Str("string")}})}})},
                     {"additionalProperties", Bool(true)}});
    }
    if (n == "google.protobuf.Struct") return Object({{"type", Str("object")}});
    return std::nullopt;
  }

  void Add(const Descriptor* d) {
    Value properties = Object({});
    std::vector<Value> required;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      Value schema = Field(f);
      for (int b : f->options().GetRepeatedExtension(google::api::field_behavior)) {
        if (b == google::api::OUTPUT_ONLY && schema.struct_value().fields().count("$ref") == 0) {
          Set(&schema, "readOnly", Bool(true));
        }
        if (b == google::api::REQUIRED) required.push_back(Str(f->json_name()));
      }
      Set(&properties, f->json_name(), std::move(schema));
    }
    Value schema = Object({{"type", Str("object")}, {"properties", properties}});
    if (!required.empty()) Set(&schema, "required", List(required));
    all_[d->full_name()] = std::move(schema);
  }

  std::set<std::string> done_;
  std::map<std::string, Value> all_;
};

// A variable's name in the document: its field path's last component, so
// that one URL has one template whatever field path each verb binds
// ("/v1/cases/{case_id}" for GetCase's case_id and UpdateCase's
// case.case_id).
std::string ParameterName(const std::string& field) { return field.substr(field.rfind('.') + 1); }

// `path` with each variable named by ParameterName.
std::string OpenApiPath(const std::string& path) {
  std::string out = path;
  for (const PathVariable& v : PathVariables(path)) {
    out.replace(out.find(v.text), v.text.size(), absl::StrCat("{", ParameterName(v.field), "}"));
  }
  return out;
}

Value Parameters(const MethodDescriptor* m, const google::api::HttpRule& rule, const std::string& path,
                 Schemas* schemas) {
  std::vector<Value> out;
  std::vector<std::string> vars;
  for (const PathVariable& v : PathVariables(path)) vars.push_back(v.field);
  for (const std::string& var : vars) {
    const FieldDescriptor* f = FieldAt(m->input_type(), var);
    out.push_back(Object({{"name", Str(ParameterName(var))},
                          {"in", Str("path")},
                          {"description", Str(absl::StrCat("the request's ", var))},
                          {"required", Bool(true)},
                          {"schema", f != nullptr ? schemas->Field(f) : Object({{"type", Str("string")}})}}));
  }
  if (rule.body() != "*") {
    const Descriptor* in = m->input_type();
    for (int i = 0; i < in->field_count(); ++i) {
      const FieldDescriptor* f = in->field(i);
      const bool in_path = std::find(vars.begin(), vars.end(), f->name()) != vars.end();
      if (in_path || f->name() == rule.body() || !QueryField(f)) continue;
      out.push_back(Object({{"name", Str(f->name())}, {"in", Str("query")}, {"schema", schemas->Field(f)}}));
    }
  }
  return List(out);
}

Value Operation(const MethodDescriptor* m, const google::api::HttpRule& rule, const std::string& path,
                Schemas* schemas) {
  Value op = Object({{"operationId", Str(absl::StrCat(m->service()->name(), "_", m->name()))},
                     {"summary", Str(m->name())},
                     {"tags", List({Str(m->service()->name())})},
                     {"parameters", Parameters(m, rule, path, schemas)}});
  if (!rule.body().empty()) {
    const Value body =
        rule.body() == "*" ? schemas->Message(m->input_type()) : schemas->Field(FieldAt(m->input_type(), rule.body()));
    const char* type = m->client_streaming() ? "application/x-ndjson" : "application/json";
    Set(&op, "requestBody",
        Object({{"required", Bool(true)}, {"content", Object({{type, Object({{"schema", body}})}})}}));
  }
  const Value answer = schemas->Message(m->output_type());
  Value content =
      Object({{m->server_streaming() ? "application/x-ndjson" : "application/json", Object({{"schema", answer}})}});
  for (const std::string& type : ExtraStreamTypes(m))
    Set(&content, type, Object({{"schema", Object({{"type", Str("string")}})}}));
  Set(&op, "responses",
      Object({{"200", Object({{"description", Str(m->server_streaming() ? "the answers, one a line" : "the answer")},
                              {"content", content}})},
              {"4XX", Ref("responses", "Error")},
              {"5XX", Ref("responses", "Error")}}));
  return op;
}

// AIP-193's error body.
Value ErrorSchema() {
  Value details = Object({{"type", Str("array")},
                          {"items", Object({{"type", Str("object")},
                                            {"properties", Object({{"@type", Object({{"type", Str("string")}})}})},
                                            {"additionalProperties", Bool(true)}})}});
  Value error = Object({{"type", Str("object")},
                        {"properties", Object({{"code", Object({{"type", Str("integer")}})},
                                               {"message", Object({{"type", Str("string")}})},
                                               {"status", Object({{"type", Str("string")}})},
                                               {"details", details}})}});
  return Object({{"type", Str("object")}, {"properties", Object({{"error", error}})}});
}

}  // namespace

// The door's routes that are not an RPC's: health, readiness, and the
// district report.
void AddDoorRoutes(Value* paths) {
  auto& by_path = *paths->mutable_struct_value()->mutable_fields();
  const auto status = [](const char* summary, const char* id) {
    return Object({{"get", Object({{"operationId", Str(id)},
                                   {"summary", Str(summary)},
                                   {"tags", List({Str("Health")})},
                                   {"security", List({})},
                                   {"responses", Object({{"200", Object({{"description", Str("serving")}})},
                                                         {"503", Object({{"description", Str("not serving")}})}})}})}});
  };
  by_path["/healthz"] = status("whether the process is alive", "Health_Live");
  by_path["/readyz"] = status("whether hirsd is serving (503 while it drains)", "Health_Ready");
  const auto path_parameter = [](const char* name) {
    return Object({{"name", Str(name)},
                   {"in", Str("path")},
                   {"required", Bool(true)},
                   {"schema", Object({{"type", Str("string")}})}});
  };
  by_path["/v1/districts/{district_code}/months/{month}/report"] = Object(
      {{"get",
        Object({{"operationId", Str("ExtractService_MonthlyReport")},
                {"summary", Str("the district's monthly report (HTML), from GetMonthlySummary for the month and the "
                                "eleven before it")},
                {"tags", List({Str("ExtractService")})},
                {"parameters", List({path_parameter("district_code"), path_parameter("month")})},
                {"responses",
                 Object({{"200",
                          Object({{"description", Str("the report")},
                                  {"content",
                                   Object({{"text/html", Object({{"schema", Object({{"type", Str("string")}})}})}})}})},
                         {"4XX", Ref("responses", "Error")},
                         {"5XX", Ref("responses", "Error")}})}})}});
}

Struct OpenApiDocument(const std::vector<const ServiceDescriptor*>& services) {
  Schemas schemas;
  Value paths = Object({});
  std::vector<Value> tags;
  for (const ServiceDescriptor* s : services) {
    tags.push_back(Object({{"name", Str(s->name())}, {"description", Str(s->full_name())}}));
    for (int i = 0; i < s->method_count(); ++i) {
      const MethodDescriptor* m = s->method(i);
      if (!m->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = m->options().GetExtension(google::api::http);
      RulePattern route = PatternOf(rule);
      if (route.verb.empty()) continue;
      route.verb = absl::AsciiStrToLower(route.verb);
      auto& by_path = *paths.mutable_struct_value()->mutable_fields();
      const std::string key = OpenApiPath(route.path);
      if (!by_path.count(key)) by_path[key] = Object({});
      Set(&by_path[key], route.verb, Operation(m, rule, route.path, &schemas));
    }
  }
  AddDoorRoutes(&paths);
  tags.push_back(Object({{"name", Str("Health")}, {"description", Str("liveness and readiness, without a token")}}));
  Value components_schemas = Object({});
  for (const auto& [name, schema] : schemas.all()) Set(&components_schemas, name, schema);
  Set(&components_schemas, "Error", ErrorSchema());
  Value doc = Object(
      {{"openapi", Str("3.0.3")},
       {"info", Object({{"title", Str("hirs: hate incident reporting service")},
                        {"version", Str("v1")},
                        {"description", Str("The hirs.v1 gRPC API over HTTP/JSON (gRPC transcoding of the "
                                            "google.api.http rules; protobuf's canonical JSON mapping).")},
                        {"license", Object({{"name", Str("Apache-2.0")},
                                            {"url", Str("https://www.apache.org/licenses/LICENSE-2.0")}})}})},
       {"servers", List({Object({{"url", Str("/")}})})},
       {"security", List({Object({{"bearer", List({})}})})},
       {"tags", List(tags)},
       {"paths", paths},
       {"components",
        Object({{"securitySchemes", Object({{"bearer", Object({{"type", Str("http")}, {"scheme", Str("bearer")}})}})},
                {"responses",
                 Object({{"Error", Object({{"description", Str("an error (AIP-193)")},
                                           {"content", Object({{"application/json",
                                                                Object({{"schema", Ref("schemas", "Error")}})}})}})}})},
                {"schemas", components_schemas}})}});
  return doc.struct_value();
}

std::string OpenApiJson(const std::vector<const ServiceDescriptor*>& services) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(OpenApiDocument(services), &out, options);
  return out;
}

}  // namespace hirs::http
