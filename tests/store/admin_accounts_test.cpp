// Migration 9: local admin accounts (names, roles, one-time steps taken once) and the sign-in
// throttle (free failures, doubling locks up to a cap, forgetting, clearing).
#include "store/admin_accounts.h"

#include <catch2/catch.hpp>

#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
using store::AdminAccount;
using store::AdminRole;

namespace {

AdminAccount account(std::string name, AdminRole role = AdminRole::kMinistryAdmin) {
  AdminAccount a;
  a.username = std::move(name);
  a.role = role;
  a.password_hash = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA";
  a.created_at = 1'800'000'000;
  return a;
}

class Accounts : public test::MigratedDb {};

}  // namespace

TEST_CASE_METHOD(Accounts, "Admin accounts: created once, found with their role and secret",
                 "[store][admin]") {
  AdminAccount a = account("marie.dupont@education.gouv.fr");
  a.totp_secret = std::string("\x00\x01\xfe secret", 10);
  REQUIRE(store::createAdminAccount(db_, a).has_value());
  REQUIRE(store::createAdminAccount(db_, account("auditeur", AdminRole::kAuditor)).has_value());
  CHECK(store::createAdminAccount(db_, account("auditeur")).error().code == ErrorCode::kConflict);

  const auto found = store::findAdminAccount(db_, "marie.dupont@education.gouv.fr");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK((*found)->role == AdminRole::kMinistryAdmin);
  CHECK((*found)->totp_secret == a.totp_secret);
  CHECK((*found)->password_hash == a.password_hash);
  CHECK((*found)->created_at == a.created_at);
  CHECK_FALSE((*found)->disabled);
  CHECK_FALSE(store::findAdminAccount(db_, "Marie.Dupont@education.gouv.fr")->has_value());

  const auto all = store::listAdminAccounts(db_);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].username == "auditeur");
  CHECK((*all)[0].role == AdminRole::kAuditor);
  CHECK((*all)[0].totp_secret.empty());
}

TEST_CASE_METHOD(Accounts, "Admin usernames are lower case and of a bounded alphabet",
                 "[store][admin]") {
  for (const char* bad : {"", "Marie", "marie dupont", "marie;drop", "é", "a/b"}) {
    INFO(bad);
    CHECK(store::createAdminAccount(db_, account(bad)).error().code == ErrorCode::kBadRequest);
  }
  CHECK(store::createAdminAccount(db_, account(std::string(65, 'a'))).error().code ==
        ErrorCode::kBadRequest);
  CHECK(store::createAdminAccount(db_, account(std::string(64, 'a'))).has_value());
}

TEST_CASE_METHOD(Accounts, "A one-time step is taken once, and never an earlier one",
                 "[store][admin]") {
  REQUIRE(store::createAdminAccount(db_, account("admin")).has_value());
  CHECK(store::takeTotpStep(db_, "admin", 100).value());
  CHECK_FALSE(store::takeTotpStep(db_, "admin", 100).value());
  CHECK_FALSE(store::takeTotpStep(db_, "admin", 99).value());
  CHECK(store::takeTotpStep(db_, "admin", 101).value());
  CHECK_FALSE(store::takeTotpStep(db_, "nobody", 500).value());
}

TEST_CASE_METHOD(Accounts, "Sign-in failures lock a key after the free ones, doubling to a cap",
                 "[store][admin]") {
  const store::ThrottleRule rule{3, 60, 240, 3600};
  const core::UnixTime t = 1'800'000'000;
  CHECK(store::recordLoginFailure(db_, "account:admin", t, rule).value() == 0);
  CHECK(store::recordLoginFailure(db_, "account:admin", t + 1, rule).value() == 0);
  CHECK(store::loginLockedUntil(db_, "account:admin", t + 1).value() == 0);
  CHECK(store::recordLoginFailure(db_, "account:admin", t + 2, rule).value() == t + 2 + 60);
  CHECK(store::loginLockedUntil(db_, "account:admin", t + 3).value() == t + 2 + 60);
  CHECK(store::loginLockedUntil(db_, "account:admin", t + 62).value() == 0);  // lock over
  CHECK(store::recordLoginFailure(db_, "account:admin", t + 70, rule).value() == t + 70 + 120);
  CHECK(store::recordLoginFailure(db_, "account:admin", t + 200, rule).value() == t + 200 + 240);
  CHECK(store::recordLoginFailure(db_, "account:admin", t + 500, rule).value() == t + 500 + 240);
  // Another key is not touched.
  CHECK(store::loginLockedUntil(db_, "address:192.0.2.1", t + 500).value() == 0);
  // Cleared by a success: the free failures again.
  REQUIRE(store::clearLoginFailures(db_, "account:admin").has_value());
  CHECK(store::loginLockedUntil(db_, "account:admin", t + 501).value() == 0);
  CHECK(store::recordLoginFailure(db_, "account:admin", t + 502, rule).value() == 0);
  // Forgotten after forget_seconds without a failure.
  CHECK(store::recordLoginFailure(db_, "account:admin", t + 503, rule).value() == 0);
  CHECK(store::recordLoginFailure(db_, "account:admin", t + 503 + 3601, rule).value() == 0);
}
