#include "saml/signature.h"

#include <catch2/catch.hpp>
#include <string>

#include "saml/xml.h"
#include "support/credentials.h"

using garde::core::ErrorCode;
using namespace garde::saml;

namespace {

using garde::test::kNow;

const Credential& idpCredential() {
  static const Credential cred = garde::test::makeCredential("test idp", KeyType::kRsa, kNow);
  return cred;
}

const Credential& ecCredential() {
  static const Credential cred = garde::test::makeCredential("test ec idp", KeyType::kEc, kNow);
  return cred;
}

const Credential& attackerCredential() {
  static const Credential cred = garde::test::makeCredential("attacker", KeyType::kRsa, kNow);
  return cred;
}

constexpr const char* kResponse =
    R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
    R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp1" Version="2.0" )"
    R"(IssueInstant="2026-11-23T18:00:00Z"><saml:Issuer>https://idp.example/</saml:Issuer>)"
    R"(<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>)"
    R"(<saml:Assertion ID="_a1" Version="2.0" IssueInstant="2026-11-23T18:00:00Z">)"
    R"(<saml:Issuer>https://idp.example/</saml:Issuer><saml:Subject><saml:NameID>pupil-42</saml:NameID>)"
    R"(</saml:Subject></saml:Assertion></samlp:Response>)";

// Signs the root of `xml` and returns the serialized signed document.
std::string signedXml(const std::string& xml, const Credential& cred,
                      std::optional<SignatureAlgorithm> alg = std::nullopt) {
  auto doc = parseOwn(xml);
  REQUIRE(doc.has_value());
  auto st = signElement(xmlDocGetRootElement(doc->get()), cred, alg);
  REQUIRE(st.has_value());
  return serialize(doc->get());
}

garde::core::Result<xmlNode*> verifyRoot(const std::string& xml,
                                         const std::vector<Certificate>& trusted, XmlDoc& holder) {
  auto doc = parseUntrusted(xml);
  if (!doc) {
    return garde::core::fail(doc.error());
  }
  holder = std::move(doc).value();
  return verifyEnvelopedSignature(xmlDocGetRootElement(holder.get()), trusted);
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

ErrorCode codeOf(const std::string& xml, const std::vector<Certificate>& trusted) {
  XmlDoc holder;
  auto r = verifyRoot(xml, trusted, holder);
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().describe());
  return r.error().code;
}

}  // namespace

TEST_CASE("Signing then verifying returns the signed element, for every allowed algorithm",
          "[saml][signature]") {
  const auto alg = GENERATE(SignatureAlgorithm::kRsaSha256, SignatureAlgorithm::kRsaSha384,
                            SignatureAlgorithm::kRsaSha512, SignatureAlgorithm::kEcdsaSha256,
                            SignatureAlgorithm::kEcdsaSha384, SignatureAlgorithm::kEcdsaSha512);
  const bool ec = alg == SignatureAlgorithm::kEcdsaSha256 ||
                  alg == SignatureAlgorithm::kEcdsaSha384 ||
                  alg == SignatureAlgorithm::kEcdsaSha512;
  const Credential& cred = ec ? ecCredential() : idpCredential();
  const std::string xml = signedXml(kResponse, cred, alg);
  XmlDoc holder;
  auto r = verifyRoot(xml, {cred.cert}, holder);
  REQUIRE(r.has_value());
  CHECK(r.value() == xmlDocGetRootElement(holder.get()));
  CHECK(xml.find(std::string(algorithmUri(alg))) != std::string::npos);
}

TEST_CASE("The Signature is placed after the Issuer", "[saml][signature]") {
  const std::string xml = signedXml(kResponse, idpCredential());
  CHECK(xml.find("</saml:Issuer><ds:Signature") != std::string::npos);
}

TEST_CASE("A tampered signed value is rejected", "[saml][signature][attack]") {
  std::string xml = signedXml(kResponse, idpCredential());
  replaceAll(xml, "pupil-42", "teacher-1");
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kSignatureInvalid);
}

