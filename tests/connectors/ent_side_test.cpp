#include "connectors/ent/ent_side.h"

#include <libxml/tree.h>

#include <catch2/catch.hpp>

#include "core/encoding.h"
#include "core/random.h"
#include "saml/binding/redirect.h"
#include "saml/metadata.h"
#include "store/directory.h"
#include "store/migrations.h"
#include "support/saml_builders.h"
#include "support/temp_dir.h"

namespace {

using namespace garde;
using connectors::ent::EntPeer;
using connectors::ent::EntRegistry;
using connectors::ent::SpSettings;
using core::ErrorCode;

saml::EntityDescriptor idpDescriptor(const char* entity_id = test::kIdpEntityId) {
  saml::EntityDescriptor e;
  e.entity_id = entity_id;
  saml::IdpSsoDescriptor idp;
  idp.keys.push_back(
      saml::KeyDescriptor{saml::KeyUse::kSigning, test::testIdpCredential().cert, {}});
  saml::Endpoint ep;
  ep.binding = std::string(saml::binding::kHttpRedirect);
  ep.location = test::kIdpSsoUrl;
  idp.sso.push_back(ep);
  e.idp = idp;
  return e;
}

EntPeer peer() { return EntPeer{"ENTTEST1", "ENT", idpDescriptor(), {}, {}}; }

SpSettings settings() {
  SpSettings s;
  s.entity_id = test::kSpEntityId;
  s.acs_url = test::kAcsUrl;
  s.signing = test::testSpCredential();
  return s;
}

connectors::ent::FormFields form(const std::string& xml) {
  return {{"SAMLResponse", core::base64Encode(xml)}, {"RelayState", "tx"}};
}

std::string responseFor(const std::string& name_id, const char* assertion_id,
                        const test::SignOptions& sign = {}) {
  saml::Assertion a = test::goodAssertion(assertion_id);
  a.subject->name_id->value = name_id;
  return test::signedResponseXml(test::goodResponse(), a, sign);
}

}  // namespace

TEST_CASE("The ENT AuthnRequest goes to the Redirect SSO endpoint, signed, asking for POST",
          "[connectors][ent]") {
  EntPeer signing = peer();
  signing.metadata.idp->want_authn_requests_signed = true;
  auto url = connectors::ent::buildEntAuthnRequest(signing, settings(), test::kRequestId, "state-1",
                                                   test::kNow, {true, false});
  REQUIRE(url.has_value());
  REQUIRE(url->rfind(std::string(test::kIdpSsoUrl) + "?", 0) == 0);
  auto msg = saml::decodeRedirect(url->substr(url->find('?') + 1));
  REQUIRE(msg.has_value());
  CHECK(msg->relay_state == "state-1");
  CHECK(saml::verifyRedirectSignature(*msg, {test::testSpCredential().cert}).has_value());
  CHECK_FALSE(saml::verifyRedirectSignature(*msg, {test::attackerCredential().cert}).has_value());
  auto doc = saml::parseUntrusted(msg->xml);
  REQUIRE(doc.has_value());
  auto ar = saml::parseAuthnRequest(xmlDocGetRootElement(doc->get()));
  REQUIRE(ar.has_value());
  CHECK(ar->id == test::kRequestId);
  CHECK(ar->destination == std::string(test::kIdpSsoUrl));
  CHECK(ar->issuer == test::kSpEntityId);
  CHECK(ar->assertion_consumer_service_url == test::kAcsUrl);
  CHECK(ar->protocol_binding == saml::binding::kHttpPost);
  CHECK(ar->force_authn);
  CHECK(ar->issue_instant == test::kNow);
}

namespace {

/// The AuthnRequest we send `p`, decoded; `signed_out` tells whether the query was signed (and
/// verifies with our key).
saml::AuthnRequest sentTo(const EntPeer& p, bool& signed_out) {
  auto url =
      connectors::ent::buildEntAuthnRequest(p, settings(), test::kRequestId, "s", test::kNow);
  REQUIRE(url.has_value());
  auto msg = saml::decodeRedirect(url->substr(url->find('?') + 1));
  REQUIRE(msg.has_value());
  signed_out = msg->hasRedirectSignature();
  if (signed_out) {
    CHECK(saml::verifyRedirectSignature(*msg, {test::testSpCredential().cert}).has_value());
  }
  auto doc = saml::parseUntrusted(msg->xml);
  REQUIRE(doc.has_value());
  auto ar = saml::parseAuthnRequest(xmlDocGetRootElement(doc->get()));
  REQUIRE(ar.has_value());
  return *ar;
}

}  // namespace

