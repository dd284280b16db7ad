// The publisher side (garde as IdP): AuthnRequests in, Responses and metadata out.

#include "connectors/publisher/publisher_side.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "core/random.h"
#include "core/encoding.h"
#include "saml/binding/deflate.h"
#include "saml/binding/post.h"
#include "saml/binding/redirect.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"
#include "store/db.h"
#include "store/migrations.h"
#include "store/publishers.h"
#include "support/saml_builders.h"

namespace garde::connectors::publisher {
namespace {

using core::ErrorCode;
using test::kNow;

constexpr const char* kBrokerIdp = "https://garde.example.org/idp";
constexpr const char* kSsoUrl = "https://garde.example.org/saml/idp/sso";
constexpr const char* kPubEntity = "https://sp.editeur.example.com/metadata";
constexpr const char* kPubAcs = "https://sp.editeur.example.com/acs";
constexpr const char* kPubAcs2 = "https://sp.editeur.example.com/acs2";
constexpr const char* kPublisherId = "123456789_0000000000000001";

/// The publisher SP's signing key (the SP's encryption key is test::testSpCredential()).
const saml::Credential& publisherSigning() {
  static const saml::Credential cred = test::makeCredential("publisher sp");
  return cred;
}

struct SpOptions {
  bool authn_requests_signed = false;
  bool encryption_key = false;
};

saml::EntityDescriptor publisherEntity(const SpOptions& o = {}) {
  saml::EntityDescriptor e;
  e.entity_id = kPubEntity;
  saml::SpSsoDescriptor sp;
  sp.authn_requests_signed = o.authn_requests_signed;
  sp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, publisherSigning().cert, {}});
  if (o.encryption_key) {
    sp.keys.push_back(
        saml::KeyDescriptor{saml::KeyUse::kEncryption, test::testSpCredential().cert, {}});
  }
  sp.acs.push_back(saml::Endpoint{std::string(saml::binding::kHttpPost), kPubAcs, "", 0, true});
  sp.acs.push_back(saml::Endpoint{std::string(saml::binding::kHttpPost), kPubAcs2, "", 1, false});
  sp.acs.push_back(saml::Endpoint{std::string(saml::binding::kHttpArtifact),
                                  "https://sp.editeur.example.com/art", "", 2, false});
  e.sp = std::move(sp);
  return e;
}

std::string metadataXml(const saml::EntityDescriptor& e) {
  auto doc = saml::generateMetadata(e);
  REQUIRE(doc.has_value());
  return saml::serialize(doc->get());
}

/// The SP metadata XML, as a publisher's contract carries it.
std::string publisherMetadataXml(const SpOptions& o = {}) {
  return metadataXml(publisherEntity(o));
}

/// Parsed the way the registry does.
PublisherPeer peerFrom(const std::string& metadata_xml) {
  saml::MetadataOptions options;
  options.now = kNow;
  auto parsed = saml::parseMetadata(metadata_xml, options);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  return PublisherPeer{kPublisherId, parsed->front(), {}};
}

PublisherPeer publisherPeer(const SpOptions& o = {}) { return peerFrom(publisherMetadataXml(o)); }

/// A publisher whose metadata's only (default) HTTP-POST ACS is `acs`.
PublisherPeer peerWithAcs(const std::string& acs, bool authn_requests_signed = false) {
  saml::EntityDescriptor e = publisherEntity({.authn_requests_signed = authn_requests_signed});
  e.sp->acs = {saml::Endpoint{std::string(saml::binding::kHttpPost), acs, "", 0, true}};
  return peerFrom(metadataXml(e));
}

IdpSettings settings() {
  IdpSettings s;
  s.entity_id = kBrokerIdp;
  s.sso_url = kSsoUrl;
  s.signing = test::testIdpCredential();
  return s;
}

saml::AuthnRequest goodRequest(const std::string& acs = kPubAcs) {
  return test::authnRequest({.destination = kSsoUrl, .issuer = kPubEntity, .acs_url = acs});
}

std::string requestXml(const saml::AuthnRequest& r, const saml::Credential* xml_signer = nullptr) {
  auto doc = saml::buildAuthnRequest(r);
  REQUIRE(doc.has_value());
  if (xml_signer != nullptr) {
    REQUIRE(saml::signElement(xmlDocGetRootElement(doc->get()), *xml_signer).has_value());
  }
  return saml::serialize(doc->get());
}

/// The query string of a Redirect to our SSO URL.
std::string redirectQuery(const std::string& xml, const saml::Credential* signer = nullptr,
                          std::string_view relay_state = "https://res.example.com/r/1") {
  const saml::SignatureAlgorithm alg = signer != nullptr ? saml::defaultAlgorithm(signer->key)
                                                         : saml::SignatureAlgorithm::kRsaSha256;
  auto url = saml::encodeRedirect(xml, kSsoUrl, relay_state, true, signer, alg);
  REQUIRE(url.has_value());
  return url->substr(url->find('?') + 1);
}

