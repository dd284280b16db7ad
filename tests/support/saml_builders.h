#pragma once
// Test helpers for SAML: test credentials, a known-good Assertion/Response and expectation, and
// signing/serializing them the way an IdP does. Header-only; needs the LibraryGuard of
// tests/main.cpp.
//
//   auto xml = garde::test::signedResponseXml(goodResponse(), goodAssertion(), {});
//   auto doc = parseUntrusted(xml);
//   auto ok = validateResponse(doc->get(), goodExpectation());

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/time.h"
#include "saml/encryption.h"
#include "saml/keys.h"
#include "saml/messages.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"

namespace garde::test {

inline constexpr core::UnixTime kNow = 1795456800;  // 2026-11-23T18:00:00Z
inline constexpr const char* kIdpEntityId = "https://ent.example.org/idp";
inline constexpr const char* kSpEntityId = "https://garde.example.org/sp";
inline constexpr const char* kAcsUrl = "https://garde.example.org/sp/acs";
inline constexpr const char* kRequestId = "_req0123456789abcdef0123456789abcdef01234567";
inline constexpr const char* kResponseId = "_resp123456789abcdef0123456789abcdef0123456";
inline constexpr const char* kAssertionId = "_asrt123456789abcdef0123456789abcdef0123456";

inline saml::Credential makeCredential(const char* common_name) {
  auto key = saml::PrivateKey::generateRsa(2048);
  auto cert = saml::selfSign(key, common_name, kNow - 86400, core::systemRandom());
  return saml::Credential{key, cert};
}

/// The ENT IdP's signing credential (generated once per test run).
inline const saml::Credential& testIdpCredential() {
  static const saml::Credential cred = makeCredential("test idp");
  return cred;
}

/// garde's SP credential (decryption key for EncryptedAssertion).
inline const saml::Credential& testSpCredential() {
  static const saml::Credential cred = makeCredential("test sp");
  return cred;
}

/// An ECDSA P-256 IdP credential (generated once per test run).
inline const saml::Credential& testEcCredential() {
  static const saml::Credential cred = [] {
    auto key = saml::PrivateKey::generateEcP256();
    return saml::Credential{key,
                            saml::selfSign(key, "test ec idp", kNow - 86400, core::systemRandom())};
  }();
  return cred;
}

/// A key nobody trusts.
inline const saml::Credential& attackerCredential() {
  static const saml::Credential cred = makeCredential("attacker");
  return cred;
}

/// Deterministic core::Random: bytes from a counter.
class CountingRandom final : public core::Random {
 public:
  std::string bytes(std::size_t n) override {
    std::string out(n, '\0');
    for (char& c : out) {
      c = static_cast<char>(counter_++ & 0xff);
    }
    return out;
  }

 private:
  std::uint64_t counter_ = 1;
};

/// A bearer assertion for garde's SP issued at kNow, valid five minutes, with ENT-like attributes.
inline saml::Assertion goodAssertion(
    const char* id = kAssertionId, const std::optional<std::string>& in_response_to = kRequestId) {
  saml::Assertion a;
  a.id = id;
  a.issue_instant = kNow;
  a.issuer = kIdpEntityId;
  saml::Subject subject;
  subject.name_id = saml::NameID{"pseudo-7f3a9c", std::string(saml::name_id_format::kPersistent),
                                 kIdpEntityId, kSpEntityId};
  saml::SubjectConfirmation sc;
  sc.data = saml::SubjectConfirmationData{std::nullopt, kNow + 300, kAcsUrl, in_response_to};
  subject.confirmations.push_back(sc);
  a.subject = subject;
  saml::Conditions c;
  c.not_before = kNow - 60;
  c.not_on_or_after = kNow + 300;
  c.audience_restrictions = {{kSpEntityId}};
  a.conditions = c;
  a.authn_statements.push_back(
      saml::AuthnStatement{kNow - 10, "_session1", kNow + 8 * 3600,
                           std::string(saml::authn_context::kPasswordProtectedTransport)});
  a.attributes.push_back(saml::Attribute{"urn:oid:1.3.6.1.4.1.20830.1.1.1",
                                         std::string(saml::attribute_name_format::kUri),
                                         "ENTPersonProfils",
                                         {"National_ELV", "National_ENS"}});
  a.attributes.push_back(saml::Attribute{"ENTPersonStructRattach",
                                         std::string(saml::attribute_name_format::kBasic),
                                         "",
                                         {"0750001A"}});
  return a;
}

/// A Success Response to kRequestId for kAcsUrl.
inline saml::Response goodResponse(const std::optional<std::string>& in_response_to = kRequestId) {
  saml::Response r;
  r.id = kResponseId;
  r.in_response_to = in_response_to;
  r.issue_instant = kNow;
  r.destination = kAcsUrl;
  r.issuer = kIdpEntityId;
  return r;
}

/// What garde's SP expects of goodResponse()/goodAssertion() at kNow.
inline saml::ResponseExpectation goodExpectation() {
  saml::ResponseExpectation e;
  e.trusted_certificates = {testIdpCredential().cert};
  e.idp_entity_id = kIdpEntityId;
  e.sp_entity_id = kSpEntityId;
  e.acs_url = kAcsUrl;
  e.request_id = kRequestId;
  e.now = kNow;
  e.decryption_keys = {testSpCredential().key};
  return e;
}

struct SignOptions {
  bool sign_assertion = true;
  bool sign_response = true;
  bool encrypt_assertion = false;
  const saml::Credential* signer = nullptr;  ///< default testIdpCredential()
};

/// Builds the response in place (assertions as direct children), signs the assertions, encrypts
/// them for testSpCredential() if asked, then signs the Response. Returns the document.
inline saml::XmlDoc signedResponseDoc(const saml::Response& response,
                                      const std::vector<saml::Assertion>& assertions,
                                      const SignOptions& options = {}) {
  const saml::Credential& signer = options.signer ? *options.signer : testIdpCredential();
  auto doc = saml::buildResponse(response, assertions);
  REQUIRE(doc.has_value());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  for (xmlNode* a : saml::childElements(root, saml::ns::kAssertion, "Assertion")) {
    if (options.sign_assertion) {
      REQUIRE(saml::signElement(a, signer).has_value());
    }
    if (options.encrypt_assertion) {
      REQUIRE(saml::encryptAssertion(a, testSpCredential().cert, core::systemRandom()).has_value());
    }
  }
  if (options.sign_response) {
    REQUIRE(saml::signElement(root, signer).has_value());
  }
  return std::move(doc).value();
}

/// signedResponseDoc() serialized, as it would arrive in SAMLResponse (before base64).
inline std::string signedResponseXml(const saml::Response& response,
                                     const saml::Assertion& assertion,
                                     const SignOptions& options = {}) {
  auto doc = signedResponseDoc(response, {assertion}, options);
  return saml::serialize(doc.get());
}

/// The good response, both the Response and the Assertion signed.
inline std::string goodResponseXml() { return signedResponseXml(goodResponse(), goodAssertion()); }

/// Parses `xml` as untrusted input and validates it; parse errors are returned as they are.
inline core::Result<saml::ValidatedResponse> parseAndValidate(
    const std::string& xml, const saml::ResponseExpectation& e,
    saml::ValidationTrace* trace = nullptr) {
  auto doc = saml::parseUntrusted(xml);
  if (!doc) {
    return core::fail(doc.error());
  }
  return saml::validateResponse(doc->get(), e, trace);
}

}  // namespace garde::test
