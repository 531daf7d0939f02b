#include "services/extracts/formats.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"

namespace hirs::extracts {
namespace {

using hirs::v1::MonthlySummary;
using hirs::v1::SummaryCell;

std::string Html(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// "RELIGION_OR_BELIEF" -> "Religion or belief".
std::string Label(const std::string& category) {
  std::string out = absl::AsciiStrToLower(absl::StrReplaceAll(category, {{"_", " "}}));
  if (!out.empty()) out[0] = absl::ascii_toupper(static_cast<unsigned char>(out[0]));
  return out;
}

// "2026-10" -> "October 2026", or with `abbreviated` "Oct 26".
std::string MonthName(const std::string& month, bool abbreviated = false) {
  static constexpr const char* kNames[] = {"January", "February", "March",     "April",   "May",      "June",
                                           "July",    "August",   "September", "October", "November", "December"};
  if (month.size() != 7) return month;
  const int m = std::atoi(month.substr(5).c_str());
  if (m < 1 || m > 12) return month;
  return abbreviated ? absl::StrCat(std::string(kNames[m - 1]).substr(0, 3), " ", month.substr(2, 2))
                     : absl::StrCat(kNames[m - 1], " ", month.substr(0, 4));
}

std::string Count(int count, bool suppressed) { return suppressed ? "*" : absl::StrCat(count); }

std::string Change(const SummaryCell& c) {
  if (c.suppressed() || c.previous_suppressed()) return "&ndash;";
  const int d = c.count() - c.previous_count();
  return d > 0 ? absl::StrCat("+", d) : d < 0 ? absl::StrCat("&minus;", -d) : "0";
}

std::vector<SummaryCell> CellsOf(const MonthlySummary& s, const std::string& dimension) {
  std::vector<SummaryCell> out;
  for (const auto& c : s.cells()) {
    if (c.dimension() == dimension) out.push_back(c);
  }
  return out;
}

// A table of one dimension: this month, the previous one, the change.
std::string Table(const std::string& caption, const std::vector<SummaryCell>& cells, bool skip_zero_rows) {
  std::string out =
      absl::StrCat("<table><caption>", Html(caption),
                   "</caption><thead><tr><th scope=\"col\">Category</th><th scope=\"col\">This month</th>"
                   "<th scope=\"col\">Previous month</th><th scope=\"col\">Change</th></tr></thead><tbody>");
  for (const auto& c : cells) {
    const bool zero = !c.suppressed() && c.count() == 0 && !c.previous_suppressed() && c.previous_count() == 0;
    if (skip_zero_rows && zero) continue;
    absl::StrAppend(&out, "<tr><th scope=\"row\">", Html(Label(c.category())), "</th><td>",
                    Count(c.count(), c.suppressed()), "</td><td>", Count(c.previous_count(), c.previous_suppressed()),
                    "</td><td>", Change(c), "</td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table>");
  return out;
}

constexpr const char* kColours[] = {"#1b6ca8", "#d1495b", "#edae49", "#00798c", "#30638e",
                                    "#8d6a9f", "#5b8c5a", "#c26d3a", "#666666"};

// Horizontal bars for the month's shown counts; suppressed ones are marked.
std::string BarChart(const std::string& title, const std::vector<SummaryCell>& cells) {
  std::vector<const SummaryCell*> rows;
  int max = 1;
  for (const auto& c : cells) {
    if (c.suppressed() || c.count() > 0) rows.push_back(&c);
    if (!c.suppressed()) max = std::max(max, c.count());
  }
  const int bar_h = 22, label_w = 230, chart_w = 360, h = std::max<int>(1, rows.size()) * bar_h + 10;
  std::string svg = absl::StrFormat(
      "<svg role=\"img\" aria-label=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
      "xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"12\">",
      Html(title), label_w + chart_w + 50, h, label_w + chart_w + 50, h);
  if (rows.empty()) absl::StrAppend(&svg, "<text x=\"0\" y=\"16\">No cases this month.</text>");
  for (size_t i = 0; i < rows.size(); ++i) {
    const SummaryCell& c = *rows[i];
    const int y = 5 + static_cast<int>(i) * bar_h;
    absl::StrAppend(&svg, absl::StrFormat("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", label_w - 8, y + 15,
                                          Html(Label(c.category()))));
    if (c.suppressed()) {
      absl::StrAppend(&svg,
                      absl::StrFormat("<text x=\"%d\" y=\"%d\" fill=\"#555\">* suppressed</text>", label_w, y + 15));
      continue;
    }
    const int w = std::max(1, c.count() * chart_w / max);
    absl::StrAppend(&svg,
                    absl::StrFormat("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                                    "<text x=\"%d\" y=\"%d\">%d</text>",
                                    label_w, y + 3, w, bar_h - 6, kColours[0], label_w + w + 5, y + 15, c.count()));
  }
  absl::StrAppend(&svg, "</svg>");
  return svg;
}

// Lines of each motivation's shown counts over the months; a suppressed
// month leaves a gap (and a hollow marker on the axis).
std::string TrendChart(const std::vector<MonthlySummary>& months) {
  const int left = 40, top = 10, w = 560, h = 220, bottom = 40;
  int max = 1;
  std::map<std::string, std::vector<const SummaryCell*>> series;  // category -> per month
  std::vector<std::string> order;
  std::vector<std::vector<SummaryCell>> keep;  // owns the cells `series` points to
  keep.reserve(months.size());
  for (size_t m = 0; m < months.size(); ++m) keep.push_back(CellsOf(months[m], "motivation"));
  for (size_t m = 0; m < keep.size(); ++m) {
    for (const auto& c : keep[m]) {
      auto& s = series[c.category()];
      if (s.empty()) order.push_back(c.category());
      s.resize(months.size(), nullptr);
      s[m] = &c;
      if (!c.suppressed()) max = std::max(max, c.count());
    }
  }
  const double step = months.size() > 1 ? static_cast<double>(w) / (months.size() - 1) : 0;
  auto x = [&](size_t m) { return left + step * m; };
  auto y = [&](int v) { return top + h - static_cast<double>(v) * h / max; };
  std::string svg = absl::StrFormat(
      "<svg role=\"img\" aria-label=\"12-month trend by motivation\" viewBox=\"0 0 %d %d\" width=\"%d\" "
      "height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"11\">",
      left + w + 170, top + h + bottom, left + w + 170, top + h + bottom);
  absl::StrAppend(&svg, absl::StrFormat("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", left,
                                        top + h, left + w, top + h));
  absl::StrAppend(&svg, absl::StrFormat("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", left, top,
                                        left, top + h));
  for (int tick : {0, max / 2, max}) {
    absl::StrAppend(
        &svg, absl::StrFormat("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>", left - 4, y(tick) + 4, tick));
  }
  for (size_t m = 0; m < months.size(); ++m) {
    absl::StrAppend(&svg, absl::StrFormat("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", x(m),
                                          top + h + 16, Html(MonthName(months[m].month(), /*abbreviated=*/true))));
  }
  int legend = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& s = series[order[k]];
    bool any = false;
    for (const auto* c : s) any |= c != nullptr && (c->suppressed() || c->count() > 0);
    if (!any) continue;
    const char* colour = kColours[k % 9];
    std::string path;
    bool pen_down = false;
    for (size_t m = 0; m < s.size(); ++m) {
      const SummaryCell* c = s[m];
      if (c == nullptr || c->suppressed()) {
        pen_down = false;
        if (c != nullptr) {
          absl::StrAppend(&svg, absl::StrFormat("<circle cx=\"%.1f\" cy=\"%d\" r=\"3\" fill=\"none\" stroke=\"%s\"/>",
                                                x(m), top + h, colour));
        }
        continue;
      }
      absl::StrAppend(&path, pen_down ? " L" : " M", absl::StrFormat("%.1f %.1f", x(m), y(c->count())));
      pen_down = true;
      absl::StrAppend(&svg, absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", x(m),
                                            y(c->count()), colour));
    }
    if (!path.empty()) {
      absl::StrAppend(&svg,
                      absl::StrFormat("<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>", path, colour));
    }
    absl::StrAppend(&svg, absl::StrFormat("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                                          "<text x=\"%d\" y=\"%d\">%s</text>",
                                          left + w + 20, top + legend * 18, colour, left + w + 38,
                                          top + legend * 18 + 10, Html(Label(order[k]))));
    ++legend;
  }
  if (legend == 0) {
    absl::StrAppend(&svg,
                    absl::StrFormat("<text x=\"%d\" y=\"%d\">No cases in these months.</text>", left + 10, top + 20));
  }
  absl::StrAppend(&svg, "</svg>");
  return svg;
}

}  // namespace

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  return absl::StrCat("\"", absl::StrReplaceAll(field, {{"\"", "\"\""}}), "\"");
}

