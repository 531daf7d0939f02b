// How the CLI prints lists: a table for a person at a terminal, JSON Lines
// (one item a line, protobuf JSON with the proto field names) for programs.
#ifndef HIRS_CLIENTS_CLI_OUTPUT_H_
#define HIRS_CLIENTS_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace hirs::cli {

enum class ListFormat { kTable, kJsonLines };

// --output=table|json; "" picks a table when standard output is a
// terminal (`stdout_is_tty`) and JSON Lines otherwise, as kubectl and gh do.
absl::StatusOr<ListFormat> ResolveListFormat(absl::string_view output_flag, bool stdout_is_tty);

// A table column: its heading and the path of the field it shows ("a.b"
// for a nested field).
struct Column {
  std::string heading;
  std::string field_path;
};

// `items` as an aligned table under `columns`' headings (with the heading
// row when `with_headings`). A cell: a string or number as it is, an enum
// by its name, a Timestamp as RFC 3339 UTC, a repeated field joined with
// ",", a message as "-"; an unset field is empty.
std::string FormatTable(const std::vector<const google::protobuf::Message*>& items, const std::vector<Column>& columns,
                        bool with_headings);

// `message` as one line of JSON (proto field names).
std::string JsonLine(const google::protobuf::Message& message);

}  // namespace hirs::cli

#endif  // HIRS_CLIENTS_CLI_OUTPUT_H_
