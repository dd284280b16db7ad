// Single logout (broker/flows/logout.cpp, docs/single-logout.md): the session cookie written at
// each release, the chain of signed Redirect messages begun by the ENT or by a publisher, the
// publisher without SingleLogoutService skipped and named on the end page, and the messages
// refused: unsigned, badly signed, replayed, for another endpoint, unexpected answers.
#include <catch2/catch.hpp>

#include "broker/flows/logout_state.h"
#include "core/random.h"
#include "support/flows_world.h"
#include "support/log_capture.h"

namespace {

constexpr const char* kPubASlo = "https://edition-a.test/slo";

/// Publisher A with a signing key and a Redirect SingleLogoutService; B keeps its metadata (none).
void seedPublisherA(store::Db& db) {
  auto a = store::findPublisher(db, store::demo::kPublisherA);
  REQUIRE(a.has_value());
  saml::EntityDescriptor e = test::spEntity(kPubAEntity, kPubAAcs);
  e.sp->keys.push_back(
      saml::KeyDescriptor{saml::KeyUse::kSigning, test::testSpCredential().cert, {}});
  e.sp->slo.push_back(saml::Endpoint{std::string(saml::binding::kHttpRedirect), kPubASlo, "",
                                     std::nullopt, std::nullopt});
  auto doc = saml::generateMetadata(e);
  REQUIRE(doc.has_value());
  a->sp_metadata_xml = saml::serialize(doc->get());
  REQUIRE(store::upsertPublisher(db, *a).has_value());
}

std::string pathOf(const std::string& url) {
  REQUIRE(url.rfind(kBase, 0) == 0);
  return url.substr(std::string(kBase).size());
}

/// A message we sent by Redirect to `endpoint`, its query signature checked with our key.
saml::XmlDoc receivedAt(const Response& r, const std::string& endpoint, bool is_request,
                        std::optional<std::string>* relay_state = nullptr) {
  REQUIRE(r.status == 302);
  const std::string* location = r.header("Location");
  REQUIRE(location != nullptr);
  REQUIRE(location->rfind(endpoint + "?", 0) == 0);
  auto message = saml::decodeRedirect(location->substr(endpoint.size() + 1));
  REQUIRE(message.has_value());
  CHECK(message->is_request == is_request);
  REQUIRE(message->hasRedirectSignature());
  REQUIRE(saml::verifyRedirectSignature(*message, {test::brokerCredential().cert}).has_value());
  if (relay_state != nullptr) {
    *relay_state = message->relay_state;
  }
  auto doc = saml::parseUntrusted(message->xml);
  REQUIRE(doc.has_value());
  return std::move(doc).value();
}

saml::LogoutRequest requestIn(const saml::XmlDoc& doc) {
  auto parsed = saml::parseLogoutRequest(xmlDocGetRootElement(doc.get()));
  REQUIRE(parsed.has_value());
  return std::move(parsed).value();
}

saml::LogoutResponse responseIn(const saml::XmlDoc& doc) {
  auto parsed = saml::parseLogoutResponse(xmlDocGetRootElement(doc.get()));
  REQUIRE(parsed.has_value());
  return std::move(parsed).value();
}

/// A peer's message to one of our SLO endpoints, signed in the query with `signer` (null:
/// unsigned).
std::string toGarde(const std::string& xml, const std::string& path, bool is_request,
                    const saml::Credential* signer, const std::string& relay_state = "") {
  auto url = saml::encodeRedirect(xml, std::string(kBase) + path, relay_state, is_request, signer,
                                  saml::SignatureAlgorithm::kRsaSha256);
  REQUIRE(url.has_value());
  return pathOf(*url);
}

std::string xmlOf(const saml::LogoutRequest& r) {
  auto doc = saml::buildLogoutRequest(r);
  REQUIRE(doc.has_value());
  return saml::serialize(doc->get());
}

std::string xmlOf(const saml::LogoutResponse& r) {
  auto doc = saml::buildLogoutResponse(r);
  REQUIRE(doc.has_value());
  return saml::serialize(doc->get());
}

saml::LogoutRequest entLogoutRequest(const std::string& person, const std::string& id = "ent-lo-1") {
  saml::LogoutRequest r;
  r.id = id;
  r.issue_instant = FixedClock().t;
  r.destination = std::string(kBase) + "/saml/sp/slo";
  r.issuer = kEntEntity;
  r.name_id.value = person;
  r.name_id.format = std::string(saml::name_id_format::kPersistent);
  return r;
}

saml::LogoutResponse answer(const saml::LogoutRequest& to, const char* issuer,
                            const std::string& destination, std::string id) {
  saml::LogoutResponse r;
  r.id = std::move(id);
  r.in_response_to = to.id;
  r.issue_instant = FixedClock().t;
  r.destination = destination;
  r.issuer = issuer;
  return r;
}

/// Publisher A (SP-initiated) and B (a tile) both launched for the pupil; returns what A got.
Received launchBoth(Flows& f, bool with_b) {
  f.get(std::string(kResourceAPath) + kTileQuery);
  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(
      kPubAEntity, kPubAAcs, std::string(kPubABase) + "/resource", request_id));
  Received a =
      f.publisherReceives(f.entLeg(sso, store::demo::kPupil), kPubAEntity, kPubAAcs, request_id);
  if (with_b) {
    const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
    f.publisherReceives(f.entLeg(tile, store::demo::kPupil), kPubBEntity, kPubBAcs,
                        std::nullopt);
  }
  return a;
}

