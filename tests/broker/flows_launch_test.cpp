// The launch and SSO flows end to end, with plain broker::Request values (no sockets): a temp
// SQLite database seeded with the demo data, in-test ENT IdP and publisher SPs, the real wiring
// (makeFlowServices + flows::mountFlows), a cookie jar standing in for the browser.

#include <libxml/tree.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "broker/commands/serve.h"
#include "broker/flows/flows.h"
#include "broker/metrics.h"
#include "broker/router.h"
#include "core/encoding.h"
#include "saml/binding/post.h"
#include "saml/binding/redirect.h"
#include "saml/metadata.h"
#include "store/demo_data.h"
#include "store/directory.h"
#include "store/migrations.h"
#include "support/saml_builders.h"

namespace {

using namespace garde;
using broker::Request;
using broker::Response;

constexpr const char* kBase = "https://garde.test";
constexpr const char* kEntEntity = "https://ent.test/idp";
constexpr const char* kEntSso = "https://ent.test/idp/sso";
constexpr const char* kEnt2Entity = "https://ent2.test/idp";
constexpr const char* kEnt2Sso = "https://ent2.test/idp/sso";
constexpr const char* kPubAEntity = "https://edition-a.test/sp";
constexpr const char* kPubAAcs = "https://edition-a.test/acs";
constexpr const char* kPubABase = "https://edition-a.test";
constexpr const char* kPubBEntity = "https://edition-b.test/sp";
constexpr const char* kPubBAcs = "https://edition-b.test/acs";
constexpr const char* kPubBBase = "https://edition-b.test";
constexpr const char* kResourceAPath = "/launch/ark:%2F49591%2Fdemo.manuel.a";
constexpr const char* kResourceBPath = "/launch/ark:%2F49591%2Fdemo.outil.b";
constexpr const char* kTileQuery = "?ent=ENTTEST1&uai=0561534N";

class FixedClock final : public core::Clock {
 public:
  core::UnixTime t = test::kNow;
  core::UnixTime now() const override { return t; }
};

const saml::Credential& brokerCredential() {
  static const saml::Credential c = test::makeCredential("garde test broker");
  return c;
}
const saml::Credential& ent2Credential() {
  static const saml::Credential c = test::makeCredential("test idp 2");
  return c;
}

std::string idpMetadataXml(const char* entity_id, const char* sso, const saml::Credential& cred) {
  saml::EntityDescriptor e;
  e.entity_id = entity_id;
  saml::IdpSsoDescriptor idp;
  idp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, cred.cert, {}});
  saml::Endpoint ep;
  ep.binding = std::string(saml::binding::kHttpRedirect);
  ep.location = sso;
  idp.sso.push_back(ep);
  e.idp = idp;
  auto doc = saml::generateMetadata(e);
  REQUIRE(doc.has_value());
  return saml::serialize(doc->get());
}

std::string spMetadataXml(const char* entity_id, const char* acs_url) {
  saml::EntityDescriptor e;
  e.entity_id = entity_id;
  saml::SpSsoDescriptor sp;
  saml::Endpoint acs;
  acs.binding = std::string(saml::binding::kHttpPost);
  acs.location = acs_url;
  acs.index = 0;
  acs.is_default = true;
  sp.acs.push_back(acs);
  e.sp = sp;
  auto doc = saml::generateMetadata(e);
  REQUIRE(doc.has_value());
  return saml::serialize(doc->get());
}

std::string htmlUnescape(std::string s) {
  const std::pair<const char*, const char*> table[] = {
      {"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
  for (const auto& [from, to] : table) {
    for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + 1)) {
      s.replace(p, std::strlen(from), to);
    }
  }
  return s;
}

/// value="..." of the hidden input `name` in a page, or "" when absent.
std::string hiddenField(const std::string& html, const std::string& name) {
  const std::string marker = "name=\"" + name + "\" value=\"";
  const std::size_t at = html.find(marker);
  if (at == std::string::npos) {
    return {};
  }
  const std::size_t start = at + marker.size();
  return htmlUnescape(html.substr(start, html.find('"', start) - start));
}

