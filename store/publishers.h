#pragma once
/// @file Publishers, their resources and contracts (declared attributes per profile, status,
/// history).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/contract.h"
#include "store/db.h"

namespace garde::store {

struct Publisher {
  std::string id;  ///< SIREN_ISNI, [0-9]{9}_[0-9]{16} (enforced by the schema)
  std::string name;
  std::optional<std::string> sp_entity_id;     ///< the publisher SP's entityID
  std::optional<std::string> sp_metadata_xml;  ///< its SP metadata, from the contract
  std::optional<std::string>
      client_cert_sha256;  ///< lower-case hex fingerprint of its API client certificate
};

struct Resource {
  std::string id;  ///< ARK
  std::string publisher_id;
  std::string name;
  std::string url;                       ///< the resource's URL, the RelayState of a launch
  std::optional<std::string> login_url;  ///< where a bounce launch sends the browser
  std::string category;
  policy::LaunchMode launch_mode = policy::LaunchMode::kBounce;
  std::optional<std::string> logo_url = std::nullopt;  ///< the médiacentre's tile image (urlVignette)
};

/// kConflict on a malformed id or an entityID/fingerprint already used by another publisher.
core::Status upsertPublisher(Db& db, const Publisher& publisher);
/// kUnknownPeer when unknown.
core::Result<Publisher> findPublisher(Db& db, std::string_view id);
/// The publisher's display name only (not its metadata): kUnknownPeer when unknown.
core::Result<std::string> findPublisherName(Db& db, std::string_view id);
core::Result<Publisher> findPublisherBySpEntityId(Db& db, std::string_view sp_entity_id);
core::Result<Publisher> findPublisherByCertificate(Db& db, std::string_view client_cert_sha256);
/// Every publisher, by id (for the IdP side's metadata registry, loaded at start-up).
core::Result<std::vector<Publisher>> listPublishers(Db& db);

/// kConflict when the publisher is unknown.
core::Status upsertResource(Db& db, const Resource& resource);
/// kUnknownResource when unknown.
core::Result<Resource> findResource(Db& db, std::string_view resource_id);
/// The resources of `publisher_id` that have a contract (any status), by id: the candidates when a
/// publisher's own AuthnRequest does not say which resource it is for. One indexed query.
core::Result<std::vector<Resource>> listContractedResources(Db& db, std::string_view publisher_id);

/// Stores a contract's declarations and status (a new revision), replacing the previous
/// declarations, and appends a history row. The resource must exist (kConflict otherwise).
/// Runs in its own transaction unless the caller has one open.
core::Status saveContract(Db& db, const policy::ResourceContract& contract, std::string_view actor,
                          std::string_view reason, core::UnixTime at);
/// Changes only the status (approve, suspend), with a history row. kNotFound without a contract.
core::Status setContractStatus(Db& db, std::string_view resource_id, policy::ContractStatus status,
                               std::string_view actor, std::string_view reason, core::UnixTime at);
/// The contract of a resource, with the resource's publisher, category and launch mode.
/// kUnknownResource when the resource or its contract does not exist.
core::Result<policy::ResourceContract> findContract(Db& db, std::string_view resource_id);

/// Every contract (any status), by resource id: the input of a policy change preview.
core::Result<std::vector<policy::ResourceContract>> listContracts(Db& db);

/// How many people hold `profile` in an establishment subscribed to `resource_id` (any dates): the
/// "how many users would a policy change affect" count of docs/domain.md section 9.
core::Result<std::int64_t> countPeopleReached(Db& db, std::string_view resource_id,
                                              policy::Profile profile);

/// One row of a contract's history, oldest first.
struct ContractHistoryEntry {
  std::int64_t revision = 0;
  std::string at;
  std::string actor;
  std::optional<std::string> old_status;
  std::string new_status;
  std::string reason;
  std::string declarations;  ///< "National_elv:IDO,PRO;National_ens:IDO" at that revision
};
core::Result<std::vector<ContractHistoryEntry>> contractHistory(Db& db,
                                                                std::string_view resource_id);

}  // namespace garde::store
