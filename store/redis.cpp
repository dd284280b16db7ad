#include "store/redis.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/time.h>

#include <charconv>

#include "core/crypto.h"
#include "core/encoding.h"
#include "core/log.h"

namespace garde::store {
namespace {

const core::Logger kLog("store.redis");

using ReplyHandle =
    std::unique_ptr<redisReply, decltype([](redisReply* r) { freeReplyObject(r); })>;

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

core::Failure unavailable(std::string detail) {
  return core::fail(core::ErrorCode::kUnavailable, "redis: " + std::move(detail));
}

/// The context's own error, or `what` when it has none (a reply of the wrong shape).
core::Failure contextError(const redisContext* c, std::string_view what) {
  if (c != nullptr && c->err != 0) {
    return unavailable(std::string(what) + ": " + c->errstr);
  }
  return unavailable(std::string(what));
}

/// Runs one command built from binary-safe arguments (never a format string with data in it).
core::Result<ReplyHandle> command(redisContext* c, std::initializer_list<std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (raw == nullptr) {
    return contextError(c, "no reply");
  }
  ReplyHandle reply(raw);
  if (reply->type == REDIS_REPLY_ERROR) {
    // The server's own words (NOAUTH, OOM, READONLY...): they name no key and no personal data.
    return unavailable("error reply: " + std::string(reply->str, reply->len));
  }
  return reply;
}

/// KEYS[1] the entry, KEYS[2] the epoch marker; ARGV[1] the entry's time to live (ms), ARGV[2] the
/// caller's time (unix seconds), written as the epoch when the marker is missing. Returns
/// {1 when the entry was set | 0 when it was there, the epoch}.
constexpr std::string_view kSetIfAbsentScript =
    "local e = redis.call('GET', KEYS[2]) "
    "if not e then e = ARGV[2] redis.call('SET', KEYS[2], e) end "
    "if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return {1, e} end "
    "return {0, e}";

bool isStatus(const redisReply& r, std::string_view want) {
  return r.type == REDIS_REPLY_STATUS && std::string_view(r.str, r.len) == want;
}

}  // namespace

void freeRedis(redisContext* context) noexcept { redisFree(context); }

core::Result<RedisAddress> parseRedisAddress(std::string_view address) {
  RedisAddress out;
  if (address.starts_with("unix:")) {
    out.socket = std::string(address.substr(5));
    if (out.socket.empty() || out.socket.front() != '/') {
      return core::fail(core::ErrorCode::kConfigInvalid,
                        "expected unix:/absolute/path/to/redis.sock");
    }
    return out;
  }
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    return core::fail(core::ErrorCode::kConfigInvalid,
                      "expected host:port or unix:/path, got \"" + std::string(address) + "\"");
  }
  std::string_view host = address.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return core::fail(core::ErrorCode::kConfigInvalid, "expected [IPv6]:port");
    }
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port = address.substr(colon + 1);
  int value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
    return core::fail(core::ErrorCode::kConfigInvalid,
                      "expected a port between 1 and 65535, got \"" + std::string(port) + "\"");
  }
  out.host = std::string(host);
  out.port = value;
  return out;
}

core::Result<std::unique_ptr<RedisClient>> RedisClient::create(RedisSettings settings) {
  GARDE_ASSIGN_OR_RETURN(RedisAddress address, parseRedisAddress(settings.address));
  if (settings.timeout.count() <= 0 || settings.pool_size < 1) {
    return core::fail(core::ErrorCode::kConfigInvalid, "redis: timeout and pool size must be > 0");
  }
  // hiredis writes with write(2), not send(MSG_NOSIGNAL): a command on a connection Redis closed
  // (a restart) would raise SIGPIPE and end the process. Ignored here, process-wide, unless the
  // program chose a disposition of its own; the write then fails with EPIPE, a failed command.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
  return std::unique_ptr<RedisClient>(new RedisClient(std::move(settings), std::move(address)));
}

RedisClient::RedisClient(RedisSettings settings, RedisAddress address)
    : settings_(std::move(settings)),
      address_(std::move(address)),
      epoch_key_(settings_.key_prefix + "epoch") {}

RedisClient::~RedisClient() = default;

core::Result<RedisHandle> RedisClient::take(bool& attempted, bool& pooled) {
  attempted = false;
  pooled = false;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      RedisHandle c = std::move(idle_.back());
      idle_.pop_back();
      pooled = true;
      return c;
    }
    if (std::chrono::steady_clock::now() < retry_at_) {
      return unavailable("not answering (next attempt in under " +
                         std::to_string(settings_.retry_after.count()) + " ms)");
    }
  }
  attempted = true;
  const timeval tv = toTimeval(settings_.timeout);
  RedisHandle c(address_.socket.empty()
                    ? redisConnectWithTimeout(address_.host.c_str(), address_.port, tv)
                    : redisConnectUnixWithTimeout(address_.socket.c_str(), tv));
  if (!c) {
    return unavailable("cannot allocate a connection");
  }
  if (c->err != 0) {
    return contextError(c.get(), "connect");
  }
  if (redisSetTimeout(c.get(), tv) != REDIS_OK) {
    return contextError(c.get(), "set timeout");
  }
  if (!settings_.password.empty()) {
    GARDE_ASSIGN_OR_RETURN(ReplyHandle r, command(c.get(), {"AUTH", settings_.password}));
    if (!isStatus(*r, "OK")) {
      return unavailable("AUTH refused");
    }
  }
  if (settings_.database != 0) {
    const std::string db = std::to_string(settings_.database);
    GARDE_ASSIGN_OR_RETURN(ReplyHandle r, command(c.get(), {"SELECT", db}));
    if (!isStatus(*r, "OK")) {
      return unavailable("SELECT refused");
    }
  }
  return c;
}

