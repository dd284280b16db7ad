#pragma once
/// @file What the files of saml/'s XML signatures share; internal to them (include
/// saml/signature.h for garde's API, saml/signature_internal.h for the tests' view).
///
/// verifyEnvelopedSignature() (signature.cpp) runs three stages, each in its own file:
/// - signature_profile.cpp: the SAML signature profile, checked on the tree before any
///   cryptography (checkedSignature);
/// - signature_direct.cpp: the usual shape, verified with libxml2's exclusive C14N and OpenSSL
///   (verifyDirectly);
/// - signature_xmlsec.cpp: every other allowed shape, through xmlsec's transform chain
///   (verifyWithXmlsec), restricted to the profile's transforms.
///
/// signature_signing.cpp signs (signElement, envelopedSignatureText), with the template from
/// signature_xmlsec.cpp; signature_primitives.cpp holds the algorithm table, the exclusive C14N of
/// a node set that both the signer and the direct verifier digest, ECDSA's encodings and the raw
/// signatures of the Redirect binding (signBytes, verifyBytes).

#include <libxml/tree.h>
#include <openssl/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "saml/keys.h"
#include "saml/signature.h"
#include "saml/xml.h"

namespace garde::saml::detail {

inline constexpr std::string_view kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
inline constexpr std::string_view kEnveloped =
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// The namespace of ec:InclusiveNamespaces is the algorithm URI itself.
inline constexpr const char* kExcC14nNs = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The xs prefix appears only inside xsi:type values, which exclusive C14N does not see as used:
/// listing it keeps its binding under the signature (as Shibboleth does).
inline constexpr const char* kSigningPrefix = "xs";

/// One allowed signature algorithm and its digest.
struct AlgInfo {
  SignatureAlgorithm alg;
  std::string_view uri;
  const char* digest_name;      ///< OpenSSL digest
  std::string_view digest_uri;  ///< matching ds:DigestMethod
};

/// Every allowed algorithm, RSA then ECDSA, SHA-256 first.
std::span<const AlgInfo> algorithms() noexcept;
const AlgInfo& info(SignatureAlgorithm alg) noexcept;
/// The first allowed algorithm whose digest has this ds:DigestMethod URI; nullptr for any other
/// digest (SHA-1, MD5...).
const AlgInfo* infoByDigestUri(std::string_view digest_uri) noexcept;
bool isEcdsa(SignatureAlgorithm alg) noexcept;

/// ECDSA in XML DSig and the Redirect binding is r || s (RFC 4050 / xmldsig-more), not DER.
core::Result<std::string> ecdsaDerToRaw(const std::string& der, int field_bytes);
core::Result<std::string> ecdsaRawToDer(std::string_view raw);

/// Exclusive C14N visibility of `root`'s subtree without the `omit` subtree (the enveloped
/// transform); `omit` may be null.
struct C14nScope {
  const xmlNode* root;
  const xmlNode* omit;
};

/// Exclusive C14N without comments of `scope`, with the InclusiveNamespaces PrefixList
/// `inclusive_prefixes` ("#default" names the default namespace, as libxml2 reads it).
core::Result<std::string> canonicalSubtree(xmlDoc* doc, const C14nScope& scope,
                                           const std::vector<std::string>& inclusive_prefixes);

/// The digest with `md` of the same canonical form, streamed into the digest as libxml2 writes it
/// (never held whole). `out` holds at least EVP_MAX_MD_SIZE bytes. kInternal when libxml2 refuses
/// the canonicalization or the digest fails.
core::Status canonicalDigest(xmlDoc* doc, const C14nScope& scope,
                             const std::vector<std::string>& inclusive_prefixes, const EVP_MD* md,
                             unsigned char* out, unsigned int* out_len);

/// The checks made before any cryptography, in this order: a single direct ds:Signature child,
/// trusted keys given, the SAML profile, no relative namespace name in scope. Returns the
/// Signature.
core::Result<xmlNode*> checkedSignature(xmlNode* element, const std::vector<Certificate>& trusted);

/// True if `signature` (on `element`, checkedSignature passed) has the one shape the direct path
/// verifies.
bool hasDirectShape(const xmlNode* element, const xmlNode* signature);

/// The direct path's outcome when `signature` has that shape, nullopt otherwise (for xmlsec).
std::optional<core::Result<xmlNode*>> verifyDirectly(xmlNode* element, xmlNode* signature,
                                                     const std::vector<Certificate>& trusted);

/// The general path: xmlsec's transform chain, once per trusted key.
core::Result<xmlNode*> verifyWithXmlsec(xmlNode* element, xmlNode* signature,
                                        const std::vector<Certificate>& trusted);

/// signElement()'s ds:Signature, made by xmlsec's template functions and not yet in the tree:
/// exclusive C14N, `alg`, one Reference to `uri` with the enveloped-signature and exclusive C14N
/// (PrefixList kSigningPrefix) transforms, empty DigestValue and SignatureValue.
struct SignatureTemplate {
  XmlNodeHandle signature;
  xmlNode* reference;  ///< inside `signature`
};
core::Result<SignatureTemplate> signatureTemplate(xmlDoc* doc, SignatureAlgorithm alg,
                                                  const std::string& uri);

}  // namespace garde::saml::detail
