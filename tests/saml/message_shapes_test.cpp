// The two writers of each launch message (tree and text) and the two signature verifiers (direct
// and xmlsec) held to each other over every generated shape (message_shapes.h): the writers give
// byte for byte the same exclusive canonical form, and the verifiers accept the honest signed
// message and refuse the same tampered variants with the same error code. A field added to the
// writers' input structs without the generator fails the first test case.

#include "message_shapes.h"

#include <algorithm>
#include <boost/pfr.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <string>
#include <typeindex>
#include <vector>

#include "saml/message_text.h"
#include "saml/signature.h"
#include "saml/signature_internal.h"
#include "support/saml_builders.h"

using garde::core::ErrorCode;
using namespace garde::saml;
using namespace garde::test::shapes;
namespace test = garde::test;

namespace {

template <class S>
void checkCovered(const char* struct_name) {
  const S object{};
  std::set<const void*> covered;
  std::size_t entries = 0;
  for (const Member& m : coveredMembers()) {
    if (m.owner == std::type_index(typeid(S))) {
      covered.insert(m.address(&object));
      ++entries;
    }
  }
  INFO(struct_name);
  CHECK(entries == boost::pfr::tuple_size_v<S>);
  boost::pfr::for_each_field(object, [&](const auto& field, std::size_t index) {
    INFO("member #" << index << " of " << struct_name << " has no entry in the field tables");
    CHECK(covered.count(&field) == 1);
  });
}

// Where two long texts first differ, with some context; empty when they are equal.
std::string firstDifference(const std::string& a, const std::string& b) {
  if (a == b) {
    return {};
  }
  std::size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) {
    ++at;
  }
  const std::size_t from = at < 80 ? 0 : at - 80;
  return "at byte " + std::to_string(at) + ":\n  " + a.substr(from, 160) + "\n  " +
         b.substr(from, 160);
}

XmlDoc parsed(const std::string& xml) {
  auto doc = parseUntrusted(xml, shapeLimits());
  REQUIRE(doc.has_value());
  return std::move(doc).value();
}

// `doc` serialized and parsed again, as it would arrive.
XmlDoc reparsed(xmlDoc* doc) { return parsed(serialize(doc)); }

xmlNode* assertionOf(xmlDoc* doc) {
  xmlNode* assertion = firstChildElement(xmlDocGetRootElement(doc), ns::kAssertion, "Assertion");
  REQUIRE(assertion != nullptr);
  return assertion;
}

// Both verifiers on `element`: both accept, returning `element`, or both refuse with `refusal`.
void checkVerifiers(xmlNode* element, const std::vector<Certificate>& trusted,
                    std::optional<ErrorCode> refusal) {
  const auto direct = verifyEnvelopedSignature(element, trusted);
  const auto xmlsec = internal::verifyEnvelopedSignatureWithXmlsec(element, trusted);
  if (!direct) {
    UNSCOPED_INFO("direct: " << direct.error().describe());
  }
  if (!xmlsec) {
    UNSCOPED_INFO("xmlsec: " << xmlsec.error().describe());
  }
  REQUIRE(direct.has_value() == xmlsec.has_value());
  if (refusal) {
    REQUIRE_FALSE(direct.has_value());
    CHECK(direct.error().code == *refusal);
    CHECK(xmlsec.error().code == *refusal);
  } else {
    REQUIRE(direct.has_value());
    CHECK(*direct == element);
    CHECK(*xmlsec == element);
  }
}

// The last non-blank text inside `element`, outside its ds:Signature; nullptr if none.
xmlNode* lastSignedText(xmlNode* element) {
  xmlNode* last = nullptr;
  std::vector<xmlNode*> stack{element};
  while (!stack.empty()) {
    xmlNode* node = stack.back();
    stack.pop_back();
    if (node->type == XML_TEXT_NODE && xmlIsBlankNode(node) == 0) {
      last = node;
    }
    if (node->type == XML_ELEMENT_NODE && !isElement(node, ns::kDsig, "Signature")) {
      for (xmlNode* c = node->last; c != nullptr; c = c->prev) {
        stack.push_back(c);
      }
    }
  }
  return last;
}

