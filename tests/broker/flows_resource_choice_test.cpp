// A publisher-initiated access whose RelayState names none of the publisher's resources (an opaque
// handle, Shibboleth SP's default): the resource is resolved from the person's entitlements after
// the ENT leg (docs/flows.md, "Which resource"). Publisher A has two resources in the demo: the
// manual A (pupils of 3A and the teacher ens-0001) and the exercise book A2 (pupils of 3A only).

#include "store/demo_data.h"
#include "support/flows_world.h"

namespace {

constexpr const char* kOpaque = "ss:mem:5f0c2e9b1d7a";

/// A's request with the opaque RelayState, to the demo ENT, through its ENT leg for `person`.
Response askAsA(Flows& f, const std::string& person, std::string& request_id,
                const AskOptions& ask = {}) {
  const Response sso = f.get(
      f.publisherAuthnRequest(kPubAEntity, kPubAAcs, kOpaque, request_id, ask) + "&ent=ENTTEST1");
  REQUIRE(sso.status == 302);
  return f.entLeg(sso, person);
}

/// The resource values offered on a choice page.
std::set<std::string> offered(const std::string& html) {
  std::set<std::string> out;
  const std::string marker = "name=\"resource\" value=\"";
  for (std::size_t at = html.find(marker); at != std::string::npos;
       at = html.find(marker, at + 1)) {
    const std::size_t from = at + marker.size();
    out.insert(html.substr(from, html.find('"', from) - from));
  }
  return out;
}

/// The `t` of the form that posts to `action` (a page may carry several forms).
std::string tokenOfForm(const std::string& html, const std::string& action) {
  const std::size_t form = html.find("action=\"" + action + "\"");
  REQUIRE(form != std::string::npos);
  return hiddenField(html.substr(form), "t");
}

}  // namespace

TEST_CASE("An opaque RelayState and several entitled resources: the person chooses",
          "[broker][flows][choice]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kAcs, FlowRoute::kReturn});
  std::string request_id;
  const Response page = askAsA(f, store::demo::kPupil, request_id);
  REQUIRE(page.status == 200);
  CHECK(page.body.find("Choisissez la ressource") != std::string::npos);
  CHECK(page.body.find("Éditions Démo A") != std::string::npos);
  CHECK(offered(page.body) ==
        std::set<std::string>{store::demo::kResourceA, store::demo::kResourceA2});
  CHECK(page.header("Content-Security-Policy")->find("default-src 'none'") != std::string::npos);
  CHECK(*page.header("Cache-Control") == "no-store");
  // The page carries no personal data in clear (the token is sealed).
  CHECK(page.body.find(store::demo::kPupil) == std::string::npos);
  CHECK(f.auditRows().empty());  // nothing decided yet
  const std::string t = tokenOfForm(page.body, "/saml/idp/choose");

  SECTION("the chosen resource is released, with its contract's attributes and the RelayState") {
    const Response chosen =
        f.post("/saml/idp/choose", {{"t", t}, {"resource", store::demo::kResourceA2}});
    const Received got = f.publisherReceives(chosen, kPubAEntity, kPubAAcs, request_id);
    CHECK(names(got.attributes) == std::set<std::string>{"IDO", "PRO", "UAI", "NOM", "PRE"});
    CHECK(got.attributes.at("NOM") == std::vector<std::string>{"Martin"});
    CHECK(got.relay_state == kOpaque);
    const auto rows = f.auditRows();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].resource_id == store::demo::kResourceA2);
    CHECK(rows[0].outcome == "released");
    CHECK(f.decisions("released", "ok") == 1);

    // The same choice posted again releases nothing more.
    const Response again =
        f.post("/saml/idp/choose", {{"t", t}, {"resource", store::demo::kResourceA}});
    requireRefusalPage(again, 403, f.lastRequestId());
    CHECK(f.decisions("refused", "replayed_choice") == 1);
    CHECK(f.auditRows().size() == 1);
  }
  SECTION("the other one too, with the manual's contract") {
    const Received got = f.publisherReceives(
        f.post("/saml/idp/choose", {{"t", t}, {"resource", store::demo::kResourceA}}), kPubAEntity,
        kPubAAcs, request_id);
    CHECK(names(got.attributes) == std::set<std::string>{"IDO", "PRO", "UAI", "DIV"});
  }
  SECTION("a resource of another publisher is refused, nothing released") {
    requireRefusalPage(
        f.post("/saml/idp/choose", {{"t", t}, {"resource", store::demo::kResourceB}}), 404,
        f.lastRequestId());
    CHECK(f.decisions("refused", "unknown_resource") == 1);
    CHECK(f.decisions("released", "ok") == 0);
  }
  SECTION("a resource that does not exist is refused") {
    requireRefusalPage(f.post("/saml/idp/choose", {{"t", t}, {"resource", "ark:/49591/nope"}}), 404,
                       f.lastRequestId());
    CHECK(f.decisions("released", "ok") == 0);
  }
  SECTION("another browser cannot choose") {
    f.jar().erase("garde_bind");
    requireRefusalPage(
        f.post("/saml/idp/choose", {{"t", t}, {"resource", store::demo::kResourceA2}}), 400,
        f.lastRequestId());
    CHECK(f.decisions("refused", "browser_mismatch") == 1);
  }
  SECTION("a post from another site is refused") {
    Request req;
    req.method = "POST";
    req.target = "/saml/idp/choose";
    req.path = "/saml/idp/choose";
    req.form = {{"t", t}, {"resource", store::demo::kResourceA2}};
    req.headers.emplace("sec-fetch-site", "cross-site");
    requireRefusalPage(f.send(req), 400, f.lastRequestId());
    CHECK(f.decisions("refused", "cross_site_post") == 1);
  }
  SECTION("a tampered or expired token is refused") {
    std::string bad = t;
    bad[bad.size() / 2] = bad[bad.size() / 2] == 'A' ? 'B' : 'A';
    requireRefusalPage(
        f.post("/saml/idp/choose", {{"t", bad}, {"resource", store::demo::kResourceA2}}), 400,
        f.lastRequestId());
    f.clock().t += 3600;
    requireRefusalPage(
        f.post("/saml/idp/choose", {{"t", t}, {"resource", store::demo::kResourceA2}}), 403,
        f.lastRequestId());
    CHECK(f.decisions("refused", "expired_transaction") == 1);
    CHECK(f.decisions("released", "ok") == 0);
  }
  SECTION("without a resource: a clean refusal") {
    requireRefusalPage(f.post("/saml/idp/choose", {{"t", t}}), 400, f.lastRequestId());
  }
  SECTION("cancelling returns RequestDenied to the publisher") {
    const Response back =
        f.post("/saml/idp/return", {{"t", tokenOfForm(page.body, "/saml/idp/return")}});
    CHECK(formAction(back.body) == kPubAAcs);
    const saml::Response told = postedResponse(back);
    CHECK(told.in_response_to == request_id);
    CHECK(told.status.code == saml::status_code::kResponder);
    CHECK(told.status.sub_code == saml::status_code::kRequestDenied);
  }
}