std::string formAction(const std::string& html) {
  const std::string marker = "action=\"";
  const std::size_t start = html.find(marker) + marker.size();
  return htmlUnescape(html.substr(start, html.find('"', start) - start));
}

struct EntLeg {
  std::string request_id;
  std::string relay_state;
  saml::AuthnRequest request;
};

using Attributes = std::map<std::string, std::vector<std::string>>;

struct Received {
  saml::ValidatedResponse response;
  Attributes attributes;
  std::string relay_state;
};

/// How the in-test ENT answers.
struct EntAnswer {
  std::string audience = std::string(kBase) + "/saml/sp/metadata";
  const saml::Credential* signer = nullptr;
  const char* issuer = kEntEntity;
  bool sign_assertion = true;
};

/// The demo world with in-test peers, and a browser.
class Flows {
 public:
  Flows() {
    char tmpl[] = "/tmp/garde-flows-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    config_.broker.base_url = kBase;
    config_.broker.idp_entity_id = std::string(kBase) + "/saml/idp/metadata";
    config_.broker.sp_entity_id = std::string(kBase) + "/saml/sp/metadata";
    config_.store.database = (dir_ / "garde.db").string();
    config_.pseudonym.secret_file = (dir_ / "pseudonym.hex").string();
    std::ofstream(config_.pseudonym.secret_file) << std::string(64, 'a') << "\n";
    {
      auto db = store::Db::open(config_.store.database);
      REQUIRE(db.has_value());
      REQUIRE(store::migrate(*db).has_value());
      store::DemoPeers peers;
      peers.ent_idp_entity_id = kEntEntity;
      peers.ent_idp_metadata_xml = idpMetadataXml(kEntEntity, kEntSso, test::testIdpCredential());
      peers.publisher_a_sp_entity_id = kPubAEntity;
      peers.publisher_a_sp_metadata_xml = spMetadataXml(kPubAEntity, kPubAAcs);
      peers.publisher_a_base_url = kPubABase;
      peers.publisher_b_sp_entity_id = kPubBEntity;
      peers.publisher_b_sp_metadata_xml = spMetadataXml(kPubBEntity, kPubBAcs);
      peers.publisher_b_base_url = kPubBBase;
      REQUIRE(store::loadDemoData(*db, peers).has_value());
      // A second ENT, so that a publisher-initiated access needs the discovery page.
      REQUIRE(store::upsertEnt(*db,
                               {"ENTTEST2", "Autre ENT", std::string(kEnt2Entity),
                                idpMetadataXml(kEnt2Entity, kEnt2Sso, ent2Credential())},
                               test::kNow)
                  .has_value());
      REQUIRE(store::upsertEstablishment(*db, {"0999999Z", "ENTTEST2", "Autre collège", {}, {}})
                  .has_value());
    }
    services_ = broker::makeFlowServices(config_, metrics_, clock_, core::systemRandom(),
                                         brokerCredential(), std::string(32, 'k'));
    services_->audit.setObserver([this](std::string_view line) { audit_.emplace_back(line); });
    broker::flows::mountFlows(router_, services_->context);
  }
  ~Flows() {
    services_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Response send(Request req) {
    req.request_id = "corr-" + std::to_string(++requests_);
    req.is_tls = true;
    req.peer = "127.0.0.1";
    for (const auto& [k, v] : jar_) {
      req.cookies.emplace(k, v);
    }
    Response r = router_.dispatch(req);
    for (const auto& c : r.cookies) {
      if (c.max_age && *c.max_age == 0) {
        jar_.erase(c.name);
      } else {
        jar_[c.name] = c.value;
      }
    }
    last_request_id_ = req.request_id;
    return r;
  }

  Response get(const std::string& target) {
    Request r;
    r.method = "GET";
    r.target = target;
    const std::size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      auto params = broker::parseUrlEncoded(target.substr(q + 1));
      REQUIRE(params.has_value());
      r.query = std::move(params).value();
    }
    return send(std::move(r));
  }

