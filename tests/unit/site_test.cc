// The web pages' files and words: every page and part renders with no
// placeholder left and no message missing from English; every language
// has a catalogue with every English message, its direction, and its
// review status; a language is chosen by parameter, cookie and
// Accept-Language in that order; messages are escaped; the session
// cookie's CSRF token is bound to the token.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pages/assets.h"
#include "services/pages/catalogue.h"
#include "services/pages/site.h"

namespace hirs::pages {
namespace {

using ::testing::HasSubstr;

std::set<std::string> PlaceholdersOf(absl::string_view text) {
  std::set<std::string> out;
  for (size_t at = text.find("{{"); at != absl::string_view::npos; at = text.find("{{", at + 2)) {
    out.insert(std::string(text.substr(at + 2, text.find("}}", at) - at - 2)));
  }
  return out;
}

TEST(Site, EveryPageRendersWithEveryMessageInEveryLanguage) {
  const Catalogues catalogues = Catalogues::Load().value();
  const Language& english = catalogues.languages().front();
  ASSERT_EQ(english.tag, "en");
  int pages = 0;
  for (size_t i = 0; i < kSiteFiles_count; ++i) {
    const EmbeddedFile& file = kSiteFiles[i];
    if (!absl::StartsWith(file.path, "pages/") && !absl::StartsWith(file.path, "parts/")) continue;
    pages += absl::StartsWith(file.path, "pages/");
    for (const std::string& key : PlaceholdersOf(absl::string_view(file.data, file.size))) {
      if (key == "lang" || key == "dir" || key == "messages_json" || key == "language_links" || key[0] == '=') {
        continue;
      }
      if (absl::StartsWith(key, "part:")) {
        EXPECT_NE(FindSiteFile(absl::StrCat("parts/", key.substr(5), ".html")), nullptr) << file.path << ": " << key;
        continue;
      }
      EXPECT_TRUE(english.messages.count(key)) << file.path << " uses {{" << key << "}}, not in i18n/en.json";
    }
    if (!absl::StartsWith(file.path, "pages/")) continue;
    const bool desk = absl::StrContains(absl::string_view(file.data, file.size), "\nlanguages: en\n");
    for (const Language& language : catalogues.languages()) {
      const absl::StatusOr<RenderedPage> page =
          RenderSitePage(catalogues, language, absl::string_view(file.data, file.size));
      ASSERT_TRUE(page.ok()) << file.path << ": " << page.status();
      const Language& in = desk ? *catalogues.Find("en") : language;
      EXPECT_EQ(page->language, in.tag);
      EXPECT_FALSE(absl::StrContains(page->html, "{{")) << file.path << " in " << language.tag;
      EXPECT_THAT(page->html, HasSubstr(absl::StrCat("<html lang=\"", in.tag, "\" dir=\"", in.dir, "\"")));
      EXPECT_THAT(page->html, HasSubstr("<h1")) << file.path;
      // A page whose words are not all in the language is served in English
      // (WCAG 3.1.1 and 3.1.2: the language of the page and of its parts).
      if (!desk) {
        for (const std::string& key : PlaceholdersOf(absl::string_view(file.data, file.size))) {
          if (absl::StartsWith(key, "desk_")) ADD_FAILURE() << file.path << " uses " << key << " without languages: en";
        }
      }
    }
  }
  EXPECT_GE(pages, 3);
}

TEST(Site, FormsPostSoThatNothingTypedEndsInAnAddress) {
  // A form sent before its script has loaded must not put a password or a
  // victim's details in the URL (and so in histories and logs).
  int forms = 0;
  for (size_t i = 0; i < kSiteFiles_count; ++i) {
    const absl::string_view text(kSiteFiles[i].data, kSiteFiles[i].size);
    for (size_t at = text.find("<form"); at != absl::string_view::npos; at = text.find("<form", at + 1)) {
      ++forms;
      const absl::string_view tag = text.substr(at, text.find('>', at) - at);
      EXPECT_THAT(std::string(tag), HasSubstr("method=\"post\"")) << kSiteFiles[i].path;
    }
  }
  EXPECT_GE(forms, 3);
}

TEST(Site, TheAreasLanguagesHaveEveryMessageAndSayWhetherReviewed) {
  // The police's and districts' desk pages ("desk_" messages) are in
  // English; everything a reporting centre and the person in front of it
  // read is in every language.
  const Catalogues catalogues = Catalogues::Load().value();
  std::vector<std::string> tags;
  for (const Language& l : catalogues.languages()) {
    tags.push_back(l.tag);
    for (const auto& [key, text] : catalogues.languages().front().messages) {
      if (absl::StartsWith(key, "desk_")) continue;
      EXPECT_TRUE(l.messages.count(key)) << l.tag << " lacks " << key;
    }
    EXPECT_EQ(l.dir, l.tag == "ur" ? "rtl" : "ltr") << l.tag;
    EXPECT_EQ(l.review.empty(), l.tag == "en") << l.tag << ": a machine-drafted catalogue says so";
  }
  EXPECT_EQ(tags, (std::vector<std::string>{"en", "gu", "pa", "pl", "so", "ur"}));
}

TEST(Site, ALanguageIsChosenByParameterThenCookieThenAcceptLanguage) {
  const Catalogues c = Catalogues::Load().value();
  EXPECT_EQ(c.Choose("ur", "pl", "gu").tag, "ur");
  EXPECT_EQ(c.Choose("xx", "pl", "gu").tag, "pl");
  EXPECT_EQ(c.Choose("", "", "fr, so;q=0.4, gu;q=0.8").tag, "gu");
  EXPECT_EQ(c.Choose("", "", "pl-PL,en;q=0.5").tag, "pl");
  EXPECT_EQ(c.Choose("", "", "pa;q=0, de").tag, "en");
  EXPECT_EQ(c.Choose("", "", "").tag, "en");
}

TEST(Site, MessagesAreEscapedAndTheCatalogueIsSafeInsideAScript) {
  const Catalogues c = Catalogues::Load().value();
  Language tricky = *c.Find("en");
  tricky.messages["service_name"] = "<b>&\"'</b>";
  tricky.messages["sign_out"] = "</script><script>alert(1)</script>";
  const std::string page = RenderPage(c, tricky, "<h1>{{service_name}}</h1>{{messages_json}}");
  EXPECT_THAT(page, HasSubstr("<h1>&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;</h1>"));
  EXPECT_FALSE(absl::StrContains(page, "</script>"));
}

TEST(Site, CookiesAreReadByTheirExactName) {
  httplib::Request req;
  req.headers.emplace("Cookie",
                      "hirs_lang=pl; hirs_session_old=x; hirs_session=" + std::string(64, 'a') + " ;hirs_csrf=def");
  EXPECT_EQ(CookieValue(req, "hirs_session"), std::string(64, 'a'));
  EXPECT_EQ(CookieValue(req, "hirs_lang"), "pl");
  EXPECT_EQ(CookieValue(req, "hirs_csrf"), "def");
  EXPECT_EQ(CookieValue(req, "hirs"), "");
  EXPECT_EQ(CookieValue(httplib::Request(), "hirs_session"), "");
}

TEST(Site, TheCsrfTokenIsBoundToTheSession) {
  EXPECT_EQ(CsrfTokenOf("a").size(), 64u);
  EXPECT_EQ(CsrfTokenOf("a"), CsrfTokenOf("a"));
  EXPECT_NE(CsrfTokenOf("a"), CsrfTokenOf("b"));
  EXPECT_NE(CsrfTokenOf("a"), "a");
}

TEST(Site, StaticFilesHaveTheirTypes) {
  EXPECT_EQ(ContentTypeOf("js/page.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("vendor/govuk-frontend/govuk-frontend.min.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("vendor/govuk-frontend/LICENSE"), "text/plain; charset=utf-8");
  ASSERT_NE(FindSiteFile("vendor/govuk-frontend/LICENSE"), nullptr);
  EXPECT_EQ(FindSiteFile("nothing.js"), nullptr);
}

}  // namespace
}  // namespace hirs::pages
