// The ENT side's Response consumer (connectors/ent/ent_side.h, consumeEntResponse: HTTP-POST
// decode, parseUntrusted, saml::validateResponse with signature, decryption and every check) for
// the XML posted as SAMLResponse; and saml::parseResponse() / parseAssertion() on the parsed tree
// (unverified, to reach the readers behind the signature check).
#include <cstddef>
#include <cstdint>

#include "connectors/ent/ent_side.h"
#include "core/encoding.h"
#include "fuzz_world.h"
#include "saml/messages.h"
#include "saml/replay_cache.h"
#include "saml/xml.h"
#include "support/constants.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  if (auto doc = saml::parseUntrusted(text); doc.has_value()) {
    const xmlNode* root = xmlDocGetRootElement(doc.value().get());
    if (root == nullptr) {
      return 0;
    }
    (void)saml::parseResponse(root);
    (void)saml::parseAssertion(root);
    (void)saml::parseLogoutRequest(root);
    (void)saml::parseLogoutResponse(root);
    for (const xmlNode* assertion : saml::childElements(root, saml::ns::kAssertion, "Assertion")) {
      (void)saml::parseAssertion(assertion);
    }
  }
  const connectors::ent::FormFields form{{"SAMLResponse", core::base64Encode(text)},
                                         {"RelayState", "fuzz-relay"}};
  saml::InMemoryReplayCache replay_cache(16);  // fresh per input: no state between inputs
  (void)connectors::ent::consumeEntResponse(form, fuzz::entPeer(), fuzz::spSettings(),
                                            test::kRequestId, test::kNow, replay_cache);
  return 0;
}