std::string ExtractCsvHeader() {
  std::vector<std::string> columns = {"case_ref", "month", "district_code", "postcode_sector", "place_type"};
  for (int m = 1; m <= 9; ++m) {
    columns.push_back(absl::StrCat("motivation_", absl::AsciiStrToLower(hirs::v1::Motivation_Name(m))));
  }
  for (const char* c : {"incident_types", "report_count", "source_count", "reporter_roles", "status", "crime_recorded",
                        "repeat_victim", "victim_age_band", "change"}) {
    columns.push_back(c);
  }
  return absl::StrCat(absl::StrJoin(columns, ","), "\r\n");
}

std::string ExtractCsvLine(const hirs::v1::ExtractRow& row) {
  std::vector<std::string> f = {row.case_ref(), row.month(), row.district_code(), row.postcode_sector(),
                                row.place_type() == 0 ? "" : hirs::v1::PlaceType_Name(row.place_type())};
  for (int m = 1; m <= 9; ++m) {
    f.push_back(std::find(row.motivations().begin(), row.motivations().end(), m) != row.motivations().end() ? "1"
                                                                                                            : "0");
  }
  std::vector<std::string> types, roles;
  for (int t : row.incident_types()) types.push_back(hirs::v1::IncidentType_Name(t));
  for (int r : row.reporter_roles()) roles.push_back(hirs::v1::ReporterRole_Name(r));
  f.push_back(absl::StrJoin(types, ";"));
  f.push_back(absl::StrCat(row.report_count()));
  f.push_back(absl::StrCat(row.source_count()));
  f.push_back(absl::StrJoin(roles, ";"));
  f.push_back(hirs::v1::CaseStatus_Name(row.status()));
  f.push_back(row.crime_recorded() ? "true" : "false");
  f.push_back(row.repeat_victim() ? "true" : "false");
  f.push_back(row.victim_age_band() == 0 ? "" : hirs::v1::AgeBand_Name(row.victim_age_band()));
  f.push_back(hirs::v1::ExtractRow::Change_Name(row.change()));
  for (auto& field : f) field = CsvField(field);
  return absl::StrCat(absl::StrJoin(f, ","), "\r\n");
}