double participants(Flows& f, const std::string& side, const std::string& outcome) {
  const std::string text = f.services().metrics.exposition();
  const std::string series =
      "garde_logout_participants_total{side=\"" + side + "\",outcome=\"" + outcome + "\"} ";
  const std::size_t at = text.find(series);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size()));
}

}  // namespace

TEST_CASE("Each release adds the publisher to the sealed session cookie",
          "[broker][flows][logout]") {
  Flows f({}, 1'000'000, allFlowRoutes(), {}, seedPublisherA);
  const Received a = launchBoth(f, true);
  REQUIRE(f.jar().count("garde_session") == 1);
  auto session = broker::flows::unsealSession(f.services().sealer, f.jar().at("garde_session"),
                                              f.clock().t);
  REQUIRE(session.has_value());
  CHECK(session->ent_id == "ENTTEST1");
  CHECK(session->ent_name_id.value == store::demo::kPupil);
  REQUIRE(session->publishers.size() == 2);
  CHECK(session->publishers[0].publisher_id == store::demo::kPublisherA);
  CHECK(session->publishers[1].publisher_id == store::demo::kPublisherB);
  // What A was given, exactly: its NameID and the assertion's SessionIndex.
  CHECK(session->publishers[0].name_id == *a.response.assertion.subject->name_id);
  REQUIRE(a.response.assertion.authn_statements.size() == 1);
  CHECK(session->publishers[0].session_index ==
        a.response.assertion.authn_statements[0].session_index);
  CHECK_FALSE(session->publishers[0].session_index.empty());
  // The cookie is opaque: no identifier readable in it.
  CHECK(f.jar().at("garde_session").find(store::demo::kPupil) == std::string::npos);
}

TEST_CASE("Both metadata documents publish the single logout endpoints", "[broker][flows][logout]") {
  Flows f({}, 1'000'000, {FlowRoute::kMetadata});
  for (const auto& [path, slo] :
       {std::pair<std::string, std::string>{"/saml/sp/metadata", "/saml/sp/slo"},
        {"/saml/idp/metadata", "/saml/idp/slo"}}) {
    const Response r = f.get(path);
    saml::MetadataOptions opts;
    opts.now = f.clock().t;
    auto md = saml::parseMetadata(r.body, opts);
    REQUIRE(md.has_value());
    REQUIRE(md->size() == 1);
    const saml::EntityDescriptor& e = md->front();
    const saml::SsoDescriptor& role =
        e.sp ? static_cast<const saml::SsoDescriptor&>(*e.sp) : *e.idp;
    REQUIRE(role.slo.size() == 2);
    CHECK(role.slo[0].binding == saml::binding::kHttpRedirect);
    CHECK(role.slo[1].binding == saml::binding::kHttpPost);
    CHECK(role.slo[0].location == std::string(kBase) + slo);
  }
}

