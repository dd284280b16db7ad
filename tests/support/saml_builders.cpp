#include "support/saml_builders.h"

#include <libxml/tree.h>

#include <stdexcept>
#include <utility>

#include "core/random.h"
#include "saml/encryption.h"
#include "saml/signature.h"

namespace garde::test {

namespace {

saml::Attribute basic(const char* name, std::vector<std::string> values) {
  return saml::Attribute{name, std::string(saml::attribute_name_format::kBasic), "",
                         std::move(values)};
}

}  // namespace

std::vector<saml::Attribute> entAttributes() {
  return {saml::Attribute{"urn:oid:1.3.6.1.4.1.20830.1.1.1",
                          std::string(saml::attribute_name_format::kUri),
                          "ENTPersonProfils",
                          {"National_ELV", "National_ENS"}},
          basic("ENTPersonStructRattach", {"0750001A"})};
}

std::vector<saml::Attribute> garPupilAttributes() {
  return {
      basic("IDO", {"f3a9c2e17b6d4e2a9c8b1d2e3f4a5b6c0d1e2f3a"}),
      basic("PRO", {"National_ELV"}),
      basic("UAI", {"0750001A"}),
      basic("DIV", {"0750001A##3A##3EME A"}),
      basic("GRO", {"0750001A##3A-ANG1##ANGLAIS LV1 GROUPE 1",
                    "0750001A##3A-ESP2##ESPAGNOL LV2 GROUPE 2", "0750001A##3A-LAT##LATIN"}),
      basic("NOM", {"Dupont-Lefèvre"}),
      basic("PRE", {"Émilie"}),
      basic("P_MEL", {"emilie.dupont-lefevre@ac-paris.fr"}),
  };
}

saml::Assertion bearerAssertion(const AssertionSpec& spec) {
  saml::Assertion a;
  a.id = spec.id;
  a.issue_instant = spec.now;
  a.issuer = spec.issuer;
  saml::Subject subject;
  subject.name_id = saml::NameID{spec.name_id, spec.name_id_format, spec.issuer, spec.audience};
  saml::SubjectConfirmation sc;
  sc.data = saml::SubjectConfirmationData{std::nullopt, spec.now + spec.lifetime, spec.acs_url,
                                          spec.in_response_to};
  subject.confirmations.push_back(sc);
  a.subject = subject;
  saml::Conditions c;
  c.not_before = spec.now - spec.not_before_skew;
  c.not_on_or_after = spec.now + spec.lifetime;
  c.audience_restrictions = {{spec.audience}};
  a.conditions = c;
  std::optional<core::UnixTime> session_not_on_or_after;
  if (spec.session_lifetime) {
    session_not_on_or_after = spec.now + *spec.session_lifetime;
  }
  a.authn_statements.push_back(
      saml::AuthnStatement{spec.now - spec.authn_age, spec.session_index, session_not_on_or_after,
                           std::string(saml::authn_context::kPasswordProtectedTransport)});
  a.attributes = spec.attributes;
  return a;
}

saml::Assertion goodAssertion(const char* id, const std::optional<std::string>& in_response_to) {
  return bearerAssertion({.id = id, .in_response_to = in_response_to});
}

saml::Response successResponse(const ResponseSpec& spec) {
  saml::Response r;
  r.id = spec.id;
  r.in_response_to = spec.in_response_to;
  r.issue_instant = spec.now;
  r.destination = spec.destination;
  r.issuer = spec.issuer;
  return r;
}

saml::Response goodResponse(const std::optional<std::string>& in_response_to) {
  return successResponse({.in_response_to = in_response_to});
}

saml::AuthnRequest authnRequest(const AuthnRequestSpec& spec) {
  saml::AuthnRequest r;
  r.id = spec.id;
  r.issue_instant = spec.now;
  r.destination = spec.destination;
  r.issuer = spec.issuer;
  r.assertion_consumer_service_url = spec.acs_url;
  r.protocol_binding = std::string(saml::binding::kHttpPost);
  r.name_id_policy = spec.name_id_policy;
  return r;
}

core::Result<saml::XmlDoc> buildSignedResponse(const saml::Response& response,
                                               const std::vector<saml::Assertion>& assertions,
                                               const SignOptions& options) {
  GARDE_ASSIGN_OR_RETURN(saml::XmlDoc doc, saml::buildResponse(response, assertions));
  const bool signs = options.sign_assertion || options.sign_response;
  const saml::Credential* signer =
      options.signer != nullptr ? options.signer : (signs ? &testIdpCredential() : nullptr);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  for (xmlNode* a : saml::childElements(root, saml::ns::kAssertion, "Assertion")) {
    if (options.sign_assertion) {
      GARDE_TRY(saml::signElement(a, *signer));
    }
    if (options.encrypt_assertion) {
      GARDE_TRY(saml::encryptAssertion(
          a, options.recipient != nullptr ? *options.recipient : testSpCredential().cert,
          core::systemRandom()));
    }
  }
  if (options.sign_response) {
    GARDE_TRY(saml::signElement(root, *signer));
  }
  return doc;
}

saml::XmlDoc signedResponseDoc(const saml::Response& response,
                               const std::vector<saml::Assertion>& assertions,
                               const SignOptions& options) {
  auto doc = buildSignedResponse(response, assertions, options);
  if (!doc) {
    throw std::runtime_error("cannot build the test Response: " + doc.error().describe());
  }
  return std::move(doc).value();
}

std::string signedResponseXml(const saml::Response& response, const saml::Assertion& assertion,
                              const SignOptions& options) {
  auto doc = signedResponseDoc(response, {assertion}, options);
  return saml::serialize(doc.get());
}

std::string goodResponseXml() { return signedResponseXml(goodResponse(), goodAssertion()); }

saml::ResponseExpectation expectationFor(const saml::Certificate& trusted,
                                         const saml::PrivateKey& decryption_key) {
  saml::ResponseExpectation e;
  e.trusted_certificates = {trusted};
  e.idp_entity_id = kIdpEntityId;
  e.sp_entity_id = kSpEntityId;
  e.acs_url = kAcsUrl;
  e.request_id = kRequestId;
  e.now = kNow;
  e.decryption_keys = {decryption_key};
  return e;
}

saml::ResponseExpectation goodExpectation() {
  return expectationFor(testIdpCredential().cert, testSpCredential().key);
}

core::Result<saml::ValidatedResponse> parseAndValidate(const std::string& xml,
                                                       const saml::ResponseExpectation& e,
                                                       saml::ValidationTrace* trace) {
  GARDE_ASSIGN_OR_RETURN(saml::XmlDoc doc, saml::parseUntrusted(xml));
  return saml::validateResponse(doc.get(), e, trace);
}

}  // namespace garde::test