FormFields postForm(const std::string& xml, std::string relay_state = "rs") {
  return FormFields{{"SAMLRequest", core::base64Encode(xml)},
                    {"RelayState", std::move(relay_state)}};
}

struct Fixture {
  SpOptions options;
  PublisherRegistry registry;
  IdpSettings idp = settings();

  explicit Fixture(SpOptions o = {}) : options(o), registry({publisherPeer(o)}) {}
  /// A registry of `peer` alone (e.g. peerWithAcs()).
  explicit Fixture(const PublisherPeer& peer) : registry({peer}) {}

  core::Result<PublisherAuthnRequest> get(const std::string& query, core::UnixTime now = kNow) {
    return readAuthnRequest("GET", query, {}, registry, idp, now);
  }
  core::Result<PublisherAuthnRequest> post(const FormFields& form, core::UnixTime now = kNow) {
    return readAuthnRequest("POST", "", form, registry, idp, now);
  }
};

ErrorCode codeOf(const core::Result<PublisherAuthnRequest>& r) {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().describe());
  return r.error().code;
}

}  // namespace

// ---- readAuthnRequest: accepted ----------------------------------------------------------------

TEST_CASE("An unsigned Redirect AuthnRequest from a known publisher is accepted",
          "[connectors][publisher][authn-request]") {
  Fixture f;
  auto r = f.get(redirectQuery(requestXml(goodRequest())));
  REQUIRE(r.has_value());
  CHECK(r->peer == f.registry.findByEntityId(kPubEntity));
  CHECK(r->peer->publisher_id == kPublisherId);
  CHECK(r->acs_url == kPubAcs);
  CHECK(r->request.id == test::kRequestId);
  CHECK(r->relay_state == std::optional<std::string>("https://res.example.com/r/1"));
  CHECK(r->binding == saml::BindingType::kRedirect);
  CHECK_FALSE(r->signed_request);
}

TEST_CASE(
    "A Redirect AuthnRequest with a valid query signature is accepted when signatures are required",
    "[connectors][publisher][authn-request]") {
  Fixture f({.authn_requests_signed = true});
  auto r = f.get(redirectQuery(requestXml(goodRequest()), &publisherSigning()));
  REQUIRE(r.has_value());
  CHECK(r->signed_request);
}

TEST_CASE("A POST AuthnRequest, XML-signed or not, is accepted",
          "[connectors][publisher][authn-request]") {
  SECTION("unsigned") {
    Fixture f;
    auto r = f.post(postForm(requestXml(goodRequest())));
    REQUIRE(r.has_value());
    CHECK(r->binding == saml::BindingType::kPost);
    CHECK(r->relay_state == std::optional<std::string>("rs"));
    CHECK_FALSE(r->signed_request);
  }
  SECTION("XML-signed, signatures required") {
    Fixture f({.authn_requests_signed = true});
    auto r = f.post(postForm(requestXml(goodRequest(), &publisherSigning())));
    REQUIRE(r.has_value());
    CHECK(r->signed_request);
    CHECK(r->acs_url == kPubAcs);
  }
}

TEST_CASE("The ACS is resolved from the URL, the index, or the metadata default",
          "[connectors][publisher][authn-request]") {
  Fixture f;
  saml::AuthnRequest req = goodRequest();
  SECTION("URL") {
    req.assertion_consumer_service_url = kPubAcs2;
    auto r = f.get(redirectQuery(requestXml(req)));
    REQUIRE(r.has_value());
    CHECK(r->acs_url == kPubAcs2);
  }
  SECTION("index") {
    req.assertion_consumer_service_url.clear();
    req.assertion_consumer_service_index = 1;
    auto r = f.get(redirectQuery(requestXml(req)));
    REQUIRE(r.has_value());
    CHECK(r->acs_url == kPubAcs2);
  }
  SECTION("default") {
    req.assertion_consumer_service_url.clear();
    req.protocol_binding.clear();
    auto r = f.get(redirectQuery(requestXml(req)));
    REQUIRE(r.has_value());
    CHECK(r->acs_url == kPubAcs);
  }
  SECTION("IsPassive is carried") {
    req.is_passive = true;
    auto r = f.get(redirectQuery(requestXml(req)));
    REQUIRE(r.has_value());
    CHECK(r->request.is_passive);
  }
}

// ---- readAuthnRequest: refused -----------------------------------------------------------------

