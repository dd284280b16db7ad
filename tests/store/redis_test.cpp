// The replay caches several nodes share, over a real redis-server (tests/support/redis_server.h):
// an ID taken on one node is a replay on every other, Redis going away fails closed and coming
// back needs no restart, and a Redis that lost its keys lets no message through that it might
// have seen before.
#include "store/redis.h"

#include <catch2/catch.hpp>
#include <thread>

#include "core/log.h"
#include "support/redis_server.h"

using namespace garde;
using Outcome = saml::ReplayCache::Outcome;

namespace {

constexpr core::UnixTime kNow = 1'800'000'000;
constexpr std::int64_t kWindow = 780;

std::unique_ptr<store::RedisClient> client(const test::RedisServer& redis,
                                           std::string password = {}) {
  store::RedisSettings s;
  s.address = redis.address();
  s.password = std::move(password);
  s.timeout = std::chrono::milliseconds(200);
  s.retry_after = std::chrono::milliseconds(0);  // every call tries again: no waiting in tests
  auto c = store::RedisClient::create(std::move(s));
  REQUIRE(c.has_value());
  return std::move(c).value();
}

}  // namespace

TEST_CASE("Redis addresses are host:port or unix:/path", "[store][redis]") {
  auto tcp = store::parseRedisAddress("127.0.0.1:6379");
  REQUIRE(tcp.has_value());
  CHECK(tcp->host == "127.0.0.1");
  CHECK(tcp->port == 6379);
  auto v6 = store::parseRedisAddress("[::1]:6380");
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 6380);
  auto unix_socket = store::parseRedisAddress("unix:/run/redis/redis.sock");
  REQUIRE(unix_socket.has_value());
  CHECK(unix_socket->socket == "/run/redis/redis.sock");
  for (const char* bad : {"", "localhost", ":6379", "host:", "host:0", "host:65536", "host:63x9",
                          "unix:", "unix:relative.sock", "[::1:6379"}) {
    INFO(bad);
    auto parsed = store::parseRedisAddress(bad);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == core::ErrorCode::kConfigInvalid);
  }
}

