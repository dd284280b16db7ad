#include <catch2/catch.hpp>

#include "demo_db.h"
#include "policy/release.h"
#include "store/demo_data.h"
#include "store/directory.h"
#include "store/launch.h"
#include "store/policy_store.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
namespace demo = store::demo;

namespace {

const policy::Date kToday = *policy::Date::parse("2026-01-15");

policy::Pseudonymizer pseudonyms() {
  return policy::Pseudonymizer({std::string(32, 'k'), "k1", policy::PseudonymScope::kPerPublisher,
                                policy::PseudonymEncoding::kBase64Url});
}

class Demo : public test::MigratedDb {
 protected:
  Demo() { REQUIRE(test::loadDemo(path_).has_value()); }

  policy::Decision launch(const char* person, const char* resource) {
    auto in = store::loadLaunchInputs(db_, demo::kEnt, person, demo::kUai, resource);
    REQUIRE(in.has_value());
    store::SqlPolicySource source(db_);
    auto policy = source.currentPolicy();
    REQUIRE(policy.has_value());
    return policy::decide(in->person, in->contract, in->subscriptions, *policy, pseudonyms(),
                          kToday);
  }
};

}  // namespace

TEST_CASE_METHOD(Demo, "The demo pupil's launch of resource A releases IDO, PRO, UAI and DIV",
                 "[store][demo]") {
  const auto d = launch(demo::kPupil, demo::kResourceA);
  REQUIRE(d.entitled);
  CHECK(d.subscription_id == "DEMO_A_0561534N");
  CHECK(d.policy_version == demo::kPolicyVersion);
  CHECK(d.releasedCodes() == std::vector<std::string>{"IDO", "PRO", "UAI", "DIV"});
  CHECK(d.released[1].values == std::vector<std::string>{"National_elv"});
  CHECK(d.released[2].values == std::vector<std::string>{"0561534N"});
  CHECK(d.released[3].values == std::vector<std::string>{"3A"});
  CHECK(d.released[0].values.front() ==
        *pseudonyms().pseudonym(demo::kPublisherA, demo::kEnt, demo::kPupil));
}

TEST_CASE_METHOD(Demo, "The demo teacher's launch of resource A adds names and e-mail",
                 "[store][demo]") {
  const auto d = launch(demo::kTeacher, demo::kResourceA);
  REQUIRE(d.entitled);
  CHECK(d.releasedCodes() == std::vector<std::string>{"IDO", "PRO", "UAI", "PRE", "NOM", "P_MEL"});
}

TEST_CASE_METHOD(Demo,
                 "Resource B gets IDO and PRO only, through the establishment-wide subscription",
                 "[store][demo]") {
  const auto d = launch(demo::kUnassignedPupil, demo::kResourceB);
  REQUIRE(d.entitled);
  CHECK(d.releasedCodes() == std::vector<std::string>{"IDO", "PRO"});
  // Another publisher, another pseudonym.
  CHECK(d.released[0].values.front() !=
        *pseudonyms().pseudonym(demo::kPublisherA, demo::kEnt, demo::kUnassignedPupil));
}

TEST_CASE_METHOD(Demo, "A pupil of an unassigned class is refused resource A", "[store][demo]") {
  const auto d = launch(demo::kUnassignedPupil, demo::kResourceA);
  CHECK_FALSE(d.entitled);
  CHECK(d.refusal == policy::Refusal::kNotAssigned);
  CHECK(d.released.empty());
  // Its audit row: tests/broker/audit_record_test.cpp (the flows build it from the decision).
}

TEST_CASE_METHOD(Demo, "Launch inputs carry the resource, its publisher and its contract",
                 "[store][demo]") {
  const auto in =
      store::loadLaunchInputs(db_, demo::kEnt, demo::kPupil, demo::kUai, demo::kResourceA);
  REQUIRE(in.has_value());
  CHECK(in->resource.url == "https://edition-a.demo.test/resource");
  CHECK(in->resource.login_url == "https://edition-a.demo.test/login");
  CHECK(in->contract.launch_mode == policy::LaunchMode::kBounce);
  CHECK(in->resource.publisher_id == demo::kPublisherA);
  CHECK(store::loadLaunchInputs(db_, demo::kEnt, demo::kPupil, demo::kUai, demo::kResourceB)
            ->contract.launch_mode == policy::LaunchMode::kDirect);

  CHECK(store::loadLaunchInputs(db_, "NOPE", demo::kPupil, demo::kUai, demo::kResourceA)
            .error()
            .code == ErrorCode::kUnknownPeer);
  CHECK(store::loadLaunchInputs(db_, demo::kEnt, "nobody", demo::kUai, demo::kResourceA)
            .error()
            .code == ErrorCode::kUnknownUser);
  CHECK(store::loadLaunchInputs(db_, demo::kEnt, demo::kPupil, "0000000X", demo::kResourceA)
            .error()
            .code == ErrorCode::kNotEntitled);
  CHECK(store::loadLaunchInputs(db_, demo::kEnt, demo::kPupil, demo::kUai, "ark:/none")
            .error()
            .code == ErrorCode::kUnknownResource);
  CHECK_FALSE(db_.inTransaction());
}

