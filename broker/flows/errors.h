#pragma once
/// @file The one mapping from core::ErrorCode to what the flows answer: the HTTP status of the
/// refusal page, the SAML status of the error Response a publisher gets when it asked, the metrics
/// and audit reason label, and the sentence the user reads (docs/style.md section 4).

#include <string_view>

#include "core/error.h"
#include "saml/messages.h"

namespace garde::broker::flows {

struct ErrorMapping {
  int http_status = 500;
  /// Top-level code (always Responder: the broker answers for the whole chain) and second level:
  /// RequestDenied, AuthnFailed, UnknownPrincipal or NoPassive.
  saml::Status saml_status;
  /// Stable label for metrics and audit (errorCodeName unless the flow gives a finer one).
  std::string_view reason;
  /// What happened, in words for the user (French: the users are French pupils and staff).
  std::string_view user_message;
};

/// The mapping for `code`. Total: every code has an answer.
///   bad input (malformed, encoding, limits, forbidden XML, bad request, token purpose) -> 400
///   failed authentication at the ENT (signature, audience, recipient, issuer, InResponseTo,
///   expired or not yet valid, replayed, non-success status, decryption)        -> 403 AuthnFailed
///   the ENT's NoPassive                                                    -> 403 NoPassive
///   unknown user                                                           -> 403 UnknownPrincipal
///   not entitled                                                           -> 403 RequestDenied
///   unknown ENT, establishment, resource or publisher                      -> 404 RequestDenied
///   conflict                                                               -> 409 RequestDenied
///   store or internal failure                                              -> 500/503 Responder
ErrorMapping mapError(core::ErrorCode code) noexcept;

}  // namespace garde::broker::flows
