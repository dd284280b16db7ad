// The usage API's parameters (broker/api/usage.h, parseUsageQuery) from a query string: whatever
// the bytes, a clean error or a query the store can run (two real days, in order, at most 366
// days apart, a known outcome).
#include <cstddef>
#include <cstdint>

#include "broker/api/usage.h"
#include "core/time.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  auto params = broker::parseUrlEncoded(fuzz::asText(data, size));
  if (!params) {
    return 0;
  }
  broker::Request req;
  req.query = std::move(params).value();
  constexpr core::UnixTime kNow = 1795456800;  // 2026-11-23T18:00:00Z
  auto q = broker::api::parseUsageQuery(req, kNow);
  if (!q) {
    return 0;
  }
  if (!q->from_day || !q->until_day || !store::parseUsageDay(*q->from_day) ||
      !store::parseUsageDay(*q->until_day) || *q->from_day > *q->until_day) {
    __builtin_trap();
  }
  const auto from = core::parseIso8601(*q->from_day + "T00:00:00Z");
  const auto until = core::parseIso8601(*q->until_day + "T00:00:00Z");
  if (!from || !until || (*until - *from) / 86400 >= 366) {
    __builtin_trap();
  }
  if (q->outcome && *q->outcome != "released" && *q->outcome != "refused") {
    __builtin_trap();
  }
  return 0;
}
