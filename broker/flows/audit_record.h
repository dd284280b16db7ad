#pragma once
/// @file The audit record of a launch decision, built on the flows' side: store/ keeps its own
/// AuditRecord and knows nothing of policy::Decision (scripts/check-layers).

#include <string>

#include "core/time.h"
#include "policy/contract.h"
#include "policy/person_facts.h"
#include "policy/release.h"
#include "store/audit.h"

namespace garde::broker::flows {

/// The audit row of a launch decision: names of released attributes, never values; no person
/// identifier either (the correlation id links to the request log if an inquiry needs it).
/// Outcome "released" with the entitling subscription as reason, or "refused" with the refusal's
/// code.
store::AuditRecord launchAudit(const policy::PersonFacts& person,
                               const policy::ResourceContract& contract,
                               const policy::Decision& decision, std::string correlation_id,
                               core::UnixTime at);

}  // namespace garde::broker::flows