// The element `signed_element` finds in `xml` with values changed after signing, or checked
// with an untrusted key: refused by both verifiers for the same reason.
void checkTamperedValues(const std::string& xml, xmlNode* (*signed_element)(xmlDoc*),
                         const Credential& signer) {
  const std::vector<Certificate> trusted{signer.cert};
  if (XmlDoc doc = parsed(xml);
      xmlNode* issuer = firstChildElement(signed_element(doc.get()), ns::kAssertion, "Issuer")) {
    INFO("the Issuer changed after signing");
    xmlNodeAddContent(issuer, BAD_CAST "x");
    XmlDoc tampered = reparsed(doc.get());
    checkVerifiers(signed_element(tampered.get()), trusted, ErrorCode::kSignatureInvalid);
  }
  if (XmlDoc doc = parsed(xml); xmlNode* text = lastSignedText(signed_element(doc.get()))) {
    INFO("the last signed text changed after signing");
    xmlNodeAddContent(text, BAD_CAST "x");
    XmlDoc tampered = reparsed(doc.get());
    checkVerifiers(signed_element(tampered.get()), trusted, ErrorCode::kSignatureInvalid);
  }
  {
    INFO("IssueInstant changed after signing");
    XmlDoc doc = parsed(xml);
    xmlSetProp(signed_element(doc.get()), BAD_CAST "IssueInstant", BAD_CAST "2001-02-03T04:05:06Z");
    XmlDoc tampered = reparsed(doc.get());
    checkVerifiers(signed_element(tampered.get()), trusted, ErrorCode::kSignatureInvalid);
  }
  {
    INFO("a key nobody trusts");
    XmlDoc doc = parsed(xml);
    checkVerifiers(signed_element(doc.get()), {test::attackerCredential().cert},
                   ErrorCode::kSignatureInvalid);
  }
}

// The Response `xml` (one signed assertion) through both verifiers: honest, then tampered.
void checkResponseVerifiers(const std::string& xml, const Credential& signer) {
  const std::vector<Certificate> trusted{signer.cert};
  {
    INFO("honest");
    XmlDoc doc = parsed(xml);
    xmlNode* assertion = assertionOf(doc.get());
    CHECK(internal::usesDirectVerification(assertion));
    checkVerifiers(assertion, trusted, std::nullopt);
  }
  checkTamperedValues(xml, &assertionOf, signer);
  {
    INFO("the Signature moved from the Assertion to the Response");
    XmlDoc doc = parsed(xml);
    xmlNode* root = xmlDocGetRootElement(doc.get());
    xmlNode* signature = findSignature(assertionOf(doc.get()));
    REQUIRE(signature != nullptr);
    xmlUnlinkNode(signature);
    xmlAddPrevSibling(childElements(root).front(), signature);
    XmlDoc moved = reparsed(doc.get());
    checkVerifiers(assertionOf(moved.get()), trusted, ErrorCode::kSignatureMissing);
    checkVerifiers(xmlDocGetRootElement(moved.get()), trusted, ErrorCode::kSignatureProfile);
  }
  {
    INFO("the signed Assertion wrapped in a forged one carrying a copy of its Signature");
    XmlDoc doc = parsed(xml);
    xmlNode* original = assertionOf(doc.get());
    const std::string original_id = attribute(original, "ID").value();
    xmlNode* forged = xmlDocCopyNode(original, doc.get(), 1);
    REQUIRE(forged != nullptr);
    xmlSetProp(forged, BAD_CAST "ID", BAD_CAST "_forged");
    xmlNodeAddContent(firstChildElement(forged, ns::kAssertion, "Issuer"), BAD_CAST "evil");
    xmlReplaceNode(original, forged);
    xmlAddChild(forged, original);
    XmlDoc wrapped = reparsed(doc.get());
    REQUIRE(assertionOf(wrapped.get()) == elementById(wrapped.get(), "_forged"));
    checkVerifiers(elementById(wrapped.get(), "_forged"), trusted, ErrorCode::kSignatureProfile);
    // The signature still covers the original: both return it, never the forged one.
    checkVerifiers(elementById(wrapped.get(), original_id), trusted, std::nullopt);
  }
}

xmlNode* rootOf(xmlDoc* doc) { return xmlDocGetRootElement(doc); }

}  // namespace

TEST_CASE("The shape generator covers every member of the structs the writers read",
          "[saml][shapes]") {
  checkCovered<Response>("Response");
  checkCovered<Status>("Status");
  checkCovered<Assertion>("Assertion");
  checkCovered<Subject>("Subject");
  checkCovered<NameID>("NameID");
  checkCovered<SubjectConfirmation>("SubjectConfirmation");
  checkCovered<SubjectConfirmationData>("SubjectConfirmationData");
  checkCovered<Conditions>("Conditions");
  checkCovered<AuthnStatement>("AuthnStatement");
  checkCovered<Attribute>("Attribute");
  checkCovered<AuthnRequest>("AuthnRequest");
  checkCovered<NameIDPolicy>("NameIDPolicy");
  checkCovered<RequestedAuthnContext>("RequestedAuthnContext");
}

