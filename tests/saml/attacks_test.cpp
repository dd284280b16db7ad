// Negative corpus for Response validation: one test case per attack, each asserting the specific
// ErrorCode. Attack messages are made at test time from a validly signed Response (keys generated
// per run) by editing the tree the way an attacker edits the bytes, then serialized and received
// again through parseUntrusted(), as over the wire.
//
// XSW1..XSW8 follow Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be" (USENIX
// Security 2012), in the numbering SAML Raider uses. Each one puts a second assertion where a naive
// reader finds it first; validateResponse() refuses any document with more than one assertion, or
// with the assertion anywhere but as a direct child of the Response.

#include <catch2/catch.hpp>
#include <string>

#include "saml/encryption.h"
#include "saml/messages.h"
#include "saml/replay_cache.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"
#include "support/saml_builders.h"

using garde::core::Error;
using garde::core::ErrorCode;
using namespace garde::saml;
using namespace garde::test;

namespace {

// A received message, editable as a tree.
struct Message {
  XmlDoc doc;
  xmlNode* response() const { return xmlDocGetRootElement(doc.get()); }
  xmlNode* assertion() const { return firstChildElement(response(), ns::kAssertion, "Assertion"); }
};

Message received(const std::string& xml) {
  auto doc = parseOwn(xml);
  REQUIRE(doc.has_value());
  return Message{std::move(doc).value()};
}

// The good message with only the Response signed (what the Response-signature XSWs start from).
Message responseSigned() {
  return received(signedResponseXml(goodResponse(), goodAssertion(), {.sign_assertion = false}));
}
// The good message with only the Assertion signed (what the Assertion-signature XSWs start from).
Message assertionSigned() {
  return received(signedResponseXml(goodResponse(), goodAssertion(), {.sign_response = false}));
}

// The most permissive configuration an attacker can hope for.
ResponseExpectation lenient() {
  auto e = goodExpectation();
  e.require_signed_assertion = false;
  return e;
}

xmlNode* copyOf(const xmlNode* node) {
  return xmlDocCopyNode(const_cast<xmlNode*>(node), node->doc, 1);
}

void setId(xmlNode* node, const char* id) { xmlSetProp(node, BAD_CAST "ID", BAD_CAST id); }

void removeNode(xmlNode* node) {
  REQUIRE(node != nullptr);
  xmlUnlinkNode(node);
  xmlFreeNode(node);
}

xmlNode* nameIdOf(xmlNode* assertion) {
  xmlNode* subject = firstChildElement(assertion, ns::kAssertion, "Subject");
  xmlNode* name_id = firstChildElement(subject, ns::kAssertion, "NameID");
  REQUIRE(name_id != nullptr);
  return name_id;
}

// The attacker's goal: become someone else.
void impersonate(xmlNode* assertion) { xmlNodeSetContent(nameIdOf(assertion), BAD_CAST "admin"); }

// A tampered, unsigned copy of `assertion` with its own ID.
xmlNode* evilAssertion(const xmlNode* assertion) {
  xmlNode* evil = copyOf(assertion);
  setId(evil, "_evil");
  if (xmlNode* sig = findSignature(evil); sig != nullptr) {
    removeNode(sig);
  }
  impersonate(evil);
  return evil;
}

xmlNode* newElement(xmlNode* like, const char* ns_uri, const char* prefix, const char* name) {
  xmlNode* node = xmlNewDocNode(like->doc, nullptr, BAD_CAST name, nullptr);
  xmlSetNs(node, xmlNewNs(node, BAD_CAST ns_uri, BAD_CAST prefix));
  return node;
}

// Serializes, receives and validates; the attack must fail.
Error rejected(const Message& m, const ResponseExpectation& e = goodExpectation()) {
  auto result = parseAndValidate(serialize(m.doc.get()), e);
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

Error rejected(const std::string& xml, const ResponseExpectation& e = goodExpectation()) {
  auto result = parseAndValidate(xml, e);
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

bool mentions(const Error& e, const char* text) { return e.detail.find(text) != std::string::npos; }

void requireWrappingRefused(const Error& e) {
  INFO(e.describe());
  CHECK(e.code == ErrorCode::kMalformedMessage);
  CHECK((mentions(e, "exactly one") || mentions(e, "direct child")));
}

}  // namespace

// ---- Signature wrapping (XSW) -------------------------------------------------------------------

TEST_CASE("XSW1: evil Response wrapping the signed Response inside its Signature",
          "[saml][attack][xsw]") {
  Message m = responseSigned();
  xmlNode* original = m.response();
  xmlNode* evil = copyOf(original);
  setId(evil, "_evilresp");
  xmlNode* evil_assertion = firstChildElement(evil, ns::kAssertion, "Assertion");
  setId(evil_assertion, "_evil");
  impersonate(evil_assertion);
  xmlNode* evil_sig = findSignature(evil);
  REQUIRE(evil_sig != nullptr);
  xmlUnlinkNode(original);
  xmlDocSetRootElement(m.doc.get(), evil);
  xmlAddChild(evil_sig, original);
  requireWrappingRefused(rejected(m, lenient()));
}

TEST_CASE("XSW2: evil Response with the signed Response as a detached sibling of its Signature",
          "[saml][attack][xsw]") {
  Message m = responseSigned();
  xmlNode* original = m.response();
  xmlNode* evil = copyOf(original);
  setId(evil, "_evilresp");
  xmlNode* evil_assertion = firstChildElement(evil, ns::kAssertion, "Assertion");
  setId(evil_assertion, "_evil");
  impersonate(evil_assertion);
  xmlNode* evil_sig = findSignature(evil);
  xmlUnlinkNode(original);
  xmlDocSetRootElement(m.doc.get(), evil);
  xmlAddPrevSibling(evil_sig, original);
  requireWrappingRefused(rejected(m, lenient()));
}

TEST_CASE("XSW3: evil assertion inserted before the signed one", "[saml][attack][xsw]") {
  Message m = assertionSigned();
  xmlAddPrevSibling(m.assertion(), evilAssertion(m.assertion()));
  requireWrappingRefused(rejected(m));
}

TEST_CASE("XSW4: evil assertion wrapping the signed one", "[saml][attack][xsw]") {
  Message m = assertionSigned();
  xmlNode* original = m.assertion();
  xmlNode* evil = evilAssertion(original);
  xmlAddPrevSibling(original, evil);
  xmlUnlinkNode(original);
  xmlAddChild(evil, original);
  requireWrappingRefused(rejected(m));
}

TEST_CASE("XSW5: evil assertion carrying the copied Signature, signed one appended at the end",
          "[saml][attack][xsw]") {
  Message m = assertionSigned();
  xmlNode* original = m.assertion();
  xmlNode* evil = copyOf(original);  // keeps the Signature, which references the original's ID
  setId(evil, "_evil");
  impersonate(evil);
  xmlAddPrevSibling(original, evil);
  xmlUnlinkNode(original);
  xmlAddChild(m.response(), original);
  requireWrappingRefused(rejected(m));
}

TEST_CASE("XSW6: evil assertion with the signed one inside the copied Signature",
          "[saml][attack][xsw]") {
  Message m = assertionSigned();
  xmlNode* original = m.assertion();
  xmlNode* evil = copyOf(original);
  setId(evil, "_evil");
  impersonate(evil);
  xmlAddPrevSibling(original, evil);
  xmlUnlinkNode(original);
  xmlAddChild(findSignature(evil), original);
  requireWrappingRefused(rejected(m));
}

TEST_CASE("XSW7: signed assertion hidden in Extensions, evil assertion in its place",
          "[saml][attack][xsw]") {
  Message m = assertionSigned();
  xmlNode* original = m.assertion();
  xmlNode* evil = evilAssertion(original);
  xmlAddPrevSibling(original, evil);
  xmlUnlinkNode(original);
  xmlNode* extensions = newElement(m.response(), ns::kProtocol, "samlp", "Extensions");
  xmlAddPrevSibling(firstChildElement(m.response(), ns::kProtocol, "Status"), extensions);
  xmlAddChild(extensions, original);
  requireWrappingRefused(rejected(m));
}

TEST_CASE("XSW8: signed assertion inside a ds:Object of the evil assertion's Signature",
          "[saml][attack][xsw]") {
  Message m = assertionSigned();
  xmlNode* original = m.assertion();
  xmlNode* evil = copyOf(original);
  setId(evil, "_evil");
  impersonate(evil);
  xmlAddPrevSibling(original, evil);
  xmlUnlinkNode(original);
  xmlNode* object = newElement(evil, ns::kDsig, "ds", "Object");
  xmlAddChild(findSignature(evil), object);
  xmlAddChild(object, original);
  requireWrappingRefused(rejected(m));
}

TEST_CASE("Signed assertion hidden in the Advice of an evil assertion", "[saml][attack][xsw]") {
  Message m = assertionSigned();
  xmlNode* original = m.assertion();
  xmlNode* evil = evilAssertion(original);
  xmlAddPrevSibling(original, evil);
  xmlUnlinkNode(original);
  xmlNode* advice = newElement(evil, ns::kAssertion, "saml", "Advice");
  xmlAddPrevSibling(firstChildElement(evil, ns::kAssertion, "AuthnStatement"), advice);
  xmlAddChild(advice, original);
  requireWrappingRefused(rejected(m));
}

TEST_CASE("Cloned assertion keeping the signed one's ID", "[saml][attack][xsw]") {
  Message m = assertionSigned();
  xmlNode* clone = copyOf(m.assertion());
  removeNode(findSignature(clone));
  impersonate(clone);
  xmlAddPrevSibling(m.assertion(), clone);
  CHECK(rejected(m).code == ErrorCode::kDuplicateId);
}

TEST_CASE("Signed Response moved into the Extensions of an unsigned Response",
          "[saml][attack][xsw]") {
  // One assertion in total, but not where the verified Response holds it.
  Message m = responseSigned();
  xmlNode* original = m.response();
  xmlNode* evil = copyOf(original);
  setId(evil, "_evilresp");
  removeNode(findSignature(evil));
  removeNode(firstChildElement(evil, ns::kAssertion, "Assertion"));
  xmlNode* extensions = newElement(evil, ns::kProtocol, "samlp", "Extensions");
  xmlAddPrevSibling(firstChildElement(evil, ns::kProtocol, "Status"), extensions);
  xmlUnlinkNode(original);
  xmlDocSetRootElement(m.doc.get(), evil);
  xmlAddChild(extensions, original);
  requireWrappingRefused(rejected(m, lenient()));
}

TEST_CASE("Extra unsigned assertion after the signed one", "[saml][attack]") {
  Message m = received(goodResponseXml());  // both signed; the Response signature now fails too
  xmlAddNextSibling(m.assertion(), evilAssertion(m.assertion()));
  requireWrappingRefused(rejected(m));
}

TEST_CASE("Unsigned Response with two signed assertions", "[saml][attack]") {
  auto doc =
      signedResponseDoc(goodResponse(), {goodAssertion(), goodAssertion("_second", kRequestId)},
                        {.sign_response = false});
  requireWrappingRefused(rejected(serialize(doc.get())));
}

TEST_CASE("Unsigned Response with two unsigned assertions", "[saml][attack]") {
  auto doc =
      signedResponseDoc(goodResponse(), {goodAssertion(), goodAssertion("_second", kRequestId)},
                        {.sign_assertion = false, .sign_response = false});
  requireWrappingRefused(rejected(serialize(doc.get()), lenient()));
}

TEST_CASE("A plaintext assertion next to an EncryptedAssertion", "[saml][attack]") {
  Message m = assertionSigned();
  xmlNode* encrypted = newElement(m.response(), ns::kAssertion, "saml", "EncryptedAssertion");
  xmlAddNextSibling(m.assertion(), encrypted);
  requireWrappingRefused(rejected(m));
}

// ---- Signatures ---------------------------------------------------------------------------------

TEST_CASE("Assertion signature removed from an unsigned Response", "[saml][attack][signature]") {
  Message m = assertionSigned();
  removeNode(findSignature(m.assertion()));
  impersonate(m.assertion());
  CHECK(rejected(m, lenient()).code == ErrorCode::kSignatureMissing);
}

TEST_CASE(
    "Assertion signature removed inside a signed Response when a signed Assertion is required",
    "[saml][attack][signature]") {
  Message m = received(goodResponseXml());
  removeNode(findSignature(m.assertion()));
  // The Response signature covers the assertion, so removing it breaks the Response signature
  // first.
  CHECK(rejected(m).code == ErrorCode::kSignatureInvalid);
}

TEST_CASE("Signed Response around an unsigned Assertion when a signed Assertion is required",
          "[saml][attack][signature]") {
  CHECK(rejected(signedResponseXml(goodResponse(), goodAssertion(), {.sign_assertion = false}))
            .code == ErrorCode::kSignatureMissing);
}

TEST_CASE("Tampered NameID under a valid-looking signature", "[saml][attack][signature]") {
  Message m = assertionSigned();
  impersonate(m.assertion());
  CHECK(rejected(m).code == ErrorCode::kSignatureInvalid);
}

TEST_CASE("Response signed by an untrusted key", "[saml][attack][signature]") {
  const std::string xml =
      signedResponseXml(goodResponse(), goodAssertion(), {.signer = &attackerCredential()});
  CHECK(rejected(xml).code == ErrorCode::kSignatureInvalid);
}

TEST_CASE("No trusted key configured", "[saml][attack][signature]") {
  auto e = goodExpectation();
  e.trusted_certificates.clear();
  CHECK(rejected(goodResponseXml(), e).code == ErrorCode::kNoTrustedKey);
}

TEST_CASE("Comment injected in a signed NameID does not truncate the identity",
          "[saml][attack][signature]") {
  // Exclusive C14N drops comments, so the signature still verifies; the identity must be the full
  // text, not the first text node (CVE-2017-11427 class).
  auto a = goodAssertion();
  a.subject->name_id->value = "admin.evil";
  std::string xml = signedResponseXml(goodResponse(), a);
  const auto pos = xml.find(">admin.evil<");
  REQUIRE(pos != std::string::npos);
  xml.replace(pos, 12, ">admin<!---->.evil<");
  auto result = parseAndValidate(xml, goodExpectation());
  REQUIRE(result.has_value());
  CHECK(result->assertion.subject->name_id->value == "admin.evil");
}

// ---- Addressing and time ------------------------------------------------------------------------

TEST_CASE("Assertion for another SP (audience)", "[saml][attack]") {
  auto a = goodAssertion();
  a.conditions->audience_restrictions = {{"https://other-sp.example.org"}};
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kAudienceMismatch);
}

TEST_CASE("Assertion with two AudienceRestrictions, one of them not naming us", "[saml][attack]") {
  auto a = goodAssertion();
  a.conditions->audience_restrictions = {{kSpEntityId}, {"https://other-sp.example.org"}};
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kAudienceMismatch);
}