TEST_CASE("An ENT-initiated logout goes through each publisher, then answers the ENT",
          "[broker][flows][logout]") {
  Flows f({}, 1'000'000, allFlowRoutes(), {}, seedPublisherA);
  const Received a = launchBoth(f, false);
  test::LogCapture log(core::LogLevel::kInfo);  // "logout ended" is info

  const saml::LogoutRequest from_ent = entLogoutRequest(store::demo::kPupil);
  const Response to_a = f.get(toGarde(xmlOf(from_ent), "/saml/sp/slo", true,
                                      &test::testIdpCredential(), "ent-relay"));
  CHECK(f.jar().count("garde_session") == 0);
  REQUIRE(f.jar().count("garde_logout") == 1);
  const saml::LogoutRequest at_a = requestIn(receivedAt(to_a, kPubASlo, true));
  CHECK(at_a.issuer == f.services().idp.entity_id);
  CHECK(at_a.destination == std::string(kPubASlo));
  CHECK(at_a.name_id == *a.response.assertion.subject->name_id);
  CHECK(at_a.session_indexes ==
        std::vector<std::string>{a.response.assertion.authn_statements[0].session_index});
  CHECK(at_a.not_on_or_after.has_value());

  const Response to_ent =
      f.get(toGarde(xmlOf(answer(at_a, kPubAEntity, std::string(kBase) + "/saml/idp/slo", "a-1")),
                    "/saml/idp/slo", false, &test::testSpCredential()));
  std::optional<std::string> relay;
  const saml::LogoutResponse at_ent = responseIn(receivedAt(to_ent, kEntSlo, false, &relay));
  CHECK(at_ent.in_response_to == from_ent.id);
  CHECK(at_ent.issuer == f.services().sp.entity_id);
  CHECK(at_ent.status.isSuccess());
  CHECK(at_ent.status.sub_code.empty());
  CHECK(relay == std::optional<std::string>("ent-relay"));
  CHECK(f.jar().count("garde_logout") == 0);
  CHECK(participants(f, "publisher", "logged_out") == 1);
  CHECK(log.has({"logout ended", "\"logged_out\":\"1\"", "\"failed\":\"0\"", "\"skipped\":\"0\""}));
  // Personal data stays out of the log.
  CHECK_FALSE(log.has({store::demo::kPupil}));

  SECTION("the same LogoutRequest again is a replay") {
    const Response again = f.get(toGarde(xmlOf(from_ent), "/saml/sp/slo", true,
                                         &test::testIdpCredential(), "ent-relay"));
    CHECK(again.status == 403);
    CHECK(log.has({"refused", "LogoutRequest ID already seen"}));
  }
  SECTION("A's answer again, with no logout in progress, is refused") {
    const Response again = f.get(
        toGarde(xmlOf(answer(at_a, kPubAEntity, std::string(kBase) + "/saml/idp/slo", "a-2")),
                "/saml/idp/slo", false, &test::testSpCredential()));
    CHECK(again.status >= 400);
    CHECK(log.has({"refused", "no_logout_in_progress"}));
  }
}

TEST_CASE("A publisher without single logout is skipped and named on the end page",
          "[broker][flows][logout]") {
  Flows f({}, 1'000'000, allFlowRoutes(), {}, seedPublisherA);
  launchBoth(f, true);
  const saml::LogoutRequest from_ent = entLogoutRequest(store::demo::kPupil);
  const Response to_a =
      f.get(toGarde(xmlOf(from_ent), "/saml/sp/slo", true, &test::testIdpCredential()));
  const saml::LogoutRequest at_a = requestIn(receivedAt(to_a, kPubASlo, true));
  const Response end =
      f.get(toGarde(xmlOf(answer(at_a, kPubAEntity, std::string(kBase) + "/saml/idp/slo", "a-1")),
                    "/saml/idp/slo", false, &test::testSpCredential()));
  REQUIRE(end.status == 200);
  CHECK(end.body.find("ne permettent pas la déconnexion unique") != std::string::npos);
  CHECK(end.body.find("do not support single logout") != std::string::npos);
  // The way back to the ENT: a link carrying our LogoutResponse, PartialLogout.
  const std::string marker = "<a href=\"";
  const std::size_t at = end.body.find(marker + kEntSlo);
  REQUIRE(at != std::string::npos);
  std::string href = end.body.substr(at + marker.size());
  href = href.substr(0, href.find('"'));
  for (std::size_t p = href.find("&amp;"); p != std::string::npos; p = href.find("&amp;")) {
    href.replace(p, 5, "&");
  }
  Response as_redirect;
  as_redirect.status = 302;
  as_redirect.setHeader("Location", href);
  const saml::LogoutResponse at_ent = responseIn(receivedAt(as_redirect, kEntSlo, false));
  CHECK(at_ent.status.isSuccess());
  CHECK(at_ent.status.sub_code == saml::status_code::kPartialLogout);
  CHECK(participants(f, "publisher", "skipped") == 1);
  CHECK(participants(f, "publisher", "logged_out") == 1);
}

