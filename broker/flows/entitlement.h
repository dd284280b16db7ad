#pragma once
/// @file What a person may launch: the one function behind the médiacentre's list and the choice
/// of a resource when a publisher's request names none. A resource is in its answer if and only
/// if a launch of it would pass the entitlement half of the release rule
/// (policy::checkEntitlement, which policy::decide applies at every launch) and its publisher is
/// registered (a launch of a publisher without SP metadata is refused as unknown_publisher).
/// tests/broker/entitlement_test.cpp holds the "if and only if" over every person and resource of
/// the demo, against real launches.

#include <string>
#include <string_view>
#include <vector>

#include "connectors/publisher/publisher_side.h"
#include "core/result.h"
#include "policy/date.h"
#include "store/db.h"
#include "store/launch.h"

namespace garde::broker::flows {

/// One resource a person may launch, and the establishment where they may.
struct EntitledResource {
  store::Resource resource;
  std::string uai;
  std::string publisher_name;  ///< store::ResourceEntry::publisher_name
};

/// The resources `person_id` (their identifier at `ent_id`) may launch on `today`: in `uai`, or
/// when it is empty in any of their establishments at the ENT (each resource once, with the first
/// establishment, in UAI order, that entitles); only `publisher_id`'s when it is not empty. In
/// resource id order. One read transaction unless the caller has one open.
/// Errors: kUnknownUser (no such person at the ENT), kStoreError.
core::Result<std::vector<EntitledResource>> entitledResources(
    store::Db& db, store::ResourceCache& resources,
    const connectors::publisher::PublisherRegistry& publishers, std::string_view ent_id,
    std::string_view person_id, std::string_view uai, policy::Date today,
    std::string_view publisher_id = {});

}  // namespace garde::broker::flows