TEST_CASE("Assertion without AudienceRestriction", "[saml][attack]") {
  auto a = goodAssertion();
  a.conditions->audience_restrictions.clear();
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kAudienceMismatch);
}

TEST_CASE("Bearer confirmation for another ACS (recipient)", "[saml][attack]") {
  auto a = goodAssertion();
  a.subject->confirmations[0].data->recipient = "https://other-sp.example.org/acs";
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kRecipientMismatch);
}

TEST_CASE("Bearer confirmation with a NotBefore", "[saml][attack]") {
  auto a = goodAssertion();
  a.subject->confirmations[0].data->not_before = kNow - 10;
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kMalformedMessage);
}

TEST_CASE("Subject without a bearer confirmation", "[saml][attack]") {
  auto a = goodAssertion();
  a.subject->confirmations[0].method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key";
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kMalformedMessage);
}

TEST_CASE("Response for another ACS (destination)", "[saml][attack]") {
  auto r = goodResponse();
  r.destination = "https://other-sp.example.org/acs";
  CHECK(rejected(signedResponseXml(r, goodAssertion())).code == ErrorCode::kDestinationMismatch);
}

TEST_CASE("Signed Response without Destination", "[saml][attack]") {
  auto r = goodResponse();
  r.destination.reset();
  CHECK(rejected(signedResponseXml(r, goodAssertion())).code == ErrorCode::kDestinationMismatch);
}

