// Which ENT and establishment a publisher-initiated SSO goes to, and who may choose them: the
// launch cookie speaks only for its own resource's publisher, and the ENT choice cannot be posted
// from another site. Security review findings (docs/security.md), written failing first, then
// fixed in broker/flows/. Each test mounts only the handlers it exercises (support/flows_world.h).

#include "support/flows_world.h"

// Finding (token confusion): the launch cookie minted by a tile of publisher B's resource named the
// ENT and the establishment of any other publisher's SSO for ten minutes, skipping the ENT choice.
// A cross-site page can mint it (GET /launch?ent=&uai= is a plain navigation), then send the
// browser to another publisher: the broker proxied that publisher's request with the planted ENT
// and establishment. The cookie now speaks only for its own resource's publisher.
TEST_CASE("A launch cookie minted for another publisher's resource does not steer this SSO",
          "[broker][flows][review]") {
  Flows f({}, 1'000'000, {FlowRoute::kLaunch, FlowRoute::kIdpSso});
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

// Finding (CSRF): POST /discovery with remember=1 sets the 90-day ENT choice. Any site could post
// it (a discovery token is one unsigned AuthnRequest away) and pin the browser to another ENT.
// A cross-site POST (Sec-Fetch-Site: cross-site) is refused; the form posts to itself.
TEST_CASE("The ENT choice cannot be posted from another site", "[broker][flows][review]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kDiscovery});
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
