#include "saml/replay_cache.h"

namespace garde::saml {

InMemoryReplayCache::InMemoryReplayCache(std::size_t max_entries) : max_entries_(max_entries) {}

void InMemoryReplayCache::purge(core::UnixTime now) {
  auto it = by_expiry_.begin();
  while (it != by_expiry_.end() && it->first <= now) {
    entries_.erase(it->second);
    it = by_expiry_.erase(it);
  }
}

InMemoryReplayCache::Outcome InMemoryReplayCache::insert(std::string_view id,
                                                         core::UnixTime expires,
                                                         core::UnixTime now) {
  std::lock_guard lock(mutex_);
  purge(now);
  std::string key(id);
  if (entries_.contains(key)) {
    return Outcome::kReplay;
  }
  if (expires <= now) {
    // Already outside its validity window: nothing to remember (the validator rejects it anyway).
    return Outcome::kFirstUse;
  }
  if (entries_.size() >= max_entries_) {
    ++capacity_refusals_;
    return Outcome::kFull;
  }
  entries_.emplace(key, expires);
  by_expiry_.emplace(expires, std::move(key));
  return Outcome::kFirstUse;
}

std::size_t InMemoryReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::uint64_t InMemoryReplayCache::capacityRefusals() const {
  std::lock_guard lock(mutex_);
  return capacity_refusals_;
}

}  // namespace garde::saml
