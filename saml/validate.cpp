#include "saml/validate.h"

#include <algorithm>
#include <utility>

#include "saml/encryption.h"
#include "saml/signature.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::UnixTime;

// Entity IDs and URLs are not personal data, but they come from the peer: quote and cap them.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 160;
  std::string out = "'";
  out += text.substr(0, kMax);
  if (text.size() > kMax) {
    out += "...";
  }
  out += "'";
  return out;
}

// Records each check in the optional trace; failures return the Failure to propagate.
class Checker {
 public:
  explicit Checker(ValidationTrace* trace) : trace_(trace) {}

  void pass(std::string name, std::string detail) {
    if (trace_ != nullptr) {
      trace_->checks.push_back({std::move(name), true, std::move(detail)});
    }
  }

  core::Failure reject(std::string name, ErrorCode code, std::string detail) {
    if (trace_ != nullptr) {
      trace_->checks.push_back({std::move(name), false, detail});
    }
    return core::fail(code, std::move(detail));
  }

  core::Failure reject(std::string name, const core::Error& error) {
    return reject(std::move(name), error.code, error.detail);
  }

 private:
  ValidationTrace* trace_;
};

bool isAnyAssertion(const xmlNode* node) {
  return isElement(node, ns::kAssertion, "Assertion") ||
         isElement(node, ns::kAssertion, "EncryptedAssertion");
}

// Every saml:Assertion and saml:EncryptedAssertion in the document, wherever it hides
// (Extensions, ds:Object, Advice, inside another assertion...).
std::vector<xmlNode*> findAllAssertions(xmlDoc* doc) {
  std::vector<xmlNode*> found;
  std::vector<xmlNode*> stack;
  if (xmlNode* root = xmlDocGetRootElement(doc); root != nullptr) {
    stack.push_back(root);
  }
  while (!stack.empty()) {
    xmlNode* node = stack.back();
    stack.pop_back();
    if (isAnyAssertion(node)) {
      found.push_back(node);
    }
    for (xmlNode* c = node->last; c != nullptr; c = c->prev) {
      if (c->type == XML_ELEMENT_NODE) {
        stack.push_back(c);
      }
    }
  }
  return found;
}

// SAML2 Core 2.5.1.2: NotOnOrAfter is exclusive; NotBefore inclusive. Skew widens both.
bool expired(UnixTime now, UnixTime not_on_or_after, std::int64_t skew) {
  return now >= not_on_or_after + skew;
}
bool notYetValid(UnixTime now, UnixTime not_before, std::int64_t skew) {
  return now + skew < not_before;
}

// Checks one bearer SubjectConfirmation (SAML2 Profiles 4.1.4.2); returns the failure or nothing.
std::optional<core::Error> checkBearer(const SubjectConfirmation& sc,
                                       const ResponseExpectation& exp) {
  auto error = [](ErrorCode code, std::string detail) {
    return std::optional<core::Error>(core::Error{code, std::move(detail)});
  };
  if (!sc.data) {
    return error(ErrorCode::kMalformedMessage,
                 "bearer SubjectConfirmation has no SubjectConfirmationData");
  }
  const SubjectConfirmationData& d = *sc.data;
  if (d.not_before) {
    return error(ErrorCode::kMalformedMessage,
                 "bearer SubjectConfirmationData carries NotBefore, which the profile forbids");
  }
  if (d.recipient != exp.acs_url) {
    return error(ErrorCode::kRecipientMismatch, "SubjectConfirmationData Recipient " +
                                                    quoted(d.recipient) + " is not our ACS URL " +
                                                    quoted(exp.acs_url));
  }
  if (!d.not_on_or_after) {
    return error(ErrorCode::kMalformedMessage,
                 "bearer SubjectConfirmationData has no NotOnOrAfter");
  }
  if (expired(exp.now, *d.not_on_or_after, exp.skew_seconds)) {
    return error(ErrorCode::kExpired, "SubjectConfirmationData NotOnOrAfter " +
                                          core::formatIso8601(*d.not_on_or_after) + " has passed");
  }
  if (exp.request_id) {
    if (d.in_response_to != exp.request_id) {
      return error(ErrorCode::kInResponseToMismatch,
                   d.in_response_to
                       ? "SubjectConfirmationData InResponseTo is not our request's ID"
                       : "SubjectConfirmationData has no InResponseTo for our request");
    }
  } else if (d.in_response_to) {
    return error(ErrorCode::kInResponseToMismatch,
                 "SubjectConfirmationData InResponseTo names a request we did not send");
  }
  return std::nullopt;
}

}  // namespace

