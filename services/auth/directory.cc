#include "services/auth/directory.h"

#include <openssl/rand.h>

#include <algorithm>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/bad_request.h"
#include "common/civil_time.h"
#include "common/field_behavior.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/keys.h"

namespace hirs::auth {
namespace {

using hirs::store::v1::StoredPrincipal;

// "hirs_" + 256 random bits, base64url: recognisable by secret scanners.
absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return absl::InternalError("the random number generator failed");
  return absl::StrCat("hirs_", absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<char*>(bytes), 32)));
}

void SortById(std::vector<StoredPrincipal>* records) {
  std::sort(records->begin(), records->end(),
            [](const StoredPrincipal& a, const StoredPrincipal& b) { return a.principal().id() < b.principal().id(); });
}

// The store's records, and the file's for ids the store does not hold.
std::vector<StoredPrincipal> Merged(const std::vector<StoredPrincipal>& stored,
                                    const std::vector<StoredPrincipal>& file) {
  std::vector<StoredPrincipal> out = stored;
  for (const StoredPrincipal& f : file) {
    const bool overridden = std::any_of(stored.begin(), stored.end(), [&](const StoredPrincipal& s) {
      return s.principal().id() == f.principal().id();
    });
    if (!overridden) out.push_back(f);
  }
  SortById(&out);
  return out;
}

// Reports once belonged to the principal that sent them (their
// reporting_centre was its id); they belong to its centre, its scope, now.
// A centre principal whose id is not its scope (nor any principal's scope)
// and which sent reports then would lose sight of them: the problem, with
// the remedy, nullopt if none.
absl::StatusOr<std::optional<std::string>> SentReportsUnderItsId(const storage::Store& store,
                                                                 const hirs::v1::Principal& p,
                                                                 const std::vector<StoredPrincipal>& all) {
  if (p.role() != hirs::v1::REPORTING_CENTRE || p.id() == p.scope()) return std::nullopt;
  for (const StoredPrincipal& other : all) {
    if (other.principal().scope() == p.id()) return std::nullopt;
  }
  bool sent = false;
  RETURN_IF_ERROR(store.Scan(storage::Family::kRequests, storage::RequestKeyPrefix(p.id()), 1,
                             [&](absl::string_view, absl::string_view) {
                               sent = true;
                               return false;
                             }));
  if (!sent) return std::nullopt;
  return absl::StrCat("it sent reports that belong to centre \"", p.id(), "\" (its id), which its scope \"", p.scope(),
                      "\" would hide from it: give it scope \"", p.id(),
                      "\", or a new id if it now works for centre \"", p.scope(), "\"");
}

}  // namespace

hirs::v1::Principal PublicView(const StoredPrincipal& record) {
  hirs::v1::Principal out = record.principal();
  out.clear_token_sha256();
  return out;
}

PrincipalDirectory::PrincipalDirectory(storage::Store* store, std::function<absl::Time()> clock, std::string force_area)
    : store_(store), clock_(std::move(clock)), force_area_(std::move(force_area)) {}

absl::StatusOr<std::unique_ptr<PrincipalDirectory>> PrincipalDirectory::Open(
    storage::Store* store, std::vector<StoredPrincipal> file_principals, std::function<absl::Time()> clock,
    std::string force_area) {
  std::unique_ptr<PrincipalDirectory> d(new PrincipalDirectory(store, std::move(clock), std::move(force_area)));
  absl::MutexLock lock(&d->mu_);
  d->file_ = std::move(file_principals);
  RETURN_IF_ERROR(store->Scan(storage::Family::kPrincipals, "", 0, [&](absl::string_view, absl::string_view value) {
    StoredPrincipal record;
    if (record.ParseFromString(std::string(value))) d->stored_.push_back(std::move(record));
    return true;
  }));
  for (const StoredPrincipal& f : d->file_) {
    for (const StoredPrincipal& s : d->stored_) {
      if (s.principal().id() == f.principal().id()) {
        LogInfo(absl::StrCat("principal ", f.principal().id(),
                             " is managed through AdminService: its entry in the principals file is ignored"));
      }
    }
  }
  // A principal whose scope this deployment does not serve must not
  // authenticate: the file's stop the start (the file is to be corrected);
  // the store's are kept disabled, so that hirsd still starts and an
  // administrator can see them (hirs admin principals list).
  const std::vector<StoredPrincipal> all = d->Effective();
  for (StoredPrincipal& record : d->stored_) {
    if (record.principal().disabled()) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> problem, d->StartProblem(record.principal(), all));
    if (problem.has_value()) {
      LogError(absl::StrCat("principal ", record.principal().id(),
                            " (managed through AdminService) is disabled: ", *problem));
      record.mutable_principal()->set_disabled(true);
    }
  }
  for (const StoredPrincipal& record : d->Effective()) {
    if (record.principal().disabled()) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> problem, d->StartProblem(record.principal(), all));
    if (problem.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("principal \"", record.principal().id(), "\" in the principals file: ", *problem));
    }
  }
  auto registry = PrincipalRegistry::FromRecords(d->Effective());
  if (!registry.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the principals file and the store's principals conflict: ", registry.status().message()));
  }
  d->registry_ = *std::move(registry);
  return d;
}

absl::StatusOr<std::optional<std::string>> PrincipalDirectory::StartProblem(
    const hirs::v1::Principal& principal, const std::vector<StoredPrincipal>& all) const {
  if (auto problem = ScopeProblem(principal, force_area_)) return problem->description;
  return SentReportsUnderItsId(*store_, principal, all);
}

