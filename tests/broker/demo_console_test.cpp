// What `garde serve --demo` adds for the console (broker/demo/demo_console.h), on a real database
// after the demo data: three local accounts whose passwords are kept owner-only and reused at the
// next start; four weeks of launch history counted in the usage aggregates, written once; a
// revision of publisher A's contract waiting for review, checked as the API checks it, once.
#include <catch2/catch.hpp>

#include <filesystem>

#include "broker/demo/demo_console.h"
#include "broker/demo/demo_data.h"
#include "core/password.h"
#include "store/admin_accounts.h"
#include "store/contract_submissions.h"
#include "store/temp_db.h"
#include "store/usage.h"
#include "support/constants.h"
#include "support/credentials.h"
#include "support/flows_world.h"

using namespace garde;

namespace {

class DemoConsole : public test::MigratedDb {
 protected:
  core::SystemClock clock_;
  store::DemoPeers peers_;

  DemoConsole() {
    peers_.publisher_a_sp_metadata_xml = test::spMetadataXml(
        peers_.publisher_a_sp_entity_id.c_str(), "https://edition-a.demo.test/acs",
        &test::testSpCredential());
    REQUIRE(broker::demo::loadDemoData(path_, peers_, broker::demo::generateDemoCallers(), clock_)
                .has_value());
  }

  broker::demo::DemoConsoleReport load() {
    auto r = broker::demo::loadDemoConsole(path_, dir_.path(), peers_, clock_);
    if (!r) FAIL(r.error().describe());
    return std::move(r).value();
  }
};

}  // namespace

TEST_CASE_METHOD(DemoConsole, "The demo console: accounts, history and a contract, once",
                 "[broker][demo][console]") {
  const auto first = load();
  REQUIRE(first.accounts.size() == 3);
  for (const auto& a : first.accounts) {
    INFO(a.username);
    CHECK(a.password.size() >= 16);
    auto found = store::findAdminAccount(db_, a.username);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK(store::adminRoleCode((*found)->role) == a.role);
    CHECK(core::verifyPassword((*found)->password_hash, a.password));
  }
  const auto file = dir_.path() / "console-accounts.txt";
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::others_all) ==
        std::filesystem::perms::none);

  // Four weeks of history, aggregated.
  CHECK(first.history_records > 100);
  auto usage = store::queryUsage(db_, {});
  REQUIRE(usage.has_value());
  std::set<std::string> days;
  std::int64_t launches = 0;
  for (const auto& r : *usage) {
    days.insert(r.day);
    launches += r.launches;
  }
  CHECK(days.size() >= 20);
  CHECK(launches == first.history_records);

  // Publisher A's revision, waiting, without problems.
  REQUIRE(first.pending_contract.has_value());
  auto pending = store::findSubmission(db_, *first.pending_contract);
  REQUIRE(pending.has_value());
  CHECK(pending->status == store::SubmissionStatus::kSubmitted);
  CHECK(pending->publisher_id == store::demo::kPublisherA);
  CHECK(pending->document.find("E_MEF") != std::string::npos);

  // A restart: the same passwords, nothing written twice.
  const auto second = load();
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(second.accounts[i].password == first.accounts[i].password);
  }
  CHECK(second.history_records == 0);
  CHECK_FALSE(second.pending_contract.has_value());
  auto all = store::listSubmissions(db_);
  REQUIRE(all.has_value());
  CHECK(all->size() == 1);
}
