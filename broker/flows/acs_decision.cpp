#include "broker/flows/acs_decision.h"

#include "broker/flows/audit_record.h"

namespace garde::broker::flows {
namespace {

core::Error err(core::ErrorCode code, std::string detail) { return {code, std::move(detail)}; }

EntAnswerAssessment refuse(core::Error error, std::string_view reason = {}) {
  EntAnswerAssessment a;
  a.next = EntAnswerAssessment::Next::kRefuse;
  a.error = std::move(error);
  a.reason = reason;
  return a;
}

}  // namespace

EntAnswerAssessment assessEntAnswer(const SsoTransaction& tx,
                                    const core::Result<connectors::ent::EntIdentity>& identity,
                                    std::int64_t skew_seconds, bool publisher_known) {
  const bool publisher_asked = tx.publisher_request_id.has_value();
  if (!identity) {
    // The publisher asked for a passive login, we asked the ENT for one, and the ENT answered (to
    // our request, checked) that it cannot: the publisher gets its NoPassive, without a page.
    if (identity.error().code == core::ErrorCode::kNoPassive && tx.is_passive && publisher_asked &&
        publisher_known) {
      EntAnswerAssessment a;
      a.next = EntAnswerAssessment::Next::kNoPassive;
      a.why = "the ENT answered NoPassive";
      return a;
    }
    return refuse(identity.error());
  }
  if (tx.force_authn && identity->authn_instant < tx.ent_requested_at - skew_seconds) {
    // The publisher asked for a fresh login and we asked the ENT for one: an authentication older
    // than our request means the ENT ignored ForceAuthn. We do not vouch for it.
    return refuse(err(core::ErrorCode::kStatusNotSuccess,
                      "ForceAuthn asked, but the ENT's AuthnInstant predates our request"),
                  "force_authn_not_honoured");
  }
  if (!publisher_known) {
    return refuse(err(core::ErrorCode::kUnknownPeer, "publisher gone"), "unknown_publisher");
  }
  return {};
}

ReleaseDecision decideRelease(const SsoTransaction& tx,
                              const connectors::ent::EntIdentity& identity,
                              const DecisionReads& reads, const policy::Pseudonymizer& pseudonyms,
                              policy::Date today, const std::string& correlation_id,
                              core::UnixTime now) {
  ReleaseDecision out;
  if (reads.error) {
    if (reads.audit_refusal) {
      store::AuditRecord r;
      r.at = now;
      r.correlation_id = correlation_id;
      r.ent_id = tx.ent_id;
      r.uai = reads.uai;
      r.publisher_id = tx.publisher_id;
      r.resource_id = tx.resource_id;
      r.outcome = "refused";
      r.reason = std::string(core::errorCodeName(reads.error->code));
      out.audit = std::move(r);
    }
    out.refusal = reads.error;
    out.reason = reads.reason;
    return out;
  }
  const store::LaunchInputs& inputs = *reads.inputs;
  const policy::Decision decision = policy::decide(
      inputs.person, inputs.contract, inputs.subscriptions, *reads.policy, pseudonyms, today);
  out.audit = launchAudit(inputs.person, inputs.contract, decision, correlation_id, now);
  out.audit_required = true;
  out.policy_version = decision.policy_version;
  if (!decision.entitled) {
    out.refusal = err(core::ErrorCode::kNotEntitled,
                      "refused by policy: " + std::string(policy::refusalCode(decision.refusal)));
    out.reason = policy::refusalCode(decision.refusal);
    return out;
  }
  for (const auto& a : decision.released) {
    if (a.code == policy::attr::kIdo && !a.values.empty()) {
      out.content.pseudonym = a.values.front();
    }
    out.content.attributes.emplace_back(a.code, a.values);
  }
  out.content.authn_instant = identity.authn_instant;
  if (!identity.authn_context_class_ref.empty()) {
    out.content.authn_context_class_ref = identity.authn_context_class_ref;
  }
  return out;
}

}  // namespace garde::broker::flows
