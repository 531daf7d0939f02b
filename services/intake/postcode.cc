#include "services/intake/postcode.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/area.h"
#include "common/csv_reader.h"
#include "common/status_macros.h"
#include "services/intake/postcode_default_table.h"

namespace hirs::intake {
namespace {

bool IsLetter(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The outward code: A9, A99, A9A, AA9, AA99, AA9A.
bool IsOutward(absl::string_view o) {
  switch (o.size()) {
    case 2:
      return IsLetter(o[0]) && IsDigit(o[1]);
    case 3:
      return IsLetter(o[0]) &&
             ((IsDigit(o[1]) && (IsDigit(o[2]) || IsLetter(o[2]))) || (IsLetter(o[1]) && IsDigit(o[2])));
    case 4:
      return IsLetter(o[0]) && IsLetter(o[1]) && IsDigit(o[2]) && (IsDigit(o[3]) || IsLetter(o[3]));
    default:
      return false;
  }
}

// Inward letters never include C, I, K, M, O or V.
bool IsInwardLetter(char c) { return IsLetter(c) && absl::string_view("CIKMOV").find(c) == absl::string_view::npos; }

// "LE11 3" -> true.
std::optional<std::string> CanonicalSector(absl::string_view raw) {
  std::string s;
  for (char c : raw) {
    if (c != ' ') s.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (s.size() < 3 || !IsDigit(s.back()) || !IsOutward(absl::string_view(s).substr(0, s.size() - 1))) {
    return std::nullopt;
  }
  return absl::StrCat(s.substr(0, s.size() - 1), " ", s.substr(s.size() - 1));
}

}  // namespace

std::optional<std::string> CanonicalPostcode(absl::string_view raw) {
  if (raw.size() > 16) return std::nullopt;
  std::string s;
  for (char c : raw) {
    if (c == ' ' || c == '\t') continue;
    s.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (s == "GIR0AA") return "GIR 0AA";
  if (s.size() < 5 || s.size() > 7) return std::nullopt;
  absl::string_view v(s);
  absl::string_view inward = v.substr(v.size() - 3);
  absl::string_view outward = v.substr(0, v.size() - 3);
  if (!IsDigit(inward[0]) || !IsInwardLetter(inward[1]) || !IsInwardLetter(inward[2])) return std::nullopt;
  if (!IsOutward(outward)) return std::nullopt;
  return absl::StrCat(outward, " ", inward);
}

std::optional<PostcodeParts> ParsePostcode(absl::string_view raw) {
  if (auto full = CanonicalPostcode(raw)) {
    PostcodeParts parts;
    parts.unit = *full;
    parts.sector = PostcodeSector(*full);
    parts.outward = full->substr(0, full->find(' '));
    return parts;
  }
  if (raw.size() > 16) return std::nullopt;
  const std::string trimmed = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(raw));
  std::string s;
  for (char c : trimmed) {
    if (c != ' ' && c != '\t') s.push_back(c);
  }
  PostcodeParts parts;
  // "LE1 5" is a sector, "LE15" an outward code: an inner space decides.
  const bool spaced = trimmed.find_first_of(" \t") != std::string::npos;
  if (!spaced && IsOutward(s)) {
    parts.outward = s;
    return parts;
  }
  if (auto sector = CanonicalSector(s)) {
    parts.sector = *sector;
    parts.outward = sector->substr(0, sector->find(' '));
    return parts;
  }
  return std::nullopt;
}

std::string PostcodeSector(absl::string_view canonical) {
  // "LE11 3AB": everything up to the first character after the space.
  return std::string(canonical.substr(0, canonical.size() - 2));
}

namespace {

// Records that `area` (a sector or outward code) holds `code`; an area seen
// with two codes maps to "" (ambiguous) for good.
void Attribute(absl::flat_hash_map<std::string, std::string>* table, const std::string& area, const std::string& code) {
  auto [it, inserted] = table->try_emplace(area, code);
  if (!inserted && it->second != code) it->second = "";
}

// Reads ONS Postcode Directory rows into the router's tables (see
// FromOnsCsv); Row is fed by ReadCsv or ReadCsvFile.
class OnsRowReader {
 public:
  OnsRowReader(const absl::flat_hash_set<std::string>* keep_codes,
               absl::flat_hash_map<std::string, std::string>* by_postcode,
               absl::flat_hash_map<std::string, std::string>* by_sector,
               absl::flat_hash_map<std::string, std::string>* by_outward)
      : keep_codes_(keep_codes), by_postcode_(by_postcode), by_sector_(by_sector), by_outward_(by_outward) {}

  absl::Status Row(const std::vector<std::string>& fields, int line) {
    if (pcds_ < 0) {  // header row
      for (size_t i = 0; i < fields.size(); ++i) {
        std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(fields[i]));
        if (name == "pcds") pcds_ = static_cast<int>(i);
        if (name == "oslaua") oslaua_ = static_cast<int>(i);
      }
      if (pcds_ < 0 || oslaua_ < 0) {
        return absl::InvalidArgumentError(
            "postcode directory: the header row must name the columns pcds and oslaua "
            "(ONS Postcode Directory layout)");
      }
      return absl::OkStatus();
    }
    if (static_cast<int>(fields.size()) <= std::max(pcds_, oslaua_)) {
      return absl::InvalidArgumentError(absl::StrCat("postcode directory line ", line, ": too few columns"));
    }
    std::string code(absl::StripAsciiWhitespace(fields[oslaua_]));
    // Rows outside the kept area still count for ambiguity, as "outside".
    const bool kept = keep_codes_->empty() || keep_codes_->contains(code);
    if (!kept) code = "";
    std::optional<PostcodeParts> parts = ParsePostcode(fields[pcds_]);
    if (!parts.has_value() || parts->sector.empty()) return absl::OkStatus();  // ONS pseudo-postcodes
    if (!parts->unit.empty() && kept) (*by_postcode_)[parts->unit] = code;
    Attribute(by_sector_, parts->sector, code);
    Attribute(by_outward_, parts->outward, code);
    return absl::OkStatus();
  }

  bool saw_header() const { return pcds_ >= 0; }

 private:
  const absl::flat_hash_set<std::string>* const keep_codes_;
  absl::flat_hash_map<std::string, std::string>* const by_postcode_;
  absl::flat_hash_map<std::string, std::string>* const by_sector_;
  absl::flat_hash_map<std::string, std::string>* const by_outward_;
  int pcds_ = -1;
  int oslaua_ = -1;
};

// Drops the entries that route nowhere (ambiguous or outside the area).
void DropEmpty(absl::flat_hash_map<std::string, std::string>* table) {
  absl::erase_if(*table, [](const auto& entry) { return entry.second.empty(); });
}

}  // namespace

absl::StatusOr<std::unique_ptr<DistrictRouter>> DistrictRouter::Load(
    const std::function<absl::Status(const CsvRowFn&)>& read, const absl::flat_hash_set<std::string>& keep_codes) {
  std::unique_ptr<DistrictRouter> router(new DistrictRouter);
  OnsRowReader reader(&keep_codes, &router->by_postcode_, &router->by_sector_, &router->by_outward_);
  RETURN_IF_ERROR(
      read([&reader](const std::vector<std::string>& fields, int line) { return reader.Row(fields, line); }));
  if (!reader.saw_header()) return absl::InvalidArgumentError("postcode directory is empty");
  DropEmpty(&router->by_sector_);
  DropEmpty(&router->by_outward_);
  return router;
}

absl::StatusOr<std::unique_ptr<DistrictRouter>> DistrictRouter::FromOnsCsv(
    absl::string_view csv, const absl::flat_hash_set<std::string>& keep_codes) {
  return Load([csv](const CsvRowFn& row) { return ReadCsv(csv, row); }, keep_codes);
}

absl::StatusOr<std::unique_ptr<DistrictRouter>> DistrictRouter::FromOnsFile(const std::string& path) {
  return Load([&path](const CsvRowFn& row) { return ReadCsvFile(path, row); }, LeicestershireAreaCodes());
}

std::unique_ptr<DistrictRouter> DistrictRouter::LeicestershireDefault() {
  auto router = FromOnsCsv(kLeicestershireSectorTable, LeicestershireAreaCodes());
  // The bundled table is a compile-time constant covered by tests.
  return std::move(router).value();
}

std::string DistrictRouter::Route(absl::string_view canonical_postcode) const {
  std::optional<PostcodeParts> parts = ParsePostcode(canonical_postcode);
  return parts.has_value() ? Route(*parts) : "";
}

std::string DistrictRouter::Route(const PostcodeParts& parts) const {
  if (!parts.unit.empty()) {
    if (auto it = by_postcode_.find(parts.unit); it != by_postcode_.end()) return it->second;
  }
  if (!parts.sector.empty()) {
    if (auto it = by_sector_.find(parts.sector); it != by_sector_.end()) return it->second;
  }
  // A full postcode or sector missing from the tables is unknown; only an
  // outward code alone falls back to the outward table.
  if (parts.sector.empty()) {
    if (auto it = by_outward_.find(parts.outward); it != by_outward_.end()) return it->second;
  }
  return "";
}

}  // namespace hirs::intake
