// Migration 12: the catalogue's profiles and history (store/catalogue.h, ADR 0023): an existing
// entry exists for every profile after the migration; a ceiling row needs its code to exist for
// its profile; an edit that would orphan a ceiling row of the version in force is refused and
// changes nothing; every change keeps who, when, why, before and after.
#include "store/catalogue.h"

#include <catch2/catch.hpp>

#include "store/demo_data.h"
#include "store/policy_governance.h"
#include "store/policy_store.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
using policy::Profile;

namespace {

constexpr core::UnixTime kT = 1'800'000'000;

class Catalogue : public test::MigratedDb {
 protected:
  Catalogue() { REQUIRE(store::loadDemoPartners(db_).has_value()); }

  policy::CatalogueEntry entry(const std::string& code) {
    const auto all = store::readCatalogue(db_);
    REQUIRE(all.has_value());
    for (const auto& e : *all) {
      if (e.code == code) return e;
    }
    FAIL("no entry " << code);
    return {};
  }

  store::CatalogueChange change(policy::CatalogueEntry e, std::string reason = "why") {
    return {std::move(e), std::nullopt, "alice", std::move(reason), kT};
  }
};

}  // namespace

TEST_CASE("Migration 12 gives the entries already in the catalogue every profile",
          "[store][migrations][catalogue]") {
  test::TempDir dir("garde-store");
  store::Db db = test::openDb(dir.file("garde.db"));
  REQUIRE(store::migrate(db, 11).has_value());
  REQUIRE(db.execScript("INSERT INTO attribute_catalogue(code, meaning, sensitivity, "
                        "multi_valued, position) VALUES ('NOM', 'last name', 'personal', 0, 1)")
              .has_value());
  REQUIRE(store::migrate(db).has_value());
  const auto entries = store::readCatalogue(db).value();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].profiles.size() == std::size(policy::kAllProfiles));
  // Profile codes are checked.
  CHECK_FALSE(
      db.execScript("INSERT INTO catalogue_profiles VALUES ('NOM', 'National_xyz')").has_value());
}

TEST_CASE_METHOD(Catalogue, "The demo catalogue defines each attribute for its profiles",
                 "[store][catalogue]") {
  CHECK(entry("E_MEF").profiles == std::set<Profile>{Profile::kElv});
  CHECK(entry("P_MAT").profiles == std::set<Profile>{Profile::kEns, Profile::kDoc});
  CHECK(entry("DIV").existsFor(Profile::kElv));
  CHECK_FALSE(entry("DIV").existsFor(Profile::kCol));
  CHECK_FALSE(entry("P_MEL").existsFor(Profile::kElv));
  CHECK(entry("IDO").profiles.size() == std::size(policy::kAllProfiles));
  // The snapshot the release rule reads carries them.
  const auto snap = store::SqlPolicySource(db_).currentPolicy().value();
  CHECK(snap.findInCatalogue("E_MAT")->profiles == std::set<Profile>{Profile::kElv});
  // A change of the profiles alone moves the policy generation (every node reads it again).
  const auto generation = store::policyGeneration(db_).value();
  REQUIRE(db_.execScript("DELETE FROM catalogue_profiles WHERE code = 'IDO' AND "
                         "profile = 'National_col'")
              .has_value());
  CHECK(store::policyGeneration(db_).value() == generation + 1);
}

TEST_CASE_METHOD(Catalogue, "A ceiling row needs its code to exist for its profile",
                 "[store][catalogue][governance]") {
  auto ceilings = store::ceilingsInForce(db_).value().second;
  ceilings.allow(Profile::kEns, std::string(policy::kAnyCategory), "E_MEF");
  const auto s = store::checkCeilingCodes(db_, ceilings);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == ErrorCode::kConflict);
  CHECK(s.error().detail.find("National_ens * E_MEF") != std::string::npos);
  // Neither proposed nor published.
  CHECK(store::proposeCeilings(db_, "alice", "teachers' MEF", ceilings, kT).error().code ==
        ErrorCode::kConflict);
  CHECK(store::listProposals(db_).value().empty());
}

