// The web pages' files (clients/web/site/), compiled into hirsd so that
// serving them needs nothing beside the binary.
#ifndef HIRS_SERVICES_PAGES_ASSETS_H_
#define HIRS_SERVICES_PAGES_ASSETS_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace hirs {

// One file compiled in by common/embed.cmake; `data` is NUL-terminated.
struct EmbeddedFile {
  const char* path;  // relative to clients/web/site/, e.g. "js/api.js"
  const char* data;
  size_t size;
};

// Every file of clients/web/site/, by path.
extern const EmbeddedFile kSiteFiles[];
extern const size_t kSiteFiles_count;

namespace pages {

// The file at `path` (relative to clients/web/site/); nullptr if none.
const EmbeddedFile* FindSiteFile(absl::string_view path);

// The Content-Type a file is served with, from its extension
// ("application/octet-stream" for one not known).
std::string ContentTypeOf(absl::string_view path);

// A strong ETag for `file`'s bytes (a quoted hex digest).
std::string EtagOf(const EmbeddedFile& file);

}  // namespace pages
}  // namespace hirs

#endif  // HIRS_SERVICES_PAGES_ASSETS_H_