TEST_CASE("An AuthnRequest from an unknown issuer is refused",
          "[connectors][publisher][authn-request]") {
  Fixture f;
  saml::AuthnRequest req = goodRequest();
  req.issuer = "https://unknown.example.com/sp";
  CHECK(codeOf(f.get(redirectQuery(requestXml(req)))) == ErrorCode::kUnknownPeer);
}

TEST_CASE("An AuthnRequest signed with another key is refused",
          "[connectors][publisher][authn-request]") {
  Fixture f;
  SECTION("Redirect query signature") {
    CHECK(codeOf(f.get(redirectQuery(requestXml(goodRequest()), &test::attackerCredential()))) ==
          ErrorCode::kSignatureInvalid);
  }
  SECTION("XML signature") {
    CHECK(codeOf(f.post(postForm(requestXml(goodRequest(), &test::attackerCredential())))) ==
          ErrorCode::kSignatureInvalid);
  }
}

TEST_CASE("An unsigned AuthnRequest is refused when the SP metadata requires signatures",
          "[connectors][publisher][authn-request]") {
  Fixture f({.authn_requests_signed = true});
  CHECK(codeOf(f.get(redirectQuery(requestXml(goodRequest())))) == ErrorCode::kSignatureMissing);
  CHECK(codeOf(f.post(postForm(requestXml(goodRequest())))) == ErrorCode::kSignatureMissing);
}

TEST_CASE("A Redirect AuthnRequest signed with SHA-1 is refused",
          "[connectors][publisher][authn-request]") {
  Fixture f({.authn_requests_signed = true});
  std::string query = redirectQuery(requestXml(goodRequest()), &publisherSigning());
  const std::string sha256 =
      core::urlEncode(saml::algorithmUri(saml::SignatureAlgorithm::kRsaSha256));
  const auto at = query.find(sha256);
  REQUIRE(at != std::string::npos);
  query.replace(at, sha256.size(), core::urlEncode("http://www.w3.org/2000/09/xmldsig#rsa-sha1"));
  CHECK(codeOf(f.get(query)) == ErrorCode::kAlgorithmForbidden);
}

TEST_CASE("An AuthnRequest for another Destination is refused",
          "[connectors][publisher][authn-request]") {
  Fixture f;
  saml::AuthnRequest req = goodRequest();
  req.destination = "https://other-broker.example.org/sso";
  auto r = f.get(redirectQuery(requestXml(req)));
  CHECK(codeOf(r) == ErrorCode::kDestinationMismatch);
  CHECK(r.error().detail.find("other-broker") != std::string::npos);
}

// SAML2 Bindings 3.4.5.2 / 3.5.5.2: a signed message must carry Destination, so that a request
// signed for another IdP (publishers' SPs also talk to the GAR) cannot be replayed at ours.
TEST_CASE("A signed AuthnRequest without Destination is refused",
          "[connectors][publisher][authn-request]") {
  const std::string acs = "https://sp.editeur.example.com/acs";
  Fixture f(peerWithAcs(acs, /*authn_requests_signed=*/true));
  saml::AuthnRequest r = goodRequest(acs);
  r.destination.reset();
  CHECK(codeOf(f.get(redirectQuery(requestXml(r), &publisherSigning()))) ==
        ErrorCode::kDestinationMismatch);

  // Signed with Destination: accepted (the control).
  CHECK(f.get(redirectQuery(requestXml(goodRequest(acs)), &publisherSigning())).has_value());
}

TEST_CASE("A stale or future AuthnRequest is refused", "[connectors][publisher][authn-request]") {
  Fixture f;
  const std::string query = redirectQuery(requestXml(goodRequest()));
  CHECK(f.get(query, kNow + 300 + 180).has_value());
  CHECK(codeOf(f.get(query, kNow + 300 + 181)) == ErrorCode::kExpired);
  CHECK(f.get(query, kNow - 180).has_value());
  CHECK(codeOf(f.get(query, kNow - 181)) == ErrorCode::kNotYetValid);
}

TEST_CASE("An AuthnRequest naming an ACS outside the metadata is refused",
          "[connectors][publisher][authn-request]") {
  Fixture f;
  saml::AuthnRequest req = goodRequest();
  SECTION("unknown URL") {
    req.assertion_consumer_service_url = "https://evil.example.net/acs";
    auto r = f.get(redirectQuery(requestXml(req)));
    CHECK(codeOf(r) == ErrorCode::kBadRequest);
    CHECK(r.error().detail.find("https://evil.example.net/acs") != std::string::npos);
  }
  SECTION("unknown index") {
    req.assertion_consumer_service_url.clear();
    req.assertion_consumer_service_index = 7;
    CHECK(codeOf(f.get(redirectQuery(requestXml(req)))) == ErrorCode::kBadRequest);
  }
  SECTION("an index of another binding") {
    req.assertion_consumer_service_url.clear();
    req.assertion_consumer_service_index = 2;
    CHECK(codeOf(f.get(redirectQuery(requestXml(req)))) == ErrorCode::kBadRequest);
  }
  SECTION("a ProtocolBinding other than HTTP-POST") {
    req.protocol_binding = std::string(saml::binding::kHttpArtifact);
    auto r = f.get(redirectQuery(requestXml(req)));
    CHECK(codeOf(r) == ErrorCode::kBadRequest);
    CHECK(r.error().detail.find("ProtocolBinding") != std::string::npos);
  }
}

