#include "saml/metadata.h"

#include <catch2/catch.hpp>
#include <string>

#include "core/time.h"
#include "saml/messages.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "support/credentials.h"
#include "support/fixtures.h"

using garde::core::ErrorCode;
using garde::core::parseIso8601;
using garde::test::loadFixture;
using namespace garde::saml;

namespace {

using garde::test::kNow;
constexpr const char* kPost = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
constexpr const char* kRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

const Credential& mdCredential() {
  static const Credential cred =
      garde::test::makeCredential("federation metadata signer", KeyType::kRsa, kNow);
  return cred;
}

const Credential& otherCredential() {
  static const Credential cred = garde::test::makeCredential("someone else", KeyType::kEc, kNow);
  return cred;
}

Certificate fixtureCert(const std::string& name) {
  return garde::test::fixtureCertificate("saml/metadata/" + name + ".pem");
}

std::string md(const std::string& name) { return loadFixture("saml/metadata/" + name); }

garde::core::UnixTime at(const char* iso) { return parseIso8601(iso).value(); }

MetadataOptions unsignedAt(garde::core::UnixTime now) {
  MetadataOptions o;
  o.now = now;
  return o;
}

MetadataOptions trusting(std::vector<Certificate> certs, garde::core::UnixTime now = kNow) {
  MetadataOptions o;
  o.trusted = std::move(certs);
  o.now = now;
  return o;
}

ErrorCode codeOf(const garde::core::Result<std::vector<EntityDescriptor>>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

std::string signedXml(const std::string& xml, const Credential& cred) {
  auto doc = parseOwn(xml);
  REQUIRE(doc.has_value());
  REQUIRE(signElement(xmlDocGetRootElement(doc->get()), cred).has_value());
  return serialize(doc->get());
}

void replaceFirst(std::string& s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
}

// An entity playing both roles, with a signing key rollover.
EntityDescriptor sampleEntity() {
  const Certificate current = mdCredential().cert;
  const Certificate next = otherCredential().cert;
  EntityDescriptor e;
  e.entity_id = "https://garde.example.fr/saml";
  e.id = "_garde-md-1";
  e.valid_until = at("2026-12-01T00:00:00Z");
  IdpSsoDescriptor idp;
  idp.want_authn_requests_signed = true;
  idp.keys = {KeyDescriptor{KeyUse::kSigning, current, {}},
              KeyDescriptor{KeyUse::kSigning, next, {}}};
  idp.slo = {Endpoint{kRedirect,
                      "https://garde.example.fr/saml/slo",
                      "https://garde.example.fr/saml/slo/r",
                      {},
                      {}}};
  idp.name_id_formats = {"urn:oasis:names:tc:SAML:2.0:nameid-format:transient"};
  idp.sso = {Endpoint{kRedirect, "https://garde.example.fr/saml/sso", "", {}, {}},
             Endpoint{kPost, "https://garde.example.fr/saml/sso?a=1&b=<2>", "", {}, {}}};
  e.idp = idp;
  SpSsoDescriptor sp;
  sp.authn_requests_signed = true;
  sp.want_assertions_signed = true;
  sp.keys = {
      KeyDescriptor{KeyUse::kUnspecified, current, {}},
      KeyDescriptor{KeyUse::kEncryption, next, {"http://www.w3.org/2009/xmlenc11#aes256-gcm"}}};
  sp.name_id_formats = {"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"};
  sp.acs = {Endpoint{kPost, "https://garde.example.fr/saml/acs", "", 0, {}},
            Endpoint{kPost, "https://garde.example.fr/saml/acs2", "", 3, true},
            Endpoint{kRedirect, "https://garde.example.fr/saml/acs3", "", 5, false}};
  e.sp = sp;
  return e;
}

}  // namespace

TEST_CASE("Metadata of an ENT IdP is read field by field", "[saml][metadata]") {
  auto r = parseMetadata(md("ent_idp.xml"), unsignedAt(kNow));
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  const EntityDescriptor& e = r->front();
  CHECK(e.entity_id == "https://ent.example.fr/idp/shibboleth");
  CHECK(e.id.empty());
  CHECK_FALSE(e.valid_until.has_value());
  CHECK_FALSE(e.sp.has_value());
  REQUIRE(e.idp.has_value());
  CHECK_FALSE(e.idp->want_authn_requests_signed);
  REQUIRE(e.idp->sso.size() == 4);
  CHECK(e.idp->sso[3].binding == kRedirect);
  CHECK(e.idp->sso[3].location == "https://ent.example.fr/idp/profile/SAML2/Redirect/SSO");
  REQUIRE(e.idp->slo.size() == 2);
  CHECK(e.idp->slo[1].binding == kPost);
  CHECK(e.idp->name_id_formats ==
        std::vector<std::string>{"urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
                                 "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"});
  REQUIRE(e.idp->keys.size() == 3);
  CHECK(e.idp->keys[2].use == KeyUse::kEncryption);
  CHECK(e.idp->keys[2].encryption_methods.size() == 2);
  // Rollover: both signing keys; the encryption-only one is not for signatures.
  CHECK(e.signingCertificates() ==
        std::vector<Certificate>{fixtureCert("idp1"), fixtureCert("idp2")});
  CHECK(e.encryptionCertificates() == std::vector<Certificate>{fixtureCert("idp1")});
  CHECK(e.defaultAcs() == nullptr);
}

TEST_CASE("Metadata of a publisher SP: flags, keys and ACS selection", "[saml][metadata]") {
  auto r = parseMetadata(md("publisher_sp.xml"), unsignedAt(kNow));
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  const EntityDescriptor& e = r->front();
  CHECK(e.entity_id == "https://ressources.editeur.example/shibboleth");
  CHECK(e.id == "_4b1e6f0c2d8a9e7f3c5b1a0d9e8f7c6b5a4d3e2f");
  CHECK(e.valid_until == at("2027-06-01T00:00:00Z"));
  REQUIRE(e.sp.has_value());
  CHECK(e.sp->authn_requests_signed);
  CHECK(e.sp->want_assertions_signed);
  CHECK(e.sp->slo.size() == 3);
  REQUIRE(e.sp->acs.size() == 5);
  // Unspecified use counts for both; the encryption key only for encryption.
  CHECK(e.signingCertificates() == std::vector<Certificate>{fixtureCert("sp1")});
  CHECK(e.encryptionCertificates() ==
        std::vector<Certificate>{fixtureCert("sp1"), fixtureCert("sp2")});

  REQUIRE(e.defaultAcs() != nullptr);
  CHECK(e.defaultAcs()->index == 7);  // isDefault="true" wins over document order
  CHECK(e.defaultAcs(kPost)->index == 7);
  CHECK(e.defaultAcs("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact")->index == 3);
  CHECK(e.defaultAcs(kRedirect) == nullptr);
  REQUIRE(e.acsByIndex(3) != nullptr);
  CHECK(e.acsByIndex(3)->binding == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact");
  CHECK(e.acsByIndex(6) == nullptr);
  CHECK(e.acsByUrl("https://ressources.editeur.example/Shibboleth.sso/SAML2/POST")->index == 1);
  CHECK(e.acsByUrl("https://ressources.editeur.example/Shibboleth.sso/SAML2/POST", kRedirect) ==
        nullptr);
  CHECK(e.acsByUrl("https://ressources.editeur.example/Shibboleth.sso/SAML2/POST/") == nullptr);
}

TEST_CASE("Default ACS follows SAML2 Metadata 2.2.3", "[saml][metadata]") {
  SpSsoDescriptor sp;
  sp.acs = {Endpoint{kPost, "https://a/1", "", 1, false}, Endpoint{kPost, "https://a/2", "", 2, {}},
            Endpoint{kPost, "https://a/3", "", 3, {}}};
  CHECK(sp.defaultAcs()->index == 2);  // first without isDefault="false"
  sp.acs[1].is_default = false;
  sp.acs[2].is_default = false;
  CHECK(sp.defaultAcs()->index == 1);  // all false: the first
  sp.acs[2].is_default = true;
  CHECK(sp.defaultAcs()->index == 3);
  CHECK(SpSsoDescriptor{}.defaultAcs() == nullptr);
}

TEST_CASE("Metadata generate -> sign -> parse gives the same entity", "[saml][metadata]") {
  const EntityDescriptor original = sampleEntity();
  auto doc = generateMetadata(original);
  REQUIRE(doc.has_value());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  REQUIRE(signElement(root, mdCredential()).has_value());
  const std::string xml = serialize(doc->get());
  CHECK(xml.find("<ds:X509Certificate>" + otherCredential().cert.base64Der()) != std::string::npos);

  auto parsed = parseMetadata(xml, trusting({mdCredential().cert}));
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  CHECK(parsed->front() == original);
  CHECK(parsed->front().signingCertificates() ==
        std::vector<Certificate>{mdCredential().cert, otherCredential().cert});

  SECTION("validUntil given to the generator wins") {
    auto later = generateMetadata(original, at("2026-12-24T00:00:00Z"));
    REQUIRE(later.has_value());
    auto p = parseMetadata(serialize(later->get()), unsignedAt(kNow));
    REQUIRE(p.has_value());
    CHECK(p->front().valid_until == at("2026-12-24T00:00:00Z"));
  }
  SECTION("an empty id becomes a stable NCName") {
    EntityDescriptor no_id = original;
    no_id.id.clear();
    auto a = generateMetadata(no_id);
    auto b = generateMetadata(no_id);
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    const auto id = attribute(xmlDocGetRootElement(a->get()), "ID");
    REQUIRE(id.has_value());
    CHECK(id->size() == 41);
    CHECK(id->front() == '_');
    CHECK(id == attribute(xmlDocGetRootElement(b->get()), "ID"));
    CHECK(signElement(xmlDocGetRootElement(a->get()), mdCredential()).has_value());
  }
  SECTION("a certificate rolled in verifies too") {
    CHECK(parseMetadata(xml, trusting({otherCredential().cert, mdCredential().cert})).has_value());
  }
}

TEST_CASE("Metadata generation rejects incomplete entities", "[saml][metadata]") {
  EntityDescriptor e = sampleEntity();
  e.entity_id.clear();
  CHECK(generateMetadata(e).error().code == ErrorCode::kMalformedMessage);
  e = sampleEntity();
  e.sp->acs[0].index.reset();
  CHECK(generateMetadata(e).error().code == ErrorCode::kMalformedMessage);
  e = sampleEntity();
  e.idp->sso[0].location.clear();
  CHECK(generateMetadata(e).error().code == ErrorCode::kMalformedMessage);
  e = sampleEntity();
  e.entity_id = "https://bad.example/\xff";
  CHECK(generateMetadata(e).error().code == ErrorCode::kBadEncoding);
}

TEST_CASE("Signed metadata: missing, foreign, tampered", "[saml][metadata]") {
  auto doc = generateMetadata(sampleEntity());
  REQUIRE(doc.has_value());
  const std::string unsigned_xml = serialize(doc->get());
  REQUIRE(signElement(xmlDocGetRootElement(doc->get()), mdCredential()).has_value());
  const std::string signed_md = serialize(doc->get());

  CHECK(codeOf(parseMetadata(unsigned_xml, trusting({mdCredential().cert}))) ==
        ErrorCode::kSignatureMissing);
  CHECK(codeOf(parseMetadata(md("publisher_sp.xml"), trusting({mdCredential().cert}))) ==
        ErrorCode::kSignatureMissing);
  CHECK(codeOf(parseMetadata(signed_md, trusting({otherCredential().cert}))) ==
        ErrorCode::kSignatureInvalid);

  SECTION("a changed ACS location") {
    std::string tampered = signed_md;
    replaceFirst(tampered, "https://garde.example.fr/saml/acs2", "https://evil.example/acs2");
    CHECK(codeOf(parseMetadata(tampered, trusting({mdCredential().cert}))) ==
          ErrorCode::kSignatureInvalid);
  }
  SECTION("a swapped signing certificate") {
    std::string tampered = signed_md;
    replaceFirst(tampered, "<ds:X509Certificate>" + otherCredential().cert.base64Der(),
                 "<ds:X509Certificate>" + fixtureCert("idp1").base64Der());
    CHECK(codeOf(parseMetadata(tampered, trusting({mdCredential().cert}))) ==
          ErrorCode::kSignatureInvalid);
  }
  SECTION("without trusted certificates the signature is not checked") {
    CHECK(parseMetadata(unsigned_xml, unsignedAt(kNow)).has_value());
  }
}

TEST_CASE("Metadata aggregates: nested groups, expiry drops stale entities", "[saml][metadata]") {
  const std::string fed = md("federation.xml");
  SECTION("today: the IdP and the SP, with inherited validUntil") {
    auto r = parseMetadata(fed, unsignedAt(kNow));
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 2);
    CHECK((*r)[0].entity_id == "https://ent.example.fr/idp/shibboleth");
    CHECK((*r)[0].valid_until == at("2026-12-31T00:00:00Z"));  // its group's
    CHECK((*r)[0].idp.has_value());
    CHECK((*r)[1].entity_id == "https://ressources.editeur.example/shibboleth");
    CHECK((*r)[1].valid_until == at("2027-01-15T00:00:00Z"));  // the root's, earlier than its own
  }
  SECTION("after the ENT group expired: only the SP") {
    auto r = parseMetadata(fed, unsignedAt(at("2026-12-31T00:00:00Z")));
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].entity_id == "https://ressources.editeur.example/shibboleth");
  }
  SECTION("after the root expired") {
    CHECK(codeOf(parseMetadata(fed, unsignedAt(at("2027-01-15T00:00:00Z")))) ==
          ErrorCode::kExpired);
  }
  SECTION("signed aggregate") {
    const std::string signed_fed = signedXml(fed, mdCredential());
    auto r = parseMetadata(signed_fed, trusting({mdCredential().cert}));
    REQUIRE(r.has_value());
    CHECK(r->size() == 2);
    std::string tampered = signed_fed;
    replaceFirst(tampered, "https://ressources.editeur.example/manuels/acs",
                 "https://evil.example/acs");
    CHECK(codeOf(parseMetadata(tampered, trusting({mdCredential().cert}))) ==
          ErrorCode::kSignatureInvalid);
  }
  SECTION("an aggregate whose entities all expired") {
    const std::string all_stale =
        R"(<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">)"
        R"(<md:EntityDescriptor entityID="https://a.example/" validUntil="2026-01-01T00:00:00Z"/>)"
        R"(</md:EntitiesDescriptor>)";
    CHECK(codeOf(parseMetadata(all_stale, unsignedAt(kNow))) == ErrorCode::kExpired);
  }
}

