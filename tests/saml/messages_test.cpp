#include "saml/messages.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "saml/signature.h"
#include "saml/xml.h"
#include "support/fixtures.h"
#include "support/saml_builders.h"

using garde::core::ErrorCode;
using garde::test::kNow;
using namespace garde::saml;

namespace {

// Builds, serializes, re-parses as untrusted input: what a peer would receive.
template <class BuildResult>
XmlDoc reparse(BuildResult built) {
  REQUIRE(built.has_value());
  auto doc = parseUntrusted(serialize(built->get()));
  REQUIRE(doc.has_value());
  return std::move(doc).value();
}

xmlNode* rootOf(const XmlDoc& doc) { return xmlDocGetRootElement(doc.get()); }

void replaceOnce(std::string& s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
}

// Parses `xml` and runs `parse` on its root; returns the error.
template <class Fn>
garde::core::Error parseError(const std::string& xml, Fn parse) {
  auto doc = parseUntrusted(xml);
  REQUIRE(doc.has_value());
  auto r = parse(rootOf(*doc));
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

std::string goodAssertionXml() {
  auto doc = buildAssertion(garde::test::goodAssertion());
  REQUIRE(doc.has_value());
  return serialize(doc->get());
}

}  // namespace

TEST_CASE("AuthnRequest round-trips every field", "[saml][messages]") {
  AuthnRequest r = garde::test::authnRequest({.id = "_req1"});
  r.provider_name = "garde & co <test>";
  r.force_authn = true;
  r.is_passive = false;
  r.name_id_policy = NameIDPolicy{std::string(name_id_format::kPersistent), "https://sp", true};
  r.requested_authn_context =
      RequestedAuthnContext{"minimum", {std::string(authn_context::kPasswordProtectedTransport)}};
  auto doc = reparse(buildAuthnRequest(r));
  auto parsed = parseAuthnRequest(rootOf(doc));
  REQUIRE(parsed.has_value());
  CHECK(*parsed == r);

  SECTION("an index instead of a URL") {
    r.assertion_consumer_service_url.clear();
    r.assertion_consumer_service_index = 3;
    r.name_id_policy.reset();
    r.requested_authn_context.reset();
    auto doc2 = reparse(buildAuthnRequest(r));
    auto parsed2 = parseAuthnRequest(rootOf(doc2));
    REQUIRE(parsed2.has_value());
    CHECK(*parsed2 == r);
  }
}

TEST_CASE("Response and Assertion round-trip every field", "[saml][messages]") {
  const Response response = garde::test::goodResponse();
  Assertion assertion = garde::test::goodAssertion();
  assertion.conditions->audience_restrictions = {{"https://a", "https://b"}, {"https://b"}};
  assertion.conditions->one_time_use = true;
  assertion.attributes.push_back(Attribute{"quoted", "", "", {"<&\"'>", "é\xe2\x82\xac", ""}});
  auto doc = reparse(buildResponse(response, {assertion}));
  auto parsed = parseResponse(rootOf(doc));
  REQUIRE(parsed.has_value());
  CHECK(*parsed == response);
  auto elements = childElements(rootOf(doc), ns::kAssertion, "Assertion");
  REQUIRE(elements.size() == 1);
  auto parsed_assertion = parseAssertion(elements[0]);
  REQUIRE(parsed_assertion.has_value());
  CHECK(*parsed_assertion == assertion);
}

TEST_CASE("Non-success Status round-trips with its second-level code and message",
          "[saml][messages]") {
  Response response = garde::test::goodResponse();
  response.status = Status{std::string(status_code::kResponder),
                           std::string(status_code::kUnknownPrincipal), "no such account"};
  auto doc = reparse(buildResponse(response));
  auto parsed = parseResponse(rootOf(doc));
  REQUIRE(parsed.has_value());
  CHECK(parsed->status == response.status);
  CHECK_FALSE(parsed->status.isSuccess());
  CHECK(parsed->status.describe() == "Responder/UnknownPrincipal");
}

TEST_CASE("LogoutRequest and LogoutResponse round-trip", "[saml][messages][logout]") {
  LogoutRequest req;
  req.id = "_lr1";
  req.issue_instant = kNow;
  req.destination = "https://ent.example.org/idp/slo";
  req.issuer = garde::test::kSpEntityId;
  req.not_on_or_after = kNow + 60;
  req.reason = "urn:oasis:names:tc:SAML:2.0:logout:user";
  req.name_id = NameID{"pseudo-1", std::string(name_id_format::kTransient), "", ""};
  req.session_indexes = {"_s1", "_s2"};
  auto doc = reparse(buildLogoutRequest(req));
  auto parsed = parseLogoutRequest(rootOf(doc));
  REQUIRE(parsed.has_value());
  CHECK(*parsed == req);

  LogoutResponse resp;
  resp.id = "_lresp1";
  resp.in_response_to = "_lr1";
  resp.issue_instant = kNow;
  resp.destination = "https://garde.example.org/sp/slo";
  resp.issuer = garde::test::kIdpEntityId;
  resp.status =
      Status{std::string(status_code::kSuccess), std::string(status_code::kPartialLogout), ""};
  auto doc2 = reparse(buildLogoutResponse(resp));
  auto parsed2 = parseLogoutResponse(rootOf(doc2));
  REQUIRE(parsed2.has_value());
  CHECK(*parsed2 == resp);
}

TEST_CASE("Built messages keep the schema order once signed", "[saml][messages][signature]") {
  auto doc = buildResponse(garde::test::goodResponse(), {garde::test::goodAssertion()});
  REQUIRE(doc.has_value());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* assertion = firstChildElement(root, ns::kAssertion, "Assertion");
  REQUIRE(signElement(assertion, garde::test::testIdpCredential()).has_value());
  REQUIRE(signElement(root, garde::test::testIdpCredential()).has_value());
  auto names = [](const xmlNode* n) {
    std::string out;
    for (xmlNode* c : childElements(n)) {
      out += std::string(localName(c)) + " ";
    }
    return out;
  };
  CHECK(names(root) == "Issuer Signature Status Assertion ");
  CHECK(names(assertion) ==
        "Issuer Signature Subject Conditions AuthnStatement AttributeStatement ");
  // and the signatures verify after a trip through the wire format
  auto received = parseUntrusted(serialize(doc->get()));
  REQUIRE(received.has_value());
  xmlNode* r = xmlDocGetRootElement(received->get());
  CHECK(verifyEnvelopedSignature(r, {garde::test::testIdpCredential().cert}).has_value());
  CHECK(verifyEnvelopedSignature(firstChildElement(r, ns::kAssertion, "Assertion"),
                                 {garde::test::testIdpCredential().cert})
            .has_value());
}

TEST_CASE("Builders escape markup in every string", "[saml][messages]") {
  Assertion a = garde::test::goodAssertion();
  a.subject->name_id->value = "</saml:NameID><saml:NameID>admin";
  a.attributes = {Attribute{"a\"b", "", "x' y=\"z", {"]]><evil/>", "&amp;"}}};
  auto built = buildAssertion(a);
  REQUIRE(built.has_value());
  const std::string xml = serialize(built->get());
  CHECK(xml.find("<evil/>") == std::string::npos);
  auto doc = parseUntrusted(xml);
  REQUIRE(doc.has_value());
  auto parsed = parseAssertion(rootOf(*doc));
  REQUIRE(parsed.has_value());
  CHECK(*parsed == a);
}

TEST_CASE("Builders refuse invalid UTF-8 and characters XML cannot carry", "[saml][messages]") {
  const char* bad = GENERATE("\xff", "a\xc3", "\xc0\xaf", "nul\x01", "\xed\xa0\x80");
  Assertion a = garde::test::goodAssertion();
  a.attributes[0].values = {bad};
  auto built = buildAssertion(a);
  REQUIRE_FALSE(built.has_value());
  CHECK(built.error().code == ErrorCode::kBadEncoding);
  CHECK(built.error().detail.find("AttributeValue") != std::string::npos);
}

TEST_CASE("Builders refuse a message without ID", "[saml][messages]") {
  Response r = garde::test::goodResponse();
  r.id.clear();
  auto built = buildResponse(r);
  REQUIRE_FALSE(built.has_value());
  CHECK(built.error().code == ErrorCode::kMalformedMessage);
}

TEST_CASE("NameID is the full text even when a comment splits it", "[saml][messages][attack]") {
  std::string xml = goodAssertionXml();
  replaceOnce(xml, ">pseudo-7f3a9c<", ">pseudo<!-- injected -->-7f3a9c<");
  auto doc = parseUntrusted(xml);
  REQUIRE(doc.has_value());
  auto parsed = parseAssertion(rootOf(*doc));
  REQUIRE(parsed.has_value());
  CHECK(parsed->subject->name_id->value == "pseudo-7f3a9c");
}

TEST_CASE("Assertion parser rejects malformed input, naming what is wrong", "[saml][messages]") {
  std::string xml = goodAssertionXml();
  struct Case {
    std::string from, to, names;
  };
  const auto c = GENERATE(values<Case>({
      {"Version=\"2.0\"", "Version=\"1.1\"", "Version"},
      {"Version=\"2.0\"", "", "Version"},
      {"IssueInstant=\"2026-11-23T18:00:00Z\"", "", "IssueInstant"},
      {"IssueInstant=\"2026-11-23T18:00:00Z\"", "IssueInstant=\"yesterday\"", "IssueInstant"},
      {"IssueInstant=\"2026-11-23T18:00:00Z\"", "IssueInstant=\"2026-11-23T18:00:00\"",
       "IssueInstant"},
      {"ID=\"_asrt", "IDx=\"_asrt", "ID"},
      {"NotOnOrAfter=\"2026-11-23T18:05:00Z\" Recipient", "NotOnOrAfter=\"soon\" Recipient",
       "NotOnOrAfter"},
      {"AuthnInstant=\"2026-11-23T17:59:50Z\"", "", "AuthnInstant"},
      {"Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"", "", "Method"},
      {"<saml:Issuer>https://ent.example.org/idp</saml:Issuer>", "", "Issuer"},
      {"<saml:Issuer>",
       "<saml:Issuer Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">", "Issuer"},
      {"<saml:Issuer>https://ent.example.org/idp</saml:Issuer>",
       "<saml:Issuer>https://ent.example.org/idp</saml:Issuer><saml:Issuer>x</saml:Issuer>",
       "Issuer"},
      {"<saml:AudienceRestriction>", "<saml:Condition/><saml:AudienceRestriction>", "Condition"},
      {"Name=\"ENTPersonStructRattach\"", "", "Name"},
  }));
  replaceOnce(xml, c.from, c.to);
  auto error = parseError(xml, [](const xmlNode* n) { return parseAssertion(n); });
  CHECK(error.code == ErrorCode::kMalformedMessage);
  CHECK(error.detail.find(c.names) != std::string::npos);
}

TEST_CASE("Response parser requires a Status with a StatusCode", "[saml][messages]") {
  auto built = buildResponse(garde::test::goodResponse());
  REQUIRE(built.has_value());
  std::string xml = serialize(built->get());
  SECTION("no Status") {
    const auto from = xml.find("<samlp:Status>");
    const auto to = xml.find("</samlp:Status>") + std::string("</samlp:Status>").size();
    xml.erase(from, to - from);
    auto error = parseError(xml, [](const xmlNode* n) { return parseResponse(n); });
    CHECK(error.code == ErrorCode::kMalformedMessage);
    CHECK(error.detail.find("Status") != std::string::npos);
  }
  SECTION("StatusCode without Value") {
    replaceOnce(xml, "Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"", "");
    auto error = parseError(xml, [](const xmlNode* n) { return parseResponse(n); });
    CHECK(error.code == ErrorCode::kMalformedMessage);
    CHECK(error.detail.find("Value") != std::string::npos);
  }
  SECTION("wrong element") {
    auto error = parseError(xml, [](const xmlNode* n) { return parseLogoutResponse(n); });
    CHECK(error.code == ErrorCode::kMalformedMessage);
  }
}

TEST_CASE("AuthnRequest parser rejects bad booleans and indexes", "[saml][messages]") {
  AuthnRequest r;
  r.id = "_req1";
  r.issue_instant = kNow;
  r.issuer = garde::test::kSpEntityId;
  r.force_authn = true;
  r.assertion_consumer_service_index = 1;
  auto built = buildAuthnRequest(r);
  REQUIRE(built.has_value());
  std::string xml = serialize(built->get());
  SECTION("boolean") {
    replaceOnce(xml, "ForceAuthn=\"true\"", "ForceAuthn=\"yes\"");
    auto error = parseError(xml, [](const xmlNode* n) { return parseAuthnRequest(n); });
    CHECK(error.code == ErrorCode::kMalformedMessage);
    CHECK(error.detail.find("ForceAuthn") != std::string::npos);
  }
  SECTION("index") {
    replaceOnce(xml, "AssertionConsumerServiceIndex=\"1\"", "AssertionConsumerServiceIndex=\"-1\"");
    auto error = parseError(xml, [](const xmlNode* n) { return parseAuthnRequest(n); });
    CHECK(error.code == ErrorCode::kMalformedMessage);
    CHECK(error.detail.find("AssertionConsumerServiceIndex") != std::string::npos);
  }
}

namespace {

// Compares the exclusive C14N of a built document with tests/data/saml/messages/<name>.
// GARDE_UPDATE_GOLDEN=1 rewrites the file instead (review the diff before committing).
void checkGolden(const XmlDoc& doc, const std::string& name) {
  auto c14n = canonicalize(doc.get(), xmlDocGetRootElement(doc.get()));
  REQUIRE(c14n.has_value());
  const std::string path = "saml/messages/" + name;
  if (std::getenv("GARDE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(garde::test::dataPath(path), std::ios::binary) << *c14n << "\n";
  }
  CHECK(*c14n + "\n" == garde::test::loadFixture(path));
}

}  // namespace

TEST_CASE("Built messages match their golden C14N", "[saml][messages][golden]") {
  const AuthnRequest r = garde::test::authnRequest(
      {.id = "_req1",
       .name_id_policy = NameIDPolicy{std::string(name_id_format::kPersistent), "", true}});
  auto request = buildAuthnRequest(r);
  REQUIRE(request.has_value());
  checkGolden(*request, "authn_request.xml");

  auto response = buildResponse(garde::test::goodResponse(), {garde::test::goodAssertion()});
  REQUIRE(response.has_value());
  checkGolden(*response, "response.xml");

  LogoutRequest lr;
  lr.id = "_lr1";
  lr.issue_instant = kNow;
  lr.issuer = garde::test::kSpEntityId;
  lr.name_id = NameID{"pseudo-1", std::string(name_id_format::kTransient), "", ""};
  lr.session_indexes = {"_s1"};
  auto logout = buildLogoutRequest(lr);
  REQUIRE(logout.has_value());
  checkGolden(*logout, "logout_request.xml");
}