std::vector<std::string> ReportMonths(const std::string& month) {
  int year = 0, mon = 0;
  if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2d", &year, &mon) != 2 || mon < 1 || mon > 12)
    return {month};
  std::vector<std::string> out(12);
  for (int i = 11; i >= 0; --i) {
    out[i] = absl::StrFormat("%04d-%02d", year, mon);
    if (--mon == 0) {
      mon = 12;
      --year;
    }
  }
  return out;
}

std::string DistrictName(const std::string& gss_code) {
  static const std::map<std::string, std::string> kNames = {{"E07000129", "Blaby"},
                                                            {"E07000130", "Charnwood"},
                                                            {"E07000131", "Harborough"},
                                                            {"E07000132", "Hinckley and Bosworth"},
                                                            {"E07000133", "Melton"},
                                                            {"E07000134", "North West Leicestershire"},
                                                            {"E07000135", "Oadby and Wigston"},
                                                            {"E06000016", "Leicester"},
                                                            {"E06000017", "Rutland"}};
  auto it = kNames.find(gss_code);
  return it == kNames.end() ? gss_code : it->second;
}

std::string SummaryReportHtml(const std::vector<MonthlySummary>& months) {
  const MonthlySummary& s = months.back();
  const std::string district = DistrictName(s.district_code());
  const std::string as_of =
      absl::FormatTime("%d %B %Y %H:%M UTC", absl::FromUnixSeconds(s.as_of().seconds()), absl::UTCTimeZone());
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Hate incidents: ",
      Html(district), ", ", Html(MonthName(s.month())),
      "</title><style>"
      "body{font-family:sans-serif;color:#111;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}"
      "h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}"
      ".meta{color:#444}.total{font-size:1.3rem;margin:1rem 0}"
      "table{border-collapse:collapse;margin:1rem 0;min-width:28rem}caption{text-align:left;font-weight:bold;"
      "margin-bottom:.3rem}th,td{border:1px solid #bbb;padding:.25rem .6rem}td{text-align:right}"
      "thead th{background:#eef2f6}th[scope=row]{text-align:left;font-weight:normal}"
      ".note{font-size:.9rem;color:#333;background:#f6f6f0;padding:.5rem .8rem;border-left:4px solid #999}"
      "section{page-break-inside:avoid;break-inside:avoid}svg{max-width:100%;height:auto}"
      "@media print{body{margin:0;max-width:none}.note{background:none}a{color:inherit}}"
      "</style></head><body>\n");
  absl::StrAppend(&out, "<h1>Hate incidents in ", Html(district), "</h1>\n<p class=\"meta\">",
                  Html(MonthName(s.month())), " &middot; district ", Html(s.district_code()),
                  " &middot; figures as at ", Html(as_of), "</p>\n");
  absl::StrAppend(
      &out, "<p class=\"total\">Cases this month: <strong>", Count(s.total().count(), s.total().suppressed()),
      "</strong> (previous month: ", Count(s.total().previous_count(), s.total().previous_suppressed()), ")</p>\n");
  absl::StrAppend(&out,
                  "<p class=\"note\">One case may have been reported several times, to the police and to third-party "
                  "reporting centres; it is counted once. * marks a small number, suppressed so that no victim can "
                  "be identified, and any figure that would reveal one. ",
                  s.rounding_base() > 0 ? absl::StrCat("Other figures are rounded to a multiple of ", s.rounding_base(),
                                                       ", so parts may not add up to the total. ")
                                        : "",
                  "A case may have more than one motivation and "
                  "type of incident, so those tables add up to more than the total. No personal data is held in this "
                  "report.</p>\n");
  absl::StrAppend(&out, "<section><h2>12-month trend by motivation</h2>", TrendChart(months), "</section>\n");
  absl::StrAppend(&out, "<section><h2>Motivation</h2>",
                  Table("Cases by perceived motivation", CellsOf(s, "motivation"), false), "</section>\n");
  absl::StrAppend(&out, "<section><h2>Type of incident</h2>",
                  BarChart("Cases by type of incident this month", CellsOf(s, "incident_type")),
                  Table("Cases by type of incident", CellsOf(s, "incident_type"), false), "</section>\n");
  absl::StrAppend(&out, "<section><h2>Type of place</h2>",
                  BarChart("Cases by type of place this month", CellsOf(s, "place_type")),
                  Table("Cases by type of place", CellsOf(s, "place_type"), true), "</section>\n");
  absl::StrAppend(&out, "<section><h2>Crime and repeat victims</h2>",
                  Table("Recorded as a crime by the police", CellsOf(s, "crime"), false),
                  Table("Victims with earlier cases", CellsOf(s, "repeat_victim"), false), "</section>\n");
  absl::StrAppend(&out, "</body></html>\n");
  return out;
}

}  // namespace hirs::extracts
