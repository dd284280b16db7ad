// Security review of the launch and SSO flows (docs/security.md): one test per finding, written
// failing first, then fixed in broker/flows/. The fixture is flows_world.h (the demo
// world with in-test ENT IdPs and publisher SPs, the real wiring, a cookie jar for the browser),
// extended where a finding needs it (ForceAuthn / IsPassive requests, the ENT's AuthnInstant).

#include "flows_world.h"

namespace {

/// The SAML Response in a POST form page, parsed (no validation: error Responses carry no
/// assertion).
saml::Response postedResponse(const Response& r) {
  REQUIRE(r.status == 200);
  auto xml = core::base64Decode(hiddenField(r.body, "SAMLResponse"));
  REQUIRE(xml.has_value());
  auto doc = saml::parseUntrusted(*xml);
  REQUIRE(doc.has_value());
  auto parsed = saml::parseResponse(xmlDocGetRootElement(doc->get()));
  REQUIRE(parsed.has_value());
  return *parsed;
}

}  // namespace

// Finding (token confusion): the launch cookie minted by a tile of publisher B's resource named the
// ENT and the establishment of any other publisher's SSO for ten minutes, skipping the ENT choice.
// A cross-site page can mint it (GET /launch?ent=&uai= is a plain navigation), then send the
// browser to another publisher: the broker proxied that publisher's request with the planted ENT
// and establishment. The cookie now speaks only for its own resource's publisher.
TEST_CASE("A launch cookie minted for another publisher's resource does not steer this SSO",
          "[broker][flows][review]") {
  Flows f;
  // A tile of publisher B (direct launch): the cookie names ENTTEST1 and 0561534N for resource B.
  f.get(std::string(kResourceBPath) + kTileQuery);
  REQUIRE(f.jar().count("garde_launch") == 1);
  // Publisher A asks: with two ENTs and no hint, the user must be asked.
  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", request_id));
  CHECK(sso.status == 303);
  REQUIRE(sso.header("Location") != nullptr);
  CHECK(sso.header("Location")->rfind("/discovery?t=", 0) == 0);

  SECTION("a cookie of the same publisher still applies") {
    f.get(std::string(kResourceAPath) + kTileQuery);
    std::string id2;
    f.readEntRedirect(f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id2)));
  }
}

// Finding: ForceAuthn was proxied to the ENT but never checked on its answer. An ENT that ignores
// it (or reuses its session) made the broker vouch, to a publisher that asked for a fresh login,
// for an authentication of hours ago.
TEST_CASE("ForceAuthn is enforced on the ENT's AuthnInstant", "[broker][flows][review]") {
  Flows f;
  f.get(std::string(kResourceAPath) + kTileQuery);
  AskOptions ask;
  ask.force_authn = true;
  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", request_id, ask));
  const EntLeg leg = f.readEntRedirect(sso);
  CHECK(leg.request.force_authn);

  SECTION("an authentication older than the request is refused") {
    EntAnswer old;
    old.authn_instant_offset = -3600;
    const Response page =
        f.postToAcs(f.entResponseXml(leg, store::demo::kPupil, old), leg.relay_state);
    requireRefusalPage(page, 403, f.lastRequestId());
    CHECK(f.decisions("released", "ok") == 0);
    CHECK(f.decisions("refused", "force_authn_not_honoured") == 1);
    // The publisher can be told: AuthnFailed.
    const Response back = f.post("/saml/idp/return", {{"t", hiddenField(page.body, "t")}});
    const saml::Response told = postedResponse(back);
    CHECK(told.in_response_to == request_id);
    CHECK(told.status.sub_code == saml::status_code::kAuthnFailed);
  }
  SECTION("a fresh authentication is released") {
    EntAnswer fresh;
    fresh.authn_instant_offset = 5;
    const Response form =
        f.postToAcs(f.entResponseXml(leg, store::demo::kPupil, fresh), leg.relay_state);
    const Received got = f.publisherReceives(form, kPubAEntity, kPubAAcs, request_id);
    CHECK(names(got.attributes).count("IDO") == 1);
  }
  SECTION("without ForceAuthn, an older session is fine") {
    f.get(std::string(kResourceAPath) + kTileQuery);
    std::string id2;
    const EntLeg leg2 =
        f.readEntRedirect(f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id2)));
    EntAnswer old;
    old.authn_instant_offset = -3600;
    f.publisherReceives(
        f.postToAcs(f.entResponseXml(leg2, store::demo::kPupil, old), leg2.relay_state),
        kPubAEntity, kPubAAcs, id2);
  }
}

