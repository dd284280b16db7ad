#pragma once
/// @file Previewing a policy change (docs/domain.md section 9): which resources and profiles gain
/// or lose attributes. Pure; the store counts the people concerned (store::countPeopleReached).

#include <set>
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

/// What starts and stops flowing when the contracts `before` (those in force) are replaced by
/// `after` (a revision being approved) under one policy: for every profile either declares, the
/// codes released after and not before and the reverse. Only an approved contract releases
/// anything, so a resource absent from `before`, or not approved there, released nothing before;
/// a resource absent from `after` releases nothing after. contract_status is the status after.
std::vector<PolicyImpact> previewContractChange(const PolicySnapshot& policy,
                                                const std::vector<ResourceContract>& before,
                                                const std::vector<ResourceContract>& after);

/// What one (profile, category) may receive more or less between two ceilings, after the
/// fallback rule (an exact category's rows, else the "*" rows).
struct CeilingChange {
  Profile profile = Profile::kElv;
  std::string category;  ///< a category, or kAnyCategory for every category without rows of its own
  std::vector<std::string> gained;  ///< allowed after, not before
  std::vector<std::string> lost;    ///< allowed before, not after
};

/// Every (profile, category) whose allowed codes differ between `before` and `after`, for the
/// categories of either's rows, `categories` (those of the resources) and kAnyCategory (any other).
/// A change widens what can be released when any entry has `gained` codes.
std::vector<CeilingChange> diffCeilings(const Ceilings& before, const Ceilings& after,
                                        const std::set<std::string>& categories);

/// Whether `changes` let anything be released that could not be before.
bool widens(const std::vector<CeilingChange>& changes);

}  // namespace garde::policy
