// What stock SAML deployments need from garde (docs/interop.md): an ENT that says who the user is
// in an attribute, a publisher's NameIDPolicy honoured, and a request signed with a refused
// algorithm answered with the reason. Each test mounts only the handlers it exercises.

#include "store/demo_data.h"
#include "store/directory.h"
#include "support/flows_world.h"
#include "support/log_capture.h"

namespace {

/// Registers the demo ENT as a stock IdP on its defaults is: the identifier in `uid`.
void entSaysUid(store::Db& db) {
  auto ent = store::findEnt(db, store::demo::kEnt);
  REQUIRE(ent.has_value());
  ent->identifier_source = "attribute";
  ent->identifier_name = "uid";
  REQUIRE(store::upsertEnt(db, *ent, test::kNow).has_value());
}

saml::NameIDPolicy policyFor(std::string_view format) {
  saml::NameIDPolicy p;
  p.format = std::string(format);
  p.allow_create = true;
  return p;
}

}  // namespace

TEST_CASE("An ENT on its defaults (transient NameID) is read where its registration says",
          "[broker][flows][acs][interop]") {
  EntAnswer o;
  o.transient_name_id = true;
  SECTION("registered with the uid attribute: the launch goes through") {
    Flows f({}, 1'000'000, {FlowRoute::kLaunch, FlowRoute::kAcs}, {}, entSaysUid);
    const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
    const EntLeg leg = f.readEntRedirect(tile);
    // An attribute source asks for no NameID format.
    REQUIRE(leg.request.name_id_policy.has_value());
    CHECK(leg.request.name_id_policy->format.empty());
    const Received got = f.publisherReceives(
        f.postToAcs(f.entResponseXml(leg, store::demo::kPupil, o), leg.relay_state), kPubBEntity,
        kPubBAcs, std::nullopt);
    CHECK(names(got.attributes) == std::set<std::string>{"IDO", "PRO"});
  }
  SECTION(
      "registered with the NameID (the default): unknown_user, and the log says which source "
      "and which format, never the value") {
    test::LogCapture log;
    Flows f({}, 1'000'000, {FlowRoute::kLaunch, FlowRoute::kAcs});
    const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
    const EntLeg leg = f.readEntRedirect(tile);
    // The default registration asks for a persistent NameID; this IdP ignores it.
    CHECK(leg.request.name_id_policy->format == saml::name_id_format::kPersistent);
    const Response r = f.postToAcs(f.entResponseXml(leg, store::demo::kPupil, o), leg.relay_state);
    requireRefusalPage(r, 403, f.lastRequestId());
    CHECK(f.decisions("refused", "unknown_user") == 1);
    CHECK(log.has({"refused", "unknown_user",
                   "NameID (format urn:oasis:names:tc:SAML:2.0:"
                   "nameid-format:persistent)",
                   "nameid-format:transient"}));
    CHECK_FALSE(log.has({store::demo::kPupil}));
  }
  SECTION(
      "registered with uid, a directory that does not know the value: unknown_user naming "
      "the attribute") {
    test::LogCapture log;
    Flows f({}, 1'000'000, {FlowRoute::kLaunch, FlowRoute::kAcs}, {}, entSaysUid);
    const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
    const Response r = f.entLeg(tile, "elv-9999", o);
    requireRefusalPage(r, 403, f.lastRequestId());
    CHECK(log.has({"refused", "unknown_user", "identifier source: attribute uid"}));
    CHECK_FALSE(log.has({"elv-9999"}));
  }
}

