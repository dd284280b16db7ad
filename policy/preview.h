#pragma once
/// @file Previewing a policy change (docs/domain.md section 9): which resources and profiles gain
/// or lose attributes. Pure; the store counts the people concerned (store::countPeopleReached).

#include <string>
#include <vector>

#include "policy/contract.h"
#include "policy/policy_source.h"
#include "policy/profile.h"

namespace garde::policy {

/// The change for one (resource, profile) whose released set differs between two policies.
struct PolicyImpact {
  std::string resource_id;
  Profile profile = Profile::kElv;
  ContractStatus contract_status = ContractStatus::kSubmitted;
  std::vector<std::string> gained;  ///< released after, not before (catalogue order of `after`)
  std::vector<std::string> lost;    ///< released before, not after (catalogue order of `before`)
};

/// Compares what every declared profile of every contract would receive under `before` and `after`
/// (attributes only; entitlement does not depend on the policy). Unchanged pairs are left out.
std::vector<PolicyImpact> previewPolicyChange(const PolicySnapshot& before,
                                              const PolicySnapshot& after,
                                              const std::vector<ResourceContract>& contracts);

}  // namespace garde::policy