TEST_CASE("Metadata of an aggregate read for some entities only decodes those",
          "[saml][metadata]") {
  // The second entity's certificate is not base64: read in full, the aggregate is refused; read
  // for the first entity only, its certificate is never decoded.
  const std::string fed =
      R"(<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" )"
      R"(xmlns:ds="http://www.w3.org/2000/09/xmldsig#">)"
      R"(<md:EntityDescriptor entityID="https://a.example/"><md:SPSSODescriptor )"
      R"(protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">)"
      R"(<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" )"
      R"(Location="https://a.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>)"
      R"(<md:EntityDescriptor entityID="https://b.example/"><md:SPSSODescriptor )"
      R"(protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">)"
      R"(<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>!!not)"
      R"(</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>)"
      R"(<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" )"
      R"(Location="https://b.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>)"
      R"(</md:EntitiesDescriptor>)";
  CHECK(codeOf(parseMetadata(fed, unsignedAt(kNow))) == ErrorCode::kMalformedMessage);
  const std::set<std::string, std::less<>> only_a = {"https://a.example/"};
  MetadataOptions options = unsignedAt(kNow);
  options.only_entities = &only_a;
  auto r = parseMetadata(fed, options);
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].entity_id == "https://a.example/");
  // An entity named twice is still refused, read or not.
  std::string twice = fed;
  replaceFirst(twice, "https://b.example/\"", "https://a.example/\"");
  CHECK(codeOf(parseMetadata(twice, options)) == ErrorCode::kMalformedMessage);
}

