#include "services/collation/keyed_hasher.h"

#include <sys/stat.h>

#include <fstream>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

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
