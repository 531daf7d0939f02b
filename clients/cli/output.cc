#include "clients/cli/output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"

namespace hirs::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string TimestampText(const Message& m) {
  google::protobuf::Timestamp t;
  t.CopyFrom(m);
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()), absl::UTCTimeZone());
}

// Element `index` of `field` (-1: the singular field) as cell text.
std::string ValueText(const Message& m, const FieldDescriptor* f, int index) {
  const auto* r = m.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name();
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      return sub.GetDescriptor()->full_name() == "google.protobuf.Timestamp" ? TimestampText(sub) : "-";
    }
  }
  return "";
}

std::string Cell(const Message& item, const std::string& path) {
  const Message* m = &item;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) return "";
    const auto* r = m->GetReflection();
    if (i + 1 < parts.size()) {
      if (f->is_repeated() || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return "";
      m = &r->GetMessage(*m, f);
      continue;
    }
    if (!f->is_repeated()) return ValueText(*m, f, -1);
    std::vector<std::string> values;
    for (int k = 0; k < r->FieldSize(*m, f); ++k) values.push_back(ValueText(*m, f, k));
    return absl::StrJoin(values, ",");
  }
  return "";
}

}  // namespace

absl::StatusOr<ListFormat> ResolveListFormat(absl::string_view output_flag, bool stdout_is_tty) {
  if (output_flag.empty()) return stdout_is_tty ? ListFormat::kTable : ListFormat::kJsonLines;
  if (output_flag == "table") return ListFormat::kTable;
  if (output_flag == "json") return ListFormat::kJsonLines;
  return absl::InvalidArgumentError(absl::StrCat("--output must be table or json (it is \"", output_flag, "\")"));
}

std::string FormatTable(const std::vector<const Message*>& items, const std::vector<Column>& columns,
                        bool with_headings) {
  std::vector<std::vector<std::string>> rows;
  if (with_headings) {
    rows.emplace_back();
    for (const Column& c : columns) rows.back().push_back(c.heading);
  }
  for (const Message* item : items) {
    rows.emplace_back();
    for (const Column& c : columns) rows.back().push_back(Cell(*item, c.field_path));
  }
  std::vector<size_t> width(columns.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string JsonLine(const Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}\n";
  return json + "\n";
}

}  // namespace hirs::cli