TEST_CASE("A signature by a key outside the trusted set is rejected", "[saml][signature][attack]") {
  const std::string xml = signedXml(kResponse, attackerCredential());
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kSignatureInvalid);
}

TEST_CASE("The key in the message's KeyInfo is never used", "[saml][signature][attack]") {
  // Signed by the attacker, whose certificate travels in KeyInfo; only the metadata key counts.
  const std::string xml = signedXml(kResponse, attackerCredential());
  REQUIRE(xml.find(attackerCredential().cert.base64Der()) != std::string::npos);
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kSignatureInvalid);
}

TEST_CASE("Either of two trusted keys verifies during a rollover", "[saml][signature]") {
  const std::string xml = signedXml(kResponse, idpCredential());
  XmlDoc holder;
  CHECK(verifyRoot(xml, {attackerCredential().cert, idpCredential().cert}, holder).has_value());
}

TEST_CASE("Verification without trusted keys is refused", "[saml][signature][attack]") {
  const std::string xml = signedXml(kResponse, idpCredential());
  CHECK(codeOf(xml, {}) == ErrorCode::kNoTrustedKey);
}

TEST_CASE("A removed signature is reported missing", "[saml][signature][attack]") {
  CHECK(codeOf(kResponse, {idpCredential().cert}) == ErrorCode::kSignatureMissing);
}

TEST_CASE("SHA-1, MD5 and HMAC signature methods are forbidden", "[saml][signature][attack]") {
  const std::string forbidden =
      GENERATE(std::string("http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
               std::string("http://www.w3.org/2001/04/xmldsig-more#rsa-md5"),
               std::string("http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
               std::string("http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"),
               std::string("http://www.w3.org/2000/09/xmldsig#dsa-sha1"),
               std::string("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"));
  std::string xml = signedXml(kResponse, idpCredential());
  replaceAll(xml, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", forbidden);
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kAlgorithmForbidden);
}

TEST_CASE("SHA-1 and MD5 digests are forbidden", "[saml][signature][attack]") {
  const std::string forbidden = GENERATE(std::string("http://www.w3.org/2000/09/xmldsig#sha1"),
                                         std::string("http://www.w3.org/2001/04/xmldsig-more#md5"));
  std::string xml = signedXml(kResponse, idpCredential());
  replaceAll(xml, "http://www.w3.org/2001/04/xmlenc#sha256", forbidden);
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kAlgorithmForbidden);
}

TEST_CASE("XSLT, XPath and other transforms are refused", "[saml][signature][attack]") {
  const std::string transform = GENERATE(
      std::string(R"(<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>)"),
      std::string(
          R"(<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>1</ds:XPath></ds:Transform>)"),
      std::string(R"(<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"/>)"),
      std::string(R"(<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#base64"/>)"));
  std::string xml = signedXml(kResponse, idpCredential());
  replaceAll(xml, "<ds:Transforms>", "<ds:Transforms>" + transform);
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kSignatureProfile);
}

TEST_CASE("C14N with comments is refused, as canonicalization and as transform",
          "[saml][signature][attack]") {
  std::string xml = signedXml(kResponse, idpCredential());
  SECTION("transform") {
    REQUIRE(xml.find(R"(<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">)") !=
            std::string::npos);
    replaceAll(xml, R"(<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">)",
               R"(<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments">)");
  }
  SECTION("canonicalization method") {
    replaceAll(
        xml, R"(<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>)",
        R"(<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>)");
  }
  SECTION("inclusive c14n") {
    replaceAll(
        xml, R"(<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>)",
        R"(<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"/>)");
  }
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kSignatureProfile);
}

