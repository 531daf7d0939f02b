// libFuzzer target: the HTTP door's transcoding (services/http/routes.h) on
// arbitrary requests. The input is "VERB PATH?QUERY\nBODY": the route is
// found for the verb and path, and the request message filled from the
// path variables, the query parameters and the body. It must answer (a
// request, or INVALID_ARGUMENT for what does not fit), never crash, and a
// filled request must serialize.
#include <cstddef>
#include <cstdint>

#include "absl/strings/str_split.h"
#include "httplib.h"
#include "services/http/exchange.h"
#include "services/http/routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hirs::http::Routes* routes = new hirs::http::Routes(hirs::http::ApiServices());
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t line_end = input.find('\n');
  const std::string first = input.substr(0, line_end);
  const std::string body = line_end == std::string::npos ? "" : input.substr(line_end + 1);
  const std::vector<std::string> words = absl::StrSplit(first, absl::MaxSplits(' ', 1));
  if (words.size() != 2) return 0;
  const size_t question = words[1].find('?');
  hirs::http::QueryParams query;
  if (question != std::string::npos) httplib::detail::parse_query_text(words[1].substr(question + 1), query);
  const hirs::http::RouteMatch match = routes->Find(words[0], words[1].substr(0, question));
  if (match.route == nullptr) return 0;
  auto request = hirs::http::NewMessage(match.route->method->input_type());
  const absl::Status filled = hirs::http::FillRequest(match, body, query, request.get());
  if (!filled.ok() && filled.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
  if (filled.ok() && request->SerializeAsString().size() > size * 16 + 1024) __builtin_trap();
  return 0;
}
