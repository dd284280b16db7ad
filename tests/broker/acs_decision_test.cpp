// The ACS's pure decisions (broker/flows/acs_decision.h) on their own: what the ENT's answer means
// for the transaction (assessEntAnswer), and the release with its audit record (decideRelease),
// from hand-built inputs (no Request, no database, no services, no keys).

#include "broker/flows/acs_decision.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "policy/policy_fixtures.h"

namespace {

using garde::broker::flows::assessEntAnswer;
using garde::broker::flows::decideRelease;
using garde::broker::flows::DecisionReads;
using garde::broker::flows::EntAnswerAssessment;
using garde::broker::flows::ReleaseDecision;
using garde::broker::flows::SsoTransaction;
using garde::core::ErrorCode;
using Next = EntAnswerAssessment::Next;
namespace core = garde::core;
namespace policy = garde::policy;
namespace test = garde::test;

constexpr core::UnixTime kRequestedAt = 1'800'000'000;
constexpr std::int64_t kSkew = 120;

SsoTransaction transaction() {
  SsoTransaction tx;
  tx.ent_id = "ENTTEST1";
  tx.uai = "0561534N";
  tx.resource_id = "ark:/49591/resA";
  tx.publisher_id = "123456789_0000000000000001";
  tx.publisher_request_id = "_req-1";
  tx.acs_url = "https://edition-a.test/acs";
  tx.ent_request_id = "_ent-1";
  tx.ent_requested_at = kRequestedAt;
  return tx;
}

garde::connectors::ent::EntIdentity identity(core::UnixTime authn_instant = kRequestedAt + 5) {
  garde::connectors::ent::EntIdentity id;
  id.person_id = "elv-0001";
  id.authn_instant = authn_instant;
  id.authn_context_class_ref = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
  id.response_id = "_resp-1";
  return id;
}

core::Result<garde::connectors::ent::EntIdentity> failed(ErrorCode code) {
  return core::fail(code, "the ENT's Response was refused");
}

DecisionReads readsFor(policy::ResourceContract contract) {
  DecisionReads r;
  r.uai = "0561534N";
  garde::store::LaunchInputs in;
  in.person = test::pupil();
  in.resource.id = contract.resource_id;
  in.resource.publisher_id = contract.publisher_id;
  in.contract = std::move(contract);
  in.subscriptions = {test::subscription()};
  r.inputs = std::move(in);
  r.policy = std::make_shared<const policy::PolicySnapshot>(test::ministryPolicy());
  return r;
}

const policy::Date kToday = *policy::Date::parse("2026-01-15");

std::vector<std::string> codes(const ReleaseDecision& d) {
  std::vector<std::string> out;
  for (const auto& [code, values] : d.content.attributes) {
    out.push_back(code);
  }
  return out;
}

}  // namespace

TEST_CASE("A valid ENT authentication goes on to the decision", "[broker][flows][acs][decision]") {
  const EntAnswerAssessment a = assessEntAnswer(transaction(), identity(), kSkew, true);
  CHECK(a.next == Next::kDecide);
  CHECK_FALSE(a.error.has_value());
}

TEST_CASE("A refused ENT Response is refused with its own error code",
          "[broker][flows][acs][decision]") {
  for (ErrorCode code : {ErrorCode::kSignatureInvalid, ErrorCode::kReplayed,
                         ErrorCode::kReplayCacheFull, ErrorCode::kStatusNotSuccess}) {
    const EntAnswerAssessment a = assessEntAnswer(transaction(), failed(code), kSkew, true);
    CHECK(a.next == Next::kRefuse);
    REQUIRE(a.error.has_value());
    CHECK(a.error->code == code);
    CHECK(a.reason.empty());  // the label is the error code's
  }
}

TEST_CASE("The ENT's NoPassive becomes the publisher's NoPassive only when it asked passively",
          "[broker][flows][acs][decision]") {
  SsoTransaction tx = transaction();
  tx.is_passive = true;
  SECTION("passive request of a known publisher: NoPassive, no page") {
    const EntAnswerAssessment a = assessEntAnswer(tx, failed(ErrorCode::kNoPassive), kSkew, true);
    CHECK(a.next == Next::kNoPassive);
    CHECK_FALSE(a.why.empty());
  }
  SECTION("not passive: the refusal") {
    tx.is_passive = false;
    const EntAnswerAssessment a = assessEntAnswer(tx, failed(ErrorCode::kNoPassive), kSkew, true);
    CHECK(a.next == Next::kRefuse);
    CHECK(a.error->code == ErrorCode::kNoPassive);
  }
  SECTION("a direct launch (no publisher request to answer): the refusal") {
    tx.publisher_request_id.reset();
    CHECK(assessEntAnswer(tx, failed(ErrorCode::kNoPassive), kSkew, true).next == Next::kRefuse);
  }
  SECTION("the publisher is gone: the refusal") {
    CHECK(assessEntAnswer(tx, failed(ErrorCode::kNoPassive), kSkew, false).next == Next::kRefuse);
  }
}

