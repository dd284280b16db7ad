#pragma once
/// @file The algorithms garde accepts and uses, in one place: what both metadata documents
/// advertise (SAML V2.0 Metadata Profile for Algorithm Support: alg:DigestMethod and
/// alg:SigningMethod in the EntityDescriptor's md:Extensions, md:EncryptionMethod under an
/// encryption key), and what a refusal tells a peer to configure instead.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace garde::saml {

/// A weaker algorithm a peer may be granted by name, with a reason and an expiry
/// (docs/algorithm-exceptions.md): never by default, never used by garde to sign or encrypt.
enum class WeakAlgorithm {
  kRsaSha1,  ///< "rsa-sha1": RSA-SHA1 signatures over the Redirect binding (pysaml2's default)
};
std::string_view weakAlgorithmName(WeakAlgorithm algorithm) noexcept;
std::optional<WeakAlgorithm> parseWeakAlgorithm(std::string_view name) noexcept;

/// The exceptions in force for one message from one peer, and which ones its checks relied on.
struct AlgorithmExceptions {
  std::vector<WeakAlgorithm> granted;
  std::vector<WeakAlgorithm> used;  ///< filled by the verifier
  bool allows(WeakAlgorithm a) const noexcept;
  void markUsed(WeakAlgorithm a);
};

/// The namespace of the metadata profile for algorithm support.
inline constexpr const char* kAlgSupportNs = "urn:oasis:names:tc:SAML:metadata:algsupport";

/// alg:SigningMethod: an algorithm URI and, for RSA, the smallest key accepted.
struct SigningMethod {
  std::string algorithm;
  int min_key_size = 0;  ///< 0: not said
  bool operator==(const SigningMethod&) const = default;
};

/// What garde accepts in and uses out, most preferred first.
struct AlgorithmSupport {
  std::vector<std::string> digest_methods;     ///< SHA-256, SHA-384, SHA-512
  std::vector<SigningMethod> signing_methods;  ///< RSA-SHA2 (2048 bits and more), ECDSA-SHA2
  /// Content encryption (AES-GCM) then key transport (RSA-OAEP), as md:EncryptionMethod.
  std::vector<std::string> encryption_methods;
};

/// The one list (the signature and encryption code's own allow lists).
const AlgorithmSupport& algorithmSupport();

/// kAlgorithmForbidden naming the digest unless it is one of algorithmSupport().digest_methods.
core::Status checkDigestAlgorithm(std::string_view uri);

/// What to configure instead of a refused algorithm URI: RSA-SHA1 -> RSA-SHA256, ECDSA-SHA1 ->
/// ECDSA-SHA256, SHA-1 or MD5 digests -> SHA-256, AES-CBC -> AES-GCM of the same key size, RSA
/// PKCS#1 v1.5 key transport -> RSA-OAEP; empty when there is no obvious replacement.
std::string_view replacementAlgorithm(std::string_view refused);

}  // namespace garde::saml