  Response post(const std::string& path,
                const std::vector<std::pair<std::string, std::string>>& form) {
    Request r;
    r.method = "POST";
    r.target = path;
    r.path = path;
    for (const auto& [k, v] : form) {
      r.form.emplace(k, v);
      r.body += (r.body.empty() ? "" : "&") + k + "=" + core::urlEncode(v, true);
    }
    r.headers.emplace("content-type", "application/x-www-form-urlencoded");
    return send(std::move(r));
  }

  /// What the ENT IdP reads from our redirect.
  EntLeg readEntRedirect(const Response& r, const char* sso = kEntSso) {
    REQUIRE(r.status == 302);
    const std::string* location = r.header("Location");
    REQUIRE(location != nullptr);
    REQUIRE(location->rfind(sso, 0) == 0);
    auto msg = saml::decodeRedirect(location->substr(location->find('?') + 1));
    REQUIRE(msg.has_value());
    CHECK(saml::verifyRedirectSignature(*msg, {brokerCredential().cert}).has_value());
    auto doc = saml::parseUntrusted(msg->xml);
    REQUIRE(doc.has_value());
    auto ar = saml::parseAuthnRequest(xmlDocGetRootElement(doc->get()));
    REQUIRE(ar.has_value());
    CHECK(ar->assertion_consumer_service_url == std::string(kBase) + "/saml/sp/acs");
    CHECK(ar->protocol_binding == saml::binding::kHttpPost);
    CHECK(ar->destination == std::string(sso));
    CHECK(ar->issuer == config_.broker.sp_entity_id);
    REQUIRE(msg->relay_state.has_value());
    return EntLeg{ar->id, *msg->relay_state, *ar};
  }

  /// The ENT's signed Response for `person`, serialized (before base64).
  std::string entResponseXml(const EntLeg& leg, const std::string& person, const EntAnswer& o) {
    const std::string acs = std::string(kBase) + "/saml/sp/acs";
    saml::Assertion a = test::goodAssertion(core::systemRandom().newId().c_str(), leg.request_id);
    a.issuer = o.issuer;
    a.issue_instant = clock_.t;
    a.subject->name_id =
        saml::NameID{person, std::string(saml::name_id_format::kUnspecified), {}, {}};
    a.subject->confirmations[0].data->recipient = acs;
    a.subject->confirmations[0].data->not_on_or_after = clock_.t + 300;
    a.conditions->not_before = clock_.t - 60;
    a.conditions->not_on_or_after = clock_.t + 300;
    a.conditions->audience_restrictions = {{o.audience}};
    a.authn_statements[0].authn_instant = clock_.t - 10;
    a.attributes.clear();
    saml::Response r = test::goodResponse(leg.request_id);
    r.id = core::systemRandom().newId();
    r.issuer = o.issuer;
    r.issue_instant = clock_.t;
    r.destination = acs;
    test::SignOptions sign;
    sign.sign_assertion = o.sign_assertion;
    sign.signer = o.signer;
    return test::signedResponseXml(r, a, sign);
  }

  Response postToAcs(const std::string& xml, const std::string& relay_state) {
    return post("/saml/sp/acs",
                {{"SAMLResponse", core::base64Encode(xml)}, {"RelayState", relay_state}});
  }

  /// The whole ENT leg for `person`: read our redirect, answer, post to the ACS.
  Response entLeg(const Response& redirect, const std::string& person, const EntAnswer& o = {}) {
    const EntLeg leg = readEntRedirect(redirect);
    return postToAcs(entResponseXml(leg, person, o), leg.relay_state);
  }

