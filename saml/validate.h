#pragma once
/// @file Validation of a samlp:Response received by our SP role (Web Browser SSO, SAML2 Profiles
/// 4.1.4.3 and 4.1.4.5), with a whole-class defence against signature wrapping.
///
/// The document must hold exactly one saml:Assertion or saml:EncryptedAssertion anywhere
/// (Extensions, ds:Object, Advice included), as a direct child of the root samlp:Response.
/// Signatures are verified on that tree (verifyEnvelopedSignature returns the signed element) and
/// every field is read from the verified elements only. Pure: `now` comes from the caller.

#include <libxml/tree.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/replay_cache.h"

namespace garde::saml {

/// What the SP expects of a Response. Built per request by the flow from metadata and config.
struct ResponseExpectation {
  std::vector<Certificate>
      trusted_certificates;               ///< the IdP's signing certificates (rollover: several)
  std::string idp_entity_id;              ///< expected Issuer of the Response and Assertion
  std::string sp_entity_id;               ///< our entityID: must be in every AudienceRestriction
  std::string acs_url;                    ///< Destination and bearer Recipient
  std::optional<std::string> request_id;  ///< ID of our AuthnRequest (SP-initiated)
  bool allow_unsolicited = false;         ///< accept IdP-initiated Responses (no InResponseTo)
  core::UnixTime now = 0;
  std::int64_t skew_seconds = 180;          ///< clock skew tolerated on every time check
  std::vector<PrivateKey> decryption_keys;  ///< for EncryptedAssertion (rollover: several)
  ReplayCache* replay_cache = nullptr;      ///< not owned; nullptr disables replay checks
  /// The Assertion itself must be signed (a signed Response around an unsigned Assertion is
  /// refused). Secure default; set false only for an IdP known to sign the Response alone.
  bool require_signed_assertion = true;
};

/// One check, for the operator CLI ("garde saml inspect").
struct ValidationCheck {
  std::string name;  ///< e.g. "assertion-count", "response-signature", "audience"
  bool passed = false;
  std::string detail;  ///< what was checked or what was wrong; never personal data
};

/// The checks made, in order; validation stops at the first failure, which is the last entry.
struct ValidationTrace {
  std::vector<ValidationCheck> checks;
};

/// A Response that passed every check. The Assertion was read from the verified element only.
struct ValidatedResponse {
  Response response;
  Assertion assertion;
  bool response_signed = false;
  bool assertion_signed = false;
  bool assertion_encrypted = false;
};

/// Validates a Response for our SP.
/// @param doc the document from parseUntrusted(); modified in place when an EncryptedAssertion is
///        decrypted. Not owned.
/// @param trace optional; receives every check made.
/// Errors (first failure wins): kMalformedMessage (root, assertion count or position, required
/// elements, Version), signature errors from verifyEnvelopedSignature(), kSignatureMissing,
/// kDecryptionFailed, kDestinationMismatch, kIssuerMismatch, kInResponseToMismatch, then
/// kNoPassive (status Responder/NoPassive) or kStatusNotSuccess (any other non-success status;
/// detail holds the status codes), then kRecipientMismatch, kExpired, kNotYetValid,
/// kAudienceMismatch, kReplayed, kReplayCacheFull.
/// Thread-safety: reentrant; the replay cache must be thread-safe (all implementations are).
Result<ValidatedResponse> validateResponse(xmlDoc* doc, const ResponseExpectation& expectation,
                                           ValidationTrace* trace = nullptr);

}  // namespace garde::saml
