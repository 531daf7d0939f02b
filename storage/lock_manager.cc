#include "storage/lock_manager.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace hirs::storage {

LockManager::LockManager(size_t stripes) : stripes_(new std::mutex[stripes]), count_(stripes) {}

LockManager::Guard LockManager::Lock(const std::vector<std::string>& keys) {
  std::vector<size_t> indexes;
  indexes.reserve(keys.size());
  for (const auto& key : keys) indexes.push_back(absl::HashOf(key) % count_);
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  Guard guard;
  for (size_t i : indexes) {
    stripes_[i].lock();
    guard.held_.push_back(&stripes_[i]);
  }
  return guard;
}

LockManager::Guard::Guard(Guard&& other) noexcept : held_(std::move(other.held_)) { other.held_.clear(); }

LockManager::Guard& LockManager::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    Release();
    held_ = std::move(other.held_);
    other.held_.clear();
  }
  return *this;
}

LockManager::Guard::~Guard() { Release(); }

void LockManager::Guard::Release() {
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->unlock();
  held_.clear();
}

}  // namespace hirs::storage
