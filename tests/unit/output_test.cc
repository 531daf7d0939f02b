// The CLI's list output: the table's cells and alignment, and the choice
// between a table and JSON Lines.
#include "clients/cli/output.h"

#include "gtest/gtest.h"
#include "hirs/v1/types.pb.h"

namespace hirs::cli {
namespace {

TEST(ListFormat, TableOnATerminalJsonLinesOtherwiseUnlessAsked) {
  EXPECT_EQ(ResolveListFormat("", true).value(), ListFormat::kTable);
  EXPECT_EQ(ResolveListFormat("", false).value(), ListFormat::kJsonLines);
  EXPECT_EQ(ResolveListFormat("json", true).value(), ListFormat::kJsonLines);
  EXPECT_EQ(ResolveListFormat("table", false).value(), ListFormat::kTable);
  EXPECT_EQ(ResolveListFormat("yaml", true).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FormatTable, AlignsColumnsAndShowsEnumsRepeatedFieldsAndTimes) {
  hirs::v1::Case a;
  a.set_case_id("case_A");
  a.set_status(hirs::v1::UNDER_INVESTIGATION);
  a.add_motivations(hirs::v1::RACE);
  a.add_motivations(hirs::v1::RELIGION_OR_BELIEF);
  a.mutable_updated_at()->set_seconds(1790000000);
  hirs::v1::Case b;
  b.set_case_id("case_Bee");
  b.set_status(hirs::v1::OPEN);
  const std::vector<Column> columns = {
      {"CASE", "case_id"}, {"STATUS", "status"}, {"MOTIVATIONS", "motivations"}, {"UPDATED", "updated_at"}};
  EXPECT_EQ(FormatTable({&a, &b}, columns, true),
            "CASE      STATUS               MOTIVATIONS              UPDATED\n"
            "case_A    UNDER_INVESTIGATION  RACE,RELIGION_OR_BELIEF  2026-09-21T14:13:20Z\n"
            "case_Bee  OPEN                                          \n");
  EXPECT_EQ(FormatTable({&b}, {{"CASE", "case_id"}}, false), "case_Bee\n");
  EXPECT_EQ(JsonLine(b), "{\"case_id\":\"case_Bee\",\"status\":\"OPEN\"}\n");
}

}  // namespace
}  // namespace hirs::cli