TEST_CASE("The ENT AuthnRequest is signed where the ENT's metadata or registration asks",
          "[connectors][ent]") {
  EntPeer p = peer();
  bool is_signed = true;
  SECTION("metadata without WantAuthnRequestsSigned: not signed") {
    sentTo(p, is_signed);
    CHECK_FALSE(is_signed);
  }
  SECTION("WantAuthnRequestsSigned=\"true\": signed") {
    p.metadata.idp->want_authn_requests_signed = true;
    sentTo(p, is_signed);
    CHECK(is_signed);
  }
  SECTION("registration says always: signed whatever the metadata says") {
    p.request_signing = connectors::ent::RequestSigning::kAlways;
    sentTo(p, is_signed);
    CHECK(is_signed);
  }
}

TEST_CASE("The ENT AuthnRequest asks for the identifier its registration names",
          "[connectors][ent]") {
  EntPeer p = peer();
  bool is_signed = false;
  SECTION("a persistent NameID by default") {
    const auto ar = sentTo(p, is_signed);
    REQUIRE(ar.name_id_policy.has_value());
    CHECK(ar.name_id_policy->format == saml::name_id_format::kPersistent);
    CHECK(ar.name_id_policy->allow_create == true);
  }
  SECTION("an attribute: a NameIDPolicy without Format (the IdP's NameID is not read)") {
    p.identifier = {connectors::ent::IdentifierSource::Kind::kAttribute, "uid"};
    const auto ar = sentTo(p, is_signed);
    REQUIRE(ar.name_id_policy.has_value());
    CHECK(ar.name_id_policy->format.empty());
  }
  SECTION("an unspecified NameID: no Format either") {
    p.identifier.name = std::string(saml::name_id_format::kUnspecified);
    CHECK(sentTo(p, is_signed).name_id_policy->format.empty());
  }
  SECTION("another stated format is asked as such") {
    p.identifier.name = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    CHECK(sentTo(p, is_signed).name_id_policy->format == p.identifier.name);
  }
}

TEST_CASE("The person's identifier is read where the ENT's registration says, and only there",
          "[connectors][ent]") {
  using Kind = connectors::ent::IdentifierSource::Kind;
  saml::InMemoryReplayCache cache;
  int n = 0;
  const auto consume = [&](const EntPeer& p, const saml::Assertion& a) {
    const std::string id = "_id" + std::to_string(++n);
    saml::Assertion copy = a;
    copy.id = id;
    return connectors::ent::consumeEntResponse(
        form(test::signedResponseXml(test::goodResponse(), copy, {})), p, settings(),
        test::kRequestId, test::kNow, cache);
  };
  saml::Assertion a = test::goodAssertion("_x");
  a.subject->name_id->value = "a1b2c3-transient";
  a.subject->name_id->format = std::string(saml::name_id_format::kTransient);
  a.attributes.clear();
  a.attributes.push_back({"urn:oid:0.9.2342.19200300.100.1.1",
                          "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                          "uid",
                          {"elv-0001"}});
  a.attributes.push_back({"givenName", "", "", {"Léa"}});
  EntPeer p = peer();

  SECTION(
      "a transient NameID where a persistent one is registered: unknown, saying which source "
      "and which format, without the value") {
    const auto r = consume(p, a);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kUnknownUser);
    CHECK(r.error().detail.find("nameid-format:transient") != std::string::npos);
    CHECK(r.error().detail.find("NameID (format urn:oasis:names:tc:SAML:2.0:nameid-format:"
                                "persistent)") != std::string::npos);
    CHECK(r.error().detail.find("a1b2c3") == std::string::npos);
  }
  SECTION("an unspecified-format registration takes the NameID whatever its format") {
    p.identifier.name = std::string(saml::name_id_format::kUnspecified);
    const auto r = consume(p, a);
    REQUIRE(r.has_value());
    CHECK(r->person_id == "a1b2c3-transient");
  }
  SECTION("the attribute, by Name or by FriendlyName") {
    for (const char* name : {"urn:oid:0.9.2342.19200300.100.1.1", "uid"}) {
      p.identifier = {Kind::kAttribute, name};
      const auto r = consume(p, a);
      REQUIRE(r.has_value());
      CHECK(r->person_id == "elv-0001");
      CHECK(r->source == std::string("attribute ") + name);
      CHECK(r->name_id_format == saml::name_id_format::kTransient);
    }
  }
  SECTION("an attribute that is absent, empty, or has several values identifies nobody") {
    p.identifier = {Kind::kAttribute, "employeeNumber"};
    auto r = consume(p, a);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kUnknownUser);
    CHECK(r.error().detail.find("attribute employeeNumber") != std::string::npos);
    p.identifier = {Kind::kAttribute, "uid"};
    a.attributes[0].values = {"elv-0001", "elv-0002"};
    r = consume(p, a);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kUnknownUser);
    CHECK(r.error().detail.find("elv-000") == std::string::npos);
    a.attributes[0].values = {""};
    CHECK(consume(p, a).error().code == ErrorCode::kUnknownUser);
    a.attributes[0].values = {"elv-0001"};
    a.attributes.push_back({"uid", "", "", {"elv-0002"}});
    CHECK(consume(p, a).error().code == ErrorCode::kUnknownUser);
  }
}