  /// What the publisher's SP sees, validated as an SP would (our IdP key only).
  Received publisherReceives(const Response& r, const char* sp_entity_id, const char* acs,
                             const std::optional<std::string>& request_id) {
    REQUIRE(r.status == 200);
    REQUIRE(r.header("Content-Security-Policy") != nullptr);
    CHECK(r.header("Content-Security-Policy")->find("script-src 'nonce-") != std::string::npos);
    REQUIRE(r.header("Cache-Control") != nullptr);
    CHECK(r.header("Cache-Control")->find("no-store") != std::string::npos);
    CHECK(formAction(r.body) == acs);
    auto xml = core::base64Decode(hiddenField(r.body, "SAMLResponse"));
    REQUIRE(xml.has_value());
    auto doc = saml::parseUntrusted(*xml);
    REQUIRE(doc.has_value());
    saml::ResponseExpectation e;
    e.trusted_certificates = {brokerCredential().cert};
    e.idp_entity_id = config_.broker.idp_entity_id;
    e.sp_entity_id = sp_entity_id;
    e.acs_url = acs;
    e.request_id = request_id;
    e.allow_unsolicited = !request_id;
    e.now = clock_.t;
    e.require_signed_assertion = true;
    auto v = saml::validateResponse(doc->get(), e);
    INFO((v ? std::string() : v.error().describe()));
    REQUIRE(v.has_value());
    Received out{*v, {}, hiddenField(r.body, "RelayState")};
    for (const auto& a : v->assertion.attributes) {
      out.attributes[a.name] = a.values;
    }
    return out;
  }

  /// A publisher SP's AuthnRequest to our IdP, over the Redirect binding.
  std::string publisherAuthnRequest(const char* sp_entity_id, const char* acs,
                                    const std::string& relay_state, std::string& id_out) {
    saml::AuthnRequest ar;
    ar.id = core::systemRandom().newId();
    ar.issue_instant = clock_.t;
    ar.destination = std::string(kBase) + "/saml/idp/sso";
    ar.issuer = sp_entity_id;
    ar.assertion_consumer_service_url = acs;
    ar.protocol_binding = std::string(saml::binding::kHttpPost);
    auto doc = saml::buildAuthnRequest(ar);
    REQUIRE(doc.has_value());
    auto url = saml::encodeRedirect(saml::serialize(doc->get(), false),
                                    std::string(kBase) + "/saml/idp/sso", relay_state, true,
                                    nullptr, saml::SignatureAlgorithm::kRsaSha256);
    REQUIRE(url.has_value());
    id_out = ar.id;
    return url->substr(std::string(kBase).size());
  }

  double decisions(const std::string& outcome, const std::string& reason) const {
    const std::string text = metrics_.exposition();
    const std::string series =
        "garde_decisions_total{outcome=\"" + outcome + "\",reason=\"" + reason + "\"} ";
    const std::size_t at = text.find(series);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size()));
  }

  std::map<std::string, std::string>& jar() { return jar_; }
  std::vector<std::string>& audit() { return audit_; }
  FixedClock& clock() { return clock_; }
  const std::string& lastRequestId() const { return last_request_id_; }

 private:
  std::filesystem::path dir_;
  config::Config config_;
  broker::Metrics metrics_;
  FixedClock clock_;
  std::unique_ptr<broker::FlowServices> services_;
  broker::Router router_;
  std::map<std::string, std::string> jar_;
  std::vector<std::string> audit_;
  int requests_ = 0;
  std::string last_request_id_;
};

std::set<std::string> names(const Attributes& a) {
  std::set<std::string> out;
  for (const auto& [k, v] : a) {
    out.insert(k);
  }
  return out;
}

void requireRefusalPage(const Response& r, int status, const std::string& correlation_id) {
  CHECK(r.status == status);
  CHECK(r.body.find("Accès impossible") != std::string::npos);
  CHECK(r.body.find(correlation_id) != std::string::npos);
  CHECK(r.body.find("SAMLResponse") == std::string::npos);
  REQUIRE(r.header("Content-Security-Policy") != nullptr);
  CHECK(r.header("Content-Security-Policy")->find("default-src 'none'") != std::string::npos);
}

}  // namespace

