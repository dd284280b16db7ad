#pragma once
/// @file Replay protection for bearer assertions (SAML2 Profiles 4.1.4.5): each assertion ID is
/// accepted once while it could still be valid.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/time.h"

namespace garde::saml {

/// Remembers IDs until they expire. Implemented in memory below, per process (docs/security.md),
/// and over Redis for several nodes (store::RedisReplayCache). Implementations are thread-safe.
class ReplayCache {
 public:
  virtual ~ReplayCache() = default;

  /// kFirstUse: `id` was absent and is now recorded. kReplay: it is recorded and not yet expired.
  /// kFull: the cache cannot remember it (callers fail closed, with a reason of its own: a full
  /// cache is an operating problem, not an attack by this user). kUnavailable: a shared cache
  /// (store::RedisReplayCache) did not answer, so whether `id` was seen is unknown: callers fail
  /// closed as well.
  enum class Outcome { kFirstUse, kReplay, kFull, kUnavailable };

  /// Records `id` until `expires` (exclusive) unless it is already recorded and not yet expired.
  /// @param now the caller's clock; entries with expires <= now are forgotten.
  virtual Outcome insert(std::string_view id, core::UnixTime expires, core::UnixTime now) = 0;

  /// insert() == kFirstUse.
  bool insertIfAbsent(std::string_view id, core::UnixTime expires, core::UnixTime now) {
    return insert(id, expires, now) == Outcome::kFirstUse;
  }
};

/// A bounded, mutex-protected in-memory cache for one process.
///
/// Size policy: expired entries are purged on every insert (cheapest-first, by expiry). When the
/// cache still holds `max_entries` live entries, a new ID is refused (insert returns kFull)
/// rather than evicting a live one: evicting would let that assertion be replayed, while refusing
/// only delays logins until entries expire (a few minutes). Entries are added only after every
/// other check passed, so filling the cache needs assertions signed by a trusted IdP.
/// capacityRefusals() counts the refusals for monitoring.
class InMemoryReplayCache final : public ReplayCache {
 public:
  explicit InMemoryReplayCache(std::size_t max_entries = 100'000);

  Outcome insert(std::string_view id, core::UnixTime expires, core::UnixTime now) override;

  /// Live and not yet purged entries.
  std::size_t size() const;
  /// IDs refused because the cache was full.
  std::uint64_t capacityRefusals() const;

 private:
  void purge(core::UnixTime now);

  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, core::UnixTime> entries_;
  std::multimap<core::UnixTime, std::string> by_expiry_;
  std::uint64_t capacity_refusals_ = 0;
};

}  // namespace garde::saml