TEST_CASE("A registration's identifier source is checked", "[connectors][ent]") {
  using connectors::ent::identifierSourceFromStore;
  CHECK(identifierSourceFromStore("attribute", "uid").has_value());
  CHECK(identifierSourceFromStore("name_id", saml::name_id_format::kTransient).has_value());
  CHECK_FALSE(identifierSourceFromStore("name_id", "uid").has_value());  // not a Format URI
  CHECK_FALSE(identifierSourceFromStore("header", "uid").has_value());
  CHECK_FALSE(identifierSourceFromStore("attribute", "").has_value());
}

TEST_CASE("An ENT without a Redirect SSO endpoint cannot be sent an AuthnRequest",
          "[connectors][ent]") {
  EntPeer p = peer();
  p.metadata.idp->sso[0].binding = std::string(saml::binding::kHttpPost);
  auto url = connectors::ent::buildEntAuthnRequest(p, settings(), test::kRequestId, "", test::kNow);
  REQUIRE_FALSE(url.has_value());
  CHECK(url.error().code == ErrorCode::kUnknownPeer);
}

TEST_CASE("The ENT Response gives the person's identifier at the ENT", "[connectors][ent]") {
  saml::InMemoryReplayCache cache;
  auto id = connectors::ent::consumeEntResponse(form(responseFor("elv-0001", "_a1")), peer(),
                                                settings(), test::kRequestId, test::kNow, cache);
  REQUIRE(id.has_value());
  CHECK(id->person_id == "elv-0001");
  CHECK(id->authn_context_class_ref == saml::authn_context::kPasswordProtectedTransport);

  SECTION(
      "an unsigned assertion is refused by default, a signed Response protects it when the "
      "assertion need not be signed") {
    test::SignOptions sign;
    sign.sign_assertion = false;
    auto refused =
        connectors::ent::consumeEntResponse(form(responseFor("elv-0001", "_a3", sign)), peer(),
                                            settings(), test::kRequestId, test::kNow, cache);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::kSignatureMissing);
    SpSettings lenient = settings();
    lenient.require_signed_assertion = false;
    auto again =
        connectors::ent::consumeEntResponse(form(responseFor("elv-0001", "_a2", sign)), peer(),
                                            lenient, test::kRequestId, test::kNow, cache);
    CHECK(again.has_value());
  }
}

