// The launch and SSO flows end to end, with plain broker::Request values (no sockets): a temp
// SQLite database seeded with the demo data, in-test ENT IdP and publisher SPs, the real wiring
// (makeFlowServices + flows::mountFlows), a cookie jar standing in for the browser.

#include <cstring>

#include "support/flows_world.h"

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
  // The same record in the audit table (written in batches, off the request path).
  const auto rows = f.auditRows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].outcome == "released");
  CHECK(rows[0].correlation_id == f.lastRequestId());
  CHECK(rows[0].released == std::vector<std::string>{"IDO", "PRO"});
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
  CHECK(f.decisions("refused", "bad_request") == 1);  // idENT not base64, no resource
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
  CHECK(f.decisions("refused", "bad_request") == 1);  // the tile without its uai
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

TEST_CASE("An unsigned assertion is refused as our metadata's WantAssertionsSigned says",
          "[broker][flows][acs]") {
  EntAnswer o;
  o.sign_assertion = false;
  SECTION("by default") {
    Flows f;
    CHECK(f.get("/saml/sp/metadata").body.find("WantAssertionsSigned=\"true\"") !=
          std::string::npos);
    const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
    const Response r = f.entLeg(tile, store::demo::kPupil, o);
    requireRefusalPage(r, 403, f.lastRequestId());
    CHECK(f.decisions("refused", "signature_missing") == 1);
  }
  SECTION(
      "with broker.want_assertions_signed = false, a signed Response protects it (SAML2 "
      "Profiles 4.1.4.2)") {
    Flows f({}, 1'000'000, allFlowRoutes(),
            [](config::Config& c) { c.broker.want_assertions_signed = false; });
    CHECK(f.get("/saml/sp/metadata").body.find("WantAssertionsSigned=\"false\"") !=
          std::string::npos);
    const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
    const Received got = f.publisherReceives(f.entLeg(tile, store::demo::kPupil, o), kPubBEntity,
                                             kPubBAcs, std::nullopt);
    CHECK(names(got.attributes) == std::set<std::string>{"IDO", "PRO"});
  }
}

TEST_CASE("A publisher-initiated access asks which ENT, then remembers the choice",
          "[broker][flows][discovery]") {
  Flows f;
  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(
      kPubAEntity, kPubAAcs, std::string(kPubABase) + "/resource", request_id));
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

TEST_CASE("A release whose audit line cannot be written is refused", "[broker][flows][refusal]") {
  Flows f("/dev/full");  // every write fails with ENOSPC
  const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
  REQUIRE(tile.status == 302);
  const Response page = f.entLeg(tile, store::demo::kPupil);
  CHECK(page.body.find("SAMLResponse") == std::string::npos);
  CHECK(f.decisions("refused", "audit_failed") == 1);
  CHECK(f.decisions("released", "ok") == 0);
  CHECK(f.auditRows().empty());  // nothing in the table either
}
