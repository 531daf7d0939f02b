#include "services/pages/catalogue.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/pages/assets.h"

namespace hirs::pages {
namespace {

std::string EscapeHtml(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string StringField(const google::protobuf::Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? "" : it->second.string_value();
}

absl::StatusOr<Language> ParseCatalogue(const EmbeddedFile& file) {
  google::protobuf::Struct parsed;
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("message catalogue ", file.path, ": ", why));
  };
  if (!google::protobuf::util::JsonStringToMessage(std::string(file.data, file.size), &parsed).ok()) {
    return bad("not JSON");
  }
  Language out{StringField(parsed, "tag"),
               StringField(parsed, "name"),
               StringField(parsed, "dir"),
               StringField(parsed, "review"),
               {}};
  if (out.tag.empty() || out.name.empty() || (out.dir != "ltr" && out.dir != "rtl")) {
    return bad("needs \"tag\", \"name\" and \"dir\" (\"ltr\" or \"rtl\")");
  }
  auto messages = parsed.fields().find("messages");
  if (messages == parsed.fields().end() || !messages->second.has_struct_value()) return bad("needs \"messages\"");
  for (const auto& [key, value] : messages->second.struct_value().fields()) {
    if (value.kind_case() != google::protobuf::Value::kStringValue) return bad(absl::StrCat(key, " is not text"));
    out.messages[key] = value.string_value();
  }
  return out;
}

// Accept-Language's tags, most wanted first (RFC 9110 12.5.4).
std::vector<std::string> WantedTags(absl::string_view header) {
  std::vector<std::pair<double, std::string>> wanted;
  for (absl::string_view item : absl::StrSplit(header, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&p, "q=") && !absl::SimpleAtod(p, &q)) q = 0;
    }
    if (q > 0) wanted.emplace_back(q, absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0])));
  }
  std::stable_sort(wanted.begin(), wanted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [q, tag] : wanted) out.push_back(std::move(tag));
  return out;
}

std::string MessagesJson(const Catalogues& catalogues, const Language& language) {
  google::protobuf::Struct messages;
  for (const auto& [key, text] : catalogues.languages().front().messages) {
    (*messages.mutable_fields())[key].set_string_value(catalogues.Message(language, key));
  }
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(messages, &json);
  return absl::StrReplaceAll(json, {{"<", "\\u003c"}});  // no "</script>" inside the script element
}

std::string LanguageLinks(const Catalogues& catalogues, const Language& current) {
  std::string out = absl::StrCat("<nav class=\"hirs-languages\" aria-label=\"",
                                 EscapeHtml(catalogues.Message(current, "languages_label")),
                                 "\"><ul class=\"govuk-list hirs-inline-list\">");
  for (const Language& l : catalogues.languages()) {
    if (l.tag == current.tag) {
      absl::StrAppend(&out, "<li><span aria-current=\"true\" lang=\"", l.tag, "\" dir=\"", l.dir, "\">",
                      EscapeHtml(l.name), "</span></li>");
    } else {
      absl::StrAppend(&out, "<li><a class=\"govuk-link\" href=\"?lang=", l.tag, "\" hreflang=\"", l.tag, "\" lang=\"",
                      l.tag, "\" dir=\"", l.dir, "\">", EscapeHtml(l.name), "</a></li>");
    }
  }
  return out + "</ul></nav>";
}

}  // namespace

absl::StatusOr<Catalogues> Catalogues::Load() {
  Catalogues out;
  for (size_t i = 0; i < kSiteFiles_count; ++i) {
    const EmbeddedFile& file = kSiteFiles[i];
    if (!absl::StartsWith(file.path, "i18n/") || !absl::EndsWith(file.path, ".json")) continue;
    absl::StatusOr<Language> language = ParseCatalogue(file);
    if (!language.ok()) return language.status();
    out.languages_.push_back(*std::move(language));
  }
  std::sort(out.languages_.begin(), out.languages_.end(), [](const Language& a, const Language& b) {
    return std::make_pair(a.tag != "en", a.tag) < std::make_pair(b.tag != "en", b.tag);
  });
  if (out.languages_.empty() || out.languages_.front().tag != "en") {
    return absl::InvalidArgumentError("the pages have no English message catalogue (i18n/en.json)");
  }
  return out;
}