TEST_CASE("Response Issuer of another IdP", "[saml][attack]") {
  auto r = goodResponse();
  r.issuer = "https://other-idp.example.org";
  CHECK(rejected(signedResponseXml(r, goodAssertion())).code == ErrorCode::kIssuerMismatch);
}

TEST_CASE("Assertion Issuer of another IdP", "[saml][attack]") {
  auto a = goodAssertion();
  a.issuer = "https://other-idp.example.org";
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kIssuerMismatch);
}

TEST_CASE("Expired: exactly at NotOnOrAfter plus skew", "[saml][attack][time]") {
  auto e = goodExpectation();
  e.now = kNow + 300 + e.skew_seconds;  // SAML2 Core 2.5.1.2: NotOnOrAfter is exclusive
  CHECK(rejected(goodResponseXml(), e).code == ErrorCode::kExpired);
}

TEST_CASE("Expired Conditions while the bearer window is still open", "[saml][attack][time]") {
  auto a = goodAssertion();
  a.conditions->not_on_or_after = kNow - 200;
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kExpired);
}

TEST_CASE("Expired session (SessionNotOnOrAfter)", "[saml][attack][time]") {
  auto a = goodAssertion();
  a.authn_statements[0].session_not_on_or_after = kNow - 200;
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kExpired);
}

