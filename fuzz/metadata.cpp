// saml::parseMetadata() (saml/metadata.h): unsigned (as placed by an operator), each entity read
// generated back with generateMetadata(); then as a fetched document is read
// (parseMetadataDocument, cacheDuration included) with the fuzz world's certificate as the
// trusted signer; and parseXsDuration on the first bytes.
#include <cstddef>
#include <cstdint>

#include "fuzz_world.h"
#include "saml/metadata.h"
#include "saml/messages.h"
#include "support/constants.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  saml::MetadataOptions options;
  options.now = test::kNow;
  auto entities = saml::parseMetadata(text, options);
  if (entities.has_value()) {
    for (const saml::EntityDescriptor& entity : entities.value()) {
      (void)entity.defaultAcs(saml::binding::kHttpPost);
      (void)entity.acsByIndex(0);
      (void)entity.signingCertificates();
      (void)entity.encryptionCertificates();
      (void)saml::generateMetadata(entity);
    }
  }
  options.trusted = {fuzz::credential().cert};
  options.require_valid_until = true;
  (void)saml::parseMetadataDocument(text, options);  // a fetched document (cacheDuration too)
  (void)saml::parseXsDuration(text.substr(0, 80));
  return 0;
}