TEST_CASE("Metadata validUntil on the root", "[saml][metadata]") {
  CHECK(codeOf(parseMetadata(md("publisher_sp.xml"), unsignedAt(at("2027-06-01T00:00:00Z")))) ==
        ErrorCode::kExpired);
  CHECK(parseMetadata(md("publisher_sp.xml"), unsignedAt(at("2027-05-31T23:59:59Z"))).has_value());
  MetadataOptions o = unsignedAt(kNow);
  o.require_valid_until = true;
  CHECK(parseMetadata(md("publisher_sp.xml"), o).has_value());
  CHECK(codeOf(parseMetadata(md("ent_idp.xml"), o)) == ErrorCode::kMalformedMessage);
}

TEST_CASE("Metadata rejects malformed documents", "[saml][metadata]") {
  const std::string head =
      R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" )"
      R"(xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sp.example/">)"
      R"(<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">)";
  const std::string tail = "</md:SPSSODescriptor></md:EntityDescriptor>";
  const std::string acs0 =
      R"(<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" )"
      R"(Location="https://sp.example/acs" index="0"/>)";
  auto code = [&](const std::string& inner) {
    return codeOf(parseMetadata(head + inner + tail, unsignedAt(kNow)));
  };

  REQUIRE(parseMetadata(head + acs0 + tail, unsignedAt(kNow)).has_value());
  CHECK(
      code(R"(<md:AssertionConsumerService Binding="urn:x" Location="https://sp.example/acs"/>)") ==
      ErrorCode::kMalformedMessage);
  CHECK(
      code(
          R"(<md:AssertionConsumerService Binding="urn:x" Location="https://sp.example/acs" index="-1"/>)") ==
      ErrorCode::kMalformedMessage);
  CHECK(
      code(
          R"(<md:AssertionConsumerService Binding="urn:x" Location="https://sp.example/acs" index="70000"/>)") ==
      ErrorCode::kMalformedMessage);
  CHECK(code(R"(<md:AssertionConsumerService Location="https://sp.example/acs" index="1"/>)") ==
        ErrorCode::kMalformedMessage);
  CHECK(code(R"(<md:AssertionConsumerService Binding="urn:x" index="1"/>)") ==
        ErrorCode::kMalformedMessage);
  CHECK(code(acs0 + acs0) == ErrorCode::kMalformedMessage);  // duplicate index
  CHECK(
      code(
          R"(<md:AssertionConsumerService Binding="urn:x" Location="https://sp.example/acs" index="1" isDefault="yes"/>)") ==
      ErrorCode::kMalformedMessage);
  CHECK(code(R"(<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==)"
             R"(</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>)" +
             acs0) == ErrorCode::kMalformedMessage);
  CHECK(code(R"(<md:KeyDescriptor use="signature"><ds:KeyInfo/></md:KeyDescriptor>)" + acs0) ==
        ErrorCode::kMalformedMessage);

  const std::string ns = R"(xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata")";
  CHECK(codeOf(parseMetadata("<md:EntityDescriptor " + ns + "/>", unsignedAt(kNow))) ==
        ErrorCode::kMalformedMessage);
  CHECK(codeOf(parseMetadata("<md:Organization " + ns + "/>", unsignedAt(kNow))) ==
        ErrorCode::kMalformedMessage);
  CHECK(codeOf(parseMetadata(R"(<EntityDescriptor entityID="x"/>)", unsignedAt(kNow))) ==
        ErrorCode::kMalformedMessage);
  CHECK(codeOf(parseMetadata("<md:EntitiesDescriptor " + ns +
                                 R"(><md:EntityDescriptor entityID="a"/>)" +
                                 R"(<md:EntityDescriptor entityID="a"/></md:EntitiesDescriptor>)",
                             unsignedAt(kNow))) == ErrorCode::kMalformedMessage);
  CHECK(codeOf(
            parseMetadata("<md:EntityDescriptor " + ns + R"( entityID="a" validUntil="tomorrow"/>)",
                          unsignedAt(kNow))) == ErrorCode::kMalformedMessage);
  CHECK(codeOf(parseMetadata(
            R"(<!DOCTYPE x [<!ENTITY e "y">]><md:EntityDescriptor )" + ns + R"( entityID="&e;"/>)",
            unsignedAt(kNow))) == ErrorCode::kForbiddenXml);
  CHECK(codeOf(parseMetadata(
            "<md:EntityDescriptor " + ns + " entityID=\"" + std::string(1025, 'a') + "\"/>",
            unsignedAt(kNow))) == ErrorCode::kMalformedMessage);
}

TEST_CASE("Metadata ignores roles that are not SAML 2.0 or have expired", "[saml][metadata]") {
  const std::string xml =
      R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/">)"
      R"(<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol">)"
      R"(<md:SingleSignOnService Binding="urn:x" Location="https://idp.example/saml1"/></md:IDPSSODescriptor>)"
      R"(<md:IDPSSODescriptor validUntil="2026-01-01T00:00:00Z" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">)"
      R"(<md:SingleSignOnService Binding="urn:x" Location="https://idp.example/old"/></md:IDPSSODescriptor>)"
      R"(<md:IDPSSODescriptor protocolSupportEnumeration=" urn:a  urn:oasis:names:tc:SAML:2.0:protocol ">)"
      R"(<md:SingleSignOnService Binding="urn:x" Location="https://idp.example/saml2"/></md:IDPSSODescriptor>)"
      R"(<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocolX"/>)"
      R"(</md:EntityDescriptor>)";
  auto r = parseMetadata(xml, unsignedAt(kNow));
  REQUIRE(r.has_value());
  REQUIRE(r->front().idp.has_value());
  REQUIRE(r->front().idp->sso.size() == 1);
  CHECK(r->front().idp->sso[0].location == "https://idp.example/saml2");
  CHECK_FALSE(r->front().sp.has_value());
}

