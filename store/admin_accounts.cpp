#include "store/admin_accounts.h"

#include <algorithm>

#include "core/totp.h"
#include "store/util.h"

namespace garde::store {
namespace {

constexpr const char* kColumns =
    "SELECT username, role, password_hash, totp_secret, totp_last_step, created_at, disabled "
    "FROM admin_accounts ";

AdminAccount accountRow(const Stmt& s) {
  AdminAccount a;
  a.username = s.text(0);
  a.role = parseAdminRole(s.text(1)).value_or(AdminRole::kAuditor);
  a.password_hash = s.text(2);
  a.totp_secret = core::base32Decode(s.text(3)).value_or(std::string());
  a.totp_last_step = s.int64(4);
  a.created_at = core::parseIso8601(s.text(5)).value_or(0);
  a.disabled = s.int64(6) != 0;
  return a;
}

}  // namespace

std::string_view adminRoleCode(AdminRole role) noexcept {
  return role == AdminRole::kMinistryAdmin ? "ministry_admin" : "auditor";
}

std::optional<AdminRole> parseAdminRole(std::string_view code) noexcept {
  if (code == "ministry_admin") {
    return AdminRole::kMinistryAdmin;
  }
  if (code == "auditor") {
    return AdminRole::kAuditor;
  }
  return std::nullopt;
}

bool validAdminUsername(std::string_view username) noexcept {
  return !username.empty() && username.size() <= 64 &&
         std::all_of(username.begin(), username.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-' || c == '@';
         });
}

core::Status createAdminAccount(Db& db, const AdminAccount& a) {
  if (!validAdminUsername(a.username)) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "a username is 1 to 64 lower-case letters, digits or . _ - @");
  }
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO admin_accounts(username, role, password_hash, totp_secret, "
                      "totp_last_step, created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                      "ON CONFLICT(username) DO NOTHING");
  GARDE_TRY(stmt.bindAll(a.username, adminRoleCode(a.role), a.password_hash,
                         core::base32Encode(a.totp_secret), a.totp_last_step,
                         detail::isoTime(a.created_at), a.disabled ? 1 : 0)
                .run());
  if (db.changes() == 0) {
    return core::fail(core::ErrorCode::kConflict, "an account of that name exists");
  }
  return {};
}

core::Result<std::optional<AdminAccount>> findAdminAccount(Db& db, std::string_view username) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kColumns) + "WHERE username = ?1");
  stmt.bind(1, username);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return std::optional<AdminAccount>();
  }
  return std::optional<AdminAccount>(accountRow(stmt));
}

core::Result<std::vector<AdminAccount>> listAdminAccounts(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kColumns) + "ORDER BY username");
  std::vector<AdminAccount> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(accountRow(s)); }));
  return out;
}

core::Result<bool> takeTotpStep(Db& db, std::string_view username, std::int64_t step) {
  GARDE_STORE_PREPARE(stmt, db,
                      "UPDATE admin_accounts SET totp_last_step = ?2 WHERE username = ?1 AND "
                      "totp_last_step < ?2");
  GARDE_TRY(stmt.bindAll(username, step).run());
  return db.changes() == 1;
}

core::Result<core::UnixTime> loginLockedUntil(Db& db, std::string_view key, core::UnixTime now) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT locked_until FROM login_throttle WHERE key = ?1");
  stmt.bind(1, key);
  GARDE_STORE_STEP(found, stmt);
  const core::UnixTime until = found ? stmt.int64(0) : 0;
  return until > now ? until : 0;
}

core::Result<core::UnixTime> recordLoginFailure(Db& db, std::string_view key, core::UnixTime now,
                                                const ThrottleRule& rule) {
  // One statement, so that two nodes counting failures on the same key at once both count.
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO login_throttle(key, failures, last_failure_at, locked_until) "
                      "VALUES (?1, 1, ?2, 0) ON CONFLICT(key) DO UPDATE SET "
                      "failures = CASE WHEN ?2 - login_throttle.last_failure_at > ?3 THEN 1 "
                      "ELSE login_throttle.failures + 1 END, "
                      "last_failure_at = ?2 RETURNING failures");
  stmt.bindAll(key, now, rule.forget_seconds);
  GARDE_STORE_STEP(row, stmt);
  const std::int64_t failures = row ? stmt.int64(0) : 1;
  stmt.reset();
  if (failures < rule.free_failures) {
    return core::UnixTime{0};
  }
  std::int64_t lock = rule.first_lock_seconds;
  for (std::int64_t i = rule.free_failures; i < failures && lock < rule.max_lock_seconds; ++i) {
    lock *= 2;
  }
  const core::UnixTime until = now + std::min(lock, rule.max_lock_seconds);
  GARDE_STORE_PREPARE(update, db, "UPDATE login_throttle SET locked_until = ?2 WHERE key = ?1");
  GARDE_TRY(update.bindAll(key, until).run());
  return until;
}

core::Status clearLoginFailures(Db& db, std::string_view key) {
  GARDE_STORE_PREPARE(stmt, db, "DELETE FROM login_throttle WHERE key = ?1");
  return stmt.bindAll(key).run();
}

}  // namespace garde::store