TEST_CASE("A direct launch ends in an unsolicited Response to the publisher's default ACS",
          "[broker][flows][launch]") {
  Flows f;
  const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
  REQUIRE(f.jar().count("garde_launch") == 1);
  REQUIRE(f.jar().count("garde_bind") == 1);
  REQUIRE(tile.cookies.size() == 2);
  for (const auto& cookie : tile.cookies) {
    CHECK(cookie.same_site == broker::SameSite::kNone);
    CHECK(cookie.http_only);
  }
  const Response form = f.entLeg(tile, store::demo::kPupil);
  const Received got = f.publisherReceives(form, kPubBEntity, kPubBAcs, std::nullopt);
  // Resource B's contract declares IDO and PRO for pupils: exactly those.
  CHECK(names(got.attributes) == std::set<std::string>{"IDO", "PRO"});
  CHECK(got.attributes.at("PRO") == std::vector<std::string>{"National_elv"});
  REQUIRE(got.response.assertion.subject->name_id.has_value());
  CHECK(got.response.assertion.subject->name_id->value == got.attributes.at("IDO").front());
  CHECK(got.attributes.at("IDO").front() != store::demo::kPupil);
  CHECK(got.relay_state == std::string(kPubBBase) + "/resource");
  CHECK(f.decisions("released", "ok") == 1);

  // One audit line: names, never values.
  REQUIRE(f.audit().size() == 1);
  const std::string& line = f.audit()[0];
  CHECK(line.find("\"IDO\"") != std::string::npos);
  CHECK(line.find("\"PRO\"") != std::string::npos);
  CHECK(line.find("\"released\"") != std::string::npos);
  CHECK(line.find(f.lastRequestId()) != std::string::npos);
  CHECK(line.find(got.attributes.at("IDO").front()) == std::string::npos);
  CHECK(line.find(store::demo::kPupil) == std::string::npos);
  CHECK(line.find("Martin") == std::string::npos);
}

TEST_CASE("A bounce launch goes through the publisher's AuthnRequest and answers it",
          "[broker][flows][launch]") {
  Flows f;
  const Response tile = f.get(std::string(kResourceAPath) + kTileQuery);
  REQUIRE(tile.status == 302);
  REQUIRE(tile.header("Location") != nullptr);
  CHECK(*tile.header("Location") == std::string(kPubABase) + "/login");
  REQUIRE(f.jar().count("garde_launch") == 1);

  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(
      kPubAEntity, kPubAAcs, std::string(kPubABase) + "/resource", request_id));
  // The launch cookie names ENT and UAI: straight to the ENT, no discovery.
  const Response form = f.entLeg(sso, store::demo::kPupil);
  const Received pupil = f.publisherReceives(form, kPubAEntity, kPubAAcs, request_id);
  CHECK(pupil.response.response.in_response_to == request_id);
  CHECK(names(pupil.attributes) == std::set<std::string>{"IDO", "PRO", "UAI", "DIV"});
  CHECK(pupil.attributes.at("UAI") == std::vector<std::string>{store::demo::kUai});
  CHECK(pupil.attributes.at("DIV") == std::vector<std::string>{"3A"});
  CHECK(pupil.relay_state == std::string(kPubABase) + "/resource");

  SECTION("a teacher gets the teacher's declarations") {
    f.get(std::string(kResourceAPath) + kTileQuery);
    std::string id2;
    const Response sso2 = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id2));
    const Received teacher =
        f.publisherReceives(f.entLeg(sso2, store::demo::kTeacher), kPubAEntity, kPubAAcs, id2);
    CHECK(names(teacher.attributes) ==
          std::set<std::string>{"IDO", "PRO", "UAI", "NOM", "PRE", "P_MEL"});
    CHECK(teacher.attributes.at("PRO") == std::vector<std::string>{"National_ens"});
    CHECK(teacher.attributes.at("IDO") != pupil.attributes.at("IDO"));
  }
  SECTION("publisher B gets another pseudonym for the same pupil") {
    const Response tile_b = f.get(std::string(kResourceBPath) + kTileQuery);
    const Received at_b = f.publisherReceives(f.entLeg(tile_b, store::demo::kPupil), kPubBEntity,
                                              kPubBAcs, std::nullopt);
    CHECK(names(at_b.attributes) != names(pupil.attributes));
    CHECK(at_b.attributes.at("IDO") != pupil.attributes.at("IDO"));
  }
  SECTION("the pseudonym is stable across launches") {
    f.get(std::string(kResourceAPath) + kTileQuery);
    std::string id2;
    const Response sso2 = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id2));
    const Received again =
        f.publisherReceives(f.entLeg(sso2, store::demo::kPupil), kPubAEntity, kPubAAcs, id2);
    CHECK(again.attributes.at("IDO") == pupil.attributes.at("IDO"));
  }
}

