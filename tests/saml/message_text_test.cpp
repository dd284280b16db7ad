// The Response written as text (saml/message_text.h) against the tree path it replaces on the
// launch path (buildResponse, signElement, serialize): for every shape of assertion the two
// documents must have the same canonical form byte for byte (RSA PKCS#1 v1.5 signatures are
// deterministic, so the SignatureValue is compared too), the text must verify through both
// verification paths and parse back to exactly the assertion it was written from, and bad input
// must fail the same way.

#include "saml/message_text.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "message_shapes.h"
#include "saml/encryption.h"
#include "saml/signature.h"
#include "saml/signature_internal.h"
#include "saml/xml.h"
#include "support/counting_random.h"
#include "support/saml_builders.h"

using garde::core::ErrorCode;
using namespace garde::saml;
namespace test = garde::test;
using garde::test::shapes::canonicalDocument;
using garde::test::shapes::treeResponse;

namespace {

/// The assertion of `xml`, verified with `trusted` through both verification paths, parsed.
Assertion verifiedAssertion(const std::string& xml, const Credential& trusted) {
  auto doc = parseUntrusted(xml);
  REQUIRE(doc.has_value());
  xmlNode* assertion =
      firstChildElement(xmlDocGetRootElement(doc->get()), ns::kAssertion, "Assertion");
  REQUIRE(assertion != nullptr);
  CHECK(internal::usesDirectVerification(assertion));
  REQUIRE(verifyEnvelopedSignature(assertion, {trusted.cert}).has_value());
  REQUIRE(internal::verifyEnvelopedSignatureWithXmlsec(assertion, {trusted.cert}).has_value());
  CHECK(verifyEnvelopedSignature(assertion, {test::attackerCredential().cert}).error().code ==
        ErrorCode::kSignatureInvalid);
  auto parsed = parseAssertion(assertion);
  REQUIRE(parsed.has_value());
  return *parsed;
}

// Every character canonical XML escapes, in text and in attributes, markup that would break out of
// the element or the attribute if it were not escaped, and non-ASCII text.
const std::string kHostile =
    "a&b<c>d\"e'f\tg\nh\ri]]>j</saml:AttributeValue><saml:AttributeValue>k\" x=\"1 éè€𝄞";

struct Shape {
  const char* name;
  std::function<void(Response&, Assertion&)> change;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> all = {
      {"the publisher Response of a launch", [](Response&, Assertion&) {}},
      {"no attributes (no xs, no xsi)", [](Response&, Assertion& a) { a.attributes.clear(); }},
      {"hostile values everywhere",
       [](Response& r, Assertion& a) {
         r.destination = "https://sp.example.org/acs?a=1&b=" + kHostile;
         r.in_response_to = "_r" + kHostile;
         r.issuer = kHostile;
         a.issuer = "https://idp/" + kHostile;
         a.subject->name_id->value = kHostile;
         a.subject->name_id->name_qualifier = kHostile;
         a.subject->confirmations[0].data->recipient = kHostile;
         a.conditions->audience_restrictions = {{kHostile, "b"}, {"c"}};
         a.authn_statements[0].session_index = kHostile;
         a.authn_statements[0].authn_context_class_ref = kHostile;
         a.attributes[0].values = {kHostile, "", " leading and trailing spaces "};
         a.attributes[1].friendly_name = kHostile;
         a.attributes[1].name = "urn:x:" + kHostile;
       }},
      {"optional parts absent",
       [](Response& r, Assertion& a) {
         r.destination.reset();
         r.in_response_to.reset();
         r.issuer.clear();
         a.subject->name_id->format.clear();
         a.subject->name_id->name_qualifier.clear();
         a.subject->name_id->sp_name_qualifier.clear();
         a.subject->confirmations[0].data->in_response_to.reset();
         a.subject->confirmations[0].data->recipient.clear();
         a.conditions->not_before.reset();
         a.authn_statements[0].session_index.clear();
         a.authn_statements[0].session_not_on_or_after.reset();
         a.authn_statements[0].authn_context_class_ref.clear();
         a.attributes[0].name_format.clear();
         a.attributes[0].friendly_name.clear();
       }},
      {"no subject, conditions or statements",
       [](Response&, Assertion& a) {
         a.subject.reset();
         a.conditions.reset();
         a.authn_statements.clear();
       }},
      {"everything the builder can write",
       [](Response& r, Assertion& a) {
         r.status = Status{std::string(status_code::kSuccess), "urn:x:sub", "a message & more"};
         a.subject->confirmations[0].data->not_before = test::kNow - 5;
         a.subject->confirmations.push_back(
             SubjectConfirmation{"urn:oasis:names:tc:SAML:2.0:cm:holder-of-key", std::nullopt});
         a.conditions->one_time_use = true;
         a.conditions->proxy_restriction_count = 2;
         a.authn_statements.push_back(AuthnStatement{test::kNow - 1, "", std::nullopt, ""});
         a.attributes.push_back(Attribute{"EMPTY", "", "", {}});
       }},
  };
  return all;
}

}  // namespace

