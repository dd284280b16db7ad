// The audit record of a launch decision, built on the flows' side (broker/flows/audit_record.h).

#include "broker/flows/audit_record.h"

#include <catch2/catch.hpp>

#include "policy/pseudonym.h"
#include "policy/release.h"
#include "store/audit.h"
#include "store/demo_data.h"
#include "store/launch.h"
#include "store/policy_store.h"
#include "store/demo_db.h"
#include "store/temp_db.h"

using namespace garde;
namespace demo = store::demo;

namespace {

const policy::Date kToday = *policy::Date::parse("2026-01-15");

class DemoLaunch : public test::MigratedDb {
 protected:
  DemoLaunch() { REQUIRE(test::loadDemo(path_).has_value()); }

  store::LaunchInputs inputs(const char* person, const char* resource) {
    auto in = store::loadLaunchInputs(db_, demo::kEnt, person, demo::kUai, resource);
    REQUIRE(in.has_value());
    return std::move(in).value();
  }

  policy::Decision decide(const store::LaunchInputs& in) {
    store::SqlPolicySource source(db_);
    auto policy = source.currentPolicy();
    REQUIRE(policy.has_value());
    const policy::Pseudonymizer pseudonyms({std::string(32, 'k'), "k1",
                                            policy::PseudonymScope::kPerPublisher,
                                            policy::PseudonymEncoding::kBase64Url});
    return policy::decide(in.person, in.contract, in.subscriptions, *policy, pseudonyms, kToday);
  }
};

}  // namespace

TEST_CASE_METHOD(DemoLaunch, "The audit row of a refused launch names the refusal",
                 "[broker][flows][audit]") {
  const auto in = inputs(demo::kUnassignedPupil, demo::kResourceA);
  const auto d = decide(in);
  REQUIRE_FALSE(d.entitled);
  const auto row = broker::flows::launchAudit(in.person, in.contract, d, "req-9", 1000);
  REQUIRE(store::writeAudit(db_, row).has_value());
  const auto rows = store::listAudit(db_, 0);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].outcome == "refused");
  CHECK((*rows)[0].reason == "not_assigned");
  CHECK((*rows)[0].publisher_id == demo::kPublisherA);
  CHECK((*rows)[0].profile == "National_elv");
}

TEST_CASE_METHOD(DemoLaunch,
                 "The audit row of a released launch names the subscription and the attributes, "
                 "never their values",
                 "[broker][flows][audit]") {
  const auto in = inputs(demo::kPupil, demo::kResourceA);
  const auto d = decide(in);
  REQUIRE(d.entitled);
  const auto row = broker::flows::launchAudit(in.person, in.contract, d, "req-10", 2000);
  CHECK(row.at == 2000);
  CHECK(row.kind == "launch");
  CHECK(row.correlation_id == "req-10");
  CHECK(row.ent_id == demo::kEnt);
  CHECK(row.uai == demo::kUai);
  CHECK(row.resource_id == demo::kResourceA);
  CHECK(row.outcome == "released");
  CHECK(row.reason == "DEMO_A_0561534N");
  CHECK(row.policy_version == demo::kPolicyVersion);
  CHECK(row.released == std::vector<std::string>{"IDO", "PRO", "UAI", "DIV"});
  // The pseudonym (IDO's value) identifies the pupil at the publisher: never in the audit.
  REQUIRE(d.released[0].code == "IDO");
  const std::string line = store::auditJsonLine(row);
  CHECK(line.find(d.released[0].values.front()) == std::string::npos);
}
