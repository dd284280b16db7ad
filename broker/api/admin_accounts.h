#pragma once
/// @file Sign-in of the ministry's admins and auditors with their local accounts (JSON;
/// docs/admin-accounts.md, ADR 0019). The session they get is the admin session of every admin
/// surface (broker/admin/session.h), with their role as the caller's kind, which the router checks
/// per route (CallerAuth::kMinistryAdmin, kMinistryReader).
///
///   POST /api/v1/admin/login    {"username","password"[,"totp"]}   no session needed
///   GET  /api/v1/admin/session  who, role, CSRF token, deadlines    a ministry session
///   POST /api/v1/admin/logout                                       a ministry session + CSRF

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/result.h"
#include "core/time.h"
#include "store/admin_accounts.h"

namespace garde::broker::api {

struct AdminAccountsDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  flows::AuditSink& audit;
  const admin::AdminSessions& sessions;
  /// Failures per account: 5 free, then 1 min doubling to 15 min.
  store::ThrottleRule per_account{};
  /// Failures per client address: 20 free, then 1 min doubling to 1 h.
  store::ThrottleRule per_address{20, 60, 3600, 24 * 3600};
  /// Password verifications running at once, at most `max_hashing` (each holds an I/O thread
  /// and 19 MiB for some 40 ms): the next is answered 503 with Retry-After.
  int max_hashing = 2;
  std::shared_ptr<std::atomic<int>> hashing = std::make_shared<std::atomic<int>>(0);
};

/// The body of POST /api/v1/admin/login, checked: exactly "username", "password" and an optional
/// "totp", all strings. kBadRequest naming the field otherwise. Untrusted input (fuzz/admin_login).
struct LoginRequest {
  std::string username;
  std::string password;
  std::optional<std::string> totp;
};
core::Result<LoginRequest> parseLoginRequest(std::string_view json);

Response handleAdminLogin(const Request& req, const AdminAccountsDeps& deps);
Response handleAdminSession(const Request& req, const AdminAccountsDeps& deps);
Response handleAdminLogout(const Request& req, const AdminAccountsDeps& deps);

void mountAdminAccounts(Router& router, const AdminAccountsDeps& deps);

}  // namespace garde::broker::api
