#include "support/flows_world.h"

#include <unistd.h>

#include <cstring>
#include <fstream>

#include "broker/api/admin_accounts.h"
#include "broker/api/admin_action.h"
#include "broker/api/admin_audit.h"
#include "broker/api/admin_catalogue.h"
#include "broker/api/admin_ceilings.h"
#include "broker/api/admin_explain.h"
#include "broker/api/admin_metadata.h"
#include "broker/api/contracts.h"
#include "broker/api/establishment.h"
#include "broker/api/session.h"
#include "broker/api/usage.h"
#include "broker/console/console.h"
#include "broker/demo/demo_data.h"
#include "broker/flows/admin_sign_in.h"
#include "store/migrations.h"

namespace garde::test {
namespace {

using broker::Request;
using broker::Response;

std::string idpMetadataXml(const char* entity_id, const char* sso, const saml::Credential& cred,
                           bool want_requests_signed) {
  saml::EntityDescriptor e;
  e.entity_id = entity_id;
  saml::IdpSsoDescriptor idp;
  idp.want_authn_requests_signed = want_requests_signed;
  idp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, cred.cert, {}});
  saml::Endpoint ep;
  ep.binding = std::string(saml::binding::kHttpRedirect);
  ep.location = sso;
  idp.sso.push_back(ep);
  if (std::string_view(entity_id) == kEntEntity) {
    idp.slo.push_back(saml::Endpoint{std::string(saml::binding::kHttpRedirect), kEntSlo, "",
                                     std::nullopt, std::nullopt});
  }
  e.idp = idp;
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

/// Contract metadata need no signature in the flows world (`[contracts]` left unset).
const std::vector<saml::Certificate> kNoSigners;

/// Each handler's routes, with exactly its deps (what mountFlows does for all of them).
void mountRoutes(broker::Router& router, broker::flows::FlowServices& s, const FlowRoutes& routes) {
  namespace flows = broker::flows;
  for (FlowRoute route : routes) {
    switch (route) {
      case FlowRoute::kMetadata:
        flows::mountMetadata(router,
                             std::make_shared<const flows::MetadataPublisher>(s.sp, s.idp, s.clock));
        break;
      case FlowRoute::kLaunch:
        flows::mountLaunch(router, flows::launchDeps(s));
        break;
      case FlowRoute::kIdpSso:
        flows::mountIdpSso(router, flows::idpSsoDeps(s));
        break;
      case FlowRoute::kDiscovery:
        flows::mountDiscovery(router, flows::discoveryDeps(s));
        break;
      case FlowRoute::kAcs:
        flows::mountAcs(router, flows::acsDeps(s));
        break;
      case FlowRoute::kLogout:
        flows::mountLogout(router, flows::logoutDeps(s));
        break;
      case FlowRoute::kReturn:
        flows::mountReturn(router, flows::returnDeps(s));
        break;
      case FlowRoute::kAdmin:
        flows::mountAdminSignIn(router, flows::adminLoginDeps(s), flows::adminHomeDeps(s));
        broker::api::mountEstablishment(router, {s.clock, s.db, s.audit, s.admin_sessions});
        broker::api::mountAdminAccounts(router, {s.clock, s.db, s.audit, s.admin_sessions});
        broker::api::mountSessionApi(router, {s.admin_sessions, s.db});
        broker::api::mountUsage(router, {s.clock, s.db, s.audit, s.admin_sessions});
        broker::console::mountConsole(router);
        broker::api::mountAdminAudit(router,
                                     {s.clock, s.db, s.audit, s.audit_subjects, s.admin_sessions});
        broker::api::mountAdminCeilings(router, {s.clock, s.db, s.audit, s.admin_sessions});
        broker::api::mountAdminCatalogue(router, {s.clock, s.db, s.audit, s.admin_sessions});
        broker::api::mountAdminExplain(router, {s.clock, s.db, s.resources, s.policies, s.pseudonyms,
                                                s.audit, s.audit_subjects, s.admin_sessions});
        broker::api::mountContracts(router, {s.clock, s.db, s.audit, s.admin_sessions, kNoSigners});
        broker::api::mountAdminMetadata(router, {s.clock, s.db, s.admin_sessions, 5 * 86400});
        router.setAdminSessionVerifier(s.admin_sessions.verifier());
        break;
    }
  }
}

}  // namespace

