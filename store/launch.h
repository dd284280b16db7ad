#pragma once
/// @file Everything a launch needs from the store, read in one read transaction.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

/// A resource and its contract (none when the resource has no contract row) as a launch reads them,
/// and its publisher's display name (the médiacentre's nomEditeur; its id when it has none).
struct ResourceEntry {
  Resource resource;
  std::optional<policy::ResourceContract> contract;
  std::string publisher_name;
};

/// The resources and contracts the broker has launched, kept in memory: each call reads the
/// registry generation (one single-row query), which triggers on the resources, contracts and
/// contract_declarations tables bump in the same transaction as any change (migration 4), and
/// reads the resource again only when it changed. So an edit by any process is in force for the
/// next launch, as with store::PolicyCache. Call inside the caller's read transaction, so that the
/// generation and what is read belong to the same snapshot. Only resources that exist are kept:
/// the map is bounded by the resources table, whatever ids requests name. The publishers table
/// bumps the same generation (migration 8), so a renamed publisher is read again too. Thread-safe.
class ResourceCache {
 public:
  /// kUnknownResource when the resource does not exist, kStoreError when the database fails.
  core::Result<std::shared_ptr<const ResourceEntry>> find(Db& db, std::string_view resource_id);

  /// The same with the registry generation the caller read (registryGeneration) in the same read
  /// transaction: a request that looks up several resources reads the generation once.
  core::Result<std::shared_ptr<const ResourceEntry>> find(Db& db, std::string_view resource_id,
                                                          std::int64_t generation);

 private:
  std::mutex mutex_;
  std::int64_t generation_ = -1;
  std::unordered_map<std::string, std::shared_ptr<const ResourceEntry>, StringHash, std::equal_to<>>
      entries_;
};

/// The registry generation (see ResourceCache).
core::Result<std::int64_t> registryGeneration(Db& db);

/// Errors: kUnknownPeer (ENT), kUnknownUser, kNotEntitled (no profile in `uai`), kUnknownResource
/// (resource or contract), kStoreError.
core::Result<LaunchInputs> loadLaunchInputs(Db& db, std::string_view ent_id,
                                            std::string_view ent_person_id, std::string_view uai,
                                            std::string_view resource_id,
                                            std::optional<policy::Profile> wanted = std::nullopt,
                                            ResourceCache* resources = nullptr);

}  // namespace garde::store
