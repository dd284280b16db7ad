#include "store/launch.h"

#include "store/subscriptions.h"
#include "store/util.h"

namespace garde::store {
namespace {

core::Status entExists(Db& db, std::string_view ent_id) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT 1 FROM ents WHERE id = ?1");
  stmt.bind(1, ent_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kUnknownPeer, "unknown ENT");
  }
  return {};
}

}  // namespace

core::Result<std::int64_t> registryGeneration(Db& db) {
  return detail::generationCounter(db, "SELECT n FROM registry_generation WHERE id = 1",
                                   "registry generation");
}

core::Result<std::shared_ptr<const ResourceEntry>> ResourceCache::find(
    Db& db, std::string_view resource_id) {
  GARDE_ASSIGN_OR_RETURN(const std::int64_t generation, registryGeneration(db));
  return find(db, resource_id, generation);
}

core::Result<std::shared_ptr<const ResourceEntry>> ResourceCache::find(Db& db,
                                                                       std::string_view resource_id,
                                                                       std::int64_t generation) {
  {
    const std::lock_guard lock(mutex_);
    if (generation == generation_) {
      if (auto it = entries_.find(resource_id); it != entries_.end()) {
        return it->second;
      }
    } else if (generation > generation_) {
      entries_.clear();  // something changed: everything is read again, once
      generation_ = generation;
    }  // else a snapshot older than the cache's: read, and do not keep
  }
  // Read outside the lock, in the caller's snapshot of generation `generation`.
  auto entry = std::make_shared<ResourceEntry>();
  GARDE_ASSIGN_OR_RETURN(entry->resource, findResource(db, resource_id));
  if (auto contract = findContract(db, resource_id)) {
    entry->contract = std::move(contract).value();
  } else if (contract.error().code != core::ErrorCode::kUnknownResource) {
    return core::fail(std::move(contract).error());
  }
  if (auto name = findPublisherName(db, entry->resource.publisher_id)) {
    entry->publisher_name = std::move(name).value();
  } else if (name.error().code == core::ErrorCode::kUnknownPeer) {
    entry->publisher_name = entry->resource.publisher_id;
  } else {
    return core::fail(std::move(name).error());
  }
  const std::lock_guard lock(mutex_);
  // Generations only grow: an entry read in an older snapshot than the cache's is not stored.
  if (generation_ == generation) {
    entries_.emplace(std::string(resource_id), entry);
  }
  return std::shared_ptr<const ResourceEntry>(std::move(entry));
}

core::Result<LaunchInputs> loadLaunchInputs(Db& db, std::string_view ent_id,
                                            std::string_view ent_person_id, std::string_view uai,
                                            std::string_view resource_id,
                                            std::optional<policy::Profile> wanted,
                                            ResourceCache* resources) {
  std::optional<Transaction> tx;
  if (!db.inTransaction()) {
    GARDE_ASSIGN_OR_RETURN(Transaction begun, Transaction::begin(db, Transaction::Kind::kDeferred));
    tx.emplace(std::move(begun));
  }
  LaunchInputs in;
  // A person is found under an existing ENT (foreign key), so the ENT is looked up only to name
  // the refusal when the person is not found.
  if (auto person = findPersonFacts(db, ent_id, ent_person_id, uai, wanted)) {
    in.person = std::move(person).value();
  } else {
    if (person.error().code == core::ErrorCode::kUnknownUser) {
      GARDE_TRY(entExists(db, ent_id));
    }
    return core::fail(std::move(person).error());
  }
  if (resources != nullptr) {
    GARDE_ASSIGN_OR_RETURN(const auto entry, resources->find(db, resource_id));
    if (!entry->contract) {
      return core::fail(core::ErrorCode::kUnknownResource, "unknown resource or no contract");
    }
    in.resource = entry->resource;
    in.contract = *entry->contract;
  } else {
    GARDE_ASSIGN_OR_RETURN(in.resource, findResource(db, resource_id));
    GARDE_ASSIGN_OR_RETURN(in.contract, findContract(db, resource_id));
  }
  GARDE_ASSIGN_OR_RETURN(in.subscriptions, findLaunchSubscriptions(db, resource_id, in.person));
  if (tx) {
    GARDE_TRY(tx->commit());
  }
  return in;
}

}  // namespace garde::store