TEST_CASE("The publisher's NameIDPolicy is honoured", "[broker][flows][idp]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kAcs});
  std::string request_id;
  AskOptions ask;
  const auto launch = [&](const AskOptions& a) {
    const std::string target =
        f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "https://edition-a.test/resource",
                                request_id, a) +
        "&ent=ENTTEST1";
    return f.get(target);
  };
  SECTION("transient: a one-time NameID, the pseudonym still in IDO") {
    ask.name_id_policy = policyFor(saml::name_id_format::kTransient);
    const Response answer = f.entLeg(launch(ask), store::demo::kPupil);
    const Received got = f.publisherReceives(answer, kPubAEntity, kPubAAcs, request_id);
    const saml::NameID& id = *got.response.assertion.subject->name_id;
    CHECK(id.format == saml::name_id_format::kTransient);
    REQUIRE(got.attributes.count("IDO") == 1);
    CHECK(id.value != got.attributes.at("IDO").front());
    // A second launch: another NameID, the same IDO.
    const Response second = f.entLeg(launch(ask), store::demo::kPupil);
    const Received again = f.publisherReceives(second, kPubAEntity, kPubAAcs, request_id);
    CHECK(again.response.assertion.subject->name_id->value != id.value);
    CHECK(again.attributes.at("IDO") == got.attributes.at("IDO"));
  }
  SECTION("persistent, unspecified or none: the pseudonym") {
    for (const std::optional<saml::NameIDPolicy>& policy :
         {std::optional<saml::NameIDPolicy>{}, std::optional(policyFor({})),
          std::optional(policyFor(saml::name_id_format::kUnspecified)),
          std::optional(policyFor(saml::name_id_format::kPersistent))}) {
      ask.name_id_policy = policy;
      const Response answer = f.entLeg(launch(ask), store::demo::kPupil);
      const Received got = f.publisherReceives(answer, kPubAEntity, kPubAAcs, request_id);
      const saml::NameID& id = *got.response.assertion.subject->name_id;
      CHECK(id.format == saml::name_id_format::kPersistent);
      CHECK(id.value == got.attributes.at("IDO").front());
    }
  }
  SECTION("a format garde cannot give: InvalidNameIDPolicy at once, no ENT leg") {
    ask.name_id_policy = policyFor("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
    const Response r = launch(ask);
    CHECK(formAction(r.body) == kPubAAcs);
    const saml::Response told = postedResponse(r);
    CHECK(told.in_response_to == request_id);
    CHECK(told.status.code == saml::status_code::kRequester);
    CHECK(told.status.sub_code == saml::status_code::kInvalidNameIdPolicy);
    CHECK(f.decisions("refused", "invalid_name_id_policy") == 1);
  }
}

