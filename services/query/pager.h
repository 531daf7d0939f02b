// One list call's walk over keys in list order (AIP-158): the page size,
// where the previous page ended, how many items the call has examined, and
// the token for the next page (page_token.h).
#ifndef HIRS_SERVICES_QUERY_PAGER_H_
#define HIRS_SERVICES_QUERY_PAGER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/bad_request.h"
#include "services/collation/keyed_hasher.h"

namespace hirs::query {

// At most this many items are examined by one list call, whatever its
// filter, so that a filter matching few items cannot make a call slow: the
// call then returns what it found with a next_page_token.
inline constexpr size_t kMaxExaminedPerCall = 20000;

class Pager {
 public:
  // Checks page_size (0: `default_size`; above `max_size`: `max_size`) and
  // page_token, adding their violations to `violations`. `scope` is what
  // tokens are bound to: the method, the caller and the filter.
  Pager(const collation::KeyedHasher& hasher, std::string scope, int32_t page_size, const std::string& page_token,
        absl::Time now, std::vector<FieldViolation>* violations, int default_size, int max_size);

  // Where this page starts: just beyond this key ("" from the start).
  const std::string& after() const { return after_; }
  // Items still wanted on the page that holds `taken` of them.
  size_t wanted(int taken) const { return static_cast<size_t>(page_size_ > taken ? page_size_ - taken : 0); }

  // Before looking at the item at `key`, the page holding `taken` items:
  // false when the page is full or the call has examined enough (there is
  // then a next page); true, and `key` is where the next page would start.
  bool Visit(absl::string_view key, int taken);

  // The next_page_token: empty when the walk reached the end.
  std::string NextPageToken() const;

  // The key the walk has reached (the last visited, else where it started).
  const std::string& cursor() const { return cursor_; }

 private:
  const collation::KeyedHasher& hasher_;
  const std::string scope_;
  const absl::Time now_;
  int page_size_ = 0;
  std::string after_;   // from the page token
  std::string cursor_;  // the last key visited, at first after_
  size_t examined_ = 0;
  bool more_ = false;
};

}  // namespace hirs::query

#endif  // HIRS_SERVICES_QUERY_PAGER_H_
