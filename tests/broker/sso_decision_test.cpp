// decideSsoRoute (broker/flows/sso_decision.h) on its own: which ENT a verified publisher
// AuthnRequest goes to, from plain inputs (no Request, no database, no services).

#include "broker/flows/sso_decision.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using garde::broker::flows::decideSsoRoute;
using garde::broker::flows::LaunchState;
using garde::broker::flows::SsoRoute;
using garde::broker::flows::SsoRouteInputs;
using Next = SsoRoute::Next;

namespace {

const std::vector<std::string> kTwoEnts = {"ENTTEST1", "ENTTEST2"};
const std::vector<std::string> kOneEnt = {"ENTTEST1"};

LaunchState launchCookie(std::string ent, std::string uai) {
  LaunchState l;
  l.ent_id = std::move(ent);
  l.uai = std::move(uai);
  l.resource_id = "ark:/49591/demo.manuel.a";
  return l;
}

}  // namespace

TEST_CASE("The launch cookie names the ENT and the establishment, before any hint",
          "[broker][flows][sso][decision]") {
  SsoRouteInputs in;
  in.known_ents = kTwoEnts;
  in.launch = launchCookie("ENTTEST2", "0999999Z");
  in.hint = "ENTTEST1";
  in.remembered = "ENTTEST1";
  const SsoRoute r = decideSsoRoute(in);
  CHECK(r.next == Next::kEntLeg);
  CHECK(r.ent_id == "ENTTEST2");
  CHECK(r.uai == "0999999Z");
  CHECK_FALSE(r.error.has_value());
}

TEST_CASE("A launch cookie naming an unknown ENT is refused as unknown_ent",
          "[broker][flows][sso][decision]") {
  SsoRouteInputs in;
  in.known_ents = kOneEnt;  // even with one ENT: the cookie said another
  in.launch = launchCookie("GONE", "0561534N");
  const SsoRoute r = decideSsoRoute(in);
  CHECK(r.next == Next::kRefuse);
  REQUIRE(r.error.has_value());
  CHECK(r.error->code == garde::core::ErrorCode::kUnknownPeer);
  CHECK(r.reason == "unknown_ent");
}

TEST_CASE("Without a launch cookie: the hint, else the remembered choice, with an empty UAI",
          "[broker][flows][sso][decision]") {
  SsoRouteInputs in;
  in.known_ents = kTwoEnts;
  SECTION("the hint wins over the remembered choice") {
    in.hint = "ENTTEST2";
    in.remembered = "ENTTEST1";
    const SsoRoute r = decideSsoRoute(in);
    CHECK(r.next == Next::kEntLeg);
    CHECK(r.ent_id == "ENTTEST2");
    CHECK(r.uai.empty());
  }
  SECTION("the remembered choice") {
    in.remembered = "ENTTEST1";
    const SsoRoute r = decideSsoRoute(in);
    CHECK(r.next == Next::kEntLeg);
    CHECK(r.ent_id == "ENTTEST1");
  }
  SECTION("a stale hint or remembered choice is dropped: ask again") {
    in.hint = "GONE";
    CHECK(decideSsoRoute(in).next == Next::kDiscovery);
    in.hint.reset();
    in.remembered = "GONE";
    CHECK(decideSsoRoute(in).next == Next::kDiscovery);
  }
}

TEST_CASE("Without any ENT named: the only ENT, else NoPassive when passive, else discovery",
          "[broker][flows][sso][decision]") {
  SsoRouteInputs in;
  SECTION("one ENT in the registry") {
    in.known_ents = kOneEnt;
    in.is_passive = true;
    const SsoRoute r = decideSsoRoute(in);
    CHECK(r.next == Next::kEntLeg);
    CHECK(r.ent_id == "ENTTEST1");
  }
  SECTION("several, passive: NoPassive, never the discovery page") {
    in.known_ents = kTwoEnts;
    in.is_passive = true;
    const SsoRoute r = decideSsoRoute(in);
    CHECK(r.next == Next::kNoPassive);
    CHECK_FALSE(r.why.empty());
  }
  SECTION("several, not passive: the discovery page") {
    in.known_ents = kTwoEnts;
    CHECK(decideSsoRoute(in).next == Next::kDiscovery);
  }
  SECTION("a stale hint with one ENT falls back to it") {
    in.known_ents = kOneEnt;
    in.hint = "GONE";
    const SsoRoute r = decideSsoRoute(in);
    CHECK(r.next == Next::kEntLeg);
    CHECK(r.ent_id == "ENTTEST1");
  }
}
