#include "connectors/ent/ent_side.h"

#include <libxml/tree.h>

#include <algorithm>
#include <optional>
#include <set>

#include "core/log.h"
#include "saml/binding/post.h"
#include "saml/message_text.h"
#include "saml/messages.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"
#include "store/directory.h"

namespace garde::connectors::ent {
namespace {

constexpr core::Logger kRegistryLog("ent.registry");

const saml::Endpoint* redirectSso(const saml::EntityDescriptor& md) {
  if (!md.idp) {
    return nullptr;
  }
  for (const saml::Endpoint& e : md.idp->sso) {
    if (e.binding == saml::binding::kHttpRedirect) {
      return &e;
    }
  }
  return nullptr;
}

bool isUnspecified(std::string_view format) {
  return format.empty() || format == saml::name_id_format::kUnspecified;
}

/// The identifier where `source` says, or kUnknownUser naming the source and what was found.
core::Result<std::string> readIdentifier(const saml::Assertion& a, const IdentifierSource& source) {
  const auto nobody = [&](const std::string& what) {
    return core::fail(core::ErrorCode::kUnknownUser,
                      what + "; identifier source: " + source.describe());
  };
  if (source.kind == IdentifierSource::Kind::kNameId) {
    if (!a.subject || !a.subject->name_id || a.subject->name_id->value.empty()) {
      return nobody("the ENT assertion carries no NameID");
    }
    const std::string& format = a.subject->name_id->format;
    if (!isUnspecified(source.name) && format != source.name) {
      return nobody("the ENT's NameID is of format " +
                    (format.empty() ? std::string("(none)") : format));
    }
    return a.subject->name_id->value;
  }
  const saml::Attribute* found = nullptr;
  for (const saml::Attribute& attribute : a.attributes) {
    if (attribute.name == source.name || attribute.friendly_name == source.name) {
      if (found) {
        return nobody("the ENT assertion carries the identifier attribute twice");
      }
      found = &attribute;
    }
  }
  if (!found) {
    return nobody("the ENT assertion carries no such attribute (" +
                  std::to_string(a.attributes.size()) + " attributes)");
  }
  if (found->values.size() != 1 || found->values.front().empty()) {
    return nobody("the identifier attribute has " + std::to_string(found->values.size()) +
                  " values, not one");
  }
  return found->values.front();
}

}  // namespace

std::string IdentifierSource::describe() const {
  if (kind == Kind::kNameId) {
    return "NameID (format " + name + ")";
  }
  return "attribute " + name;
}

core::Result<IdentifierSource> identifierSourceFromStore(std::string_view source,
                                                         std::string_view name) {
  IdentifierSource out;
  if (source == "name_id") {
    out.kind = IdentifierSource::Kind::kNameId;
  } else if (source == "attribute") {
    out.kind = IdentifierSource::Kind::kAttribute;
  } else {
    return core::fail(core::ErrorCode::kBadRequest,
                      "identifier source must be name_id or attribute, not " + std::string(source));
  }
  if (name.empty() || name.size() > 1024) {
    return core::fail(core::ErrorCode::kBadRequest, "identifier name must be 1 to 1024 characters");
  }
  if (out.kind == IdentifierSource::Kind::kNameId && name.find(':') == std::string_view::npos) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "a NameID identifier source names a Format URI, not " + std::string(name));
  }
  out.name = std::string(name);
  return out;
}

bool EntPeer::signsRequests() const noexcept {
  return request_signing == RequestSigning::kAlways ||
         (metadata.idp && metadata.idp->want_authn_requests_signed);
}

EntRegistry::EntRegistry(std::vector<EntPeer> peers) {
  for (EntPeer& p : peers) {
    if (by_ent_id_.count(p.ent_id) || by_entity_id_.count(p.metadata.entity_id)) {
      continue;
    }
    peers_.push_back(std::move(p));
  }
  std::sort(peers_.begin(), peers_.end(),
            [](const EntPeer& a, const EntPeer& b) { return a.ent_id < b.ent_id; });
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    by_ent_id_.emplace(peers_[i].ent_id, i);
    by_entity_id_.emplace(peers_[i].metadata.entity_id, i);
  }
}