// Refusal details are logged; an ACS URL of a request is attacker-sized (up to the inflated
// message cap, 256 KiB), so the detail quotes it bounded.
TEST_CASE("An unknown ACS URL is quoted bounded in the refusal detail",
          "[connectors][publisher][authn-request]") {
  const std::string acs = "https://sp.editeur.example.com/acs";
  Fixture f(peerWithAcs(acs));
  auto ar = f.get(redirectQuery(requestXml(goodRequest(acs + std::string(20000, 'x')))));
  CHECK(codeOf(ar) == ErrorCode::kBadRequest);
  CHECK(ar.error().detail.size() < 1024);
}

TEST_CASE("Hostile encodings of an AuthnRequest are refused",
          "[connectors][publisher][authn-request]") {
  Fixture f;
  SECTION("DOCTYPE in the message") {
    const std::string xml =
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"boom\">]>" +
        requestXml(goodRequest()).substr(requestXml(goodRequest()).find("<samlp"));
    CHECK(codeOf(f.post(postForm(xml))) == ErrorCode::kForbiddenXml);
    CHECK(codeOf(f.get(redirectQuery(xml))) == ErrorCode::kForbiddenXml);
  }
  SECTION("DEFLATE bomb") {
    const std::string bomb = saml::deflateRaw(std::string(20u * 1024 * 1024, 'a'));
    const std::string query = "SAMLRequest=" + core::urlEncode(core::base64Encode(bomb));
    CHECK(codeOf(f.get(query)) == ErrorCode::kLimitExceeded);
  }
  SECTION("malformed base64") {
    CHECK(codeOf(f.get("SAMLRequest=%21%21%21not-base64%21")) == ErrorCode::kBadEncoding);
    CHECK(codeOf(f.post(FormFields{{"SAMLRequest", "!!!not base64!!!"}})) ==
          ErrorCode::kBadEncoding);
  }
  SECTION("a SAMLResponse, or another method") {
    FormFields form{{"SAMLResponse", core::base64Encode(requestXml(goodRequest()))}};
    CHECK(codeOf(f.post(form)) == ErrorCode::kBadRequest);
    CHECK(codeOf(readAuthnRequest("PUT", "", {}, f.registry, f.idp, kNow)) ==
          ErrorCode::kBadRequest);
  }
  SECTION("another root element") {
    saml::LogoutRequest lr;
    lr.id = "_lr1";
    lr.issue_instant = kNow;
    lr.issuer = kPubEntity;
    lr.name_id.value = "x";
    auto doc = saml::buildLogoutRequest(lr);
    REQUIRE(doc.has_value());
    CHECK(codeOf(f.post(postForm(saml::serialize(doc->get())))) == ErrorCode::kMalformedMessage);
  }
}

// ---- Responses ---------------------------------------------------------------------------------

namespace {

/// Decodes the SAMLResponse of a POST form page.
std::string samlResponseOf(const std::string& html) {
  const std::string marker = "name=\"SAMLResponse\" value=\"";
  const auto start = html.find(marker);
  REQUIRE(start != std::string::npos);
  const auto from = start + marker.size();
  const auto end = html.find('"', from);
  auto xml = core::base64Decode(html.substr(from, end - from));
  REQUIRE(xml.has_value());
  return *xml;
}

saml::ResponseExpectation spExpectation(const std::optional<std::string>& request_id) {
  saml::ResponseExpectation e;
  e.trusted_certificates = {test::testIdpCredential().cert};
  e.idp_entity_id = kBrokerIdp;
  e.sp_entity_id = kPubEntity;
  e.acs_url = kPubAcs;
  e.request_id = request_id;
  e.allow_unsolicited = !request_id;
  e.now = kNow;
  e.skew_seconds = 0;  // an SP with no tolerance still accepts it (NotBefore is backdated)
  e.decryption_keys = {test::testSpCredential().key};
  return e;
}

AssertionContent content() {
  AssertionContent c;
  c.pseudonym = "p-4c1e0d7a";
  c.attributes = {{"IDO", {"p-4c1e0d7a"}}, {"PRO", {"National_elv"}}, {"DIV", {"3A", "3B"}}};
  c.authn_instant = kNow - 5;
  return c;
}

}  // namespace