TEST_CASE_METHOD(Demo, "Demo data loads twice without change to the decision", "[store][demo]") {
  REQUIRE(test::loadDemo(path_).has_value());
  CHECK(launch(demo::kPupil, demo::kResourceA).releasedCodes() ==
        std::vector<std::string>{"IDO", "PRO", "UAI", "DIV"});
  CHECK(store::policyHistory(db_)->size() == 1);
}

TEST_CASE_METHOD(Demo, "Default policy never gives a pupil's e-mail, and explain says so",
                 "[store][demo]") {
  store::SqlPolicySource source(db_);
  const auto policy = *source.currentPolicy();
  CHECK_FALSE(policy.ceilings.allows(policy::Profile::kElv, "manuel", "P_MEL"));
  CHECK(policy.catalogue.size() == 12);
  // The catalogue defines P_MEL for staff only: its reason comes before the ceiling's.
  CHECK_FALSE(policy.findInCatalogue("P_MEL")->existsFor(policy::Profile::kElv));
  auto contract = *store::findContract(db_, demo::kResourceA);
  contract.declared[policy::Profile::kElv].push_back({"P_MEL", "newsletter"});
  const auto x = policy::explain(policy::Profile::kElv, contract, policy);
  bool found = false;
  for (const auto& w : x.withheld) {
    if (w.code == "P_MEL") {
      found = true;
      CHECK(w.reason == policy::WithheldReason::kNotForProfile);
    }
  }
  CHECK(found);
}

TEST_CASE("Demo peers are parameters", "[store][demo]") {
  test::TempDir dir;
  auto db = test::openDb(dir.file("demo.db"));
  REQUIRE(store::migrate(db).has_value());
  store::DemoPeers peers;
  peers.ent_idp_entity_id = "http://localhost:8081/idp";
  peers.publisher_a_base_url = "http://localhost:9001";
  REQUIRE(test::loadDemo(dir.file("demo.db"), peers).has_value());
  CHECK(store::findEnt(db, demo::kEnt)->idp_entity_id == "http://localhost:8081/idp");
  CHECK(store::findResource(db, demo::kResourceA)->url == "http://localhost:9001/resource");
}

TEST_CASE("Demo data on an unmigrated database fails and leaves nothing", "[store][demo]") {
  test::TempDir dir;
  auto db = test::openDb(dir.file("raw.db"));
  REQUIRE_FALSE(test::loadDemo(dir.file("raw.db")).has_value());
  CHECK_FALSE(db.inTransaction());
}

TEST_CASE_METHOD(Demo, "A person's establishments at their ENT come from one query",
                 "[store][directory]") {
  auto pupil = store::listPersonEstablishments(db_, demo::kEnt, demo::kPupil);
  REQUIRE(pupil.has_value());
  CHECK(*pupil == std::vector<std::string>{demo::kUai});
  auto unknown = store::listPersonEstablishments(db_, demo::kEnt, "nobody");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code == ErrorCode::kUnknownUser);
  auto other_ent = store::listPersonEstablishments(db_, "OTHERENT", demo::kPupil);
  REQUIRE_FALSE(other_ent.has_value());
  CHECK(other_ent.error().code == ErrorCode::kUnknownUser);
}

