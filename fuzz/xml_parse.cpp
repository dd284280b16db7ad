// saml::parseUntrusted(): the one entry of untrusted XML (saml/xml.h), with the default limits and
// with tight ones (so the size, depth and node caps are reached), then the tree helpers callers
// use on what it returns.
#include <cstddef>
#include <cstdint>

#include "fuzz_world.h"
#include "saml/xml.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  auto doc = saml::parseUntrusted(text);
  if (doc.has_value()) {
    xmlDoc* d = doc.value().get();
    if (xmlNode* root = xmlDocGetRootElement(d); root != nullptr) {
      (void)saml::textContent(root);
      (void)saml::childElements(root);
      (void)saml::attribute(root, "ID");
      (void)saml::canonicalize(d, root);
    }
    (void)saml::serialize(d);
  }
  (void)saml::parseUntrusted(text, saml::ParseLimits{4096, 8, 200});
  return 0;
}
