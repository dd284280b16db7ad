#pragma once
// Test SAML messages, built once for the tests (tests/<module>), the benchmarks (bench/) and the
// interop vector tool (tests/interop/vectors.cpp): a known-good bearer Assertion and Response, an
// AuthnRequest, signed and encrypted the way an IdP does, and what garde's SP expects of them.
// Everything is a parameter with the test values of support/constants.h as defaults; the
// *Spec structs take designated initializers:
//
//   auto xml = garde::test::signedResponseXml(goodResponse(), goodAssertion(), {});
//   auto ok = garde::test::parseAndValidate(xml, goodExpectation());
//   auto a = garde::test::bearerAssertion({.now = now, .name_id = "elv-0001"});
//
// Needs a saml::LibraryGuard in main() (tests/main.cpp, bench/bench_main.cpp). Functions that
// return a plain value throw std::runtime_error when the saml library refuses (a broken test, not
// a result; Catch2 reports it as a failure); buildSignedResponse() returns the refusal instead.

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/validate.h"
#include "saml/xml.h"
#include "support/constants.h"
#include "support/counting_random.h"
#include "support/credentials.h"

namespace garde::test {

/// The two ENT-like attributes of goodAssertion(): ENTPersonProfils (URI name format, friendly
/// name) with two values, ENTPersonStructRattach (basic) with one.
std::vector<saml::Attribute> entAttributes();

/// The eight attributes the GAR sends for a pupil, basic name format, values made up: IDO, PRO,
/// UAI, DIV, GRO (three values), NOM, PRE, P_MEL.
std::vector<saml::Attribute> garPupilAttributes();

/// What bearerAssertion() builds. Times count from `now`.
struct AssertionSpec {
  std::string id = kAssertionId;
  core::UnixTime now = kNow;  ///< IssueInstant
  std::string issuer = kIdpEntityId;
  std::string audience = kSpEntityId;  ///< AudienceRestriction, the NameID's SPNameQualifier
  std::string acs_url = kAcsUrl;       ///< SubjectConfirmationData Recipient
  std::optional<std::string> in_response_to = std::string(kRequestId);
  std::string name_id = "pseudo-7f3a9c";  ///< NameQualifier: the issuer
  std::string name_id_format = std::string(saml::name_id_format::kPersistent);
  core::UnixTime lifetime = 300;        ///< NotOnOrAfter of the Conditions and the confirmation
  core::UnixTime not_before_skew = 60;  ///< Conditions NotBefore = now - this
  core::UnixTime authn_age = 10;        ///< AuthnInstant = now - this
  std::string session_index = "_session1";
  std::optional<core::UnixTime> session_lifetime = 8 * 3600;  ///< SessionNotOnOrAfter - now
  std::vector<saml::Attribute> attributes = entAttributes();
};

/// A bearer assertion: NameID, one bearer SubjectConfirmation, Conditions with one audience, one
/// PasswordProtectedTransport AuthnStatement, the attributes.
saml::Assertion bearerAssertion(const AssertionSpec& spec = {});

/// bearerAssertion() with the defaults: for garde's SP at kNow, valid five minutes.
saml::Assertion goodAssertion(const char* id = kAssertionId,
                              const std::optional<std::string>& in_response_to = kRequestId);

/// What successResponse() builds (status Success).
struct ResponseSpec {
  std::string id = kResponseId;
  std::optional<std::string> in_response_to = std::string(kRequestId);
  core::UnixTime now = kNow;
  std::optional<std::string> destination = std::string(kAcsUrl);
  std::string issuer = kIdpEntityId;
};

saml::Response successResponse(const ResponseSpec& spec = {});

/// A Success Response to `in_response_to` (kRequestId) for kAcsUrl.
saml::Response goodResponse(const std::optional<std::string>& in_response_to = kRequestId);

/// What authnRequest() builds: an SP's AuthnRequest asking for HTTP-POST to `acs_url`.
struct AuthnRequestSpec {
  std::string id = kRequestId;
  core::UnixTime now = kNow;
  std::optional<std::string> destination = std::string(kIdpSsoUrl);
  std::string issuer = kSpEntityId;
  std::string acs_url = kAcsUrl;
  std::optional<saml::NameIDPolicy> name_id_policy = std::nullopt;
};

saml::AuthnRequest authnRequest(const AuthnRequestSpec& spec = {});

struct SignOptions {
  bool sign_assertion = true;
  bool sign_response = true;
  bool encrypt_assertion = false;
  const saml::Credential* signer = nullptr;      ///< default testIdpCredential()
  const saml::Certificate* recipient = nullptr;  ///< encrypted for; default testSpCredential()
};

/// Builds the Response with `assertions` as direct children, signs each assertion, encrypts it
/// if asked, then signs the Response if asked. Returns the library's refusal as it is.
core::Result<saml::XmlDoc> buildSignedResponse(const saml::Response& response,
                                               const std::vector<saml::Assertion>& assertions,
                                               const SignOptions& options = {});

/// buildSignedResponse(), throwing on a refusal.
saml::XmlDoc signedResponseDoc(const saml::Response& response,
                               const std::vector<saml::Assertion>& assertions,
                               const SignOptions& options = {});

/// signedResponseDoc() serialized, as it would arrive in SAMLResponse (before base64).
std::string signedResponseXml(const saml::Response& response, const saml::Assertion& assertion,
                              const SignOptions& options = {});

/// The good response, both the Response and the Assertion signed.
std::string goodResponseXml();

/// What garde's SP expects of goodResponse()/goodAssertion() at kNow, trusting `trusted` and
/// decrypting with `decryption_key`.
saml::ResponseExpectation expectationFor(const saml::Certificate& trusted,
                                         const saml::PrivateKey& decryption_key);

/// expectationFor(testIdpCredential().cert, testSpCredential().key).
saml::ResponseExpectation goodExpectation();

/// Parses `xml` as untrusted input and validates it; parse errors are returned as they are.
core::Result<saml::ValidatedResponse> parseAndValidate(const std::string& xml,
                                                       const saml::ResponseExpectation& e,
                                                       saml::ValidationTrace* trace = nullptr);

}  // namespace garde::test
