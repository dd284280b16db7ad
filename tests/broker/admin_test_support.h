#pragma once
// Local admin accounts for the admin API tests: made in the store at a small Argon2id cost, and
// signed in through POST /api/v1/admin/login in a flows world.

#include <boost/json.hpp>

#include "broker/request.h"
#include "core/encoding.h"
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

/// A JSON call of the admin API in `f` with the world's session cookie, `target` split into path
/// and query as the server splits it, and the session's CSRF token unless `with_csrf` is false.
inline garde::broker::Response call(garde::test::Flows& f, const std::string& csrf,
                                    const std::string& method, const std::string& target,
                                    std::string body = {}, bool with_csrf = true) {
  garde::broker::Request req;
  req.method = method;
  req.target = target;
  req.path = target.substr(0, target.find('?'));
  if (const std::size_t q = target.find('?'); q != std::string::npos) {
    req.query = *garde::broker::parseUrlEncoded(target.substr(q + 1));
  }
  req.body = std::move(body);
  req.headers.emplace("content-type", "application/json");
  if (with_csrf) req.headers.emplace("x-csrf-token", csrf);
  return f.send(std::move(req));
}

/// A GET of `path` with the query `params` (URL-encoded into the target and decoded into the
/// request, as the HTTP layer does), with the world's cookies.
inline garde::broker::Response getWithQuery(
    garde::test::Flows& f, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& params) {
  garde::broker::Request req;
  std::string target = path;
  char sep = '?';
  for (const auto& [k, v] : params) {
    target += sep + k + "=" + garde::core::urlEncode(v, true);
    sep = '&';
    req.query.emplace(k, v);
  }
  req.method = "GET";
  req.target = target;
  req.path = path;
  return f.send(std::move(req));
}

}  // namespace admin_test
