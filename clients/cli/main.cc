// hirs: the command-line client of hirsd. `hirs help` lists the command
// groups, `hirs help GROUP` (or `hirs GROUP --help`) a group's commands,
// `hirs completion bash` prints bash completion. Each group lives in its own
// file (*_commands.cc); cli.h holds what they share.
//
// Results print as JSON; lists as a table on a terminal and JSON Lines
// otherwise (--output=table|json). The server and token default to
// $HIRS_SERVER (else 127.0.0.1:50051) and $HIRS_TOKEN. Exit status: 0
// success (and help), 1 the server refused something (each failure printed
// with its line), 2 bad usage or unreadable input, 3 the server could not
// be reached.
#include <cstdio>
#include <string>
#include <vector>

#include <algorithm>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/cli/cli.h"

namespace {

using hirs::cli::kExitOk;
using hirs::cli::kExitUsage;
using hirs::cli::kNotACommand;

struct Group {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& words);
  // Words that may follow the group's name (for completion).
  std::vector<const char*> words;
  const char* usage;
};

const std::vector<Group>& Groups() {
  static const auto* groups = new std::vector<Group>{
      {"submit",
       "submit reports",
       hirs::cli::SubmitCommand,
       {},
       R"(  hirs submit FILE.json           one report (a SubmitReportRequest or a bare Report)
  hirs submit FILE.jsonl          JSON Lines, one report a line, over the bulk stream
  hirs submit --csv FILE.csv      CSV in the column layout of deploy/examples/README.md
)"},
      {"reports",
       "your centre's reports and what became of them",
       hirs::cli::ReportCommand,
       {"get", "list", "amend", "withdraw", "consent", "watch"},
       R"(  hirs reports get REPORT_ID [--version N]           (N: an earlier version of an amended report; 1 as received)
  hirs reports amend REPORT_ID FILE.json --reason "..." [--etag E]   (FILE: the report as it should now read)
  hirs reports withdraw REPORT_ID --reason "..."      (the report leaves its case; its personal data is removed)
  hirs reports consent REPORT_ID --reason "..." [--share_with_police true|false] [--contact_victim true|false]
                       [--anonymous true|false]
  hirs reports list [--filter F] [--updated_since TIME] [--page_size N] [--all] [--output table|json]
  hirs reports watch [--filter F] [--from_cursor N]   each change to your reports, JSON Lines until interrupted
)"},
      {"cases",
       "the police's collated cases",
       hirs::cli::CasesCommand,
       {"get", "list", "reports", "history", "update", "merge", "split", "watch"},
       R"(  hirs cases get CASE_ID
  hirs cases list [--filter=F] [--page_size=N] [--all] [--output=table|json]
  hirs cases reports CASE_ID [--page_size=N] [--all] [--output=table|json]
  hirs cases history CASE_ID [--page_size=N] [--all] [--output=table|json]   its changes, newest first
  hirs cases update CASE_ID --etag=E [--status=S] [--crime_reference=R] [--outcome_note=N]
  hirs cases merge TARGET_CASE_ID SOURCE_CASE_ID... [--reason=R]
  hirs cases split REPORT_ID [--reason=R]
  hirs cases watch [--from_cursor=N]        JSON Lines until interrupted
)"},
      {"review",
       "the queue of uncertain matches",
       hirs::cli::ReviewCommand,
       {"list", "resolve"},
       R"(  hirs review list [--page_size=N] [--all] [--output=table|json]
  hirs review resolve REVIEW_ID merge --target=CASE_ID
  hirs review resolve REVIEW_ID keep-separate
)"},
      {"extract",
       "a district's monthly extract and summary report",
       hirs::cli::ExtractCommand,
       {"report"},
       R"(  hirs extract --district GSS --month YYYY-MM [--format csv|jsonl] [--as-of TIME] [-o FILE]
  hirs extract report --district GSS --month YYYY-MM [--as-of TIME] -o report.html
)"},
      {"login",
       "sign in as yourself (id or e-mail, password, authenticator code)",
       hirs::cli::LoginCommand,
       {},
       "  hirs login        asks on the terminal; the session is kept for the commands after it\n"},
      {"logout", "end your session", hirs::cli::LogoutCommand, {}, "  hirs logout\n"},
      {"admin",
       "principals, people, tokens, audit, retention, backups, the store",
       hirs::cli::AdminCommand,
       {"principals", "people", "token", "audit", "retention", "backup", "store"},
       R"(  hirs admin principals list [--output=table|json]
  hirs admin principals create ID --role=R [--scope=S] [--display_name=N] [--cert_names=A,B]
  hirs admin principals disable ID
  hirs admin people list [--output=table|json]
  hirs admin people create ID --role=R [--scope=S] --display_name=N --email=E   one-time password and
                                                  second-factor URI shown once
  hirs admin people disable|reset-password|reset-second-factor ID
  hirs admin token issue|rotate|revoke ID [--overlap=24h]     the token is shown once
  hirs admin audit verify
  hirs admin audit list [--case_id=ID] [--principal_id=ID] [--all] [--output=table|json]
  hirs admin retention run [--dry_run]
  hirs admin backup create | list | verify ID     (restore: hirsd --restore_from=DIR, offline)
  hirs admin store compact                        (minutes on a large store: --timeout_seconds=3600)
)"},
  };
  return *groups;
}

