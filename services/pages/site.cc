#include "services/pages/site.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "hirs/v1/session_service.pb.h"
#include "services/http/errors.h"
#include "services/pages/assets.h"
#include "services/rpc/rpc.h"

namespace hirs::pages {
namespace {

constexpr char kSessionCookie[] = "hirs_session";
constexpr char kCsrfCookie[] = "hirs_csrf";
constexpr char kLanguageCookie[] = "hirs_lang";
constexpr char kPagePolicy[] =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

void Answer(httplib::Response& res, const absl::Status& status) { http::AnswerError(res, rpc::ToRpcStatus(status)); }

// Whether a request that changes something comes from this site's own
// pages: browsers send Sec-Fetch-Site and Origin with such a request;
// a client that is not a browser sends neither.
bool FromThisSite(const httplib::Request& req) {
  const std::string fetch_site = req.get_header_value("Sec-Fetch-Site");
  if (!fetch_site.empty() && fetch_site != "same-origin") return false;
  const std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return true;
  absl::string_view host = origin;
  return (absl::ConsumePrefix(&host, "https://") || absl::ConsumePrefix(&host, "http://")) &&
         host == req.get_header_value("Host");
}

bool ChangesSomething(const httplib::Request& req) { return req.method != "GET" && req.method != "HEAD"; }

}  // namespace

std::string CookieValue(const httplib::Request& req, absl::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  for (absl::string_view pair : absl::StrSplit(header, ';', absl::SkipWhitespace())) {
    pair = absl::StripAsciiWhitespace(pair);
    if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=")) return std::string(pair);
  }
  return "";
}

std::string CsrfTokenOf(absl::string_view session_token) {
  const std::string input = absl::StrCat("hirs-csrf:", session_token);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

absl::StatusOr<std::shared_ptr<const PagesSite>> PagesSite::Create(const SiteOptions& options) {
  absl::StatusOr<Catalogues> catalogues = Catalogues::Load();
  if (!catalogues.ok()) return catalogues.status();
  std::shared_ptr<PagesSite> site(new PagesSite(options, *std::move(catalogues)));
  for (size_t i = 0; i < kSiteFiles_count; ++i) {
    const EmbeddedFile& file = kSiteFiles[i];
    absl::string_view name = file.path;
    if (absl::StartsWith(name, "parts/")) continue;
    if (!absl::ConsumePrefix(&name, "pages/")) {
      site->statics_.emplace(file.path, std::make_pair(&file, EtagOf(file)));
      continue;
    }
    absl::ConsumeSuffix(&name, ".html");
    for (const Language& language : site->catalogues_.languages()) {
      absl::StatusOr<RenderedPage> page =
          RenderSitePage(site->catalogues_, language, absl::string_view(file.data, file.size));
      if (!page.ok()) return absl::InvalidArgumentError(absl::StrCat(file.path, ": ", page.status().message()));
      site->pages_.emplace(std::make_pair(std::string(name), language.tag), *std::move(page));
    }
  }
  return std::shared_ptr<const PagesSite>(std::move(site));
}

absl::StatusOr<std::string> PagesSite::CookieAuthorization(const httplib::Request& req) const {
  const std::string token = CookieValue(req, kSessionCookie);
  if (token.empty()) return "";
  if (ChangesSomething(req)) {
    const std::string sent = req.get_header_value("X-CSRF-Token");
    const std::string wanted = CsrfTokenOf(token);
    if (!FromThisSite(req)) {
      return absl::PermissionDeniedError("a request from another site's page cannot use this site's session");
    }
    if (sent.size() != wanted.size() || CRYPTO_memcmp(sent.data(), wanted.data(), wanted.size()) != 0) {
      return absl::PermissionDeniedError(
          "the request lacks the page's X-CSRF-Token (the hirs_csrf cookie): reload the page and try again");
    }
  }
  return absl::StrCat("Bearer ", token);
}

bool PagesSite::Serve(const httplib::Request& req, httplib::Response& res, const std::string& body,
                      const Call& call) const {
  if (req.method == "POST" && req.path == "/sign-in") {
    SignIn(req, res, body, call);
    return true;
  }
  if (req.method == "POST" && req.path == "/sign-out") {
    SignOut(req, res, call);
    return true;
  }
  if (req.method != "GET" && req.method != "HEAD") return false;
  return absl::StartsWith(req.path, "/static/") ? ServeStatic(req, res) : ServePage(req, res);
}

bool PagesSite::ServePage(const httplib::Request& req, httplib::Response& res) const {
  absl::string_view name = req.path;
  absl::ConsumePrefix(&name, "/");
  if (name.empty()) name = "home";
  if (!std::all_of(name.begin(), name.end(), [](char c) { return absl::ascii_islower(c) || c == '-'; })) {
    return false;
  }
  if (pages_.count({std::string(name), "en"}) == 0) return false;
  const std::string asked = req.get_param_value("lang");
  const Language& language =
      catalogues_.Choose(asked, CookieValue(req, kLanguageCookie), req.get_header_value("Accept-Language"));
  if (language.tag == asked) {
    res.set_header("Set-Cookie", absl::StrCat(kLanguageCookie, "=", language.tag, "; Path=/; Max-Age=31536000; ",
                                              "SameSite=Strict", options_.secure_cookies ? "; Secure" : ""));
  }
  const RenderedPage& page = pages_.at({std::string(name), language.tag});
  http::ReplaceHeader(res, "Content-Security-Policy", kPagePolicy);
  res.set_header("Content-Language", page.language);
  res.set_header("Vary", "Accept-Language, Cookie");
  res.set_content(page.html, "text/html; charset=utf-8");
  return true;
}

bool PagesSite::ServeStatic(const httplib::Request& req, httplib::Response& res) const {
  absl::string_view path = req.path;
  absl::ConsumePrefix(&path, "/static/");
  const auto found = statics_.find(path);  // templates (pages/, parts/) are not among them
  if (found == statics_.end()) return false;
  const auto& [file, etag] = found->second;
  http::ReplaceHeader(res, "Cache-Control", "no-cache");  // kept, and checked again each time
  res.set_header("ETag", etag);
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return true;
  }
  res.set_content(file->data, file->size, ContentTypeOf(path));
  return true;
}

void PagesSite::SetSessionCookies(httplib::Response& res, const std::string& token) const {
  const std::string attributes = absl::StrCat("; Path=/; SameSite=Strict", options_.secure_cookies ? "; Secure" : "",
                                              token.empty() ? "; Max-Age=0" : "");
  res.set_header("Set-Cookie", absl::StrCat(kSessionCookie, "=", token, attributes, "; HttpOnly"));
  res.set_header("Set-Cookie", absl::StrCat(kCsrfCookie, "=", token.empty() ? "" : CsrfTokenOf(token), attributes));
}

void PagesSite::SignIn(const httplib::Request& req, httplib::Response& res, const std::string& body,
                       const Call& call) const {
  if (!FromThisSite(req)) {
    Answer(res, absl::PermissionDeniedError("signing in is only for this site's own sign-in page"));
    return;
  }
  hirs::v1::SignInRequest request;
  if (!google::protobuf::util::JsonStringToMessage(body, &request).ok()) {
    Answer(res, absl::InvalidArgumentError("send {\"login\", \"password\", \"code\"} as JSON"));
    return;
  }
  std::string answer;
  const google::rpc::Status status = call("/hirs.v1.SessionService/SignIn", "", request.SerializeAsString(), &answer);
  hirs::v1::SignInResponse session;
  if (status.code() != 0 || !session.ParseFromString(answer)) {
    http::AnswerError(res, status.code() != 0 ? status : rpc::ToRpcStatus(absl::InternalError("an unreadable answer")));
    return;
  }
  SetSessionCookies(res, session.session_token());
  session.clear_session_token();  // for the cookie only, out of the page's script's reach
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(session, &json);
  res.set_content(json + "\n", "application/json");
}

void PagesSite::SignOut(const httplib::Request& req, httplib::Response& res, const Call& call) const {
  absl::StatusOr<std::string> authorization = CookieAuthorization(req);
  if (!authorization.ok()) {
    Answer(res, authorization.status());
    return;
  }
  if (!authorization->empty()) {
    std::string answer;
    // An already ended session is signed out all the same.
    (void)call("/hirs.v1.SessionService/SignOut", *authorization, hirs::v1::SignOutRequest().SerializeAsString(),
               &answer);
  }
  SetSessionCookies(res, "");
  res.set_content("{}\n", "application/json");
}

}  // namespace hirs::pages