TEST_CASE("The GAR's /domaineGar form launches like /launch", "[broker][flows][launch]") {
  Flows f;
  const std::string target =
      "/domaineGar?idENT=" + core::urlEncode(core::base64Encode("ENTTEST1")) +
      "&idEtab=" + core::urlEncode(core::base64Encode("0561534N")) +
      "&idRessource=" + core::urlEncode("ark:/49591/demo.outil.b");
  const Response tile = f.get(target);
  const Received got = f.publisherReceives(f.entLeg(tile, store::demo::kTeacher), kPubBEntity,
                                           kPubBAcs, std::nullopt);
  CHECK(got.attributes.at("PRO") == std::vector<std::string>{"National_ens"});

  const std::string src = "/domaineGar?idENT=" + core::urlEncode(core::base64Encode("ENTTEST1")) +
                          "&idEtab=" + core::urlEncode(core::base64Encode("0561534N")) + "&idSrc=" +
                          core::urlEncode(core::base64Encode("ark:/49591/demo.outil.b"));
  CHECK(f.get(src).status == 302);
  requireRefusalPage(f.get("/domaineGar?idENT=!!!&idEtab=MDU2MTUzNE4="), 400, f.lastRequestId());
}

TEST_CASE("A launch naming an unknown ENT, establishment or resource is refused",
          "[broker][flows][launch][refusal]") {
  Flows f;
  requireRefusalPage(f.get(std::string(kResourceBPath) + "?ent=NOPE&uai=0561534N"), 404,
                     f.lastRequestId());
  requireRefusalPage(f.get(std::string(kResourceBPath) + "?ent=ENTTEST1&uai=0000000X"), 404,
                     f.lastRequestId());
  // An establishment of another ENT.
  requireRefusalPage(f.get(std::string(kResourceBPath) + "?ent=ENTTEST1&uai=0999999Z"), 404,
                     f.lastRequestId());
  requireRefusalPage(f.get("/launch/ark:%2F49591%2Fnope" + std::string(kTileQuery)), 404,
                     f.lastRequestId());
  requireRefusalPage(f.get(std::string(kResourceBPath) + "?ent=ENTTEST1"), 400, f.lastRequestId());
  CHECK(f.jar().count("garde_launch") == 0);
  CHECK(f.decisions("refused", "unknown_ent") == 1);
  CHECK(f.decisions("refused", "unknown_establishment") == 2);
  CHECK(f.decisions("refused", "unknown_resource") == 1);
}

TEST_CASE("A pupil not assigned the resource is refused, and the publisher can be told",
          "[broker][flows][refusal]") {
  Flows f;
  f.get(std::string(kResourceAPath) + kTileQuery);
  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", request_id));
  const Response page = f.entLeg(sso, store::demo::kUnassignedPupil);
  requireRefusalPage(page, 403, f.lastRequestId());
  CHECK(f.decisions("refused", "not_assigned") == 1);
  REQUIRE(f.audit().size() == 1);
  CHECK(f.audit()[0].find("\"refused\"") != std::string::npos);
  CHECK(f.audit()[0].find("not_assigned") != std::string::npos);
  CHECK(f.audit()[0].find(store::demo::kUnassignedPupil) == std::string::npos);

  // "Back to the publisher": a signed error Response, InResponseTo its request.
  const std::string token = hiddenField(page.body, "t");
  REQUIRE_FALSE(token.empty());
  const Response back = f.post("/saml/idp/return", {{"t", token}});
  REQUIRE(back.status == 200);
  CHECK(formAction(back.body) == kPubAAcs);
  auto xml = core::base64Decode(hiddenField(back.body, "SAMLResponse"));
  REQUIRE(xml.has_value());
  auto doc = saml::parseUntrusted(*xml);
  REQUIRE(doc.has_value());
  auto response = saml::parseResponse(xmlDocGetRootElement(doc->get()));
  REQUIRE(response.has_value());
  CHECK(response->in_response_to == request_id);
  CHECK(response->status.code == saml::status_code::kResponder);
  CHECK(response->status.sub_code == saml::status_code::kRequestDenied);
  CHECK(xml->find("Assertion") == std::string::npos);
}

