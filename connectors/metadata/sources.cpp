#include "connectors/metadata/sources.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "store/directory.h"
#include "store/publishers.h"

namespace garde::connectors::metadata {
namespace {

saml::MetadataOptions verifyingOptions(std::vector<saml::Certificate> signers, core::UnixTime now) {
  saml::MetadataOptions options;
  options.trusted = std::move(signers);
  options.now = now;
  options.require_valid_until = true;
  return options;
}

core::Result<std::vector<saml::Certificate>> pinnedSigners(const store::MetadataSource& source) {
  auto signers = saml::certificatesFromPemBundle(source.signer_pem);
  if (!signers) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "the source's pinned signer certificates: " + signers.error().detail);
  }
  return signers;
}

struct HandOvers {
  std::mutex mutex;
  std::map<std::string, CheckedEntities, std::less<>> by_document;  // source '\0' key
};

HandOvers& handOvers() {
  static HandOvers instance;
  return instance;
}

std::string documentKey(std::string_view source, std::string_view key) {
  std::string k(source);
  k += '\0';
  k += key;
  return k;
}

}  // namespace

void handOverChecked(std::string_view source, std::string_view key, CheckedEntities checked) {
  HandOvers& h = handOvers();
  const std::lock_guard lock(h.mutex);
  h.by_document.insert_or_assign(documentKey(source, key), std::move(checked));
}

std::optional<CheckedEntities> takeChecked(std::string_view source, std::string_view key,
                                           std::string_view sha256,
                                           const std::set<std::string, std::less<>>& bound,
                                           core::UnixTime now) {
  std::optional<CheckedEntities> taken;
  {
    HandOvers& h = handOvers();
    const std::lock_guard lock(h.mutex);
    const auto it = h.by_document.find(documentKey(source, key));
    if (it == h.by_document.end()) {
      return std::nullopt;
    }
    taken = std::move(it->second);
    h.by_document.erase(it);
  }
  if (taken->sha256 != sha256 || taken->bound != bound || taken->valid_until <= now) {
    return std::nullopt;
  }
  // An entity whose own validUntil passed since the check is left out, as a parse at `now` would.
  std::erase_if(taken->entities, [now](const saml::EntityDescriptor& e) {
    return e.valid_until && *e.valid_until <= now;
  });
  return taken;
}

core::Result<CheckedDocument> checkFetchedDocument(
    const store::MetadataSource& source, std::string_view xml, core::UnixTime now,
    std::string_view expected_entity, const std::set<std::string, std::less<>>* only_entities) {
  GARDE_ASSIGN_OR_RETURN(auto signers, pinnedSigners(source));
  saml::MetadataOptions options = verifyingOptions(signers, now);
  options.only_entities = only_entities;
  GARDE_ASSIGN_OR_RETURN(saml::MetadataDocument document,
                         saml::parseMetadataDocument(xml, options));
  // require_valid_until: the root has one, and it has not passed.
  const core::UnixTime valid_until = document.valid_until.value_or(0);
  if (valid_until - now > source.max_validity_seconds) {
    return core::fail(core::ErrorCode::kMalformedMessage,
                      "validUntil " + core::formatIso8601(valid_until) +
                          " is further ahead than the source's maximum validity of " +
                          std::to_string(source.max_validity_seconds / 86400) + " days");
  }
  if (document.entities_described == 0) {
    return core::fail(core::ErrorCode::kMalformedMessage, "the document describes no entity");
  }
  if (!expected_entity.empty()) {
    const bool found = std::any_of(
        document.entities.begin(), document.entities.end(),
        [&](const saml::EntityDescriptor& e) { return e.entity_id == expected_entity; });
    if (!found) {
      return core::fail(core::ErrorCode::kMalformedMessage,
                        "the answer does not describe the entity asked for");
    }
  }
  return CheckedDocument{std::move(document), valid_until};
}

core::UnixTime nextFetchAt(const store::MetadataSource& source, const store::MetadataCopy* copy,
                           std::int64_t retry_seconds) {
  if (copy == nullptr || !copy->attempted_at) {
    return 0;
  }
  if (copy->failures > 0 || !copy->checked_at) {
    return *copy->attempted_at + std::min(source.refresh_seconds, retry_seconds);
  }
  std::int64_t period = source.refresh_seconds;
  if (copy->cache_seconds) {
    period = std::min(period, std::max<std::int64_t>(*copy->cache_seconds, 1));
  }
  return *copy->checked_at + period;
}

