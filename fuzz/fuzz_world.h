#pragma once
// What every fuzz target shares (docs/testing.md, "Fuzzing"): the library guard with garde's
// logger and libxml2/xmlsec silenced, one fixed credential read from tests/data, and the peers the
// connector targets check messages against. make_seeds.cpp builds its valid messages from the same
// values, so a generated seed verifies in the target.
//
// Everything is built once, on first use, and never changes: a target's result depends on its
// input only.
#include <string>
#include <string_view>

#include "connectors/ent/ent_side.h"
#include "connectors/publisher/publisher_side.h"
#include "saml/keys.h"

namespace garde::fuzz {

/// Initialises libxml2, xmlsec and OpenSSL (a saml::LibraryGuard that lives until exit) and
/// silences every log line. Call first in each LLVMFuzzerTestOneInput (cheap after the first call).
void initOnce();

/// The one RSA key and certificate of the fuzz world (tests/data/saml/encryption/recipient.*): the
/// ENT IdP signs with it, garde's SP decrypts with it, the publisher SP signs its requests with it.
const saml::Credential& credential();

/// The ENT peer (IdP kIdpEntityId, signing certificate credential()) and garde's SP settings
/// (kSpEntityId, kAcsUrl), as tests/support/saml_builders.h builds its Responses.
const connectors::ent::EntPeer& entPeer();
const connectors::ent::SpSettings& spSettings();

/// One publisher SP (kSpEntityId, ACS kAcsUrl over POST, signing certificate credential()) and
/// garde's IdP settings (kIdpEntityId, SSO URL kIdpSsoUrl), as authnRequest() builds requests.
const connectors::publisher::PublisherRegistry& publisherRegistry();
const connectors::publisher::IdpSettings& idpSettings();

/// The 32-byte key of the sealed-token target.
std::string tokenKey();

/// The input as a string_view.
inline std::string_view asText(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace garde::fuzz