TEST_CASE("A person the ENT knows but the directory does not is refused as UnknownPrincipal",
          "[broker][flows][refusal]") {
  Flows f;
  f.get(std::string(kResourceAPath) + kTileQuery);
  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", request_id));
  const Response page = f.entLeg(sso, "nobody-9999");
  requireRefusalPage(page, 403, f.lastRequestId());
  CHECK(f.decisions("refused", "unknown_user") == 1);
  const Response back = f.post("/saml/idp/return", {{"t", hiddenField(page.body, "t")}});
  auto xml = core::base64Decode(hiddenField(back.body, "SAMLResponse"));
  REQUIRE(xml.has_value());
  CHECK(xml->find(saml::status_code::kUnknownPrincipal) != std::string::npos);
}

TEST_CASE("A bad ENT Response is refused and releases nothing", "[broker][flows][refusal]") {
  Flows f;
  const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
  const EntLeg leg = f.readEntRedirect(tile);

  SECTION("tampered after signing") {
    std::string xml = f.entResponseXml(leg, store::demo::kPupil, {});
    const std::size_t at = xml.find(store::demo::kPupil);
    REQUIRE(at != std::string::npos);
    xml.replace(at, std::strlen(store::demo::kPupil), "elv-0002");
    requireRefusalPage(f.postToAcs(xml, leg.relay_state), 403, f.lastRequestId());
    CHECK(f.decisions("refused", "signature_invalid") == 1);
  }
  SECTION("replayed") {
    const std::string xml = f.entResponseXml(leg, store::demo::kPupil, {});
    CHECK(f.postToAcs(xml, leg.relay_state).status == 200);
    requireRefusalPage(f.postToAcs(xml, leg.relay_state), 403, f.lastRequestId());
    CHECK(f.decisions("refused", "replayed") == 1);
  }
  SECTION("for another audience") {
    EntAnswer o;
    o.audience = "https://someone-else.test/sp";
    requireRefusalPage(f.postToAcs(f.entResponseXml(leg, store::demo::kPupil, o), leg.relay_state),
                       403, f.lastRequestId());
    CHECK(f.decisions("refused", "audience_mismatch") == 1);
  }
  SECTION("signed by another key") {
    EntAnswer o;
    o.signer = &test::attackerCredential();
    requireRefusalPage(f.postToAcs(f.entResponseXml(leg, store::demo::kPupil, o), leg.relay_state),
                       403, f.lastRequestId());
  }
  SECTION("from another ENT than the transaction's") {
    EntAnswer o;
    o.issuer = kEnt2Entity;
    o.signer = &ent2Credential();
    requireRefusalPage(f.postToAcs(f.entResponseXml(leg, store::demo::kPupil, o), leg.relay_state),
                       403, f.lastRequestId());
  }
  SECTION("with a tampered transaction") {
    std::string relay = leg.relay_state;
    relay[relay.size() / 2] = relay[relay.size() / 2] == 'A' ? 'B' : 'A';
    requireRefusalPage(f.postToAcs(f.entResponseXml(leg, store::demo::kPupil, {}), relay), 400,
                       f.lastRequestId());
    CHECK(f.decisions("refused", "bad_transaction") == 1);
  }
  SECTION("after the transaction expired") {
    const std::string xml = f.entResponseXml(leg, store::demo::kPupil, {});
    f.clock().t += 601;
    requireRefusalPage(f.postToAcs(xml, leg.relay_state), 403, f.lastRequestId());
    CHECK(f.decisions("refused", "expired_transaction") == 1);
  }
  SECTION("without RelayState") {
    requireRefusalPage(
        f.post(
            "/saml/sp/acs",
            {{"SAMLResponse", core::base64Encode(f.entResponseXml(leg, store::demo::kPupil, {}))}}),
        400, f.lastRequestId());
  }
  CHECK(f.decisions("released", "ok") <= 1);
  for (const auto& line : f.audit()) {
    CHECK(line.find(store::demo::kPupil) == std::string::npos);
  }
}

