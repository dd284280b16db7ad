// Algorithm exceptions (docs/algorithm-exceptions.md): a publisher granted rsa-sha1 has its
// RSA-SHA1 Redirect AuthnRequests accepted, each use logged and counted; once the exception
// expires, or without one, the same request is refused; a bad signature is refused whatever the
// exception; garde itself never signs with SHA-1.

#include <openssl/evp.h>

#include "core/encoding.h"
#include "saml/binding/redirect.h"
#include "saml/signature.h"
#include "store/algorithm_exceptions.h"
#include "store/publishers.h"
#include "support/credentials.h"
#include "support/flows_world.h"
#include "support/log_capture.h"

namespace {

constexpr const char* kRsaSha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

/// RSA-SHA1 over the Redirect binding's signed bytes, as pysaml2 signs by default.
std::string sha1Signed(const std::string& target, const saml::PrivateKey& key) {
  const std::size_t q = target.find('?');
  REQUIRE(q != std::string::npos);
  const std::string signed_part = target.substr(q + 1) + "&SigAlg=" + core::urlEncode(kRsaSha1);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  REQUIRE(ctx != nullptr);
  std::size_t len = 0;
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha1(), nullptr, key.get()) == 1);
  REQUIRE(EVP_DigestSign(ctx, nullptr, &len,
                         reinterpret_cast<const unsigned char*>(signed_part.data()),
                         signed_part.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(signed_part.data()),
                         signed_part.size()) == 1);
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return target.substr(0, q + 1) + signed_part +
         "&Signature=" + core::urlEncode(core::base64Encode(sig));
}

/// Publisher A with a signing key, and (when `until` is set) an rsa-sha1 exception until then.
std::function<void(store::Db&)> seedPublisherA(std::optional<core::UnixTime> until) {
  return [until](store::Db& db) {
    auto a = store::findPublisher(db, store::demo::kPublisherA);
    REQUIRE(a.has_value());
    a->sp_metadata_xml = test::spMetadataXml(kPubAEntity, kPubAAcs, &test::testSpCredential());
    REQUIRE(store::upsertPublisher(db, *a).has_value());
    if (until) {
      REQUIRE(store::grantAlgorithmException(
                  db, {store::CallerKind::kPublisher, store::demo::kPublisherA, "rsa-sha1",
                       "pysaml2 7.0 signs with SHA-1 on its defaults; fix planned for March", *until,
                       "ops@ministere", *until - 30 * 86400})
                  .has_value());
    }
  };
}

std::string target(Flows& f) {
  std::string id;
  return f.publisherAuthnRequest(kPubAEntity, kPubAAcs, "https://edition-a.test/resource", id);
}

double exceptionUses(Flows& f) {
  const std::string text = f.services().metrics.exposition();
  const std::string series = "garde_algorithm_exception_uses_total{algorithm=\"rsa-sha1\"} ";
  const std::size_t at = text.find(series);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size()));
}

}  // namespace

TEST_CASE("A granted rsa-sha1 exception lets that publisher's SHA-1 requests in, logged at each use",
          "[broker][flows][idp][security][exceptions]") {
  const core::UnixTime now = FixedClock().t;
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kReturn}, {},
          seedPublisherA(now + 86400));
  test::LogCapture log;
  const Response accepted = f.get(sha1Signed(target(f), test::testSpCredential().key));
  CHECK(accepted.status == 303);  // on to the discovery page (the demo world has two ENTs)
  REQUIRE(accepted.header("Location") != nullptr);
  CHECK(accepted.header("Location")->find("/discovery") != std::string::npos);
  CHECK(f.decisions("refused", "algorithm_forbidden") == 0);
  CHECK(log.has({"algorithm exception used", "rsa-sha1", store::demo::kPublisherA}));
  CHECK(exceptionUses(f) == 1);
  CHECK(f.get(sha1Signed(target(f), test::testSpCredential().key)).status == 303);
  CHECK(exceptionUses(f) == 2);

  SECTION("a SHA-1 signature by another key is still refused") {
    const Response refused = f.get(sha1Signed(target(f), test::attackerCredential().key));
    CHECK(refused.status >= 400);
    CHECK(exceptionUses(f) == 2);
  }
  SECTION("after its expiry the same request is refused, and the log says why") {
    f.clock().t += 86400;
    const Response refused = f.get(sha1Signed(target(f), test::testSpCredential().key));
    CHECK(refused.status == 403);
    CHECK(f.decisions("refused", "algorithm_forbidden") == 1);
    CHECK(log.has({"algorithm exception expired", "rsa-sha1", store::demo::kPublisherA}));
    CHECK(exceptionUses(f) == 2);
  }
}