TEST_CASE("An opaque RelayState and one entitled resource: that one, without a page",
          "[broker][flows][choice]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kAcs});
  std::string request_id;
  // The exercise book is for pupils: the teacher is entitled to the manual only.
  const Response answer = askAsA(f, store::demo::kTeacher, request_id);
  const Received got = f.publisherReceives(answer, kPubAEntity, kPubAAcs, request_id);
  CHECK(names(got.attributes) == std::set<std::string>{"IDO", "PRO", "UAI", "NOM", "PRE", "P_MEL"});
  CHECK(got.relay_state == kOpaque);
  const auto rows = f.auditRows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].resource_id == store::demo::kResourceA);
}

TEST_CASE("An opaque RelayState and no entitled resource: a refusal, nothing released",
          "[broker][flows][choice][refusal]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kAcs});
  std::string request_id;
  const Response r = askAsA(f, store::demo::kUnassignedPupil, request_id);
  requireRefusalPage(r, 403, f.lastRequestId());
  CHECK(r.body.find("/saml/idp/return") != std::string::npos);  // the way back is offered
  CHECK(f.decisions("refused", "no_entitled_resource") == 1);
  CHECK(f.decisions("released", "ok") == 0);
}

TEST_CASE("An opaque RelayState with IsPassive and several resources gets NoPassive, no page",
          "[broker][flows][choice][passive]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kAcs});
  AskOptions ask;
  ask.is_passive = true;
  std::string request_id;
  const Response r = askAsA(f, store::demo::kPupil, request_id, ask);
  CHECK(formAction(r.body) == kPubAAcs);
  const saml::Response told = postedResponse(r);
  CHECK(told.in_response_to == request_id);
  CHECK(told.status.sub_code == saml::status_code::kNoPassive);
}

TEST_CASE("A RelayState naming a resource's URL, or a launch cookie, needs no choice",
          "[broker][flows][choice]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kAcs});
  std::string request_id;
  const Response sso =
      f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, std::string(kPubABase) + "/cahier",
                                    request_id) +
            "&ent=ENTTEST1");
  const Received got =
      f.publisherReceives(f.entLeg(sso, store::demo::kPupil), kPubAEntity, kPubAAcs, request_id);
  CHECK(names(got.attributes) == std::set<std::string>{"IDO", "PRO", "UAI", "NOM", "PRE"});
  CHECK(f.auditRows().at(0).resource_id == store::demo::kResourceA2);
}
