// Blocking: the keyed fingerprints under which a report is stored and those
// it looks up to find candidates. Every key is an HMAC (KeyedHasher) of
// normalised values, so stored keys reveal nothing without the server's key.
//
// Identity keys (when the victim is known): phone, e-mail, surname with
// home postcode, full name (either order; for incidents only its 4 most
// recent cases are read, as a common name is shared by many victims); for
// incidents also date of birth with the surname's Soundex code; for persons
// (FEBRL) also looser keys: Soundex of surname and of given name with birth
// year, date of birth, Soundex of surname with the given name's initial,
// home postcode with birth year.
//
// Incident keys: crime reference; postcode unit, sector and outward code,
// each with the UK day (the day before and after also looked up); district
// with a 6-hour bucket (the neighbouring buckets also looked up); online
// platform with the day; and 4 LSH bands of 6 rows of the description's
// MinHash signature, each with the day (neighbours looked up, 4 cases read
// per key). The outward-code and district keys are coarse: only a report
// that gives no finer place reads every report under them; others read
// only the reports that gave no finer place. The bands are strict on
// purpose (they meet mostly at Jaccard similarity above about 0.6): they
// are a backstop for near-copies passed between agencies, and looser bands
// pulled in many unrelated candidates for every report.
#ifndef HIRS_SERVICES_COLLATION_BLOCKING_H_
#define HIRS_SERVICES_COLLATION_BLOCKING_H_

#include <string>
#include <vector>

#include "hirs/store/v1/records.pb.h"
#include "services/collation/collator.h"
#include "services/collation/keyed_hasher.h"

namespace hirs::collation {

// What is being matched: incident reports (every key), or persons only
// (identity keys; used for the FEBRL person benchmarks).
enum class Profile { kIncident, kPerson };

struct BlockingKeys {
  std::vector<Fingerprint> stored;  // stored under the report's case
  std::vector<Fingerprint> lookup;  // read to find candidates
};

BlockingKeys BlockingKeysOf(const hirs::store::v1::MatchFeatures& features, Profile profile, const KeyedHasher& hasher);

}  // namespace hirs::collation

#endif  // HIRS_SERVICES_COLLATION_BLOCKING_H_