// Finding: IsPassive (SAML2 Core 3.4.1: the IdP must not visibly take control of the user
// interface) still led to the discovery page when the ENT could not be told. The publisher now
// gets a signed NoPassive error Response at once.
TEST_CASE("An IsPassive request that would need the ENT choice gets NoPassive",
          "[broker][flows][review]") {
  Flows f;
  AskOptions ask;
  ask.is_passive = true;
  std::string request_id;
  const Response sso = f.get(
      f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "https://edition-a.test/x", request_id, ask));
  CHECK(sso.status == 200);
  CHECK(formAction(sso.body) == kPubAAcs);
  CHECK(hiddenField(sso.body, "RelayState") == "https://edition-a.test/x");
  const saml::Response told = postedResponse(sso);
  CHECK(told.in_response_to == request_id);
  CHECK(told.status.code == saml::status_code::kResponder);
  CHECK(told.status.sub_code == saml::status_code::kNoPassive);
  CHECK(f.decisions("refused", "no_passive") == 1);

  SECTION("with the ENT known, IsPassive goes to the ENT") {
    std::string id2;
    const std::string target =
        f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id2, ask) + "&ent=ENTTEST1";
    CHECK(f.readEntRedirect(f.get(target)).request.is_passive);
  }
}

// Finding: the ENT's NoPassive (to an IsPassive request we relayed) became a refusal page, a page
// the publisher had asked us not to show. It now reaches the publisher as its own NoPassive, at
// once, provided the ENT's Response answers our request.
TEST_CASE("The ENT's NoPassive reaches the publisher that asked for a passive login",
          "[broker][flows][review]") {
  Flows f;
  AskOptions ask;
  ask.is_passive = true;
  const std::string acs = std::string(kBase) + "/saml/sp/acs";
  // The ENT's signed Response with status Responder/NoPassive to request `in_response_to`.
  auto noPassiveXml = [&](const std::string& in_response_to) {
    saml::Response r = test::goodResponse(in_response_to);
    r.id = core::systemRandom().newId();
    r.issuer = kEntEntity;
    r.issue_instant = f.clock().t;
    r.destination = acs;
    r.status.code = std::string(saml::status_code::kResponder);
    r.status.sub_code = std::string(saml::status_code::kNoPassive);
    auto doc = test::signedResponseDoc(r, {});
    return saml::serialize(doc.get());
  };
  std::string request_id;
  const EntLeg leg = f.readEntRedirect(f.get(
      f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "https://edition-a.test/p", request_id, ask) +
      "&ent=ENTTEST1"));
  REQUIRE(leg.request.is_passive);

  SECTION("answering our request: NoPassive to the publisher, no page") {
    const Response answer = f.postToAcs(noPassiveXml(leg.request_id), leg.relay_state);
    CHECK(answer.status == 200);
    CHECK(formAction(answer.body) == kPubAAcs);
    CHECK(hiddenField(answer.body, "RelayState") == "https://edition-a.test/p");
    CHECK(answer.body.find("Accès impossible") == std::string::npos);
    const saml::Response told = postedResponse(answer);
    CHECK(told.in_response_to == request_id);
    CHECK(told.status.code == saml::status_code::kResponder);
    CHECK(told.status.sub_code == saml::status_code::kNoPassive);
    CHECK(f.decisions("refused", "no_passive") == 1);
  }
  SECTION("answering another request: refused, nothing relayed") {
    const Response answer = f.postToAcs(noPassiveXml("_another_request"), leg.relay_state);
    requireRefusalPage(answer, 403, f.lastRequestId());
    CHECK(f.decisions("refused", "no_passive") == 0);
    CHECK(f.decisions("refused", "in_response_to_mismatch") == 1);
  }
  SECTION("to a request that was not passive: the refusal page") {
    std::string id2;
    const EntLeg active = f.readEntRedirect(
        f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id2) + "&ent=ENTTEST1"));
    REQUIRE_FALSE(active.request.is_passive);
    const Response answer = f.postToAcs(noPassiveXml(active.request_id), active.relay_state);
    requireRefusalPage(answer, 403, f.lastRequestId());
    CHECK(f.decisions("refused", "no_passive") == 1);  // counted, but shown as a page
  }
}

