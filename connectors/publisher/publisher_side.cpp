#include "connectors/publisher/publisher_side.h"

#include <libxml/tree.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "core/log.h"
#include "saml/algorithms.h"
#include "saml/binding/post.h"
#include "saml/encryption.h"
#include "saml/message_text.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "store/algorithm_exceptions.h"
#include "store/publishers.h"

namespace garde::connectors::publisher {
namespace {

using core::ErrorCode;
using core::fail;

constexpr core::Logger kRegistryLog("publisher.registry");

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// Quoted, cut to 256 bytes: request fields are attacker-sized and end up in logs.
std::string quotedBounded(std::string_view s) {
  constexpr std::size_t kMax = 256;
  return s.size() <= kMax ? quoted(s) : quoted(s.substr(0, kMax)) + "...";
}

core::Status checkAcs(const std::string& acs_url, const saml::EntityDescriptor& metadata) {
  if (!isAcceptableAcsUrl(acs_url)) {
    return fail(ErrorCode::kUnknownPeer, "ACS " + quotedBounded(acs_url) + " of " +
                                             quoted(metadata.entity_id) +
                                             " is neither https nor http on a loopback host");
  }
  return {};
}

}  // namespace

bool isAcceptableAcsUrl(std::string_view url) noexcept {
  // Schemes are compared exactly (lower case, as every metadata writes them): an odd spelling is
  // refused rather than interpreted.
  constexpr std::string_view kHttps = "https://";
  constexpr std::string_view kHttp = "http://";
  auto hostOf = [](std::string_view rest) { return rest.substr(0, rest.find_first_of("/?#")); };
  if (url.rfind(kHttps, 0) == 0) {
    const std::string_view authority = hostOf(url.substr(kHttps.size()));
    return !authority.empty() && authority.find_first_of("@\\ \t\r\n") == std::string_view::npos;
  }
  if (url.rfind(kHttp, 0) == 0) {
    const std::string_view authority = hostOf(url.substr(kHttp.size()));
    for (std::string_view host : {"127.0.0.1", "localhost", "[::1]"}) {
      if (authority == host ||
          (authority.rfind(host, 0) == 0 && authority.size() > host.size() &&
           authority[host.size()] == ':' &&
           authority.find_first_not_of("0123456789", host.size() + 1) == std::string_view::npos)) {
        return true;
      }
    }
  }
  return false;
}

namespace {}  // namespace

// ---- PublisherRegistry --------------------------------------------------------------------------

PublisherRegistry::PublisherRegistry(std::vector<PublisherPeer> peers) {
  peers_.reserve(peers.size());
  for (PublisherPeer& peer : peers) {
    if (by_entity_id_.count(peer.metadata.entity_id) != 0 ||
        by_publisher_id_.count(peer.publisher_id) != 0) {
      continue;
    }
    by_entity_id_.emplace(peer.metadata.entity_id, peers_.size());
    by_publisher_id_.emplace(peer.publisher_id, peers_.size());
    peers_.push_back(std::move(peer));
  }
}

saml::AlgorithmExceptions exceptionsInForce(const std::vector<GrantedException>& granted,
                                            core::UnixTime now) {
  saml::AlgorithmExceptions out;
  for (const GrantedException& g : granted) {
    if (now < g.expires_at) {
      out.granted.push_back(g.algorithm);
    }
  }
  return out;
}

core::Result<PublisherRegistry> PublisherRegistry::load(store::Db& db, core::UnixTime now,
                                                        metadata::SourceDocuments* sources) {
  std::optional<metadata::SourceDocuments> own;
  if (sources == nullptr) {
    sources = &own.emplace(db, now);
  }
  GARDE_ASSIGN_OR_RETURN(auto publishers, store::listPublishers(db));
  std::vector<PublisherPeer> peers;
  std::size_t skipped = 0;
  for (const store::Publisher& publisher : publishers) {
    const std::string& publisher_id = publisher.id;
    const std::optional<std::string>& stored_entity_id = publisher.sp_entity_id;
    GARDE_ASSIGN_OR_RETURN(const auto source,
                           sources->sourceOf(store::CallerKind::kPublisher, publisher_id));
    if (source) {
      if (!stored_entity_id) {
        ++skipped;
        kRegistryLog.warn("publisher bound to a metadata source has no sp_entity_id; skipped",
                          {{"publisher", publisher_id}, {"source", *source}});
        continue;
      }
      auto entity = sources->entity(*source, *stored_entity_id);
      if (!entity || !entity->sp) {
        if (!entity && entity.error().code == core::ErrorCode::kStoreError) {
          return core::fail(std::move(entity).error());
        }
        ++skipped;
        kRegistryLog.warn("publisher skipped: its metadata source gives no usable copy of its SP",
                          {{"publisher", publisher_id},
                           {"source", *source},
                           {"error", entity ? std::string("no SPSSODescriptor") : entity.error().describe()}});
        continue;
      }
      peers.push_back(PublisherPeer{publisher_id, std::move(entity).value(), {}});
      continue;
    }
    if (!publisher.sp_metadata_xml) {
      continue;
    }
    const std::string& xml = *publisher.sp_metadata_xml;

    saml::MetadataOptions options;  // no signature check: the metadata comes from the contract
    options.now = now;
    auto entities = saml::parseMetadata(xml, options);
    if (!entities) {
      ++skipped;
      kRegistryLog.warn("publisher SP metadata does not parse; publisher skipped",
                        {{"publisher", publisher_id},
                         {"error", core::errorCodeName(entities.error().code)},
                         {"detail", entities.error().detail}});
      continue;
    }
    // The SP entity: the one named by the stored entityID, else the only SP in the document.
    const saml::EntityDescriptor* chosen = nullptr;
    std::size_t sp_count = 0;
    for (const saml::EntityDescriptor& e : *entities) {
      if (!e.sp) {
        continue;
      }
      ++sp_count;
      if (stored_entity_id ? e.entity_id == *stored_entity_id : chosen == nullptr) {
        chosen = &e;
      }
    }
    if (chosen == nullptr || (!stored_entity_id && sp_count != 1)) {
      ++skipped;
      kRegistryLog.warn(
          stored_entity_id
              ? "publisher SP metadata has no SPSSODescriptor for its entityID"
              : "publisher has no sp_entity_id and its metadata has not exactly one SP",
          {{"publisher", publisher_id}, {"entity_id", stored_entity_id.value_or("")}});
      continue;
    }
    peers.push_back(PublisherPeer{publisher_id, *chosen, {}});
  }
  GARDE_ASSIGN_OR_RETURN(auto exceptions,
                         store::listAlgorithmExceptions(db, store::CallerKind::kPublisher));
  for (const store::AlgorithmException& e : exceptions) {
    const auto algorithm = saml::parseWeakAlgorithm(e.algorithm);
    const auto peer = std::find_if(peers.begin(), peers.end(), [&](const PublisherPeer& p) {
      return p.publisher_id == e.peer_id;
    });
    if (algorithm && peer != peers.end()) {
      peer->algorithm_exceptions.push_back({*algorithm, e.expires_at, e.reason});
    }
  }
  PublisherRegistry registry(std::move(peers));
  const std::string loaded = std::to_string(registry.size());
  const std::string skipped_text = std::to_string(skipped);
  kRegistryLog.info("publisher SP metadata loaded",
                    {{"publishers", loaded}, {"skipped", skipped_text}});
  return registry;
}

const PublisherPeer* PublisherRegistry::findByEntityId(std::string_view sp_entity_id) const {
  auto it = by_entity_id_.find(sp_entity_id);
  return it == by_entity_id_.end() ? nullptr : &peers_[it->second];
}

const PublisherPeer* PublisherRegistry::findByPublisherId(std::string_view publisher_id) const {
  auto it = by_publisher_id_.find(publisher_id);
  return it == by_publisher_id_.end() ? nullptr : &peers_[it->second];
}

// ---- readAuthnRequest ---------------------------------------------------------------------------

namespace {

core::Result<saml::InboundMessage> decodeBinding(std::string_view method,
                                                 std::string_view raw_query, const FormFields& form,
                                                 const saml::DecodeLimits& limits) {
  if (method == "GET") {
    return saml::decodeRedirect(raw_query, limits);
  }
  if (method == "POST") {
    return saml::decodePost(form, limits);
  }
  return fail(ErrorCode::kBadRequest,
              "SSO endpoint accepts GET and POST only, not " + quoted(method.substr(0, 16)));
}

/// The ACS to answer at (SAML2 Core 3.4.1, Profiles 4.1.4.1): only endpoints of the metadata, only
/// with the HTTP-POST binding (the one binding we answer with).
core::Result<std::string> resolveAcs(const saml::AuthnRequest& request,
                                     const saml::EntityDescriptor& metadata) {
  if (!request.protocol_binding.empty() && request.protocol_binding != saml::binding::kHttpPost) {
    return fail(ErrorCode::kBadRequest, "AuthnRequest ProtocolBinding " +
                                            quoted(request.protocol_binding) +
                                            " is not supported (HTTP-POST only)");
  }
  if (!request.assertion_consumer_service_url.empty() && request.assertion_consumer_service_index) {
    // SAML2 Core 3.4.1: the two are mutually exclusive.
    return fail(ErrorCode::kBadRequest,
                "AuthnRequest carries both AssertionConsumerServiceURL and "
                "AssertionConsumerServiceIndex");
  }
  if (!request.assertion_consumer_service_url.empty()) {
    const std::string& url = request.assertion_consumer_service_url;
    if (metadata.acsByUrl(url, saml::binding::kHttpPost) == nullptr) {
      return fail(ErrorCode::kBadRequest, "AssertionConsumerServiceURL " + quotedBounded(url) +
                                              " is not an HTTP-POST ACS in " +
                                              quoted(metadata.entity_id) + "'s metadata");
    }
    return url;
  }
  if (request.assertion_consumer_service_index) {
    const int index = *request.assertion_consumer_service_index;
    const saml::Endpoint* e = metadata.acsByIndex(index);
    if (e == nullptr || e->binding != saml::binding::kHttpPost) {
      return fail(ErrorCode::kBadRequest, "AssertionConsumerServiceIndex " + std::to_string(index) +
                                              " is not an HTTP-POST ACS in " +
                                              quoted(metadata.entity_id) + "'s metadata");
    }
    return e->location;
  }
  const saml::Endpoint* e = metadata.defaultAcs(saml::binding::kHttpPost);
  if (e == nullptr) {
    return fail(ErrorCode::kBadRequest,
                "metadata of " + quoted(metadata.entity_id) + " has no HTTP-POST ACS");
  }
  return e->location;
}

/// The algorithm of the request's signatures that the signature profile refuses: the Redirect
/// SigAlg, else the XML signature's SignatureMethod, else one of its DigestMethods. Empty when
/// none is (the refusal was for the key, say).
std::string refusedAlgorithm(const saml::InboundMessage& message, const xmlNode* root) {
  if (message.sig_alg && !saml::algorithmFromUri(*message.sig_alg)) {
    return *message.sig_alg;
  }
  const xmlNode* sig = saml::findSignature(root);
  const xmlNode* info =
      sig != nullptr ? saml::firstChildElement(sig, saml::ns::kDsig, "SignedInfo") : nullptr;
  if (info == nullptr) {
    return {};
  }
  const xmlNode* method = saml::firstChildElement(info, saml::ns::kDsig, "SignatureMethod");
  if (const auto alg = method ? saml::attribute(method, "Algorithm") : std::nullopt;
      alg && !saml::algorithmFromUri(*alg)) {
    return *alg;
  }
  for (const xmlNode* ref : saml::childElements(info, saml::ns::kDsig, "Reference")) {
    const xmlNode* digest = saml::firstChildElement(ref, saml::ns::kDsig, "DigestMethod");
    if (const auto alg = digest ? saml::attribute(digest, "Algorithm") : std::nullopt;
        alg && !saml::checkDigestAlgorithm(*alg)) {
      return *alg;
    }
  }
  return {};
}

/// Fills `out` when a request refused for an algorithm can still be answered (AlgorithmRefusal).
void noteAlgorithmRefusal(const saml::InboundMessage& message, xmlNode* root,
                          const PublisherPeer& peer, AlgorithmRefusal* out) {
  if (out == nullptr) {
    return;
  }
  std::string algorithm = refusedAlgorithm(message, root);
  if (algorithm.empty()) {
    return;
  }
  auto request = saml::parseAuthnRequest(root);
  if (!request || request->id.empty() || request->id.size() > kMaxRequestIdLength) {
    return;
  }
  auto acs_url = resolveAcs(*request, peer.metadata);
  if (!acs_url || !checkAcs(*acs_url, peer.metadata)) {
    return;
  }
  out->instead = std::string(saml::replacementAlgorithm(algorithm));
  out->algorithm = std::move(algorithm);
  out->unverified.request = std::move(request).value();
  out->unverified.peer = &peer;
  out->unverified.acs_url = std::move(acs_url).value();
  out->unverified.relay_state = message.relay_state;
  out->unverified.binding = message.binding;
  out->unverified.signed_request = false;
}

}  // namespace

core::Result<PublisherAuthnRequest> readAuthnRequest(
    std::string_view method, std::string_view raw_query, const FormFields& form,
    const PublisherRegistry& registry, const IdpSettings& settings, core::UnixTime now,
    AlgorithmRefusal* algorithm_refusal) {
  GARDE_ASSIGN_OR_RETURN(auto message,
                         decodeBinding(method, raw_query, form, settings.decode_limits));
  if (!message.is_request) {
    return fail(ErrorCode::kBadRequest, "SSO endpoint received a SAMLResponse, not a SAMLRequest");
  }
  saml::ParseLimits parse_limits;
  parse_limits.max_bytes = settings.decode_limits.max_inflated;
  GARDE_ASSIGN_OR_RETURN(auto doc, saml::parseUntrusted(message.xml, parse_limits));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!saml::isElement(root, saml::ns::kProtocol, "AuthnRequest")) {
    return fail(ErrorCode::kMalformedMessage, "SAMLRequest root is not samlp:AuthnRequest");
  }

