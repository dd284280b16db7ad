// ForceAuthn and IsPassive, proxied to the ENT and held on its answer: ForceAuthn is enforced on
// the ENT's AuthnInstant, a passive request gets NoPassive instead of a page, and the ENT's
// NoPassive reaches the publisher. Security review findings (docs/security.md), written failing
// first, then fixed in broker/flows/. Each test mounts only the handlers it exercises.

#include "support/flows_world.h"

// Finding: ForceAuthn was proxied to the ENT but never checked on its answer. An ENT that ignores
// it (or reuses its session) made the broker vouch, to a publisher that asked for a fresh login,
// for an authentication of hours ago.
TEST_CASE("ForceAuthn is enforced on the ENT's AuthnInstant", "[broker][flows][review]") {
  Flows f({}, 1'000'000,
          {FlowRoute::kLaunch, FlowRoute::kIdpSso, FlowRoute::kAcs, FlowRoute::kReturn});
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
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso});
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
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kAcs});
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
