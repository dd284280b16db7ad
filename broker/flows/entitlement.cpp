#include "broker/flows/entitlement.h"

#include <optional>
#include <set>

#include "policy/release.h"
#include "store/directory.h"
#include "store/subscriptions.h"

namespace garde::broker::flows {

core::Result<std::vector<EntitledResource>> entitledResources(
    store::Db& db, store::ResourceCache& resources,
    const connectors::publisher::PublisherRegistry& publishers, std::string_view ent_id,
    std::string_view person_id, std::string_view uai, policy::Date today,
    std::string_view publisher_id) {
  std::optional<store::Transaction> read;
  if (!db.inTransaction()) {
    GARDE_ASSIGN_OR_RETURN(store::Transaction begun,
                           store::Transaction::begin(db, store::Transaction::Kind::kDeferred));
    read.emplace(std::move(begun));
  }
  std::vector<std::string> uais;
  if (uai.empty()) {
    GARDE_ASSIGN_OR_RETURN(uais, store::listPersonEstablishments(db, ent_id, person_id));
  } else {
    uais.emplace_back(uai);
  }
  std::vector<EntitledResource> out;
  std::set<std::string, std::less<>> seen;
  std::optional<std::int64_t> generation;  // read once, when the first resource is looked up
  for (const auto& where : uais) {
    auto person = store::findPersonFacts(db, ent_id, person_id, where);
    if (!person) {
      if (person.error().code == core::ErrorCode::kNotEntitled) {
        continue;  // no profile in this establishment: nothing to launch there
      }
      return core::fail(std::move(person).error());
    }
    GARDE_ASSIGN_OR_RETURN(const auto subscriptions,
                           store::findEstablishmentSubscriptions(db, *person));
    // By resource: the subscriptions come ordered by resource id.
    for (std::size_t from = 0; from < subscriptions.size();) {
      std::size_t to = from;
      while (to < subscriptions.size() &&
             subscriptions[to].resource_id == subscriptions[from].resource_id) {
        ++to;
      }
      const std::string& resource_id = subscriptions[from].resource_id;
      const std::vector<policy::Subscription> of_resource(subscriptions.begin() + from,
                                                          subscriptions.begin() + to);
      from = to;
      if (seen.count(resource_id) != 0) {
        continue;
      }
      if (!generation) {
        GARDE_ASSIGN_OR_RETURN(generation, store::registryGeneration(db));
      }
      auto entry = resources.find(db, resource_id, *generation);
      if (!entry) {
        if (entry.error().code == core::ErrorCode::kStoreError) {
          return core::fail(std::move(entry).error());
        }
        continue;
      }
      const store::ResourceEntry& e = **entry;
      if (!e.contract || (!publisher_id.empty() && e.resource.publisher_id != publisher_id) ||
          publishers.findByPublisherId(e.resource.publisher_id) == nullptr) {
        continue;
      }
      if (policy::checkEntitlement(*person, *e.contract, of_resource, today).refusal ==
          policy::Refusal::kNone) {
        seen.insert(resource_id);
        out.push_back({e.resource, where, e.publisher_name});
      }
    }
  }
  if (read) {
    GARDE_TRY(read->commit());
  }
  std::sort(out.begin(), out.end(), [](const EntitledResource& a, const EntitledResource& b) {
    return a.resource.id < b.resource.id;
  });
  return out;
}

}  // namespace garde::broker::flows
