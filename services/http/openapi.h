// The OpenAPI 3 description of the HTTP/JSON API, generated from the
// services' descriptors and their google.api.http rules, never written by
// hand: adding an RPC with a rule adds its operation. Bodies follow
// protobuf's canonical JSON mapping (lowerCamelCase names, 64-bit integers
// as strings, enums by name, Timestamp as RFC 3339); errors are AIP-193's
// {"error": {...}}.
#ifndef HIRS_SERVICES_HTTP_OPENAPI_H_
#define HIRS_SERVICES_HTTP_OPENAPI_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"

namespace hirs::http {

// The document for every method of `services` that has a google.api.http
// rule (methods without one are left out).
google::protobuf::Struct OpenApiDocument(const std::vector<const google::protobuf::ServiceDescriptor*>& services);

// The same, as JSON text.
std::string OpenApiJson(const std::vector<const google::protobuf::ServiceDescriptor*>& services);

}  // namespace hirs::http

#endif  // HIRS_SERVICES_HTTP_OPENAPI_H_
