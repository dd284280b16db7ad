// The body of POST /api/v1/admin/login, parsed apart from the handlers so that its fuzz target
// (fuzz/admin_login.cpp) links this file alone.
#include <boost/json.hpp>

#include "broker/api/json_body.h"

#include "broker/api/admin_accounts.h"
#include "core/password.h"

namespace garde::broker::api {

core::Result<LoginRequest> parseLoginRequest(std::string_view text) {
  GARDE_ASSIGN_OR_RETURN(const boost::json::object o, parseJsonObject(text, 2));
  for (const auto& [key, value] : o) {
    if (key != "username" && key != "password" && key != "totp") {
      return core::fail(core::ErrorCode::kBadRequest, "unknown field " + std::string(key));
    }
    if (!value.is_string()) {
      return core::fail(core::ErrorCode::kBadRequest, std::string(key) + ": a string");
    }
  }
  const auto text_of = [&](std::string_view name) -> const boost::json::string* {
    const auto* f = o.if_contains(name);
    return f != nullptr ? &f->as_string() : nullptr;
  };
  LoginRequest out;
  const auto* username = text_of("username");
  if (username == nullptr || username->empty() || username->size() > 64) {
    return core::fail(core::ErrorCode::kBadRequest, "username: 1 to 64 characters");
  }
  out.username = std::string(*username);
  const auto* password = text_of("password");
  if (password == nullptr || password->empty() || password->size() > core::kMaxPasswordBytes) {
    return core::fail(core::ErrorCode::kBadRequest, "password: 1 to 1024 bytes");
  }
  out.password = std::string(*password);
  if (const auto* totp = text_of("totp")) {
    if (totp->size() > 16) {
      return core::fail(core::ErrorCode::kBadRequest, "totp: the one-time code's digits");
    }
    out.totp = std::string(*totp);
  }
  return out;
}

}  // namespace garde::broker::api