TEST_CASE("The Response written as text has the tree path's canonical form, byte for byte",
          "[saml][message_text]") {
  const auto& credential = test::testIdpCredential();
  for (const Shape& shape : shapes()) {
    INFO(shape.name);
    Response r = test::goodResponse();
    Assertion a = test::goodAssertion();
    shape.change(r, a);
    const std::string tree = treeResponse(r, a, credential);
    auto text = writeResponseWithSignedAssertion(r, a, credential);
    REQUIRE(text.has_value());
    CHECK(canonicalDocument(*text) == canonicalDocument(tree));
    CHECK(verifiedAssertion(*text, credential) == a);
    // On the wire xsi is declared once, on the Assertion, as the tree path does: the text is not
    // longer than the tree's serialization but for end tags of empty elements.
    std::size_t xsi_declarations = 0;
    for (auto at = text->find("xmlns:xsi="); at != std::string::npos;
         at = text->find("xmlns:xsi=", at + 1)) {
      ++xsi_declarations;
    }
    CHECK(xsi_declarations == (a.attributes.empty() ? 0U : 1U));
    CHECK(text->size() < tree.size() + 300);
    auto doc = parseUntrusted(*text);
    REQUIRE(doc.has_value());
    auto response = parseResponse(xmlDocGetRootElement(doc->get()));
    REQUIRE(response.has_value());
    CHECK(*response == r);
  }
}

TEST_CASE("The Response written as text is signed with ECDSA for an EC key, and verifies",
          "[saml][message_text]") {
  const auto& credential = test::testEcCredential();
  const Assertion a = test::goodAssertion();
  auto text = writeResponseWithSignedAssertion(test::goodResponse(), a, credential);
  REQUIRE(text.has_value());
  CHECK(text->find(std::string(algorithmUri(SignatureAlgorithm::kEcdsaSha256))) !=
        std::string::npos);
  CHECK(verifiedAssertion(*text, credential) == a);
}

TEST_CASE("A change to any signed byte of the text breaks its signature", "[saml][message_text]") {
  const auto& credential = test::testIdpCredential();
  auto text =
      writeResponseWithSignedAssertion(test::goodResponse(), test::goodAssertion(), credential);
  REQUIRE(text.has_value());
  for (const std::string& from : {std::string(">National_ELV<"), std::string("\"_session1\""),
                                  std::string(">pseudo-7f3a9c<")}) {
    INFO(from);
    std::string tampered = *text;
    const auto at = tampered.find(from);
    REQUIRE(at != std::string::npos);
    tampered[at + 2] ^= 0x01;
    auto doc = parseUntrusted(tampered);
    REQUIRE(doc.has_value());
    xmlNode* assertion =
        firstChildElement(xmlDocGetRootElement(doc->get()), ns::kAssertion, "Assertion");
    CHECK(verifyEnvelopedSignature(assertion, {credential.cert}).error().code ==
          ErrorCode::kSignatureInvalid);
    CHECK(internal::verifyEnvelopedSignatureWithXmlsec(assertion, {credential.cert}).error().code ==
          ErrorCode::kSignatureInvalid);
  }
}