TEST_CASE("An ID taken on one node is a replay on another sharing its Redis", "[store][redis]") {
  test::RedisServer redis;
  redis.markNew();
  auto node1 = client(redis);
  auto node2 = client(redis);
  store::RedisReplayCache on1(*node1, "assertion", kWindow);
  store::RedisReplayCache on2(*node2, "assertion", kWindow);
  store::RedisReplayCache requests2(*node2, "request", kWindow);

  CHECK(on1.insert("_a1", kNow + 300, kNow) == Outcome::kFirstUse);
  CHECK(on2.insert("_a1", kNow + 300, kNow + 1) == Outcome::kReplay);
  CHECK(on1.insert("_a1", kNow + 300, kNow + 2) == Outcome::kReplay);
  // Another cache's key space: the same ID there is another message.
  CHECK(requests2.insert("_a1", kNow + 300, kNow) == Outcome::kFirstUse);
  CHECK(on2.insert("_a2", kNow + 300, kNow) == Outcome::kFirstUse);
  // Outside its window already: nothing to remember (the validator refuses it on its own).
  CHECK(on1.insert("_old", kNow - 1, kNow) == Outcome::kFirstUse);
  CHECK(redis.cli("DBSIZE") == "4\n");  // the epoch, two assertions, one request

  SECTION("keys are the IDs' digests: any length, any bytes, one short key each") {
    const std::string crafted = "x\r\nFLUSHALL\r\n" + std::string(10'000, 'y') + " DEL";
    CHECK(on1.insert(crafted, kNow + 300, kNow) == Outcome::kFirstUse);
    CHECK(on2.insert(crafted, kNow + 300, kNow) == Outcome::kReplay);
    CHECK(on1.insert("_a1", kNow + 300, kNow) == Outcome::kReplay);  // nothing was flushed
    const std::string keys = redis.cli("--scan --pattern 'garde:assertion:*'");
    CHECK(keys.find("FLUSHALL") == std::string::npos);
    for (std::size_t start = 0, end; (end = keys.find('\n', start)) != std::string::npos;
         start = end + 1) {
      CHECK(end - start == std::string("garde:assertion:").size() + 43);  // SHA-256, base64url
    }
  }
  SECTION("an entry lives until its expiry, then the ID may be taken again") {
    CHECK(on1.insert("_short", kNow + 1, kNow) == Outcome::kFirstUse);
    const std::string ttl = redis.cli("--scan --pattern 'garde:assertion:*'");
    // Every entry carries an expiry (none lives forever).
    for (std::size_t start = 0, end; (end = ttl.find('\n', start)) != std::string::npos;
         start = end + 1) {
      const std::string key = ttl.substr(start, end - start);
      CHECK(std::stoll(redis.cli("PTTL " + key)) > 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    CHECK(on2.insert("_short", kNow + 300, kNow + 2) == Outcome::kFirstUse);
  }
}

TEST_CASE("Redis down fails closed and coming back needs no new client", "[store][redis]") {
  core::setLogLevel(core::LogLevel::kError);
  test::RedisServer redis;  // persistent: a clean restart keeps its keys
  redis.markNew();
  auto node = client(redis);
  store::RedisReplayCache cache(*node, "assertion", kWindow);
  REQUIRE(cache.insert("_before", kNow + 300, kNow) == Outcome::kFirstUse);
  REQUIRE(node->ping().has_value());
  CHECK(node->up());

  redis.stop();
  CHECK(cache.insert("_during", kNow + 300, kNow) == Outcome::kUnavailable);
  CHECK(cache.insert("_before", kNow + 300, kNow) == Outcome::kUnavailable);  // never kFirstUse
  auto pinged = node->ping();
  REQUIRE_FALSE(pinged.has_value());
  CHECK(pinged.error().code == core::ErrorCode::kUnavailable);
  CHECK_FALSE(node->up());
  CHECK(node->failures() >= 3);

  redis.start();
  CHECK(cache.insert("_before", kNow + 300, kNow + 5) == Outcome::kReplay);  // kept across it
  CHECK(cache.insert("_during", kNow + 300, kNow + 5) == Outcome::kFirstUse);
  CHECK(node->up());
}

TEST_CASE("A hung Redis fails closed within the timeout, then recovers", "[store][redis]") {
  core::setLogLevel(core::LogLevel::kError);
  test::RedisServer redis;
  redis.markNew();
  auto node = client(redis);
  store::RedisReplayCache cache(*node, "request", kWindow);
  REQUIRE(cache.insert("_r1", kNow + 300, kNow) == Outcome::kFirstUse);
  redis.pause();
  CHECK(cache.insert("_r2", kNow + 300, kNow) == Outcome::kUnavailable);
  CHECK_FALSE(node->ping().has_value());
  redis.resume();
  CHECK(cache.insert("_r1", kNow + 300, kNow) == Outcome::kReplay);
  CHECK(cache.insert("_r3", kNow + 300, kNow) == Outcome::kFirstUse);
}

TEST_CASE("A Redis that lost its keys refuses what it might have seen before", "[store][redis]") {
  core::setLogLevel(core::LogLevel::kError);
  test::RedisServer redis(/*persistent=*/false);
  redis.markNew();
  auto node = client(redis);
  store::RedisReplayCache cache(*node, "assertion", kWindow);
  REQUIRE(cache.insert("_consumed", kNow + 300, kNow) == Outcome::kFirstUse);

  SECTION("restarted without persistence") {
    redis.stop();
    redis.start();
  }
  SECTION("flushed") { redis.cli("FLUSHALL"); }

  // The loss is noticed at kNow + 60: that is the key space's new epoch.
  const core::UnixTime at = kNow + 60;
  // Taken before the loss and replayed: its entry is gone, but it expires within the window of
  // the epoch, so it might predate it: refused, never kFirstUse.
  CHECK(cache.insert("_consumed", kNow + 300, at) == Outcome::kUnavailable);
  CHECK(cache.epochRefusals() == 1);
  // A message with a full window ahead of it cannot predate the epoch: accepted.
  CHECK(cache.insert("_fresh", at + kWindow, at) == Outcome::kFirstUse);
  // Once the window has passed, every message is accepted again.
  CHECK(cache.insert("_later", at + kWindow + 10, at + kWindow - 290) == Outcome::kFirstUse);
  CHECK(cache.insert("_later2", at + kWindow + 1, at + kWindow) == Outcome::kFirstUse);
  CHECK(redis.cli("GET garde:epoch").find(std::to_string(at)) != std::string::npos);
}

TEST_CASE("Redis with a password: AUTH, and a wrong one fails closed", "[store][redis]") {
  core::setLogLevel(core::LogLevel::kError);
  test::RedisServer redis(true, "s3cret-pass");
  redis.markNew();
  auto good = client(redis, "s3cret-pass");
  store::RedisReplayCache cache(*good, "assertion", kWindow);
  CHECK(cache.insert("_p1", kNow + 300, kNow) == Outcome::kFirstUse);
  CHECK(cache.insert("_p1", kNow + 300, kNow) == Outcome::kReplay);

  auto wrong = client(redis, "not-it");
  store::RedisReplayCache refused(*wrong, "assertion", kWindow);
  CHECK(refused.insert("_p2", kNow + 300, kNow) == Outcome::kUnavailable);
  auto none = client(redis);
  store::RedisReplayCache unauthenticated(*none, "assertion", kWindow);
  CHECK(unauthenticated.insert("_p3", kNow + 300, kNow) == Outcome::kUnavailable);
  CHECK_FALSE(none->up());
}
