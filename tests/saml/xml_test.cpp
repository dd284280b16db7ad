#include "saml/xml.h"

#include <catch2/catch.hpp>

using garde::core::ErrorCode;
using garde::saml::parseUntrusted;

TEST_CASE("Hardened parser accepts a plain SAML document and registers its IDs", "[saml][xml]") {
  auto doc = parseUntrusted(
      R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0">)"
      R"(<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1"/></samlp:Response>)");
  REQUIRE(doc.has_value());
  xmlNode* a = garde::saml::elementById(doc->get(), "_a1");
  REQUIRE(a != nullptr);
  CHECK(garde::saml::localName(a) == "Assertion");
}

TEST_CASE("Hardened parser rejects any DOCTYPE, entity or external reference",
          "[saml][xml][attack]") {
  const char* input = GENERATE(
      // XXE: external entity to a local file
      R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>)",
      // billion laughs
      R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><r>&lol3;</r>)",
      // external DTD over the network
      R"(<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>)",
      // parameter entity
      R"(<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p"> %p;]><r/>)",
      // bare DOCTYPE
      R"(<!DOCTYPE r><r/>)");
  auto doc = parseUntrusted(input);
  REQUIRE_FALSE(doc.has_value());
  CHECK(doc.error().code == ErrorCode::kForbiddenXml);
}

TEST_CASE("Hardened parser rejects undefined entities and processing instructions",
          "[saml][xml][attack]") {
  auto undefined = parseUntrusted("<r>&x;</r>");
  REQUIRE_FALSE(undefined.has_value());
  CHECK((undefined.error().code == ErrorCode::kForbiddenXml ||
         undefined.error().code == ErrorCode::kMalformedMessage));
  auto pi = parseUntrusted("<r><?xml-stylesheet href='x'?></r>");
  REQUIRE_FALSE(pi.has_value());
  CHECK(pi.error().code == ErrorCode::kForbiddenXml);
}

TEST_CASE("Hardened parser enforces size, depth and node caps", "[saml][xml][limits]") {
  SECTION("size") {
    auto r = parseUntrusted(std::string(300 * 1024, ' ') + "<r/>");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kLimitExceeded);
  }
  SECTION("depth") {
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "<a>";
    for (int i = 0; i < 100; ++i) deep += "</a>";
    auto r = parseUntrusted(deep);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kLimitExceeded);
  }
  SECTION("nodes") {
    std::string wide = "<r>";
    for (int i = 0; i < 30000; ++i) wide += "<a/>";
    wide += "</r>";
    auto r = parseUntrusted(wide);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kLimitExceeded);
  }
}

TEST_CASE("Hardened parser rejects duplicate IDs, including xml:id collisions",
          "[saml][xml][attack]") {
  auto dup = parseUntrusted(R"(<r><a ID="_x"/><b ID="_x"/></r>)");
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().code == ErrorCode::kDuplicateId);
  auto xmlid = parseUntrusted(R"(<r><a ID="_x"/><b xml:id="_x"/></r>)");
  REQUIRE_FALSE(xmlid.has_value());
  CHECK(xmlid.error().code == ErrorCode::kDuplicateId);
}

TEST_CASE("Malformed XML is rejected with the parser's reason", "[saml][xml]") {
  auto r = parseUntrusted("<r><unclosed></r>");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kMalformedMessage);
  CHECK(r.error().detail.find("line") != std::string::npos);
}

TEST_CASE("Text content includes text around comments", "[saml][xml]") {
  auto doc = parseUntrusted("<r>admin<!-- c -->@evil.example</r>");
  REQUIRE(doc.has_value());
  CHECK(garde::saml::textContent(xmlDocGetRootElement(doc->get())) == "admin@evil.example");
}

TEST_CASE("Unregistered Id attributes may repeat; they never resolve a reference", "[saml][xml]") {
  // pysaml2 names the Signature of a Response and of its Assertion both "Signature1".
  auto doc =
      parseUntrusted(R"(<r ID="_r"><s Id="Signature1"/><a ID="_a"><s Id="Signature1"/></a></r>)");
  REQUIRE(doc.has_value());
  CHECK(garde::saml::elementById(doc->get(), "Signature1") == nullptr);
  CHECK(garde::saml::elementById(doc->get(), "_a") != nullptr);
}