TEST_CASE("Bad ENT Responses are refused with their own code", "[connectors][ent]") {
  saml::InMemoryReplayCache cache;
  const auto consume = [&](const connectors::ent::FormFields& f,
                           std::string_view request_id = test::kRequestId) {
    return connectors::ent::consumeEntResponse(f, peer(), settings(), request_id, test::kNow,
                                               cache);
  };
  SECTION("replayed") {
    const std::string xml = responseFor("elv-0001", "_r1");
    REQUIRE(consume(form(xml)).has_value());
    auto again = consume(form(xml));
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == ErrorCode::kReplayed);
  }
  SECTION("tampered") {
    std::string xml = responseFor("elv-0001", "_t1");
    xml.replace(xml.find("elv-0001"), 8, "elv-0002");
    auto r = consume(form(xml));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kSignatureInvalid);
  }
  SECTION("signed by a key not in the ENT's metadata") {
    test::SignOptions sign;
    sign.signer = &test::attackerCredential();
    auto r = consume(form(responseFor("elv-0001", "_k1", sign)));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kSignatureInvalid);
  }
  SECTION("answering another request") {
    auto r = consume(form(responseFor("elv-0001", "_i1")), "_another");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kInResponseToMismatch);
  }
  SECTION("not a SAMLResponse") {
    auto r = consume({{"SAMLRequest", core::base64Encode("<x/>")}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kBadRequest);
  }
  SECTION("no message") {
    auto r = consume({});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kBadRequest);
  }
}

TEST_CASE("Our SP metadata is signed and announces signed requests and the POST ACS",
          "[connectors][ent]") {
  auto xml = connectors::ent::spMetadata(settings(), test::kNow);
  REQUIRE(xml.has_value());
  saml::MetadataOptions options;
  options.trusted = {test::testSpCredential().cert};
  auto parsed = saml::parseMetadata(*xml, options);
  REQUIRE(parsed.has_value());
  const auto& e = parsed->front();
  REQUIRE(e.sp.has_value());
  CHECK(e.entity_id == test::kSpEntityId);
  CHECK(e.sp->authn_requests_signed);
  CHECK(e.sp->want_assertions_signed);
  REQUIRE(e.defaultAcs() != nullptr);
  CHECK(e.defaultAcs()->location == test::kAcsUrl);
  CHECK(e.defaultAcs()->binding == saml::binding::kHttpPost);
  CHECK(e.sp->encryptionCertificates().size() == 1);
  // What we accept and use, said beforehand: the algorithm support profile's elements, and the
  // EncryptionMethods under the encryption key (AES-GCM and RSA-OAEP; no CBC, no RSA 1.5).
  const saml::AlgorithmSupport& support = saml::algorithmSupport();
  CHECK(e.digest_methods == support.digest_methods);
  CHECK(e.signing_methods == support.signing_methods);
  bool found_encryption_key = false;
  for (const saml::KeyDescriptor& k : e.sp->keys) {
    if (k.use == saml::KeyUse::kEncryption) {
      found_encryption_key = true;
      CHECK(k.encryption_methods == support.encryption_methods);
    }
  }
  CHECK(found_encryption_key);
  CHECK(xml->find("-cbc") == std::string::npos);
  CHECK(xml->find("rsa-1_5") == std::string::npos);
  CHECK(xml->find("#sha1") == std::string::npos);

  SECTION("WantAssertionsSigned says what the ACS enforces") {
    SpSettings lenient = settings();
    lenient.require_signed_assertion = false;
    auto other = connectors::ent::spMetadata(lenient, test::kNow);
    REQUIRE(other.has_value());
    CHECK(other->find("WantAssertionsSigned=\"false\"") != std::string::npos);
  }
}

