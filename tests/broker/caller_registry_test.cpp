// Who is calling: the store-backed ClientCertificateRegistry behind the router, over real HTTPS
// with real client certificates. The router refuses before any handler runs; the registry logs
// the fingerprint of each refused certificate; a change made by another connection (as
// `garde publisher add` makes it) is in force for the next request, without a restart.
#include "partner_test_support.h"
#include "support/log_capture.h"

using namespace http_test;
using namespace partner_test;
using garde::broker::Caller;
using garde::store::CallerKind;

namespace {

struct Served {
  World world;
  std::atomic<int> handled{0};
  Router router{garde::broker::CallerAuthenticators{world.registry->registry(), nullptr}};
  std::unique_ptr<Server> server;

  Served() {
    router.get("/whoami", CallerAuth::kClientCertificate, [this](const Request& req) {
      ++handled;
      const char* kind = req.caller->kind == Caller::Kind::kPublisher    ? "publisher"
                         : req.caller->kind == Caller::Kind::kEntProject ? "ent"
                                                                         : "other";
      return Response::text(200, std::string(kind) + " " + req.caller->id);
    });
    server = startServer(World::serverOptions(), [this](Request& r) { return router.dispatch(r); });
  }
  Reply whoami(const CertificatePem* cert) {
    return call(server->port(), cert, bhttp::verb::get, "/whoami");
  }
};

}  // namespace

TEST_CASE("A registered certificate is its caller, with the kind it is registered as",
          "[broker][callers][https]") {
  Served s;
  CHECK(s.whoami(&pki().pub_a).body == std::string("publisher ") + kPubA);
  CHECK(s.whoami(&pki().pub_b).body == std::string("publisher ") + kPubB);
  CHECK(s.whoami(&pki().ent).body == std::string("ent ") + kEnt);
  CHECK(s.handled.load() == 3);
}

TEST_CASE(
    "Unregistered, absent, expired and same-subject certificates are refused before the "
    "handler",
    "[broker][callers][https]") {
  Served s;
  garde::test::LogCapture logs;
  SECTION("the subject of a registered certificate with another key") {
    const Reply r = s.whoami(&pki().pub_a_other_key);
    CHECK(r.status == 403);
    CHECK(logs.has({"fingerprint not registered", fingerprint(pki().pub_a_other_key)}));
    CHECK_FALSE(logs.has({"Publisher A"}));  // the subject is not logged, nor trusted
  }
  SECTION("no certificate") {
    CHECK(s.whoami(nullptr).status == 403);
    CHECK(logs.has({"client_certificate_missing"}));
  }
  SECTION("a registration whose not_after has passed") {
    s.world.clock.t = garde::test::kNow + 366 * 86400;
    CHECK(s.whoami(&pki().pub_a).status == 403);
    CHECK(logs.has({"registration has expired", fingerprint(pki().pub_a)}));
  }
  SECTION("a certificate past its own validity ends the handshake") {
    CHECK(s.whoami(&pki().expired).status == 0);
  }
  CHECK(s.handled.load() == 0);
}

TEST_CASE("Certificates added or removed in the store are in force without a restart",
          "[broker][callers][https]") {
  Served s;
  CHECK(s.whoami(&pki().pub_a_rollover).status == 403);
  auto other = s.world.open();
  registerCert(other, CallerKind::kPublisher, kPubA, pki().pub_a_rollover,
               garde::test::kNow + 86400);
  // Rollover: the old and the new certificate both name publisher A.
  CHECK(s.whoami(&pki().pub_a_rollover).body == std::string("publisher ") + kPubA);
  CHECK(s.whoami(&pki().pub_a).body == std::string("publisher ") + kPubA);
  REQUIRE(garde::store::removeCallerCertificate(other, CallerKind::kPublisher, kPubA,
                                                fingerprint(pki().pub_a))
              .has_value());
  CHECK(s.whoami(&pki().pub_a).status == 403);
  CHECK(s.whoami(&pki().pub_a_rollover).status == 200);
}

TEST_CASE("pemCertificates reads each certificate's fingerprint, subject and validity",
          "[broker][callers]") {
  const auto infos = garde::core::pemCertificates(pki().pub_a.cert + pki().ca.cert);
  REQUIRE(infos.has_value());
  REQUIRE(infos->size() == 2);
  CHECK((*infos)[0].sha256_fingerprint == fingerprint(pki().pub_a));
  CHECK_THAT((*infos)[0].subject, Catch::Contains("CN=Publisher A"));
  const auto now = garde::core::systemNow();
  CHECK((*infos)[0].not_after > now + 364 * 86400);
  CHECK((*infos)[0].not_after < now + 366 * 86400);
  CHECK((*infos)[0].not_before < now);
  CHECK(garde::core::pemCertificates("not a certificate").error().code ==
        garde::core::ErrorCode::kMalformedMessage);
}
