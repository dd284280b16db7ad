// The publisher side's AuthnRequest reader (connectors/publisher/publisher_side.h,
// readAuthnRequest) against one known publisher, and saml::parseAuthnRequest() on the parsed root.
// First byte even: the rest is the XML, posted (HTTP-POST binding, base64) with a RelayState. Odd:
// the rest is the raw query string of an HTTP-Redirect GET.
#include <cstddef>
#include <cstdint>

#include "connectors/publisher/publisher_side.h"
#include "core/encoding.h"
#include "fuzz_world.h"
#include "saml/messages.h"
#include "saml/xml.h"
#include "support/constants.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  if (size == 0) {
    return 0;
  }
  const std::string_view rest = fuzz::asText(data + 1, size - 1);
  if ((data[0] & 1) == 1) {
    (void)connectors::publisher::readAuthnRequest("GET", rest, {}, fuzz::publisherRegistry(),
                                                  fuzz::idpSettings(), test::kNow);
    return 0;
  }
  if (auto doc = saml::parseUntrusted(rest); doc.has_value()) {
    if (const xmlNode* root = xmlDocGetRootElement(doc.value().get()); root != nullptr) {
      (void)saml::parseAuthnRequest(root);
    }
  }
  const connectors::publisher::FormFields form{{"SAMLRequest", core::base64Encode(rest)},
                                               {"RelayState", "fuzz-relay"}};
  (void)connectors::publisher::readAuthnRequest("POST", {}, form, fuzz::publisherRegistry(),
                                                fuzz::idpSettings(), test::kNow);
  return 0;
}
