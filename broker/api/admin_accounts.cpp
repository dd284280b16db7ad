#include "broker/api/admin_accounts.h"

#include <boost/json.hpp>

#include "broker/api/admin_action.h"
#include "broker/api/json_reply.h"
#include "core/log.h"
#include "core/password.h"
#include "core/totp.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.admin");

/// What a refused sign-in says: the same for an unknown account, a wrong password, a disabled
/// account and a wrong one-time code, so that the answer does not tell which.
constexpr std::string_view kRefused = "wrong username, password or one-time code";

Caller::Kind kindOf(store::AdminRole role) {
  return role == store::AdminRole::kMinistryAdmin ? Caller::Kind::kMinistryAdmin
                                                  : Caller::Kind::kAuditor;
}

std::string_view roleOf(Caller::Kind kind) {
  return kind == Caller::Kind::kMinistryAdmin ? "ministry_admin" : "auditor";
}

void audit(const AdminAccountsDeps& deps, const Request& req, std::string_view action,
           bool done, std::string actor, std::string_view why = {}) {
  auditAdminAction(deps.audit, deps.clock.now(), req, std::move(actor),
                   why.empty() ? std::string(action)
                               : std::string(action) + ":" + std::string(why),
                   done);
}

/// A slot among the password verifications allowed at once; empty when there is none.
class HashingSlot {
 public:
  HashingSlot(std::atomic<int>& running, int max) : running_(running) {
    taken_ = running_.fetch_add(1) < max;
    if (!taken_) {
      running_.fetch_sub(1);
    }
  }
  ~HashingSlot() {
    if (taken_) {
      running_.fetch_sub(1);
    }
  }
  HashingSlot(const HashingSlot&) = delete;
  HashingSlot& operator=(const HashingSlot&) = delete;
  explicit operator bool() const noexcept { return taken_; }

 private:
  std::atomic<int>& running_;
  bool taken_ = false;
};

Response throttled(const Request& req, core::UnixTime until, core::UnixTime now) {
  Response r = jsonProblem(kLog, req, 429, "too many failed sign-ins: try again later",
                           "sign-in throttled");
  r.setHeader("Retry-After", std::to_string(std::max<core::UnixTime>(1, until - now)));
  return r;
}

/// Whether the account's second factor (if it has one) is satisfied by `code`, the code's step
/// taken once for all nodes.
core::Result<bool> secondFactor(store::Db& db, const store::AdminAccount& account,
                                const std::optional<std::string>& code, core::UnixTime now) {
  if (account.totp_secret.empty()) {
    return true;
  }
  if (!code) {
    return false;
  }
  const auto step = core::verifyTotp(account.totp_secret, *code, now, account.totp_last_step);
  if (!step) {
    return false;
  }
  return store::takeTotpStep(db, account.username, *step);
}

}  // namespace

