// What the HTTP door serves beside the API under /v1/: a site (the web
// pages, services/pages/) with its own requests, such as signing in, and a
// session cookie that stands for a bearer credential on the API calls its
// pages make. The door stays the one way in: the site's own calls go
// through the same gate as every other.
#ifndef HIRS_SERVICES_HTTP_SITE_H_
#define HIRS_SERVICES_HTTP_SITE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "google/rpc/status.pb.h"
#include "httplib.h"

namespace hirs::http {

class Site {
 public:
  // A unary API call through the door: `method` as
  // "/hirs.v1.SessionService/SignIn", `authorization` the Authorization
  // value ("" for none), `request` and `*answer` serialized messages; the
  // call's status with its details (code 0: OK). The HTTP client's address
  // reaches the gate as for any call through the door.
  using Call = std::function<google::rpc::Status(const std::string& method, const std::string& authorization,
                                                 const std::string& request, std::string* answer)>;

  virtual ~Site() = default;

  // Answers `req` (outside /v1/; `body` read within the door's bounds) and
  // returns true when it is the site's; false leaves it to the door (404).
  virtual bool Serve(const httplib::Request& req, httplib::Response& res, const std::string& body,
                     const Call& call) const = 0;

  // For an API request without an Authorization header: the Authorization
  // its session cookie stands for ("" when it carries none), or
  // PERMISSION_DENIED when it would change something without the pages'
  // CSRF token or from another site's page.
  virtual absl::StatusOr<std::string> CookieAuthorization(const httplib::Request& req) const = 0;
};

}  // namespace hirs::http

#endif  // HIRS_SERVICES_HTTP_SITE_H_
