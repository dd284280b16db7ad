#pragma once
/// @file The publisher side of the broker: garde as a SAML IdP towards resource publishers' SPs
/// (SAML2 Profiles 4.1, Web Browser SSO). Reads and checks their AuthnRequests, builds the signed
/// (and, when their metadata asks for it, encrypted) Responses carrying the released attributes
/// under a per-publisher pseudonym, and produces our IdP metadata.
///
/// Pure apart from PublisherRegistry::load(): no clock reads (`now` is a parameter), no file or
/// database access on the request path. Every function is reentrant; a loaded PublisherRegistry is
/// immutable and may be shared between threads.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/metadata/sources.h"
#include "core/random.h"
#include "core/result.h"
#include "core/time.h"
#include "saml/algorithms.h"
#include "saml/binding/redirect.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "store/db.h"

namespace garde::connectors::publisher {

/// A publisher as the IdP side sees it: its store id and its parsed SP metadata.
/// A weaker algorithm an operator granted this peer (store/algorithm_exceptions.h), in force
/// until `expires_at` (judged at each use).
struct GrantedException {
  saml::WeakAlgorithm algorithm = saml::WeakAlgorithm::kRsaSha1;
  core::UnixTime expires_at = 0;
  std::string reason;
};

/// The exceptions of `granted` still in force at `now`.
saml::AlgorithmExceptions exceptionsInForce(const std::vector<GrantedException>& granted,
                                            core::UnixTime now);

struct PublisherPeer {
  std::string publisher_id;
  saml::EntityDescriptor metadata;  ///< has an SP role (peers without one are not registered)
  std::vector<GrantedException> algorithm_exceptions;
};

/// Every publisher's SP metadata, parsed once (off the request path).
/// Immutable after load: thread-safe. Pointers it returns stay valid while it lives (and across
/// moves: peers are held in a vector that is never modified after construction).
class PublisherRegistry {
 public:
  /// Loads all publishers from the store (their SP metadata XML), parsing each with
  /// saml::parseMetadata (no signature check: metadata comes from the approved contract).
  /// A publisher whose metadata does not parse, lacks an SPSSODescriptor, or whose entityID differs
  /// from the stored sp_entity_id, is skipped and logged (category "publisher.registry"), never
  /// fatal. Errors: kStoreError when the store cannot be read.
  /// A publisher bound to a metadata source (store/metadata_sources.h) is read from that source's
  /// last good copy, verified again, through `sources` (one is made when null).
  static core::Result<PublisherRegistry> load(store::Db& db, core::UnixTime now,
                                              metadata::SourceDocuments* sources = nullptr);

  /// For tests: from explicit peers. A later peer with an entityID already seen is ignored.
  explicit PublisherRegistry(std::vector<PublisherPeer> peers = {});

  /// nullptr when unknown.
  const PublisherPeer* findByEntityId(std::string_view sp_entity_id) const;
  /// nullptr when unknown.
  const PublisherPeer* findByPublisherId(std::string_view publisher_id) const;
  std::size_t size() const noexcept { return peers_.size(); }
  /// Every publisher, in load order.
  const std::vector<PublisherPeer>& all() const noexcept { return peers_; }

