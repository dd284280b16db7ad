// The GAR data plane from end to end, in one world: an ENT project feeds its directory (the feed
// API, its registered client certificate), a publisher subscribes the establishment (the
// subscription web service, its certificate), the establishment's assignment manager signs in
// through the ENT and assigns the subscription to a class, the pupil's médiacentre lists the
// resource, the pupil's launch gives the publisher the pupil's class (DIV); the assignment removed,
// the resource leaves the list and the launch is refused. Callers are authenticated by the router
// with the store's certificate registry, as in `garde serve` (over TLS in test_partner_apis.py).

#include <boost/json.hpp>

#include "broker/api/feeds.h"
#include "broker/api/mediacentre.h"
#include "broker/api/subscriptions.h"
#include "broker/caller_registry.h"
#include "core/crypto.h"
#include "partner_test_support.h"
#include "store/caller_certificates.h"
#include "store/demo_data.h"
#include "support/feed_builder.h"
#include "support/flows_world.h"
#include "support/temp_dir.h"

namespace {

using garde::broker::Caller;
namespace api = garde::broker::api;
using partner_test::pki;

constexpr const char* kUai = "0561534N";
constexpr const char* kPupil = "elv-9001";
constexpr const char* kManager = "ens-9001";

void registerPartners(store::Db& db) {
  const auto until = test::kNow + 365 * 86400;
  partner_test::registerCert(db, store::CallerKind::kEnt, store::demo::kEnt, pki().ent, until);
  partner_test::registerCert(db, store::CallerKind::kPublisher, store::demo::kPublisherA,
                             pki().pub_a, until);
}

/// The ENT's snapshot: the establishment, a pupil of class 5C, a teacher who is its manager.
test::FeedSnapshot snapshot() {
  test::FeedSnapshot s;
  s.ent = store::demo::kEnt;
  s.etabs = {{kUai, "Collège de démonstration"}};
  test::FeedTestPerson pupil;
  pupil.id = kPupil;
  pupil.last_name = "Lefèvre";
  pupil.first_name = "Zoé";
  pupil.profiles = {{kUai, "National_elv"}};
  pupil.groups = {{kUai, "5C"}};
  test::FeedTestPerson teacher;
  teacher.id = kManager;
  teacher.teacher = true;
  teacher.last_name = "Garnier";
  teacher.first_name = "Hélène";
  teacher.civility = "Mme";
  teacher.profiles = {{kUai, "National_ens"}};
  teacher.emails = {"helene.garnier@ent.demo.test"};
  s.people = {pupil, teacher};
  s.groups = {{kUai, "5C", "Classe 5C", true}};
  s.managers = {{kManager, "Garnier", "Hélène", {"helene.garnier@ent.demo.test"}, {kUai}}};
  return s;
}

std::string abonnement(const std::string& id) {
  return std::string(R"(<?xml version="1.0" encoding="UTF-8"?>
<abonnement xmlns="http://www.atosworldline.com/wsabonnement/v1.0/">
  <idAbonnement>)") +
         id + R"(</idAbonnement>
  <idDistributeurCom>123456789_0000000000000001</idDistributeurCom>
  <idRessource>ark:/49591/demo.manuel.a</idRessource>
  <typeIdRessource>ark</typeIdRessource>
  <libelleRessource>Manuel de démonstration A</libelleRessource>
  <debutValidite>2025-09-01T00:00:00</debutValidite>
  <anneeFinValidite>2026-2027</anneeFinValidite>
  <uaiEtab>0561534N</uaiEtab>
  <categorieAffectation>transferable</categorieAffectation>
  <typeAffectation>INDIV</typeAffectation>
  <nbLicenceEleve>30</nbLicenceEleve>
  <publicCible>ELEVE</publicCible>
</abonnement>)";
}

/// The partner APIs' router, authenticating callers by the store's certificate registry.
struct Partners {
  Flows& f;
  broker::StoreCallerRegistry callers;
  broker::Router router;

  explicit Partners(Flows& world)
      : f(world),
        callers(world.services().db, world.services().clock),
        router(broker::CallerAuthenticators{callers.registry(), {}}) {
    auto& s = f.services();
    api::mountFeedApi(router, {s.db, s.clock, {}, {}});
    api::mountSubscriptionApi(router, {s.db, s.clock}, "/abonnements");
    api::mountMediacentre(router, {s.clock, s.db, s.resources, s.publishers, kBase});
  }

  Response call(const core::CertificatePem& cert, const std::string& method,
                const std::string& target, std::string body = {},
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request req;
    req.method = method;
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    req.body = std::move(body);
    for (auto& [k, v] : headers) {
      req.headers.emplace(k, v);
    }
    req.is_tls = true;
    req.request_id = "corr-partner";
    const auto info = core::pemCertificates(cert.cert).value().front();
    req.client_cert.sha256_fingerprint = info.sha256_fingerprint;
    req.client_cert.subject = info.subject;
    return router.dispatch(req);
  }

