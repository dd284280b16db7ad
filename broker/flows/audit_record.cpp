#include "broker/flows/audit_record.h"

#include <utility>

namespace garde::broker::flows {

store::AuditRecord launchAudit(const policy::PersonFacts& person,
                               const policy::ResourceContract& contract,
                               const policy::Decision& decision, std::string correlation_id,
                               core::UnixTime at) {
  store::AuditRecord r;
  r.at = at;
  r.kind = "launch";
  r.correlation_id = std::move(correlation_id);
  r.ent_id = person.ent_id;
  r.uai = person.uai;
  r.profile = std::string(policy::profileCode(person.profile));
  r.publisher_id = contract.publisher_id;
  r.resource_id = contract.resource_id;
  r.released = decision.releasedCodes();
  r.policy_version = decision.policy_version;
  r.outcome = decision.entitled ? "released" : "refused";
  r.reason = decision.entitled ? decision.subscription_id
                               : std::string(policy::refusalCode(decision.refusal));
  return r;
}

}  // namespace garde::broker::flows
