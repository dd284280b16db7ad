#pragma once
/// @file What several garde nodes share at request time, in Redis: the replay caches (assertion,
/// resource choice, AuthnRequest and LogoutRequest IDs), so that a message consumed on one node is
/// refused on every other (docs/deployment.md, ADR 0033).
///
/// This header forward-declares hiredis' types; only store/redis.cpp includes hiredis.h. The
/// client fails closed: a Redis that does not answer (down, slow past the timeout, a wrong
/// password) makes insert() answer kUnavailable, never kFirstUse, and the flows refuse the message
/// with a reason of its own. It reconnects by itself: once Redis answers again, the next request
/// goes through, with no restart.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/c_handle.h"
#include "core/result.h"
#include "saml/replay_cache.h"

struct redisContext;
struct redisReply;

namespace garde::store {

/// redisFree, defined in redis.cpp so that the handle needs no hiredis header.
void freeRedis(redisContext* context) noexcept;
using RedisHandle = core::CHandle<redisContext, freeRedis>;

/// Where Redis is and how long to wait for it ([redis] in the config, docs/configuration.md).
struct RedisSettings {
  /// "host:port" (an IP literal or a name; "[::1]:6379" for IPv6) or "unix:/path/to/redis.sock".
  std::string address;
  std::string password;               ///< AUTH when not empty (from [redis] password_file)
  int database = 0;                   ///< SELECT
  std::string key_prefix = "garde:";  ///< every key garde writes starts with it
  /// Connecting and each command: past it, the command fails and the request is refused.
  std::chrono::milliseconds timeout{250};
  int pool_size =
      16;  ///< idle connections kept for reuse (more are opened under load, then closed)
  /// After a failure, how long commands fail at once without trying to connect again (a Redis that
  /// is down must not add a connect timeout to every request).
  std::chrono::milliseconds retry_after{250};
};

/// Parses "host:port" or "unix:/path". kConfigInvalid with the reason otherwise.
struct RedisAddress {
  std::string host;  ///< empty for a Unix socket
  int port = 0;
  std::string socket;  ///< the Unix socket's path, or empty
};
core::Result<RedisAddress> parseRedisAddress(std::string_view address);

/// A pool of hiredis connections to one Redis server. Thread-safe: each command takes a connection
/// from the pool (or opens one), runs, and gives it back unless it failed (a connection that
/// failed is closed: its reply stream may be out of step).
class RedisClient {
 public:
  /// Does not connect: the first command does. kConfigInvalid for a bad address.
  static core::Result<std::unique_ptr<RedisClient>> create(RedisSettings settings);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// What setIfAbsent found.
  struct SetOutcome {
    bool set = false;  ///< the key was absent and is now set
    /// When the key space's marker (key_prefix + "epoch") was created: when this Redis started
    /// holding garde's keys, or last lost them (a restart without persistence, FLUSHALL, eviction).
    /// Written with `now` by the first command that finds it missing.
    core::UnixTime epoch = 0;
  };
  /// SET key 1 NX PX ttl, and the marker's time, in one script (atomic on the server).
  /// kUnavailable when Redis did not answer as expected (the detail says how).
  core::Result<SetOutcome> setIfAbsent(std::string_view key, std::chrono::milliseconds ttl,
                                       core::UnixTime now);
  /// PING: kUnavailable when Redis does not answer PONG.
  core::Status ping();

  /// Whether the last command (or connection attempt) succeeded.
  bool up() const { return up_.load(); }
  /// Commands that failed since start (a metric).
  std::uint64_t failures() const { return failures_.load(); }
  const RedisSettings& settings() const { return settings_; }

 private:
  RedisClient(RedisSettings settings, RedisAddress address);
  /// An idle connection (`pooled`), or a new one. `attempted`: whether it tried to connect (false
  /// when it refused at once, within retry_after of a failure).
  core::Result<RedisHandle> take(bool& attempted, bool& pooled);
  /// Runs one command and hands its reply to `read`; a failure of either is failed(). A pooled
  /// connection found closed is replaced once.
  core::Status run(std::initializer_list<std::string_view> args,
                   const std::function<core::Status(const redisReply&)>& read);
  void giveBack(RedisHandle connection);
  /// Counts a failure, closes the idle connections, logs the first of a series: the failure.
  core::Failure failed(core::Error error);
  void succeeded();

  const RedisSettings settings_;
  const RedisAddress address_;
  const std::string epoch_key_;
  std::mutex mutex_;
  std::vector<RedisHandle> idle_;
  std::chrono::steady_clock::time_point retry_at_{};  ///< under mutex_: no connect attempt before
  std::atomic<bool> up_{true};
  std::atomic<std::uint64_t> failures_{0};
};

/// saml::ReplayCache over Redis: one key per ID (key_prefix + name + ":" + the SHA-256 of the ID,
/// so that an ID of any length makes a short key), set with NX and an expiry at the entry's end.
/// Expiry is relative (PX), so the nodes' and Redis' clocks need not agree to the millisecond.
/// A full Redis (maxmemory with noeviction) answers an error: kUnavailable, refused as well.
///
/// A Redis that lost its keys (restarted without persistence, flushed) would let a message
/// consumed before the loss be taken again. So an ID is accepted only when it cannot have been
/// seen before the key space's epoch (RedisClient::SetOutcome::epoch): every entry is written at
/// most `max_window` seconds before it expires (the cache's callers bound it: an SSO transaction's
/// lifetime plus the skew, a request's freshness), so an ID that expires at `expires` was first
/// seen at or after expires - max_window. One with expires - max_window < epoch is refused as
/// kUnavailable: for at most max_window after a loss, and only the messages that might predate it.
class RedisReplayCache final : public saml::ReplayCache {
 public:
  RedisReplayCache(RedisClient& client, std::string name, std::int64_t max_window_seconds);

  Outcome insert(std::string_view id, core::UnixTime expires, core::UnixTime now) override;
  /// IDs refused because they might predate the key space's epoch (a metric).
  std::uint64_t epochRefusals() const { return epoch_refusals_.load(); }

 private:
  RedisClient& client_;
  std::string prefix_;
  /// The longest window asked for: max_window_seconds, raised by any longer entry seen.
  std::atomic<std::int64_t> max_window_;
  std::atomic<std::uint64_t> epoch_refusals_{0};
  std::atomic<core::UnixTime> logged_epoch_{0};  ///< the epoch whose refusals were last logged
};

}  // namespace garde::store
