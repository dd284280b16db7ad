// The body of POST /api/v1/admin/ceilings, parsed apart from the handlers so that its fuzz target
// (fuzz/ceilings.cpp) links this file alone.
#include <boost/json.hpp>

#include "broker/api/json_body.h"

#include "broker/api/admin_ceilings.h"
#include "policy/profile.h"

namespace garde::broker::api {
namespace {

bool codeLike(std::string_view s, std::size_t max) {
  return !s.empty() && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '*';
         });
}

}  // namespace

core::Result<CeilingsRequest> parseCeilingsRequest(std::string_view text) {
  GARDE_ASSIGN_OR_RETURN(const boost::json::object o, parseJsonObject(text, 4));
  for (const auto& [key, value] : o) {
    if (key != "reason" && key != "ceilings") {
      return core::fail(core::ErrorCode::kBadRequest, "unknown field " + std::string(key));
    }
  }
  CeilingsRequest out;
  const auto* reason = o.if_contains("reason");
  if (reason == nullptr || !reason->is_string() || reason->as_string().empty() ||
      reason->as_string().size() > 1000) {
    return core::fail(core::ErrorCode::kBadRequest, "reason: why, 1 to 1000 characters");
  }
  out.reason = std::string(reason->as_string());
  const auto* rows = o.if_contains("ceilings");
  if (rows == nullptr || !rows->is_array() || rows->as_array().size() > 10000) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "ceilings: the whole table, an array of at most 10000 rows");
  }
  std::size_t i = 0;
  for (const auto& row : rows->as_array()) {
    const std::string where = "ceilings[" + std::to_string(i++) + "]";
    if (!row.is_object() || row.as_object().size() != 3) {
      return core::fail(core::ErrorCode::kBadRequest,
                        where + ": {\"profile\", \"category\", \"attribute\"}");
    }
    const auto field = [&](std::string_view name) -> std::string_view {
      const auto* f = row.as_object().if_contains(name);
      return f != nullptr && f->is_string() ? std::string_view(f->as_string()) : std::string_view();
    };
    const auto profile = policy::parseProfile(field("profile"));
    if (!profile) {
      return core::fail(core::ErrorCode::kBadRequest, where + ".profile: a National_* code");
    }
    const std::string_view category = field("category");
    if (!codeLike(category, 64) ||
        (category.find('*') != std::string_view::npos && category != policy::kAnyCategory)) {
      return core::fail(core::ErrorCode::kBadRequest,
                        where + ".category: a category (letters, digits, _ -) or \"*\"");
    }
    const std::string_view attribute = field("attribute");
    if (!codeLike(attribute, 32) || attribute.find('*') != std::string_view::npos) {
      return core::fail(core::ErrorCode::kBadRequest, where + ".attribute: an attribute code");
    }
    out.ceilings.allow(*profile, std::string(category), std::string(attribute));
  }
  return out;
}

}  // namespace garde::broker::api
