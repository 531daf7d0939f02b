// hirs login | logout: a person's session, kept for the commands after it
// in the user's configuration directory (SessionFile), mode 0600.
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "clients/cli/cli.h"
#include "hirs/v1/session_service.grpc.pb.h"

namespace hirs::cli {
namespace {

// One line of standard input after `prompt` (on standard error), without
// echoing it when `secret` and standard input is a terminal.
std::string Ask(const char* prompt, bool secret) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  termios saved{};
  const bool hide = secret && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (hide) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (hide) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fputs("\n", stderr);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Writes `token` to SessionFile(), readable by its owner only.
bool SaveSession(const std::string& token) {
  const std::string path = SessionFile();
  const std::string dir = path.substr(0, path.rfind('/'));
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    ::mkdir(dir.substr(0, slash).c_str(), 0700);  // each parent, as `mkdir -p`
    if (slash == std::string::npos) break;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0 ||
      ::write(fd, token.data(), token.size()) != static_cast<ssize_t>(token.size())) {
    std::fprintf(stderr, "error: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return false;
  }
  return ::close(fd) == 0;
}

// Sets up the second factor of a session that must (a first sign-in with
// the one-time password and no code): shows the otpauth:// URI to add to an
// authenticator app, then confirms a code from it. The exit code.
int EnrolSecondFactor(hirs::v1::SessionService::Stub& stub) {
  grpc::ClientContext asking;
  Authorize(&asking);
  hirs::v1::SecondFactorEnrolment enrolment;
  grpc::Status status = stub.GetSecondFactorEnrolment(&asking, {}, &enrolment);
  if (!status.ok()) return Failed(status);
  std::fprintf(stderr,
               "set up your authenticator app: add this account to it (or scan it as a QR code, e.g. with "
               "qrencode -t ansiutf8):\n  %s\n",
               enrolment.totp_uri().c_str());
  hirs::v1::ConfirmSecondFactorRequest confirm;
  confirm.set_code(Ask("the code your authenticator now shows: ", false));
  grpc::ClientContext confirming;
  Authorize(&confirming);
  hirs::v1::ConfirmSecondFactorResponse confirmed;
  status = stub.ConfirmSecondFactor(&confirming, confirm, &confirmed);
  if (!status.ok()) return Failed(status);
  std::fprintf(stderr, "second factor set up\n");
  return kExitOk;
}

}  // namespace

int LoginCommand(const std::vector<std::string>& words) {
  if (words.size() != 1) return kNotACommand;
  hirs::v1::SignInRequest request;
  request.set_login(Ask("id or e-mail: ", false));
  request.set_password(Ask("password: ", true));
  request.set_code(Ask("code from your authenticator (none yet at a first sign-in: leave empty): ", false));
  auto stub = hirs::v1::SessionService::NewStub(Channel());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_timeout_seconds))));
  hirs::v1::SignInResponse session;
  const grpc::Status status = stub->SignIn(&context, request, &session);
  if (!status.ok()) return Failed(status);
  if (!SaveSession(session.session_token())) return kExitUsage;
  std::fprintf(stderr, "signed in as %s until %s\n", session.person().person_id().c_str(),
               absl::FormatTime(absl::FromUnixSeconds(session.expire_time().seconds())).c_str());
  if (session.must_enrol_second_factor()) {
    if (const int enrolled = EnrolSecondFactor(*stub); enrolled != kExitOk) return enrolled;
  }
  if (!session.must_change_password()) return kExitOk;
  hirs::v1::ChangePasswordRequest change;
  change.set_current_password(request.password());
  change.set_new_password(Ask("choose a new password (12 or more characters): ", true));
  if (Ask("the new password again: ", true) != change.new_password()) {
    std::fprintf(stderr, "error: the two differ; run hirs login again\n");
    return kExitUsage;
  }
  grpc::ClientContext changing;
  Authorize(&changing);
  hirs::v1::ChangePasswordResponse changed;
  const grpc::Status set = stub->ChangePassword(&changing, change, &changed);
  if (!set.ok()) return Failed(set);
  std::fprintf(stderr, "password changed\n");
  return kExitOk;
}

int LogoutCommand(const std::vector<std::string>& words) {
  if (words.size() != 1) return kNotACommand;
  const std::string path = SessionFile();
  auto stub = hirs::v1::SessionService::NewStub(Channel());
  grpc::ClientContext context;
  Authorize(&context);
  hirs::v1::SignOutResponse out;
  const grpc::Status status = stub->SignOut(&context, hirs::v1::SignOutRequest(), &out);
  std::remove(path.c_str());  // whatever the server said: this machine forgets it
  if (!status.ok() && status.error_code() != grpc::StatusCode::UNAUTHENTICATED) return Failed(status);
  std::fprintf(stderr, "signed out\n");
  return kExitOk;
}

}  // namespace hirs::cli
