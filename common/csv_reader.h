// RFC 4180 CSV reading on top of libcsv (Debian libcsv-dev): quoted fields,
// embedded commas, quotes and newlines, CRLF or LF line ends.
#ifndef HIRS_COMMON_CSV_READER_H_
#define HIRS_COMMON_CSV_READER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hirs {

// Parses `text` and calls `row` once per record with its fields and its
// 1-based line number (of the record's first line). Stops early and returns
// the callback's status when it is not OK. INVALID_ARGUMENT on malformed CSV
// (e.g. an unterminated quote), naming the line.
absl::Status ReadCsv(absl::string_view text,
                     const std::function<absl::Status(const std::vector<std::string>& fields, int line)>& row);

// ReadCsv over the file at `path`, read a line at a time so that a large
// file (the ONS Postcode Directory is over 1 GB) is never held in memory.
// NOT_FOUND when the file cannot be opened.
absl::Status ReadCsvFile(const std::string& path,
                         const std::function<absl::Status(const std::vector<std::string>& fields, int line)>& row);

// Formats one record per RFC 4180 (fields quoted only where needed), without
// the line end.
std::string CsvLine(const std::vector<std::string>& fields);

}  // namespace hirs

#endif  // HIRS_COMMON_CSV_READER_H_