Result<ValidatedResponse> validateResponse(xmlDoc* doc, const ResponseExpectation& exp,
                                           ValidationTrace* trace) {
  Checker check(trace);
  ValidatedResponse out;

  xmlNode* root = doc != nullptr ? xmlDocGetRootElement(doc) : nullptr;
  if (!isElement(root, ns::kProtocol, "Response")) {
    return check.reject("root", ErrorCode::kMalformedMessage, "root element is not samlp:Response");
  }
  check.pass("root", "samlp:Response");

  // Whole-class defence against signature wrapping: one assertion in the whole document, so there
  // is no second element for a signature check and a reader to disagree about.
  auto assertions = findAllAssertions(doc);
  if (assertions.size() > 1) {
    return check.reject("assertion-count", ErrorCode::kMalformedMessage,
                        "document holds " + std::to_string(assertions.size()) +
                            " Assertion/EncryptedAssertion elements; exactly one is accepted");
  }

  xmlNode* response_el = root;
  if (findSignature(root) != nullptr) {
    auto verified = verifyEnvelopedSignature(root, exp.trusted_certificates);
    if (!verified) {
      return check.reject("response-signature", verified.error());
    }
    response_el = *verified;
    out.response_signed = true;
    check.pass("response-signature", "Response signature verified");
  } else {
    check.pass("response-signature", "Response is not signed");
  }

  auto response = parseResponse(response_el);
  if (!response) {
    return check.reject("response", response.error());
  }
  out.response = std::move(*response);
  check.pass("response", "Response " + quoted(out.response.id) + " is well-formed");

  // SAML2 Bindings 3.5.5.2: a signed Response must carry a Destination; any Destination must be us.
  if (out.response.destination) {
    if (*out.response.destination != exp.acs_url) {
      return check.reject("destination", ErrorCode::kDestinationMismatch,
                          "Response Destination " + quoted(*out.response.destination) +
                              " is not our ACS URL " + quoted(exp.acs_url));
    }
    check.pass("destination", "Destination is our ACS URL");
  } else if (out.response_signed) {
    return check.reject("destination", ErrorCode::kDestinationMismatch,
                        "signed Response has no Destination");
  } else {
    check.pass("destination", "no Destination on an unsigned Response");
  }

  if (!out.response.issuer.empty()) {
    if (out.response.issuer != exp.idp_entity_id) {
      return check.reject("response-issuer", ErrorCode::kIssuerMismatch,
                          "Response Issuer " + quoted(out.response.issuer) + " is not " +
                              quoted(exp.idp_entity_id));
    }
    check.pass("response-issuer", "Response Issuer is the expected IdP");
  } else {
    check.pass("response-issuer", "Response has no Issuer");
  }

  if (exp.request_id) {
    if (out.response.in_response_to != exp.request_id) {
      return check.reject("in-response-to", ErrorCode::kInResponseToMismatch,
                          out.response.in_response_to
                              ? "Response InResponseTo is not our request's ID"
                              : "Response has no InResponseTo for our request");
    }
    check.pass("in-response-to", "InResponseTo matches our request");
  } else if (out.response.in_response_to) {
    return check.reject("in-response-to", ErrorCode::kInResponseToMismatch,
                        "Response InResponseTo names a request we did not send");
  } else if (!exp.allow_unsolicited) {
    return check.reject("in-response-to", ErrorCode::kInResponseToMismatch,
                        "unsolicited Response, and unsolicited Responses are not allowed");
  } else {
    check.pass("in-response-to", "unsolicited Response allowed");
  }

  // The status is read once the Response is known to answer our request (Destination, Issuer,
  // InResponseTo): an error status reaches the caller only from the IdP we asked, about what we
  // asked, and NoPassive can then be relayed to whoever asked for a passive login.
  if (!out.response.status.isSuccess()) {
    const bool no_passive = out.response.status.code == status_code::kResponder &&
                            out.response.status.sub_code == status_code::kNoPassive;
    return check.reject("status", no_passive ? ErrorCode::kNoPassive : ErrorCode::kStatusNotSuccess,
                        "Response status is " + out.response.status.describe());
  }
  check.pass("status", "Success");

  if (assertions.empty()) {
    return check.reject("assertion-count", ErrorCode::kMalformedMessage,
                        "successful Response holds no Assertion");
  }
  check.pass("assertion-count", "exactly one assertion in the document");
  xmlNode* assertion_el = assertions.front();
  if (assertion_el->parent != response_el) {
    return check.reject("assertion-position", ErrorCode::kMalformedMessage,
                        "the assertion is not a direct child of the Response");
  }
  check.pass("assertion-position", "the assertion is a direct child of the Response");

  if (isElement(assertion_el, ns::kAssertion, "EncryptedAssertion")) {
    if (exp.decryption_keys.empty()) {
      return check.reject("decryption", ErrorCode::kDecryptionFailed,
                          "EncryptedAssertion received but no decryption key is configured");
    }
    auto decrypted = decryptAssertion(assertion_el, exp.decryption_keys);
    if (!decrypted) {
      return check.reject("decryption", decrypted.error());
    }
    assertion_el = *decrypted;
    out.assertion_encrypted = true;
    // The plaintext must not smuggle in further assertions (e.g. in Advice).
    auto after = findAllAssertions(doc);
    if (after.size() != 1 || after.front() != assertion_el || assertion_el->parent != response_el) {
      return check.reject("decryption", ErrorCode::kMalformedMessage,
                          "decrypted content holds " + std::to_string(after.size()) +
                              " assertions or is misplaced; exactly one is accepted");
    }
    check.pass("decryption", "EncryptedAssertion decrypted");
  }

  if (findSignature(assertion_el) != nullptr) {
    auto verified = verifyEnvelopedSignature(assertion_el, exp.trusted_certificates);
    if (!verified) {
      return check.reject("assertion-signature", verified.error());
    }
    assertion_el = *verified;
    out.assertion_signed = true;
    check.pass("assertion-signature", "Assertion signature verified");
  } else {
    check.pass("assertion-signature", "Assertion is not signed");
  }

  if (!out.response_signed && !out.assertion_signed) {
    return check.reject("signature-required", ErrorCode::kSignatureMissing,
                        "neither the Response nor the Assertion is signed");
  }
  if (exp.require_signed_assertion && !out.assertion_signed) {
    return check.reject("signature-required", ErrorCode::kSignatureMissing,
                        "the Assertion is not signed and a signed Assertion is required");
  }
  check.pass("signature-required",
             out.assertion_signed ? "Assertion is signed" : "Response is signed");

  auto assertion = parseAssertion(assertion_el);
  if (!assertion) {
    return check.reject("assertion", assertion.error());
  }
  out.assertion = std::move(*assertion);
  const Assertion& a = out.assertion;
  check.pass("assertion", "Assertion " + quoted(a.id) + " is well-formed");

  if (a.issuer != exp.idp_entity_id) {
    return check.reject(
        "assertion-issuer", ErrorCode::kIssuerMismatch,
        "Assertion Issuer " + quoted(a.issuer) + " is not " + quoted(exp.idp_entity_id));
  }
  check.pass("assertion-issuer", "Assertion Issuer is the expected IdP");

  // SAML2 Profiles 4.1.4.2: at least one bearer SubjectConfirmation must satisfy every rule.
  if (!a.subject) {
    return check.reject("subject-confirmation", ErrorCode::kMalformedMessage,
                        "Assertion has no Subject");
  }
  std::optional<core::Error> first_failure;
  const SubjectConfirmation* bearer = nullptr;
  for (const SubjectConfirmation& sc : a.subject->confirmations) {
    if (sc.method != kBearerMethod) {
      continue;
    }
    auto failure = checkBearer(sc, exp);
    if (!failure) {
      bearer = &sc;
      break;
    }
    if (!first_failure) {
      first_failure = std::move(failure);
    }
  }
  if (bearer == nullptr) {
    if (first_failure) {
      return check.reject("subject-confirmation", *first_failure);
    }
    return check.reject("subject-confirmation", ErrorCode::kMalformedMessage,
                        "Subject has no bearer SubjectConfirmation");
  }
  check.pass("subject-confirmation", "bearer confirmation for our ACS URL, within its window");

  UnixTime valid_until = *bearer->data->not_on_or_after;
  if (!a.conditions) {
    return check.reject("audience", ErrorCode::kAudienceMismatch,
                        "Assertion has no Conditions, hence no AudienceRestriction");
  }
  const Conditions& c = *a.conditions;
  if (c.not_before && notYetValid(exp.now, *c.not_before, exp.skew_seconds)) {
    return check.reject(
        "conditions-time", ErrorCode::kNotYetValid,
        "Conditions NotBefore " + core::formatIso8601(*c.not_before) + " is in the future");
  }
  if (c.not_on_or_after) {
    if (expired(exp.now, *c.not_on_or_after, exp.skew_seconds)) {
      return check.reject(
          "conditions-time", ErrorCode::kExpired,
          "Conditions NotOnOrAfter " + core::formatIso8601(*c.not_on_or_after) + " has passed");
    }
    valid_until = std::min(valid_until, *c.not_on_or_after);
  }
  check.pass("conditions-time", "within the Conditions window");

  // SAML2 Core 2.5.1.4: every AudienceRestriction must name us; Profiles 4.1.4.2: one must exist.
  if (c.audience_restrictions.empty()) {
    return check.reject("audience", ErrorCode::kAudienceMismatch,
                        "Assertion has no AudienceRestriction");
  }
  for (const auto& restriction : c.audience_restrictions) {
    if (std::find(restriction.begin(), restriction.end(), exp.sp_entity_id) == restriction.end()) {
      return check.reject(
          "audience", ErrorCode::kAudienceMismatch,
          "an AudienceRestriction does not include our entityID " + quoted(exp.sp_entity_id));
    }
  }
  check.pass("audience", "every AudienceRestriction includes our entityID");

  if (a.authn_statements.empty()) {
    return check.reject("authn-statement", ErrorCode::kMalformedMessage,
                        "Assertion has no AuthnStatement");
  }
  for (const AuthnStatement& s : a.authn_statements) {
    if (s.session_not_on_or_after &&
        expired(exp.now, *s.session_not_on_or_after, exp.skew_seconds)) {
      return check.reject("authn-statement", ErrorCode::kExpired,
                          "AuthnStatement SessionNotOnOrAfter " +
                              core::formatIso8601(*s.session_not_on_or_after) + " has passed");
    }
  }
  check.pass("authn-statement", "AuthnStatement present");

  // SAML2 Profiles 4.1.4.5: remember the ID for as long as the assertion could be accepted.
  if (exp.replay_cache != nullptr) {
    switch (exp.replay_cache->insert(a.id, valid_until + exp.skew_seconds, exp.now)) {
      case ReplayCache::Outcome::kFirstUse:
        break;
      case ReplayCache::Outcome::kReplay:
        return check.reject("replay", ErrorCode::kReplayed,
                            "Assertion ID " + quoted(a.id) + " was already used");
      case ReplayCache::Outcome::kFull:
        // Fail closed, but say why: nobody replayed anything, the cache has no room to remember.
        return check.reject("replay", ErrorCode::kReplayCacheFull,
                            "the replay cache is full: Assertion ID " + quoted(a.id) +
                                " cannot be remembered, so it is not accepted");
      case ReplayCache::Outcome::kUnavailable:
        return check.reject("replay", ErrorCode::kReplayCacheUnavailable,
                            "the shared replay cache does not answer: whether Assertion ID " +
                                quoted(a.id) + " was already used is unknown, so it is not accepted");
    }
    check.pass("replay", "Assertion ID seen for the first time");
  } else {
    check.pass("replay", "no replay cache configured");
  }
  return out;
}

}  // namespace garde::saml