core::Result<EntRegistry> EntRegistry::load(store::Db& db, core::UnixTime now,
                                            metadata::SourceDocuments* sources) {
  std::optional<metadata::SourceDocuments> own;
  if (sources == nullptr) {
    sources = &own.emplace(db, now);
  }
  GARDE_ASSIGN_OR_RETURN(auto establishments, store::listEstablishments(db));
  std::set<std::string> ent_ids;
  for (const auto& e : establishments) {
    ent_ids.insert(e.ent_id);
  }
  std::vector<EntPeer> peers;
  for (const std::string& id : ent_ids) {
    auto ent = store::findEnt(db, id);
    if (!ent) {
      if (ent.error().code == core::ErrorCode::kStoreError) {
        return core::fail(std::move(ent).error());
      }
      continue;
    }
    if (!ent->idp_entity_id) {
      kRegistryLog.warn("ENT skipped: no IdP entityID", {{"ent", id}});
      continue;
    }
    GARDE_ASSIGN_OR_RETURN(const auto source, sources->sourceOf(store::CallerKind::kEnt, id));
    std::optional<saml::EntityDescriptor> from_source;
    std::vector<saml::EntityDescriptor> inline_entities;
    if (source) {
      auto entity = sources->entity(*source, *ent->idp_entity_id);
      if (!entity) {
        if (entity.error().code == core::ErrorCode::kStoreError) {
          return core::fail(std::move(entity).error());
        }
        kRegistryLog.warn("ENT skipped: its metadata source gives no usable copy of it",
                          {{"ent", id}, {"source", *source}, {"error", entity.error().describe()}});
        continue;
      }
      from_source = std::move(entity).value();
    } else {
      if (!ent->idp_metadata_xml) {
        kRegistryLog.warn("ENT skipped: no IdP metadata", {{"ent", id}});
        continue;
      }
      saml::MetadataOptions options;
      options.now = now;
      auto parsed = saml::parseMetadata(*ent->idp_metadata_xml, options);
      if (!parsed) {
        kRegistryLog.warn("ENT skipped: metadata does not parse",
                          {{"ent", id}, {"error", parsed.error().describe()}});
        continue;
      }
      inline_entities = std::move(parsed).value();
    }
    const saml::EntityDescriptor* found = from_source ? &*from_source : nullptr;
    for (const auto& d : inline_entities) {
      if (d.entity_id == *ent->idp_entity_id) {
        found = &d;
      }
    }
    if (!found || !found->idp) {
      kRegistryLog.warn("ENT skipped: no IDPSSODescriptor for its entityID",
                        {{"ent", id}, {"entity_id", *ent->idp_entity_id}});
      continue;
    }
    if (!redirectSso(*found)) {
      kRegistryLog.warn("ENT skipped: no HTTP-Redirect SingleSignOnService", {{"ent", id}});
      continue;
    }
    auto identifier = identifierSourceFromStore(ent->identifier_source, ent->identifier_name);
    if (!identifier) {
      kRegistryLog.warn("ENT skipped: identifier source not understood",
                        {{"ent", id}, {"error", identifier.error().describe()}});
      continue;
    }
    RequestSigning signing = RequestSigning::kAsMetadataSays;
    if (ent->sign_authn_requests == "always") {
      signing = RequestSigning::kAlways;
    } else if (ent->sign_authn_requests != "metadata") {
      kRegistryLog.warn("ENT skipped: sign_authn_requests must be metadata or always",
                        {{"ent", id}});
      continue;
    }
    peers.push_back(EntPeer{ent->id, ent->name, *found, std::move(identifier).value(), signing});
  }
  return EntRegistry(std::move(peers));
}

const EntPeer* EntRegistry::findByEntId(std::string_view ent_id) const {
  const auto it = by_ent_id_.find(ent_id);
  return it == by_ent_id_.end() ? nullptr : &peers_[it->second];
}

const EntPeer* EntRegistry::findByEntityId(std::string_view idp_entity_id) const {
  const auto it = by_entity_id_.find(idp_entity_id);
  return it == by_entity_id_.end() ? nullptr : &peers_[it->second];
}

core::Result<std::string> buildEntAuthnRequest(const EntPeer& ent, const SpSettings& settings,
                                               std::string_view request_id,
                                               std::string_view relay_state, core::UnixTime now,
                                               const EntAuthnOptions& options) {
  const saml::Endpoint* sso = redirectSso(ent.metadata);
  if (!sso) {
    return core::fail(core::ErrorCode::kUnknownPeer,
                      "ENT " + ent.ent_id + " has no HTTP-Redirect SingleSignOnService");
  }
  saml::AuthnRequest request;
  request.id = std::string(request_id);
  request.issue_instant = now;
  request.destination = sso->location;
  request.issuer = settings.entity_id;
  request.assertion_consumer_service_url = settings.acs_url;
  request.protocol_binding = std::string(saml::binding::kHttpPost);
  request.force_authn = options.force_authn;
  request.is_passive = options.is_passive;
  // Say what identifier we need (SAML2 Core 3.4.1.1): an IdP on its defaults answers a transient
  // NameID otherwise. An attribute source leaves the NameID to the IdP.
  saml::NameIDPolicy policy;
  policy.allow_create = true;
  if (ent.identifier.kind == IdentifierSource::Kind::kNameId &&
      !isUnspecified(ent.identifier.name)) {
    policy.format = ent.identifier.name;
  }
  request.name_id_policy = std::move(policy);
  // Written as text, without a tree (saml/message_text.h).
  GARDE_ASSIGN_OR_RETURN(auto xml, saml::writeAuthnRequest(request));
  if (!ent.signsRequests()) {
    return saml::encodeRedirect(xml, sso->location, relay_state, /*is_request=*/true, nullptr,
                                saml::defaultAlgorithm(settings.signing.key));
  }
  // Signed in the query (SAML2 Bindings 3.4.4.1) where the ENT asks, or its registration says.
  return saml::encodeRedirect(xml, sso->location, relay_state,
                              /*is_request=*/true, &settings.signing,
                              saml::defaultAlgorithm(settings.signing.key));
}