TEST_CASE("A request signed with a refused algorithm is answered with the reason",
          "[broker][flows][idp][security]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kReturn});
  std::string request_id;
  const std::string unsigned_target =
      f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "https://edition-a.test/resource", request_id);
  const auto withSigAlg = [&](const std::string& target, std::string_view alg) {
    return target + "&SigAlg=" + core::urlEncode(alg, true) +
           "&Signature=" + core::urlEncode(core::base64Encode(std::string(256, 'x')), true);
  };
  SECTION(
      "RSA-SHA1 over Redirect: the page names it and its replacement, in French and English; "
      "its button returns Requester/RequestUnsupported to the publisher's ACS") {
    const Response page =
        f.get(withSigAlg(unsigned_target, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"));
    CHECK(page.status == 403);
    CHECK(page.body.find("lang=\"fr\"") != std::string::npos);
    CHECK(page.body.find("lang=\"en\"") != std::string::npos);
    CHECK(page.body.find("http://www.w3.org/2000/09/xmldsig#rsa-sha1") != std::string::npos);
    CHECK(page.body.find("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256") != std::string::npos);
    CHECK(page.body.find("Configurez à la place") != std::string::npos);
    CHECK(f.decisions("refused", "algorithm_forbidden") == 1);
    const std::string t = hiddenField(page.body, "t");
    REQUIRE_FALSE(t.empty());
    const Response back = f.post("/saml/idp/return", {{"t", t}});
    CHECK(formAction(back.body) == kPubAAcs);
    CHECK(hiddenField(back.body, "RelayState") == "https://edition-a.test/resource");
    const saml::Response told = postedResponse(back);
    CHECK(told.in_response_to == request_id);
    CHECK(told.status.code == saml::status_code::kRequester);
    CHECK(told.status.sub_code == saml::status_code::kRequestUnsupported);
    CHECK(told.status.message.find("rsa-sha1") != std::string::npos);
  }
  SECTION("XML-signed over POST with SHA-1 (signature or digest): the same page and way back") {
    saml::AuthnRequest ar;
    ar.id = "_post-sha1-request";
    ar.issue_instant = f.clock().t;
    ar.destination = std::string(kBase) + "/saml/idp/sso";
    ar.issuer = kPubAEntity;
    ar.assertion_consumer_service_url = kPubAAcs;
    ar.protocol_binding = std::string(saml::binding::kHttpPost);
    auto doc = saml::buildAuthnRequest(ar);
    REQUIRE(doc.has_value());
    const std::string xml = saml::serialize(doc->get(), false);
    for (const auto& [signature_method, digest_method] :
         {std::pair{"http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                    "http://www.w3.org/2001/04/xmlenc#sha256"},
          std::pair{"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                    "http://www.w3.org/2000/09/xmldsig#sha1"}}) {
      // An enveloped signature of the SAML profile, with the algorithm a stock SP on old defaults
      // uses (the value is never checked: the algorithm is refused first).
      const std::string signature =
          std::string(
              "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
              "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/"
              "xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"") +
          signature_method + "\"/><ds:Reference URI=\"#" + ar.id +
          "\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/"
          "xmldsig#enveloped-signature\"/><ds:Transform Algorithm=\"http://www.w3.org/2001/10/"
          "xml-exc-c14n#\"/></ds:Transforms><ds:DigestMethod Algorithm=\"" +
          digest_method +
          "\"/><ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue></ds:Reference>"
          "</ds:SignedInfo><ds:SignatureValue>" +
          core::base64Encode(std::string(256, 'x')) + "</ds:SignatureValue></ds:Signature>";
      std::string signed_xml = xml;
      const std::size_t issuer_end = signed_xml.find("</saml:Issuer>");
      REQUIRE(issuer_end != std::string::npos);
      signed_xml.insert(issuer_end + std::string("</saml:Issuer>").size(), signature);
      const double before = f.decisions("refused", "algorithm_forbidden");
      const Response page =
          f.post("/saml/idp/sso", {{"SAMLRequest", core::base64Encode(signed_xml)},
                                   {"RelayState", "https://edition-a.test/resource"}});
      CHECK(page.status == 403);
      CHECK(f.decisions("refused", "algorithm_forbidden") == before + 1);
      CHECK(page.body.find("sha1") != std::string::npos);
      const std::string t = hiddenField(page.body, "t");
      REQUIRE_FALSE(t.empty());
      const saml::Response told = postedResponse(f.post("/saml/idp/return", {{"t", t}}));
      CHECK(told.in_response_to == ar.id);
      CHECK(told.status.code == saml::status_code::kRequester);
      CHECK(told.status.sub_code == saml::status_code::kRequestUnsupported);
    }
  }
  SECTION("an issuer we do not know gets the page only: nowhere safe to answer") {
    std::string other_id;
    const std::string target = f.publisherAuthnRequest("https://unknown.example/sp",
                                                       "https://unknown.example/acs", "", other_id);
    const Response page = f.get(withSigAlg(target, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"));
    CHECK(page.status >= 400);
    CHECK(hiddenField(page.body, "t").empty());
  }
  SECTION("an ACS that is not in the publisher's metadata gets the page only") {
    std::string other_id;
    const std::string target =
        f.publisherAuthnRequest(kPubAEntity, "https://evil.example/acs", "", other_id);
    const Response page = f.get(withSigAlg(target, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"));
    CHECK(page.status == 403);
    CHECK(hiddenField(page.body, "t").empty());
  }
  SECTION("an allowed algorithm with a bad signature is no algorithm refusal") {
    const Response page =
        f.get(withSigAlg(unsigned_target, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"));
    CHECK(page.status == 403);
    CHECK(hiddenField(page.body, "t").empty());
    CHECK(f.decisions("refused", "algorithm_forbidden") == 0);
  }
}