saml::EntityDescriptor spEntity(const char* entity_id, const char* acs_url) {
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
  return e;
}

std::string spMetadataXml(const char* entity_id, const char* acs_url, const saml::Credential* keys) {
  saml::EntityDescriptor e = spEntity(entity_id, acs_url);
  if (keys != nullptr) {
    e.sp->keys.push_back({saml::KeyUse::kSigning, keys->cert, {}});
    e.sp->keys.push_back({saml::KeyUse::kEncryption, keys->cert, {}});
  }
  auto doc = saml::generateMetadata(e);
  REQUIRE(doc.has_value());
  return saml::serialize(doc->get());
}

const saml::Credential& brokerCredential() {
  static const saml::Credential c = test::makeCredential("garde test broker");
  return c;
}
const saml::Credential& ent2Credential() {
  static const saml::Credential c = test::makeCredential("test idp 2");
  return c;
}

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

FlowRoutes allFlowRoutes() {
  return {FlowRoute::kMetadata, FlowRoute::kLaunch, FlowRoute::kIdpSso, FlowRoute::kDiscovery,
          FlowRoute::kAcs,      FlowRoute::kReturn, FlowRoute::kAdmin, FlowRoute::kLogout};
}

Flows::Flows(std::string audit_file, std::int64_t replay_entries, FlowRoutes routes,
             const std::function<void(config::Config&)>& adjust,
             const std::function<void(store::Db&)>& seed) {
  config_.log.audit_file = std::move(audit_file);
  config_.broker.replay_cache_entries = replay_entries;
  char tmpl[] = "/tmp/garde-flows-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  config_.broker.base_url = kBase;
  config_.broker.idp_entity_id = std::string(kBase) + "/saml/idp/metadata";
  config_.broker.sp_entity_id = std::string(kBase) + "/saml/sp/metadata";
  config_.store.database = (dir_ / "garde.db").string();
  config_.pseudonym.secret_file = (dir_ / "pseudonym.hex").string();
  std::ofstream(config_.pseudonym.secret_file) << std::string(64, 'a') << "\n";
  config_.audit.subject_secret_file = (dir_ / "audit-subject.hex").string();
  std::ofstream(config_.audit.subject_secret_file) << std::string(64, 'c') << "\n";
  {
    auto db = store::Db::open(config_.store.database);
    REQUIRE(db.has_value());
    REQUIRE(store::migrate(*db).has_value());
    store::DemoPeers peers;
    peers.ent_idp_entity_id = kEntEntity;
    peers.ent_idp_metadata_xml =
        idpMetadataXml(kEntEntity, kEntSso, test::testIdpCredential(), true);
    peers.publisher_a_sp_entity_id = kPubAEntity;
    peers.publisher_a_sp_metadata_xml = spMetadataXml(kPubAEntity, kPubAAcs);
    peers.publisher_a_base_url = kPubABase;
    peers.publisher_b_sp_entity_id = kPubBEntity;
    peers.publisher_b_sp_metadata_xml = spMetadataXml(kPubBEntity, kPubBAcs);
    peers.publisher_b_base_url = kPubBBase;
    // As `garde serve --demo` loads it: the feed files imported, the subscriptions through the
    // service with the demo publishers' certificates (broker/demo/demo_data.h).
    auto loaded = broker::demo::loadDemoData(config_.store.database, peers, demo_callers_, clock_);
    if (!loaded) {
      FAIL(loaded.error().describe());
    }
    // A second ENT, so that a publisher-initiated access needs the discovery page.
    REQUIRE(store::upsertEnt(*db,
                             {"ENTTEST2", "Autre ENT", std::string(kEnt2Entity),
                              idpMetadataXml(kEnt2Entity, kEnt2Sso, ent2Credential(), false)},
                             test::kNow)
                .has_value());
    REQUIRE(store::upsertEstablishment(*db, {"0999999Z", "ENTTEST2", "Autre collège", {}, {}})
                .has_value());
    if (seed) {
      seed(*db);
    }
  }
  if (adjust) {
    adjust(config_);
  }
  services_ = broker::flows::makeFlowServices(config_, metrics_, clock_, core::systemRandom(),
                                              brokerCredential(), std::string(32, 'k'));
  services_->audit.setObserver([this](std::string_view line) { audit_.emplace_back(line); });
  callers_ = std::make_unique<broker::StoreCallerRegistry>(services_->db, clock_);
  router_.setClientCertificateRegistry(callers_->registry());
  router_.setCallerRefusalObserver(
      broker::api::auditRefusedCallers(services_->audit, services_->clock));
  mountRoutes(router_, *services_, routes);
}
Flows::~Flows() {
  callers_.reset();
  services_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Response Flows::send(Request req) {
  req.request_id = "corr-" + std::to_string(++requests_);
  req.is_tls = true;
  if (req.peer.empty()) {
    req.peer = "127.0.0.1";
  }
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

Response Flows::get(const std::string& target) {
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

Response Flows::post(const std::string& path,
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
EntLeg Flows::readEntRedirect(const Response& r, const char* sso) {
  REQUIRE(r.status == 302);
  const std::string* location = r.header("Location");
  REQUIRE(location != nullptr);
  REQUIRE(location->rfind(sso, 0) == 0);
  auto msg = saml::decodeRedirect(location->substr(location->find('?') + 1));
  REQUIRE(msg.has_value());
  // Signed where the ENT's metadata asks (WantAuthnRequestsSigned): the demo ENT does, ENTTEST2
  // does not.
  if (std::string_view(sso) == kEntSso) {
    CHECK(saml::verifyRedirectSignature(*msg, {brokerCredential().cert}).has_value());
  } else {
    CHECK_FALSE(msg->hasRedirectSignature());
  }
  auto doc = saml::parseUntrusted(msg->xml);
  REQUIRE(doc.has_value());
  auto ar = saml::parseAuthnRequest(xmlDocGetRootElement(doc->get()));
  REQUIRE(ar.has_value());
  CHECK(ar->assertion_consumer_service_url == std::string(kBase) + "/saml/sp/acs");
  CHECK(ar->protocol_binding == saml::binding::kHttpPost);
  CHECK(ar->destination == std::string(sso));
  CHECK(ar->issuer == config_.broker.sp_entity_id);
  // Every AuthnRequest says what identifier it needs (its Format: the ENT's registration).
  REQUIRE(ar->name_id_policy.has_value());
  CHECK(ar->name_id_policy->allow_create == true);
  REQUIRE(msg->relay_state.has_value());
  return EntLeg{ar->id, *msg->relay_state, *ar};
}

/// The ENT's signed Response for `person`, serialized (before base64).
std::string Flows::entResponseXml(const EntLeg& leg, const std::string& person,
                                  const EntAnswer& o) {
  const std::string acs = std::string(kBase) + "/saml/sp/acs";
  saml::Assertion a = test::goodAssertion(core::systemRandom().newId().c_str(), leg.request_id);
  a.issuer = o.issuer;
  a.issue_instant = clock_.t;
  a.subject->name_id = saml::NameID{person, std::string(saml::name_id_format::kPersistent), {}, {}};
  if (o.transient_name_id) {
    a.subject->name_id = saml::NameID{
        core::systemRandom().newId(), std::string(saml::name_id_format::kTransient), {}, {}};
  }
  a.subject->confirmations[0].data->recipient = acs;
  a.subject->confirmations[0].data->not_on_or_after = clock_.t + 300;
  a.conditions->not_before = clock_.t - 60;
  a.conditions->not_on_or_after = clock_.t + 300;
  a.conditions->audience_restrictions = {{o.audience}};
  a.authn_statements[0].authn_instant = clock_.t + o.authn_instant_offset;
  a.attributes = o.attributes;
  if (o.transient_name_id) {
    a.attributes.push_back({"urn:oid:0.9.2342.19200300.100.1.1",
                            std::string(saml::attribute_name_format::kUri),
                            "uid",
                            {person}});
  }
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

Response Flows::postToAcs(const std::string& xml, const std::string& relay_state) {
  return post("/saml/sp/acs",
              {{"SAMLResponse", core::base64Encode(xml)}, {"RelayState", relay_state}});
}

/// The whole ENT leg for `person`: read our redirect, answer, post to the ACS.
Response Flows::entLeg(const Response& redirect, const std::string& person, const EntAnswer& o) {
  const EntLeg leg = readEntRedirect(redirect);
  return postToAcs(entResponseXml(leg, person, o), leg.relay_state);
}

/// What the publisher's SP sees, validated as an SP would (our IdP key only).
Received Flows::publisherReceives(const Response& r, const char* sp_entity_id, const char* acs,
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
  // A publisher whose contract brought an encryption key (tests/broker/contracts_test.cpp).
  e.decryption_keys = {test::testSpCredential().key};
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
std::string Flows::publisherAuthnRequest(const char* sp_entity_id, const char* acs,
                                         const std::string& relay_state, std::string& id_out,
                                         const AskOptions& ask) {
  saml::AuthnRequest ar;
  ar.id = ask.id.empty() ? core::systemRandom().newId() : ask.id;
  ar.issue_instant = clock_.t;
  ar.destination = std::string(kBase) + "/saml/idp/sso";
  ar.issuer = sp_entity_id;
  ar.assertion_consumer_service_url = acs;
  ar.protocol_binding = std::string(saml::binding::kHttpPost);
  ar.force_authn = ask.force_authn;
  ar.is_passive = ask.is_passive;
  ar.name_id_policy = ask.name_id_policy;
  auto doc = saml::buildAuthnRequest(ar);
  REQUIRE(doc.has_value());
  auto url =
      saml::encodeRedirect(saml::serialize(doc->get(), false), std::string(kBase) + "/saml/idp/sso",
                           relay_state, true, nullptr, saml::SignatureAlgorithm::kRsaSha256);
  REQUIRE(url.has_value());
  id_out = ar.id;
  return url->substr(std::string(kBase).size());
}

saml::Response postedResponse(const broker::Response& r) {
  REQUIRE(r.status == 200);
  auto xml = core::base64Decode(hiddenField(r.body, "SAMLResponse"));
  REQUIRE(xml.has_value());
  auto doc = saml::parseUntrusted(*xml);
  REQUIRE(doc.has_value());
  auto parsed = saml::parseResponse(xmlDocGetRootElement(doc->get()));
  REQUIRE(parsed.has_value());
  return *parsed;
}

double Flows::decisions(const std::string& outcome, const std::string& reason) const {
  const std::string text = metrics_.exposition();
  const std::string series =
      "garde_decisions_total{outcome=\"" + outcome + "\",reason=\"" + reason + "\"} ";
  const std::size_t at = text.find(series);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size()));
}

std::vector<store::AuditRecord> Flows::auditRows() {
  REQUIRE(services_->audit.flushTable().has_value());
  auto db = store::Db::open(config_.store.database);
  REQUIRE(db.has_value());
  auto rows = store::listAudit(*db, 0, 1000);
  REQUIRE(rows.has_value());
  return std::move(rows).value();
}

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

}  // namespace garde::test
