#include <grpcpp/support/error_details.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clients/cli/cli.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, server, "",
          "hirsd address HOST:PORT, or a replicated cluster's replicas HOST:PORT,HOST:PORT,... (the leader is found) "
          "(default $HIRS_SERVER, else 127.0.0.1:50051)");
ABSL_FLAG(std::string, token, "", "bearer token (default $HIRS_TOKEN, else the session of hirs login)");
ABSL_FLAG(int, timeout_seconds, 30, "deadline of each call; a bulk submission gets this per report");
ABSL_FLAG(int, page_size, 0,
          "cases list, cases reports, review list, reports list: items per page (server default 50; 20 for cases "
          "reports)");
ABSL_FLAG(std::string, reason, "",
          "cases merge, cases split, reports amend, reports withdraw, reports consent: why (required for reports; no "
          "personal data)");
ABSL_FLAG(std::string, etag, "",
          "cases update, reports amend: the etag of the case or report as last read (a change made since is refused)");
ABSL_FLAG(uint64_t, from_cursor, 0, "cases watch, reports watch: the last cursor processed (0: from the start)");
ABSL_FLAG(bool, all, false, "cases list, cases reports, review list, reports list: follow every page");
ABSL_FLAG(std::string, filter, "",
          "cases list, reports list: an AIP-160 filter, e.g. 'district_code = \"E07000130\" AND status = OPEN'");
ABSL_FLAG(std::string, output, "",
          "lists: table or json (JSON Lines); default table on a terminal, json otherwise. extract: the file to write "
          "instead of standard output (also -o)");
ABSL_FLAG(std::string, ca_file, "", "TLS: the CA certificate(s) to trust for the server (default $HIRS_CA_FILE)");
ABSL_FLAG(std::string, cert_file, "", "mutual TLS: this client's certificate chain (default $HIRS_CERT_FILE)");
ABSL_FLAG(std::string, key_file, "", "mutual TLS: this client's private key (default $HIRS_KEY_FILE)");

namespace hirs::cli {
namespace {

// A flag's value, else the environment variable's.
std::string FlagOrEnv(const std::string& flag, const char* env) {
  if (!flag.empty()) return flag;
  const char* v = std::getenv(env);
  return v == nullptr ? "" : v;
}

}  // namespace

bool ParseTimeFlag(const char* flag, const std::string& text, google::protobuf::Timestamp* out) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    std::fprintf(stderr, "error: --%s must be an RFC 3339 time such as 2026-11-01T09:00:00Z (%s)\n", flag,
                 error.c_str());
    return false;
  }
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(absl::ToUnixSeconds(t))) / absl::Nanoseconds(1)));
  return true;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

namespace {

// Plaintext, TLS with --ca_file, or mutual TLS with --cert_file and
// --key_file too.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() {
  const std::string ca = FlagOrEnv(absl::GetFlag(FLAGS_ca_file), "HIRS_CA_FILE");
  if (ca.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions tls;
  auto read = [](const std::string& path) {
    absl::StatusOr<std::string> content = ReadFile(path);
    if (!content.ok()) {
      std::fprintf(stderr, "error: cannot read %s\n", path.c_str());
      std::exit(kExitUsage);
    }
    return *std::move(content);
  };
  tls.pem_root_certs = read(ca);
  const std::string cert = FlagOrEnv(absl::GetFlag(FLAGS_cert_file), "HIRS_CERT_FILE");
  const std::string key = FlagOrEnv(absl::GetFlag(FLAGS_key_file), "HIRS_KEY_FILE");
  if (!cert.empty() || !key.empty()) {
    tls.pem_cert_chain = read(cert);
    tls.pem_private_key = read(key);
  }
  return grpc::SslCredentials(tls);
}

// Whether the hirsd behind `channel` serves (a replicated cluster's
// leader; any single node), by grpc.health.v1 within `timeout`.
bool Serving(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return health->Check(&context, request, &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

}  // namespace

std::shared_ptr<grpc::Channel> Channel() {
  std::string server = FlagOrEnv(absl::GetFlag(FLAGS_server), "HIRS_SERVER");
  if (server.empty()) server = "127.0.0.1:50051";
  const std::shared_ptr<grpc::ChannelCredentials> credentials = ChannelCredentials();
  const std::vector<std::string> servers = absl::StrSplit(server, ',', absl::SkipWhitespace());
  if (servers.size() <= 1) return grpc::CreateChannel(server, credentials);
  // Replicas of a cluster: the one that serves (the leader), else the
  // first, whose answer then names the leader.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const std::string& s : servers) channels.push_back(grpc::CreateChannel(s, credentials));
  for (const auto& c : channels) {
    if (Serving(c, absl::Seconds(2))) return c;
  }
  return channels.front();
}

std::string SessionFile() {
  const char* config = std::getenv("XDG_CONFIG_HOME");
  if (config != nullptr && config[0] == '/') return absl::StrCat(config, "/hirs/session");
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "", "/.config/hirs/session");
}

void AddToken(grpc::ClientContext* context) {
  std::string token = FlagOrEnv(absl::GetFlag(FLAGS_token), "HIRS_TOKEN");
  if (token.empty()) {
    absl::StatusOr<std::string> session = ReadFile(SessionFile());
    if (session.ok()) token = std::string(absl::StripAsciiWhitespace(*session));
  }
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

void Authorize(grpc::ClientContext* context, absl::Duration timeout) {
  AddToken(context);
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

void Authorize(grpc::ClientContext* context) {
  Authorize(context, absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds)));
}

std::string Describe(int code, absl::string_view message, const google::rpc::Status& details) {
  std::string out = absl::StrCat(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)), ": ", message);
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) absl::StrAppend(&out, "\n    ", v.field(), ": ", v.description());
    }
  }
  return out;
}

std::string Describe(const grpc::Status& status) {
  google::rpc::Status details;
  grpc::ExtractErrorDetails(status, &details).IgnoreError();
  return Describe(status.error_code(), status.error_message(), details);
}

bool PrintJson(const google::protobuf::Message& message, bool one_line) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = !one_line;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return false;
  std::printf("%s%s", json.c_str(), one_line ? "\n" : "");
  return true;
}

int Failed(const grpc::Status& status) {
  std::fprintf(stderr, "error: %s\n", Describe(status).c_str());
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ? kExitUnreachable : kExitRefused;
}

std::optional<ListFormat> ListFormatOrSay() {
  absl::StatusOr<ListFormat> format = ResolveListFormat(absl::GetFlag(FLAGS_output), isatty(STDOUT_FILENO) != 0);
  if (format.ok()) return *format;
  std::fprintf(stderr, "error: %s\n", std::string(format.status().message()).c_str());
  return std::nullopt;
}

}  // namespace hirs::cli
