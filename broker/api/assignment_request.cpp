// The body of POST /api/v1/establishment/{uai}/assignments, parsed apart from the handlers so
// that its fuzz target (fuzz/assignment.cpp) links this file alone.
#include <boost/json.hpp>

#include "broker/api/json_body.h"

#include "broker/api/establishment.h"

namespace garde::broker::api {

core::Result<AssignmentRequest> parseAssignmentRequest(std::string_view text) {
  GARDE_ASSIGN_OR_RETURN(const boost::json::object o, parseJsonObject(text, 4));
  const auto field = [&](std::string_view name) -> const boost::json::string* {
    const auto* f = o.if_contains(name);
    return f != nullptr && f->is_string() ? &f->as_string() : nullptr;
  };
  AssignmentRequest out;
  const auto* subscription = field("subscription");
  if (subscription == nullptr || subscription->empty() || subscription->size() > 45) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "subscription: a subscription id (1 to 45 characters) is required");
  }
  out.subscription = std::string(*subscription);
  const auto* kind = field("kind");
  const auto parsed =
      kind ? policy::parseAssignmentTargetKind(std::string_view(*kind)) : std::nullopt;
  if (!parsed) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "kind: one of person, class, group, establishment");
  }
  out.kind = *parsed;
  const auto* target = field("target");
  if (out.kind == policy::AssignmentTargetKind::kEstablishment) {
    if (target != nullptr && !target->empty()) {
      return core::fail(core::ErrorCode::kBadRequest,
                        "target: none for a whole-establishment assignment");
    }
  } else if (target == nullptr || target->empty() || target->size() > 64) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "target: the person's identifier or the class or group code (1 to 64 "
                      "characters)");
  } else {
    out.target = std::string(*target);
  }
  for (const auto& [key, value] : o) {
    if (key != "subscription" && key != "kind" && key != "target") {
      return core::fail(core::ErrorCode::kBadRequest, "unknown field " + std::string(key));
    }
  }
  return out;
}

}  // namespace garde::broker::api
