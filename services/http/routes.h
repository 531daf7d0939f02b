// The HTTP routes of the API, read from the services' google.api.http rules
// (no hand-written routing table: a method with a rule has a route), and
// gRPC transcoding's binding of a request to the method's request message:
// path variables, query parameters and the body per the rule, in
// protobuf's canonical JSON mapping. Depends on the protos alone.
#ifndef HIRS_SERVICES_HTTP_ROUTES_H_
#define HIRS_SERVICES_HTTP_ROUTES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace hirs::http {

// The services of hirs.v1, the API the door serves: Reporting, Case,
// Extract, Admin and Session.
std::vector<const google::protobuf::ServiceDescriptor*> ApiServices();

// A rule's HTTP verb ("GET", "POST", ...) and path template; both empty for
// a custom or missing pattern.
struct RulePattern {
  std::string verb;
  std::string path;
};
RulePattern PatternOf(const google::api::HttpRule& rule);

// A variable of a path template: where it stands ("{case.case_id}", with
// any "=pattern") and the request field path it binds ("case.case_id").
struct PathVariable {
  std::string text;
  std::string field;
};
std::vector<PathVariable> PathVariables(const std::string& path_template);

// The field at a dotted path of field names from `d`, or null.
const google::protobuf::FieldDescriptor* FieldAt(const google::protobuf::Descriptor* d, absl::string_view path);

// Whether a query parameter can carry `f`: a scalar, an enum, a
// string-valued well-known type (Timestamp, Duration, FieldMask), or a list
// of scalars or enums.
bool QueryField(const google::protobuf::FieldDescriptor* f);

// The media types a method's streamed answers come in beyond JSON Lines:
// "text/event-stream" (WatchCases and WatchReports, Server-Sent Events
// only), "text/csv"
// (StreamMonthlyExtract, with Accept: text/csv).
inline constexpr char kEventStream[] = "text/event-stream";
inline constexpr char kCsv[] = "text/csv";
std::vector<std::string> ExtraStreamTypes(const google::protobuf::MethodDescriptor* m);

// One method's route.
struct Route {
  const google::protobuf::MethodDescriptor* method = nullptr;
  google::api::HttpRule rule;
  std::string verb;
  std::string path_template;
  // The template split at '/', without the custom verb; a variable
  // segment holds the field path it binds, a literal one its text.
  struct Segment {
    bool variable = false;
    std::string text;
  };
  std::vector<Segment> segments;
  std::string custom_verb;  // "merge" for ".../{id}:merge"; "" for none
};

// Where a request's path led.
struct RouteMatch {
  const Route* route = nullptr;  // null: no route for the verb and path
  // Path variables: field path and decoded value.
  std::vector<std::pair<std::string, std::string>> variables;
  // With no route: the verbs the path has routes for (405 when any).
  std::vector<std::string> allowed;
};

class Routes {
 public:
  // The routes of every method of `services` that has a google.api.http
  // rule with a standard verb.
  explicit Routes(const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  // The route for `verb` and the decoded `path` (without the query).
  RouteMatch Find(absl::string_view verb, absl::string_view path) const;

  const std::vector<Route>& all() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Query parameters as the request gave them (name, value; names may
// repeat).
using QueryParams = std::multimap<std::string, std::string>;

// Fills `request` (of the route's input type) from the request's JSON
// `body` (bound as the rule's body says; empty means "{}"), its path
// variables and its query parameters. INVALID_ARGUMENT with a
// google.rpc.BadRequest naming the field at fault for a body that is not
// the message in JSON (unknown fields included), a query parameter that
// names no field, one the body or path already binds, or a value not of
// the field's type; a body where the rule takes none.
absl::Status FillRequest(const RouteMatch& match, absl::string_view body, const QueryParams& query,
                         google::protobuf::Message* request);

// Parses `json` into `message` (protobuf's JSON mapping, unknown fields
// refused). INVALID_ARGUMENT with a google.rpc.BadRequest naming `field`
// (where the JSON came from: "body", "line 3") and what is wrong.
absl::Status ParseJson(absl::string_view json, absl::string_view field, google::protobuf::Message* message);

// Sets the field at the dotted `path` (field or JSON names) of `message`
// from its text form: numbers, true/false, enum names or numbers, base64
// for bytes, the JSON string forms of Timestamp, Duration and FieldMask;
// appends to a repeated field.
absl::Status SetFieldFromText(google::protobuf::Message* message, absl::string_view path, absl::string_view text);

}  // namespace hirs::http

#endif  // HIRS_SERVICES_HTTP_ROUTES_H_
