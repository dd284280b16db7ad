// The GAR subscription web service end to end: real HTTPS listeners (the service's own, at its
// root, and the main one, under /abonnements/), real client certificates registered in a real
// database, the publisher's own subscriptions only, XML errors naming the field.
#include "broker/api/subscriptions.h"
#include "partner_test_support.h"
#include "store/subscriptions.h"

using namespace http_test;
using namespace partner_test;
namespace api = garde::broker::api;

namespace {

constexpr const char* kArkA = "ark:/49591/a1";
constexpr const char* kArkB = "ark:/49591/b1";
constexpr const char* kCollege = "0561534N";  // nature 340
constexpr const char* kEcole = "0290001E";    // nature 151: a primary school

std::string abonnement(const std::string& id, const std::string& extra = "",
                       const std::string& uais = "<uaiEtab>0561534N</uaiEtab>",
                       const std::string& resource = kArkA, const std::string& publisher = kPubA) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<abonnement xmlns="http://www.atosworldline.com/wsabonnement/v1.0/">
  <idAbonnement>)" +
         id + R"(</idAbonnement>
  <idDistributeurCom>)" +
         publisher + R"(</idDistributeurCom>
  <idRessource>)" +
         resource + R"(</idRessource>
  <typeIdRessource>ark</typeIdRessource>
  <libelleRessource>Ressource</libelleRessource>
  <debutValidite>2025-09-01T00:00:00</debutValidite>
  <finValidite>2026-07-14T23:59:59</finValidite>
  )" + uais +
         R"(
  <categorieAffectation>transferable</categorieAffectation>
  <typeAffectation>INDIV</typeAffectation>
  <nbLicenceGlobale>ILLIMITE</nbLicenceGlobale>
  <publicCible>ELEVE</publicCible>
  )" + extra +
         "</abonnement>";
}

const std::string kFiltres = R"(<filtres xmlns="http://www.atosworldline.com/wsabonnement/v1.0/">
  <filtre><filtreNom>idDistributeurCom</filtreNom><filtreValeur>)";

std::string filterOn(const std::string& publisher) {
  return kFiltres + publisher + "</filtreValeur></filtre></filtres>";
}

/// The service served twice, as `garde serve` serves it with subscriptions.listener = "separate".
struct Service {
  World world;
  api::SubscriptionApiDeps deps{*world.pool, world.clock};
  Router root{garde::broker::CallerAuthenticators{world.registry->registry(), nullptr}};
  Router main{garde::broker::CallerAuthenticators{world.registry->registry(), nullptr}};
  std::unique_ptr<Server> root_server;
  std::unique_ptr<Server> main_server;

  Service() {
    auto db = world.open();
    using garde::policy::LaunchMode;
    REQUIRE(garde::store::upsertResource(db, {kArkA, kPubA, "A1", "https://a.test/", std::nullopt,
                                              "cat", LaunchMode::kDirect})
                .has_value());
    REQUIRE(garde::store::upsertResource(db, {kArkB, kPubB, "B1", "https://b.test/", std::nullopt,
                                              "cat", LaunchMode::kDirect})
                .has_value());
    REQUIRE(garde::store::upsertEstablishment(db, {kCollege, kEnt, "Collège", "RENNES", "340"})
                .has_value());
    REQUIRE(garde::store::upsertEstablishment(db, {kEcole, kEnt, "École", "RENNES", "151"})
                .has_value());
    api::mountSubscriptionApi(root, deps, "");
    api::mountSubscriptionApi(main, deps, "/abonnements");
    root_server =
        startServer(World::serverOptions(), [this](Request& r) { return root.dispatch(r); });
    main_server =
        startServer(World::serverOptions(), [this](Request& r) { return main.dispatch(r); });
  }

  Reply onRoot(const CertificatePem* cert, bhttp::verb verb, const std::string& path,
               const std::string& body = "") {
    return call(root_server->port(), cert, verb, path, body);
  }
  Reply onMain(const CertificatePem* cert, bhttp::verb verb, const std::string& path,
               const std::string& body = "") {
    return call(main_server->port(), cert, verb, path, body);
  }
};

constexpr auto kPut = bhttp::verb::put;
constexpr auto kPost = bhttp::verb::post;
constexpr auto kDelete = bhttp::verb::delete_;
constexpr auto kGet = bhttp::verb::get;
const CertificatePem* const kA = &pki().pub_a;
const CertificatePem* const kB = &pki().pub_b;

}  // namespace