core::Result<std::optional<std::string>> SourceDocuments::sourceOf(store::CallerKind kind,
                                                                   std::string_view peer_id) {
  if (!bindings_) {
    GARDE_ASSIGN_OR_RETURN(auto bindings, store::listPeerBindings(db_));
    bindings_ = std::move(bindings);
  }
  for (const store::PeerBinding& b : *bindings_) {
    if (b.kind == kind && b.peer_id == peer_id) {
      return std::optional<std::string>(b.source);
    }
  }
  return std::optional<std::string>();
}

core::Result<std::set<std::string, std::less<>>> boundEntityIds(
    store::Db& db, std::string_view source, const std::vector<store::PeerBinding>& bindings) {
  std::set<std::string, std::less<>> out;
  for (const store::PeerBinding& b : bindings) {
    if (b.source != source) {
      continue;
    }
    if (b.kind == store::CallerKind::kPublisher) {
      auto p = store::findPublisher(db, b.peer_id);
      if (p && p->sp_entity_id) {
        out.insert(*p->sp_entity_id);
      } else if (!p && p.error().code == core::ErrorCode::kStoreError) {
        return core::fail(std::move(p).error());
      }
    } else if (b.kind == store::CallerKind::kEnt) {
      auto e = store::findEnt(db, b.peer_id);
      if (e && e->idp_entity_id) {
        out.insert(*e->idp_entity_id);
      } else if (!e && e.error().code == core::ErrorCode::kStoreError) {
        return core::fail(std::move(e).error());
      }
    }
  }
  return out;
}

core::Result<std::set<std::string, std::less<>>> SourceDocuments::boundEntities(
    std::string_view source) {
  if (!bindings_) {
    GARDE_ASSIGN_OR_RETURN(auto bindings, store::listPeerBindings(db_));
    bindings_ = std::move(bindings);
  }
  return boundEntityIds(db_, source, *bindings_);
}

core::Result<std::shared_ptr<const SourceDocuments::Entities>> SourceDocuments::document(
    const store::MetadataSource& source, std::string_view key) {
  std::string cache_key = source.name;
  cache_key += '\0';
  cache_key += key;
  if (const auto it = documents_.find(cache_key); it != documents_.end()) {
    return it->second;
  }
  const auto no_copy = [] {
    return core::fail(core::ErrorCode::kNotFound,
                      "the source has no good copy yet (see garde metadata status)");
  };
  const auto load = [&]() -> core::Result<std::shared_ptr<const Entities>> {
    GARDE_ASSIGN_OR_RETURN(auto state, store::findMetadataCopy(db_, source.name, key, false));
    if (!state || !state->held) {
      return no_copy();
    }
    // Of an aggregate, only the entities of the peers bound to it are decoded (their certificates
    // are most of a parse's time: docs/performance.md, "metadata aggregates").
    GARDE_ASSIGN_OR_RETURN(auto wanted, boundEntities(source.name));
    std::vector<saml::EntityDescriptor> entities;
    if (auto handed = takeChecked(source.name, key, state->sha256, wanted, now_)) {
      // This node's refresher has just checked these very bytes (same digest) for these peers.
      entities = std::move(handed->entities);
    } else {
      GARDE_ASSIGN_OR_RETURN(auto copy, store::findMetadataCopy(db_, source.name, key));
      if (!copy || !copy->xml) {
        return no_copy();  // removed between the two reads
      }
      GARDE_ASSIGN_OR_RETURN(auto signers, pinnedSigners(source));
      // Verified again: the copy was checked when fetched, and is read only through its
      // signature.
      saml::MetadataOptions options = verifyingOptions(signers, now_);
      options.only_entities = &wanted;
      GARDE_ASSIGN_OR_RETURN(entities, saml::parseMetadata(*copy->xml, options));
    }
    auto map = std::make_shared<Entities>();
    for (auto& e : entities) {
      std::string id = e.entity_id;
      map->emplace(std::move(id), std::move(e));
    }
    return std::shared_ptr<const Entities>(std::move(map));
  };
  auto loaded = load();
  if (!loaded && loaded.error().code == core::ErrorCode::kStoreError) {
    return loaded;  // not kept: the next registry load tries again
  }
  return documents_.emplace(std::move(cache_key), std::move(loaded)).first->second;
}

core::Result<saml::EntityDescriptor> SourceDocuments::entity(std::string_view source_name,
                                                             std::string_view entity_id) {
  GARDE_ASSIGN_OR_RETURN(store::MetadataSource source,
                         store::findMetadataSource(db_, source_name));
  const std::string_view key =
      source.kind == store::MetadataSourceKind::kMdq ? entity_id : std::string_view();
  GARDE_ASSIGN_OR_RETURN(auto entities, document(source, key));
  const auto it = entities->find(entity_id);
  if (it == entities->end()) {
    return core::fail(core::ErrorCode::kNotFound,
                      "the source's last good copy does not describe this entity");
  }
  return it->second;
}

}  // namespace garde::connectors::metadata