std::vector<StoredPrincipal> PrincipalDirectory::Effective() const { return Merged(stored_, file_); }

std::vector<hirs::v1::Principal> PrincipalDirectory::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<hirs::v1::Principal> out;
  for (const StoredPrincipal& record : Effective()) out.push_back(PublicView(record));
  return out;
}

absl::StatusOr<StoredPrincipal> PrincipalDirectory::Find(absl::string_view id) const {
  for (const StoredPrincipal& record : Effective()) {
    if (record.principal().id() == id) return record;
  }
  return absl::NotFoundError(absl::StrCat("no principal \"", id, "\""));
}

absl::StatusOr<hirs::v1::Principal> PrincipalDirectory::Save(StoredPrincipal record) {
  const absl::Time now = clock_();
  record.mutable_principal()->set_source("store");
  *record.mutable_updated_at() = ToTimestamp(now);
  if (!record.has_created_at()) *record.mutable_created_at() = ToTimestamp(now);
  std::vector<StoredPrincipal> next = stored_;
  auto it = std::find_if(next.begin(), next.end(),
                         [&](const StoredPrincipal& s) { return s.principal().id() == record.principal().id(); });
  if (it != next.end()) {
    *it = record;
  } else {
    next.push_back(record);
  }
  std::vector<StoredPrincipal> effective = Merged(next, file_);
  // Check the whole set first: a registry refusing it leaves nothing changed.
  auto check = PrincipalRegistry::FromRecords(effective);
  if (!check.ok()) return absl::AlreadyExistsError(std::string(check.status().message()));
  storage::WriteBatch batch;
  batch.Put(storage::Family::kPrincipals, record.principal().id(), record.SerializeAsString());
  RETURN_IF_ERROR(store_->Write(std::move(batch)));
  stored_ = std::move(next);
  RETURN_IF_ERROR(registry_->Replace(effective));
  return PublicView(record);
}

absl::StatusOr<hirs::v1::Principal> PrincipalDirectory::Create(const hirs::v1::Principal& principal) {
  hirs::v1::Principal p = principal;
  p.clear_token_sha256();  // input only in files
  ClearOutputOnlyFields(&p);
  p.set_disabled(false);
  auto problem = PrincipalProblem(p);
  if (!problem.has_value()) problem = ScopeProblem(p, force_area_);
  if (problem.has_value()) {
    return InvalidArgumentWithViolations({{absl::StrCat("principal.", problem->field), problem->description}});
  }
  absl::MutexLock lock(&mu_);
  if (Find(p.id()).ok()) return absl::AlreadyExistsError(absl::StrCat("principal \"", p.id(), "\" exists"));
  StoredPrincipal record;
  *record.mutable_principal() = std::move(p);
  return Save(std::move(record));
}

absl::StatusOr<hirs::v1::Principal> PrincipalDirectory::Disable(absl::string_view id, absl::string_view caller_id) {
  if (id == caller_id) {
    return absl::FailedPreconditionError(
        "a principal cannot disable itself: ask another administrator (this keeps the last one from locking "
        "everyone out)");
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StoredPrincipal record, Find(id));
  record.mutable_principal()->set_disabled(true);
  return Save(std::move(record));
}

absl::StatusOr<hirs::v1::IssueTokenResponse> PrincipalDirectory::IssueToken(
    const hirs::v1::IssueTokenRequest& request) {
  std::vector<FieldViolation> violations;
  if (request.principal_id().empty()) violations.push_back({"principal_id", "give the principal's id"});
  absl::Duration overlap = absl::ZeroDuration();
  if (request.has_previous_token_valid_for()) {
    overlap = absl::Seconds(request.previous_token_valid_for().seconds()) +
              absl::Nanoseconds(request.previous_token_valid_for().nanos());
    if (overlap < absl::ZeroDuration() || overlap > kMaxTokenOverlap) {
      violations.push_back({"previous_token_valid_for", "must be between 0 and 7 days"});
    }
  }
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  ASSIGN_OR_RETURN(std::string token, NewToken());
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StoredPrincipal record, Find(request.principal_id()));
  if (record.principal().disabled()) {
    return absl::FailedPreconditionError(
        absl::StrCat("principal \"", request.principal_id(), "\" is disabled; create a new principal instead"));
  }
  const absl::Time now = clock_();
  hirs::v1::Principal* p = record.mutable_principal();
  if (overlap > absl::ZeroDuration() && !p->token_sha256().empty()) {
    record.set_previous_token_sha256(p->token_sha256());
    *p->mutable_previous_token_expires_at() = ToTimestamp(now + overlap);
  } else {
    record.clear_previous_token_sha256();
    p->clear_previous_token_expires_at();
  }
  p->set_token_sha256(TokenSha256Hex(token));
  *p->mutable_token_issued_at() = ToTimestamp(now);
  ASSIGN_OR_RETURN(hirs::v1::Principal saved, Save(std::move(record)));
  hirs::v1::IssueTokenResponse response;
  response.set_token(token);
  *response.mutable_principal() = std::move(saved);
  return response;
}

absl::StatusOr<hirs::v1::Principal> PrincipalDirectory::RevokeToken(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StoredPrincipal record, Find(id));
  record.mutable_principal()->clear_token_sha256();
  record.mutable_principal()->clear_token_issued_at();
  record.mutable_principal()->clear_previous_token_expires_at();
  record.clear_previous_token_sha256();
  return Save(std::move(record));
}

}  // namespace hirs::auth
