// UK postcodes: parsing to canonical form and district routing.
#ifndef HIRS_SERVICES_INTAKE_POSTCODE_H_
#define HIRS_SERVICES_INTAKE_POSTCODE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/area.h"

namespace hirs::intake {

// The canonical form of a UK postcode: upper case, one space before the
// inward code ("le113ab", " LE11  3AB " -> "LE11 3AB"). std::nullopt when
// `raw` is not a well-formed UK postcode (format only: it need not exist).
std::optional<std::string> CanonicalPostcode(absl::string_view raw);

// The sector of a canonical postcode: "LE11 3AB" -> "LE11 3".
// REQUIRES: `canonical` came from CanonicalPostcode.
std::string PostcodeSector(absl::string_view canonical);

// A postcode as far as it was given: a reporter may know only the area.
struct PostcodeParts {
  std::string unit;     // "LE11 3AB"; empty when only part was given
  std::string sector;   // "LE11 3"; empty when only the outward code was given
  std::string outward;  // "LE11"
};

// Parses a full postcode ("le113ab"), a sector ("LE11 3") or an outward code
// ("LE11") in any common spelling. std::nullopt when it is none of these.
std::optional<PostcodeParts> ParsePostcode(absl::string_view raw);

// Routes postcodes to districts (GSS codes) by full postcode, else by sector.
// Immutable after construction; thread safe.
class DistrictRouter {
 public:
  // Loads the ONS Postcode Directory CSV layout: a header row naming at least
  // `pcds` (postcode, or a sector such as "LE11 3") and `oslaua` (GSS code);
  // other columns are ignored. Rows whose code is not in `keep_codes` are not
  // routed to (an empty set keeps all). Sector and outward-code tables are
  // derived from all rows, and hold an area only where every row of it names
  // the same district. INVALID_ARGUMENT on a missing column or malformed CSV.
  static absl::StatusOr<std::unique_ptr<DistrictRouter>> FromOnsCsv(absl::string_view csv,
                                                                    const absl::flat_hash_set<std::string>& keep_codes);

  // FromOnsCsv on a file, streamed, keeping the Leicestershire area's codes
  // (so a full national directory costs memory only for the area's rows).
  static absl::StatusOr<std::unique_ptr<DistrictRouter>> FromOnsFile(const std::string& path);

  // The bundled sector-level table for the Leicestershire police area.
  static std::unique_ptr<DistrictRouter> LeicestershireDefault();

  // The district of a canonical postcode, or "" when unknown.
  std::string Route(absl::string_view canonical_postcode) const;

  // The district of a full or partial postcode: by unit, else sector, else
  // outward code; "" when none is known (or the area straddles districts).
  std::string Route(const PostcodeParts& parts) const;

  size_t postcode_count() const { return by_postcode_.size(); }
  size_t sector_count() const { return by_sector_.size(); }
  size_t outward_count() const { return by_outward_.size(); }

 private:
  using CsvRowFn = std::function<absl::Status(const std::vector<std::string>&, int)>;
  // Builds a router from the rows `read` passes to its callback.
  static absl::StatusOr<std::unique_ptr<DistrictRouter>> Load(const std::function<absl::Status(const CsvRowFn&)>& read,
                                                              const absl::flat_hash_set<std::string>& keep_codes);

  DistrictRouter() = default;
  absl::flat_hash_map<std::string, std::string> by_postcode_;
  absl::flat_hash_map<std::string, std::string> by_sector_;   // "" marks a sector spanning districts
  absl::flat_hash_map<std::string, std::string> by_outward_;  // "" marks an outward code spanning districts
};

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_POSTCODE_H_