TEST_CASE_METHOD(Catalogue, "Adding an entry and widening its profiles apply at once, with history",
                 "[store][catalogue]") {
  const auto generation = store::policyGeneration(db_).value();
  policy::CatalogueEntry e{"E_OPT", "pupil's options", policy::Sensitivity::kPersonal, true};
  e.profiles = {Profile::kElv};
  const auto added = store::putCatalogueEntry(db_, change(e, "options for language tools"));
  REQUIRE(added.has_value());
  CHECK(added->added);
  CHECK(added->item.position == 13);  // after the last
  CHECK(store::policyGeneration(db_).value() > generation);
  CHECK(entry("E_OPT").profiles == std::set<Profile>{Profile::kElv});

  e.profiles.insert(Profile::kEns);
  e.meaning = "options a pupil follows";
  const auto updated = store::putCatalogueEntry(db_, change(e, "teachers see them too"));
  REQUIRE(updated.has_value());
  CHECK_FALSE(updated->added);
  CHECK(updated->item.position == 13);  // kept
  CHECK(entry("E_OPT").existsFor(Profile::kEns));

  // The same again changes nothing.
  CHECK(store::putCatalogueEntry(db_, change(e)).error().code == ErrorCode::kConflict);

  const auto history = store::catalogueHistory(db_, 0, 10).value();
  REQUIRE(history.size() == 2);
  CHECK(history[0].action == "update");  // newest first
  CHECK(history[0].reason == "teachers see them too");
  CHECK(history[0].actor == "alice");
  CHECK(history[0].at == "2027-01-15T08:00:00Z");
  CHECK(history[0].policy_version == store::ceilingsInForce(db_).value().first);
  CHECK(*history[0].before ==
        R"({"code":"E_OPT","meaning":"pupil's options","sensitivity":"personal",)"
        R"("multi_valued":true,"profiles":["National_elv"],"position":13})");
  CHECK(history[0].after->find(R"("profiles":["National_elv","National_ens"])") !=
        std::string::npos);
  CHECK(history[1].action == "add");
  CHECK_FALSE(history[1].before.has_value());
  // Paged.
  const auto older = store::catalogueHistory(db_, history[0].id, 10).value();
  REQUIRE(older.size() == 1);
  CHECK(older[0].id == history[1].id);
}

TEST_CASE_METHOD(Catalogue,
                 "Removing a profile or an entry a ceiling row uses is refused until the ceilings "
                 "are narrowed",
                 "[store][catalogue][governance]") {
  auto div = entry("DIV");
  div.profiles.erase(Profile::kElv);
  const auto refused = store::putCatalogueEntry(db_, change(div, "pupils' classes are private"));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::kConflict);
  CHECK(refused.error().detail.find("National_elv * DIV") != std::string::npos);
  CHECK(refused.error().detail.find("narrow the ceilings first") != std::string::npos);
  CHECK(entry("DIV").existsFor(Profile::kElv));  // nothing changed
  CHECK(store::catalogueHistory(db_, 0, 10).value().empty());

  const auto gone = store::deleteCatalogueEntry(db_, "E_MAT", "alice", "not needed", kT);
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().code == ErrorCode::kConflict);
  CHECK(store::deleteCatalogueEntry(db_, "NOPE", "alice", "typo", kT).error().code ==
        ErrorCode::kNotFound);
  CHECK(store::deleteCatalogueEntry(db_, "E_MAT", "alice", "", kT).error().code ==
        ErrorCode::kBadRequest);

  // Narrow the ceilings (at once), then the same edits pass.
  policy::Ceilings narrowed;
  const auto in_force = store::ceilingsInForce(db_);
  REQUIRE(in_force.has_value());
  for (const auto& [key, codes] : in_force->second.rows()) {
    for (const auto& c : codes) {
      if (key.first == Profile::kElv && (c == "DIV" || c == "E_MAT")) continue;
      narrowed.allow(key.first, key.second, c);
    }
  }
  REQUIRE(store::proposeCeilings(db_, "alice", "no classes, no subjects", narrowed, kT)
              .value()
              .applied);
  REQUIRE(store::putCatalogueEntry(db_, change(div, "pupils' classes are private")).has_value());
  CHECK_FALSE(entry("DIV").existsFor(Profile::kElv));
  REQUIRE(store::deleteCatalogueEntry(db_, "E_MAT", "alice", "not needed", kT).has_value());
  CHECK(store::SqlPolicySource(db_).currentPolicy().value().findInCatalogue("E_MAT") == nullptr);
  const auto history = store::catalogueHistory(db_, 0, 10).value();
  REQUIRE(history.size() == 2);
  CHECK(history[0].action == "delete");
  CHECK_FALSE(history[0].after.has_value());
  CHECK(history[0].before->find(R"("code":"E_MAT")") != std::string::npos);
}

TEST_CASE_METHOD(Catalogue, "A catalogue entry needs a reason and a profile",
                 "[store][catalogue]") {
  auto e = entry("NOM");
  e.meaning = "family name";
  CHECK(store::putCatalogueEntry(db_, change(e, "")).error().code == ErrorCode::kBadRequest);
  e.profiles.clear();
  CHECK(store::putCatalogueEntry(db_, change(e)).error().code == ErrorCode::kBadRequest);
  CHECK(entry("NOM").meaning == "last name");
}
