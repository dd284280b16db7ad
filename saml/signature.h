#pragma once
/// @file XML signatures of the SAML profile (SAML2 Core 5.4), and raw signatures of the Redirect
/// binding.
///
/// Verification is strict by construction: exactly one Reference, its URI "#" + the ID of the
/// element that carries the Signature, only enveloped-signature and exclusive C14N transforms,
/// only RSA-SHA256/384/512 and ECDSA-SHA256/384/512 with SHA-256/384/512 digests, keys only from
/// the caller's trusted certificates (KeyInfo in the message is never used). The result is the
/// element that was actually signed; callers read only from it, on the same tree.

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "saml/algorithms.h"
#include "saml/keys.h"

namespace garde::saml {

enum class SignatureAlgorithm {
  kRsaSha256,
  kRsaSha384,
  kRsaSha512,
  kEcdsaSha256,
  kEcdsaSha384,
  kEcdsaSha512,
};

/// The algorithm's URI (xmldsig-more / RFC 6931).
std::string_view algorithmUri(SignatureAlgorithm alg) noexcept;
/// The allowed algorithm for this URI; kAlgorithmForbidden for SHA-1, MD5, HMAC, DSA and anything
/// unknown.
core::Result<SignatureAlgorithm> algorithmFromUri(std::string_view uri);
/// SHA-256 with the key's type: RSA-SHA256 or ECDSA-SHA256.
SignatureAlgorithm defaultAlgorithm(const PrivateKey& key) noexcept;

/// The ds:Signature that is a direct child of `element`, or nullptr. (Signatures elsewhere do not
/// count for `element`.)
xmlNode* findSignature(const xmlNode* element) noexcept;

/// Verifies the enveloped signature carried by `element` (a direct ds:Signature child) with any of
/// `trusted` (several during a key rollover).
/// @return `element` itself when the signature is valid and of the SAML profile.
/// Errors: kSignatureMissing, kNoTrustedKey (empty `trusted`), kSignatureProfile (reference count,
/// URI, transforms, several signatures), kAlgorithmForbidden, kDuplicateId, kSignatureInvalid.
/// Precondition: the document came from parseUntrusted() (IDs registered, duplicates rejected).
core::Result<xmlNode*> verifyEnvelopedSignature(xmlNode* element,
                                                const std::vector<Certificate>& trusted);

/// Signs `element` in place with an enveloped signature: ds:Signature inserted after the element's
/// saml:Issuer child if any, else as first child (SAML2 Core 5.4.1 / schema order); exclusive C14N,
/// digest matching the algorithm's hash, the certificate in KeyInfo. `element` must carry an "ID".
core::Status signElement(xmlNode* element, const Credential& credential,
                         std::optional<SignatureAlgorithm> alg = std::nullopt);

/// The ds:Signature that signElement() would insert into an element with this `id` whose exclusive
/// canonical form (InclusiveNamespaces PrefixList "xs", the Signature left out) is
/// `canonical_element`, as text: for messages garde writes directly in canonical form
/// (saml/message_text.h). Same algorithm, same SignedInfo, same bytes signed as signElement().
/// `id` must be XML text.
core::Result<std::string> envelopedSignatureText(std::string_view id,
                                                 std::string_view canonical_element,
                                                 const Credential& credential);

/// Raw signature over exact bytes (Redirect binding: the query string's signed part).
core::Result<std::string> signBytes(std::string_view data, const PrivateKey& key,
                                    SignatureAlgorithm alg);

/// Verifies a raw signature with any of `trusted`; `alg_uri` must be an allowed algorithm, or
/// RSA-SHA1 when `exceptions` grants WeakAlgorithm::kRsaSha1 (then marked used there).
core::Status verifyBytes(std::string_view data, std::string_view signature,
                         std::string_view alg_uri, const std::vector<Certificate>& trusted,
                         AlgorithmExceptions* exceptions = nullptr);

}  // namespace garde::saml
