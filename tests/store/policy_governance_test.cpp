// Migration 11: changing the ceilings with four eyes (store/policy_governance.h): a narrowing in
// force at once, a widening only once another admin approves it, never by its proposer, never
// over a version that changed since; the diff after the fallback rule.
#include "store/policy_governance.h"

#include <catch2/catch.hpp>

#include "policy/preview.h"
#include "store/demo_data.h"
#include "store/policy_store.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
using policy::Profile;

namespace {

class Governance : public test::MigratedDb {
 protected:
  Governance() { REQUIRE(store::loadDemoPartners(db_).has_value()); }

  std::pair<std::string, policy::Ceilings> inForce() { return store::ceilingsInForce(db_).value(); }

  /// The ceilings in force, with `code` added or removed for pupils in every category.
  policy::Ceilings withPupil(const std::string& code, bool add) {
    policy::Ceilings out;
    const auto current = inForce();
    for (const auto& [key, codes] : current.second.rows()) {
      for (const auto& c : codes) {
        if (!add && key.first == Profile::kElv && c == code) continue;
        out.allow(key.first, key.second, c);
      }
    }
    if (add) out.allow(Profile::kElv, std::string(policy::kAnyCategory), code);
    return out;
  }
};

constexpr core::UnixTime kT = 1'800'000'000;

}  // namespace

TEST_CASE_METHOD(Governance, "A narrowing is in force at once", "[store][governance]") {
  const std::string before = inForce().first;
  const auto out = store::proposeCeilings(db_, "alice", "pupils' names are not needed",
                                          withPupil("NOM", false), kT);
  REQUIRE(out);
  CHECK(out->applied);
  CHECK(out->version != before);
  CHECK(inForce().first == out->version);
  CHECK_FALSE(inForce().second.allows(Profile::kElv, "manuel", "NOM"));
  CHECK_FALSE(policy::widens(out->changes));
  const auto history = store::policyHistory(db_).value();
  CHECK(history.back().created_by == "alice");
  CHECK(history.back().previous == std::optional<std::string>(before));
}

TEST_CASE_METHOD(Governance, "A widening waits for another admin", "[store][governance]") {
  const std::string before = inForce().first;
  const auto out = store::proposeCeilings(db_, "alice", "the cahier needs pupils' civility",
                                          withPupil("CIV", true), kT);
  REQUIRE(out);
  CHECK_FALSE(out->applied);
  REQUIRE(out->proposal_id > 0);
  CHECK(policy::widens(out->changes));
  CHECK(inForce().first == before);  // nothing changed yet
  CHECK_FALSE(inForce().second.allows(Profile::kElv, "exercices", "CIV"));

  // Not by its proposer.
  CHECK(store::approveProposal(db_, out->proposal_id, "alice", kT + 60).error().code ==
        ErrorCode::kForbidden);
  CHECK(inForce().first == before);
  // By another admin: in force.
  const auto version = store::approveProposal(db_, out->proposal_id, "bob", kT + 120);
  REQUIRE(version);
  CHECK(inForce().first == *version);
  CHECK(inForce().second.allows(Profile::kElv, "exercices", "CIV"));
  const auto p = store::findProposal(db_, out->proposal_id).value();
  REQUIRE(p);
  CHECK(p->status == store::ProposalStatus::kApplied);
  CHECK(p->decided_by == "bob");
  CHECK(p->applied_version == *version);
  // Once only.
  CHECK(store::approveProposal(db_, out->proposal_id, "carol", kT + 180).error().code ==
        ErrorCode::kNotFound);
}

TEST_CASE_METHOD(Governance, "A widening proposed over another version must be proposed again",
                 "[store][governance]") {
  const auto wide = store::proposeCeilings(db_, "alice", "civility", withPupil("CIV", true), kT);
  REQUIRE(wide);
  REQUIRE(store::proposeCeilings(db_, "carol", "no names", withPupil("NOM", false), kT + 1)
              ->applied);
  CHECK(store::approveProposal(db_, wide->proposal_id, "bob", kT + 2).error().code ==
        ErrorCode::kConflict);
  CHECK(store::rejectProposal(db_, wide->proposal_id, "alice", "withdrawn", kT + 3).has_value());
  CHECK(store::findProposal(db_, wide->proposal_id).value()->status ==
        store::ProposalStatus::kRejected);
  CHECK(store::rejectProposal(db_, wide->proposal_id, "bob", "again", kT + 4).error().code ==
        ErrorCode::kNotFound);
}

TEST_CASE_METHOD(Governance, "Proposals that change nothing, name unknown codes or give no reason",
                 "[store][governance]") {
  CHECK(store::proposeCeilings(db_, "alice", "same", inForce().second, kT).error().code ==
        ErrorCode::kConflict);
  CHECK(store::proposeCeilings(db_, "alice", "", withPupil("CIV", true), kT).error().code ==
        ErrorCode::kBadRequest);
  CHECK(store::proposeCeilings(db_, "alice", "made up", withPupil("SECRET", true), kT)
            .error()
            .code == ErrorCode::kConflict);
  CHECK(store::listProposals(db_).value().empty());
}

TEST_CASE("The ceilings diff follows the fallback rule", "[policy][governance]") {
  policy::Ceilings before;
  before.allow(Profile::kElv, "*", "IDO");
  before.allow(Profile::kElv, "*", "NOM");
  // An exact row for "manuel" that keeps IDO only: narrows manuel, not the others.
  policy::Ceilings after = before;
  after.allow(Profile::kElv, "manuel", "IDO");
  auto changes = policy::diffCeilings(before, after, {"manuel", "outil"});
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].category == "manuel");
  CHECK(changes[0].lost == std::vector<std::string>{"NOM"});
  CHECK_FALSE(policy::widens(changes));
  // Dropping that exact row again widens manuel back (the "*" rows apply to it).
  changes = policy::diffCeilings(after, before, {"manuel", "outil"});
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].gained == std::vector<std::string>{"NOM"});
  CHECK(policy::widens(changes));
}