TEST_CASE(
    "A success Response validates as the publisher SP would, with exactly the released content",
    "[connectors][publisher][response]") {
  const bool encrypted = GENERATE(false, true);
  const std::optional<std::string> in_response_to =
      GENERATE(std::optional<std::string>(test::kRequestId), std::optional<std::string>());
  const PublisherPeer peer = publisherPeer({.encryption_key = encrypted});
  test::CountingRandom random;
  auto out = buildSuccessResponse(peer, kPubAcs, in_response_to, content(), "https://res/1",
                                  settings(), random, kNow, "bm9uY2U");
  REQUIRE(out.has_value());
  CHECK(out->acs_url == kPubAcs);
  CHECK(out->content_security_policy == saml::postFormCsp("bm9uY2U"));
  CHECK(out->html.find("https://res/1") != std::string::npos);

  const std::string xml = samlResponseOf(out->html);
  const bool has_encrypted_assertion = xml.find("EncryptedAssertion") != std::string::npos;
  CHECK(has_encrypted_assertion == encrypted);
  const bool pseudonym_in_clear = xml.find("p-4c1e0d7a") != std::string::npos;
  CHECK(pseudonym_in_clear == !encrypted);
  auto v = test::parseAndValidate(xml, spExpectation(in_response_to));
  REQUIRE(v.has_value());
  CHECK(v->response.id == out->response_id);
  CHECK(v->assertion_signed);
  CHECK_FALSE(v->response_signed);  // ADR 0005: one signature, on the Assertion
  CHECK(v->assertion_encrypted == encrypted);
  const saml::Assertion& a = v->assertion;
  REQUIRE(a.subject->name_id);
  CHECK(*a.subject->name_id == saml::NameID{"p-4c1e0d7a",
                                            std::string(saml::name_id_format::kPersistent),
                                            kBrokerIdp, kPubEntity});
  REQUIRE(a.attributes.size() == 3);
  CHECK(
      a.attributes[0] ==
      saml::Attribute{"IDO", std::string(saml::attribute_name_format::kBasic), "", {"p-4c1e0d7a"}});
  CHECK(a.attributes[1].name == "PRO");
  CHECK(a.attributes[1].values == std::vector<std::string>{"National_elv"});
  CHECK(a.attributes[2].name == "DIV");
  CHECK(a.attributes[2].values == std::vector<std::string>{"3A", "3B"});
  REQUIRE(a.authn_statements.size() == 1);
  CHECK(a.authn_statements[0].authn_instant == kNow - 5);
  CHECK_FALSE(a.authn_statements[0].session_index.empty());
  CHECK(a.conditions->not_on_or_after == kNow + 300);
  CHECK(a.conditions->not_before == kNow - 180);
}

TEST_CASE("A success Response is refused by an SP of another audience or ACS",
          "[connectors][publisher][response]") {
  test::CountingRandom random;
  auto out = buildSuccessResponse(publisherPeer(), kPubAcs, test::kRequestId, content(), "",
                                  settings(), random, kNow, "bm9uY2U");
  REQUIRE(out.has_value());
  const std::string xml = samlResponseOf(out->html);
  auto e = spExpectation(test::kRequestId);
  e.sp_entity_id = "https://other-sp.example.com";
  auto v = test::parseAndValidate(xml, e);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().code == ErrorCode::kAudienceMismatch);
  e = spExpectation(test::kRequestId);
  e.now = kNow + 301;
  CHECK(test::parseAndValidate(xml, e).error().code == ErrorCode::kExpired);
}

TEST_CASE("A success Response without a pseudonym is not built",
          "[connectors][publisher][response]") {
  test::CountingRandom random;
  AssertionContent c = content();
  c.pseudonym.clear();
  auto out = buildSuccessResponse(publisherPeer(), kPubAcs, std::nullopt, c, "", settings(), random,
                                  kNow, "bm9uY2U");
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == ErrorCode::kMalformedMessage);
}