TEST_CASE("ForceAuthn: an AuthnInstant older than our request, beyond the skew, is refused",
          "[broker][flows][acs][decision]") {
  SsoTransaction tx = transaction();
  tx.force_authn = true;
  const auto old = assessEntAnswer(tx, identity(kRequestedAt - kSkew - 1), kSkew, true);
  CHECK(old.next == Next::kRefuse);
  CHECK(old.error->code == ErrorCode::kStatusNotSuccess);
  CHECK(old.reason == "force_authn_not_honoured");
  CHECK(assessEntAnswer(tx, identity(kRequestedAt - kSkew), kSkew, true).next == Next::kDecide);
  tx.force_authn = false;
  CHECK(assessEntAnswer(tx, identity(kRequestedAt - 86400), kSkew, true).next == Next::kDecide);
}

TEST_CASE("A valid authentication for a publisher gone from the registry is refused",
          "[broker][flows][acs][decision]") {
  const EntAnswerAssessment a = assessEntAnswer(transaction(), identity(), kSkew, false);
  CHECK(a.next == Next::kRefuse);
  CHECK(a.error->code == ErrorCode::kUnknownPeer);
  CHECK(a.reason == "unknown_publisher");
}

TEST_CASE("A release carries the released attributes, the pseudonym and an audit record",
          "[broker][flows][acs][decision]") {
  const auto pseudonyms = test::pseudonymizer();
  const ReleaseDecision d = decideRelease(transaction(), identity(), readsFor(test::contractA()),
                                          pseudonyms, kToday, "corr-1", kRequestedAt + 10);
  CHECK_FALSE(d.refusal.has_value());
  CHECK(codes(d) == std::vector<std::string>{"IDO", "PRO", "UAI", "DIV"});
  CHECK_FALSE(d.content.pseudonym.empty());
  CHECK(d.content.attributes.front().second.front() == d.content.pseudonym);
  CHECK(d.content.authn_instant == kRequestedAt + 5);
  CHECK(d.content.authn_context_class_ref == "urn:oasis:names:tc:SAML:2.0:ac:classes:Password");
  CHECK(d.policy_version == "2025-1");
  REQUIRE(d.audit.has_value());
  CHECK(d.audit_required);
  CHECK(d.audit->outcome == "released");
  CHECK(d.audit->correlation_id == "corr-1");
  CHECK(d.audit->at == kRequestedAt + 10);
  CHECK(d.audit->released == std::vector<std::string>{"IDO", "PRO", "UAI", "DIV"});
  CHECK(d.audit->reason == "ABO_A_0561534N");
}

TEST_CASE("A contract without IDO leaves the NameID to a one-time value",
          "[broker][flows][acs][decision]") {
  policy::ResourceContract c = test::contractA();
  auto& elv = c.declared[policy::Profile::kElv];
  elv.erase(std::remove_if(elv.begin(), elv.end(), [](const auto& d) { return d.code == "IDO"; }),
            elv.end());
  const ReleaseDecision d = decideRelease(transaction(), identity(), readsFor(c),
                                          test::pseudonymizer(), kToday, "corr-2", kRequestedAt);
  CHECK_FALSE(d.refusal.has_value());
  CHECK(d.content.pseudonym.empty());
  CHECK(codes(d) == std::vector<std::string>{"PRO", "UAI", "DIV"});
}

TEST_CASE("A policy refusal is refused with the policy's code, after its audit record",
          "[broker][flows][acs][decision]") {
  const ReleaseDecision d =
      decideRelease(transaction(), identity(), readsFor(test::contractA()), test::pseudonymizer(),
                    *policy::Date::parse("2026-08-01"), "corr-3", kRequestedAt);
  REQUIRE(d.refusal.has_value());
  CHECK(d.refusal->code == ErrorCode::kNotEntitled);
  CHECK(d.reason == "subscription_expired");
  CHECK(d.content.attributes.empty());
  REQUIRE(d.audit.has_value());
  CHECK(d.audit_required);  // a refusal by the rule is accounted for like a release
  CHECK(d.audit->outcome == "refused");
  CHECK(d.audit->reason == "subscription_expired");
}

TEST_CASE("A refusal before the decision is audited when the store said so, best effort",
          "[broker][flows][acs][decision]") {
  DecisionReads reads;
  reads.uai = "0561534N";
  SECTION("unknown user: audited") {
    reads.error = core::Error{ErrorCode::kUnknownUser, "no such person"};
    reads.audit_refusal = true;
    const ReleaseDecision d = decideRelease(transaction(), identity(), reads, test::pseudonymizer(),
                                            kToday, "corr-4", 42);
    REQUIRE(d.refusal.has_value());
    CHECK(d.refusal->code == ErrorCode::kUnknownUser);
    REQUIRE(d.audit.has_value());
    CHECK_FALSE(d.audit_required);
    CHECK(d.audit->outcome == "refused");
    CHECK(d.audit->reason == "unknown_user");
    CHECK(d.audit->uai == "0561534N");
    CHECK(d.audit->ent_id == "ENTTEST1");
    CHECK(d.audit->publisher_id == "123456789_0000000000000001");
    CHECK(d.audit->resource_id == "ark:/49591/resA");
    CHECK(d.audit->correlation_id == "corr-4");
    CHECK(d.audit->at == 42);
  }
  SECTION("a store error or a resource of another publisher: not audited, its own reason") {
    reads.error = core::Error{ErrorCode::kUnknownResource, "moved"};
    reads.reason = "unknown_resource";
    const ReleaseDecision d = decideRelease(transaction(), identity(), reads, test::pseudonymizer(),
                                            kToday, "corr-5", 42);
    REQUIRE(d.refusal.has_value());
    CHECK(d.reason == "unknown_resource");
    CHECK_FALSE(d.audit.has_value());
  }
}