  // The Issuer only chooses whose keys to verify with; after verification everything, the Issuer
  // included, is read again from the verified element.
  const xmlNode* issuer_el = saml::firstChildElement(root, saml::ns::kAssertion, "Issuer");
  const std::string claimed_issuer = issuer_el != nullptr ? saml::textContent(issuer_el) : "";
  if (claimed_issuer.empty()) {
    return fail(ErrorCode::kMalformedMessage,
                "AuthnRequest has no Issuer (SAML2 Profiles 4.1.4.1)");
  }
  const PublisherPeer* peer = registry.findByEntityId(claimed_issuer);
  if (peer == nullptr) {
    return fail(ErrorCode::kUnknownPeer, "AuthnRequest Issuer " +
                                             quoted(claimed_issuer.substr(0, 256)) +
                                             " is not a known publisher SP");
  }
  const saml::SpSsoDescriptor& sp = *peer->metadata.sp;

  bool signature_verified = false;
  xmlNode* request_el = root;
  if (saml::findSignature(root) != nullptr) {
    auto verified = saml::verifyEnvelopedSignature(root, sp.signingCertificates());
    if (!verified) {
      if (verified.error().code == ErrorCode::kAlgorithmForbidden) {
        noteAlgorithmRefusal(message, root, *peer, algorithm_refusal);
      }
      core::Error e = std::move(verified).error();
      e.detail =
          "AuthnRequest XML signature of " + quoted(peer->metadata.entity_id) + ": " + e.detail;
      return fail(std::move(e));
    }
    request_el = *verified;
    signature_verified = true;
  }
  saml::AlgorithmExceptions exceptions = exceptionsInForce(peer->algorithm_exceptions, now);
  if (message.hasRedirectSignature()) {
    auto verified = saml::verifyRedirectSignature(message, sp.signingCertificates(), &exceptions);
    if (!verified) {
      if (verified.error().code == ErrorCode::kAlgorithmForbidden) {
        noteAlgorithmRefusal(message, root, *peer, algorithm_refusal);
      }
      core::Error e = std::move(verified).error();
      e.detail = "AuthnRequest Redirect signature of " + quoted(peer->metadata.entity_id) + ": " +
                 e.detail;
      return fail(std::move(e));
    }
    signature_verified = true;
  }
  if (sp.authn_requests_signed && !signature_verified) {
    return fail(ErrorCode::kSignatureMissing,
                "AuthnRequest from " + quoted(peer->metadata.entity_id) +
                    " is unsigned, and its metadata says AuthnRequestsSigned=\"true\"");
  }