void RedisClient::giveBack(RedisHandle connection) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < static_cast<std::size_t>(settings_.pool_size)) {
    idle_.push_back(std::move(connection));
  }
}

core::Failure RedisClient::failed(core::Error error) {
  failures_.fetch_add(1);
  {
    std::lock_guard lock(mutex_);
    // The idle connections went to the same server: they are as stale as the one that failed.
    idle_.clear();
    retry_at_ = std::chrono::steady_clock::now() + settings_.retry_after;
  }
  if (up_.exchange(false)) {
    kLog.error("Redis does not answer: requests that need it are refused until it does",
               {{"error", error.detail}});
  }
  return core::fail(std::move(error));
}

void RedisClient::succeeded() {
  if (!up_.exchange(true)) {
    kLog.info("Redis answers again: requests that need it go through");
  }
}

core::Status RedisClient::run(std::initializer_list<std::string_view> args,
                              const std::function<core::Status(const redisReply&)>& read) {
  for (int attempt = 0;; ++attempt) {
    bool attempted = false;
    bool pooled = false;
    auto c = take(attempted, pooled);
    if (!c) {
      // Refused at once while retry_at_ holds: not a new failure.
      return attempted ? failed(std::move(c).error()) : core::fail(std::move(c).error());
    }
    auto reply = command(c->get(), args);
    if (!reply) {
      if (pooled && (*c)->err != 0 && attempt == 0) {
        // A pooled connection Redis closed (it restarted, or timed us out): the others went the
        // same way. Try once on a new one before calling Redis down.
        std::lock_guard lock(mutex_);
        idle_.clear();
        continue;
      }
      return failed(std::move(reply).error());
    }
    if (auto read_ok = read(**reply); !read_ok) {
      return failed(std::move(read_ok).error());
    }
    giveBack(std::move(c).value());
    succeeded();
    return {};
  }
}

core::Result<RedisClient::SetOutcome> RedisClient::setIfAbsent(std::string_view key,
                                                               std::chrono::milliseconds ttl,
                                                               core::UnixTime now) {
  const std::string ms = std::to_string(std::max<std::int64_t>(1, ttl.count()));
  const std::string at = std::to_string(now);
  SetOutcome out;
  GARDE_TRY(run({"EVAL", kSetIfAbsentScript, "2", key, epoch_key_, ms, at},
                [&out](const redisReply& r) -> core::Status {
                  if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 ||
                      r.element[0]->type != REDIS_REPLY_INTEGER ||
                      r.element[1]->type != REDIS_REPLY_STRING) {
                    return unavailable("unexpected reply to the SET NX script");
                  }
                  out.set = r.element[0]->integer == 1;
                  const std::string_view e(r.element[1]->str, r.element[1]->len);
                  const auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), out.epoch);
                  if (ec != std::errc() || end != e.data() + e.size()) {
                    return unavailable("the epoch marker is not a time");
                  }
                  return {};
                }));
  return out;
}

core::Status RedisClient::ping() {
  return run({"PING"}, [](const redisReply& r) -> core::Status {
    if (!isStatus(r, "PONG")) {
      return unavailable("unexpected reply to PING");
    }
    return {};
  });
}

RedisReplayCache::RedisReplayCache(RedisClient& client, std::string name,
                                   std::int64_t max_window_seconds)
    : client_(client),
      prefix_(client.settings().key_prefix + std::move(name) + ":"),
      max_window_(max_window_seconds) {}

RedisReplayCache::Outcome RedisReplayCache::insert(std::string_view id, core::UnixTime expires,
                                                   core::UnixTime now) {
  if (expires <= now) {
    // As the in-memory cache: outside its window, nothing to remember (the validator refuses it).
    return Outcome::kFirstUse;
  }
  auto digest = core::sha256(id);
  if (!digest) {
    return Outcome::kUnavailable;
  }
  std::string key = prefix_;
  key += core::base64UrlEncode(*digest);
  // A caller asking for more than the window it was built with widens it (the rule below must
  // hold for every entry; none of garde's callers does).
  std::int64_t window = max_window_.load();
  while (expires - now > window && !max_window_.compare_exchange_weak(window, expires - now)) {
  }
  window = std::max(window, expires - now);
  auto set = client_.setIfAbsent(key, std::chrono::seconds(expires - now), now);
  if (!set) {
    return Outcome::kUnavailable;
  }
  if (!set->set) {
    return Outcome::kReplay;
  }
  if (expires - window < set->epoch) {
    // It may have been taken before the key space was lost: refuse it (fail closed).
    epoch_refusals_.fetch_add(1);
    if (logged_epoch_.exchange(set->epoch) != set->epoch) {
      kLog.warn(
          "Redis holds no replay entries from before its epoch: messages that might predate "
          "it are refused until the epoch plus the window",
          {{"epoch", std::to_string(set->epoch)}, {"window", std::to_string(window)}});
    }
    return Outcome::kUnavailable;
  }
  return Outcome::kFirstUse;
}

}  // namespace garde::store
