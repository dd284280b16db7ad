#pragma once
// Local admin accounts for the admin API tests: made in the store at a small Argon2id cost, and
// signed in through POST /api/v1/admin/login in a flows world.

#include <boost/json.hpp>

#include "core/password.h"
#include "store/admin_accounts.h"
#include "support/flows_world.h"

namespace admin_test {

/// A cost small enough for a suite that hashes often; the PHC string carries it.
inline constexpr garde::core::PasswordCost kCheap{1024, 1, 1};

inline void addAccount(garde::store::Db& db, const std::string& name, garde::store::AdminRole role,
                       const std::string& password, const std::string& totp_secret = {}) {
  garde::store::AdminAccount a;
  a.username = name;
  a.role = role;
  a.password_hash = garde::core::hashPassword(password, garde::core::systemRandom(), kCheap).value();
  a.totp_secret = totp_secret;
  REQUIRE(garde::store::createAdminAccount(db, a).has_value());
}

/// Signs `user` in (the world's browser gets the session cookie); returns the session's CSRF token.
inline std::string signIn(garde::test::Flows& f, const std::string& user,
                          const std::string& password) {
  f.jar().erase("garde_admin");
  garde::broker::Request req;
  req.method = "POST";
  req.target = req.path = "/api/v1/admin/login";
  req.body = boost::json::serialize(boost::json::object{{"username", user}, {"password", password}});
  req.headers.emplace("content-type", "application/json");
  const garde::broker::Response r = f.send(std::move(req));
  REQUIRE(r.status == 200);
  return std::string(boost::json::parse(r.body).at("csrf").as_string());
}

}  // namespace admin_test
