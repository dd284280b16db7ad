// Assignment managers, licence counts, assigning and removing licences (store/assignments.h), on
// the demo database: subscription DEMO_A (manual A, INDIV, unlimited, class 3A and ens-0001) and
// DEMO_A2 (exercise book, INDIV, unlimited, class 3A).

#include "store/assignments.h"

#include <catch2/catch.hpp>

#include "demo_db.h"
#include "store/demo_data.h"
#include "store/subscriptions.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
namespace demo = store::demo;
using policy::AssignmentTargetKind;
using policy::Audience;

namespace {

constexpr core::UnixTime kAt = 1767225600;  // 2026-01-01

class Demo : public test::MigratedDb {
 protected:
  Demo() { REQUIRE(test::loadDemo(path_).has_value()); }

  /// A new INDIV subscription of resource A for the demo establishment with `configure`'s counts.
  void subscribe(const std::string& id, void (*configure)(store::SubscriptionRecord&)) {
    store::SubscriptionRecord s;
    s.id = id;
    s.publisher_id = demo::kPublisherA;
    s.resource_id = demo::kResourceA;
    s.valid_from = *policy::Date::parse("2025-09-01");
    s.valid_until = *policy::Date::parse("2026-08-31");
    s.uais = {demo::kUai};
    s.audiences = {Audience::kEleve, Audience::kEnseignant};
    configure(s);
    REQUIRE(store::createSubscription(db_, s, kAt).has_value());
  }
};

}  // namespace

TEST_CASE_METHOD(Demo, "Assignment managers are known per establishment", "[store][assignments]") {
  CHECK(store::managedEstablishments(db_, demo::kEnt, "doc-0001")->empty());
  REQUIRE(store::setAssignmentManager(db_, demo::kEnt, "doc-0001", demo::kUai, true).has_value());
  CHECK(*store::managedEstablishments(db_, demo::kEnt, "doc-0001") ==
        std::vector<std::string>{demo::kUai});
  // Another ENT's person of the same identifier manages nothing.
  CHECK(store::managedEstablishments(db_, "ENTTEST2", "doc-0001")->empty());
  REQUIRE(store::setAssignmentManager(db_, demo::kEnt, "doc-0001", demo::kUai, false).has_value());
  CHECK(store::managedEstablishments(db_, demo::kEnt, "doc-0001")->empty());
  CHECK_FALSE(store::setAssignmentManager(db_, demo::kEnt, "doc-0001", "9999999X", true));
}

TEST_CASE_METHOD(Demo, "Licences used are the people the assignments cover, per audience",
                 "[store][assignments]") {
  // DEMO_A: class 3A (elv-0001, elv-0002, elv-0004 and the teacher ens-0001) and ens-0001 by name.
  const auto usage = store::licenceUsage(db_, "DEMO_A_0561534N");
  REQUIRE(usage.has_value());
  CHECK(usage->used.at(Audience::kEleve) == 3);
  CHECK(usage->used.at(Audience::kEnseignant) == 1);  // once, though covered twice
  CHECK(usage->used_total == 4);
  CHECK(usage->unlimited);
  CHECK(usage->exceeded().empty());
  // DEMO_A2 is for pupils only: the teacher in 3A takes no licence.
  const auto a2 = store::licenceUsage(db_, "DEMO_A2_0561534N");
  CHECK(a2->used.count(Audience::kEnseignant) == 0);
  CHECK(a2->used_total == 3);
}

TEST_CASE_METHOD(Demo, "A licence count is enforced when assigning", "[store][assignments]") {
  subscribe("COUNTED_PUPILS", [](store::SubscriptionRecord& s) {
    s.audience_licences = {{Audience::kEleve, 2}};
  });
  auto first = store::assignLicence(db_, "COUNTED_PUPILS", demo::kUai,
                                    AssignmentTargetKind::kPerson, "elv-0001", "elv-mgr", kAt);
  REQUIRE(first.has_value());
  REQUIRE(store::assignLicence(db_, "COUNTED_PUPILS", demo::kUai, AssignmentTargetKind::kPerson,
                               "elv-0003", "elv-mgr", kAt)
              .has_value());
  // Assigning the same person again takes nothing more and gives the same id.
  CHECK(*store::assignLicence(db_, "COUNTED_PUPILS", demo::kUai, AssignmentTargetKind::kPerson,
                              "elv-0001", "elv-mgr", kAt) == *first);
  // Class 3A would cover elv-0002 and elv-0004 besides: 4 > 2, refused, nothing kept.
  const auto over = store::assignLicence(db_, "COUNTED_PUPILS", demo::kUai,
                                         AssignmentTargetKind::kClass, "3A", "elv-mgr", kAt);
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code == ErrorCode::kConflict);
  CHECK(over.error().detail.find("ELEVE 4 > 2") != std::string::npos);
  CHECK(store::listAssignments(db_, demo::kUai, "COUNTED_PUPILS")->size() == 2);
  // A teacher is outside the pupils' count but not in the subscription's audience either: no use.
  CHECK(store::licenceUsage(db_, "COUNTED_PUPILS")->used_total == 2);

  SECTION("a global count") {
    subscribe("COUNTED_GLOBAL", [](store::SubscriptionRecord& s) { s.licences_global = 3; });
    CHECK(store::assignLicence(db_, "COUNTED_GLOBAL", demo::kUai, AssignmentTargetKind::kClass,
                               "3A", "m", kAt)
              .error()
              .detail.find("global 4 > 3") != std::string::npos);
    CHECK(store::assignLicence(db_, "COUNTED_GLOBAL", demo::kUai, AssignmentTargetKind::kClass,
                               "4B", "m", kAt)
              .has_value());  // elv-0003 and ens-0001
  }
}

