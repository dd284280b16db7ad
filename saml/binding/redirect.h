#pragma once
/// @file The HTTP-Redirect binding (SAML2 Bindings 3.4), and the types every inbound binding
/// returns.
///
/// Pure: no sockets, no clock. Encoding builds the whole Location URL; decoding takes the raw query
/// string exactly as it arrived (still percent-encoded) and keeps the signed bytes untouched,
/// because the Redirect signature covers the bytes on the wire, not a re-encoding of them (SAML2
/// Bindings 3.4.4.1). All functions are thread-safe.
///
/// RelayState: the spec says it "MUST NOT exceed 80 bytes" (Bindings 3.4.3), but deployed ENT and
/// publisher SPs send longer values (full return URLs). We accept up to
/// DecodeLimits::max_relay_state (1024 by default) and reject beyond with kLimitExceeded; what we
/// send is the caller's to keep short.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "saml/keys.h"
#include "saml/signature.h"

namespace garde::saml {

/// Which binding carried a message.
enum class BindingType { kRedirect, kPost };

/// The binding's URI (messages.h binding::kHttpRedirect / kHttpPost).
std::string_view bindingUri(BindingType binding) noexcept;

/// Caps applied while decoding untrusted input (each failure is kLimitExceeded).
struct DecodeLimits {
  std::size_t max_encoded = 512 * 1024;  ///< raw query string, or one form field, as received
  std::size_t max_inflated =
      256 * 1024;                      ///< decoded (inflated) XML; matches ParseLimits::max_bytes
  std::size_t max_relay_state = 1024;  ///< decoded RelayState (the spec's 80 is advisory here)
};

/// A SAML message taken off a binding, not yet parsed: feed `xml` to parseUntrusted().
struct InboundMessage {
  BindingType binding = BindingType::kRedirect;
  bool is_request = true;                  ///< SAMLRequest (true) or SAMLResponse (false)
  std::string xml;                         ///< decoded message (inflated for Redirect)
  std::optional<std::string> relay_state;  ///< decoded; absent when the parameter was absent

  // Redirect binding signature (Bindings 3.4.4.1). Empty / absent for POST and unsigned messages.
  /// The exact signed bytes: "SAMLRequest=..&RelayState=..&SigAlg=.." built from the substrings
  /// of the raw query, still percent-encoded as received.
  std::string signed_query;
  std::optional<std::string> sig_alg;    ///< decoded SigAlg URI
  std::optional<std::string> signature;  ///< decoded (raw) signature bytes

  /// True when the query carried Signature and SigAlg.
  bool hasRedirectSignature() const noexcept { return signature.has_value(); }
};

/// One "name=value" of a query string or form body, as received (still percent-encoded).
struct RawParam {
  std::string_view name;   ///< raw name (not decoded; SAML names never need escaping)
  std::string_view value;  ///< raw value, empty when there is no '='
  std::string_view whole;  ///< "name=value" exactly as it appeared
};

/// Splits a query string or an application/x-www-form-urlencoded body on '&' (empty pieces
/// skipped). The views point into `query`.
std::vector<RawParam> splitQuery(std::string_view query);

/// Builds the Location URL of a Redirect: `endpoint_url` + SAMLRequest|SAMLResponse (DEFLATE,
/// base64, URL-encoded), RelayState (omitted when empty), and, when `signer` is not null, SigAlg
/// and Signature computed over "SAMLRequest=..&RelayState=..&SigAlg=.." as sent. An `endpoint_url`
/// that already has a query keeps it (the SAML parameters are appended after '&'). Precondition:
/// `xml` carries no enveloped ds:Signature (Bindings 3.4.4.1 says to remove it).
/// @param signer not owned; may be null for an unsigned message.
/// Errors: kAlgorithmForbidden if `alg` does not fit the key; kInternal if signing fails.
core::Result<std::string> encodeRedirect(std::string_view xml, std::string_view endpoint_url,
                                         std::string_view relay_state, bool is_request,
                                         const Credential* signer, SignatureAlgorithm alg);

/// Decodes a Redirect query string (the part after '?', optionally with the '?', without a
/// fragment), exactly as received. Parameters other than the SAML ones are ignored (an endpoint may
/// carry its own), but never taken into the signed bytes. Base64 parameters are percent-decoded
/// with '+' kept literal (base64 has no spaces, and some senders forget to escape '+'); RelayState
/// is decoded as a form value ('+' is a space). Errors: kLimitExceeded (query, inflated XML,
/// RelayState); kBadRequest (no SAML message, both SAMLRequest and SAMLResponse, a duplicated SAML
/// parameter, Signature without SigAlg or SigAlg without Signature, an unsupported SAMLEncoding);
/// kBadEncoding (percent escapes, base64, DEFLATE). A signature is decoded, not verified: call
/// verifyRedirectSignature().
core::Result<InboundMessage> decodeRedirect(std::string_view raw_query,
                                            const DecodeLimits& limits = {});

/// Verifies the Redirect signature of `message` over its exact signed bytes with any of `trusted`.
/// Errors: kSignatureMissing (no Signature in the query), kAlgorithmForbidden (SHA-1 and anything
/// outside the allow list), kNoTrustedKey (empty `trusted`), kSignatureInvalid.
/// `exceptions`: the sender's algorithm exceptions in force (verifyBytes), nullptr for none.
core::Status verifyRedirectSignature(const InboundMessage& message,
                                     const std::vector<Certificate>& trusted,
                                     AlgorithmExceptions* exceptions = nullptr);

}  // namespace garde::saml
