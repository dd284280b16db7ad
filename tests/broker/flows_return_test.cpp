// POST /saml/idp/return with only what its handler uses (flows::ReturnDeps): a sealer, a clock,
// randomness, our IdP face, one publisher and the metrics. No database, no ENT, no other route.

#include "broker/flows/state.h"
#include "support/flows_world.h"

namespace {

namespace flows = garde::broker::flows;

constexpr const char* kPublisherId = "123456789_0000000000000001";

/// The world of the return handler alone.
struct ReturnWorld {
  broker::Metrics metrics;
  FixedClock clock;
  core::TokenSealer sealer{std::string(32, 'k'), 1, core::systemRandom()};
  connectors::publisher::IdpSettings idp;
  flows::Live<connectors::publisher::PublisherRegistry> publishers;
  broker::Router router;

  ReturnWorld() : publishers(connectors::publisher::PublisherRegistry(onePublisher())) {
    idp.entity_id = std::string(kBase) + "/saml/idp/metadata";
    idp.sso_url = std::string(kBase) + "/saml/idp/sso";
    idp.signing = brokerCredential();
    flows::mountReturn(
        router, {.refusals = {.metrics = metrics, .clock = clock, .sealer = sealer, .settings = {}},
                 .answer = {.random = core::systemRandom(), .idp = idp},
                 .clock = clock,
                 .sealer = sealer,
                 .publishers = publishers});
  }

  static std::vector<connectors::publisher::PublisherPeer> onePublisher() {
    return {{kPublisherId, spEntity(kPubAEntity, kPubAAcs), {}}};
  }

  std::string token(const std::string& publisher_id) {
    flows::ReturnState state{publisher_id, "_req-42", kPubAAcs, "https://edition-a.test/r",
                             {},           {},        {}};
    state.saml_sub_status = std::string(saml::status_code::kRequestDenied);
    auto t = flows::sealReturn(sealer, state, clock.t + 600);
    REQUIRE(t.has_value());
    return *t;
  }

  Response post(std::vector<std::pair<std::string, std::string>> form) {
    Request r;
    r.method = "POST";
    r.target = r.path = "/saml/idp/return";
    r.request_id = "corr-return";
    r.is_tls = true;
    for (auto& [k, v] : form) {
      r.form.emplace(k, v);
    }
    return router.dispatch(r);
  }

  double decisions(const std::string& reason) const {
    const std::string text = metrics.exposition();
    const std::string series =
        "garde_decisions_total{outcome=\"refused\",reason=\"" + reason + "\"} ";
    const std::size_t at = text.find(series);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size()));
  }
};

}  // namespace

TEST_CASE("The way back to the publisher posts its signed error Response, built from ReturnDeps",
          "[broker][flows][return]") {
  ReturnWorld w;
  const Response r = w.post({{"t", w.token(kPublisherId)}});
  REQUIRE(r.status == 200);
  CHECK(formAction(r.body) == kPubAAcs);
  CHECK(hiddenField(r.body, "RelayState") == "https://edition-a.test/r");
  auto xml = core::base64Decode(hiddenField(r.body, "SAMLResponse"));
  REQUIRE(xml.has_value());
  auto doc = saml::parseUntrusted(*xml);
  REQUIRE(doc.has_value());
  auto told = saml::parseResponse(xmlDocGetRootElement(doc->get()));
  REQUIRE(told.has_value());
  CHECK(told->in_response_to == "_req-42");
  CHECK(told->status.code == saml::status_code::kResponder);
  CHECK(told->status.sub_code == saml::status_code::kRequestDenied);
}

TEST_CASE("The way back is refused without a token, with a bad one, or to a publisher gone",
          "[broker][flows][return]") {
  ReturnWorld w;
  SECTION("no t") {
    requireRefusalPage(w.post({}), 400, "corr-return");
    CHECK(w.decisions("bad_request") == 1);
  }
  SECTION("a token that does not open") {
    std::string t = w.token(kPublisherId);
    t[t.size() / 2] = t[t.size() / 2] == 'A' ? 'B' : 'A';
    const Response r = w.post({{"t", t}});
    CHECK(r.status >= 400);
    CHECK(r.body.find("SAMLResponse") == std::string::npos);
    CHECK(w.decisions("malformed_message") == 1);  // the token's authentication failed
  }
  SECTION("an expired token") {
    const std::string t = w.token(kPublisherId);
    w.clock.t += 601;
    const Response r = w.post({{"t", t}});
    CHECK(r.status >= 400);
    CHECK(r.body.find("SAMLResponse") == std::string::npos);
    CHECK(w.decisions("expired") == 1);
  }
  SECTION("a publisher no longer in the registry") {
    requireRefusalPage(w.post({{"t", w.token("999999999_0000000000000009")}}), 404, "corr-return");
    CHECK(w.decisions("unknown_peer") == 1);
  }
}
