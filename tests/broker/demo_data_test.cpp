// The demo loaded as partners feed a deployment (broker/demo/demo_data.h): the directory from the
// embedded GAR-ENT feed files through the real importer, the subscriptions through the
// subscription service with the demo publishers' certificates.

#include "broker/demo/demo_data.h"

#include <catch2/catch.hpp>

#include "broker/api/subscriptions.h"
#include "broker/caller_registry.h"
#include "broker/flows/db_pool.h"
#include "store/assignments.h"
#include "store/caller_certificates.h"
#include "store/directory.h"
#include "store/subscriptions.h"
#include "store/temp_db.h"

using namespace garde;
namespace demo = store::demo;

namespace {

class DemoLoad : public test::MigratedDb {
 protected:
  broker::demo::DemoCallers callers_ = broker::demo::generateDemoCallers();
  core::SystemClock clock_;

  broker::demo::DemoLoadReport load() {
    auto loaded = broker::demo::loadDemoData(path_, {}, callers_, clock_);
    if (!loaded) {
      FAIL(loaded.error().describe());
    }
    return std::move(loaded).value();
  }

  policy::PersonFacts facts(const char* id) {
    auto f = store::findPersonFacts(db_, demo::kEnt, id, demo::kUai);
    REQUIRE(f.has_value());
    return std::move(f).value();
  }

  std::string fingerprint(const core::CertificatePem& cert) {
    return core::pemCertificates(cert.cert).value().front().sha256_fingerprint;
  }
};

}  // namespace

TEST_CASE_METHOD(DemoLoad, "The demo directory is the import of the demo's GAR-ENT feed files",
                 "[broker][demo][feeds]") {
  const auto report = load();
  REQUIRE(report.feed.imported);
  REQUIRE(report.feed.feed_id.has_value());
  CHECK(report.feed.ent_id == demo::kEnt);
  std::vector<std::string> files;
  for (const auto& f : report.feed.files) {
    files.push_back(f.name + " " + f.kind + " " + f.degree);
  }
  CHECK(files == std::vector<std::string>{
                     "ENTTEST1_GAR-ENT_Complet_202509012D_Eleve_0000.xml Eleve 2D",
                     "ENTTEST1_GAR-ENT_Complet_202509012D_Enseignant_0000.xml Enseignant 2D",
                     "ENTTEST1_GAR-ENT_Complet_202509012D_Etab_0000.xml Etab 2D",
                     "ENTTEST1_GAR-ENT_Complet_202509012D_Groupe_0000.xml Groupe 2D",
                     "ENTTEST1_GAR-ENT_Complet_202509012D_RespAff_0000.xml RespAff 2D"});
  CHECK(report.feed.counts.people.added == 7);
  // The assignment managers of the RespAff file: one per establishment (the console's scope).
  CHECK(*store::managedEstablishments(db_, demo::kEnt, "ens-0001") ==
        std::vector<std::string>{"0561534N"});
  CHECK(*store::managedEstablishments(db_, demo::kEnt, "ens-0002") ==
        std::vector<std::string>{"0561641E"});
  CHECK(store::managedEstablishments(db_, demo::kEnt, "elv-0001")->empty());
  CHECK(report.feed.counts.groups.added == 3);

  // Every fact the tests and the demo rely on, as the feed gives it.
  const auto lea = facts("elv-0001");
  CHECK(lea.profile == policy::Profile::kElv);
  CHECK(lea.first_name == "Léa");
  CHECK(lea.classes == std::vector<std::string>{"3A"});
  CHECK(lea.groups == std::vector<std::string>{"LATIN"});
  CHECK(lea.mefs == std::vector<std::string>{"10310019110"});
  CHECK(lea.pupil_subjects == std::vector<std::string>{"030201"});
  const auto maite = facts("elv-0004");
  CHECK(maite.last_name == "Lefèvre-Côté");
  CHECK(maite.first_name == "Maïté-Françoise");
  CHECK(facts("elv-0003").classes == std::vector<std::string>{"4B"});
  const auto paul = facts("ens-0001");
  CHECK(paul.profile == policy::Profile::kEns);
  CHECK(paul.civility == "M.");
  CHECK(paul.emails == std::vector<std::string>{"paul.durand@ent.demo.test"});
  CHECK(paul.classes == std::vector<std::string>{"3A", "4B"});
  CHECK(paul.teacher_subjects == std::vector<std::string>{"L0202"});
  CHECK(facts("ens-0002").teacher_subjects == std::vector<std::string>{"L0300"});
  CHECK(facts("doc-0001").profile == policy::Profile::kDoc);
  // The registration the feed cannot carry stays the operator's.
  CHECK(store::findEstablishment(db_, demo::kUai)->nature_code ==
        std::optional<std::string>("340"));
}