constexpr char kCommon[] =
    "Every command: --server=HOST:PORT ($HIRS_SERVER), --token=TOKEN ($HIRS_TOKEN, else hirs login's session),\n"
    "--timeout_seconds=N;\n"
    "--ca_file (and --cert_file, --key_file) for TLS (and mutual TLS), default $HIRS_CA_FILE, $HIRS_CERT_FILE,\n"
    "$HIRS_KEY_FILE. hirs help GROUP shows a group's commands; hirs completion bash prints bash completion.\n";

const Group* FindGroup(absl::string_view name) {
  if (name == "report") name = "reports";  // the group's singular name, still accepted
  for (const Group& g : Groups()) {
    if (name == g.name) return &g;
  }
  return nullptr;
}

std::string Usage() {
  std::string out = "usage: hirs GROUP COMMAND [flags]\n\ngroups:\n";
  for (const Group& g : Groups()) absl::StrAppend(&out, "  ", absl::StrFormat("%-9s", g.name), g.summary, "\n");
  absl::StrAppend(&out, "\n", kCommon);
  return out;
}

std::string GroupUsage(const Group& g) { return absl::StrCat("usage:\n", g.usage, "\n", kCommon); }

// Bash completion: groups, then each group's words, then flags.
std::string BashCompletion() {
  std::vector<std::string> groups;
  std::string cases;
  for (const Group& g : Groups()) {
    groups.push_back(g.name);
    absl::StrAppend(&cases, "    ", g.name, ") words=\"", absl::StrJoin(g.words, " "), "\" ;;\n");
  }
  std::vector<std::string> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::StrContains(flag->Filename(), "clients/cli/")) flags.push_back(absl::StrCat("--", name));
  }
  std::sort(flags.begin(), flags.end());
  return absl::StrCat(R"(# bash completion for hirs: source <(hirs completion bash)
_hirs() {
  local cur=${COMP_WORDS[COMP_CWORD]} words=""
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W ")",
                      absl::StrJoin(flags, " "), R"(" -- "$cur"))
    return
  fi
  if [[ $COMP_CWORD -eq 1 ]]; then
    words="help completion )",
                      absl::StrJoin(groups, " "), R"("
  elif [[ $COMP_CWORD -eq 2 ]]; then
    case ${COMP_WORDS[1]} in
)",
                      cases, R"(    help) words=")", absl::StrJoin(groups, " "), R"(" ;;
    completion) words="bash" ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _hirs hirs
)");
}

bool IsHelp(absl::string_view arg) { return arg == "--help" || arg == "-h" || arg == "-help" || arg == "--helpfull"; }

// Help and completion, asked for anywhere on the line; -1 when neither.
int HelpOrCompletion(const std::vector<std::string>& args) {
  std::vector<std::string> words;
  bool help = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (IsHelp(args[i])) {
      help = true;
    } else if (!absl::StartsWith(args[i], "-")) {
      words.push_back(args[i]);
    }
  }
  if (!words.empty() && words[0] == "completion") {
    if (words.size() == 2 && words[1] == "bash") {
      std::fputs(BashCompletion().c_str(), stdout);
      return kExitOk;
    }
    std::fputs("usage: hirs completion bash\n", stderr);
    return kExitUsage;
  }
  if (!words.empty() && words[0] == "help") {
    help = true;
    words.erase(words.begin());
  }
  if (!help) return -1;
  const Group* g = words.empty() ? nullptr : FindGroup(words[0]);
  std::fputs(g != nullptr ? GroupUsage(*g).c_str() : Usage().c_str(), stdout);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // The spellings the extract commands document: --as-of and -o.
  std::vector<std::string> spelled(argv, argv + argc);
  for (std::string& a : spelled) {
    if (a == "-o") a = "--output";
    if (absl::StartsWith(a, "--as-of")) a = absl::StrCat("--as_of", a.substr(7));
  }
  if (int rc = HelpOrCompletion(spelled); rc >= 0) return rc;
  absl::SetProgramUsageMessage(Usage());
  std::vector<char*> raw;
  for (std::string& a : spelled) raw.push_back(a.data());
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());
  std::vector<std::string> words(args.begin() + 1, args.end());
  const Group* group = words.empty() ? nullptr : FindGroup(words[0]);
  if (group == nullptr) {
    std::fputs(Usage().c_str(), stderr);
    return kExitUsage;
  }
  const int rc = group->run(words);
  if (rc != kNotACommand) return rc;
  std::fputs(GroupUsage(*group).c_str(), stderr);
  return kExitUsage;
}