TEST_CASE_METHOD(Demo,
                 "The resource cache serves a resource until the registry changes, from any "
                 "connection",
                 "[store][resource-cache]") {
  store::ResourceCache cache;
  auto find = [&](store::Db& db, const char* id) {
    auto tx = store::Transaction::begin(db, store::Transaction::Kind::kDeferred);
    REQUIRE(tx.has_value());
    auto entry = cache.find(db, id);
    REQUIRE(tx->commit().has_value());
    return entry;
  };
  const auto first = find(db_, demo::kResourceA);
  REQUIRE(first.has_value());
  REQUIRE((*first)->contract.has_value());
  CHECK((*first)->resource.id == demo::kResourceA);
  CHECK((*first)->contract->status == policy::ContractStatus::kApproved);
  CHECK((*first)->publisher_name ==
        store::findPublisherName(db_, (*first)->resource.publisher_id).value());
  const auto again = find(db_, demo::kResourceA);
  REQUIRE(again.has_value());
  CHECK(again->get() == first->get());  // not read again

  // Unknown ids are refused each time and never kept.
  CHECK(find(db_, "ark:/none").error().code == ErrorCode::kUnknownResource);
  CHECK(find(db_, "ark:/none").error().code == ErrorCode::kUnknownResource);

  // Another connection (the admin tool, another broker node) changes each of the three tables.
  store::Db other = test::openDb(path_);
  const char* change = "";
  SECTION("a contract suspended") {
    change =
        "UPDATE contracts SET status = 'suspended' WHERE resource_id = 'ark:/49591/demo.manuel.a'";
  }
  SECTION("a declaration withdrawn") {
    change =
        "DELETE FROM contract_declarations WHERE resource_id = 'ark:/49591/demo.manuel.a' "
        "AND attribute_code = 'NOM'";
  }
  SECTION("the resource's URL changed") {
    change =
        "UPDATE resources SET url = 'https://moved.example/' "
        "WHERE id = 'ark:/49591/demo.manuel.a'";
  }
  SECTION("a declaration added") {
    change =
        "INSERT INTO contract_declarations(resource_id, profile, attribute_code, "
        "justification) VALUES ('ark:/49591/demo.manuel.a', 'National_doc', 'IDO', 'why')";
  }
  SECTION("the publisher renamed (the médiacentre's nomEditeur comes from the entry)") {
    change =
        "UPDATE publishers SET name = 'Renamed' WHERE id = (SELECT publisher_id FROM resources "
        "WHERE id = 'ark:/49591/demo.manuel.a')";
  }
  const auto before = store::registryGeneration(other);
  REQUIRE(before.has_value());
  REQUIRE(other.execScript(change).has_value());
  CHECK(other.changes() == 1);
  CHECK(store::registryGeneration(other).value() > *before);
  const auto now = find(db_, demo::kResourceA);
  REQUIRE(now.has_value());
  CHECK(now->get() != first->get());  // read again
  const auto direct_contract = store::findContract(db_, demo::kResourceA);
  REQUIRE(direct_contract.has_value());
  CHECK((*now)->contract->status == direct_contract->status);
  CHECK((*now)->contract->declared == direct_contract->declared);
  CHECK((*now)->resource.url == store::findResource(db_, demo::kResourceA)->url);
  CHECK((*now)->publisher_name ==
        store::findPublisherName(db_, (*now)->resource.publisher_id).value());
  CHECK((*first)->resource.url != "https://moved.example/");  // an entry in use never changes

  // Through loadLaunchInputs: the same as without the cache.
  auto with = store::loadLaunchInputs(db_, demo::kEnt, demo::kPupil, demo::kUai, demo::kResourceA,
                                      std::nullopt, &cache);
  auto without =
      store::loadLaunchInputs(db_, demo::kEnt, demo::kPupil, demo::kUai, demo::kResourceA);
  REQUIRE(with.has_value());
  REQUIRE(without.has_value());
  CHECK(with->contract.declared == without->contract.declared);
  CHECK(with->contract.status == without->contract.status);
  CHECK(with->resource.url == without->resource.url);
}

TEST_CASE_METHOD(Demo, "A resource without a contract launches nobody, cached or not",
                 "[store][resource-cache]") {
  REQUIRE(db_.execScript("DELETE FROM contracts WHERE resource_id = 'ark:/49591/demo.manuel.a'")
              .has_value());
  store::ResourceCache cache;
  auto entry = cache.find(db_, demo::kResourceA);
  REQUIRE(entry.has_value());
  CHECK_FALSE((*entry)->contract.has_value());
  CHECK(store::loadLaunchInputs(db_, demo::kEnt, demo::kPupil, demo::kUai, demo::kResourceA,
                                std::nullopt, &cache)
            .error()
            .code == ErrorCode::kUnknownResource);
  CHECK(store::loadLaunchInputs(db_, demo::kEnt, demo::kPupil, demo::kUai, demo::kResourceA)
            .error()
            .code == ErrorCode::kUnknownResource);
}
