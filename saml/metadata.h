#pragma once
/// @file SAML 2.0 metadata (SAML2 Metadata): EntityDescriptor / EntitiesDescriptor as plain
/// structs, a strict parser that reads only from the verified root, and a generator for our own
/// metadata.
///
/// Pure: `now` is an option, nothing is fetched. Parsed values are immutable snapshots; copies are
/// cheap enough to keep in the peer registries (certificates share their OpenSSL handles).
///
/// Validity (SAML2 Metadata 2.3.1): a validUntil in the past on the root rejects the document
/// (kExpired). A nested EntitiesDescriptor or EntityDescriptor whose validUntil has passed is
/// dropped with its subtree, so one stale entity in a federation aggregate does not take the
/// federation down; if that leaves nothing, the result is kExpired. Each returned entity's
/// `valid_until` is the earliest validUntil on its path from the root (when the cache must
/// refresh).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "saml/algorithms.h"
#include "saml/keys.h"
#include "saml/xml.h"

namespace garde::saml {

/// md:EndpointType / md:IndexedEndpointType.
struct Endpoint {
  std::string binding;             ///< Binding URI (messages.h binding::kHttpPost, ...)
  std::string location;            ///< Location URL
  std::string response_location;   ///< ResponseLocation; empty when absent
  std::optional<int> index;        ///< index (IndexedEndpointType: AssertionConsumerService)
  std::optional<bool> is_default;  ///< isDefault; absent is not the same as false (Metadata 2.2.3)
  bool operator==(const Endpoint&) const = default;
};

/// md:KeyDescriptor use.
enum class KeyUse { kUnspecified, kSigning, kEncryption };

/// md:KeyDescriptor with one X.509 certificate (a KeyDescriptor with several X509Certificate
/// elements yields one KeyDescriptor per certificate; one without any is skipped).
struct KeyDescriptor {
  KeyUse use = KeyUse::kUnspecified;
  Certificate certificate;
  std::vector<std::string> encryption_methods;  ///< EncryptionMethod Algorithm URIs, in order
  bool operator==(const KeyDescriptor&) const = default;
};

/// What IDPSSODescriptor and SPSSODescriptor share (md:SSODescriptorType).
struct SsoDescriptor {
  std::vector<KeyDescriptor> keys;
  std::vector<Endpoint> slo;  ///< SingleLogoutService
  std::vector<std::string> name_id_formats;

  /// Certificates with use "signing" or unspecified (several during a key rollover).
  std::vector<Certificate> signingCertificates() const;
  /// Certificates with use "encryption" or unspecified.
  std::vector<Certificate> encryptionCertificates() const;
  bool operator==(const SsoDescriptor&) const = default;
};

/// md:IDPSSODescriptor (the first one that supports the SAML 2.0 protocol).
struct IdpSsoDescriptor : SsoDescriptor {
  bool want_authn_requests_signed = false;
  std::vector<Endpoint> sso;  ///< SingleSignOnService
  bool operator==(const IdpSsoDescriptor&) const = default;
};

/// md:SPSSODescriptor (the first one that supports the SAML 2.0 protocol).
struct SpSsoDescriptor : SsoDescriptor {
  bool authn_requests_signed = false;
  bool want_assertions_signed = false;
  std::vector<Endpoint> acs;  ///< AssertionConsumerService, in document order (indexes unique)

  /// The default ACS (SAML2 Metadata 2.2.3): the first with isDefault="true", else the first
  /// without isDefault="false", else the first. With a non-empty `binding`, only endpoints of that
  /// binding are considered. nullptr if none. The pointer is into `acs`.
  const Endpoint* defaultAcs(std::string_view binding = {}) const noexcept;
  const Endpoint* acsByIndex(int index) const noexcept;
  /// Exact match on Location (and Binding, when non-empty). nullptr if none.
  const Endpoint* acsByUrl(std::string_view url, std::string_view binding = {}) const noexcept;
  bool operator==(const SpSsoDescriptor&) const = default;
};

/// md:EntityDescriptor.
struct EntityDescriptor {
  std::string entity_id;
  /// ID attribute (what a signature references). Parsed when present; when generating, an empty id
  /// is replaced by "_" + 40 hex digits of SHA-256(entity_id).
  std::string id;
  std::optional<core::UnixTime> valid_until;
  std::optional<IdpSsoDescriptor> idp;
  std::optional<SpSsoDescriptor> sp;
  /// The algorithms the entity says it supports (SAML V2.0 Metadata Profile for Algorithm Support:
  /// alg:DigestMethod and alg:SigningMethod in md:Extensions of the EntityDescriptor, or of a role
  /// that is read), in document order; empty when it says nothing.
  std::vector<std::string> digest_methods;
  std::vector<SigningMethod> signing_methods;

