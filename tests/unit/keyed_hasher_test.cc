#include "services/collation/keyed_hasher.h"

#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <random>

#include "gtest/gtest.h"
#include "tests/support/domain_support.h"

namespace hirs::collation {
namespace {

TEST(KeyedHasher, SameKeyAndPartsGiveTheSameMac) {
  KeyedHasher a(std::string(32, 'k'));
  KeyedHasher b(std::string(32, 'k'));
  EXPECT_EQ(a.Mac("fp", {"x", "y"}), b.Mac("fp", {"x", "y"}));
  EXPECT_EQ(a.Mac("fp", {"x"}).size(), 32u);
}

TEST(KeyedHasher, DifferentKeyDomainOrSplitGivesADifferentMac) {
  KeyedHasher a(std::string(32, 'k'));
  KeyedHasher other(std::string(32, 'j'));
  EXPECT_NE(a.Mac("fp", {"x"}), other.Mac("fp", {"x"}));
  EXPECT_NE(a.Mac("fp", {"x"}), a.Mac("receipt", {"x"}));
  EXPECT_NE(a.Mac("fp", {"ab", "c"}), a.Mac("fp", {"a", "bc"}));
}

TEST(KeyedHasher, MatchesHmacSha256OverLengthPrefixedParts) {
  // Expected value from Python: hmac.new(b"\x0b" * 32,
  //   b"\0\0\0\x02fp\0\0\0\x03abc", hashlib.sha256).hexdigest()
  KeyedHasher h(std::string(32, '\x0b'));
  EXPECT_EQ(Hex(h.Mac("fp", {"abc"})), "d352512402c8c454ddd77ef4e8eb9fa1f717dd88f21b2ed0fa974cf56a6cf57c");
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The precomputed-state HMAC against OpenSSL's own, for keys shorter than,
// equal to and longer than SHA-256's 64-byte block, and messages across
// block boundaries.
TEST(KeyedHasher, AgreesWithOpensslHmacForAnyKeyAndMessageLength) {
  std::mt19937 random(7);
  for (size_t key_size : {32, 63, 64, 65, 200}) {
    std::string key(key_size, '\0');
    for (char& c : key) c = static_cast<char>(random());
    KeyedHasher hasher(key);
    for (size_t part_size : {0, 1, 47, 55, 56, 64, 119, 500}) {
      std::string part(part_size, '\0');
      for (char& c : part) c = static_cast<char>(random());
      // What Mac hashes: each of domain and parts behind a 4-byte big-endian length.
      std::string message = std::string("\0\0\0\x02", 4) + "fp";
      for (int shift = 24; shift >= 0; shift -= 8) message.push_back(static_cast<char>((part_size >> shift) & 0xff));
      message += part;
      unsigned char expected[32];
      unsigned int expected_size = 0;
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), expected, &expected_size);
      ASSERT_EQ(hasher.Mac("fp", {part}), std::string(reinterpret_cast<char*>(expected), expected_size))
          << "key " << key_size << " bytes, part " << part_size << " bytes";
    }
  }
}

TEST(KeyedHasher, CreatesAKeyFileOnceWithOwnerOnlyMode) {
  hirs::testing::TempDir dir;
  const std::string path = dir.path() + "/hmac.key";
  auto first = KeyedHasher::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto second = KeyedHasher::LoadOrCreate(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->Mac("fp", {"same"}), second->Mac("fp", {"same"}));
}

TEST(KeyedHasher, MalformedKeyFileIsRefused) {
  hirs::testing::TempDir dir;
  const std::string path = dir.path() + "/hmac.key";
  std::ofstream(path) << "not hex at all";
  auto hasher = KeyedHasher::LoadOrCreate(path);
  ASSERT_FALSE(hasher.ok());
  EXPECT_EQ(hasher.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(hasher.status().message().find("openssl rand -hex 32"), absl::string_view::npos);
}

}  // namespace
}  // namespace hirs::collation