  GARDE_ASSIGN_OR_RETURN(auto request, saml::parseAuthnRequest(request_el));
  if (request.issuer != claimed_issuer) {
    return fail(ErrorCode::kIssuerMismatch, "AuthnRequest Issuer changed after verification");
  }
  // The ID travels on in our state (the RelayState to the ENT) and is remembered against replay:
  // IDs are 20 to 50 characters in practice, and an unsigned request could carry 256 KB of one.
  if (request.id.size() > kMaxRequestIdLength) {
    return fail(
        ErrorCode::kMalformedMessage,
        "AuthnRequest ID longer than " + std::to_string(kMaxRequestIdLength) + " characters");
  }
  // SAML2 Bindings 3.4.5.2 / 3.5.5.2: a Destination must be the endpoint that received it.
  if (signature_verified && !request.destination) {
    return fail(ErrorCode::kDestinationMismatch,
                "signed AuthnRequest from " + quoted(peer->metadata.entity_id) +
                    " has no Destination (SAML2 Bindings 3.4.5.2, 3.5.5.2)");
  }
  if (request.destination && *request.destination != settings.sso_url) {
    return fail(ErrorCode::kDestinationMismatch,
                "AuthnRequest Destination " + quoted(request.destination->substr(0, 256)) +
                    " is not our SSO URL " + quoted(settings.sso_url));
  }
  if (request.issue_instant > now + settings.skew_seconds) {
    return fail(ErrorCode::kNotYetValid, "AuthnRequest IssueInstant " +
                                             core::formatIso8601(request.issue_instant) +
                                             " is in the future");
  }
  if (request.issue_instant < now - settings.request_max_age_seconds - settings.skew_seconds) {
    return fail(ErrorCode::kExpired,
                "AuthnRequest IssueInstant " + core::formatIso8601(request.issue_instant) +
                    " is older than " + std::to_string(settings.request_max_age_seconds) + "s");
  }
  GARDE_ASSIGN_OR_RETURN(auto acs_url, resolveAcs(request, peer->metadata));
  if (auto ok = checkAcs(acs_url, peer->metadata); !ok) {
    return fail(ErrorCode::kBadRequest, ok.error().detail);
  }

