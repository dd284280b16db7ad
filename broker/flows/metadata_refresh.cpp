#include "broker/flows/metadata_refresh.h"

#include <algorithm>

#include "broker/http/client.h"
#include "connectors/metadata/sources.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/x509.h"
#include "store/algorithm_exceptions.h"
#include "store/directory.h"
#include "store/publishers.h"

namespace garde::broker::flows {
namespace {

constexpr core::Logger kLog("broker.metadata");

/// The entityID a bound peer is registered under ("" when it has none).
core::Result<std::string> boundEntityId(store::Db& db, const store::PeerBinding& b) {
  if (b.kind == store::CallerKind::kEnt) {
    auto ent = store::findEnt(db, b.peer_id);
    if (!ent) {
      if (ent.error().code == core::ErrorCode::kStoreError) {
        return core::fail(std::move(ent).error());
      }
      return std::string();
    }
    return ent->idp_entity_id.value_or("");
  }
  auto publisher = store::findPublisher(db, b.peer_id);
  if (!publisher) {
    if (publisher.error().code == core::ErrorCode::kStoreError) {
      return core::fail(std::move(publisher).error());
    }
    return std::string();
  }
  return publisher->sp_entity_id.value_or("");
}

/// The documents of a source: one ("") for url and aggregate, one per bound peer's entityID for
/// MDQ.
core::Result<std::vector<std::string>> documentKeys(store::Db& db,
                                                    const store::MetadataSource& source,
                                                    const std::vector<store::PeerBinding>& all) {
  if (source.kind != store::MetadataSourceKind::kMdq) {
    return std::vector<std::string>{""};
  }
  std::vector<std::string> keys;
  for (const store::PeerBinding& b : all) {
    if (b.source != source.name) {
      continue;
    }
    GARDE_ASSIGN_OR_RETURN(std::string entity_id, boundEntityId(db, b));
    if (!entity_id.empty() && std::find(keys.begin(), keys.end(), entity_id) == keys.end()) {
      keys.push_back(std::move(entity_id));
    }
  }
  return keys;
}

std::string documentUrl(const store::MetadataSource& source, const std::string& key) {
  if (source.kind != store::MetadataSourceKind::kMdq) {
    return source.url;
  }
  // Metadata Query Protocol, SAML profile 2.1: {base}/entities/{URL-encoded entityID}.
  std::string base = source.url;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base + "/entities/" + core::urlEncode(key);
}

/// `only_entities`: of an aggregate, the entities decoded by the check (the bound peers'); the
/// registry load reads the same ones.
MetadataRefreshOutcome fetchOne(store::Db& db, const store::MetadataSource& source,
                                const std::string& key, const store::MetadataCopy* copy,
                                core::UnixTime now, const MetadataRefreshOptions& options,
                                const std::set<std::string, std::less<>>* only_entities,
                                core::Status& store_status) {
  MetadataRefreshOutcome outcome{source.name, key, MetadataRefreshOutcome::Kind::kFailed, {}};
  const auto failed = [&](std::string why) {
    outcome.kind = MetadataRefreshOutcome::Kind::kFailed;
    outcome.error = std::move(why);
    store_status = store::recordMetadataFailure(db, source.name, key, now, outcome.error);
    kLog.warn("metadata refresh failed; the last good copy stands",
              {{"source", source.name},
               {"entity", key},
               {"error", outcome.error},
               {"last_good", copy && copy->fetched_at ? core::formatIso8601(*copy->fetched_at)
                                                      : std::string("none")}});
    return outcome;
  };

  http::FetchRequest request;
  request.url = documentUrl(source, key);
  request.timeout = options.timeout;
  request.ca_file = options.ca_file;
  request.headers.emplace_back("Accept",
                               "application/samlmetadata+xml, application/xml;q=0.9, */*;q=0.1");
  const bool have_copy = copy != nullptr && copy->held;
  if (have_copy && !copy->etag.empty()) {
    request.headers.emplace_back("If-None-Match", copy->etag);
  }
  if (have_copy && !copy->last_modified.empty()) {
    request.headers.emplace_back("If-Modified-Since", copy->last_modified);
  }
  auto response = http::fetch(request);
  if (!response) {
    return failed(response.error().describe());
  }
  if (response->status == 304 && have_copy) {
    store_status = store::recordMetadataUnchanged(db, source.name, key, now);
    outcome.kind = MetadataRefreshOutcome::Kind::kNotModified;
    return outcome;
  }
  if (response->status != 200) {
    return failed("HTTP status " + std::to_string(response->status));
  }
  auto checked = connectors::metadata::checkFetchedDocument(source, response->body, now, key,
                                                            only_entities);
  if (!checked) {
    return failed(checked.error().describe());
  }
  store::MetadataCopy fresh;
  fresh.source = source.name;
  fresh.entity_key = key;
  fresh.xml = std::move(response->body);
  fresh.etag = response->etag;
  fresh.last_modified = response->last_modified;
  fresh.fetched_at = now;
  fresh.valid_until = checked->valid_until;
  fresh.cache_seconds = checked->document.cache_duration_seconds;
  fresh.entity_count = static_cast<std::int64_t>(checked->document.entities_described);
  std::string digest = core::sha256Hex(*fresh.xml);
  const bool same = have_copy && copy->sha256 == digest;
  if (!same && only_entities != nullptr) {
    // The next registry load on this node reads these entities instead of parsing the copy again
    // (handed over before the copy is stored, which moves the registry generation; keyed by the
    // bytes' digest, so a copy that is not stored is never read from it).
    connectors::metadata::handOverChecked(
        source.name, key,
        {std::move(digest), *only_entities, std::move(checked->document.entities),
         checked->valid_until});
  }
  store_status = store::recordMetadataFetched(db, fresh);
  outcome.kind =
      same ? MetadataRefreshOutcome::Kind::kSame : MetadataRefreshOutcome::Kind::kUpdated;
  if (!same) {
    kLog.info("metadata updated from its source",
              {{"source", source.name},
               {"entity", key},
               {"entities", std::to_string(fresh.entity_count)},
               {"valid_until", core::formatIso8601(checked->valid_until)}});
  }
  return outcome;
}

void warnIfExpiring(const store::MetadataSource& source, const store::MetadataCopy& copy,
                    core::UnixTime now, std::int64_t warning) {
  if (!copy.valid_until) {
    return;
  }
  if (*copy.valid_until <= now) {
    kLog.error("metadata expired: the peers it feeds are not served until a fresh copy verifies",
               {{"source", source.name},
                {"entity", copy.entity_key},
                {"valid_until", core::formatIso8601(*copy.valid_until)}});
  } else if (*copy.valid_until - now < warning) {
    kLog.warn("metadata expires soon",
              {{"source", source.name},
               {"entity", copy.entity_key},
               {"valid_until", core::formatIso8601(*copy.valid_until)}});
  }
}

std::string keyUse(const saml::KeyDescriptor& key) {
  switch (key.use) {
    case saml::KeyUse::kSigning:
      return "signing";
    case saml::KeyUse::kEncryption:
      return "encryption";
    case saml::KeyUse::kUnspecified:
      break;
  }
  return "both";
}

}  // namespace

MetadataRefreshOptions metadataRefreshOptions(const config::FederationConfig& federation) {
  MetadataRefreshOptions o;
  o.timeout = federation.fetch_timeout;
  o.ca_file = federation.ca_file;
  o.retry_seconds = federation.retry_after.count();
  o.expiry_warning_seconds = federation.expiry_warning.count();
  return o;
}

std::string_view refreshOutcomeName(MetadataRefreshOutcome::Kind kind) noexcept {
  switch (kind) {
    case MetadataRefreshOutcome::Kind::kUpdated:
      return "updated";
    case MetadataRefreshOutcome::Kind::kSame:
      return "same";
    case MetadataRefreshOutcome::Kind::kNotModified:
      return "not_modified";
    case MetadataRefreshOutcome::Kind::kFailed:
      return "failed";
    case MetadataRefreshOutcome::Kind::kNotDue:
      break;
  }
  return "not_due";
}

core::Result<std::vector<MetadataRefreshOutcome>> refreshMetadataSources(
    store::Db& db, core::UnixTime now, const MetadataRefreshOptions& options) {
  GARDE_ASSIGN_OR_RETURN(auto sources, store::listMetadataSources(db));
  if (!options.only_source.empty() &&
      std::none_of(sources.begin(), sources.end(),
                   [&](const auto& s) { return s.name == options.only_source; })) {
    return core::fail(core::ErrorCode::kNotFound, "no metadata source of this name");
  }
  GARDE_ASSIGN_OR_RETURN(auto bindings, store::listPeerBindings(db));
  std::vector<MetadataRefreshOutcome> out;
  for (const store::MetadataSource& source : sources) {
    if (!options.only_source.empty() && source.name != options.only_source) {
      continue;
    }
    GARDE_ASSIGN_OR_RETURN(auto keys, documentKeys(db, source, bindings));
    // Of an aggregate, the check decodes the bound peers' entities only (the others' certificates
    // are most of the time of a large aggregate: docs/performance.md, "metadata aggregates").
    std::optional<std::set<std::string, std::less<>>> bound;
    if (source.kind == store::MetadataSourceKind::kAggregate) {
      GARDE_ASSIGN_OR_RETURN(bound, connectors::metadata::boundEntityIds(db, source.name, bindings));
    }
    for (const std::string& key : keys) {
      GARDE_ASSIGN_OR_RETURN(auto copy, store::findMetadataCopy(db, source.name, key, false));
      const store::MetadataCopy* held = copy ? &*copy : nullptr;
      if (!options.force &&
          now < connectors::metadata::nextFetchAt(source, held, options.retry_seconds)) {
        out.push_back({source.name, key, MetadataRefreshOutcome::Kind::kNotDue, {}});
        continue;
      }
      core::Status recorded;
      out.push_back(
          fetchOne(db, source, key, held, now, options, bound ? &*bound : nullptr, recorded));
      GARDE_TRY(recorded);
      GARDE_ASSIGN_OR_RETURN(auto after, store::findMetadataCopy(db, source.name, key, false));
      if (after) {
        warnIfExpiring(source, *after, now, options.expiry_warning_seconds);
      }
    }
  }
  return out;
}

core::Result<std::vector<MetadataSourceStatus>> metadataStatus(
    store::Db& db, core::UnixTime now, std::int64_t expiry_warning_seconds, bool with_peers) {
  GARDE_ASSIGN_OR_RETURN(auto sources, store::listMetadataSources(db));
  GARDE_ASSIGN_OR_RETURN(auto bindings, store::listPeerBindings(db));
  connectors::metadata::SourceDocuments documents(db, now);
  std::vector<MetadataSourceStatus> out;
  for (store::MetadataSource& source : sources) {
    MetadataSourceStatus status;
    GARDE_ASSIGN_OR_RETURN(status.copies, store::listMetadataCopies(db, source.name, false));
    GARDE_ASSIGN_OR_RETURN(auto keys, documentKeys(db, source, bindings));
    status.up = !status.copies.empty();
    status.expiring = status.copies.empty() || status.copies.size() < keys.size();
    for (store::MetadataCopy& copy : status.copies) {
      status.up = status.up && copy.failures == 0 && copy.checked_at.has_value();
      status.failures = std::max(status.failures, copy.failures);
      if (copy.checked_at &&
          (!status.last_success || *copy.checked_at < *status.last_success)) {
        status.last_success = copy.checked_at;
      }
      if (!copy.valid_until) {
        status.expiring = true;
      } else {
        if (!status.valid_until || *copy.valid_until < *status.valid_until) {
          status.valid_until = copy.valid_until;
        }
        status.expiring =
            status.expiring || *copy.valid_until - now < expiry_warning_seconds;
      }
    }
    for (const store::PeerBinding& b : bindings) {
      if (!with_peers || b.source != source.name) {
        continue;
      }
      BoundPeer peer;
      peer.kind = b.kind;
      peer.peer_id = b.peer_id;
      GARDE_ASSIGN_OR_RETURN(peer.entity_id, boundEntityId(db, b));
      if (peer.entity_id.empty()) {
        peer.problem = "no entityID registered";
      } else if (auto entity = documents.entity(source.name, peer.entity_id); !entity) {
        peer.problem = entity.error().describe();
      } else {
        const saml::SsoDescriptor* role = nullptr;
        if (b.kind == store::CallerKind::kEnt && entity->idp) {
          role = &*entity->idp;
        } else if (b.kind == store::CallerKind::kPublisher && entity->sp) {
          role = &*entity->sp;
        }
        if (role == nullptr) {
          peer.problem = b.kind == store::CallerKind::kEnt ? "no IDPSSODescriptor"
                                                           : "no SPSSODescriptor";
        } else {
          for (const saml::KeyDescriptor& k : role->keys) {
            peer.keys.push_back(
                {keyUse(k), k.certificate.fingerprint(), k.certificate.notAfter()});
          }
        }
      }
      status.peers.push_back(std::move(peer));
    }
    status.source = std::move(source);
    status.source.signer_pem.clear();
    out.push_back(std::move(status));
  }
  return out;
}

std::vector<MetadataSourceGauge> metadataGauges(const std::vector<MetadataSourceStatus>& status) {
  std::vector<MetadataSourceGauge> out;
  for (const MetadataSourceStatus& s : status) {
    out.push_back({s.source.name, s.up, s.failures, s.last_success.value_or(0),
                   s.valid_until.value_or(0), s.expiring});
  }
  return out;
}

MetadataRefresher::MetadataRefresher(const core::Clock& clock, Metrics& metrics,
                                     std::string database, MetadataRefreshOptions options,
                                     std::chrono::milliseconds period)
    : task_(
          "metadata refresh", std::move(database), period,
          [&clock, &metrics, options = std::move(options)](store::Db& db) -> core::Status {
            GARDE_TRY(refreshMetadataSources(db, clock.now(), options));
            GARDE_ASSIGN_OR_RETURN(auto status,
                                   metadataStatus(db, clock.now(), options.expiry_warning_seconds,
                                                  /*with_peers=*/false));
            metrics.setMetadataSources(metadataGauges(status));
            GARDE_ASSIGN_OR_RETURN(auto exceptions, store::listAlgorithmExceptions(db));
            std::vector<AlgorithmExceptionGauge> gauges;
            for (const auto& e : exceptions) {
              gauges.push_back({std::string(store::callerKindCode(e.peer_kind)), e.peer_id,
                                e.algorithm, e.expires_at});
            }
            metrics.setAlgorithmExceptions(std::move(gauges));
            return {};
          },
          /*run_first=*/true) {}

}  // namespace garde::broker::flows