 private:
  std::vector<PublisherPeer> peers_;
  std::map<std::string, std::size_t, std::less<>> by_entity_id_;
  std::map<std::string, std::size_t, std::less<>> by_publisher_id_;
};

/// The broker's IdP role settings.
struct IdpSettings {
  std::string entity_id;     ///< config broker.idp_entity_id
  std::string sso_url;       ///< base_url + "/saml/idp/sso"
  /// base_url + "/saml/idp/slo": SingleLogoutService (Redirect and POST) in our IdP metadata;
  /// empty: none published (docs/single-logout.md).
  std::string slo_url;
  saml::Credential signing;  ///< broker signing key + cert
  /// The other key of a rollover: published for signing beside `signing`; never signs.
  std::optional<saml::Credential> next_signing;
  std::int64_t metadata_validity_seconds = 7 * 86400;  ///< validUntil = now + this
  std::int64_t metadata_cache_seconds = 6 * 3600;      ///< cacheDuration
  std::int64_t skew_seconds = 180;
  std::int64_t assertion_lifetime_seconds = 300;  ///< bearer/Conditions NotOnOrAfter = now + this
  std::int64_t request_max_age_seconds = 300;     ///< AuthnRequest IssueInstant freshness (+ skew)
  saml::DecodeLimits decode_limits;               ///< binding caps for inbound AuthnRequests
};

/// An AuthnRequest from a publisher SP, checked.
struct PublisherAuthnRequest {
  saml::AuthnRequest request;           ///< parsed from the verified element
  const PublisherPeer* peer = nullptr;  ///< points into the registry
  /// Resolved: the request's ACS URL if it is in the metadata (POST binding), else the index's,
  /// else the metadata default POST ACS.
  std::string acs_url;
  std::optional<std::string> relay_state;
  saml::BindingType binding = saml::BindingType::kRedirect;
  bool signed_request = false;  ///< an XML or Redirect signature was verified
  /// The peer's algorithm exceptions its signature relied on (logged at every use by the flow).
  std::vector<saml::WeakAlgorithm> exceptions_used;
};

/// Form fields as decoded by the HTTP layer (SAMLRequest, RelayState).
using FormFields = std::map<std::string, std::string, std::less<>>;

/// Whether we may post a Response to `url`: `https://host...`, or `http://` on a loopback host
/// (127.0.0.1, localhost, [::1]: the demo and tests). Anything else (http:// elsewhere,
/// javascript:, data:, scheme-relative...) is never answered: the Response carries children's
/// personal data and the URL becomes our form's action.
bool isAcceptableAcsUrl(std::string_view url) noexcept;

/// The longest AuthnRequest ID accepted (IDs are 20 to 50 characters in practice).
inline constexpr std::size_t kMaxRequestIdLength = 256;

/// An AuthnRequest refused because of an algorithm of its signature, which can still be answered:
/// the Issuer is a registered publisher, the request parses, its ID is within
/// kMaxRequestIdLength, and its ACS resolves against that publisher's metadata (an error Response
/// carries no personal data and goes only to an ACS of the metadata, so a forged request naming
/// the publisher gains nothing).
struct AlgorithmRefusal {
  std::string algorithm;  ///< the refused URI (SigAlg, SignatureMethod or DigestMethod)
  std::string instead;    ///< saml::replacementAlgorithm(algorithm); may be empty
  /// The request as read without a verified signature: peer, acs_url, request.id, relay_state.
  PublisherAuthnRequest unverified;
};

/// Decodes and checks an AuthnRequest arriving at /saml/idp/sso.
/// @param method "GET" (Redirect: `raw_query` is the query string exactly as received, after '?')
///        or "POST" (`form` holds the decoded fields SAMLRequest, RelayState).
/// Checks, in order: binding decode limits and encodings; parseUntrusted (no DOCTYPE...); root
/// samlp:AuthnRequest; Issuer present and a known publisher (kUnknownPeer); signatures, keys from
/// the SP metadata only: an enveloped XML signature, if present, must verify; a Redirect query
/// signature, if present, must verify; one of them is required when the SP metadata says
/// AuthnRequestsSigned="true" (kSignatureMissing); Destination, when present, == settings.sso_url
/// (kDestinationMismatch), and present when the request was signed (SAML2 Bindings 3.4.5.2,
/// 3.5.5.2: kDestinationMismatch); IssueInstant not older than request_max_age + skew (kExpired)
/// nor more than skew in the future (kNotYetValid); ACS URL / index resolved against the metadata
/// (kBadRequest naming the URL or index), and acceptable (isAcceptableAcsUrl, kBadRequest);
/// ProtocolBinding other than HTTP-POST (kBadRequest).
/// IsPassive and ForceAuthn are only carried in `request`, for the flow to honour. An ID longer
/// than kMaxRequestIdLength is kMalformedMessage.
/// Each failure is a core::Error with a specific code and a detail naming what was wrong (no
/// personal data). Other errors: kBadRequest (method, missing SAMLRequest, a SAMLResponse),
/// kLimitExceeded, kBadEncoding, kForbiddenXml, kMalformedMessage, signature errors.
/// When the request is refused as kAlgorithmForbidden and can still be answered, and
/// `algorithm_refusal` is not null, it is filled (see AlgorithmRefusal).
core::Result<PublisherAuthnRequest> readAuthnRequest(
    std::string_view method, std::string_view raw_query, const FormFields& form,
    const PublisherRegistry& registry, const IdpSettings& settings, core::UnixTime now,
    AlgorithmRefusal* algorithm_refusal = nullptr);

/// The NameID format to answer with (SAML2 Core 3.4.1.1), or nullopt when the publisher asked for
/// one we cannot give (the caller answers Requester/InvalidNameIDPolicy). With `request`: its
/// NameIDPolicy Format, absent, unspecified or persistent -> persistent; transient -> transient;
/// any other (emailAddress, X509SubjectName, entity, encrypted...) -> nullopt, as is an
/// SPNameQualifier other than the publisher's own entityID (we are in no affiliation). Without a
/// request (an unsolicited Response): persistent, unless the SP metadata's NameIDFormats name
/// transient and not persistent. Pure.
std::optional<std::string> answerNameIdFormat(const saml::AuthnRequest* request,
                                              const PublisherPeer& peer);

/// What the publisher receives, decided by policy (released attribute codes with their values) and
/// the pseudonym.
struct AssertionContent {
  /// The NameID value: the pseudonym (persistent format), also the IDO attribute value when IDO is
  /// released; or a one-time value (transient format).
  std::string pseudonym;
  /// saml::name_id_format::kPersistent or kTransient (anything else is kMalformedMessage).
  std::string name_id_format = std::string(saml::name_id_format::kPersistent);
  /// Code -> values, in release order. One saml:Attribute each (Name = code, NameFormat basic).
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;
  core::UnixTime authn_instant = 0;  ///< 0: `now` is used
  std::string authn_context_class_ref =
      "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
  /// The AuthnStatement's SessionIndex, which our LogoutRequest to the publisher names again
  /// (docs/single-logout.md); empty: a fresh random one.
  std::string session_index;
};

/// A POST-binding answer ready for the browser. Serve `html` with Content-Type text/html,
/// Content-Security-Policy `content_security_policy`, Cache-Control no-cache, no-store.
struct OutboundPost {
  std::string html;
  std::string content_security_policy;
  std::string acs_url;
  std::string response_id;
};

/// Builds the Response for the publisher (see docs/adr/0005-publisher-responses.md): one Assertion
/// signed with settings.signing (defaultAlgorithm, SHA-256) and encrypted for the SP when its
/// metadata has an encryption certificate; the Response itself is not signed (one RSA signature
/// per launch). Times: IssueInstant = now; Conditions NotBefore = now - skew, NotOnOrAfter = now +
/// assertion_lifetime; bearer SubjectConfirmationData NotOnOrAfter = now + assertion_lifetime,
/// Recipient = acs_url, InResponseTo when answering a request.
/// Precondition: `acs_url` is one of the peer's ACS (readAuthnRequest resolved it, or the flow took
/// defaultAcs()). No file or database access. Errors: kUnknownPeer (`acs_url` not acceptable, see
/// isAcceptableAcsUrl), kMalformedMessage (empty pseudonym, ...),
/// kBadEncoding (a value XML cannot carry), kInternal (signing or encryption failure).
core::Result<OutboundPost> buildSuccessResponse(const PublisherPeer& peer,
                                                const std::string& acs_url,
                                                const std::optional<std::string>& in_response_to,
                                                const AssertionContent& content,
                                                std::string_view relay_state,
                                                const IdpSettings& settings, core::Random& random,
                                                core::UnixTime now, std::string_view csp_nonce);

/// A signed Response with a non-success status (no assertion), for refusals where the publisher
/// asked. (Signed, because there is no signed assertion to vouch for it.) kUnknownPeer when
/// `acs_url` is not acceptable (isAcceptableAcsUrl).
core::Result<OutboundPost> buildErrorResponse(const PublisherPeer& peer, const std::string& acs_url,
                                              const std::optional<std::string>& in_response_to,
                                              const saml::Status& status,
                                              std::string_view relay_state,
                                              const IdpSettings& settings, core::Random& random,
                                              core::UnixTime now, std::string_view csp_nonce);

/// The broker's IdP metadata: SingleSignOnService Redirect and POST at sso_url, the signing
/// certificate as KeyDescriptor use="signing", WantAuthnRequestsSigned="false", NameIDFormat
/// persistent and transient, the algorithms we accept and use (saml::algorithmSupport); signed
/// with settings.signing. Generated once at start-up by the caller and cached.
/// @param now unused for validity today (no validUntil is written); kept for a future validUntil.
core::Result<std::string> idpMetadata(const IdpSettings& settings, core::UnixTime now);

}  // namespace garde::connectors::publisher