TEST_CASE("Bad input fails the text path as it fails the tree path", "[saml][message_text]") {
  struct Bad {
    const char* name;
    std::function<void(Response&, Assertion&)> change;
    ErrorCode code;
  };
  const std::vector<Bad> cases = {
      {"control character in a value",
       [](Response&, Assertion& a) {
         a.attributes[0].values[0] =
             "a\x01"
             "b";
       },
       ErrorCode::kBadEncoding},
      {"invalid UTF-8 in the NameID",
       [](Response&, Assertion& a) { a.subject->name_id->value = "\xff\xfe"; },
       ErrorCode::kBadEncoding},
      {"surrogate in an attribute", [](Response&, Assertion& a) { a.issuer = "\xed\xa0\x80"; },
       ErrorCode::kBadEncoding},
      {"invalid UTF-8 in the Response's Destination",
       [](Response& r, Assertion&) { r.destination = "https://x/\xc0\xaf"; },
       ErrorCode::kBadEncoding},
      {"assertion without ID", [](Response&, Assertion& a) { a.id.clear(); },
       ErrorCode::kMalformedMessage},
      {"Response without ID", [](Response& r, Assertion&) { r.id.clear(); },
       ErrorCode::kMalformedMessage},
      {"assertion without Issuer", [](Response&, Assertion& a) { a.issuer.clear(); },
       ErrorCode::kMalformedMessage},
      {"NameID without value", [](Response&, Assertion& a) { a.subject->name_id->value.clear(); },
       ErrorCode::kMalformedMessage},
      {"attribute without Name", [](Response&, Assertion& a) { a.attributes[1].name.clear(); },
       ErrorCode::kMalformedMessage},
  };
  for (const Bad& bad : cases) {
    INFO(bad.name);
    Response r = test::goodResponse();
    Assertion a = test::goodAssertion();
    bad.change(r, a);
    auto tree = buildResponse(r, {a});
    REQUIRE_FALSE(tree.has_value());
    auto text = writeResponseWithSignedAssertion(r, a, test::testIdpCredential());
    REQUIRE_FALSE(text.has_value());
    CHECK(text.error().code == bad.code);
    CHECK(tree.error().code == bad.code);
  }
}

namespace {

/// The document of `xml` with its EncryptedAssertion decrypted in place by `recipient`.
XmlDoc decryptedDocument(const std::string& xml, const Credential& recipient) {
  auto doc = parseUntrusted(xml);
  REQUIRE(doc.has_value());
  xmlNode* encrypted =
      firstChildElement(xmlDocGetRootElement(doc->get()), ns::kAssertion, "EncryptedAssertion");
  REQUIRE(encrypted != nullptr);
  auto decrypted = decryptAssertion(encrypted, {recipient.key});
  REQUIRE(decrypted.has_value());
  return std::move(doc).value();
}

/// The canonical form of `xml` with every CipherValue emptied: RSA-OAEP draws its own padding, so
/// only the structure around the ciphertexts can be compared.
std::string structureOf(const std::string& xml) {
  std::string c14n = canonicalDocument(xml);
  const std::string open = "<xenc:CipherValue>";
  for (auto at = c14n.find(open); at != std::string::npos; at = c14n.find(open, at + 1)) {
    const auto end = c14n.find('<', at + open.size());
    c14n.erase(at + open.size(), end - at - open.size());
  }
  return c14n;
}

}  // namespace

TEST_CASE("The Response with an encrypted assertion written as text is the tree path's, decrypted",
          "[saml][message_text][encryption]") {
  const auto& signing = test::testIdpCredential();
  const auto& recipient = test::testSpCredential();
  for (const Shape& shape : shapes()) {
    INFO(shape.name);
    Response r = test::goodResponse();
    Assertion a = test::goodAssertion();
    shape.change(r, a);
    // The tree path the text replaces (connectors/publisher before it): build, sign, encrypt.
    test::CountingRandom tree_random;
    auto tree_doc = buildResponse(r, {a});
    REQUIRE(tree_doc.has_value());
    xmlNode* tree_assertion =
        firstChildElement(xmlDocGetRootElement(tree_doc->get()), ns::kAssertion, "Assertion");
    REQUIRE(signElement(tree_assertion, signing).has_value());
    REQUIRE(encryptAssertion(tree_assertion, recipient.cert, tree_random).has_value());
    const std::string tree = serialize(tree_doc->get());

    test::CountingRandom text_random;
    auto text = writeResponseWithEncryptedAssertion(r, a, signing, recipient.cert, text_random);
    REQUIRE(text.has_value());
    // The same random draws (content key, then nonce) and the same elements around them.
    CHECK(text_random.bytes(8) == tree_random.bytes(8));
    CHECK(structureOf(*text) == structureOf(tree));
    CHECK(text->find("<saml:Assertion") == std::string::npos);
    // Decrypted, the two documents are the same byte for byte in canonical form, and the
    // assertion is the one written, verified by both verification paths.
    const XmlDoc from_text = decryptedDocument(*text, recipient);
    const XmlDoc from_tree = decryptedDocument(tree, recipient);
    const std::string text_plain = serialize(from_text.get());
    CHECK(canonicalDocument(text_plain) == canonicalDocument(serialize(from_tree.get())));
    CHECK(verifiedAssertion(text_plain, signing) == a);
    auto response = parseResponse(xmlDocGetRootElement(from_text.get()));
    REQUIRE(response.has_value());
    CHECK(*response == r);
  }
}