const Language* Catalogues::Find(absl::string_view tag) const {
  for (const Language& l : languages_) {
    if (l.tag == tag) return &l;
  }
  return nullptr;
}

const Language& Catalogues::Choose(absl::string_view asked, absl::string_view remembered,
                                   absl::string_view accept_language) const {
  for (absl::string_view tag : {asked, remembered}) {
    if (const Language* l = Find(tag)) return *l;
  }
  for (const std::string& tag : WantedTags(accept_language)) {
    if (const Language* l = Find(tag)) return *l;
    if (const Language* l = Find(tag.substr(0, tag.find('-')))) return *l;  // "pl-PL": "pl"
  }
  return languages_.front();
}

const std::string& Catalogues::Message(const Language& language, const std::string& key) const {
  static const std::string kNone;
  for (const Language* l : {&language, &languages_.front()}) {
    auto it = l->messages.find(key);
    if (it != l->messages.end()) return it->second;
  }
  return kNone;
}

std::string RenderPage(const Catalogues& catalogues, const Language& language, absl::string_view page) {
  std::string out;
  out.reserve(page.size() * 2);
  size_t at = 0;
  while (true) {
    const size_t open = page.find("{{", at);
    const size_t close = open == absl::string_view::npos ? open : page.find("}}", open);
    if (close == absl::string_view::npos) break;
    out.append(page.data() + at, open - at);
    const std::string key(page.substr(open + 2, close - open - 2));
    if (key == "lang") {
      out += language.tag;
    } else if (key == "dir") {
      out += language.dir;
    } else if (key == "messages_json") {
      out += MessagesJson(catalogues, language);
    } else if (key == "language_links") {
      out += LanguageLinks(catalogues, language);
    } else if (absl::StartsWith(key, "part:")) {
      const EmbeddedFile* part = FindSiteFile(absl::StrCat("parts/", key.substr(5), ".html"));
      if (part != nullptr) out += RenderPage(catalogues, language, absl::string_view(part->data, part->size));
    } else {
      out += EscapeHtml(catalogues.Message(language, key));
    }
    at = close + 2;
  }
  out.append(page.data() + at, page.size() - at);
  return out;
}

absl::StatusOr<RenderedPage> RenderSitePage(const Catalogues& catalogues, const Language& asked,
                                            absl::string_view page_file) {
  std::vector<absl::string_view> head_and_main = absl::StrSplit(page_file, absl::MaxSplits("\n---\n", 1));
  const EmbeddedFile* layout = FindSiteFile("parts/layout.html");
  if (head_and_main.size() != 2 || layout == nullptr) {
    return absl::InvalidArgumentError("a page is \"title: KEY\\nscript: NAME\\n---\\n\" then its content");
  }
  std::map<std::string, std::string> head;
  for (absl::string_view line : absl::StrSplit(head_and_main[0], '\n', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> field = absl::StrSplit(line, absl::MaxSplits(": ", 1));
    head[field.first] = field.second;
  }
  if (head["title"].empty() || head["script"].empty()) {
    return absl::InvalidArgumentError("a page needs its title's message key and its script");
  }
  const std::string composed = absl::StrReplaceAll(absl::string_view(layout->data, layout->size),
                                                   {{"{{=title}}", absl::StrCat("{{", head["title"], "}}")},
                                                    {"{{=script}}", head["script"]},
                                                    {"{{=main}}", head_and_main[1]}});
  const Language& language = head["languages"] == "en" ? catalogues.languages().front() : asked;
  return RenderedPage{RenderPage(catalogues, language, composed), language.tag};
}

}  // namespace hirs::pages