TEST_CASE_METHOD(Demo, "What cannot be assigned or removed", "[store][assignments]") {
  SECTION("an ETABL subscription needs no assignment") {
    const auto r = store::assignLicence(db_, "DEMO_B_0561534N", demo::kUai,
                                        AssignmentTargetKind::kPerson, "elv-0001", "m", kAt);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kConflict);
  }
  SECTION("unknown subscription, person, class; an establishment the subscription does not cover") {
    CHECK(store::assignLicence(db_, "NOPE", demo::kUai, AssignmentTargetKind::kPerson, "elv-0001",
                               "m", kAt)
              .error()
              .code == ErrorCode::kNotFound);
    CHECK(store::assignLicence(db_, "DEMO_A_0561534N", demo::kUai, AssignmentTargetKind::kPerson,
                               "elv-9999", "m", kAt)
              .error()
              .code == ErrorCode::kNotFound);
    CHECK(store::assignLicence(db_, "DEMO_A_0561534N", demo::kUai, AssignmentTargetKind::kClass,
                               "LATIN", "m", kAt)  // a group, not a class
              .error()
              .code == ErrorCode::kNotFound);
    CHECK(store::assignLicence(db_, "DEMO_A_0561534N", "0999999Z", AssignmentTargetKind::kPerson,
                               "elv-0001", "m", kAt)
              .error()
              .code == ErrorCode::kConflict);
  }
  SECTION("a transferable licence can be moved, a non-transferable one cannot") {
    subscribe("MOVABLE", [](store::SubscriptionRecord& s) { s.licences_unlimited = true; });
    subscribe("STAYS", [](store::SubscriptionRecord& s) {
      s.licences_unlimited = true;
      s.category = "non transferable";
    });
    const auto movable = store::assignLicence(db_, "MOVABLE", demo::kUai,
                                              AssignmentTargetKind::kPerson, "elv-0003", "m", kAt);
    const auto stays = store::assignLicence(db_, "STAYS", demo::kUai, AssignmentTargetKind::kPerson,
                                            "elv-0003", "m", kAt);
    REQUIRE(movable.has_value());
    REQUIRE(stays.has_value());
    CHECK(store::removeAssignment(db_, *movable, demo::kUai).has_value());
    CHECK(store::listAssignments(db_, demo::kUai, "MOVABLE")->empty());
    CHECK(store::removeAssignment(db_, *stays, demo::kUai).error().code == ErrorCode::kConflict);
    CHECK(store::listAssignments(db_, demo::kUai, "STAYS")->size() == 1);
    // Another establishment cannot remove it either.
    CHECK(store::removeAssignment(db_, *stays, "0999999Z").error().code == ErrorCode::kNotFound);
  }
}

TEST_CASE_METHOD(Demo, "A manager searches their establishment's directory",
                 "[store][assignments]") {
  const auto found = store::searchEstablishmentDirectory(db_, demo::kUai, "mar");
  REQUIRE(found.has_value());
  // Léa Martin, Claire Moreau? no: "mar" is in Martin only (and no class).
  REQUIRE(found->size() == 1);
  CHECK(found->front().kind == "person");
  CHECK(found->front().id == "elv-0001");
  CHECK(found->front().profile == "National_elv");
  const auto classes = store::searchEstablishmentDirectory(db_, demo::kUai, "3A");
  REQUIRE_FALSE(classes->empty());
  CHECK(classes->front().kind == "class");
  CHECK(store::searchEstablishmentDirectory(db_, "0999999Z", "mar")->empty());
}