TEST_CASE("A Reference to another element than the signature's parent is refused",
          "[saml][signature][attack]") {
  std::string xml = signedXml(kResponse, idpCredential());
  SECTION("points to the assertion") { replaceAll(xml, R"(URI="#_resp1")", R"(URI="#_a1")"); }
  SECTION("whole document") { replaceAll(xml, R"(URI="#_resp1")", R"(URI="")"); }
  SECTION("external") { replaceAll(xml, R"(URI="#_resp1")", R"(URI="http://127.0.0.1:9/x")"); }
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kSignatureProfile);
}

TEST_CASE("Two References or two Signatures are refused", "[saml][signature][attack]") {
  std::string xml = signedXml(kResponse, idpCredential());
  const auto start = xml.find("<ds:Reference");
  const auto end = xml.find("</ds:Reference>") + std::string("</ds:Reference>").size();
  SECTION("two references") { xml.insert(end, xml.substr(start, end - start)); }
  SECTION("two signatures") {
    const auto s1 = xml.find("<ds:Signature");
    const auto s2 = xml.find("</ds:Signature>") + std::string("</ds:Signature>").size();
    xml.insert(s2, xml.substr(s1, s2 - s1));
  }
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kSignatureProfile);
}

TEST_CASE("A signed element that lost its ID is refused", "[saml][signature][attack]") {
  std::string xml = signedXml(kResponse, idpCredential());
  replaceAll(xml, R"( ID="_resp1")", "");
  CHECK(codeOf(xml, {idpCredential().cert}) == ErrorCode::kSignatureProfile);
}

TEST_CASE("A signature on a nested element does not count for its ancestor",
          "[saml][signature][attack]") {
  auto doc = parseOwn(kResponse);
  REQUIRE(doc.has_value());
  xmlNode* assertion = elementById(doc->get(), "_a1");
  REQUIRE(signElement(assertion, idpCredential()).has_value());
  const std::string xml = serialize(doc->get());
  XmlDoc holder;
  auto parsed = parseUntrusted(xml);
  REQUIRE(parsed.has_value());
  auto r = verifyEnvelopedSignature(xmlDocGetRootElement(parsed->get()), {idpCredential().cert});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kSignatureMissing);
  auto a = verifyEnvelopedSignature(elementById(parsed->get(), "_a1"), {idpCredential().cert});
  CHECK(a.has_value());
}

TEST_CASE("Raw signatures over exact bytes verify and detect tampering", "[saml][signature]") {
  const std::string data = "SAMLRequest=abc%2B&RelayState=xyz&SigAlg=...";
  for (const Credential* cred : {&idpCredential(), &ecCredential()}) {
    const auto alg = defaultAlgorithm(cred->key);
    auto sig = signBytes(data, cred->key, alg);
    REQUIRE(sig.has_value());
    CHECK(verifyBytes(data, *sig, algorithmUri(alg), {cred->cert}).has_value());
    auto bad = verifyBytes(data + "x", *sig, algorithmUri(alg), {cred->cert});
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == ErrorCode::kSignatureInvalid);
  }
  auto sha1 =
      verifyBytes(data, "x", "http://www.w3.org/2000/09/xmldsig#rsa-sha1", {idpCredential().cert});
  REQUIRE_FALSE(sha1.has_value());
  CHECK(sha1.error().code == ErrorCode::kAlgorithmForbidden);
}

TEST_CASE("Weak RSA keys are refused on load", "[saml][keys]") {
  auto weak = PrivateKey::generateRsa(1024);
  auto loaded = PrivateKey::fromPem(weak.pem());
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().code == ErrorCode::kAlgorithmForbidden);
  auto ok = PrivateKey::fromPem(idpCredential().key.pem());
  REQUIRE(ok.has_value());
  CHECK(ok->matches(idpCredential().cert));
  CHECK_FALSE(ok->matches(attackerCredential().cert));
}

TEST_CASE("Certificates round-trip through PEM and base64 DER", "[saml][keys]") {
  const auto& cert = idpCredential().cert;
  CHECK(Certificate::fromPem(cert.pem()).value() == cert);
  CHECK(Certificate::fromBase64Der(cert.base64Der()).value() == cert);
  CHECK(cert.subject() == "CN=test idp");
  CHECK(cert.notAfter() > kNow);
  CHECK(Certificate::fromBase64Der("bm90IGEgY2VydA==").error().code ==
        ErrorCode::kMalformedMessage);
}
