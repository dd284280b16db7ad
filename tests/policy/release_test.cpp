#include <algorithm>
#include <catch2/catch.hpp>

#include "policy/preview.h"
#include "policy_fixtures.h"

using namespace garde;
using policy::Refusal;
using policy::WithheldReason;

namespace {

const policy::Date kToday = *policy::Date::parse("2026-01-15");

std::vector<std::string> codes(const policy::Decision& d) { return d.releasedCodes(); }

std::optional<WithheldReason> withheldReason(const std::vector<policy::WithheldAttribute>& w,
                                             std::string_view code) {
  for (const auto& x : w) {
    if (x.code == code) {
      return x.reason;
    }
  }
  return std::nullopt;
}

const std::vector<std::string>* valuesOf(const policy::Decision& d, std::string_view code) {
  for (const auto& r : d.released) {
    if (r.code == code) {
      return &r.values;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("A pupil receives declared attributes within the ceiling, in catalogue order",
          "[policy][release]") {
  const auto policy = test::ministryPolicy();
  const auto d = policy::decide(test::pupil(), test::contractA(), {test::subscription()}, policy,
                                test::pseudonymizer(), kToday);
  REQUIRE(d.entitled);
  CHECK(d.refusal == Refusal::kNone);
  CHECK(d.subscription_id == "ABO_A_0561534N");
  CHECK(d.policy_version == "2025-1");
  CHECK(codes(d) == std::vector<std::string>{"IDO", "PRO", "UAI", "DIV"});
  CHECK(*valuesOf(d, "PRO") == std::vector<std::string>{"National_elv"});
  CHECK(*valuesOf(d, "UAI") == std::vector<std::string>{"0561534N"});
  CHECK(*valuesOf(d, "DIV") == std::vector<std::string>{"3A"});
  // Pupils never get P_MEL, even when declared.
  CHECK(withheldReason(d.withheld, "P_MEL") == WithheldReason::kAboveCeiling);
  CHECK(withheldReason(d.withheld, "NOM") == WithheldReason::kNotDeclared);
  CHECK(withheldReason(d.withheld, "GRO") == WithheldReason::kNotDeclared);
}

TEST_CASE("A teacher receives names and e-mail when declared and allowed", "[policy][release]") {
  auto sub = test::subscription();
  sub.assignments = {{policy::AssignmentTargetKind::kPerson, "0561534N", "ens-0001"}};
  const auto d = policy::decide(test::teacher(), test::contractA(), {sub}, test::ministryPolicy(),
                                test::pseudonymizer(), kToday);
  REQUIRE(d.entitled);
  CHECK(codes(d) == std::vector<std::string>{"IDO", "PRO", "UAI", "PRE", "NOM", "P_MEL"});
  CHECK(*valuesOf(d, "P_MEL") == std::vector<std::string>{"paul.durand@example.test"});
  CHECK(withheldReason(d.withheld, "CIV") == WithheldReason::kNotDeclared);
}

TEST_CASE("Withheld reasons name the first rule that left an attribute out", "[policy][release]") {
  auto contract = test::contractA();
  contract.declared[policy::Profile::kElv] = {
      {"IDO", "a"}, {"GRO", "b"}, {"NOM", "c"}, {"CIV", "d"}, {"BIRTHDATE", "e"}};
  auto person = test::pupil();
  person.groups.clear();
  const auto d = policy::decide(person, contract, {test::subscription()}, test::ministryPolicy(),
                                test::pseudonymizer(), kToday);
  REQUIRE(d.entitled);
  CHECK(codes(d) == std::vector<std::string>{"IDO", "NOM"});
  CHECK(withheldReason(d.withheld, "GRO") == WithheldReason::kNoValue);
  CHECK(withheldReason(d.withheld, "CIV") == WithheldReason::kAboveCeiling);
  CHECK(withheldReason(d.withheld, "BIRTHDATE") == WithheldReason::kNotInCatalogue);
  CHECK(withheldReason(d.withheld, "PRO") == WithheldReason::kNotDeclared);
  // Every catalogue code is either released or withheld, exactly once.
  for (const auto& entry : test::ministryPolicy().catalogue) {
    const bool released = valuesOf(d, entry.code) != nullptr;
    const auto n = std::count_if(d.withheld.begin(), d.withheld.end(),
                                 [&](const auto& w) { return w.code == entry.code; });
    CHECK((released ? 0 : 1) == n);
  }
}

TEST_CASE("A category-specific ceiling overrides the any-category ceiling", "[policy][release]") {
  auto contract = test::contractA();
  contract.category = "outil";
  const auto d = policy::decide(test::pupil(), contract, {test::subscription()},
                                test::ministryPolicy(), test::pseudonymizer(), kToday);
  REQUIRE(d.entitled);
  CHECK(codes(d) == std::vector<std::string>{"IDO", "PRO", "UAI"});
  CHECK(withheldReason(d.withheld, "DIV") == WithheldReason::kAboveCeiling);
}

TEST_CASE("A profile with no ceiling row gets nothing above it", "[policy][release]") {
  auto contract = test::contractA();
  contract.declared[policy::Profile::kDoc] = {{"IDO", "account"}};
  auto person = test::teacher();
  person.profile = policy::Profile::kDoc;
  auto sub = test::subscription();
  sub.audiences.push_back(policy::Audience::kDocumentaliste);
  sub.assignment_type = policy::AssignmentType::kEtabl;
  const auto d = policy::decide(person, contract, {sub}, test::ministryPolicy(),
                                test::pseudonymizer(), kToday);
  REQUIRE(d.entitled);
  CHECK(d.released.empty());
  CHECK(withheldReason(d.withheld, "IDO") == WithheldReason::kAboveCeiling);
}

TEST_CASE("Entitlement refusals, one rule at a time", "[policy][entitlement]") {
  const auto policy = test::ministryPolicy();
  auto contract = test::contractA();
  auto person = test::pupil();
  auto sub = test::subscription();
  Refusal expected = Refusal::kNone;

  SECTION("contract not approved") {
    contract.status =
        GENERATE(policy::ContractStatus::kSubmitted, policy::ContractStatus::kSuspended);
    expected = Refusal::kContractNotApproved;
  }
  SECTION("profile not in contract") {
    person.profile = policy::Profile::kDir;
    expected = Refusal::kProfileNotInContract;
  }
  SECTION("no subscription at all") {
    sub.resource_id = "ark:/49591/other";
    expected = Refusal::kNoSubscription;
  }
  SECTION("subscription of another establishment") {
    sub.uais = {"0999999X"};
    expected = Refusal::kNoSubscription;
  }
  SECTION("subscription expired yesterday") {
    sub.valid_until = policy::Date::fromDays(kToday.daysSinceEpoch() - 1);
    expected = Refusal::kSubscriptionExpired;
  }
  SECTION("subscription starts tomorrow") {
    sub.valid_from = policy::Date::fromDays(kToday.daysSinceEpoch() + 1);
    expected = Refusal::kSubscriptionNotYetValid;
  }
  SECTION("wrong audience") {
    sub.audiences = {policy::Audience::kEnseignant};
    expected = Refusal::kAudienceNotCovered;
  }
  SECTION("empty audience covers nobody") {
    sub.audiences.clear();
    expected = Refusal::kAudienceNotCovered;
  }
  SECTION("assigned to another class") {
    sub.assignments = {{policy::AssignmentTargetKind::kClass, "0561534N", "4B"}};
    expected = Refusal::kNotAssigned;
  }
  SECTION("assigned to the same class code in another establishment") {
    sub.uais.push_back("0999999X");
    sub.assignments = {{policy::AssignmentTargetKind::kClass, "0999999X", "3A"}};
    expected = Refusal::kNotAssigned;
  }
  SECTION("assigned to another person") {
    sub.assignments = {{policy::AssignmentTargetKind::kPerson, "0561534N", "elv-0002"}};
    expected = Refusal::kNotAssigned;
  }
  SECTION("no assignment") {
    sub.assignments.clear();
    expected = Refusal::kNotAssigned;
  }

  const auto d = policy::decide(person, contract, {sub}, policy, test::pseudonymizer(), kToday);
  CHECK_FALSE(d.entitled);
  CHECK(d.refusal == expected);
  CHECK(d.released.empty());
  CHECK(d.withheld.empty());
  CHECK(d.subscription_id.empty());
  CHECK(d.policy_version == "2025-1");
}

TEST_CASE("Validity days are inclusive at both ends", "[policy][entitlement]") {
  auto sub = test::subscription();
  const auto day = GENERATE(as<std::string>{}, "2025-09-01", "2026-07-14");
  const auto d = policy::decide(test::pupil(), test::contractA(), {sub}, test::ministryPolicy(),
                                test::pseudonymizer(), *policy::Date::parse(day));
  CHECK(d.entitled);
}

TEST_CASE("Every assignment kind entitles", "[policy][entitlement]") {
  auto sub = test::subscription();
  auto person = test::pupil();
  SECTION("person") {
    sub.assignments = {{policy::AssignmentTargetKind::kPerson, "0561534N", "elv-0001"}};
  }
  SECTION("class") { sub.assignments = {{policy::AssignmentTargetKind::kClass, "0561534N", "3A"}}; }
  SECTION("group") {
    sub.assignments = {{policy::AssignmentTargetKind::kGroup, "0561534N", "LATIN"}};
  }
  SECTION("establishment") {
    sub.assignments = {{policy::AssignmentTargetKind::kEstablishment, "0561534N", ""}};
  }
  SECTION("ETABL subscription without assignment") {
    sub.assignments.clear();
    sub.assignment_type = policy::AssignmentType::kEtabl;
  }
  const auto e = policy::checkEntitlement(person, test::contractA(), {sub}, kToday);
  CHECK(e.refusal == Refusal::kNone);
  CHECK(e.subscription_id == sub.id);
}

TEST_CASE("The refusal comes from the subscription that went furthest", "[policy][entitlement]") {
  auto expired = test::subscription();
  expired.id = "old";
  expired.valid_from = *policy::Date::parse("2024-09-01");
  expired.valid_until = *policy::Date::parse("2025-07-14");
  auto unassigned = test::subscription();
  unassigned.id = "current";
  unassigned.assignments.clear();
  auto e =
      policy::checkEntitlement(test::pupil(), test::contractA(), {expired, unassigned}, kToday);
  CHECK(e.refusal == Refusal::kNotAssigned);
  e = policy::checkEntitlement(test::pupil(), test::contractA(), {unassigned, expired}, kToday);
  CHECK(e.refusal == Refusal::kNotAssigned);

  auto good = test::subscription();
  good.id = "good";
  e = policy::checkEntitlement(test::pupil(), test::contractA(), {expired, unassigned, good},
                               kToday);
  CHECK(e.refusal == Refusal::kNone);
  CHECK(e.subscription_id == "good");
}

TEST_CASE("explain lists what a profile would receive and why the rest is left out",
          "[policy][explain]") {
  const auto x = policy::explain(policy::Profile::kElv, test::contractA(), test::ministryPolicy());
  CHECK(x.profile_in_contract);
  CHECK(x.policy_version == "2025-1");
  REQUIRE(x.released.size() == 4);
  CHECK(x.released[0].code == "IDO");
  CHECK(x.released[0].justification == "account");
  CHECK(x.released[3].code == "DIV");
  CHECK(withheldReason(x.withheld, "P_MEL") == WithheldReason::kAboveCeiling);
  CHECK(withheldReason(x.withheld, "NOM") == WithheldReason::kNotDeclared);
  CHECK(x.withheld.size() + x.released.size() == test::ministryPolicy().catalogue.size());

  const auto dir =
      policy::explain(policy::Profile::kDir, test::contractA(), test::ministryPolicy());
  CHECK_FALSE(dir.profile_in_contract);
  CHECK(dir.released.empty());
}

TEST_CASE("Reason codes are stable words", "[policy][release]") {
  CHECK(policy::refusalCode(Refusal::kNotAssigned) == "not_assigned");
  CHECK(policy::refusalCode(Refusal::kSubscriptionExpired) == "subscription_expired");
  CHECK(policy::withheldReasonCode(WithheldReason::kAboveCeiling) == "above_ceiling");
  CHECK(policy::withheldReasonCode(WithheldReason::kNotInCatalogue) == "not_in_catalogue");
  CHECK(policy::withheldReasonCode(WithheldReason::kNotForProfile) == "not_for_profile");
}

TEST_CASE("An attribute the catalogue does not define for the profile is never released",
          "[policy][release][catalogue]") {
  auto policy = test::ministryPolicy();
  // DIV exists for teachers only here; the ceiling still allows it for pupils (a hand-built
  // snapshot: the store refuses such a ceiling row).
  for (auto& entry : policy.catalogue) {
    if (entry.code == "DIV") {
      entry.profiles = {policy::Profile::kEns};
    }
  }
  REQUIRE(policy.ceilings.allows(policy::Profile::kElv, "manuel", "DIV"));
  const auto d = policy::decide(test::pupil(), test::contractA(), {test::subscription()}, policy,
                                test::pseudonymizer(), kToday);
  REQUIRE(d.entitled);
  CHECK(codes(d) == std::vector<std::string>{"IDO", "PRO", "UAI"});
  CHECK(withheldReason(d.withheld, "DIV") == WithheldReason::kNotForProfile);
  // Not declared comes first: the contract's reason is the one that holds.
  CHECK(withheldReason(d.withheld, "GRO") == WithheldReason::kNotDeclared);
  // Declared for a profile it is not defined for, and above the ceiling too: the catalogue's
  // reason is reported.
  for (auto& entry : policy.catalogue) {
    if (entry.code == "P_MEL") {
      entry.profiles = {policy::Profile::kEns, policy::Profile::kDoc};
    }
  }
  const auto x = policy::explain(policy::Profile::kElv, test::contractA(), policy);
  CHECK(withheldReason(x.withheld, "P_MEL") == WithheldReason::kNotForProfile);
  CHECK(withheldReason(x.withheld, "DIV") == WithheldReason::kNotForProfile);
  CHECK(x.withheld.size() + x.released.size() == policy.catalogue.size());

  // The teacher still receives what exists for teachers.
  auto sub = test::subscription();
  sub.assignments = {{policy::AssignmentTargetKind::kPerson, "0561534N", "ens-0001"}};
  auto contract = test::contractA();
  contract.declared[policy::Profile::kEns].push_back({"DIV", "class workspace"});
  const auto t = policy::decide(test::teacher(), contract, {sub}, policy, test::pseudonymizer(),
                                kToday);
  REQUIRE(t.entitled);
  CHECK(codes(t) == std::vector<std::string>{"IDO", "PRO", "UAI", "PRE", "NOM", "DIV", "P_MEL"});
}

TEST_CASE("A catalogue entry exists for every profile unless said otherwise",
          "[policy][catalogue]") {
  const policy::CatalogueEntry e{"X", "x", policy::Sensitivity::kPersonal, false};
  for (const auto p : policy::kAllProfiles) {
    CHECK(e.existsFor(p));
  }
  policy::CatalogueEntry pupil_only = e;
  pupil_only.profiles = {policy::Profile::kElv};
  CHECK(pupil_only.existsFor(policy::Profile::kElv));
  CHECK_FALSE(pupil_only.existsFor(policy::Profile::kEns));
}

TEST_CASE("A policy change preview lists gained and lost attributes per resource and profile",
          "[policy][preview]") {
  const auto before = test::ministryPolicy();
  auto after = before;
  after.version = "2025-2";
  after.ceilings = policy::Ceilings{};
  for (const char* code : {"IDO", "PRO", "UAI", "P_MEL"}) {  // pupils lose DIV, gain P_MEL
    after.ceilings.allow(policy::Profile::kElv, "*", code);
  }
  for (const auto& [key, codes] : before.ceilings.rows()) {
    if (key.first == policy::Profile::kEns) {
      for (const auto& code : codes) {
        after.ceilings.allow(key.first, key.second, code);
      }
    }
  }
  const auto impacts = policy::previewPolicyChange(before, after, {test::contractA()});
  REQUIRE(impacts.size() == 1);  // teachers unchanged
  CHECK(impacts[0].resource_id == "ark:/49591/resA");
  CHECK(impacts[0].profile == policy::Profile::kElv);
  CHECK(impacts[0].gained == std::vector<std::string>{"P_MEL"});
  CHECK(impacts[0].lost == std::vector<std::string>{"DIV"});
  CHECK(policy::previewPolicyChange(before, before, {test::contractA()}).empty());
}
