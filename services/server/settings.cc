#include "services/server/settings.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/area.h"
#include "google/protobuf/util/json_util.h"

namespace hirs::server {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using hirs::config::v1::ServerConfig;

const hirs::config::v1::Setting& SettingOf(const FieldDescriptor* field) {
  return field->options().GetExtension(hirs::config::v1::setting);
}

std::string FlagName(const FieldDescriptor* field) {
  const std::string& flag = SettingOf(field).flag();
  return flag.empty() ? field->name() : flag;
}

// The setting named `flag` on the command line, or nullptr.
const FieldDescriptor* FieldOfFlag(absl::string_view flag) {
  const google::protobuf::Descriptor* d = ServerConfig::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    if (FlagName(d->field(i)) == flag) return d->field(i);
  }
  return nullptr;
}

// Sets `field` of `message` from its command-line spelling.
absl::Status SetFromText(const FieldDescriptor* field, absl::string_view text, Message* message) {
  const Reflection* r = message->GetReflection();
  const std::string value(absl::StripAsciiWhitespace(text));
  bool ok = true;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(message, field, value);
      break;
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool b = false;
      ok = absl::SimpleAtob(value, &b);
      if (ok) r->SetBool(message, field, b);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t n = 0;
      ok = absl::SimpleAtoi(value, &n);
      if (ok) r->SetInt32(message, field, n);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t n = 0;
      ok = absl::SimpleAtoi(value, &n);
      if (ok) r->SetInt64(message, field, n);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t n = 0;
      ok = absl::SimpleAtoi(value, &n);
      if (ok) r->SetUInt64(message, field, n);
      break;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double d = 0;
      ok = absl::SimpleAtod(value, &d);
      if (ok) r->SetDouble(message, field, d);
      break;
    }
    default:
      ok = false;
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--", FlagName(field), ": \"", value, "\" is not a ", field->cpp_type_name()));
}

absl::Status MergeConfigFile(const std::string& path, ServerConfig* settings) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open config file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  ServerConfig file;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(buffer.str(), &file, parse);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, ": ", parsed.message().as_string()));
  }
  settings->MergeFrom(file);  // strings and bools merge when set; optional fields when present
  return absl::OkStatus();
}

struct Flag {
  std::string name;
  std::optional<std::string> value;  // after '='
};

// "--name=value", "-name", ... as a Flag; nullopt for an argument that is
// not a flag.
std::optional<Flag> SplitFlag(absl::string_view arg) {
  if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) return std::nullopt;
  const size_t eq = arg.find('=');
  if (eq == absl::string_view::npos) return Flag{std::string(arg), std::nullopt};
  return Flag{std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
}

std::string DefaultText(const FieldDescriptor* field) {
  const std::string& d = SettingOf(field).default_value();
  if (!d.empty()) return d;
  return field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL ? "false" : "";
}

}  // namespace

