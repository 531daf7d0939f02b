#include "services/query/pager.h"

#include <algorithm>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "services/query/page_token.h"

namespace hirs::query {

Pager::Pager(const collation::KeyedHasher& hasher, std::string scope, int32_t page_size, const std::string& page_token,
             absl::Time now, std::vector<FieldViolation>* violations, int default_size, int max_size)
    : hasher_(hasher), scope_(std::move(scope)), now_(now) {
  if (page_size < 0) {
    violations->push_back(
        {"page_size", absl::StrCat("must not be negative; leave it 0 for the default of ", default_size)});
  }
  page_size_ = page_size <= 0 ? default_size : std::min(page_size, max_size);
  if (page_token.empty()) return;
  absl::StatusOr<std::string> decoded = DecodePageToken(hasher_, scope_, page_token, now_);
  if (decoded.ok()) {
    after_ = cursor_ = *std::move(decoded);
  } else {
    for (auto& v : FieldViolationsOf(decoded.status())) violations->push_back(std::move(v));
  }
}

bool Pager::Visit(absl::string_view key, int taken) {
  if (taken >= page_size_ || examined_ >= kMaxExaminedPerCall) {
    more_ = true;
    return false;
  }
  ++examined_;
  cursor_ = std::string(key);
  return true;
}

std::string Pager::NextPageToken() const { return more_ ? EncodePageToken(hasher_, scope_, cursor_, now_) : ""; }

}  // namespace hirs::query