TEST_CASE("Not yet valid: NotBefore beyond the skew", "[saml][attack][time]") {
  auto a = goodAssertion();
  a.conditions->not_before = kNow + 181;
  CHECK(rejected(signedResponseXml(goodResponse(), a)).code == ErrorCode::kNotYetValid);
}

TEST_CASE("Replayed assertion ID", "[saml][attack][replay]") {
  InMemoryReplayCache cache;
  auto e = goodExpectation();
  e.replay_cache = &cache;
  const std::string xml = goodResponseXml();
  REQUIRE(parseAndValidate(xml, e).has_value());
  e.now += 60;
  CHECK(rejected(xml, e).code == ErrorCode::kReplayed);
}

TEST_CASE("Replayed assertion ID wrapped in a fresh Response", "[saml][attack][replay]") {
  InMemoryReplayCache cache;
  auto e = goodExpectation();
  e.replay_cache = &cache;
  REQUIRE(parseAndValidate(goodResponseXml(), e).has_value());
  auto r = goodResponse();
  r.id = "_fresh";
  CHECK(rejected(signedResponseXml(r, goodAssertion()), e).code == ErrorCode::kReplayed);
}

// ---- Request binding ----------------------------------------------------------------------------

TEST_CASE("InResponseTo of another request", "[saml][attack]") {
  auto e = goodExpectation();
  e.request_id = "_another_request";
  CHECK(rejected(goodResponseXml(), e).code == ErrorCode::kInResponseToMismatch);
}