TEST_CASE("The shape generator sets every optional field in some shapes and not in others",
          "[saml][shapes]") {
  const auto check = [](const std::vector<std::string>& names, const std::vector<bool>& optional,
                        const auto& shapes) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      INFO(names[i]);
      for (const Values values : {Values::kParseable, Values::kHostile}) {
        std::size_t on = 0;
        std::size_t off = 0;
        for (const auto& shape : shapes) {
          if (shape.values == values) {
            (shape.on[i] ? on : off) += 1;
          }
        }
        CHECK(on > 0);
        if (optional[i]) {
          CHECK(off > 0);
        }
      }
    }
  };
  const auto responses = responseShapes();
  check(responseFieldNames(), responseFieldOptional(), responses);
  const auto requests = authnRequestShapes();
  check(authnRequestFieldNames(), authnRequestFieldOptional(), requests);
  // Most of the parseable shapes read back (the others have a Subject or a RequestedAuthnContext
  // with nothing in it).
  CHECK(std::count_if(responses.begin(), responses.end(),
                      [](const ResponseShape& s) { return s.parses; }) > 40);
  CHECK(std::count_if(requests.begin(), requests.end(),
                      [](const AuthnRequestShape& s) { return s.parses; }) > 20);
}

TEST_CASE("Tree and text writers give the same canonical Response for every generated shape",
          "[saml][message_text][shapes]") {
  const Credential& signer = test::testIdpCredential();
  for (const ResponseShape& shape : responseShapes()) {
    INFO(shape.name);
    const std::string tree = treeResponse(shape.response, shape.assertion, signer);
    auto text = writeResponseWithSignedAssertion(shape.response, shape.assertion, signer);
    REQUIRE(text.has_value());
    CHECK(firstDifference(canonicalDocument(*text), canonicalDocument(tree)).empty());
    if (shape.parses) {
      XmlDoc doc = parsed(*text);
      auto response = parseResponse(xmlDocGetRootElement(doc.get()));
      REQUIRE(response.has_value());
      CHECK(*response == shape.response);
      auto assertion = parseAssertion(assertionOf(doc.get()));
      REQUIRE(assertion.has_value());
      CHECK(*assertion == shape.assertion);
    }
  }
}

TEST_CASE("Both verifiers agree on every generated Response, honest and tampered",
          "[saml][signature][shapes]") {
  const Credential& signer = test::testIdpCredential();
  for (const ResponseShape& shape : responseShapes()) {
    INFO(shape.name);
    auto text = writeResponseWithSignedAssertion(shape.response, shape.assertion, signer);
    REQUIRE(text.has_value());
    {
      INFO("written as text");
      checkResponseVerifiers(*text, signer);
    }
    {
      INFO("written as a tree");
      checkResponseVerifiers(treeResponse(shape.response, shape.assertion, signer), signer);
    }
  }
}

TEST_CASE("Tree and text writers give the same canonical AuthnRequest for every generated shape",
          "[saml][message_text][shapes]") {
  for (const AuthnRequestShape& shape : authnRequestShapes()) {
    INFO(shape.name);
    auto tree = buildAuthnRequest(shape.request);
    REQUIRE(tree.has_value());
    auto text = writeAuthnRequest(shape.request);
    REQUIRE(text.has_value());
    CHECK(firstDifference(canonicalDocument(*text), canonicalDocument(serialize(tree->get())))
              .empty());
    if (shape.parses) {
      XmlDoc doc = parsed(*text);
      auto request = parseAuthnRequest(xmlDocGetRootElement(doc.get()));
      REQUIRE(request.has_value());
      CHECK(*request == shape.request);
    }
  }
}

TEST_CASE("Both verifiers agree on every generated AuthnRequest, signed then tampered",
          "[saml][signature][shapes]") {
  const Credential& signer = test::testIdpCredential();
  for (const AuthnRequestShape& shape : authnRequestShapes()) {
    INFO(shape.name);
    auto text = writeAuthnRequest(shape.request);
    REQUIRE(text.has_value());
    // As the POST binding would carry it: the text's document with an enveloped signature.
    XmlDoc doc = parsed(*text);
    REQUIRE(signElement(xmlDocGetRootElement(doc.get()), signer).has_value());
    const std::string signed_xml = serialize(doc.get());
    {
      INFO("honest");
      XmlDoc honest = parsed(signed_xml);
      CHECK(internal::usesDirectVerification(rootOf(honest.get())));
      checkVerifiers(rootOf(honest.get()), {signer.cert}, std::nullopt);
    }
    checkTamperedValues(signed_xml, &rootOf, signer);
  }
}