TEST_CASE("Without an exception an RSA-SHA1 request is refused, signature good or not",
          "[broker][flows][idp][security][exceptions]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso, FlowRoute::kReturn}, {}, seedPublisherA({}));
  const Response refused = f.get(sha1Signed(target(f), test::testSpCredential().key));
  CHECK(refused.status == 403);
  CHECK(f.decisions("refused", "algorithm_forbidden") == 1);
  CHECK(exceptionUses(f) == 0);
}

TEST_CASE("The rsa-sha1 exception covers RSA-SHA1 verification only",
          "[saml][signature][exceptions]") {
  const std::string data = "SAMLRequest=x&SigAlg=y";
  saml::AlgorithmExceptions granted;
  granted.granted = {saml::WeakAlgorithm::kRsaSha1};
  // ECDSA-SHA1, DSA-SHA1 and HMAC-SHA1 stay forbidden whatever is granted.
  for (const char* other : {"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
                            "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
                            "http://www.w3.org/2000/09/xmldsig#hmac-sha1"}) {
    INFO(other);
    CHECK(saml::verifyBytes(data, "sig", other, {test::testSpCredential().cert}, &granted)
              .error()
              .code == core::ErrorCode::kAlgorithmForbidden);
  }
  CHECK(saml::verifyBytes(data, "sig", kRsaSha1, {test::testSpCredential().cert}, &granted)
            .error()
            .code == core::ErrorCode::kSignatureInvalid);
  CHECK(granted.used.empty());
  saml::AlgorithmExceptions none;
  CHECK(saml::verifyBytes(data, "sig", kRsaSha1, {test::testSpCredential().cert}, &none)
            .error()
            .code == core::ErrorCode::kAlgorithmForbidden);
  CHECK(saml::parseWeakAlgorithm("rsa-sha1") == saml::WeakAlgorithm::kRsaSha1);
  CHECK_FALSE(saml::parseWeakAlgorithm("aes-128-cbc"));
  CHECK_FALSE(saml::parseWeakAlgorithm("md5"));
}

TEST_CASE("Algorithm exceptions need a reason and an expiry, and are listed and revoked",
          "[store][exceptions]") {
  Flows f({}, 1'000'000, {FlowRoute::kIdpSso});
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  store::Db& db = lease->db();
  store::AlgorithmException e{store::CallerKind::kPublisher, store::demo::kPublisherA, "rsa-sha1",
                              "", 2'000'000'000, "ops", 1'900'000'000};
  CHECK(store::grantAlgorithmException(db, e).error().code == core::ErrorCode::kBadRequest);
  e.reason = "old SP";
  e.expires_at = e.granted_at;
  CHECK(store::grantAlgorithmException(db, e).error().code == core::ErrorCode::kBadRequest);
  e.expires_at = 2'000'000'000;
  e.algorithm = "md5";
  CHECK_FALSE(store::grantAlgorithmException(db, e).has_value());  // the schema knows the names
  e.algorithm = "rsa-sha1";
  REQUIRE(store::grantAlgorithmException(db, e).has_value());
  e.reason = "renewed";
  REQUIRE(store::grantAlgorithmException(db, e).has_value());
  auto all = store::listAlgorithmExceptions(db);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 1);
  CHECK(all->front().reason == "renewed");
  CHECK(store::listAlgorithmExceptions(db, store::CallerKind::kEnt).value().empty());
  REQUIRE(store::revokeAlgorithmException(db, store::CallerKind::kPublisher,
                                          store::demo::kPublisherA, "rsa-sha1")
              .has_value());
  CHECK(store::revokeAlgorithmException(db, store::CallerKind::kPublisher,
                                        store::demo::kPublisherA, "rsa-sha1")
            .error()
            .code == core::ErrorCode::kNotFound);
}
