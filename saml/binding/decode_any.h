#pragma once
/// @file Best-effort decoding of a SAML message pasted by an operator (`garde saml inspect`).
/// Not for request paths: flows know their binding and call decodeRedirect() / decodePost().

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "saml/binding/redirect.h"

namespace garde::saml {

/// What the input looked like.
enum class InputForm {
  kXml,            ///< raw XML (starts with '<' or an XML declaration)
  kBase64,         ///< base64 of the XML (a POST field value), possibly percent-encoded
  kBase64Deflate,  ///< base64 of raw DEFLATE (a Redirect parameter value), possibly percent-encoded
  kRedirectUrl,    ///< a whole URL with a query string carrying SAMLRequest / SAMLResponse
  kQueryString,    ///< a Redirect query string (the message is DEFLATEd)
  kPostBody,       ///< an application/x-www-form-urlencoded POST body (the message is not DEFLATEd)
};

/// Stable lower-case name, for CLI output ("xml", "base64", "base64+deflate", "redirect-url", ...).
std::string_view inputFormName(InputForm form) noexcept;

/// The decoded message and everything the input said about it.
struct DecodedMessage {
  InputForm form = InputForm::kXml;
  std::string xml;
  /// The binding, when the input shows it (URL, query string, POST body, or base64 vs
  /// base64+DEFLATE).
  std::optional<BindingType> binding;
  /// SAMLRequest (true) or SAMLResponse (false), when the input carried the parameter name.
  std::optional<bool> is_request;
  std::optional<std::string> relay_state;
  /// Redirect signature parts (see InboundMessage): the exact signed bytes, SigAlg URI, raw
  /// signature.
  std::string signed_query;
  std::optional<std::string> sig_alg;
  std::optional<std::string> signature;

  /// The Redirect message, for verifyRedirectSignature(), when the input was a signed Redirect.
  InboundMessage asInbound() const;
};

/// Detects the form of `text` (surrounding whitespace ignored) and decodes it. Detection order:
/// XML; URL ("scheme://...?query", fragment dropped); query string or form body (holds
/// "SAMLRequest=" or "SAMLResponse="; DEFLATE means Redirect, plain base64 means POST); bare base64
/// (percent-decoded first when it holds '%'), tried as XML and then as DEFLATE.
/// The XML is not parsed or checked here beyond starting with '<'.
/// Errors: those of decodeRedirect() / decodePost(); kBadEncoding when nothing fits.
core::Result<DecodedMessage> decodeAny(std::string_view text, const DecodeLimits& limits = {});

}  // namespace garde::saml