TEST_CASE("Assertion answering another request inside a Response to ours", "[saml][attack]") {
  const std::string xml = signedResponseXml(goodResponse(), goodAssertion(kAssertionId, "_other"));
  CHECK(rejected(xml).code == ErrorCode::kInResponseToMismatch);
}

TEST_CASE("Unsolicited Response when unsolicited Responses are not allowed", "[saml][attack]") {
  auto e = goodExpectation();
  e.request_id.reset();
  const std::string xml =
      signedResponseXml(goodResponse(std::nullopt), goodAssertion(kAssertionId, std::nullopt));
  CHECK(rejected(xml, e).code == ErrorCode::kInResponseToMismatch);
}

TEST_CASE("Solicited Response presented as unsolicited", "[saml][attack]") {
  auto e = goodExpectation();
  e.request_id.reset();
  e.allow_unsolicited = true;
  CHECK(rejected(goodResponseXml(), e).code == ErrorCode::kInResponseToMismatch);
}

TEST_CASE("Non-success status", "[saml][attack]") {
  auto r = goodResponse();
  r.status =
      Status{std::string(status_code::kRequester), std::string(status_code::kRequestDenied), ""};
  auto doc = signedResponseDoc(r, {});
  const Error e = rejected(serialize(doc.get()));
  CHECK(e.code == ErrorCode::kStatusNotSuccess);
  CHECK(mentions(e, "Requester/RequestDenied"));
}

