#pragma once
/// @file The local accounts of the ministry's admins and auditors (migration 9, docs/data-model.md
/// "admin_accounts") and the throttling of their sign-in attempts ("login_throttle"), shared by
/// every node through the database (docs/adr/0019).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/db.h"

namespace garde::store {

/// What a local account may do: a ministry admin governs, an auditor reads (audit, explain,
/// preview) and changes nothing.
enum class AdminRole { kMinistryAdmin, kAuditor };
std::string_view adminRoleCode(AdminRole role) noexcept;  ///< "ministry_admin" | "auditor"
std::optional<AdminRole> parseAdminRole(std::string_view code) noexcept;

struct AdminAccount {
  std::string username;  ///< lower case: letters, digits and . _ - @, 1 to 64 characters
  AdminRole role = AdminRole::kAuditor;
  std::string password_hash;  ///< core::hashPassword's PHC string
  std::string totp_secret;    ///< raw bytes; empty when the account has no second factor
  std::int64_t totp_last_step = 0;
  core::UnixTime created_at = 0;
  bool disabled = false;
};

/// Whether `username` is of the accepted shape (above).
bool validAdminUsername(std::string_view username) noexcept;

/// Creates an account. kBadRequest for a malformed username, kConflict when it exists.
core::Status createAdminAccount(Db& db, const AdminAccount& account);
/// The account, or nullopt when there is none of that name.
core::Result<std::optional<AdminAccount>> findAdminAccount(Db& db, std::string_view username);
/// Every account, by username (hashes and secrets included: callers show neither).
core::Result<std::vector<AdminAccount>> listAdminAccounts(Db& db);
/// Records that the code of `step` was used, if it is later than the last one used: true when it
/// was (the code is good), false when a code of that step or later was already taken, maybe on
/// another node at the same moment.
core::Result<bool> takeTotpStep(Db& db, std::string_view username, std::int64_t step);

/// How failures on one key (an account, an address) are throttled: after `free_failures` failures
/// in a row, the key is locked for `first_lock_seconds`, doubled at each further failure up to
/// `max_lock_seconds`. Failures older than `forget_seconds` are forgotten.
struct ThrottleRule {
  int free_failures = 5;
  std::int64_t first_lock_seconds = 60;
  std::int64_t max_lock_seconds = 15 * 60;
  std::int64_t forget_seconds = 24 * 3600;
};

/// Until when `key` is locked (0 when it is not, at `now`).
core::Result<core::UnixTime> loginLockedUntil(Db& db, std::string_view key, core::UnixTime now);
/// Counts a failure on `key` at `now`; returns until when the key is now locked (0: not locked).
core::Result<core::UnixTime> recordLoginFailure(Db& db, std::string_view key, core::UnixTime now,
                                                const ThrottleRule& rule);
/// Forgets the failures of `key` (a successful sign-in of that account).
core::Status clearLoginFailures(Db& db, std::string_view key);

}  // namespace garde::store
