// The parts every command group of the hirs CLI shares: the connection to
// hirsd (server, token, TLS), deadlines, error reports, exit codes, and
// printing results (single results as JSON; lists as a table or JSON Lines,
// output.h). Each group lives in its own file (*_commands.cc) and main.cc
// dispatches to it.
#ifndef HIRS_CLIENTS_CLI_CLI_H_
#define HIRS_CLIENTS_CLI_CLI_H_

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/cli/output.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/rpc/status.pb.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(int, timeout_seconds);
ABSL_DECLARE_FLAG(int, page_size);
ABSL_DECLARE_FLAG(bool, all);
ABSL_DECLARE_FLAG(std::string, reason);
ABSL_DECLARE_FLAG(std::string, etag);
ABSL_DECLARE_FLAG(std::string, filter);
ABSL_DECLARE_FLAG(uint64_t, from_cursor);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(std::string, ca_file);
ABSL_DECLARE_FLAG(std::string, cert_file);
ABSL_DECLARE_FLAG(std::string, key_file);

namespace hirs::cli {

// Exit status: 0 success, 1 the server refused something, 2 bad usage or
// unreadable input, 3 the server could not be reached.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;
// A group's answer to words it does not know: main prints the group's usage.
inline constexpr int kNotACommand = -1;

// The command groups: each takes the words after the program name (the
// group's name first) and returns an exit status or kNotACommand.
int SubmitCommand(const std::vector<std::string>& words);
int ReportCommand(const std::vector<std::string>& words);
int CasesCommand(const std::vector<std::string>& words);
int ReviewCommand(const std::vector<std::string>& words);
int AdminCommand(const std::vector<std::string>& words);
int ExtractCommand(const std::vector<std::string>& words);
int LoginCommand(const std::vector<std::string>& words);
int LogoutCommand(const std::vector<std::string>& words);

// Where `hirs login` keeps the session token: $XDG_CONFIG_HOME/hirs/session,
// else ~/.config/hirs/session.
std::string SessionFile();

absl::StatusOr<std::string> ReadFile(const std::string& path);

// Sets `out` from `text`, an RFC 3339 time; false, after saying on standard
// error what --`flag` should hold, when it is not one.
bool ParseTimeFlag(const char* flag, const std::string& text, google::protobuf::Timestamp* out);

// A channel to --server ($HIRS_SERVER, else 127.0.0.1:50051): TLS with
// --ca_file, mutual TLS with --cert_file and --key_file too.
std::shared_ptr<grpc::Channel> Channel();

// The bearer token (--token, else $HIRS_TOKEN, else the session of `hirs
// login`), if any; no deadline (a watch runs until interrupted).
void AddToken(grpc::ClientContext* context);
// The token and a deadline `timeout` from now.
void Authorize(grpc::ClientContext* context, absl::Duration timeout);
// The token and the --timeout_seconds deadline.
void Authorize(grpc::ClientContext* context);

// "INVALID_ARGUMENT: message" plus one indented line per field violation.
std::string Describe(int code, absl::string_view message, const google::rpc::Status& details);
std::string Describe(const grpc::Status& status);

// Prints `message` as JSON: indented, or on one line (JSON Lines).
bool PrintJson(const google::protobuf::Message& message, bool one_line = false);

// Prints the failure and returns its exit status.
int Failed(const grpc::Status& status);

// One unary call `call(context, response)` and its result printed as JSON.
template <typename Response, typename Call>
int Unary(Call call) {
  grpc::ClientContext context;
  Authorize(&context);
  Response response;
  grpc::Status status = call(&context, &response);
  if (!status.ok()) return Failed(status);
  return PrintJson(response) ? kExitOk : kExitRefused;
}

// Opens a watch with `open(context, from_cursor)` (--from_cursor) and
// prints each `Item` it sends as a JSON line, flushed, until it ends
// (interrupted, or ended by the server naming the cursor to resume from).
template <typename Item, typename Open>
int Follow(Open open) {
  grpc::ClientContext context;
  AddToken(&context);
  std::unique_ptr<grpc::ClientReader<Item>> reader = open(&context, absl::GetFlag(FLAGS_from_cursor));
  Item item;
  while (reader->Read(&item)) {
    PrintJson(item, /*one_line=*/true);
    std::fflush(stdout);
  }
  const grpc::Status status = reader->Finish();
  return status.ok() ? kExitOk : Failed(status);
}

// The list format --output asks for (table on a terminal by default);
// nullopt after saying why --output is wrong.
std::optional<ListFormat> ListFormatOrSay();

// Prints one page of a list as a table under `columns` (with the headings
// on the `first` page) or as JSON Lines.
template <typename Item>
void PrintPage(const std::vector<const Item*>& page, const std::vector<Column>& columns, ListFormat format,
               bool first) {
  std::string text;
  if (format == ListFormat::kTable) {
    text = FormatTable({page.begin(), page.end()}, columns, first);
  } else {
    for (const auto* item : page) text += JsonLine(*item);
  }
  std::fputs(text.c_str(), stdout);
}

// Pages of a list call, printed as a table under `columns` or as JSON
// Lines (--output); `call` fills a response for a request and `items`
// returns its items. Follows every page with --all.
template <typename Request, typename Response, typename Call, typename Items>
int ListPages(Request request, Call call, Items items, const std::vector<Column>& columns) {
  const std::optional<ListFormat> format = ListFormatOrSay();
  if (!format.has_value()) return kExitUsage;
  for (bool first = true;; first = false) {
    grpc::ClientContext context;
    Authorize(&context);
    Response response;
    grpc::Status status = call(&context, request, &response);
    if (!status.ok()) return Failed(status);
    const auto& listed = items(response);  // a copy, when `items` returns one, lives to the end of the loop
    std::vector<const google::protobuf::Message*> page;
    for (const auto& item : listed) page.push_back(&item);
    PrintPage(page, columns, *format, first);
    if (response.next_page_token().empty()) return kExitOk;
    if (!absl::GetFlag(FLAGS_all)) {
      std::fprintf(stderr, "more: pass --all to follow every page\n");
      return kExitOk;
    }
    request.set_page_token(response.next_page_token());
  }
}

}  // namespace hirs::cli

#endif  // HIRS_CLIENTS_CLI_CLI_H_