  PublisherAuthnRequest out;
  out.request = std::move(request);
  out.peer = peer;
  out.acs_url = std::move(acs_url);
  out.relay_state = std::move(message.relay_state);
  out.binding = message.binding;
  out.signed_request = signature_verified;
  out.exceptions_used = std::move(exceptions.used);
  return out;
}

std::optional<std::string> answerNameIdFormat(const saml::AuthnRequest* request,
                                              const PublisherPeer& peer) {
  const std::string persistent(saml::name_id_format::kPersistent);
  const std::string transient(saml::name_id_format::kTransient);
  if (request == nullptr) {
    if (!peer.metadata.sp) {
      return persistent;
    }
    const auto& formats = peer.metadata.sp->name_id_formats;
    const auto has = [&](const std::string& f) {
      return std::find(formats.begin(), formats.end(), f) != formats.end();
    };
    return has(transient) && !has(persistent) ? transient : persistent;
  }
  if (!request->name_id_policy) {
    return persistent;
  }
  const saml::NameIDPolicy& policy = *request->name_id_policy;
  if (!policy.sp_name_qualifier.empty() && policy.sp_name_qualifier != peer.metadata.entity_id) {
    return std::nullopt;
  }
  if (policy.format.empty() || policy.format == saml::name_id_format::kUnspecified ||
      policy.format == persistent) {
    return persistent;
  }
  if (policy.format == transient) {
    return transient;
  }
  return std::nullopt;
}

