// The OpenAPI document is generated from the descriptors: one operation per
// routed RPC, its parameters and bodies from the request, and schemas in
// protobuf's canonical JSON form. (tests/structure/check_openapi.sh lints
// it with redocly.)
#include "services/http/openapi.h"

#include <set>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/domain_support.h"

namespace hirs::http {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

const Value& At(const Value& v, const std::string& key) {
  static const Value missing;
  const auto& fields = v.struct_value().fields();
  auto it = fields.find(key);
  return it == fields.end() ? missing : it->second;
}

Value Doc() {
  Value v;
  *v.mutable_struct_value() = OpenApiDocument(hirs::testing::ApiServices());
  return v;
}

TEST(OpenApi, EveryRoutedRpcIsAnOperationWithItsPathAndVerb) {
  const Value doc = Doc();
  int operations = 0;
  for (const auto& [path, item] : At(doc, "paths").struct_value().fields()) {
    operations += item.struct_value().fields_size();
  }
  EXPECT_EQ(operations, 43 + 3);  // the RPCs, /healthz, /readyz and the district report
  EXPECT_TRUE(At(At(doc, "paths"), "/v1/districts/{district_code}/months/{month}/report").has_struct_value());
  // GetCase's case_id and UpdateCase's case.case_id: one URL, one template.
  const Value& update = At(At(At(doc, "paths"), "/v1/cases/{case_id}"), "patch");
  EXPECT_EQ(At(update, "operationId").string_value(), "CaseService_UpdateCase");
  EXPECT_EQ(At(At(update, "parameters").list_value().values(0), "name").string_value(), "case_id");
  EXPECT_EQ(At(At(update, "parameters").list_value().values(0), "description").string_value(),
            "the request's case.case_id");
  EXPECT_EQ(At(At(At(At(doc, "paths"), "/v1/cases/{case_id}"), "get"), "operationId").string_value(),
            "CaseService_GetCase");
  EXPECT_EQ(At(At(At(At(At(update, "requestBody"), "content"), "application/json"), "schema"), "$ref").string_value(),
            "#/components/schemas/hirs.v1.Case");
  const Value& list = At(At(At(doc, "paths"), "/v1/cases"), "get");
  std::set<std::string> query;
  for (const Value& p : At(list, "parameters").list_value().values()) query.insert(At(p, "name").string_value());
  EXPECT_EQ(query, (std::set<std::string>{"filter", "page_size", "page_token"}));
  const Value& watch = At(At(At(doc, "paths"), "/v1/cases:watch"), "get");
  EXPECT_TRUE(At(At(At(watch, "responses"), "200"), "content").struct_value().fields().count("text/event-stream"));
  const Value& bulk = At(At(At(doc, "paths"), "/v1/reports:batchSubmit"), "post");
  EXPECT_TRUE(At(At(bulk, "requestBody"), "content").struct_value().fields().count("application/x-ndjson"));
}

TEST(OpenApi, SchemasFollowTheCanonicalJsonMapping) {
  const Value schemas = At(At(Doc(), "components"), "schemas");
  const Value& c = At(At(schemas, "hirs.v1.Case"), "properties");
  EXPECT_EQ(At(At(c, "caseId"), "type").string_value(), "string");
  EXPECT_EQ(At(At(c, "updatedAt"), "format").string_value(), "date-time");
  EXPECT_TRUE(At(At(c, "caseId"), "readOnly").bool_value()) << "OUTPUT_ONLY fields are read-only";
  EXPECT_EQ(At(At(c, "motivations"), "type").string_value(), "array");
  EXPECT_EQ(At(At(At(c, "motivations"), "items"), "$ref").string_value(), "#/components/schemas/hirs.v1.Motivation");
  EXPECT_EQ(At(At(schemas, "hirs.v1.Motivation"), "type").string_value(), "string");
  const Value& event = At(At(schemas, "hirs.v1.CaseEvent"), "properties");
  EXPECT_EQ(At(At(event, "cursor"), "type").string_value(), "string") << "64-bit integers are strings in JSON";
  EXPECT_TRUE(At(At(At(schemas, "Error"), "properties"), "error").has_struct_value());
}

TEST(OpenApi, TheJsonParsesBack) {
  const std::string json = OpenApiJson(hirs::testing::ApiServices());
  Struct back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok());
  EXPECT_EQ(back.fields().at("openapi").string_value(), "3.0.3");
}

}  // namespace
}  // namespace hirs::http
