// The pages' words in each language: one message catalogue per language,
// clients/web/site/i18n/<tag>.json (adding a language adds a file):
//   {"tag": "pl", "name": "Polski", "dir": "ltr",
//    "review": "machine-drafted, awaiting review by a native speaker",
//    "messages": {"sign_in_title": "...", ...}}
// A message missing from a catalogue falls back to English. Stored values
// never depend on the language: pages send enums, not labels.
#ifndef HIRS_SERVICES_PAGES_CATALOGUE_H_
#define HIRS_SERVICES_PAGES_CATALOGUE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hirs::pages {

struct Language {
  std::string tag;     // BCP 47, e.g. "ur"
  std::string name;    // in the language itself, e.g. "اردو"
  std::string dir;     // "ltr" or "rtl"
  std::string review;  // "" when reviewed by a native speaker
  std::map<std::string, std::string> messages;
};

class Catalogues {
 public:
  // Every i18n/*.json of the site's files. INVALID_ARGUMENT naming the file
  // that is not a catalogue, or when English ("en") is missing.
  static absl::StatusOr<Catalogues> Load();

  // The language a request is answered in: `asked` (a ?lang= parameter)
  // when there is such a catalogue, else `remembered` (the page's language
  // cookie), else the first of `accept_language` (an Accept-Language
  // header, by q-value) there is a catalogue for, else English.
  const Language& Choose(absl::string_view asked, absl::string_view remembered,
                         absl::string_view accept_language) const;
  // The catalogue for `tag`; nullptr if none.
  const Language* Find(absl::string_view tag) const;
  // `key` in `language`, else in English; "" when neither has it.
  const std::string& Message(const Language& language, const std::string& key) const;

  // By tag, English first.
  const std::vector<Language>& languages() const { return languages_; }

 private:
  std::vector<Language> languages_;
};

// `page` (a template of clients/web/site/) in `language`: each {{key}}
// replaced by its message, HTML-escaped; also {{lang}}, {{dir}}, {{messages_json}}
// (the whole catalogue with English filling its gaps, as JSON safe inside
// <script type="application/json">), {{language_links}} (a switch to
// every other language) and {{part:NAME}} (parts/NAME.html, rendered so).
std::string RenderPage(const Catalogues& catalogues, const Language& language, absl::string_view page);

struct RenderedPage {
  std::string html;
  std::string language;  // the tag it is in
};

// A page of clients/web/site/pages/ in `language`: its file is
//   title: <message key of its title>
//   script: <its script, js/<script>.js>
//   languages: en            (optional: a page in English only, such as
//                             the police's and districts' desk pages)
//   ---
//   <its main content>
// set in parts/layout.html ({{=title}}, {{=script}}, {{=main}}) and
// rendered by RenderPage. INVALID_ARGUMENT for a file not so made.
absl::StatusOr<RenderedPage> RenderSitePage(const Catalogues& catalogues, const Language& language,
                                            absl::string_view page_file);

}  // namespace hirs::pages

#endif  // HIRS_SERVICES_PAGES_CATALOGUE_H_