TEST_CASE("The encrypted text path refuses a recipient key that is not RSA, as the tree path",
          "[saml][message_text][encryption]") {
  test::CountingRandom random;
  auto text = writeResponseWithEncryptedAssertion(test::goodResponse(), test::goodAssertion(),
                                                  test::testIdpCredential(),
                                                  test::testEcCredential().cert, random);
  REQUIRE_FALSE(text.has_value());
  CHECK(text.error().code == ErrorCode::kAlgorithmForbidden);
  auto bad = test::goodAssertion();
  bad.id.clear();
  auto missing_id = writeResponseWithEncryptedAssertion(
      test::goodResponse(), bad, test::testIdpCredential(), test::testSpCredential().cert, random);
  REQUIRE_FALSE(missing_id.has_value());
  CHECK(missing_id.error().code == ErrorCode::kMalformedMessage);
}

TEST_CASE("The AuthnRequest written as text is the tree path's document", "[saml][message_text]") {
  AuthnRequest base;
  base.id = test::kRequestId;
  base.issue_instant = test::kNow;
  base.destination = "https://ent.example.org/idp/sso";
  base.issuer = test::kSpEntityId;
  base.assertion_consumer_service_url = test::kAcsUrl;
  base.protocol_binding = std::string(binding::kHttpPost);
  std::vector<std::pair<const char*, AuthnRequest>> shapes;
  shapes.emplace_back("the ENT leg's request", base);
  AuthnRequest full = base;
  full.force_authn = true;
  full.is_passive = true;
  full.assertion_consumer_service_index = 3;
  full.provider_name = kHostile;
  full.destination = "https://ent.example.org/sso?x=1&y=" + kHostile;
  full.issuer = kHostile;
  full.name_id_policy = NameIDPolicy{std::string(name_id_format::kPersistent), kHostile, false};
  full.requested_authn_context = RequestedAuthnContext{"minimum", {kHostile, "urn:x"}};
  shapes.emplace_back("every field, hostile values", full);
  AuthnRequest bare;
  bare.id = "_bare";
  bare.issue_instant = test::kNow;
  bare.name_id_policy = NameIDPolicy{};
  bare.requested_authn_context = RequestedAuthnContext{"", {"urn:x"}};
  shapes.emplace_back("only what is required, an empty policy, no Comparison", bare);
  for (const auto& [name, request] : shapes) {
    INFO(name);
    auto tree = buildAuthnRequest(request);
    REQUIRE(tree.has_value());
    auto text = writeAuthnRequest(request);
    REQUIRE(text.has_value());
    CHECK(canonicalDocument(*text) == canonicalDocument(serialize(tree->get())));
    auto doc = parseUntrusted(*text);
    REQUIRE(doc.has_value());
    auto parsed = parseAuthnRequest(xmlDocGetRootElement(doc->get()));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == request);
  }

  AuthnRequest bad = base;
  bad.id.clear();
  CHECK(writeAuthnRequest(bad).error().code == ErrorCode::kMalformedMessage);
  CHECK(buildAuthnRequest(bad).error().code == ErrorCode::kMalformedMessage);
  bad = base;
  bad.assertion_consumer_service_url = "https://x/\x01";
  CHECK(writeAuthnRequest(bad).error().code == ErrorCode::kBadEncoding);
  CHECK(buildAuthnRequest(bad).error().code == ErrorCode::kBadEncoding);
}
