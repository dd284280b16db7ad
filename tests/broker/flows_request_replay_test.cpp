// A publisher's AuthnRequest is taken once while it is fresh (the request replay cache), and a
// full cache fails open for new requests only. Security review findings (docs/security.md),
// written failing first, then fixed in broker/flows/. Only the IdP SSO handler is mounted.

#include "support/flows_world.h"

// Finding: a publisher's AuthnRequest could be used again while fresh (a captured URL, a
// resubmitted form). Each is now taken once per publisher; the replay gets the page only.
TEST_CASE("A publisher's AuthnRequest is taken once", "[broker][flows][review]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso});
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
  Flows f({}, 1000, {FlowRoute::kIdpSso});
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
