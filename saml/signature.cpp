// verifyEnvelopedSignature(): the SAML profile first (signature_profile.cpp), then the direct
// path for the usual shape (signature_direct.cpp), xmlsec's for any other (signature_xmlsec.cpp).

#include "saml/signature.h"

#include "saml/signature_internal.h"
#include "saml/signature_parts.h"

namespace garde::saml {

using core::fail;

xmlNode* findSignature(const xmlNode* element) noexcept {
  return firstChildElement(element, ns::kDsig, "Signature");
}

core::Result<xmlNode*> verifyEnvelopedSignature(xmlNode* element,
                                                const std::vector<Certificate>& trusted) {
  GARDE_ASSIGN_OR_RETURN(auto signature, detail::checkedSignature(element, trusted));
  if (auto direct = detail::verifyDirectly(element, signature, trusted)) {
    return *std::move(direct);
  }
  return detail::verifyWithXmlsec(element, signature, trusted);
}

namespace internal {

core::Result<xmlNode*> verifyEnvelopedSignatureWithXmlsec(xmlNode* element,
                                                          const std::vector<Certificate>& trusted) {
  GARDE_ASSIGN_OR_RETURN(auto signature, detail::checkedSignature(element, trusted));
  return detail::verifyWithXmlsec(element, signature, trusted);
}

bool usesDirectVerification(const xmlNode* element) {
  const auto signatures = childElements(element, ns::kDsig, "Signature");
  return signatures.size() == 1 && detail::hasDirectShape(element, signatures.front());
}

}  // namespace internal
}  // namespace garde::saml