  /// The ARKs of the pupil's médiacentre list.
  std::set<std::string> mediacentre(const char* person) {
    const Response r =
        call(pki().ent, "GET",
             std::string("/ressources/") + store::demo::kEnt + "/" + kUai + "/" + person);
    REQUIRE(r.status == 200);
    std::set<std::string> out;
    const boost::json::value list = boost::json::parse(r.body);
    for (const auto& item : list.at("listeRessources").at("ressource").as_array()) {
      out.insert(std::string(item.at("idRessource").as_string()));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("The data plane: feed, subscribe, sign in, assign, list, launch, unassign",
          "[broker][dataplane][e2e]") {
  Flows f({}, 1'000'000, allFlowRoutes(), {}, registerPartners);
  Partners partners(f);

  // 1. The ENT project feeds its directory: a .tar.gz and its MD5, with its certificate.
  test::TempDir dir("garde-dataplane");
  const std::string archive =
      test::tarGz(test::membersOf(test::writeFeedFiles(snapshot(), dir.path().string())));
  core::Md5 md5;
  md5.update(archive);
  const Response fed = partners.call(pki().ent, "POST", "/api/v1/ent/feeds", archive,
                                     {{"x-feed-md5", md5.finalHex()}});
  INFO(fed.body);
  REQUIRE(fed.status == 200);
  // A publisher's certificate cannot feed a directory; no certificate at all, neither.
  CHECK(
      partners
          .call(pki().pub_a, "POST", "/api/v1/ent/feeds", archive, {{"x-feed-md5", md5.finalHex()}})
          .status == 403);

  // 2. Publisher A subscribes the establishment to its manual, for pupils, 30 licences.
  const Response subscribed =
      partners.call(pki().pub_a, "PUT", "/abonnements/E2E_SUB_1", abonnement("E2E_SUB_1"));
  INFO(subscribed.body);
  REQUIRE(subscribed.status == 201);
  // Subscribed but not assigned: not in the pupil's médiacentre, and the launch is refused.
  CHECK(partners.mediacentre(kPupil).count(store::demo::kResourceA) == 0);
  const auto launchA = [&] {
    f.get(std::string(kResourceAPath) + kTileQuery);
    std::string request_id;
    const Response sso = f.get(f.publisherAuthnRequest(
        kPubAEntity, kPubAAcs, std::string(kPubABase) + "/resource", request_id));
    const Response answer = f.entLeg(sso, kPupil);
    std::optional<Received> got;
    if (answer.status == 200 && formAction(answer.body) == kPubAAcs) {
      got = f.publisherReceives(answer, kPubAEntity, kPubAAcs, request_id);
    }
    return got;
  };
  CHECK_FALSE(launchA().has_value());

  // 3. The manager named by the RespAff feed signs in through the ENT.
  const Response signed_in = f.entLeg(f.get("/admin/login?ent=ENTTEST1"), kManager);
  REQUIRE(signed_in.status == 200);
  const Response session = f.get("/api/v1/establishment/session");
  REQUIRE(session.status == 200);
  const std::string csrf(boost::json::parse(session.body).at("csrf").as_string());
  const auto manage = [&](const std::string& method, const std::string& target,
                          std::string body = {}) {
    Request req;
    req.method = method;
    req.target = target;
    req.path = target;
    req.body = std::move(body);
    req.headers.emplace("x-csrf-token", csrf);
    return f.send(std::move(req));
  };

  // 4. ... and assigns the subscription to class 5C.
  const std::string base = std::string("/api/v1/establishment/") + kUai;
  const Response assigned = manage("POST", base + "/assignments",
                                   R"({"subscription":"E2E_SUB_1","kind":"class","target":"5C"})");
  INFO(assigned.body);
  REQUIRE(assigned.status == 201);
  const std::int64_t id = boost::json::parse(assigned.body).at("id").as_int64();

  // 5. The pupil's médiacentre lists it; the launch gives publisher A the pupil's class.
  CHECK(partners.mediacentre(kPupil).count(store::demo::kResourceA) == 1);
  const auto got = launchA();
  REQUIRE(got.has_value());
  CHECK(got->attributes.at("DIV") == std::vector<std::string>{"5C"});
  CHECK(got->attributes.count("NOM") == 0);  // the contract gives pupils no name
  // The publisher's assignment report counts it.
  const Response report =
      partners.call(pki().pub_a, "GET", "/abonnements/rapports/affectations.xml");
  REQUIRE(report.status == 200);
  CHECK(report.body.find("E2E_SUB_1") != std::string::npos);

  // 6. The assignment removed: the resource leaves the list, the launch is refused.
  REQUIRE(manage("DELETE", base + "/assignments/" + std::to_string(id)).status == 204);
  CHECK(partners.mediacentre(kPupil).count(store::demo::kResourceA) == 0);
  CHECK_FALSE(launchA().has_value());
}
