// The bodies of PUT and DELETE /api/v1/admin/catalogue/{code}, parsed apart from the handlers so
// that their fuzz target (fuzz/catalogue.cpp) links this file alone.
#include <algorithm>
#include <boost/json.hpp>

#include "broker/api/admin_catalogue.h"
#include "broker/api/json_body.h"
#include "policy/profile.h"

namespace garde::broker::api {
namespace {

constexpr std::size_t kMaxReason = 1000;
constexpr std::size_t kMaxMeaning = 200;
constexpr std::int64_t kMaxPosition = 10000;

core::Result<std::string> reasonOf(const boost::json::object& o) {
  const auto* reason = o.if_contains("reason");
  if (reason == nullptr || !reason->is_string() || reason->as_string().empty() ||
      reason->as_string().size() > kMaxReason) {
    return core::fail(core::ErrorCode::kBadRequest, "reason: why, 1 to 1000 characters");
  }
  return std::string(reason->as_string());
}

}  // namespace

bool isAttributeCode(std::string_view code) noexcept {
  return !code.empty() && code.size() <= 32 && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

core::Result<CatalogueRequest> parseCatalogueRequest(std::string_view code, std::string_view text) {
  if (!isAttributeCode(code)) {
    return core::fail(core::ErrorCode::kBadRequest, "code: 1 to 32 of A-Z, 0-9 and _");
  }
  GARDE_ASSIGN_OR_RETURN(const boost::json::object o, parseJsonObject(text, 3));
  for (const auto& [key, value] : o) {
    if (key != "reason" && key != "meaning" && key != "sensitivity" && key != "multi_valued" &&
        key != "profiles" && key != "position") {
      return core::fail(core::ErrorCode::kBadRequest, "unknown field " + std::string(key));
    }
  }
  CatalogueRequest out;
  out.entry.code = std::string(code);
  GARDE_ASSIGN_OR_RETURN(out.reason, reasonOf(o));

  const auto* meaning = o.if_contains("meaning");
  if (meaning == nullptr || !meaning->is_string() || meaning->as_string().empty() ||
      meaning->as_string().size() > kMaxMeaning ||
      std::any_of(meaning->as_string().begin(), meaning->as_string().end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "meaning: 1 to 200 characters, no control character");
  }
  out.entry.meaning = std::string(meaning->as_string());

  const auto* sensitivity = o.if_contains("sensitivity");
  const auto parsed = sensitivity != nullptr && sensitivity->is_string()
                          ? policy::parseSensitivity(sensitivity->as_string())
                          : std::nullopt;
  if (!parsed) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "sensitivity: \"technical\", \"personal\" or \"sensitive\"");
  }
  out.entry.sensitivity = *parsed;

  const auto* multi = o.if_contains("multi_valued");
  if (multi == nullptr || !multi->is_bool()) {
    return core::fail(core::ErrorCode::kBadRequest, "multi_valued: true or false");
  }
  out.entry.multi_valued = multi->as_bool();

  const auto* profiles = o.if_contains("profiles");
  if (profiles == nullptr || !profiles->is_array() || profiles->as_array().empty() ||
      profiles->as_array().size() > std::size(policy::kAllProfiles)) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "profiles: the National_* codes it exists for, at least one");
  }
  out.entry.profiles.clear();
  std::size_t i = 0;
  for (const auto& p : profiles->as_array()) {
    const std::string where = "profiles[" + std::to_string(i++) + "]";
    const auto profile = p.is_string() ? policy::parseProfile(p.as_string()) : std::nullopt;
    if (!profile) {
      return core::fail(core::ErrorCode::kBadRequest, where + ": a National_* code");
    }
    if (!out.entry.profiles.insert(*profile).second) {
      return core::fail(core::ErrorCode::kBadRequest, where + ": listed twice");
    }
  }

  if (const auto* position = o.if_contains("position")) {
    if (!position->is_int64() || position->as_int64() < 0 || position->as_int64() > kMaxPosition) {
      return core::fail(core::ErrorCode::kBadRequest, "position: an integer, 0 to 10000");
    }
    out.position = static_cast<int>(position->as_int64());
  }
  return out;
}

core::Result<std::string> parseCatalogueDeleteRequest(std::string_view text) {
  GARDE_ASSIGN_OR_RETURN(const boost::json::object o, parseJsonObject(text, 2));
  if (o.size() != 1 || !o.contains("reason")) {
    return core::fail(core::ErrorCode::kBadRequest, "exactly {\"reason\"}");
  }
  return reasonOf(o);
}

}  // namespace garde::broker::api
