#pragma once
/// @file Internals of saml/'s signature verification exposed for its tests (the differential tests
/// of the two verification paths, signature_direct.cpp and signature_xmlsec.cpp). Not part of
/// garde's API: include saml/signature.h instead.

#include <libxml/tree.h>

#include <vector>

#include "core/result.h"
#include "saml/keys.h"

namespace garde::saml::internal {

/// verifyEnvelopedSignature() with every check it makes, but the cryptography always done by
/// xmlsec's transform chain (the path kept for the uncommon signature shapes).
core::Result<xmlNode*> verifyEnvelopedSignatureWithXmlsec(xmlNode* element,
                                                          const std::vector<Certificate>& trusted);

/// True when verifyEnvelopedSignature() checks the signature of `element` without xmlsec: one
/// direct ds:Signature child of the common SAML shape (transforms enveloped-signature then
/// exclusive C14N, nothing else; see signature_direct.cpp). Says nothing about validity.
bool usesDirectVerification(const xmlNode* element);

}  // namespace garde::saml::internal
