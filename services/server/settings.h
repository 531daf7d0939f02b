// hirsd's settings, defined once: the fields of hirs.config.v1.ServerConfig
// (proto/hirs/config/v1/config.proto), each with its default and help in
// its `setting` option. From that one definition come the command line
// (--name=VALUE), the config file (--config=FILE.json, protobuf JSON),
// `hirsd --help`, and the ServerOptions the server starts with.
#ifndef HIRS_SERVICES_SERVER_SETTINGS_H_
#define HIRS_SERVICES_SERVER_SETTINGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hirs/config/v1/config.pb.h"
#include "services/server/server.h"

namespace hirs::server {

// What hirsd's command line asks for.
struct CommandLine {
  // Defaults, then the --config file, then the flags given.
  hirs::config::v1::ServerConfig settings;
  // --restore_from / --restore_backup_id: an offline restore, then exit.
  std::string restore_from;
  uint32_t restore_backup_id = 0;
  // --help: print Usage() and exit.
  bool help = false;
};

// Every setting at its default.
hirs::config::v1::ServerConfig DefaultSettings();

// Parses `args` (argv without the program name): --name=VALUE, --name VALUE,
// and for true/false settings --name and --noname. INVALID_ARGUMENT naming
// the flag for an unknown flag or a value of the wrong type; the config
// file's own errors (unreadable, unknown field) name the file.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The settings as the server takes them (units converted).
ServerOptions ToServerOptions(const hirs::config::v1::ServerConfig& settings);

// Every problem of `options` that can be seen without touching the disk or
// the network, each as "--flag: what is wrong", in one INVALID_ARGUMENT (or
// FAILED_PRECONDITION for plaintext on a non-loopback address). OK when
// there is none. Server::Start calls it first.
absl::Status ValidateOptions(const ServerOptions& options);

// The usage text: the command forms and one entry per setting, with its
// type, default and help.
std::string Usage();

}  // namespace hirs::server

#endif  // HIRS_SERVICES_SERVER_SETTINGS_H_
