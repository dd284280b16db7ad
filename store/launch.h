#pragma once
/// @file Everything a launch needs from the store, read in one read transaction.

#include <optional>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "policy/contract.h"
#include "policy/person_facts.h"
#include "policy/profile.h"
#include "policy/subscription.h"
#include "store/db.h"
#include "store/directory.h"
#include "store/publishers.h"

namespace garde::store {

/// The inputs of policy::decide for one (person, establishment, resource), plus the resource record
/// (its URLs and publisher). The ENT and the publisher's SP come from the flows' registries; the
/// ENT's row is only checked to exist (a deleted ENT launches nobody), and the publisher exists
/// whenever its resource does (foreign key).
struct LaunchInputs {
  policy::PersonFacts person;
  Resource resource;
  policy::ResourceContract contract;
  std::vector<policy::Subscription> subscriptions;
};

/// Errors: kUnknownPeer (ENT), kUnknownUser, kNotEntitled (no profile in `uai`), kUnknownResource
/// (resource or contract), kStoreError.
core::Result<LaunchInputs> loadLaunchInputs(Db& db, std::string_view ent_id,
                                            std::string_view ent_person_id, std::string_view uai,
                                            std::string_view resource_id,
                                            std::optional<policy::Profile> wanted = std::nullopt);

}  // namespace garde::store