ServerConfig DefaultSettings() {
  ServerConfig settings;
  const google::protobuf::Descriptor* d = ServerConfig::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const std::string& value = SettingOf(d->field(i)).default_value();
    if (!value.empty()) {
      absl::Status s = SetFromText(d->field(i), value, &settings);
      if (!s.ok()) std::abort();  // config.proto's own default does not parse: a build defect
    }
  }
  return settings;
}

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine out;
  out.settings = DefaultSettings();
  std::string config_file;
  std::vector<std::pair<const FieldDescriptor*, std::string>> given;
  for (size_t i = 0; i < args.size(); ++i) {
    std::optional<Flag> flag = SplitFlag(args[i]);
    if (!flag.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", args[i], "\"; see hirsd --help"));
    }
    if (flag->name == "help" || flag->name == "helpfull" || flag->name == "h") {
      out.help = true;
      continue;
    }
    const FieldDescriptor* field = FieldOfFlag(flag->name);
    const bool is_bool = field != nullptr && field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL;
    if (field == nullptr && absl::StartsWith(flag->name, "no") && !flag->value.has_value()) {
      const FieldDescriptor* negated = FieldOfFlag(flag->name.substr(2));
      if (negated != nullptr && negated->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
        given.emplace_back(negated, "false");
        continue;
      }
    }
    if (!flag->value.has_value()) {
      if (is_bool) {
        flag->value = "true";
      } else if (i + 1 < args.size()) {
        flag->value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", flag->name, " needs a value"));
      }
    }
    if (flag->name == "config") {
      config_file = *flag->value;
    } else if (flag->name == "restore_from") {
      out.restore_from = *flag->value;
    } else if (flag->name == "restore_backup_id") {
      if (!absl::SimpleAtoi(*flag->value, &out.restore_backup_id)) {
        return absl::InvalidArgumentError(absl::StrCat("--restore_backup_id: \"", *flag->value, "\" is not a number"));
      }
    } else if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", flag->name, "; see hirsd --help"));
    } else {
      given.emplace_back(field, *flag->value);
    }
  }
  if (!config_file.empty()) {
    absl::Status s = MergeConfigFile(config_file, &out.settings);
    if (!s.ok()) return s;
  }
  for (const auto& [field, value] : given) {
    absl::Status s = SetFromText(field, value, &out.settings);
    if (!s.ok()) return s;
  }
  return out;
}

ServerOptions ToServerOptions(const ServerConfig& s) {
  ServerOptions o;
  o.listen = s.listen();
  o.data_dir = s.data_dir();
  o.principals_file = s.principals_file();
  o.hmac_key_file = s.hmac_key_file();
  o.sync_writes = s.sync_writes();
  o.postcode_directory = s.postcode_directory();
  o.metrics_listen = s.metrics_listen();
  o.collation.attach_threshold = s.attach_threshold();
  o.collation.review_threshold = s.review_threshold();
  o.collation.attach_threshold_without_identity = s.attach_threshold_without_identity();
  o.extract_suppression_max = s.extract_suppression_max();
  o.tls_cert_file = s.tls_cert_file();
  o.tls_key_file = s.tls_key_file();
  o.tls_client_ca_file = s.tls_client_ca_file();
  o.tls_require_client_cert = s.tls_require_client_cert();
  o.rate_limit_per_second = s.rate_limit_per_second();
  o.rate_limit_burst = s.rate_limit_burst();
  o.nchi_review_period = absl::Hours(24) * s.nchi_review_days();
  o.retention_interval = absl::Hours(s.retention_interval_hours());
  o.backup_dir = s.backup_dir();
  o.health_listen = s.health_listen();
  // Clamped before the shifts so that no value wraps into the accepted
  // range; ValidateOptions refuses what is outside it.
  o.min_free_disk_bytes = std::min<uint64_t>(s.min_free_disk_mb(), uint64_t{1} << 40) << 20;
  o.force_area = s.force_area();
  o.summary_releases = s.summary_releases();
  if (s.has_worker_threads()) {
    o.worker_threads = s.worker_threads();
  } else if (s.replication() == "etcd") {
    o.worker_threads = kReplicatedWorkerThreads;
  }
  o.read_threads = s.read_threads();
  o.block_cache_bytes = static_cast<size_t>(std::clamp<int64_t>(s.block_cache_mb(), 0, int64_t{1} << 30)) << 20;
  o.learn_from_reviews = s.learn_from_reviews();
  o.watch.stall_limit = absl::Seconds(s.watch_stall_limit_seconds());
  o.watch.max_per_principal = static_cast<size_t>(std::max(0, s.watches_per_principal()));
  o.max_queued_calls = static_cast<size_t>(std::max(0, s.max_queued_calls()));
  o.max_message_bytes = std::clamp(s.max_message_kb(), 0, 1 << 20) << 10;
  o.tls_reload_seconds = s.tls_reload_seconds();
  o.http_listen = s.http_listen();
  o.http_threads = s.http_threads();
  o.session_idle = absl::Seconds(s.session_idle_seconds());
  o.session_absolute = absl::Hours(s.session_max_hours());
  o.replication = s.replication();
  for (absl::string_view e : absl::StrSplit(s.etcd_endpoints(), ',', absl::SkipWhitespace())) {
    o.etcd_endpoints.emplace_back(absl::StripAsciiWhitespace(e));
  }
  o.etcd_ca_file = s.etcd_ca_file();
  o.etcd_cert_file = s.etcd_cert_file();
  o.etcd_key_file = s.etcd_key_file();
  o.replica_id = s.replica_id();
  o.advertise = s.advertise();
  o.cluster = s.cluster();
  o.replication_lease = absl::Seconds(s.replication_lease_seconds());
  o.replication_keep_entries = static_cast<uint64_t>(std::max<int64_t>(0, s.replication_keep_entries()));
  return o;
}