// Finding: a publisher's AuthnRequest could be used again while fresh (a captured URL, a
// resubmitted form). Each is now taken once per publisher; the replay gets the page only.
TEST_CASE("A publisher's AuthnRequest is taken once", "[broker][flows][review]") {
  Flows f;
  std::string id;
  const std::string target =
      f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id) + "&ent=ENTTEST1";
  f.readEntRedirect(f.get(target));
  const Response again = f.get(target);
  requireRefusalPage(again, 403, f.lastRequestId());
  CHECK(f.decisions("refused", "replayed_request") == 1);

  SECTION("the same ID from another publisher is that publisher's own") {
    AskOptions ask;
    ask.id = id;
    std::string id_b;
    f.readEntRedirect(
        f.get(f.publisherAuthnRequest(kPubBEntity, kPubBAcs, "", id_b, ask) + "&ent=ENTTEST1"));
    CHECK(id_b == id);
  }
  SECTION("long IDs are told apart by their digest, and remembered; longer ones refused") {
    AskOptions ask;
    ask.id = "_" + std::string(254, 'a') + "1";  // 256 characters, the longest accepted
    std::string long_id;
    const std::string long_target =
        f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", long_id, ask) + "&ent=ENTTEST1";
    f.readEntRedirect(f.get(long_target));
    ask.id.back() = '2';  // differs in its last character only
    f.readEntRedirect(
        f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", long_id, ask) + "&ent=ENTTEST1"));
    requireRefusalPage(f.get(long_target), 403, f.lastRequestId());
    CHECK(f.decisions("refused", "replayed_request") == 2);
    ask.id += "x";  // 257
    requireRefusalPage(f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", long_id, ask)), 400,
                       f.lastRequestId());
    CHECK(f.decisions("refused", "malformed_message") == 1);
  }
  SECTION("a new request of the same publisher goes through") {
    std::string id2;
    f.readEntRedirect(
        f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id2) + "&ent=ENTTEST1"));
    CHECK(id2 != id);
  }
  SECTION("once stale, the request is refused as stale, not remembered for ever") {
    f.clock().t += 3600;  // past the freshness window (5 min) and the clock skew
    const Response stale = f.get(target);
    requireRefusalPage(stale, 403, f.lastRequestId());
    CHECK(f.decisions("refused", "replayed_request") == 1);
    CHECK(f.decisions("refused", "expired") == 1);
  }
}

// The AuthnRequest replay cache is filled by requests nobody authenticated (a publisher that does
// not sign them), so when it is full it lets new requests through rather than locking every
// publisher out; IDs it holds are still refused.
TEST_CASE("A full AuthnRequest replay cache fails open for new requests only",
          "[broker][flows][review]") {
  Flows f({}, 1000);
  std::string first_id;
  const std::string first = f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", first_id);
  REQUIRE(f.get(first).status == 303);  // to the discovery page
  for (int i = 1; i < 1000; ++i) {
    std::string id;
    REQUIRE(f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id)).status == 303);
  }
  CHECK(f.decisions("refused", "replayed_request") == 0);
  std::string id;
  CHECK(f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", id)).status == 303);  // full
  requireRefusalPage(f.get(first), 403, f.lastRequestId());  // still remembered
  CHECK(f.decisions("refused", "replayed_request") == 1);
}

// Finding (CSRF): POST /discovery with remember=1 sets the 90-day ENT choice. Any site could post
// it (a discovery token is one unsigned AuthnRequest away) and pin the browser to another ENT.
// A cross-site POST (Sec-Fetch-Site: cross-site) is refused; the form posts to itself.
TEST_CASE("The ENT choice cannot be posted from another site", "[broker][flows][review]") {
  Flows f;
  std::string request_id;
  const Response sso = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "", request_id));
  REQUIRE(sso.status == 303);
  const Response page = f.get(*sso.header("Location"));
  const std::string token = hiddenField(page.body, "t");
  REQUIRE_FALSE(token.empty());

  Request forged;
  forged.method = "POST";
  forged.target = forged.path = "/discovery";
  forged.form = {{"t", token}, {"ent", "ENTTEST2"}, {"remember", "1"}};
  forged.headers.emplace("content-type", "application/x-www-form-urlencoded");
  forged.headers.emplace("sec-fetch-site", "cross-site");
  const Response refused = f.send(forged);
  requireRefusalPage(refused, 400, f.lastRequestId());
  CHECK(f.decisions("refused", "cross_site_post") == 1);
  CHECK(f.jar().count("garde_ent") == 0);

  SECTION("the page's own form still works") {
    Request own = forged;
    own.headers = {{"content-type", "application/x-www-form-urlencoded"},
                   {"sec-fetch-site", "same-origin"}};
    f.readEntRedirect(f.send(own), kEnt2Sso);
    CHECK(f.jar().count("garde_ent") == 1);
  }
}
