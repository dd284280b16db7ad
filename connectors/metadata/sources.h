#pragma once
/// @file Peers' metadata from sources (docs/metadata-sources.md): what a fetched document must be
/// before it becomes a source's last good copy, and the entities the peer registries read from
/// those copies.
///
/// Pure apart from SourceDocuments, which reads the store: no clock reads (`now` is a parameter),
/// no network (fetching is the broker's, off the request path).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "saml/keys.h"
#include "saml/metadata.h"
#include "store/db.h"
#include "store/metadata_sources.h"

namespace garde::connectors::metadata {

/// A fetched document, checked: its entities and the root's validity and cache hint.
struct CheckedDocument {
  saml::MetadataDocument document;
  core::UnixTime valid_until = 0;
};

/// Checks a document fetched from `source` at `now`: it parses under the metadata limits (no
/// DOCTYPE, no entity); its root carries an enveloped signature verifying with one of the
/// source's pinned certificates (read only from what the signature covers); the root has a
/// validUntil that has not passed and is at most max_validity_seconds ahead; for an MDQ answer,
/// it describes `expected_entity`; for a url source, it holds at least one entity. Errors:
/// kBadRequest (the source's pinned certificates are unreadable), kSignatureMissing,
/// kSignatureInvalid, kAlgorithmForbidden, kExpired, kMalformedMessage (no validUntil, a
/// validity too long, the entity missing), kLimitExceeded, kForbiddenXml, each with a detail
/// that names no person.
/// With `only_entities`, only those entities are decoded (an aggregate's bound peers): the others
/// are counted, and their entityIDs checked for presence, length and duplicates, not read.
core::Result<CheckedDocument> checkFetchedDocument(
    const store::MetadataSource& source, std::string_view xml, core::UnixTime now,
    std::string_view expected_entity = {},
    const std::set<std::string, std::less<>>* only_entities = nullptr);

/// The entityIDs of the peers bound to source `source` (from their registrations). kStoreError.
core::Result<std::set<std::string, std::less<>>> boundEntityIds(
    store::Db& db, std::string_view source,
    const std::vector<store::PeerBinding>& bindings);

/// When a source's document is due to be fetched again (docs/metadata-sources.md "Refresh"):
/// after a success, at checked_at + min(cacheDuration, refresh_seconds); after a failure, at
/// attempted_at + min(refresh_seconds, retry_seconds); at once when never tried.
core::UnixTime nextFetchAt(const store::MetadataSource& source, const store::MetadataCopy* copy,
                           std::int64_t retry_seconds = 300);

/// What a node's refresher has just checked, handed to that node's next registry load so that it
/// does not parse and verify the same bytes again (docs/metadata-sources.md, "What of an
/// aggregate is read"). Kept in this process only, at most one hand-over per source document,
/// taken once: the load after it (and every load on another node) reads the stored copy and
/// verifies it again.
struct CheckedEntities {
  std::string sha256;                               ///< of the stored copy's bytes
  std::set<std::string, std::less<>> bound;         ///< the entities decoded (only_entities)
  std::vector<saml::EntityDescriptor> entities;     ///< as checkFetchedDocument read them
  core::UnixTime valid_until = 0;                   ///< the root's
};

/// Hands `checked` over for source `source`'s document `key` (replacing an earlier hand-over).
void handOverChecked(std::string_view source, std::string_view key, CheckedEntities checked);

/// Takes the hand-over for `source`'s document `key` if it is of the copy `sha256`, decoded for
/// exactly the entities `bound`, and its validUntil is after `now`; nullopt otherwise. Either
/// way nothing is left for that document.
std::optional<CheckedEntities> takeChecked(std::string_view source, std::string_view key,
                                           std::string_view sha256,
                                           const std::set<std::string, std::less<>>& bound,
                                           core::UnixTime now);

/// The entities of every source's last good copy, read and verified again (pinned signature,
/// validity at `now`) the first time a registry asks for one of a source's documents, then kept
/// for the rest of that registry load (both registries share one).
class SourceDocuments {
 public:
  SourceDocuments(store::Db& db, core::UnixTime now) : db_(db), now_(now) {}

  /// The source a peer is bound to, nullopt when it uses its inline metadata. kStoreError.
  core::Result<std::optional<std::string>> sourceOf(store::CallerKind kind,
                                                    std::string_view peer_id);

  /// The entity `entity_id` of source `source`'s last good copy. Errors: kNotFound (no such
  /// source, no good copy yet, or the entity is not in it), or the copy's own failure when it no
  /// longer verifies (kExpired once its validUntil has passed), kStoreError.
  core::Result<saml::EntityDescriptor> entity(std::string_view source, std::string_view entity_id);

 private:
  using Entities = std::map<std::string, saml::EntityDescriptor, std::less<>>;
  /// boundEntityIds of the bindings read once per load (the only entities a registry load reads).
  core::Result<std::set<std::string, std::less<>>> boundEntities(std::string_view source);
  core::Result<std::shared_ptr<const Entities>> document(const store::MetadataSource& source,
                                                         std::string_view key);

  store::Db& db_;
  core::UnixTime now_;
  std::optional<std::vector<store::PeerBinding>> bindings_;
  std::map<std::string, core::Result<std::shared_ptr<const Entities>>, std::less<>> documents_;
};

}  // namespace garde::connectors::metadata