TEST_CASE("A publisher creates, updates, lists and deletes its subscription at the service's root",
          "[broker][api][subscriptions][https]") {
  Service s;
  Reply r = s.onRoot(kA, kPut, "/ABO_1", abonnement("ABO_1"));
  REQUIRE(r.status == 201);
  CHECK(r.content_type == "application/xml; charset=utf-8");
  CHECK_THAT(r.body, Catch::Contains("<idAbonnement>ABO_1</idAbonnement>"));

  r = s.onRoot(kA, kPut, "/ABO_1", abonnement("ABO_1"));
  CHECK(r.status == 409);
  CHECK_THAT(r.body, Catch::Contains("<code>abonnement_existant</code>"));

  // Update: no uaiEtab; the establishments stay.
  r = s.onRoot(kA, kPost, "/ABO_1",
               abonnement("ABO_1", "<commentaireAbonnement>v2</commentaireAbonnement>", ""));
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("<uaiEtab>0561534N</uaiEtab>"));
  CHECK_THAT(r.body, Catch::Contains("v2"));
  r = s.onRoot(kA, kPost, "/ABO_1", abonnement("ABO_1"));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("<champ>uaiEtab</champ>"));

  r = s.onRoot(kA, kPost, "/abonnements", "");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("<abonnements"));
  CHECK_THAT(r.body, Catch::Contains("<idAbonnement>ABO_1</idAbonnement>"));
  r = s.onRoot(kA, kPost, "/abonnements",
               kFiltres + kPubA + "</filtreValeur></filtre><filtre><filtreNom>uaiEtab</filtreNom>" +
                   "<filtreValeur>0350000A</filtreValeur></filtre></filtres>");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, !Catch::Contains("ABO_1"));

  CHECK(s.onRoot(kA, kDelete, "/ABO_1").status == 204);
  CHECK(s.onRoot(kA, kDelete, "/ABO_1").status == 404);
  auto db = s.world.open();
  CHECK(garde::store::findSubscription(db, "ABO_1").error().code ==
        garde::core::ErrorCode::kNotFound);
}

TEST_CASE("The same service answers under /abonnements/ on the main listener",
          "[broker][api][subscriptions][https]") {
  Service s;
  REQUIRE(s.onMain(kA, kPut, "/abonnements/ABO_M", abonnement("ABO_M")).status == 201);
  // The listing at /abonnements itself and at /abonnements/abonnements; never an update.
  for (const char* list : {"/abonnements", "/abonnements/abonnements"}) {
    const Reply r = s.onMain(kA, kPost, list, filterOn(kPubA));
    REQUIRE(r.status == 200);
    CHECK_THAT(r.body, Catch::Contains("<idAbonnement>ABO_M</idAbonnement>"));
  }
  CHECK(s.onMain(kA, kPost, "/abonnements/ABO_M", abonnement("ABO_M", "", "")).status == 200);
  // What one listener created, the other sees: one store.
  CHECK_THAT(s.onRoot(kA, kPost, "/abonnements", "").body, Catch::Contains("ABO_M"));
  // The id of the listing cannot be created, so it never needs updating.
  const Reply reserved = s.onMain(kA, kPut, "/abonnements/abonnements", abonnement("abonnements"));
  CHECK(reserved.status == 400);
  CHECK_THAT(reserved.body, Catch::Contains("reserved"));
  const Reply on_root = s.onRoot(kA, kPut, "/abonnements", abonnement("abonnements"));
  CHECK(on_root.status == 400);
  CHECK_THAT(on_root.body, Catch::Contains("<champ>idAbonnement</champ>"));
  CHECK(s.onMain(kA, kDelete, "/abonnements/ABO_M").status == 204);
}

TEST_CASE("A publisher never reaches another publisher's subscriptions or resources",
          "[broker][api][subscriptions][https]") {
  Service s;
  REQUIRE(s.onRoot(kA, kPut, "/ABO_A", abonnement("ABO_A")).status == 201);
  SECTION("update and delete of another's subscription: as unknown") {
    const Reply update = s.onRoot(kB, kPost, "/ABO_A", abonnement("ABO_A", "", "", kArkB, kPubB));
    CHECK(update.status == 404);
    CHECK_THAT(update.body, Catch::Contains("<code>abonnement_inconnu</code>"));
    CHECK(s.onRoot(kB, kDelete, "/ABO_A").status == 404);
  }
  SECTION("listing: only its own, and another's idDistributeurCom is forbidden") {
    const Reply own = s.onRoot(kB, kPost, "/abonnements", "");
    REQUIRE(own.status == 200);
    CHECK_THAT(own.body, !Catch::Contains("ABO_A"));
    const Reply other = s.onRoot(kB, kPost, "/abonnements", filterOn(kPubA));
    CHECK(other.status == 403);
    CHECK_THAT(other.body, Catch::Contains("<champ>idDistributeurCom</champ>"));
  }
  SECTION("creating on another's resource or in another's name") {
    Reply r = s.onRoot(kB, kPut, "/ABO_B",
                       abonnement("ABO_B", "", "<uaiEtab>0561534N</uaiEtab>", kArkA, kPubB));
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("<champ>idRessource</champ>"));
    r = s.onRoot(kB, kPut, "/ABO_B", abonnement("ABO_B"));  // idDistributeurCom = A
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("<champ>idDistributeurCom</champ>"));
  }
  auto db = s.world.open();
  CHECK(garde::store::findSubscription(db, "ABO_A").has_value());
  CHECK(garde::store::findSubscription(db, "ABO_B").error().code ==
        garde::core::ErrorCode::kNotFound);
}