TEST_CASE("A publisher-initiated logout goes through the others and the ENT, then answers it",
          "[broker][flows][logout]") {
  Flows f({}, 1'000'000, allFlowRoutes(), {}, seedPublisherA);
  const Received a = launchBoth(f, true);
  saml::LogoutRequest from_a;
  from_a.id = "a-lo-1";
  from_a.issue_instant = f.clock().t;
  from_a.destination = std::string(kBase) + "/saml/idp/slo";
  from_a.issuer = kPubAEntity;
  from_a.name_id = *a.response.assertion.subject->name_id;
  const Response step =
      f.get(toGarde(xmlOf(from_a), "/saml/idp/slo", true, &test::testSpCredential(), "a-relay"));
  // B has no SingleLogoutService: skipped; next is the ENT, named as it named the person.
  const saml::LogoutRequest at_ent = requestIn(receivedAt(step, kEntSlo, true));
  CHECK(at_ent.issuer == f.services().sp.entity_id);
  CHECK(at_ent.name_id.value == store::demo::kPupil);
  CHECK(at_ent.destination == std::string(kEntSlo));

  SECTION("the ENT answers: A gets our LogoutResponse, PartialLogout for B") {
    const Response to_a = f.get(toGarde(
        xmlOf(answer(at_ent, kEntEntity, std::string(kBase) + "/saml/sp/slo", "ent-r-1")),
        "/saml/sp/slo", false, &test::testIdpCredential()));
    // B was skipped: the end page first, its link to A.
    REQUIRE(to_a.status == 200);
    CHECK(to_a.body.find(kPubASlo) != std::string::npos);
    CHECK(participants(f, "ent", "logged_out") == 1);
    CHECK(f.jar().count("garde_logout") == 0);
  }
  SECTION("an answer from the ENT to another request is refused") {
    saml::LogoutRequest other = at_ent;
    other.id = "not-ours";
    const Response bad = f.get(
        toGarde(xmlOf(answer(other, kEntEntity, std::string(kBase) + "/saml/sp/slo", "ent-r-2")),
                "/saml/sp/slo", false, &test::testIdpCredential()));
    CHECK(bad.status >= 400);
  }
}

TEST_CASE("Logout messages that are unsigned, badly signed or misaddressed are refused",
          "[broker][flows][logout][security]") {
  Flows f({}, 1'000'000, allFlowRoutes(), {}, seedPublisherA);
  launchBoth(f, false);
  test::LogCapture log;
  const std::string cookie = f.jar().at("garde_session");
  saml::LogoutRequest r = entLogoutRequest(store::demo::kPupil);

  SECTION("unsigned") {
    const Response bad = f.get(toGarde(xmlOf(r), "/saml/sp/slo", true, nullptr));
    CHECK(bad.status >= 400);
    CHECK(log.has({"refused", "unsigned"}));
  }
  SECTION("signed by another key (a publisher's, posing as the ENT)") {
    const Response bad = f.get(toGarde(xmlOf(r), "/saml/sp/slo", true, &test::testSpCredential()));
    CHECK(bad.status >= 400);
  }
  SECTION("an unknown issuer") {
    r.issuer = "https://evil.test/idp";
    const Response bad = f.get(toGarde(xmlOf(r), "/saml/sp/slo", true, &test::testIdpCredential()));
    CHECK(bad.status >= 400);
    CHECK(log.has({"refused", "not a peer of this endpoint"}));
  }
  SECTION("for another endpoint") {
    r.destination = std::string(kBase) + "/saml/idp/slo";
    const Response bad = f.get(toGarde(xmlOf(r), "/saml/sp/slo", true, &test::testIdpCredential()));
    CHECK(bad.status >= 400);
    CHECK(log.has({"refused", "Destination"}));
  }
  SECTION("too old") {
    r.issue_instant = f.clock().t - 3600;
    const Response bad = f.get(toGarde(xmlOf(r), "/saml/sp/slo", true, &test::testIdpCredential()));
    CHECK(bad.status >= 400);
  }
  SECTION("a publisher's LogoutRequest at the ENT side's endpoint") {
    r.issuer = kPubAEntity;
    const Response bad = f.get(toGarde(xmlOf(r), "/saml/sp/slo", true, &test::testSpCredential()));
    CHECK(bad.status >= 400);
  }
  SECTION("the signature's bytes changed") {
    std::string target = toGarde(xmlOf(r), "/saml/sp/slo", true, &test::testIdpCredential());
    const std::size_t sig = target.find("&Signature=");
    REQUIRE(sig != std::string::npos);
    target[sig + 12] = target[sig + 12] == 'A' ? 'B' : 'A';
    const Response bad = f.get(target);
    CHECK(bad.status >= 400);
  }
  // None of these ended the session.
  CHECK(f.jar().at("garde_session") == cookie);
}

