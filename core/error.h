#pragma once
/// @file Error codes shared by all modules, and the one Error value type.

#include <string>
#include <string_view>

namespace garde::core {

/// What went wrong, at the granularity callers act on. The human detail lives in Error::detail.
enum class ErrorCode {
  kMalformedMessage,  ///< not well-formed, wrong root, missing required element or attribute
  kForbiddenXml,   ///< DOCTYPE, entity, processing instruction or other construct we never accept
  kLimitExceeded,  ///< size, depth, node count or inflate cap exceeded
  kBadEncoding,    ///< malformed base64, DEFLATE, URL encoding
  kSignatureMissing,    ///< a signature was required and none was present
  kSignatureInvalid,    ///< cryptographic check failed (digest or signature value)
  kSignatureProfile,    ///< signature present but not of the SAML profile (references, transforms,
                        ///< URI)
  kAlgorithmForbidden,  ///< SHA-1, MD5, HMAC or another algorithm outside the allow list
  kNoTrustedKey,        ///< no key from metadata to verify with
  kDuplicateId,         ///< two elements carry the same ID
  kAudienceMismatch,
  kRecipientMismatch,
  kDestinationMismatch,
  kIssuerMismatch,
  kInResponseToMismatch,
  kExpired,
  kNotYetValid,
  kReplayed,
  kReplayCacheFull,  ///< an ID could not be remembered (the cache is full): refused, not a replay
  /// The shared replay cache (Redis) did not answer: whether an ID was used is unknown, so the
  /// message is refused (fail closed), not a replay either.
  kReplayCacheUnavailable,
  kStatusNotSuccess,  ///< the peer answered with a non-success SAML status
  kNoPassive,         ///< the IdP answered Responder/NoPassive: no login without the user's action
  kDecryptionFailed,
  kUnknownPeer,  ///< entityID not in metadata / not configured
  kUnknownUser,
  kUnknownResource,
  kNotEntitled,
  kBadRequest,  ///< an HTTP-level request problem (missing parameter, bad method)
  kNotFound,
  kConflict,
  kForbidden,
  kStoreError,
  kUnavailable,  ///< a remote service could not be reached or answered badly (fetches)
  kConfigInvalid,
  kInternal,
};

/// Stable lower-case name of a code, for logs, metrics labels and CLI output.
std::string_view errorCodeName(ErrorCode code) noexcept;

/// An expected failure: a code to act on and a detail that names what was wrong (never personal
/// data).
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string detail;

  /// "code: detail", for logs and CLI output.
  std::string describe() const;
};

}  // namespace garde::core