// ---- Responses ----------------------------------------------------------------------------------

namespace {

/// The certificate to encrypt for, as the SP's metadata says: among its RSA keys marked
/// use="encryption" (or, when none is marked, those of unspecified use), the newest (latest
/// notBefore; the first of equals), so that an SP's rollover (both keys published) needs nothing
/// from garde's operator. nullopt when the SP has none: the assertion goes unencrypted. An SP
/// that declares use="encryption" keys none of which is RSA cannot be served securely.
core::Result<std::optional<saml::Certificate>> encryptionCertificate(const PublisherPeer& peer) {
  bool explicit_encryption_key = false;
  const saml::Certificate* marked = nullptr;
  const saml::Certificate* unspecified = nullptr;
  const auto newer = [](const saml::Certificate* best, const saml::Certificate& c) {
    return best == nullptr || c.notBefore() > best->notBefore();
  };
  for (const saml::KeyDescriptor& k : peer.metadata.sp->keys) {
    if (k.use == saml::KeyUse::kSigning) {
      continue;
    }
    const bool is_marked = k.use == saml::KeyUse::kEncryption;
    explicit_encryption_key = explicit_encryption_key || is_marked;
    if (k.certificate.keyType() != saml::KeyType::kRsa) {
      continue;
    }
    const saml::Certificate*& best = is_marked ? marked : unspecified;
    if (newer(best, k.certificate)) {
      best = &k.certificate;
    }
  }
  if (const saml::Certificate* chosen = marked != nullptr ? marked : unspecified) {
    return std::optional<saml::Certificate>(*chosen);
  }
  if (explicit_encryption_key) {
    return fail(ErrorCode::kAlgorithmForbidden,
                "metadata of " + quoted(peer.metadata.entity_id) +
                    " has encryption keys but none is RSA (required for key transport)");
  }
  return std::optional<saml::Certificate>();
}

core::Result<OutboundPost> finish(const std::string& xml, const std::string& acs_url,
                                  std::string response_id, std::string_view relay_state,
                                  std::string_view csp_nonce) {
  OutboundPost out;
  out.html = saml::renderPostForm(xml, acs_url, relay_state, /*is_request=*/false, csp_nonce);
  out.content_security_policy = saml::postFormCsp(csp_nonce);
  out.acs_url = acs_url;
  out.response_id = std::move(response_id);
  return out;
}

saml::Response responseHeader(const std::string& acs_url,
                              const std::optional<std::string>& in_response_to,
                              const IdpSettings& settings, core::Random& random,
                              core::UnixTime now) {
  saml::Response r;
  r.id = random.newId();
  r.in_response_to = in_response_to;
  r.issue_instant = now;
  r.destination = acs_url;
  r.issuer = settings.entity_id;
  return r;
}

}  // namespace