namespace {

// Replicated mode's settings: all of them or none.
void CheckReplication(const ServerOptions& o, std::vector<std::string>* problems) {
  if (o.replication.empty()) {
    if (!o.etcd_endpoints.empty() || !o.replica_id.empty() || !o.cluster.empty()) {
      problems->push_back("--etcd_endpoints, --replica_id and --cluster need --replication=etcd");
    }
    return;
  }
  if (o.replication != "etcd") {
    problems->push_back(absl::StrCat("--replication must be etcd or empty (it is \"", o.replication, "\")"));
    return;
  }
  if (o.etcd_endpoints.empty()) problems->push_back("--replication=etcd needs --etcd_endpoints");
  if (o.replica_id.empty()) problems->push_back("--replication=etcd needs --replica_id");
  if (o.advertise.empty()) problems->push_back("--replication=etcd needs --advertise (HOST:PORT)");
  if (o.cluster.empty() || o.cluster.find('/') != std::string::npos) {
    problems->push_back("--replication=etcd needs --cluster, a name without '/'");
  }
  if (o.hmac_key_file.empty()) {
    problems->push_back("--replication=etcd needs --hmac_key_file: every replica must hold the same key");
  }
  if (o.replication_lease < absl::Seconds(2) || o.replication_lease > absl::Seconds(60)) {
    problems->push_back("--replication_lease_seconds must be between 2 and 60");
  }
  if (o.replication_keep_entries < 1 || o.replication_keep_entries > 1000000) {
    problems->push_back("--replication_keep_entries must be between 1 and 1000000");
  }
}

bool IsLoopback(absl::string_view listen) {
  const size_t colon = listen.rfind(':');
  absl::string_view host = colon == absl::string_view::npos ? listen : listen.substr(0, colon);
  return host == "localhost" || host == "[::1]" || absl::StartsWith(host, "127.");
}

void CheckTls(const ServerOptions& o, std::vector<std::string>* problems) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    problems->push_back("give both --tls_cert_file and --tls_key_file, or neither");
  }
  if (o.tls_cert_file.empty() && (!o.tls_client_ca_file.empty() || o.tls_require_client_cert)) {
    problems->push_back("client certificates need TLS: give --tls_cert_file and --tls_key_file");
  }
  if (o.tls_require_client_cert && o.tls_client_ca_file.empty()) {
    problems->push_back("--tls_require_client_cert needs --tls_client_ca_file");
  }
}

