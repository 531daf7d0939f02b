// Opaque page tokens for list methods (AIP-158). A token carries where the
// next page starts and is signed with the server's keyed hash, bound to
// the method, the calling principal and the filter: a forged or altered
// token, or one reused with another filter or by another principal, is
// refused. Tokens expire after kPageTokenLifetime.
#ifndef HIRS_SERVICES_QUERY_PAGE_TOKEN_H_
#define HIRS_SERVICES_QUERY_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/collation/keyed_hasher.h"

namespace hirs::query {

inline constexpr absl::Duration kPageTokenLifetime = absl::Hours(24);

// A token saying the next page starts after `after`. `scope` names what it
// is bound to, e.g. method + principal + filter.
std::string EncodePageToken(const collation::KeyedHasher& hasher, absl::string_view scope, absl::string_view after,
                            absl::Time now);

// The `after` of a token made by EncodePageToken with the same scope.
// INVALID_ARGUMENT (field "page_token") when it is malformed, forged, made
// for another scope, or expired.
absl::StatusOr<std::string> DecodePageToken(const collation::KeyedHasher& hasher, absl::string_view scope,
                                            absl::string_view token, absl::Time now);

}  // namespace hirs::query

#endif  // HIRS_SERVICES_QUERY_PAGE_TOKEN_H_
