#include "storage/lock_manager.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace hirs::storage {
namespace {

TEST(LockManager, OverlappingKeySetsAreMutuallyExclusive) {
  LockManager locks(16);  // few stripes: many collisions
  int counter = 0;        // guarded by the "shared" key
  std::atomic<int> inside{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        // Every set holds "shared", in different orders with other keys.
        std::vector<std::string> keys = {"k" + std::to_string((t + i) % 7), "shared", "z" + std::to_string(i % 5)};
        if (i % 2) std::reverse(keys.begin(), keys.end());
        auto guard = locks.Lock(keys);
        EXPECT_EQ(inside.fetch_add(1), 0);
        ++counter;
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, 8 * 2000);
}

TEST(LockManager, GuardReleasesOnDestructionAndMove) {
  LockManager locks(4);
  {
    auto guard = locks.Lock({"a", "b"});
    LockManager::Guard moved = std::move(guard);
  }
  auto again = locks.Lock({"a", "b", "a"});  // duplicates are fine; would deadlock if not released
  SUCCEED();
}

}  // namespace
}  // namespace hirs::storage