TEST_CASE("An error Response is signed and carries the status",
          "[connectors][publisher][response]") {
  test::CountingRandom random;
  saml::Status status{std::string(saml::status_code::kResponder),
                      std::string(saml::status_code::kRequestDenied), "not entitled"};
  auto out = buildErrorResponse(publisherPeer(), kPubAcs, test::kRequestId, status, "rs",
                                settings(), random, kNow, "bm9uY2U");
  REQUIRE(out.has_value());
  const std::string xml = samlResponseOf(out->html);
  auto doc = saml::parseUntrusted(xml);
  REQUIRE(doc.has_value());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  auto verified = saml::verifyEnvelopedSignature(root, {test::testIdpCredential().cert});
  REQUIRE(verified.has_value());
  auto response = saml::parseResponse(*verified);
  REQUIRE(response.has_value());
  CHECK(response->status == status);
  CHECK(response->id == out->response_id);
  CHECK(response->in_response_to == std::optional<std::string>(test::kRequestId));
  CHECK(response->destination == std::optional<std::string>(kPubAcs));
  CHECK(saml::childElements(root, saml::ns::kAssertion, "Assertion").empty());
  // And the SP's validation reports it as a non-success status.
  auto v = test::parseAndValidate(xml, spExpectation(test::kRequestId));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().code == ErrorCode::kStatusNotSuccess);
}

TEST_CASE("The IdP metadata parses and verifies with the signing certificate",
          "[connectors][publisher][metadata]") {
  auto xml = idpMetadata(settings(), kNow);
  REQUIRE(xml.has_value());
  saml::MetadataOptions options;
  options.trusted = {test::testIdpCredential().cert};
  options.now = kNow;
  auto parsed = saml::parseMetadata(*xml, options);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  const saml::EntityDescriptor& e = parsed->front();
  CHECK(e.entity_id == kBrokerIdp);
  REQUIRE(e.idp);
  CHECK_FALSE(e.idp->want_authn_requests_signed);
  CHECK(xml->find("WantAuthnRequestsSigned=\"false\"") != std::string::npos);
  CHECK(e.idp->name_id_formats ==
        std::vector<std::string>{std::string(saml::name_id_format::kPersistent),
                                 std::string(saml::name_id_format::kTransient)});
  // What we accept and use, said before anything is refused (metadata profile for algorithm
  // support): SHA-2 only, RSA from 2048 bits.
  CHECK(e.digest_methods == saml::algorithmSupport().digest_methods);
  CHECK(e.signing_methods == saml::algorithmSupport().signing_methods);
  CHECK(xml->find("urn:oasis:names:tc:SAML:metadata:algsupport") != std::string::npos);
  CHECK(xml->find("sha1") == std::string::npos);
  CHECK(std::find(e.signing_methods.begin(), e.signing_methods.end(),
                  saml::SigningMethod{"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", 2048}) !=
        e.signing_methods.end());
  REQUIRE(e.idp->sso.size() == 2);
  CHECK(e.idp->sso[0].binding == saml::binding::kHttpRedirect);
  CHECK(e.idp->sso[1].binding == saml::binding::kHttpPost);
  CHECK(e.idp->sso[0].location == kSsoUrl);
  CHECK(e.idp->sso[1].location == kSsoUrl);
  CHECK(e.idp->signingCertificates() ==
        std::vector<saml::Certificate>{test::testIdpCredential().cert});

  options.trusted = {test::attackerCredential().cert};
  auto refused = saml::parseMetadata(*xml, options);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::kSignatureInvalid);
}

// ---- ACS URLs ----------------------------------------------------------------------------------

// An ACS Location is taken from the publisher's metadata as is. A contract whose metadata says
// http:// (or javascript:, data:...) would have the children's attributes posted in clear text, or
// a script URL put in our form's action. Only https:// is acceptable, plus http:// on a loopback
// host (demo and tests).
TEST_CASE("An ACS that is not https is never answered", "[connectors][publisher][acs]") {
  const IdpSettings idp = settings();
  core::Random& random = core::systemRandom();
  for (const std::string acs :
       {"http://sp.editeur.example.com/acs", "javascript:alert(document.domain)//",
        "data:text/html,<script>alert(1)</script>", "HTTP://sp.editeur.example.com/acs",
        "//sp.editeur.example.com/acs", "https:/sp.editeur.example.com/acs",
        "http://127.0.0.1.evil.example/acs", "http://localhost.evil.example/acs"}) {
    INFO(acs);
    const PublisherPeer peer = peerWithAcs(acs);
    Fixture f(peer);
    CHECK(codeOf(f.get(redirectQuery(requestXml(goodRequest(acs))))) == ErrorCode::kBadRequest);

    auto ok = buildSuccessResponse(peer, acs, std::nullopt, content(), "", idp, random, kNow,
                                   "bm9uY2Vub25jZW5vbmNl");
    REQUIRE_FALSE(ok.has_value());
    CHECK(ok.error().code == ErrorCode::kUnknownPeer);
    saml::Status status;
    status.code = std::string(saml::status_code::kResponder);
    auto err = buildErrorResponse(peer, acs, std::string("_r"), status, "", idp, random, kNow,
                                  "bm9uY2Vub25jZW5vbmNl");
    REQUIRE_FALSE(err.has_value());
    CHECK(err.error().code == ErrorCode::kUnknownPeer);
  }
  SECTION("https, and http on a loopback host, are answered") {
    for (const std::string acs : {"https://sp.editeur.example.com/acs", "http://127.0.0.1:8080/acs",
                                  "http://localhost:8080/acs", "http://[::1]:8080/acs"}) {
      INFO(acs);
      const PublisherPeer peer = peerWithAcs(acs);
      Fixture f(peer);
      auto ar = f.get(redirectQuery(requestXml(goodRequest(acs))));
      REQUIRE(ar.has_value());
      CHECK(ar->acs_url == acs);
      CHECK(buildSuccessResponse(peer, acs, std::nullopt, content(), "", idp, random, kNow,
                                 "bm9uY2Vub25jZW5vbmNl")
                .has_value());
      CHECK(isAcceptableAcsUrl(acs));
    }
  }
}