TEST_CASE("Callers other than a registered publisher are refused before anything is read",
          "[broker][api][subscriptions][https]") {
  Service s;
  const std::string body = abonnement("ABO_X");
  SECTION("an ENT project's certificate") {
    const Reply r = s.onRoot(&pki().ent, kPut, "/ABO_X", body);
    CHECK(r.status == 403);
    CHECK_THAT(r.body, Catch::Contains("<code>acces_refuse</code>"));
  }
  SECTION("a certificate with a registered subject but another key") {
    CHECK(s.onRoot(&pki().pub_a_other_key, kPut, "/ABO_X", body).status == 403);
  }
  SECTION("no certificate") {
    CHECK(s.onRoot(nullptr, kPut, "/ABO_X", body).status == 403);
    CHECK(s.onMain(nullptr, kPut, "/abonnements/ABO_X", body).status == 403);
  }
  SECTION("an expired certificate does not get through the handshake") {
    CHECK(s.onRoot(&pki().expired, kPut, "/ABO_X", body).status == 0);
  }
  SECTION("a registration that has expired") {
    s.world.clock.t += 400 * 86400;
    CHECK(s.onRoot(kA, kPut, "/ABO_X", body).status == 403);
  }
  auto db = s.world.open();
  CHECK(garde::store::findSubscription(db, "ABO_X").error().code ==
        garde::core::ErrorCode::kNotFound);
}

TEST_CASE("Malformed and hostile XML is refused with an XML error",
          "[broker][api][subscriptions][https]") {
  Service s;
  Reply r = s.onRoot(kA, kPut, "/ABO_1", "<abonnement><oops>");
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("<code>xml_invalide</code>"));
  r = s.onRoot(kA, kPut, "/ABO_1",
               "<?xml version=\"1.0\"?><!DOCTYPE abonnement [<!ENTITY xxe SYSTEM "
               "\"file:///etc/passwd\">]><abonnement "
               "xmlns=\"http://www.atosworldline.com/wsabonnement/v1.0/\"><idAbonnement>&xxe;"
               "</idAbonnement></abonnement>");
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("<code>xml_interdit</code>"));
  CHECK_THAT(r.body, !Catch::Contains("root:"));
  r = s.onRoot(kA, kPost, "/abonnements", "<!DOCTYPE filtres><filtres/>");
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("<code>xml_interdit</code>"));
}

TEST_CASE(
    "Subscription rules over HTTPS: every problem named, a primary school without "
    "DOCUMENTALISTE",
    "[broker][api][subscriptions][https]") {
  Service s;
  Reply r = s.onRoot(kA, kPut, "/ABO_P",
                     abonnement("ABO_P", "<publicCible>DOCUMENTALISTE</publicCible>",
                                "<uaiEtab>0290001E</uaiEtab>"));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("<champ>publicCible</champ>"));
  CHECK_THAT(r.body, Catch::Contains("0290001E"));
  // The same audience in a collège is fine.
  CHECK(
      s.onRoot(kA, kPut, "/ABO_P", abonnement("ABO_P", "<publicCible>DOCUMENTALISTE</publicCible>"))
          .status == 201);
  r = s.onRoot(kA, kPut, "/_BAD",
               abonnement("_BAD", "<codeProjetRessource></codeProjetRessource>"));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("<champ>idAbonnement</champ>"));
  CHECK_THAT(r.body, Catch::Contains("<champ>codeProjetRessource</champ>"));
}

TEST_CASE("Publishers read the connected establishments and their assignment report",
          "[broker][api][subscriptions][https]") {
  Service s;
  Reply r = s.onRoot(kA, kGet, "/etablissements/etablissements.xml");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("<uai>0561534N</uai>"));
  CHECK_THAT(r.body, Catch::Contains("<idENT>ENTTEST1</idENT>"));
  CHECK_THAT(r.body, Catch::Contains("<academie>RENNES</academie>"));
  CHECK(s.onMain(kA, kGet, "/abonnements/etablissements/etablissements.xml").status == 200);
  CHECK(s.onRoot(&pki().ent, kGet, "/etablissements/etablissements.xml").status == 403);

  REQUIRE(s.onRoot(kA, kPut, "/ABO_R", abonnement("ABO_R")).status == 201);
  {
    auto db = s.world.open();
    REQUIRE(garde::store::addAssignment(db, "ABO_R", kCollege,
                                        garde::policy::AssignmentTargetKind::kEstablishment, "",
                                        "ra", garde::test::kNow)
                .has_value());
  }
  r = s.onMain(kA, kGet, "/abonnements/rapports/affectations.xml");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("<idAbonnement>ABO_R</idAbonnement>"));
  CHECK_THAT(r.body, Catch::Contains("<nombre>1</nombre>"));
  // Another publisher's report does not hold A's subscriptions.
  r = s.onRoot(kB, kGet, "/rapports/affectations.xml");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, !Catch::Contains("ABO_R"));
}
