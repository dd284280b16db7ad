#include "broker/demo/demo_peers.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "broker/request.h"
#include "broker/router.h"
#include "core/encoding.h"
#include "core/random.h"
#include "core/time.h"
#include "core/x509.h"
#include "saml/binding/redirect.h"
#include "saml/encryption.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"
#include "store/demo_data.h"

using garde::broker::Request;
using garde::broker::Response;
using garde::broker::Router;
using garde::broker::demo::DemoSettings;
using garde::core::ErrorCode;
namespace saml = garde::saml;
namespace core = garde::core;

namespace {

constexpr const char* kBase = "https://127.0.0.1:18443";

const saml::Credential& brokerCredential() {
  static const saml::Credential cred = [] {
    auto key = saml::PrivateKey::generateRsa(2048);
    auto cert = saml::selfSign(key, "test broker", core::systemNow() - 3600, core::systemRandom());
    return saml::Credential{key, cert};
  }();
  return cred;
}

const saml::Credential& strangerCredential() {
  static const saml::Credential cred = [] {
    auto key = saml::PrivateKey::generateRsa(2048);
    auto cert = saml::selfSign(key, "stranger", core::systemNow() - 3600, core::systemRandom());
    return saml::Credential{key, cert};
  }();
  return cred;
}

/// A temporary key directory, removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("garde-demo-test-" + core::hexEncode(core::systemRandom().bytes(8)));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// The demo ENT project's client certificate, for its médiacentre's calls.
const core::CertificatePem& entClientCert() {
  static const core::CertificatePem cert = core::generateSelfSignedTls("demo ent client", 30);
  return cert;
}

DemoSettings settings(const std::filesystem::path& dir) {
  return DemoSettings{kBase,
                      std::string(kBase) + "/saml/idp/metadata",
                      std::string(kBase) + "/saml/sp/metadata",
                      brokerCredential().cert,
                      dir,
                      entClientCert()};
}

/// Stands for the broker's médiacentre endpoint (tests/broker/mediacentre_test.cpp tests the real
/// one): resources A and B for everyone, only for the ENT project's certificate.
garde::broker::CallerAuthenticators entOnly() {
  return {[](const garde::broker::PeerIdentity& peer) -> std::optional<garde::broker::Caller> {
            const auto info = core::pemCertificates(entClientCert().cert).value().front();
            if (peer.sha256_fingerprint != info.sha256_fingerprint) return std::nullopt;
            return garde::broker::Caller{"ENTTEST1", garde::broker::Caller::Kind::kEntProject};
          },
          nullptr};
}

void mountStubMediacentre(Router& router) {
  router.get("/ressources/{idENT}/{UAI}/{id}", garde::broker::CallerAuth::kClientCertificate,
             [](const Request& req) {
               std::string list;
               for (const auto& [ark, name] :
                    {std::pair{"ark:/49591/demo.manuel.a", "Manuel de démonstration A"},
                     std::pair{"ark:/49591/demo.outil.b", "Outil de démonstration B"}}) {
                 list += std::string(list.empty() ? "" : ",") + "{\"idRessource\":\"" + ark +
                         "\",\"nomRessource\":\"" + name +
                         "\",\"nomEditeur\":\"Éditions\",\"urlAccesRessource\":\"" + kBase +
                         "/domaineGar?idENT=RU5UVEVTVDE%3D&idEtab=" +
                         core::urlEncode(core::base64Encode(req.path_params.at("UAI"))) +
                         "&idRessource=" + core::urlEncode(ark) + "\"}";
               }
               Response r =
                   Response::text(200, "{\"listeRessources\":{\"ressource\":[" + list + "]}}");
               r.setHeader("Content-Type", "application/json; charset=utf-8");
               return r;
             });
}

/// The demo peers mounted once for the whole test run (key generation is slow-ish).
struct Demo {
  TempDir dir;
  Router router{entOnly()};
  garde::store::DemoPeers peers;
  Demo() {
    peers = garde::broker::demo::installDemoPeers(router, settings(dir.path));
    mountStubMediacentre(router);
  }
};

Demo& demo() {
  static Demo d;
  return d;
}

Request get(std::string target, std::map<std::string, std::string, std::less<>> cookies = {}) {
  Request r;
  r.method = "GET";
  r.target = target;
  r.path = target.substr(0, target.find('?'));
  r.cookies = std::move(cookies);
  return r;
}

Request post(std::string path, std::string body,
             std::map<std::string, std::string, std::less<>> cookies = {}) {
  Request r;
  r.method = "POST";
  r.target = path;
  r.path = path;
  r.body = std::move(body);
  auto form = garde::broker::parseUrlEncoded(r.body);
  REQUIRE(form.has_value());
  r.form = *form;
  r.cookies = std::move(cookies);
  r.headers.emplace("content-type", "application/x-www-form-urlencoded");
  return r;
}

Response dispatch(Request r) { return demo().router.dispatch(r); }

std::string formValue(const std::string& html, const std::string& name) {
  const std::string marker = "name=\"" + name + "\" value=\"";
  const auto at = html.find(marker);
  if (at == std::string::npos) {
    return {};
  }
  const auto start = at + marker.size();
  return html.substr(start, html.find('"', start) - start);
}

const garde::broker::SetCookie* findCookie(const Response& res, std::string_view name) {
  for (const auto& c : res.cookies) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

/// The broker's AuthnRequest to the demo ENT, as a Redirect query (signed by `signer`, if any).
std::string brokerAuthnRequestQuery(const saml::Credential* signer,
                                    std::string issuer = std::string(kBase) + "/saml/sp/metadata") {
  saml::AuthnRequest req;
  req.id = "_brokerreq0001";
  req.issue_instant = core::systemNow();
  req.destination = std::string(kBase) + "/demo/ent/sso";
  req.issuer = std::move(issuer);
  req.assertion_consumer_service_url = std::string(kBase) + "/saml/sp/acs";
  req.protocol_binding = std::string(saml::binding::kHttpPost);
  auto doc = saml::buildAuthnRequest(req);
  REQUIRE(doc.has_value());
  auto url = saml::encodeRedirect(saml::serialize(doc->get()), std::string(kBase) + "/demo/ent/sso",
                                  "sealed-transaction", true, signer,
                                  saml::SignatureAlgorithm::kRsaSha256);
  REQUIRE(url.has_value());
  return url->substr(url->find('?') + 1);
}

saml::EntityDescriptor parsedMetadata(const std::string& xml) {
  auto parsed = saml::parseMetadata(xml, {});
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  return parsed->front();
}

/// A Response from the broker to a demo publisher, the way the broker's IdP side builds it: one
/// signed assertion (encrypted when `encrypt_for` is given), the Response unsigned.
std::string brokerResponse(const std::string& sp_entity_id, const std::string& acs_url,
                           const std::optional<std::string>& in_response_to,
                           const saml::Credential& signer,
                           const std::optional<saml::Certificate>& encrypt_for,
                           std::vector<saml::Attribute> attributes) {
  const core::UnixTime now = core::systemNow();
  saml::Assertion a;
  a.id = core::systemRandom().newId();
  a.issue_instant = now;
  a.issuer = std::string(kBase) + "/saml/idp/metadata";
  saml::Subject subject;
  subject.name_id =
      saml::NameID{"pseudo-abc123", std::string(saml::name_id_format::kPersistent), "", ""};
  saml::SubjectConfirmation sc;
  sc.data = saml::SubjectConfirmationData{std::nullopt, now + 300, acs_url, in_response_to};
  subject.confirmations.push_back(sc);
  a.subject = subject;
  saml::Conditions c;
  c.not_before = now - 60;
  c.not_on_or_after = now + 300;
  c.audience_restrictions = {{sp_entity_id}};
  a.conditions = c;
  a.authn_statements.push_back(
      {now, "_s1", std::nullopt, std::string(saml::authn_context::kPasswordProtectedTransport)});
  a.attributes = std::move(attributes);
  saml::Response r;
  r.id = core::systemRandom().newId();
  r.in_response_to = in_response_to;
  r.issue_instant = now;
  r.destination = acs_url;
  r.issuer = a.issuer;
  auto doc = saml::buildResponse(r, {a});
  REQUIRE(doc.has_value());
  xmlNode* assertion =
      saml::childElements(xmlDocGetRootElement(doc->get()), saml::ns::kAssertion, "Assertion")[0];
  REQUIRE(saml::signElement(assertion, signer).has_value());
  if (encrypt_for) {
    REQUIRE(saml::encryptAssertion(assertion, *encrypt_for, core::systemRandom()).has_value());
  }
  return saml::serialize(doc->get());
}

std::string samlResponseBody(const std::string& xml, const std::string& relay_state) {
  return "SAMLResponse=" + core::urlEncode(core::base64Encode(xml), true) +
         "&RelayState=" + core::urlEncode(relay_state, true);
}

std::vector<saml::Attribute> pupilAttributes() {
  const std::string basic(saml::attribute_name_format::kBasic);
  return {{"IDO", basic, "", {"pseudo-abc123"}},
          {"PRO", basic, "", {"National_elv"}},
          {"UAI", basic, "", {"0561534N"}},
          {"DIV", basic, "", {"3A"}}};
}

}  // namespace

TEST_CASE("Demo peers: entity ids, base URLs and metadata for the store", "[broker][demo]") {
  const auto& p = demo().peers;
  CHECK(p.ent_idp_entity_id == std::string(kBase) + "/demo/ent/idp");
  CHECK(p.publisher_a_sp_entity_id == std::string(kBase) + "/demo/publisher-a/metadata");
  CHECK(p.publisher_b_sp_entity_id == std::string(kBase) + "/demo/publisher-b/metadata");
  CHECK(p.publisher_a_base_url == std::string(kBase) + "/demo/publisher-a");
  CHECK(p.publisher_b_base_url == std::string(kBase) + "/demo/publisher-b");

  const auto ent = parsedMetadata(*p.ent_idp_metadata_xml);
  REQUIRE(ent.idp.has_value());
  CHECK(ent.idp->want_authn_requests_signed);
  REQUIRE(ent.idp->sso.size() == 1);
  CHECK(ent.idp->sso[0].location == std::string(kBase) + "/demo/ent/sso");
  CHECK(ent.idp->sso[0].binding == saml::binding::kHttpRedirect);

  const auto a = parsedMetadata(*p.publisher_a_sp_metadata_xml);
  REQUIRE(a.sp.has_value());
  CHECK(a.entity_id == p.publisher_a_sp_entity_id);
  CHECK(a.encryptionCertificates().size() == 1);
  REQUIRE(a.defaultAcs() != nullptr);
  CHECK(a.defaultAcs()->location == p.publisher_a_base_url + "/acs");

  const auto b = parsedMetadata(*p.publisher_b_sp_metadata_xml);
  REQUIRE(b.sp.has_value());
  CHECK(b.encryptionCertificates().empty());  // publisher B gets signed, unencrypted assertions

  // Each peer has its own key.
  CHECK_FALSE(ent.signingCertificates()[0] == a.signingCertificates()[0]);
  CHECK_FALSE(a.signingCertificates()[0] == b.signingCertificates()[0]);

  // The metadata is served at the entity id.
  const Response served = dispatch(get("/demo/publisher-a/metadata"));
  CHECK(served.status == 200);
  CHECK(served.body == *p.publisher_a_sp_metadata_xml);
  CHECK(dispatch(get("/demo/ent/idp")).body == *p.ent_idp_metadata_xml);
}

TEST_CASE("Demo peers: keys are 0600 and reloaded on the next start", "[broker][demo]") {
  TempDir dir;
  Router first;
  const auto peers1 = garde::broker::demo::installDemoPeers(first, settings(dir.path));
  for (const char* name :
       {"demo-ent-idp-key.pem", "demo-publisher-a-key.pem", "demo-publisher-b-key.pem"}) {
    struct stat st {};
    REQUIRE(::stat((dir.path / name).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  Router second;
  const auto peers2 = garde::broker::demo::installDemoPeers(second, settings(dir.path));
  CHECK(peers1.ent_idp_metadata_xml == peers2.ent_idp_metadata_xml);
  CHECK(peers1.publisher_a_sp_metadata_xml == peers2.publisher_a_sp_metadata_xml);
}

TEST_CASE("Demo landing page and ENT portal link to the broker's launch URLs", "[broker][demo]") {
  const Response landing = dispatch(get("/demo/"));
  CHECK(landing.status == 200);
  CHECK(landing.body.find("/demo/ent/") != std::string::npos);
  REQUIRE(landing.header("Content-Security-Policy") != nullptr);
  CHECK(landing.header("Content-Security-Policy")->find("default-src 'none'") != std::string::npos);
  CHECK(dispatch(get("/demo")).status == 303);

  const Response portal = dispatch(get("/demo/ent/"));
  CHECK(portal.status == 200);
  CHECK(portal.body.find(std::string(kBase) +
                         "/launch/ark%3A%2F49591%2Fdemo.manuel.a?ent=ENTTEST1&amp;uai=0561534N") !=
        std::string::npos);
  CHECK(portal.body.find(std::string(kBase) +
                         "/launch/ark%3A%2F49591%2Fdemo.outil.b?ent=ENTTEST1&amp;uai=0561534N") !=
        std::string::npos);
  CHECK(portal.body.find("/domaineGar?idENT=RU5UVEVTVDE%3D&amp;idEtab=" +
                         core::urlEncode(core::base64Encode("0561534N")) +
                         "&amp;idRessource=ark%3A%2F49591%2Fdemo.manuel.a") != std::string::npos);
  CHECK(portal.body.find("Not signed in") != std::string::npos);
  CHECK(portal.body.find("mediacentre-error") == std::string::npos);
  const Response signed_in = dispatch(get("/demo/ent/", {{"garde_demo_ent", "ens-0001"}}));
  CHECK(signed_in.body.find("Paul Durand") != std::string::npos);
  // A forged session value is not an account.
  const Response forged = dispatch(get("/demo/ent/", {{"garde_demo_ent", "<script>"}}));
  CHECK(forged.body.find("<script>") == std::string::npos);
  CHECK(forged.body.find("Not signed in") != std::string::npos);
}

TEST_CASE("Demo ENT signs in a user and posts a signed Response to the broker", "[broker][demo]") {
  const std::string query = brokerAuthnRequestQuery(&brokerCredential());
  const Response page = dispatch(get("/demo/ent/sso?" + query));
  REQUIRE(page.status == 200);
  for (const char* id : {"elv-0001", "elv-0002", "elv-0003", "ens-0001", "ens-0002", "doc-0001"}) {
    CHECK(page.body.find(std::string("value=\"") + id + "\"") != std::string::npos);
  }
  const std::string saml_query = formValue(page.body, "saml_query");
  REQUIRE_FALSE(saml_query.empty());

  // The hidden field carries the query HTML-escaped ('&' -> "&amp;"); the browser unescapes it.
  std::string unescaped = saml_query;
  for (std::size_t at; (at = unescaped.find("&amp;")) != std::string::npos;) {
    unescaped.replace(at, 5, "&");
  }
  const Response answer = dispatch(
      post("/demo/ent/login", "user=elv-0001&saml_query=" + core::urlEncode(unescaped, true)));
  REQUIRE(answer.status == 200);
  REQUIRE(answer.header("Content-Security-Policy") != nullptr);
  CHECK(answer.body.find("action=\"" + std::string(kBase) + "/saml/sp/acs\"") != std::string::npos);
  CHECK(formValue(answer.body, "RelayState") == "sealed-transaction");
  const auto* session = findCookie(answer, "garde_demo_ent");
  REQUIRE(session != nullptr);
  CHECK(session->value == "elv-0001");
  CHECK(session->path == "/demo/ent");

  // The broker's view: validate it like the broker's SP does, with the ENT's metadata key.
  auto xml = core::base64Decode(formValue(answer.body, "SAMLResponse"));
  REQUIRE(xml.has_value());
  auto doc = saml::parseUntrusted(*xml);
  REQUIRE(doc.has_value());
  const auto ent = parsedMetadata(*demo().peers.ent_idp_metadata_xml);
  saml::ResponseExpectation e;
  e.trusted_certificates = ent.signingCertificates();
  e.idp_entity_id = ent.entity_id;
  e.sp_entity_id = std::string(kBase) + "/saml/sp/metadata";
  e.acs_url = std::string(kBase) + "/saml/sp/acs";
  e.request_id = "_brokerreq0001";
  e.now = core::systemNow();
  auto validated = saml::validateResponse(doc->get(), e);
  REQUIRE(validated.has_value());
  CHECK(validated->assertion_signed);
  REQUIRE(validated->assertion.subject->name_id.has_value());
  CHECK(validated->assertion.subject->name_id->value == "elv-0001");

  SECTION("the next launch is answered at once from the ENT session") {
    const Response again =
        dispatch(get("/demo/ent/sso?" + query, {{"garde_demo_ent", "elv-0001"}}));
    CHECK(again.status == 200);
    CHECK_FALSE(formValue(again.body, "SAMLResponse").empty());
  }
  SECTION("switch user forgets the session") {
    const Response out = dispatch(get("/demo/ent/logout", {{"garde_demo_ent", "elv-0001"}}));
    CHECK(out.status == 303);
    const auto* cleared = findCookie(out, "garde_demo_ent");
    REQUIRE(cleared != nullptr);
    CHECK(cleared->max_age == 0);
  }
  SECTION("an unknown account is refused") {
    const Response bad = dispatch(
        post("/demo/ent/login", "user=admin&saml_query=" + core::urlEncode(unescaped, true)));
    CHECK(bad.status == 400);
  }
}

TEST_CASE("Demo ENT refuses AuthnRequests it cannot trust", "[broker][demo]") {
  SECTION("unsigned") {
    const Response r = dispatch(get("/demo/ent/sso?" + brokerAuthnRequestQuery(nullptr)));
    CHECK(r.status == 400);
    CHECK(r.body.find("signature_missing") != std::string::npos);
  }
  SECTION("signed by another key") {
    const Response r =
        dispatch(get("/demo/ent/sso?" + brokerAuthnRequestQuery(&strangerCredential())));
    CHECK(r.status == 400);
    CHECK(r.body.find("signature_invalid") != std::string::npos);
  }
  SECTION("from another SP") {
    const Response r = dispatch(get(
        "/demo/ent/sso?" + brokerAuthnRequestQuery(&brokerCredential(), "https://evil.test/sp")));
    CHECK(r.status == 400);
    CHECK(r.body.find("unknown_peer") != std::string::npos);
  }
  SECTION("no request at all") {
    CHECK(dispatch(get("/demo/ent/sso")).status == 400);
    CHECK(dispatch(post("/demo/ent/login", "user=elv-0001")).status == 400);
  }
}

TEST_CASE("Demo publisher A sends a signed AuthnRequest to the broker's IdP", "[broker][demo]") {
  const Response res = dispatch(get("/demo/publisher-a/login"));
  REQUIRE(res.status == 303);
  const std::string* location = res.header("Location");
  REQUIRE(location != nullptr);
  const std::string prefix = std::string(kBase) + "/saml/idp/sso?";
  REQUIRE(location->substr(0, prefix.size()) == prefix);
  auto message = saml::decodeRedirect(location->substr(prefix.size()));
  REQUIRE(message.has_value());
  CHECK(message->relay_state == demo().peers.publisher_a_base_url + "/resource");
  const auto a = parsedMetadata(*demo().peers.publisher_a_sp_metadata_xml);
  CHECK(saml::verifyRedirectSignature(*message, a.signingCertificates()).has_value());
  auto doc = saml::parseUntrusted(message->xml);
  REQUIRE(doc.has_value());
  auto request = saml::parseAuthnRequest(xmlDocGetRootElement(doc->get()));
  REQUIRE(request.has_value());
  CHECK(request->issuer == a.entity_id);
  CHECK(request->assertion_consumer_service_url == demo().peers.publisher_a_base_url + "/acs");
  const auto* cookie = findCookie(res, "garde_demo_pa_request");
  REQUIRE(cookie != nullptr);
  CHECK(cookie->value == request->id);
  CHECK(cookie->path == "/demo/publisher-a");
}

TEST_CASE("Demo publisher A shows exactly what an encrypted assertion carried", "[broker][demo]") {
  const auto& p = demo().peers;
  const auto a = parsedMetadata(*p.publisher_a_sp_metadata_xml);
  const std::string acs = p.publisher_a_base_url + "/acs";
  const std::string xml =
      brokerResponse(a.entity_id, acs, std::string("_pa_req1"), brokerCredential(),
                     a.encryptionCertificates()[0], pupilAttributes());
  const Response page = dispatch(post("/demo/publisher-a/acs",
                                      samlResponseBody(xml, p.publisher_a_base_url + "/resource"),
                                      {{"garde_demo_pa_request", "_pa_req1"}}));
  REQUIRE(page.status == 200);
  CHECK(page.body.find("<code id=\"nameid\">pseudo-abc123</code>") != std::string::npos);
  for (const char* code : {"IDO", "PRO", "UAI", "DIV"}) {
    CHECK(page.body.find(std::string("data-attribute=\"") + code + "\"") != std::string::npos);
    CHECK(page.body.find(std::string("data-missing=\"") + code + "\"") == std::string::npos);
  }
  for (const char* code : {"NOM", "PRE", "P_MEL", "CIV"}) {
    CHECK(page.body.find(std::string("data-attribute=\"") + code + "\"") == std::string::npos);
    CHECK(page.body.find(std::string("data-missing=\"") + code + "\"") != std::string::npos);
  }
  CHECK(page.body.find("<td id=\"encrypted\"><span class=\"ok\">yes") != std::string::npos);
  const auto* session = findCookie(page, "garde_demo_pa");
  REQUIRE(session != nullptr);

  const Response resource =
      dispatch(get("/demo/publisher-a/resource", {{"garde_demo_pa", session->value}}));
  CHECK(resource.body.find("id=\"signed-in\"") != std::string::npos);
  CHECK(dispatch(get("/demo/publisher-a/resource")).body.find("id=\"signed-out\"") !=
        std::string::npos);

  SECTION("the same Response again is a replay") {
    const Response replay = dispatch(post("/demo/publisher-a/acs", samlResponseBody(xml, ""),
                                          {{"garde_demo_pa_request", "_pa_req1"}}));
    CHECK(replay.status == 400);
    CHECK(replay.body.find("replayed") != std::string::npos);
  }
}

TEST_CASE("Demo publishers refuse what they must refuse", "[broker][demo]") {
  const auto& p = demo().peers;
  const auto a = parsedMetadata(*p.publisher_a_sp_metadata_xml);
  const auto b = parsedMetadata(*p.publisher_b_sp_metadata_xml);
  SECTION("publisher A: an unsolicited Response") {
    const std::string xml =
        brokerResponse(a.entity_id, p.publisher_a_base_url + "/acs", std::nullopt,
                       brokerCredential(), std::nullopt, pupilAttributes());
    const Response r = dispatch(post("/demo/publisher-a/acs", samlResponseBody(xml, "")));
    CHECK(r.status == 400);
  }
  SECTION("publisher B: a Response signed by another key") {
    const std::string xml =
        brokerResponse(b.entity_id, p.publisher_b_base_url + "/acs", std::nullopt,
                       strangerCredential(), std::nullopt, pupilAttributes());
    const Response r = dispatch(post("/demo/publisher-b/acs", samlResponseBody(xml, "")));
    CHECK(r.status == 400);
    CHECK(r.body.find("signature_invalid") != std::string::npos);
  }
  SECTION("publisher B: an assertion for publisher A") {
    const std::string xml =
        brokerResponse(a.entity_id, p.publisher_b_base_url + "/acs", std::nullopt,
                       brokerCredential(), std::nullopt, pupilAttributes());
    const Response r = dispatch(post("/demo/publisher-b/acs", samlResponseBody(xml, "")));
    CHECK(r.status == 400);
    CHECK(r.body.find("audience_mismatch") != std::string::npos);
  }
  SECTION("not a SAML message") {
    CHECK(dispatch(post("/demo/publisher-b/acs", "x=1")).status == 400);
  }
}

/// A Response from the broker with an error status and no assertion (signed by `signer`, if any).
std::string brokerErrorResponse(const std::string& acs_url, const saml::Credential* signer) {
  saml::Response r;
  r.id = core::systemRandom().newId();
  r.in_response_to = "_pa_req2";
  r.issue_instant = core::systemNow();
  r.destination = acs_url;
  r.issuer = std::string(kBase) + "/saml/idp/metadata";
  r.status.code = std::string(saml::status_code::kResponder);
  r.status.sub_code = std::string(saml::status_code::kRequestDenied);
  auto doc = saml::buildResponse(r);
  REQUIRE(doc.has_value());
  if (signer != nullptr) {
    REQUIRE(saml::signElement(xmlDocGetRootElement(doc->get()), *signer).has_value());
  }
  return saml::serialize(doc->get());
}

TEST_CASE("Demo publisher A shows garde's refusal only when garde signed it", "[broker][demo]") {
  const std::string acs = demo().peers.publisher_a_base_url + "/acs";
  SECTION("signed by garde") {
    const Response r =
        dispatch(post("/demo/publisher-a/acs",
                      samlResponseBody(brokerErrorResponse(acs, &brokerCredential()), ""),
                      {{"garde_demo_pa_request", "_pa_req2"}}));
    CHECK(r.status == 403);
    CHECK(r.body.find("id=\"refused\"") != std::string::npos);
    CHECK(r.body.find("RequestDenied") != std::string::npos);
  }
  SECTION("unsigned") {
    const Response r = dispatch(post("/demo/publisher-a/acs",
                                     samlResponseBody(brokerErrorResponse(acs, nullptr), ""),
                                     {{"garde_demo_pa_request", "_pa_req2"}}));
    CHECK(r.status == 400);
    CHECK(r.body.find("id=\"refused\"") == std::string::npos);
  }
  SECTION("signed by another key") {
    const Response r =
        dispatch(post("/demo/publisher-a/acs",
                      samlResponseBody(brokerErrorResponse(acs, &strangerCredential()), ""),
                      {{"garde_demo_pa_request", "_pa_req2"}}));
    CHECK(r.status == 400);
  }
}

TEST_CASE("Demo publisher B accepts an unsolicited Response (direct launch)", "[broker][demo]") {
  const auto& p = demo().peers;
  const auto b = parsedMetadata(*p.publisher_b_sp_metadata_xml);
  const std::string basic(saml::attribute_name_format::kBasic);
  const std::string xml = brokerResponse(
      b.entity_id, p.publisher_b_base_url + "/acs", std::nullopt, brokerCredential(), std::nullopt,
      {{"IDO", basic, "", {"pseudo-abc123"}}, {"PRO", basic, "", {"National_ens"}}});
  // A stale request cookie from an unanswered /login does not get in the way.
  const Response page = dispatch(post("/demo/publisher-b/acs",
                                      samlResponseBody(xml, p.publisher_b_base_url + "/resource"),
                                      {{"garde_demo_pb_request", "_stale"}}));
  REQUIRE(page.status == 200);
  CHECK(page.body.find("unsolicited") != std::string::npos);
  CHECK(page.body.find("data-attribute=\"UAI\"") == std::string::npos);
  CHECK(page.body.find("data-missing=\"UAI\"") != std::string::npos);
}

TEST_CASE("Demo pages escape what they show", "[broker][demo]") {
  const auto& p = demo().peers;
  const auto b = parsedMetadata(*p.publisher_b_sp_metadata_xml);
  const std::string basic(saml::attribute_name_format::kBasic);
  const std::string xml =
      brokerResponse(b.entity_id, p.publisher_b_base_url + "/acs", std::nullopt, brokerCredential(),
                     std::nullopt, {{"<b>X</b>", basic, "", {"<script>alert(1)</script>"}}});
  const Response page =
      dispatch(post("/demo/publisher-b/acs", samlResponseBody(xml, "\"><script>x</script>")));
  REQUIRE(page.status == 200);
  CHECK(page.body.find("<script>") == std::string::npos);
  CHECK(page.body.find("<b>X</b>") == std::string::npos);
  CHECK(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
}

TEST_CASE("The demo ENT's tiles are the médiacentre endpoint's answer to its certificate",
          "[broker][demo]") {
  // Signed in, the tiles are that account's: the stub lists A and B, so the exercise book has none.
  const Response signed_in = dispatch(get("/demo/ent/", {{"garde_demo_ent", "elv-0001"}}));
  CHECK(signed_in.body.find("id=\"tile-a\"") != std::string::npos);
  CHECK(signed_in.body.find("id=\"tile-b\"") != std::string::npos);
  CHECK(signed_in.body.find("id=\"tile-a2\"") == std::string::npos);

  // A certificate the endpoint does not accept: no tile, and the page says why.
  TempDir dir;
  Router router(entOnly());
  DemoSettings other = settings(dir.path);
  other.ent_client_cert = core::generateSelfSignedTls("not the ENT", 30);
  garde::broker::demo::installDemoPeers(router, other);
  mountStubMediacentre(router);
  Request req;
  req.method = "GET";
  req.target = req.path = "/demo/ent/";
  req.is_tls = true;
  const Response refused = router.dispatch(req);
  CHECK(refused.status == 200);
  CHECK(refused.body.find("id=\"mediacentre-error\"") != std::string::npos);
  CHECK(refused.body.find("HTTP 403") != std::string::npos);
  CHECK(refused.body.find("id=\"tile-") == std::string::npos);
}