// ---- Registry ----------------------------------------------------------------------------------

TEST_CASE("The registry loads publishers' SP metadata from the store and skips broken ones",
          "[connectors][publisher][registry]") {
  auto db = store::Db::open(":memory:");
  REQUIRE(db.has_value());
  REQUIRE(store::migrate(*db).has_value());
  REQUIRE(store::upsertPublisher(*db, store::Publisher{kPublisherId, "Editeur", kPubEntity,
                                                       publisherMetadataXml(), std::nullopt})
              .has_value());
  REQUIRE(store::upsertPublisher(*db, store::Publisher{"123456789_0000000000000002", "Broken",
                                                       "https://broken.example.com/sp",
                                                       "<md:EntityDescriptor", std::nullopt})
              .has_value());
  REQUIRE(store::upsertPublisher(*db, store::Publisher{"123456789_0000000000000003", "No metadata",
                                                       std::nullopt, std::nullopt, std::nullopt})
              .has_value());
  // Metadata for another entityID than the one recorded: not this publisher's SP.
  REQUIRE(store::upsertPublisher(*db, store::Publisher{"123456789_0000000000000004", "Mismatch",
                                                       "https://mismatch.example.com/sp",
                                                       publisherMetadataXml(), std::nullopt})
              .has_value());
  auto registry = PublisherRegistry::load(*db, kNow);
  REQUIRE(registry.has_value());
  CHECK(registry->size() == 1);
  CHECK(registry->findByPublisherId("123456789_0000000000000004") == nullptr);
  const PublisherPeer* peer = registry->findByEntityId(kPubEntity);
  REQUIRE(peer != nullptr);
  CHECK(peer->publisher_id == kPublisherId);
  CHECK(registry->findByPublisherId(kPublisherId) == peer);
  CHECK(peer->metadata.sp->acs.size() == 3);
  CHECK(registry->findByEntityId("https://broken.example.com/sp") == nullptr);
  CHECK(registry->findByPublisherId("123456789_0000000000000003") == nullptr);
}

// ---- NameID format ---------------------------------------------------------------------------

TEST_CASE("The NameID format answers the publisher's NameIDPolicy", "[connectors][publisher]") {
  const std::string persistent(saml::name_id_format::kPersistent);
  const std::string transient(saml::name_id_format::kTransient);
  PublisherPeer peer = publisherPeer();
  saml::AuthnRequest request;
  CHECK(answerNameIdFormat(&request, peer) == persistent);  // no NameIDPolicy
  request.name_id_policy = saml::NameIDPolicy{};
  CHECK(answerNameIdFormat(&request, peer) == persistent);  // no Format
  request.name_id_policy->format = std::string(saml::name_id_format::kUnspecified);
  CHECK(answerNameIdFormat(&request, peer) == persistent);
  request.name_id_policy->format = transient;
  CHECK(answerNameIdFormat(&request, peer) == transient);
  for (const char* other : {"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                            "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
                            "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
                            "urn:oasis:names:tc:SAML:2.0:nameid-format:encrypted", "x"}) {
    request.name_id_policy->format = other;
    CHECK_FALSE(answerNameIdFormat(&request, peer).has_value());
  }
  SECTION("an SPNameQualifier other than the publisher's own (an affiliation) cannot be given") {
    request.name_id_policy->format = persistent;
    request.name_id_policy->sp_name_qualifier = "https://affiliation.example";
    CHECK_FALSE(answerNameIdFormat(&request, peer).has_value());
    request.name_id_policy->sp_name_qualifier = peer.metadata.entity_id;
    CHECK(answerNameIdFormat(&request, peer) == persistent);
  }
  SECTION("unsolicited: as the SP metadata's NameIDFormats say") {
    CHECK(answerNameIdFormat(nullptr, peer) == persistent);
    peer.metadata.sp->name_id_formats = {transient};
    CHECK(answerNameIdFormat(nullptr, peer) == transient);
    peer.metadata.sp->name_id_formats = {transient, persistent};
    CHECK(answerNameIdFormat(nullptr, peer) == persistent);
  }
}

