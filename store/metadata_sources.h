#pragma once
/// @file Where peers' metadata comes from when it is fetched rather than onboarded inline
/// (migration 15, docs/metadata-sources.md): the sources an operator registers (a URL serving one
/// entity, a signed federation aggregate, an MDQ responder), which peer each one feeds, and the last
/// good copy of each document with its fetch state. The copies live in the store, so a restart, or
/// another node, starts from the last good copy; a change of a copy's content moves the registry
/// generation, which makes every node load its peer registries again.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/caller_certificates.h"
#include "store/db.h"

namespace garde::store {

enum class MetadataSourceKind {
  kUrl,        ///< one document at a URL, one EntityDescriptor (or an aggregate naming it)
  kAggregate,  ///< one EntitiesDescriptor feeding several peers
  kMdq,        ///< a Metadata Query responder: {url}/entities/{percent-encoded entityID}
};
std::string_view metadataSourceKindCode(MetadataSourceKind kind) noexcept;  ///< "url" ...
std::optional<MetadataSourceKind> parseMetadataSourceKind(std::string_view code) noexcept;

/// A registered source. Every fetched document must carry an enveloped root signature by one of
/// `signer_pem`'s certificates and a validUntil at most `max_validity_seconds` ahead.
struct MetadataSource {
  std::string name;  ///< [a-z0-9-]{1,64}: the operator's name, also a metrics label
  MetadataSourceKind kind = MetadataSourceKind::kUrl;
  std::string url;         ///< http:// or https://
  std::string signer_pem;  ///< one or more PEM certificates, pinned
  std::int64_t max_validity_seconds = 14 * 86400;
  /// Fetched again after the document's cacheDuration, or after this when it says less or nothing.
  std::int64_t refresh_seconds = 6 * 3600;
  core::UnixTime added_at = 0;
};

/// Whether `name` is a valid source name ([a-z0-9-]{1,64}, starting with a letter or digit).
bool validMetadataSourceName(std::string_view name) noexcept;

/// Registers a source. kConflict when the name is taken; kBadRequest for a bad name or kind.
core::Status addMetadataSource(Db& db, const MetadataSource& source);
/// Removes a source and its copies. kNotFound when unknown; kConflict while a peer is bound to it.
core::Status removeMetadataSource(Db& db, std::string_view name);
/// Every source, by name.
core::Result<std::vector<MetadataSource>> listMetadataSources(Db& db);
/// kNotFound when unknown.
core::Result<MetadataSource> findMetadataSource(Db& db, std::string_view name);

/// A peer fed by a source: an ENT (its IdP) or a publisher (its SP), by store id.
struct PeerBinding {
  CallerKind kind = CallerKind::kPublisher;
  std::string peer_id;
  std::string source;
};

/// Binds a peer to a source (replacing any earlier binding), or unbinds it when `source` is empty
/// (its inline metadata is used again). kNotFound for an unknown source.
core::Status bindPeerMetadata(Db& db, CallerKind kind, std::string_view peer_id,
                              std::string_view source);
/// Every binding, by kind then peer id.
core::Result<std::vector<PeerBinding>> listPeerBindings(Db& db);
/// The source of one peer, nullopt when it uses its inline metadata.
core::Result<std::optional<std::string>> peerMetadataSource(Db& db, CallerKind kind,
                                                            std::string_view peer_id);

/// The last good copy of one document of a source and the state of its fetches. `entity_key` is
/// "" for url and aggregate sources, the entityID for an MDQ source.
struct MetadataCopy {
  std::string source;
  std::string entity_key;
  /// the last good document, as fetched; nullopt: none yet, or not read (with_document false)
  std::optional<std::string> xml;
  bool held = false;               ///< a last good document exists (read or not)
  std::string sha256;              ///< of `xml`
  std::string etag;                ///< for If-None-Match
  std::string last_modified;       ///< for If-Modified-Since
  std::optional<core::UnixTime> fetched_at;   ///< when `xml` was fetched (a 200 that verified)
  std::optional<core::UnixTime> checked_at;   ///< last success (200 that verified, or 304)
  std::optional<core::UnixTime> valid_until;  ///< of `xml`
  std::optional<std::int64_t> cache_seconds;  ///< cacheDuration of `xml`
  std::int64_t entity_count = 0;
  std::optional<core::UnixTime> attempted_at;  ///< last attempt, whatever its outcome
  std::string last_error;                      ///< "" after a success
  std::int64_t failures = 0;                   ///< consecutive failed attempts
};

/// Every copy, by source then key (`source` empty: of every source). Without `with_document`,
/// the documents are not read (`xml` nullopt, `held` says whether there is one): what the due
/// checks and the status need, without reading megabytes of an aggregate back.
core::Result<std::vector<MetadataCopy>> listMetadataCopies(Db& db, std::string_view source = {},
                                                           bool with_document = true);
/// One copy; nullopt when the source has none for this key yet.
core::Result<std::optional<MetadataCopy>> findMetadataCopy(Db& db, std::string_view source,
                                                           std::string_view entity_key,
                                                           bool with_document = true);

/// Records a fetch that verified: `copy`'s document, validity and validators become the last good
/// copy (failures reset). The registry generation moves only when the document's digest changed.
core::Status recordMetadataFetched(Db& db, const MetadataCopy& copy);
/// Records a 304: the last good copy stands, checked at `now`.
core::Status recordMetadataUnchanged(Db& db, std::string_view source, std::string_view entity_key,
                                     core::UnixTime now);
/// Records a failed attempt (fetch, HTTP status, signature, validity): the last good copy stands.
core::Status recordMetadataFailure(Db& db, std::string_view source, std::string_view entity_key,
                                   core::UnixTime now, std::string_view error);

}  // namespace garde::store