TEST_CASE_METHOD(DemoLoad,
                 "A demo restarted on its database re-imports nothing and updates its "
                 "subscriptions through the service",
                 "[broker][demo][feeds]") {
  const auto first = load();
  CHECK(first.subscriptions == std::vector<std::pair<std::string, int>>{{"DEMO_A2_0561534N", 201},
                                                                        {"DEMO_A_0561534N", 201},
                                                                        {"DEMO_B_0561534N", 201}});
  const auto second = load();
  REQUIRE(second.feed.imported);
  CHECK(second.feed.counts.total() == 0);
  CHECK(second.feed.feed_id != first.feed.feed_id);
  CHECK(second.subscriptions == std::vector<std::pair<std::string, int>>{{"DEMO_A2_0561534N", 200},
                                                                         {"DEMO_A_0561534N", 200},
                                                                         {"DEMO_B_0561534N", 200}});
}

TEST_CASE_METHOD(DemoLoad,
                 "Demo subscriptions are the service's: each publisher's own, with its registered "
                 "certificate",
                 "[broker][demo][subscriptions]") {
  load();
  CHECK(store::findSubscription(db_, "DEMO_A_0561534N")->publisher_id == demo::kPublisherA);
  CHECK(store::findSubscription(db_, "DEMO_B_0561534N")->publisher_id == demo::kPublisherB);
  const auto a = store::findCallerCertificate(db_, fingerprint(callers_.publisher_a));
  REQUIRE(a.has_value());
  CHECK(a->kind == store::CallerKind::kPublisher);
  CHECK(a->caller_id == demo::kPublisherA);
  const auto ent = store::findCallerCertificate(db_, fingerprint(callers_.ent));
  REQUIRE(ent.has_value());
  CHECK(ent->kind == store::CallerKind::kEnt);
  CHECK(ent->caller_id == demo::kEnt);

  // The same route refuses what the demo's start would have been refused: another publisher's
  // certificate, the ENT's, and none registered.
  broker::flows::DbPool pool(path_);
  const broker::StoreCallerRegistry registry(pool, clock_);
  broker::Router router(broker::CallerAuthenticators{registry.registry(), nullptr});
  broker::api::mountSubscriptionApi(router, {pool, clock_}, "/abonnements");
  std::string body;
  for (const auto& f : broker::demo::embeddedDemoFiles()) {
    if (f.name == "abonnement_DEMO_B_0561534N.xml") body = std::string(f.content);
  }
  REQUIRE_FALSE(body.empty());
  const std::string fresh = [&] {
    std::string b = body;
    const std::string id = "DEMO_B_0561534N";
    b.replace(b.find(id), id.size(), "DEMO_B_OTHER");
    return b;
  }();
  auto put = [&](const core::CertificatePem& cert) {
    broker::Request req =
        broker::demo::partnerRequest(cert, "PUT", "/abonnements/DEMO_B_OTHER", fresh);
    return router.dispatch(req);
  };
  CHECK(put(callers_.publisher_a).status == 400);  // idDistributeurCom is not the caller's
  CHECK(put(callers_.ent).status == 403);
  CHECK(put(core::generateSelfSignedTls("stranger", 30)).status == 403);
  CHECK_FALSE(store::findSubscription(db_, "DEMO_B_OTHER").has_value());
  CHECK(put(callers_.publisher_b).status == 201);
}

TEST_CASE_METHOD(DemoLoad, "A demo certificate registered to another partner stops the load",
                 "[broker][demo][subscriptions]") {
  callers_.publisher_b = callers_.publisher_a;
  const auto loaded = broker::demo::loadDemoData(path_, {}, callers_, clock_);
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error().code == core::ErrorCode::kConflict);
  CHECK_FALSE(store::findSubscription(db_, "DEMO_B_0561534N").has_value());
}
