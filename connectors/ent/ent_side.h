#pragma once
/// @file The ENT side of the broker: garde as a SAML SP towards the ENTs' IdPs (SAML2 Profiles
/// 4.1, Web Browser SSO). Sends AuthnRequests (HTTP-Redirect, signed), consumes their Responses
/// (HTTP-POST) and produces our SP metadata.
///
/// Pure apart from EntRegistry::load(): no clock reads (`now` is a parameter), no file or database
/// access on the request path. Every function is reentrant; a loaded EntRegistry is immutable and
/// may be shared between threads.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/metadata/sources.h"
#include "core/result.h"
#include "core/time.h"
#include "saml/binding/redirect.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/replay_cache.h"
#include "store/db.h"

namespace garde::connectors::ent {

/// Where an ENT's assertions carry the person's identifier at the ENT (GARPersonIdentifiant), as
/// its registration says (docs/interop.md). Stock IdPs answer a transient NameID on their
/// defaults, which matches nobody: such an ENT is registered with the attribute that carries it.
struct IdentifierSource {
  enum class Kind {
    kNameId,     ///< the Subject's NameID, of format `name`, asked for as NameIDPolicy
    kAttribute,  ///< the saml:Attribute whose Name or FriendlyName is `name` (one value)
  };
  Kind kind = Kind::kNameId;
  /// kNameId: a NameID Format URI; the answer's NameID must be of that format, except for
  /// `unspecified`, which takes any format and sends a NameIDPolicy without Format.
  /// kAttribute: the attribute's Name (e.g. "urn:oid:0.9.2342.19200300.100.1.1") or FriendlyName
  /// (e.g. "uid").
  std::string name = std::string(saml::name_id_format::kPersistent);

  /// For logs: "NameID (format urn:...:persistent)" or "attribute uid". Never a value.
  std::string describe() const;
  bool operator==(const IdentifierSource&) const = default;
};

/// The registration's spelling (store::Ent identifier_source, identifier_name: "name_id" or
/// "attribute"), checked. kBadRequest naming what is wrong.
core::Result<IdentifierSource> identifierSourceFromStore(std::string_view source,
                                                         std::string_view name);

/// When our AuthnRequests to an ENT are signed.
enum class RequestSigning {
  kAsMetadataSays,  ///< when its IdP metadata says WantAuthnRequestsSigned="true" (default)
  kAlways,          ///< every one (an ENT that checks signatures without saying so)
};

/// An ENT project as the SP side sees it: its idENT, its IdP's parsed metadata and how it is
/// spoken to.
struct EntPeer {
  std::string ent_id;               ///< idENT, e.g. ENTTEST1
  std::string name;                 ///< shown on the discovery page
  saml::EntityDescriptor metadata;  ///< has an IdP role (peers without one are not registered)
  IdentifierSource identifier;
  RequestSigning request_signing = RequestSigning::kAsMetadataSays;

  /// Whether our AuthnRequests to it are signed.
  bool signsRequests() const noexcept;
};

/// Every ENT IdP's metadata, parsed once (off the request path).
/// Immutable after construction: thread-safe. Returned pointers stay valid while it lives.
class EntRegistry {
 public:
  /// Loads the ENTs that have at least one establishment in the store (the store lists ENTs through
  /// their establishments), parsing each one's IdP metadata with saml::parseMetadata (no signature
  /// check: the metadata was placed by ENT onboarding, an operator act). An ENT whose metadata is
  /// absent, does not parse, has no IDPSSODescriptor or no HTTP-Redirect SingleSignOnService, or
  /// whose entityID differs from the stored one, or whose identifier source or request signing is
  /// not understood, is skipped and logged ("ent.registry"), never fatal. Errors: kStoreError when the store cannot be read.
  /// An ENT bound to a metadata source (store/metadata_sources.h) is read from that source's last
  /// good copy, verified again, through `sources` (one is made when null).
  static core::Result<EntRegistry> load(store::Db& db, core::UnixTime now,
                                        metadata::SourceDocuments* sources = nullptr);

  /// From explicit peers (tests, tools). A later peer with an idENT or entityID already seen is
  /// ignored.
  explicit EntRegistry(std::vector<EntPeer> peers = {});

  /// nullptr when unknown.
  const EntPeer* findByEntId(std::string_view ent_id) const;
  /// nullptr when unknown.
  const EntPeer* findByEntityId(std::string_view idp_entity_id) const;
  /// Every ENT, in idENT order (for the discovery page).
  const std::vector<EntPeer>& all() const noexcept { return peers_; }