core::Result<OutboundPost> buildSuccessResponse(const PublisherPeer& peer,
                                                const std::string& acs_url,
                                                const std::optional<std::string>& in_response_to,
                                                const AssertionContent& content,
                                                std::string_view relay_state,
                                                const IdpSettings& settings, core::Random& random,
                                                core::UnixTime now, std::string_view csp_nonce) {
  if (!peer.metadata.sp) {
    return fail(ErrorCode::kUnknownPeer, quoted(peer.metadata.entity_id) + " has no SP role");
  }
  GARDE_TRY(checkAcs(acs_url, peer.metadata));
  if (content.pseudonym.empty()) {
    return fail(ErrorCode::kMalformedMessage, "no pseudonym for the NameID");
  }
  if (content.name_id_format != saml::name_id_format::kPersistent &&
      content.name_id_format != saml::name_id_format::kTransient) {
    return fail(ErrorCode::kMalformedMessage,
                "NameID format " + quotedBounded(content.name_id_format) + " is not ours to give");
  }
  GARDE_ASSIGN_OR_RETURN(auto encrypt_for, encryptionCertificate(peer));
  const std::string& sp_entity_id = peer.metadata.entity_id;
  const core::UnixTime not_on_or_after = now + settings.assertion_lifetime_seconds;

  saml::Assertion a;
  a.id = random.newId();
  a.issue_instant = now;
  a.issuer = settings.entity_id;
  saml::Subject subject;
  subject.name_id =
      saml::NameID{content.pseudonym, content.name_id_format, settings.entity_id, sp_entity_id};
  saml::SubjectConfirmation confirmation;
  // SAML2 Profiles 4.1.4.2: bearer data has Recipient and NotOnOrAfter, and no NotBefore.
  confirmation.data =
      saml::SubjectConfirmationData{std::nullopt, not_on_or_after, acs_url, in_response_to};
  subject.confirmations.push_back(std::move(confirmation));
  a.subject = std::move(subject);
  saml::Conditions conditions;
  // NotBefore backdated by the skew, so an SP whose clock is slightly behind ours accepts it at
  // once (many SPs tolerate little or no skew); NotOnOrAfter is the bearer window.
  conditions.not_before = now - settings.skew_seconds;
  conditions.not_on_or_after = not_on_or_after;
  conditions.audience_restrictions = {{sp_entity_id}};
  a.conditions = std::move(conditions);
  a.authn_statements.push_back(
      saml::AuthnStatement{content.authn_instant != 0 ? content.authn_instant : now,
                           content.session_index.empty() ? random.newId() : content.session_index,
                           std::nullopt, content.authn_context_class_ref});
  a.attributes.reserve(content.attributes.size());
  for (const auto& [code, values] : content.attributes) {
    a.attributes.push_back(
        saml::Attribute{code, std::string(saml::attribute_name_format::kBasic), "", values});
  }

  saml::Response response = responseHeader(acs_url, in_response_to, settings, random, now);
  // One signature per launch (ADR 0005): the Assertion is signed, the Response is not.
  if (!encrypt_for) {
    // Written as text in canonical form: no tree, no C14N pass (saml/message_text.h).
    GARDE_ASSIGN_OR_RETURN(auto xml,
                           saml::writeResponseWithSignedAssertion(response, a, settings.signing));
    return finish(xml, acs_url, response.id, relay_state, csp_nonce);
  }
  GARDE_ASSIGN_OR_RETURN(auto xml, saml::writeResponseWithEncryptedAssertion(
                                       response, a, settings.signing, *encrypt_for, random));
  return finish(xml, acs_url, response.id, relay_state, csp_nonce);
}