core::Result<EntIdentity> consumeEntResponse(const FormFields& form, const EntPeer& ent,
                                             const SpSettings& settings,
                                             std::string_view expected_request_id,
                                             core::UnixTime now, saml::ReplayCache& replay_cache) {
  GARDE_ASSIGN_OR_RETURN(auto inbound, saml::decodePost(form, settings.decode_limits));
  if (inbound.is_request) {
    return core::fail(core::ErrorCode::kBadRequest, "a SAMLRequest was posted to the ACS");
  }
  GARDE_ASSIGN_OR_RETURN(auto doc, saml::parseUntrusted(inbound.xml));
  saml::ResponseExpectation expect;
  expect.trusted_certificates = ent.metadata.idp->signingCertificates();
  expect.idp_entity_id = ent.metadata.entity_id;
  expect.sp_entity_id = settings.entity_id;
  expect.acs_url = settings.acs_url;
  expect.request_id = std::string(expected_request_id);
  expect.allow_unsolicited = false;
  expect.now = now;
  expect.skew_seconds = settings.skew_seconds;
  expect.decryption_keys = {settings.signing.key};
  if (settings.next_signing) {
    expect.decryption_keys.push_back(settings.next_signing->key);
  }
  expect.replay_cache = &replay_cache;
  expect.require_signed_assertion = settings.require_signed_assertion;
  GARDE_ASSIGN_OR_RETURN(auto validated, saml::validateResponse(doc.get(), expect));
  const saml::Assertion& a = validated.assertion;
  GARDE_ASSIGN_OR_RETURN(auto person_id, readIdentifier(a, ent.identifier));
  EntIdentity id;
  id.person_id = std::move(person_id);
  id.source = ent.identifier.describe();
  if (a.subject && a.subject->name_id) {
    id.name_id_format = a.subject->name_id->format;
    id.name_id = *a.subject->name_id;
  }
  if (!a.authn_statements.empty()) {
    id.authn_instant = a.authn_statements.front().authn_instant;
    id.session_index = a.authn_statements.front().session_index;
    id.authn_context_class_ref = a.authn_statements.front().authn_context_class_ref;
  }
  id.response_id = validated.response.id;
  id.assertion_id = a.id;
  return id;
}

core::Result<std::string> spMetadata(const SpSettings& settings, core::UnixTime now) {
  saml::EntityDescriptor entity;
  entity.entity_id = settings.entity_id;
  entity.valid_until = now + settings.metadata_validity_seconds;
  saml::SpSsoDescriptor sp;
  sp.authn_requests_signed = true;
  sp.want_assertions_signed = settings.require_signed_assertion;
  // During a rollover both keys are published, each for both uses: peers verify with either, and
  // garde decrypts what was encrypted to either (docs/key-rollover.md).
  const saml::AlgorithmSupport& algorithms = saml::algorithmSupport();
  sp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, settings.signing.cert, {}});
  if (settings.next_signing) {
    sp.keys.push_back(
        saml::KeyDescriptor{saml::KeyUse::kSigning, settings.next_signing->cert, {}});
  }
  sp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kEncryption, settings.signing.cert,
                                        algorithms.encryption_methods});
  if (settings.next_signing) {
    sp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kEncryption, settings.next_signing->cert,
                                          algorithms.encryption_methods});
  }
  entity.digest_methods = algorithms.digest_methods;
  entity.signing_methods = algorithms.signing_methods;
  sp.name_id_formats = {std::string(saml::name_id_format::kPersistent),
                        std::string(saml::name_id_format::kUnspecified)};
  saml::Endpoint acs;
  acs.binding = std::string(saml::binding::kHttpPost);
  acs.location = settings.acs_url;
  acs.index = 0;
  acs.is_default = true;
  sp.acs.push_back(acs);
  if (!settings.slo_url.empty()) {
    for (const std::string_view b : {saml::binding::kHttpRedirect, saml::binding::kHttpPost}) {
      sp.slo.push_back(
          saml::Endpoint{std::string(b), settings.slo_url, "", std::nullopt, std::nullopt});
    }
  }
  entity.sp = sp;
  GARDE_ASSIGN_OR_RETURN(auto doc, saml::generateMetadata(entity));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  GARDE_TRY(saml::setCacheDuration(root, settings.metadata_cache_seconds));
  GARDE_TRY(saml::signElement(root, settings.signing));
  return saml::serialize(doc.get());
}

}  // namespace garde::connectors::ent