 private:
  std::vector<EntPeer> peers_;
  std::map<std::string, std::size_t, std::less<>> by_ent_id_;
  std::map<std::string, std::size_t, std::less<>> by_entity_id_;
};

/// The broker's SP role settings.
struct SpSettings {
  std::string entity_id;     ///< config broker.sp_entity_id
  std::string acs_url;       ///< base_url + "/saml/sp/acs"
  /// base_url + "/saml/sp/slo": SingleLogoutService (Redirect and POST) in our SP metadata;
  /// empty: none published (docs/single-logout.md).
  std::string slo_url;
  saml::Credential signing;  ///< signs AuthnRequests and metadata; also decrypts (see spMetadata)
  /// The other key of a rollover (config broker.next_signing_*): published for signing and
  /// encryption beside `signing`, and decrypts too; never signs (docs/key-rollover.md).
  std::optional<saml::Credential> next_signing;
  std::int64_t metadata_validity_seconds = 7 * 86400;  ///< validUntil = now + this
  std::int64_t metadata_cache_seconds = 6 * 3600;      ///< cacheDuration
  std::int64_t skew_seconds = 180;
  /// Require the Assertion itself to be signed (config broker.want_assertions_signed, default on),
  /// as our SP metadata's WantAssertionsSigned says. Off, a signed Response may protect an unsigned
  /// assertion (SAML2 Profiles 4.1.4.2); the Response or the Assertion must be signed either way
  /// (validateResponse).
  bool require_signed_assertion = true;
  /// Caps for the posted Response. RelayState is our own sealed transaction (a few hundred bytes),
  /// so its cap is raised above the binding's default.
  saml::DecodeLimits decode_limits{512 * 1024, 256 * 1024, 4096};
};

/// Options of one AuthnRequest to an ENT, proxied from the publisher's request when there is one.
struct EntAuthnOptions {
  bool force_authn = false;
  bool is_passive = false;
};

/// Builds the Location URL that sends the browser to the ENT's SingleSignOnService (HTTP-Redirect
/// binding) with a samlp:AuthnRequest: ID `request_id`, IssueInstant `now`, Destination = the SSO
/// URL, Issuer = our SP entityID, AssertionConsumerServiceURL = settings.acs_url, ProtocolBinding
/// HTTP-POST, a NameIDPolicy (AllowCreate="true", and the Format of the ENT's identifier source
/// when it is a NameID of a stated format); `relay_state` as RelayState. The query is signed
/// (SigAlg + Signature with the SP signing key) when ent.signsRequests().
/// Errors: kUnknownPeer (no HTTP-Redirect SingleSignOnService in the metadata), kMalformedMessage,
/// kAlgorithmForbidden, kInternal.
core::Result<std::string> buildEntAuthnRequest(const EntPeer& ent, const SpSettings& settings,
                                               std::string_view request_id,
                                               std::string_view relay_state, core::UnixTime now,
                                               const EntAuthnOptions& options = {});

/// What the ENT said about the person.
struct EntIdentity {
  std::string person_id;  ///< the person's identifier at the ENT (GARPersonIdentifiant)
  std::string source;     ///< where it was read, for logs (IdentifierSource::describe)
  std::string name_id_format;  ///< the NameID's Format (empty when absent or no NameID)
  /// The Subject's NameID as the ENT sent it (empty value when absent): what its LogoutRequest
  /// will name, and what ours to it must name (docs/single-logout.md).
  saml::NameID name_id;
  std::string session_index;  ///< the AuthnStatement's SessionIndex; empty when absent
  core::UnixTime authn_instant = 0;     ///< from the AuthnStatement; 0 when absent
  std::string authn_context_class_ref;  ///< empty when absent
  std::string response_id;              ///< for logs
  std::string assertion_id;             ///< for logs
};

/// Form fields as decoded by the HTTP layer (SAMLResponse, RelayState).
using FormFields = std::map<std::string, std::string, std::less<>>;

/// Decodes (HTTP-POST) and validates a Response from `ent` posted to our ACS:
/// saml::validateResponse with the ENT metadata's signing certificates only, Issuer = its entityID,
/// audience = our SP entityID, Destination/Recipient = our ACS URL, InResponseTo =
/// `expected_request_id` (never unsolicited), the replay cache, settings.skew_seconds, and our key
/// for an EncryptedAssertion. Returns the person's identifier, read where ent.identifier says.
/// Errors: those of decodePost, parseUntrusted and validateResponse; kUnknownUser when the
/// identifier is not where the registration says (no NameID, a NameID of another format, no such
/// attribute, an attribute with no or several values): the detail names the source and the format
/// found, never a value.
/// Thread-safety: reentrant; `replay_cache` is thread-safe.
core::Result<EntIdentity> consumeEntResponse(const FormFields& form, const EntPeer& ent,
                                             const SpSettings& settings,
                                             std::string_view expected_request_id,
                                             core::UnixTime now, saml::ReplayCache& replay_cache);

/// Our SP metadata, signed with settings.signing: AssertionConsumerService HTTP-POST at acs_url
/// (index 0, default), AuthnRequestsSigned="true" (we sign where asked), WantAssertionsSigned as
/// settings.require_signed_assertion, the signing certificate as a signing key and as an encryption
/// key (an ENT may encrypt assertions to it) with the EncryptionMethods we decrypt, the algorithms
/// we accept and use (saml::algorithmSupport), NameIDFormat persistent and unspecified. No
/// validUntil (served from our own endpoint).
/// @param now unused today; kept for a future validUntil.
core::Result<std::string> spMetadata(const SpSettings& settings, core::UnixTime now);

}  // namespace garde::connectors::ent