TEST_CASE("A signed Response around an unsigned assertion is accepted (SAML2 Profiles 4.1.4.2)",
          "[broker][flows][acs]") {
  Flows f;
  const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
  EntAnswer o;
  o.sign_assertion = false;
  const Received got = f.publisherReceives(f.entLeg(tile, store::demo::kPupil, o), kPubBEntity,
                                           kPubBAcs, std::nullopt);
  CHECK(names(got.attributes) == std::set<std::string>{"IDO", "PRO"});
}

TEST_CASE("A publisher-initiated access asks which ENT, then remembers the choice",
          "[broker][flows][discovery]") {
  Flows f;
  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", request_id));
  REQUIRE(sso.status == 303);
  const std::string location = *sso.header("Location");
  REQUIRE(location.rfind("/discovery?t=", 0) == 0);
  const Response page = f.get(location);
  REQUIRE(page.status == 200);
  CHECK(page.body.find("ENTTEST1") != std::string::npos);
  CHECK(page.body.find("ENTTEST2") != std::string::npos);
  const std::string token = hiddenField(page.body, "t");
  const Response chosen =
      f.post("/discovery", {{"t", token}, {"ent", "ENTTEST1"}, {"remember", "1"}});
  REQUIRE(f.jar().count("garde_ent") == 1);
  // No launch cookie: the establishment is the pupil's only one.
  const Received got =
      f.publisherReceives(f.entLeg(chosen, store::demo::kPupil), kPubAEntity, kPubAAcs, request_id);
  CHECK(got.attributes.at("UAI") == std::vector<std::string>{store::demo::kUai});

  std::string id2;
  const Response again = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id2));
  CHECK(again.status == 302);
  f.readEntRedirect(again);

  SECTION("a hint skips the page") {
    f.jar().erase("garde_ent");
    std::string id3;
    const std::string target =
        f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id3) + "&ent=ENTTEST2";
    f.readEntRedirect(f.get(target), kEnt2Sso);
  }
}

TEST_CASE("Our metadata is signed and names our endpoints", "[broker][flows][metadata]") {
  Flows f;
  const Response sp = f.get("/saml/sp/metadata");
  REQUIRE(sp.status == 200);
  saml::MetadataOptions options;
  options.trusted = {brokerCredential().cert};
  options.now = test::kNow;
  auto parsed = saml::parseMetadata(sp.body, options);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->front().sp.has_value());
  CHECK(parsed->front().entity_id == std::string(kBase) + "/saml/sp/metadata");
  CHECK(parsed->front().sp->authn_requests_signed);
  CHECK(parsed->front().defaultAcs()->location == std::string(kBase) + "/saml/sp/acs");

  const Response idp = f.get("/saml/idp/metadata");
  REQUIRE(idp.status == 200);
  auto parsed_idp = saml::parseMetadata(idp.body, options);
  REQUIRE(parsed_idp.has_value());
  CHECK(parsed_idp->front().idp.has_value());
}

TEST_CASE("Europe/Paris decides which day it is", "[broker][flows]") {
  using broker::flows::parisToday;
  // 2026-11-23T23:30Z is already the 24th in Paris (UTC+1).
  CHECK(parisToday(1795476600).format() == "2026-11-24");
  // 2026-07-01T21:59Z is still the 1st (UTC+2 until 22:00Z).
  CHECK(parisToday(1782943140).format() == "2026-07-01");
  CHECK(parisToday(1782943200).format() == "2026-07-02");
}

TEST_CASE("An ENT Response posted from another browser is refused (login CSRF)",
          "[broker][flows][attack]") {
  Flows f;
  const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
  const EntLeg leg = f.readEntRedirect(tile);
  const std::string xml = f.entResponseXml(leg, store::demo::kPupil, {});
  SECTION("no binding cookie") { f.jar().erase("garde_bind"); }
  SECTION("another browser's binding") { f.jar()["garde_bind"] = "AAAAAAAAAAAAAAAAAAAAAA"; }
  const Response r = f.postToAcs(xml, leg.relay_state);
  CHECK(r.status == 400);
  CHECK(r.body.find("IDO") == std::string::npos);
  CHECK(r.header("Content-Security-Policy") != nullptr);
}