core::Result<OutboundPost> buildErrorResponse(const PublisherPeer& peer, const std::string& acs_url,
                                              const std::optional<std::string>& in_response_to,
                                              const saml::Status& status,
                                              std::string_view relay_state,
                                              const IdpSettings& settings, core::Random& random,
                                              core::UnixTime now, std::string_view csp_nonce) {
  if (status.isSuccess()) {
    return fail(ErrorCode::kInternal, "buildErrorResponse called with a Success status for " +
                                          quoted(peer.metadata.entity_id));
  }
  GARDE_TRY(checkAcs(acs_url, peer.metadata));
  saml::Response response = responseHeader(acs_url, in_response_to, settings, random, now);
  response.status = status;
  GARDE_ASSIGN_OR_RETURN(auto doc, saml::buildResponse(response));
  GARDE_TRY(saml::signElement(xmlDocGetRootElement(doc.get()), settings.signing));
  return finish(saml::serialize(doc.get()), acs_url, response.id, relay_state, csp_nonce);
}

// ---- IdP metadata -------------------------------------------------------------------------------

core::Result<std::string> idpMetadata(const IdpSettings& settings, core::UnixTime now) {
  saml::EntityDescriptor entity;
  entity.entity_id = settings.entity_id;
  entity.valid_until = now + settings.metadata_validity_seconds;
  saml::IdpSsoDescriptor idp;
  idp.want_authn_requests_signed = false;
  idp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, settings.signing.cert, {}});
  if (settings.next_signing) {
    // Published before it signs, so that publishers already trust it on the day of the switch.
    idp.keys.push_back(
        saml::KeyDescriptor{saml::KeyUse::kSigning, settings.next_signing->cert, {}});
  }
  idp.name_id_formats.emplace_back(saml::name_id_format::kPersistent);
  idp.name_id_formats.emplace_back(saml::name_id_format::kTransient);
  entity.digest_methods = saml::algorithmSupport().digest_methods;
  entity.signing_methods = saml::algorithmSupport().signing_methods;
  if (!settings.slo_url.empty()) {
    for (const std::string_view b : {saml::binding::kHttpRedirect, saml::binding::kHttpPost}) {
      idp.slo.push_back(
          saml::Endpoint{std::string(b), settings.slo_url, "", std::nullopt, std::nullopt});
    }
  }
  idp.sso.push_back(saml::Endpoint{std::string(saml::binding::kHttpRedirect), settings.sso_url, "",
                                   std::nullopt, std::nullopt});
  idp.sso.push_back(saml::Endpoint{std::string(saml::binding::kHttpPost), settings.sso_url, "",
                                   std::nullopt, std::nullopt});
  entity.idp = std::move(idp);
  GARDE_ASSIGN_OR_RETURN(auto doc, saml::generateMetadata(entity));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  // Written explicitly (the generator omits the default), so operators reading it need not know
  // the schema default: publishers may sign their AuthnRequests, and need not.
  if (xmlNode* role = saml::firstChildElement(root, saml::ns::kMetadata, "IDPSSODescriptor");
      role != nullptr && !saml::attribute(role, "WantAuthnRequestsSigned")) {
    xmlSetProp(role, BAD_CAST "WantAuthnRequestsSigned", BAD_CAST "false");
  }
  GARDE_TRY(saml::setCacheDuration(root, settings.metadata_cache_seconds));
  GARDE_TRY(saml::signElement(root, settings.signing));
  return saml::serialize(doc.get());
}

}  // namespace garde::connectors::publisher
