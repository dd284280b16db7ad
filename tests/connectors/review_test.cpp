// Security review of the connectors (docs/security.md): one test per finding, written failing
// first, then fixed in connectors/.

#include <catch2/catch.hpp>
#include <string>

#include "connectors/publisher/publisher_side.h"
#include "core/encoding.h"
#include "saml/binding/redirect.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "support/saml_builders.h"

namespace garde::connectors::publisher {
namespace {

using core::ErrorCode;
using test::kNow;

constexpr const char* kBrokerIdp = "https://garde.example.org/idp";
constexpr const char* kSsoUrl = "https://garde.example.org/saml/idp/sso";
constexpr const char* kPubEntity = "https://sp.review.example.com/metadata";
constexpr const char* kPublisherId = "123456789_0000000000000009";

const saml::Credential& publisherSigning() {
  static const saml::Credential cred = test::makeCredential("review publisher sp");
  return cred;
}

/// A publisher whose metadata's only (default) HTTP-POST ACS is `acs`, parsed as the registry
/// parses it.
PublisherPeer peerWithAcs(const std::string& acs, bool authn_requests_signed = false) {
  saml::EntityDescriptor e;
  e.entity_id = kPubEntity;
  saml::SpSsoDescriptor sp;
  sp.authn_requests_signed = authn_requests_signed;
  sp.keys.push_back(saml::KeyDescriptor{saml::KeyUse::kSigning, publisherSigning().cert, {}});
  sp.acs.push_back(saml::Endpoint{std::string(saml::binding::kHttpPost), acs, "", 0, true});
  e.sp = std::move(sp);
  auto doc = saml::generateMetadata(e);
  REQUIRE(doc.has_value());
  saml::MetadataOptions options;
  options.now = kNow;
  auto parsed = saml::parseMetadata(saml::serialize(doc->get()), options);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  return PublisherPeer{kPublisherId, parsed->front()};
}

IdpSettings settings() {
  IdpSettings s;
  s.entity_id = kBrokerIdp;
  s.sso_url = kSsoUrl;
  s.signing = test::testIdpCredential();
  return s;
}

saml::AuthnRequest request(const std::string& acs) {
  saml::AuthnRequest r;
  r.id = test::kRequestId;
  r.issue_instant = kNow;
  r.destination = kSsoUrl;
  r.issuer = kPubEntity;
  r.assertion_consumer_service_url = acs;
  r.protocol_binding = std::string(saml::binding::kHttpPost);
  return r;
}

std::string redirectQuery(const saml::AuthnRequest& r, const saml::Credential* signer = nullptr) {
  auto doc = saml::buildAuthnRequest(r);
  REQUIRE(doc.has_value());
  const saml::SignatureAlgorithm alg = signer != nullptr ? saml::defaultAlgorithm(signer->key)
                                                         : saml::SignatureAlgorithm::kRsaSha256;
  auto url =
      saml::encodeRedirect(saml::serialize(doc->get(), false), kSsoUrl, "rs", true, signer, alg);
  REQUIRE(url.has_value());
  return url->substr(url->find('?') + 1);
}

AssertionContent content() {
  AssertionContent c;
  c.pseudonym = "k1-pseudonym";
  c.attributes.emplace_back("PRO", std::vector<std::string>{"National_elv"});
  return c;
}

}  // namespace

// Finding: an ACS Location is taken from the publisher's metadata as is. A contract whose metadata
// says http:// (or javascript:, data:...) would have the children's attributes posted in clear
// text, or a script URL put in our form's action. Only https:// is acceptable, plus http:// on a
// loopback host (demo and tests).
TEST_CASE("An ACS that is not https is never answered", "[connectors][publisher][review]") {
  const IdpSettings idp = settings();
  core::Random& random = core::systemRandom();
  for (const std::string acs :
       {"http://sp.review.example.com/acs", "javascript:alert(document.domain)//",
        "data:text/html,<script>alert(1)</script>", "HTTP://sp.review.example.com/acs",
        "//sp.review.example.com/acs", "https:/sp.review.example.com/acs",
        "http://127.0.0.1.evil.example/acs", "http://localhost.evil.example/acs"}) {
    INFO(acs);
    const PublisherPeer peer = peerWithAcs(acs);
    const PublisherRegistry registry({peer});
    auto ar = readAuthnRequest("GET", redirectQuery(request(acs)), {}, registry, idp, kNow);
    REQUIRE_FALSE(ar.has_value());
    CHECK(ar.error().code == ErrorCode::kBadRequest);

    auto ok = buildSuccessResponse(peer, acs, std::nullopt, content(), "", idp, random, kNow,
                                   "bm9uY2Vub25jZW5vbmNl");
    REQUIRE_FALSE(ok.has_value());
    CHECK(ok.error().code == ErrorCode::kUnknownPeer);
    saml::Status status;
    status.code = std::string(saml::status_code::kResponder);
    auto err = buildErrorResponse(peer, acs, std::string("_r"), status, "", idp, random, kNow,
                                  "bm9uY2Vub25jZW5vbmNl");
    REQUIRE_FALSE(err.has_value());
    CHECK(err.error().code == ErrorCode::kUnknownPeer);
  }
  SECTION("https, and http on a loopback host, are answered") {
    for (const std::string acs : {"https://sp.review.example.com/acs", "http://127.0.0.1:8080/acs",
                                  "http://localhost:8080/acs", "http://[::1]:8080/acs"}) {
      INFO(acs);
      const PublisherPeer peer = peerWithAcs(acs);
      const PublisherRegistry registry({peer});
      auto ar = readAuthnRequest("GET", redirectQuery(request(acs)), {}, registry, idp, kNow);
      REQUIRE(ar.has_value());
      CHECK(ar->acs_url == acs);
      CHECK(buildSuccessResponse(peer, acs, std::nullopt, content(), "", idp, random, kNow,
                                 "bm9uY2Vub25jZW5vbmNl")
                .has_value());
      CHECK(isAcceptableAcsUrl(acs));
    }
  }
}

// Finding: SAML2 Bindings 3.4.5.2 / 3.5.5.2: a signed message must carry Destination, so that a
// request signed for another IdP (publishers' SPs also talk to the GAR) cannot be replayed at ours.
// The Destination was checked only when present.
TEST_CASE("A signed AuthnRequest without Destination is refused",
          "[connectors][publisher][review]") {
  const IdpSettings idp = settings();
  const std::string acs = "https://sp.review.example.com/acs";
  const PublisherPeer peer = peerWithAcs(acs, /*authn_requests_signed=*/true);
  const PublisherRegistry registry({peer});
  saml::AuthnRequest r = request(acs);
  r.destination.reset();
  auto ar = readAuthnRequest("GET", redirectQuery(r, &publisherSigning()), {}, registry, idp, kNow);
  REQUIRE_FALSE(ar.has_value());
  CHECK(ar.error().code == ErrorCode::kDestinationMismatch);

  // Signed with Destination: accepted (the control).
  CHECK(readAuthnRequest("GET", redirectQuery(request(acs), &publisherSigning()), {}, registry, idp,
                         kNow)
            .has_value());
}

// Finding: refusal details are logged; an ACS URL of a request is attacker-sized (up to the
// inflated message cap, 256 KiB) and was quoted whole into the detail.
TEST_CASE("An unknown ACS URL is quoted bounded in the refusal detail",
          "[connectors][publisher][review]") {
  const IdpSettings idp = settings();
  const std::string acs = "https://sp.review.example.com/acs";
  const PublisherPeer peer = peerWithAcs(acs);
  const PublisherRegistry registry({peer});
  auto ar = readAuthnRequest("GET", redirectQuery(request(acs + std::string(20000, 'x'))), {},
                             registry, idp, kNow);
  REQUIRE_FALSE(ar.has_value());
  CHECK(ar.error().code == ErrorCode::kBadRequest);
  CHECK(ar.error().detail.size() < 1024);
}

}  // namespace garde::connectors::publisher