  /// Signing certificates of every role (IdP first), without duplicates; use the role's own helper
  /// when an entity plays both roles with different keys.
  std::vector<Certificate> signingCertificates() const;
  std::vector<Certificate> encryptionCertificates() const;
  /// The SP role's ACS helpers; nullptr when there is no SP role.
  const Endpoint* defaultAcs(std::string_view binding = {}) const noexcept;
  const Endpoint* acsByIndex(int index) const noexcept;
  const Endpoint* acsByUrl(std::string_view url, std::string_view binding = {}) const noexcept;
  bool operator==(const EntityDescriptor&) const = default;
};

struct MetadataOptions {
  /// Certificates that may sign the metadata. If non-empty, the root element must carry an
  /// enveloped signature verifying with one of them (kSignatureMissing / kSignatureInvalid / ...).
  /// If empty, the signature is NOT checked: only for metadata the operator placed on disk.
  std::vector<Certificate> trusted;
  core::UnixTime now = 0;            ///< for validUntil
  bool require_valid_until = false;  ///< reject a root without validUntil (kMalformedMessage)
  ParseLimits limits = kMetadataLimits;
  /// When set, only the entities named here are read (the others' entityID is still checked for
  /// presence, length and duplicates, after the root's signature and validity): a registry load of
  /// a large aggregate decodes only the certificates of the peers bound to it. Not owned.
  const std::set<std::string, std::less<>>* only_entities = nullptr;
};

/// Parses metadata whose root is an EntityDescriptor or an EntitiesDescriptor (nested aggregates
/// allowed), after parseUntrusted(xml, options.limits) and, when `options.trusted` is non-empty,
/// verifyEnvelopedSignature() of the root; everything is read from the element it returns.
/// Of each role kind, the first IDPSSODescriptor / SPSSODescriptor whose protocolSupportEnumeration
/// names SAML 2.0 and whose own validUntil has not passed is read; others are ignored. Errors:
/// those of parseUntrusted and verifyEnvelopedSignature; kExpired (see the file comment);
/// kMalformedMessage (wrong root, missing entityID / Binding / Location / ACS index, a duplicate
/// ACS index or entityID, an unreadable certificate, a bad boolean or time), with a detail naming
/// the entity, never personal data.
Result<std::vector<EntityDescriptor>> parseMetadata(std::string_view xml,
                                                    const MetadataOptions& options);

/// What parseMetadataDocument reads: the entities and the root's own validity and cache hint.
struct MetadataDocument {
  std::vector<EntityDescriptor> entities;  ///< of options.only_entities only, when set
  /// Every entity the document describes and whose validUntil has not passed, read or not.
  std::size_t entities_described = 0;
  std::optional<core::UnixTime> valid_until;          ///< the root's validUntil
  std::optional<std::int64_t> cache_duration_seconds;  ///< the root's cacheDuration
};

/// parseMetadata, keeping the root's validUntil and cacheDuration (for fetched metadata: when it
/// must be fetched again). A cacheDuration that is not an xs:duration is kMalformedMessage.
Result<MetadataDocument> parseMetadataDocument(std::string_view xml,
                                               const MetadataOptions& options);

/// An xs:duration ("PT6H", "P1DT2H", "PT21600.5S") in whole seconds; years and months count 365
/// and 30 days. nullopt for anything else (negative durations included).
std::optional<std::int64_t> parseXsDuration(std::string_view text);

/// Sets `cacheDuration` (xs:duration, "PT<seconds>S") on a metadata root element we generated,
/// before it is signed: how long a peer may keep it before fetching it again. kMalformedMessage
/// for a negative duration.
Result<void> setCacheDuration(xmlNode* root, std::int64_t seconds);

/// Builds an md:EntityDescriptor document for `entity` (ID attribute set and registered, so the
/// caller can signElement() the root). `valid_until` overrides entity.valid_until when given.
/// Every KeyDescriptor is written (several for a rollover), in order, with its X509Certificate;
/// digest_methods and signing_methods go into md:Extensions as alg:DigestMethod and
/// alg:SigningMethod (MinKeySize when set).
/// Errors: kMalformedMessage for an empty entity_id or an endpoint without binding or location.
Result<XmlDoc> generateMetadata(const EntityDescriptor& entity,
                                std::optional<core::UnixTime> valid_until = std::nullopt);

}  // namespace garde::saml
