#include "fuzz_world.h"

#include <libxml/xmlerror.h>

#include <memory>
#include <utility>

#include "core/log.h"
#include "saml/messages.h"
#include "saml/xml.h"
#include "support/constants.h"
#include "support/credentials.h"

namespace garde::fuzz {
namespace {

void dropLogLine(std::string_view) {}

// libxml2's generic handler writes to stderr; parseUntrusted() already asks for no errors, but
// xmlsec's own calls into libxml2 do not.
void dropXmlError(void*, const char*, ...) {}

saml::KeyDescriptor signingKey() {
  saml::KeyDescriptor key;
  key.use = saml::KeyUse::kSigning;
  key.certificate = credential().cert;
  return key;
}

connectors::ent::EntPeer makeEntPeer() {
  saml::EntityDescriptor metadata;
  metadata.entity_id = test::kIdpEntityId;
  saml::IdpSsoDescriptor idp;
  idp.keys.push_back(signingKey());
  idp.sso.push_back({std::string(saml::binding::kHttpRedirect), test::kIdpSsoUrl, {}, {}, {}});
  metadata.idp = std::move(idp);
  connectors::ent::EntPeer peer;
  peer.ent_id = "ENTFUZZ1";
  peer.name = "ENT fuzz";
  peer.metadata = std::move(metadata);
  return peer;
}

connectors::publisher::PublisherRegistry makePublisherRegistry() {
  saml::EntityDescriptor metadata;
  metadata.entity_id = test::kSpEntityId;
  saml::SpSsoDescriptor sp;
  sp.keys.push_back(signingKey());
  sp.acs.push_back({std::string(saml::binding::kHttpPost), test::kAcsUrl, {}, 0, true});
  metadata.sp = std::move(sp);
  std::vector<connectors::publisher::PublisherPeer> peers;
  peers.push_back({"pub-fuzz", std::move(metadata), {}});
  return connectors::publisher::PublisherRegistry(std::move(peers));
}

}  // namespace

void initOnce() {
  static const bool done = [] {
    core::setLogSink(&dropLogLine);
    core::setLogLevel(core::LogLevel::kOff);
    // Lives until exit: the targets never return to a main() that could own it.
    static saml::LibraryGuard* guard = new saml::LibraryGuard();
    (void)guard;
    xmlSetGenericErrorFunc(nullptr, &dropXmlError);
    return true;
  }();
  (void)done;
}

const saml::Credential& credential() {
  static const saml::Credential cred{test::fixtureKey("saml/encryption/recipient.key.pem"),
                                     test::fixtureCertificate("saml/encryption/recipient.crt.pem")};
  return cred;
}

const connectors::ent::EntPeer& entPeer() {
  static const connectors::ent::EntPeer peer = makeEntPeer();
  return peer;
}

const connectors::ent::SpSettings& spSettings() {
  static const connectors::ent::SpSettings settings = [] {
    connectors::ent::SpSettings s;
    s.entity_id = test::kSpEntityId;
    s.acs_url = test::kAcsUrl;
    s.signing = credential();
    return s;
  }();
  return settings;
}

const connectors::publisher::PublisherRegistry& publisherRegistry() {
  static const connectors::publisher::PublisherRegistry registry = makePublisherRegistry();
  return registry;
}

const connectors::publisher::IdpSettings& idpSettings() {
  static const connectors::publisher::IdpSettings settings = [] {
    connectors::publisher::IdpSettings s;
    s.entity_id = test::kIdpEntityId;
    s.sso_url = test::kIdpSsoUrl;
    s.signing = credential();
    return s;
  }();
  return settings;
}

std::string tokenKey() { return std::string(32, '\x5a'); }

}  // namespace garde::fuzz