TEST_CASE("A logout for another person leaves this browser's session alone",
          "[broker][flows][logout]") {
  Flows f({}, 1'000'000, allFlowRoutes(), {}, seedPublisherA);
  launchBoth(f, false);
  const Response r = f.get(toGarde(xmlOf(entLogoutRequest(store::demo::kTeacher)), "/saml/sp/slo",
                                   true, &test::testIdpCredential()));
  // Answered at once (nothing to end here), and A is not told.
  const saml::LogoutResponse at_ent = responseIn(receivedAt(r, kEntSlo, false));
  CHECK(at_ent.status.isSuccess());
  CHECK(f.jar().count("garde_session") == 1);
}

TEST_CASE("Session and logout state survive sealing, and nothing else opens them",
          "[broker][flows][logout]") {
  const core::TokenSealer sealer(std::string(32, 'k'), 1, core::systemRandom());
  broker::flows::LoginSession s;
  s.ent_id = "ENTTEST1";
  s.ent_name_id = {"elv", "fmt", "nq", "spnq"};
  s.ent_session_index = "si";
  for (int i = 0; i < 20; ++i) {
    broker::flows::rememberPublisher(
        s, {"p" + std::to_string(i), {"n", "f", "q", "s"}, "idx" + std::to_string(i)});
  }
  REQUIRE(s.publishers.size() == broker::flows::kMaxSessionPublishers);
  CHECK(s.publishers.back().publisher_id == "p19");
  broker::flows::rememberPublisher(s, {"p10", {"n2", "f", "q", "s"}, "again"});
  CHECK(s.publishers.back().session_index == "again");
  CHECK(s.publishers.size() == broker::flows::kMaxSessionPublishers);
  auto token = broker::flows::sealSession(sealer, s, 1000);
  REQUIRE(token.has_value());
  auto back = broker::flows::unsealSession(sealer, *token, 10);
  REQUIRE(back.has_value());
  CHECK(*back == s);
  CHECK_FALSE(broker::flows::unsealLogout(sealer, *token, 10).has_value());
  CHECK_FALSE(broker::flows::unsealSession(sealer, *token, 2000).has_value());

  broker::flows::LogoutRun run;
  run.from_ent = true;
  run.initiator = "ENTTEST1";
  run.initiator_request_id = "id";
  run.has_relay_state = true;
  run.relay_state = "";
  run.pending = s.publishers;
  run.awaiting = "p3";
  run.awaiting_request_id = "r";
  run.results = {{"p1", broker::flows::LogoutOutcome::kSkipped},
                 {"", broker::flows::LogoutOutcome::kFailed}};
  auto sealed = broker::flows::sealLogout(sealer, run, 1000);
  REQUIRE(sealed.has_value());
  auto opened = broker::flows::unsealLogout(sealer, *sealed, 10);
  REQUIRE(opened.has_value());
  CHECK(*opened == run);
  run.initiator = std::string("a\x1f" "b");
  CHECK_FALSE(broker::flows::sealLogout(sealer, run, 1000).has_value());
}