TEST_CASE("An error status is read only from a Response that answers our request",
          "[saml][attack]") {
  auto noPassive = [](std::optional<std::string> in_response_to) {
    auto r = goodResponse(std::move(in_response_to));
    r.status =
        Status{std::string(status_code::kResponder), std::string(status_code::kNoPassive), ""};
    auto doc = signedResponseDoc(r, {});
    return serialize(doc.get());
  };
  // NoPassive has its own code, so that it can be relayed to whoever asked for a passive login.
  CHECK(rejected(noPassive(kRequestId)).code == ErrorCode::kNoPassive);
  // ... but only once the Response is known to answer our request.
  CHECK(rejected(noPassive(std::string("_someone_else"))).code == ErrorCode::kInResponseToMismatch);
  CHECK(rejected(noPassive(std::nullopt)).code == ErrorCode::kInResponseToMismatch);
  auto other_destination = goodResponse();
  other_destination.destination = "https://elsewhere.test/acs";
  other_destination.status =
      Status{std::string(status_code::kResponder), std::string(status_code::kNoPassive), ""};
  auto doc = signedResponseDoc(other_destination, {});
  CHECK(rejected(serialize(doc.get())).code == ErrorCode::kDestinationMismatch);
}

TEST_CASE("Successful Response without assertion", "[saml][attack]") {
  auto doc = signedResponseDoc(goodResponse(), {});
  CHECK(rejected(serialize(doc.get())).code == ErrorCode::kMalformedMessage);
}

TEST_CASE("Wrong SAML version", "[saml][attack]") {
  Message m = assertionSigned();
  xmlSetProp(m.response(), BAD_CAST "Version", BAD_CAST "1.1");
  const Error e = rejected(m);
  CHECK(e.code == ErrorCode::kMalformedMessage);
  CHECK(mentions(e, "Version"));
}

TEST_CASE("Encrypted assertion smuggling a second assertion in its Advice",
          "[saml][attack][encryption]") {
  // Before decryption the document holds one EncryptedAssertion; the plaintext holds two
  // assertions.
  auto doc = buildResponse(goodResponse(), {goodAssertion()});
  REQUIRE(doc.has_value());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* assertion = firstChildElement(root, ns::kAssertion, "Assertion");
  xmlNode* inner = evilAssertion(assertion);
  xmlNode* advice = newElement(assertion, ns::kAssertion, "saml", "Advice");
  xmlAddPrevSibling(firstChildElement(assertion, ns::kAssertion, "AuthnStatement"), advice);
  xmlAddChild(advice, inner);
  REQUIRE(signElement(assertion, testIdpCredential()).has_value());
  REQUIRE(encryptAssertion(assertion, testSpCredential().cert, garde::core::systemRandom())
              .has_value());
  REQUIRE(signElement(root, testIdpCredential()).has_value());
  const std::string xml = serialize(doc->get());
  REQUIRE(xml.find("_evil") == std::string::npos);
  requireWrappingRefused(rejected(xml));
}

TEST_CASE("A full replay cache refuses a fresh assertion as replay_cache_full, not as a replay",
          "[saml][attack][replay]") {
  InMemoryReplayCache cache(1);
  REQUIRE(cache.insertIfAbsent("_someone_else", kNow + 3600, kNow));
  auto e = goodExpectation();
  e.replay_cache = &cache;
  const auto error = rejected(goodResponseXml(), e);
  CHECK(error.code == ErrorCode::kReplayCacheFull);
  CHECK_THAT(error.detail, Catch::Contains("replay cache is full"));
  CHECK(cache.capacityRefusals() == 1);
}
