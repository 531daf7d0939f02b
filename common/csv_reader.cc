#include "common/csv_reader.h"

#include <csv.h>

#include "absl/strings/str_cat.h"

namespace hirs {
namespace {

struct ParseState {
  const std::function<absl::Status(const std::vector<std::string>&, int)>* row;
  std::vector<std::string> fields;
  absl::Status status;
  int current_line = 0;  // physical line being fed to the parser
  int record_line = 0;   // line the current record's first field ended on
};

void OnField(void* data, size_t len, void* p) {
  auto* state = static_cast<ParseState*>(p);
  if (state->fields.empty()) state->record_line = state->current_line;
  state->fields.emplace_back(static_cast<const char*>(data), len);
}

void OnRow(int terminator, void* p) {
  auto* state = static_cast<ParseState*>(p);
  if (state->status.ok()) state->status = (*state->row)(state->fields, state->record_line);
  state->fields.clear();
}

}  // namespace

absl::Status ReadCsv(absl::string_view text,
                     const std::function<absl::Status(const std::vector<std::string>&, int)>& row) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI) != 0) {
    return absl::InternalError("cannot initialise the CSV parser");
  }
  ParseState state;
  state.row = &row;
  // Fed one physical line at a time so that records and errors carry line
  // numbers; libcsv keeps a quoted field open across calls.
  size_t pos = 0;
  while (pos < text.size() && state.status.ok()) {
    size_t end = text.find('\n', pos);
    end = end == absl::string_view::npos ? text.size() : end + 1;
    ++state.current_line;
    if (csv_parse(&parser, text.data() + pos, end - pos, OnField, OnRow, &state) != end - pos) {
      const std::string message = csv_strerror(csv_error(&parser));
      csv_free(&parser);
      return absl::InvalidArgumentError(absl::StrCat("CSV line ", state.current_line, ": ", message));
    }
    pos = end;
  }
  if (state.status.ok() && csv_fini(&parser, OnField, OnRow, &state) != 0) {
    const std::string message = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    return absl::InvalidArgumentError(absl::StrCat("CSV line ", state.current_line, ": ", message));
  }
  csv_free(&parser);
  return state.status;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out.push_back('"');
    for (char c : f) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out;
}

}  // namespace hirs
