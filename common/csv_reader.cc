#include "common/csv_reader.h"

#include <csv.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

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

// libcsv fed one physical line at a time, so that records and errors carry
// line numbers; libcsv keeps a quoted field open across lines.
class LineParser {
 public:
  explicit LineParser(const std::function<absl::Status(const std::vector<std::string>&, int)>* row) {
    state_.row = row;
    ok_ = csv_init(&parser_, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI) == 0;
  }
  ~LineParser() {
    if (ok_) csv_free(&parser_);
  }

  // Parses one line including its line end. Returns the first error.
  absl::Status Feed(absl::string_view line) {
    if (!ok_) return absl::InternalError("cannot initialise the CSV parser");
    ++state_.current_line;
    if (csv_parse(&parser_, line.data(), line.size(), OnField, OnRow, &state_) != line.size()) {
      return Error();
    }
    return state_.status;
  }

  // Ends the input: a last record without a line end is delivered.
  absl::Status Finish() {
    if (!ok_) return absl::InternalError("cannot initialise the CSV parser");
    if (state_.status.ok() && csv_fini(&parser_, OnField, OnRow, &state_) != 0) return Error();
    return state_.status;
  }

 private:
  absl::Status Error() {
    return absl::InvalidArgumentError(
        absl::StrCat("CSV line ", state_.current_line, ": ", csv_strerror(csv_error(&parser_))));
  }

  csv_parser parser_;
  bool ok_ = false;
  ParseState state_;
};

}  // namespace

absl::Status ReadCsv(absl::string_view text,
                     const std::function<absl::Status(const std::vector<std::string>&, int)>& row) {
  LineParser parser(&row);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == absl::string_view::npos ? text.size() : end + 1;
    RETURN_IF_ERROR(parser.Feed(text.substr(pos, end - pos)));
    pos = end;
  }
  return parser.Finish();
}

absl::Status ReadCsvFile(const std::string& path,
                         const std::function<absl::Status(const std::vector<std::string>&, int)>& row) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  LineParser parser(&row);
  std::string line;
  while (std::getline(in, line)) {
    if (!in.eof()) line.push_back('\n');  // getline drops it; libcsv needs it
    RETURN_IF_ERROR(parser.Feed(line));
  }
  if (in.bad()) return absl::UnavailableError(absl::StrCat("error reading ", path));
  return parser.Finish();
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
