// The parameters of a usage request (broker/api/usage.h, parseUsageQuery), parsed apart from the
// handlers so that its fuzz target (fuzz/usage_query.cpp) links this file alone.
#include "broker/api/usage.h"

namespace garde::broker::api {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMaxDays = 366;

}  // namespace

core::Result<store::UsageQuery> parseUsageQuery(const Request& req, core::UnixTime now) {
  store::UsageQuery q;
  for (const auto& [name, value] : req.query) {
    std::optional<std::string>* text = nullptr;
    if (name == "publisher") text = &q.publisher_id;
    else if (name == "resource") text = &q.resource_id;
    else if (name == "uai") text = &q.uai;
    else if (name == "profile") text = &q.profile;
    else if (name == "outcome") text = &q.outcome;
    if (text != nullptr) {
      if (value.empty() || value.size() > 1024) {
        return core::fail(core::ErrorCode::kBadRequest, name + ": 1 to 1024 characters");
      }
      *text = value;
    } else if (name == "from" || name == "until") {
      auto day = store::parseUsageDay(value);
      if (!day) {
        return core::fail(core::ErrorCode::kBadRequest, name + ": a day, YYYY-MM-DD");
      }
      (name == "from" ? q.from_day : q.until_day) = *day;
    } else if (name != "format" && name != "part") {
      return core::fail(core::ErrorCode::kBadRequest, "unknown parameter " + name);
    }
  }
  if (q.outcome && *q.outcome != "released" && *q.outcome != "refused") {
    return core::fail(core::ErrorCode::kBadRequest, "outcome: released or refused");
  }
  if (!q.until_day) {
    q.until_day = core::formatIso8601(now).substr(0, 10);
  }
  const auto until = core::parseIso8601(*q.until_day + "T00:00:00Z");
  if (!q.from_day) {
    q.from_day = core::formatIso8601(*until - 27 * kDay).substr(0, 10);
  }
  const auto from = core::parseIso8601(*q.from_day + "T00:00:00Z");
  if (*from > *until) {
    return core::fail(core::ErrorCode::kBadRequest, "from: on or before until");
  }
  if ((*until - *from) / kDay >= kMaxDays) {
    return core::fail(core::ErrorCode::kBadRequest, "from, until: at most 366 days");
  }
  return q;
}

}  // namespace garde::broker::api