TEST_CASE("A rollover's next key is in our IdP metadata for verifying, and never signs",
          "[connectors][publisher][metadata][rollover]") {
  IdpSettings s = settings();
  saml::PrivateKey next_key = saml::PrivateKey::generateRsa(2048);
  saml::Certificate next_cert =
      saml::selfSign(next_key, "garde next", kNow, core::systemRandom(), 365);
  s.next_signing = saml::Credential{next_key, next_cert};
  s.metadata_validity_seconds = 3 * 86400;
  s.metadata_cache_seconds = 3600;
  auto xml = idpMetadata(s, kNow);
  REQUIRE(xml.has_value());
  saml::MetadataOptions options;
  options.trusted = {test::testIdpCredential().cert};
  options.now = kNow;
  auto parsed = saml::parseMetadata(*xml, options);
  REQUIRE(parsed.has_value());
  const saml::EntityDescriptor& e = parsed->front();
  CHECK(e.idp->signingCertificates() ==
        std::vector<saml::Certificate>{test::testIdpCredential().cert, next_cert});
  CHECK(e.valid_until == std::optional<core::UnixTime>(kNow + 3 * 86400));
  CHECK(xml->find("cacheDuration=\"PT3600S\"") != std::string::npos);
  options.trusted = {next_cert};
  CHECK_FALSE(saml::parseMetadata(*xml, options).has_value());  // signed by the current key
}

TEST_CASE("A publisher's rollover: its newest encryption key is used, marked keys first",
          "[connectors][publisher][rollover]") {
  // The SP publishes its old key and the new one (issued a year later), both for encryption,
  // and a key of unspecified use issued later still: garde encrypts to the newest marked one.
  saml::PrivateKey old_key = saml::PrivateKey::generateRsa(2048);
  saml::PrivateKey new_key = saml::PrivateKey::generateRsa(2048);
  saml::PrivateKey other_key = saml::PrivateKey::generateRsa(2048);
  const saml::Certificate old_cert =
      saml::selfSign(old_key, "sp old", kNow - 400 * 86400, core::systemRandom(), 800);
  const saml::Certificate new_cert =
      saml::selfSign(new_key, "sp new", kNow - 30 * 86400, core::systemRandom(), 800);
  const saml::Certificate other_cert =
      saml::selfSign(other_key, "sp other", kNow - 86400, core::systemRandom(), 800);
  saml::EntityDescriptor e = publisherEntity();
  e.sp->keys.push_back(saml::KeyDescriptor{saml::KeyUse::kEncryption, old_cert, {}});
  e.sp->keys.push_back(saml::KeyDescriptor{saml::KeyUse::kEncryption, new_cert, {}});
  e.sp->keys.push_back(saml::KeyDescriptor{saml::KeyUse::kUnspecified, other_cert, {}});
  const PublisherPeer peer = peerFrom(metadataXml(e));
  test::CountingRandom random;
  auto out = buildSuccessResponse(peer, kPubAcs, test::kRequestId, content(), "https://res/1",
                                  settings(), random, kNow, "bm9uY2U");
  REQUIRE(out.has_value());
  const std::string xml = samlResponseOf(out->html);
  const auto decrypts_with = [&](const saml::PrivateKey& key) {
    auto expect = spExpectation(test::kRequestId);
    expect.decryption_keys = {key};
    return test::parseAndValidate(xml, expect).has_value();
  };
  CHECK(decrypts_with(new_key));
  CHECK_FALSE(decrypts_with(old_key));
  CHECK_FALSE(decrypts_with(other_key));

  // Only unspecified keys: the newest of them.
  saml::EntityDescriptor u = publisherEntity();
  u.sp->keys.push_back(saml::KeyDescriptor{saml::KeyUse::kUnspecified, old_cert, {}});
  u.sp->keys.push_back(saml::KeyDescriptor{saml::KeyUse::kUnspecified, new_cert, {}});
  auto out2 = buildSuccessResponse(peerFrom(metadataXml(u)), kPubAcs, test::kRequestId, content(),
                                   "https://res/1", settings(), random, kNow, "bm9uY2U");
  REQUIRE(out2.has_value());
  auto expect = spExpectation(test::kRequestId);
  expect.decryption_keys = {new_key};
  CHECK(test::parseAndValidate(samlResponseOf(out2->html), expect).has_value());
}

}  // namespace garde::connectors::publisher
