// The web pages (clients/web/site/) on hirsd's HTTP door: each page served
// in the reader's language (catalogue.h), its scripts and styles, and the
// pages' only endpoints of their own, signing in and out. Everything else
// the pages do, they do through the public JSON API under /v1/.
//
// A signed-in person's session token lives in the `hirs_session` cookie
// (HttpOnly, SameSite=Strict, Secure under TLS), which stands for
// "Authorization: Bearer <token>" on the API calls the pages make. A call
// that changes something must also carry X-CSRF-Token, the value of the
// `hirs_csrf` cookie (a digest of the session token, readable by the
// pages' script, by no other site's), and must not come from another
// origin (Origin, Sec-Fetch-Site). Pages are served with a
// Content-Security-Policy that admits only hirsd's own scripts, styles and
// images, and no framing.
//
//   GET  /                 the home page (what the signed-in person can do)
//   GET  /<page>           clients/web/site/pages/<page>.html
//   GET  /static/<path>    scripts, styles, catalogues, vendored libraries
//   POST /sign-in          {"login", "password", "code"}: SessionService.SignIn,
//                          the token into the cookie; answers
//                          {"mustChangePassword", "expireTime"}
//   POST /sign-out         ends the session (SessionService.SignOut) and
//                          clears the cookies
// Any page takes ?lang=<tag>, remembered in the `hirs_lang` cookie.
#ifndef HIRS_SERVICES_PAGES_SITE_H_
#define HIRS_SERVICES_PAGES_SITE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/http/site.h"
#include "services/pages/assets.h"
#include "services/pages/catalogue.h"

namespace hirs::pages {

struct SiteOptions {
  // Cookies marked Secure (the door serves TLS).
  bool secure_cookies = false;
};

// The value of cookie `name` in `req`'s Cookie header; "" if none.
std::string CookieValue(const httplib::Request& req, absl::string_view name);

// The CSRF token that goes with session token `session_token`.
std::string CsrfTokenOf(absl::string_view session_token);

// Thread safe (immutable once made).
class PagesSite final : public http::Site {
 public:
  // Every page rendered in every language, and every static file's ETag,
  // once, here. INVALID_ARGUMENT for a broken message catalogue or page.
  static absl::StatusOr<std::shared_ptr<const PagesSite>> Create(const SiteOptions& options);

  bool Serve(const httplib::Request& req, httplib::Response& res, const std::string& body,
             const Call& call) const override;
  absl::StatusOr<std::string> CookieAuthorization(const httplib::Request& req) const override;

 private:
  PagesSite(const SiteOptions& options, Catalogues catalogues)
      : options_(options), catalogues_(std::move(catalogues)) {}
  bool ServePage(const httplib::Request& req, httplib::Response& res) const;
  bool ServeStatic(const httplib::Request& req, httplib::Response& res) const;
  void SignIn(const httplib::Request& req, httplib::Response& res, const std::string& body, const Call& call) const;
  void SignOut(const httplib::Request& req, httplib::Response& res, const Call& call) const;
  // "Set-Cookie" values for the session cookies; an empty token clears them.
  void SetSessionCookies(httplib::Response& res, const std::string& token) const;

  const SiteOptions options_;
  const Catalogues catalogues_;
  // By page name ("home") and language tag.
  std::map<std::pair<std::string, std::string>, RenderedPage> pages_;
  // By path ("js/page.js"): the file and its ETag.
  std::map<std::string, std::pair<const EmbeddedFile*, std::string>, std::less<>> statics_;
};

}  // namespace hirs::pages

#endif  // HIRS_SERVICES_PAGES_SITE_H_