namespace garde {

TEST_CASE("Metadata carries the algorithm support profile's elements both ways",
          "[saml][metadata][algorithms]") {
  saml::EntityDescriptor e;
  e.entity_id = "https://idp.example/alg";
  e.idp = saml::IdpSsoDescriptor{};
  e.idp->sso.push_back(saml::Endpoint{std::string(saml::binding::kHttpRedirect),
                                      "https://idp.example/sso", "", std::nullopt, std::nullopt});
  e.digest_methods = saml::algorithmSupport().digest_methods;
  e.signing_methods = saml::algorithmSupport().signing_methods;
  auto doc = saml::generateMetadata(e);
  REQUIRE(doc.has_value());
  const std::string xml = saml::serialize(doc->get());
  CHECK(xml.find("<md:Extensions") < xml.find("<md:IDPSSODescriptor"));
  CHECK(xml.find("MinKeySize=\"2048\"") != std::string::npos);
  auto parsed = saml::parseMetadata(xml, {});
  REQUIRE(parsed.has_value());
  CHECK(parsed->front().digest_methods == e.digest_methods);
  CHECK(parsed->front().signing_methods == e.signing_methods);

  SECTION("a peer's, under the EntityDescriptor or a role, read without duplicates") {
    const std::string peer =
        R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" entityID="https://sp.example">
  <md:Extensions><alg:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></md:Extensions>
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:Extensions>
      <alg:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
      <alg:SigningMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" MinKeySize="2048"/>
      <alg:SigningMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>
    </md:Extensions>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>)";
    auto p = saml::parseMetadata(peer, {});
    REQUIRE(p.has_value());
    CHECK(p->front().digest_methods ==
          std::vector<std::string>{"http://www.w3.org/2001/04/xmlenc#sha256"});
    REQUIRE(p->front().signing_methods.size() == 2);
    CHECK(p->front().signing_methods[0].min_key_size == 2048);
    CHECK(p->front().signing_methods[1].min_key_size == 0);
  }
  SECTION("a SigningMethod without Algorithm or with a bad MinKeySize is malformed") {
    for (const char* bad :
         {R"(<alg:SigningMethod/>)", R"(<alg:SigningMethod Algorithm="x" MinKeySize="big"/>)"}) {
      const std::string peer =
          std::string(
              R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" entityID="https://sp.example"><md:Extensions>)") +
          bad + "</md:Extensions></md:EntityDescriptor>";
      auto p = saml::parseMetadata(peer, {});
      REQUIRE_FALSE(p.has_value());
      CHECK(p.error().code == core::ErrorCode::kMalformedMessage);
    }
  }
}

TEST_CASE("A refused algorithm has its replacement", "[saml][algorithms]") {
  CHECK(saml::replacementAlgorithm("http://www.w3.org/2000/09/xmldsig#rsa-sha1") ==
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
  CHECK(saml::replacementAlgorithm("http://www.w3.org/2001/04/xmlenc#aes128-cbc") ==
        "http://www.w3.org/2009/xmlenc11#aes128-gcm");
  CHECK(saml::replacementAlgorithm("urn:nothing").empty());
  CHECK(saml::checkDigestAlgorithm("http://www.w3.org/2001/04/xmlenc#sha256").has_value());
  CHECK(saml::checkDigestAlgorithm("http://www.w3.org/2000/09/xmldsig#sha1").error().code ==
        core::ErrorCode::kAlgorithmForbidden);
  // Every advertised signing method is one the verifier accepts.
  for (const auto& m : saml::algorithmSupport().signing_methods) {
    CHECK(saml::algorithmFromUri(m.algorithm).has_value());
  }
}

}  // namespace garde

TEST_CASE("A fetched document's cacheDuration and validUntil are read from its root",
          "[saml][metadata]") {
  CHECK(parseXsDuration("PT6H") == 6 * 3600);
  CHECK(parseXsDuration("P1DT2H30M") == 86400 + 2 * 3600 + 30 * 60);
  CHECK(parseXsDuration("PT21600.5S") == 21600);
  CHECK(parseXsDuration("P1Y") == 365 * 86400);
  CHECK(parseXsDuration("P2M") == 60 * 86400);
  for (const char* bad : {"", "P", "PT", "6H", "-PT6H", "PT6", "P1H", "PT1D", "P1DT", "PT1.S",
                          "PTxS", "P1D2H", "PT99999999999999999999S"}) {
    INFO(bad);
    CHECK_FALSE(parseXsDuration(bad).has_value());
  }
  auto doc = generateMetadata(sampleEntity(), at("2026-12-24T00:00:00Z"));
  REQUIRE(doc.has_value());
  REQUIRE(setCacheDuration(xmlDocGetRootElement(doc->get()), 3600).has_value());
  auto read = parseMetadataDocument(serialize(doc->get()), unsignedAt(kNow));
  REQUIRE(read.has_value());
  CHECK(read->cache_duration_seconds == 3600);
  CHECK(read->valid_until == at("2026-12-24T00:00:00Z"));
  CHECK(read->entities.size() == 1);
  xmlSetProp(xmlDocGetRootElement(doc->get()), BAD_CAST "cacheDuration", BAD_CAST "six hours");
  CHECK(parseMetadataDocument(serialize(doc->get()), unsignedAt(kNow)).error().code ==
        ErrorCode::kMalformedMessage);
}