Response handleAdminLogin(const Request& req, const AdminAccountsDeps& deps) {
  // A cross-site form cannot send this type without a CORS preflight, which garde never answers:
  // no other site can sign a browser in to an account of its choosing (login CSRF).
  const std::string* type = req.header("content-type");
  if (type == nullptr || type->rfind("application/json", 0) != 0) {
    return jsonProblem(kLog, req, 415, "the body must be application/json", "not JSON");
  }
  auto body = parseLoginRequest(req.body);
  if (!body) {
    return jsonProblem(kLog, req, 400, body.error().detail, body.error().detail);
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  store::Db& db = lease->db();
  const core::UnixTime now = deps.clock.now();
  const std::string account_key = "account:" + body->username;
  const std::string address_key = "address:" + req.peer;
  for (const std::string* key : {&account_key, &address_key}) {
    auto until = store::loginLockedUntil(db, *key, now);
    if (!until) {
      return jsonStoreProblem(kLog, req, until.error());
    }
    if (*until != 0) {
      audit(deps, req, "sign_in", false, "", "throttled");
      return throttled(req, *until, now);
    }
  }
  const HashingSlot slot(*deps.hashing, deps.max_hashing);
  if (!slot) {
    Response r = jsonProblem(kLog, req, 503, "busy: try again in a moment", "sign-ins at capacity");
    r.setHeader("Retry-After", "1");
    return r;
  }
  auto found = store::findAdminAccount(db, body->username);
  if (!found) {
    return jsonStoreProblem(kLog, req, found.error());
  }
  const store::AdminAccount* account = found->has_value() ? &**found : nullptr;
  // An unknown name is verified against a decoy, so that it takes as long as a known one.
  const bool password_ok = core::verifyPassword(
      account != nullptr ? account->password_hash : core::decoyPasswordHash(), body->password);
  const bool usable = account != nullptr && !account->disabled && password_ok;
  bool ok = false;
  if (usable) {
    auto second = secondFactor(db, *account, body->totp, now);
    if (!second) {
      return jsonStoreProblem(kLog, req, second.error());
    }
    ok = *second;
  }
  if (!ok) {
    // An unknown name is not written anywhere: people type their password into it.
    const std::string actor = account != nullptr ? account->username : "";
    const char* why = account == nullptr     ? "unknown account"
                      : account->disabled    ? "account disabled"
                      : !password_ok         ? "wrong password"
                      : body->totp.has_value() ? "wrong one-time code"
                                             : "one-time code missing";
    core::UnixTime locked = 0;
    for (const auto& [key, rule] : {std::pair{&account_key, &deps.per_account},
                                    std::pair{&address_key, &deps.per_address}}) {
      auto until = store::recordLoginFailure(db, *key, now, *rule);
      if (!until) {
        return jsonStoreProblem(kLog, req, until.error());
      }
      locked = std::max(locked, *until);
    }
    audit(deps, req, "sign_in", false, actor, why);
    kLog.info("sign-in refused", {{"request_id", req.request_id}, {"why", why}});
    if (usable && !body->totp) {
      // The password was right: the client is asked for the code (and this failure counted, so
      // that the code cannot be guessed faster than a password).
      return jsonReply(401, boost::json::object{{"error", "a one-time code is required"},
                                                {"totp_required", true},
                                                {"request_id", req.request_id}});
    }
    if (locked != 0) {
      return throttled(req, locked, now);
    }
    return jsonReply(401, boost::json::object{{"error", kRefused}, {"request_id", req.request_id}});
  }
  if (auto cleared = store::clearLoginFailures(db, account_key); !cleared) {
    return jsonStoreProblem(kLog, req, cleared.error());
  }
  auto [cookie, session] = deps.sessions.open(req, Caller{account->username, kindOf(account->role)});
  audit(deps, req, "sign_in", true, account->username);
  Response r = jsonReply(200, boost::json::object{
                                  {"username", account->username},
                                  {"role", store::adminRoleCode(account->role)},
                                  {"csrf", session.csrf},
                                  {"expires_at", core::formatIso8601(session.expires_at)},
                                  {"idle_timeout_seconds", deps.sessions.settings().idle_seconds}});
  r.cookies.push_back(std::move(cookie));
  return r;
}

Response handleAdminSession(const Request& req, const AdminAccountsDeps& deps) {
  const auto session = deps.sessions.read(req);
  if (!session) {
    return jsonProblem(kLog, req, 403, "a ministry session is needed", "no session");
  }
  return jsonReply(200, boost::json::object{
                            {"username", session->caller.id},
                            {"role", roleOf(session->caller.kind)},
                            {"csrf", session->csrf},
                            {"expires_at", core::formatIso8601(session->expires_at)},
                            {"idle_timeout_seconds", deps.sessions.settings().idle_seconds}});
}

Response handleAdminLogout(const Request& req, const AdminAccountsDeps& deps) {
  audit(deps, req, "sign_out", true, req.caller ? req.caller->id : "");
  Response r;
  r.status = 204;
  r.cookies.push_back(deps.sessions.closing(req));
  return r;
}

void mountAdminAccounts(Router& router, const AdminAccountsDeps& deps) {
  // Each route keeps its own copy of the dependencies (references and the shared counter).
  router.post("/api/v1/admin/login", CallerAuth::kNone,
              [deps](const Request& req) { return handleAdminLogin(req, deps); });
  router.get("/api/v1/admin/session", CallerAuth::kMinistryReader,
             deps.sessions.refreshing(
                 [deps](const Request& req) { return handleAdminSession(req, deps); }));
  router.post("/api/v1/admin/logout", CallerAuth::kMinistryReader,
              [deps](const Request& req) { return handleAdminLogout(req, deps); });
}

}  // namespace garde::broker::api
