#include "services/pages/assets.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace hirs::pages {

const EmbeddedFile* FindSiteFile(absl::string_view path) {
  for (size_t i = 0; i < kSiteFiles_count; ++i) {
    if (kSiteFiles[i].path == path) return &kSiteFiles[i];
  }
  return nullptr;
}

std::string ContentTypeOf(absl::string_view path) {
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (absl::EndsWith(path, extension)) return std::string(type);
  }
  if (absl::EndsWith(path, "LICENSE")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string EtagOf(const EmbeddedFile& file) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(file.data), file.size, digest);
  return absl::StrCat("\"", absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), 16)), "\"");
}

}  // namespace hirs::pages