TEST_CASE("The ENT registry loads parsable IdP metadata and skips the rest", "[connectors][ent]") {
  const test::TempDir dir("garde-ent");
  auto db = store::Db::open(dir.file("g.db"));
  REQUIRE(db.has_value());
  REQUIRE(store::migrate(*db).has_value());
  auto md = saml::generateMetadata(idpDescriptor());
  REQUIRE(md.has_value());
  REQUIRE(store::upsertEnt(
              *db, {"ENTA", "A", std::string(test::kIdpEntityId), saml::serialize(md->get())},
              test::kNow)
              .has_value());
  REQUIRE(store::upsertEnt(
              *db,
              {"ENTB", "B", std::string("https://b.example.org/idp"), std::string("<not metadata")},
              test::kNow)
              .has_value());
  REQUIRE(store::upsertEnt(*db, {"ENTC", "C", std::nullopt, std::nullopt}, test::kNow).has_value());
  REQUIRE(store::upsertEstablishment(*db, {"0000001A", "ENTA", "a", {}, {}}).has_value());
  REQUIRE(store::upsertEstablishment(*db, {"0000002B", "ENTB", "b", {}, {}}).has_value());
  REQUIRE(store::upsertEstablishment(*db, {"0000003C", "ENTC", "c", {}, {}}).has_value());
  auto registry = EntRegistry::load(*db, test::kNow);
  REQUIRE(registry.has_value());
  CHECK(registry->all().size() == 1);
  REQUIRE(registry->findByEntId("ENTA") != nullptr);
  CHECK(registry->findByEntityId(test::kIdpEntityId) == registry->findByEntId("ENTA"));
  CHECK(registry->findByEntId("ENTB") == nullptr);
  CHECK(registry->findByEntId("ENTC") == nullptr);
}

TEST_CASE("A rollover's next key: published in our SP metadata, decrypting, never signing",
          "[connectors][ent][rollover]") {
  SpSettings s = settings();
  s.next_signing = saml::Credential{saml::PrivateKey::generateRsa(2048), {}};
  s.next_signing->cert = saml::selfSign(s.next_signing->key, "garde next", test::kNow,
                                        core::systemRandom(), 365);
  s.metadata_validity_seconds = 7 * 86400;
  s.metadata_cache_seconds = 6 * 3600;

  auto xml = connectors::ent::spMetadata(s, test::kNow);
  REQUIRE(xml.has_value());
  // Signed by the current key only; valid for a week; peers come back after six hours.
  saml::MetadataOptions by_current;
  by_current.trusted = {test::testSpCredential().cert};
  by_current.now = test::kNow;
  auto parsed = saml::parseMetadata(*xml, by_current);
  REQUIRE(parsed.has_value());
  saml::MetadataOptions by_next;
  by_next.trusted = {s.next_signing->cert};
  CHECK_FALSE(saml::parseMetadata(*xml, by_next).has_value());
  CHECK(xml->find("cacheDuration=\"PT21600S\"") != std::string::npos);
  const auto& e = parsed->front();
  REQUIRE(e.valid_until.has_value());
  CHECK(*e.valid_until == test::kNow + 7 * 86400);
  CHECK(e.sp->signingCertificates() ==
        std::vector<saml::Certificate>{test::testSpCredential().cert, s.next_signing->cert});
  CHECK(e.sp->encryptionCertificates() ==
        std::vector<saml::Certificate>{test::testSpCredential().cert, s.next_signing->cert});
  // Expired once validUntil passes: a peer honouring it fetches a new copy.
  saml::MetadataOptions later = by_current;
  later.now = test::kNow + 7 * 86400 + 1;
  CHECK_FALSE(saml::parseMetadata(*xml, later).has_value());

  // An ENT that encrypts to the next key is understood, as one that encrypts to the current.
  saml::InMemoryReplayCache cache;
  const saml::Certificate* const next_cert = &s.next_signing->cert;
  for (const saml::Certificate* to : {next_cert, &test::testSpCredential().cert}) {
    test::SignOptions sign;
    sign.encrypt_assertion = true;
    sign.recipient = to;
    const std::string id = to == &test::testSpCredential().cert ? "_enc-current" : "_enc-next";
    auto got = connectors::ent::consumeEntResponse(form(responseFor("elv-0001", id.c_str(), sign)),
                                                   peer(), s, test::kRequestId, test::kNow, cache);
    INFO(id);
    REQUIRE(got.has_value());
    CHECK(got->person_id == "elv-0001");
  }
  // Without the next key, what was encrypted to it cannot be read.
  test::SignOptions sign;
  sign.encrypt_assertion = true;
  sign.recipient = &s.next_signing->cert;
  auto refused = connectors::ent::consumeEntResponse(
      form(responseFor("elv-0001", "_enc-lost", sign)), peer(), settings(), test::kRequestId,
      test::kNow, cache);
  CHECK_FALSE(refused.has_value());
}