void CheckRanges(const ServerOptions& o, std::vector<std::string>* problems) {
  for (const auto& [flag, threads] : {std::pair<const char*, int>{"--worker_threads", o.worker_threads},
                                      std::pair<const char*, int>{"--read_threads", o.read_threads},
                                      std::pair<const char*, int>{"--http_threads", o.http_threads}}) {
    if (threads < 1 || threads > 1024) {
      problems->push_back(absl::StrCat(flag, " must be between 1 and 1024 (it is ", threads, ")"));
    }
  }
  if (o.block_cache_bytes < (size_t{8} << 20) || o.block_cache_bytes > (size_t{64} << 30)) {
    problems->push_back(
        absl::StrCat("--block_cache_mb must be between 8 and 65536 (it is ", o.block_cache_bytes >> 20, ")"));
  }
  if (o.summary_releases != "monthly" && o.summary_releases != "every_change") {
    problems->push_back(
        absl::StrCat("--summary_releases must be monthly or every_change (it is \"", o.summary_releases, "\")"));
  }
  if (o.extract_suppression_max < 0) problems->push_back("--extract_suppression_max must be 0 or more");
  if (o.rate_limit_per_second < 0 || o.rate_limit_burst < 0) {
    problems->push_back("--rate_limit_per_second and --rate_limit_burst must not be negative");
  }
  if (o.nchi_review_period < absl::ZeroDuration()) problems->push_back("--nchi_review_days must not be negative");
  if (o.retention_interval < absl::ZeroDuration()) {
    problems->push_back("--retention_interval_hours must not be negative");
  }
  if (o.watch.stall_limit <= absl::ZeroDuration()) problems->push_back("--watch_stall_limit_seconds must be above 0");
  if (o.watch.max_per_principal < 1) problems->push_back("--watches_per_principal must be at least 1");
  if (o.max_queued_calls < 1 || o.max_queued_calls > (1 << 20)) {
    problems->push_back(absl::StrCat("--max_queued_calls must be between 1 and ", 1 << 20));
  }
  if (o.max_message_bytes < (1 << 10) || o.max_message_bytes > (64 << 20)) {
    problems->push_back("--max_message_kb must be between 1 and 65536");
  }
  if (o.tls_reload_seconds < 1) problems->push_back("--tls_reload_seconds must be at least 1");
  if (o.session_idle < absl::Seconds(1) || o.session_idle > o.session_absolute) {
    problems->push_back("--session_idle_seconds must be at least 1 and no longer than --session_max_hours");
  }
  if (o.session_absolute < absl::Hours(1) || o.session_absolute > absl::Hours(24 * 7)) {
    problems->push_back("--session_max_hours must be between 1 and 168");
  }
  if (o.collation.review_threshold > o.collation.attach_threshold) {
    problems->push_back("--review_threshold must not exceed --attach_threshold");
  }
  CheckReplication(o, problems);
  if (ForceAreaDistricts(o.force_area) == nullptr) {
    problems->push_back(absl::StrCat("--force_area \"", o.force_area,
                                     "\" is not a police force area this build serves (", kLeicestershireForceArea,
                                     ": Leicestershire)"));
  }
}

}  // namespace

absl::Status ValidateOptions(const ServerOptions& o) {
  std::vector<std::string> problems;
  if (o.data_dir.empty()) problems.push_back("--data_dir is required");
  if (o.principals_file.empty()) problems.push_back("--principals is required");
  CheckRanges(o, &problems);
  CheckTls(o, &problems);
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  for (const std::string& listen : {o.listen, o.http_listen}) {
    if (o.tls_cert_file.empty() && !listen.empty() && !IsLoopback(listen)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing plaintext on ", listen,
          ": without TLS hirsd listens on a loopback address only; give --tls_cert_file and --tls_key_file"));
    }
  }
  return absl::OkStatus();
}

std::string Usage() {
  std::string out =
      "hirsd: the hirs server.\n\n"
      "  hirsd --listen=HOST:PORT --data_dir=DIR --principals=FILE [settings]\n"
      "  hirsd --config=FILE.json [settings]      settings from a file (hirs.config.v1.ServerConfig, JSON);\n"
      "                                           flags given override it\n"
      "  hirsd --data_dir=DIR --restore_from=BACKUP_DIR [--restore_backup_id=N]\n"
      "                                           offline restore into DIR/db (N: 0 for the newest), then exit\n\n"
      "Settings (the same names in the config file):\n";
  const google::protobuf::Descriptor* d = ServerConfig::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    absl::StrAppend(&out, "  --", FlagName(f), "=", absl::AsciiStrToUpper(f->cpp_type_name()));
    if (FlagName(f) != f->name()) absl::StrAppend(&out, "  (config file: ", f->name(), ")");
    const std::string def = DefaultText(f);
    absl::StrAppend(&out, "\n      ", SettingOf(f).help(), def.empty() ? "" : absl::StrCat(" (default ", def, ")"),
                    "\n");
  }
  return out;
}

}  // namespace hirs::server
