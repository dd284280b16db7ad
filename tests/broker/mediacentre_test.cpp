// The médiacentre API (broker/api/mediacentre.h): what an ENT project's client certificate gets,
// and the rule that a resource is listed if and only if its launch is allowed, checked against real
// launches for every person and resource of the demo.

#include "broker/api/mediacentre.h"

#include <zlib.h>

#include <boost/json.hpp>

#include "store/demo_data.h"
#include "support/flows_world.h"

namespace {

namespace api = garde::broker::api;
using garde::broker::Caller;

const char* const kPeople[] = {"elv-0001", "elv-0002", "elv-0003", "elv-0004",
                               "ens-0001", "ens-0002", "doc-0001"};
const char* const kResources[] = {store::demo::kResourceA, store::demo::kResourceA2,
                                  store::demo::kResourceB};

api::MediacentreDeps deps(Flows& f) {
  auto& s = f.services();
  return {s.clock, s.db, s.resources, s.publishers, kBase};
}

Request listRequest(const std::string& ent, const std::string& uai, const std::string& person,
                    Caller::Kind kind = Caller::Kind::kEntProject,
                    std::string caller = "ENTTEST1") {
  Request req;
  req.method = "GET";
  req.path = "/ressources/" + ent + "/" + uai + "/" + person;
  req.target = req.path;
  req.path_params = {{"idENT", ent}, {"UAI", uai}, {"id", person}};
  req.caller = Caller{std::move(caller), kind};
  req.request_id = "corr-mediacentre";
  return req;
}

/// The idRessource values of a 200 answer.
std::set<std::string> listed(const Response& r) {
  REQUIRE(r.status == 200);
  const auto root = boost::json::parse(r.body).as_object();
  std::set<std::string> out;
  for (const auto& item : root.at("listeRessources").at("ressource").as_array()) {
    out.insert(std::string(item.at("idRessource").as_string()));
  }
  return out;
}

/// Whether a launch of `resource` from the médiacentre tile by `person` reaches the publisher.
bool launchReleases(Flows& f, const std::string& resource, const std::string& person) {
  const bool bounce = resource != store::demo::kResourceB;
  const std::string path = "/launch/" + core::urlEncode(resource, true) + kTileQuery;
  Response r = f.get(path);
  std::string request_id;
  if (bounce) {
    REQUIRE(r.status == 302);
    const std::string url = resource == store::demo::kResourceA
                                ? std::string(kPubABase) + "/resource"
                                : std::string(kPubABase) + "/cahier";
    r = f.get(f.publisherAuthnRequest(kPubAEntity, kPubAAcs, url, request_id));
  }
  REQUIRE(r.status == 302);
  const Response answer = f.entLeg(r, person);
  const char* acs = bounce ? kPubAAcs : kPubBAcs;
  return answer.status == 200 && formAction(answer.body) == acs &&
         !hiddenField(answer.body, "SAMLResponse").empty();
}

std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

}  // namespace

TEST_CASE("A resource is in the médiacentre list if and only if its launch is released",
          "[broker][api][mediacentre]") {
  Flows f;
  const api::MediacentreDeps d = deps(f);
  int released = 0;
  int refused = 0;
  for (const char* person : kPeople) {
    const std::set<std::string> list =
        listed(api::handleResourceList(listRequest("ENTTEST1", store::demo::kUai, person), d));
    for (const char* resource : kResources) {
      const bool launched = launchReleases(f, resource, person);
      INFO(person << " " << resource);
      CHECK(launched == (list.count(resource) == 1));
      (launched ? released : refused) += 1;
    }
  }
  // Both sides of the "if and only if" are exercised by the demo data.
  CHECK(released >= 5);
  CHECK(refused >= 5);
}

TEST_CASE("The médiacentre list has the GAR's fields and launch links",
          "[broker][api][mediacentre]") {
  Flows f;
  const Response r = api::handleResourceList(
      listRequest("ENTTEST1", store::demo::kUai, store::demo::kPupil), deps(f));
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type")->find("application/json") == 0);
  CHECK(r.header("Content-Encoding") == nullptr);
  const auto root = boost::json::parse(r.body).as_object();
  const auto& items = root.at("listeRessources").at("ressource").as_array();
  REQUIRE(items.size() == 3);
  const auto& a = items.at(1).as_object();  // in id order: cahier, manuel, outil
  CHECK(a.at("idRessource") == store::demo::kResourceA);
  CHECK(a.at("idType") == "ark");
  CHECK(a.at("nomRessource") == "Manuel de démonstration A");
  CHECK(a.at("idEditeur") == store::demo::kPublisherA);
  CHECK(a.at("nomEditeur") == "Éditions Démo A");
  CHECK(a.at("typePresentation").at("code") == "MAN");
  for (const char* key : {"urlVignette", "typePedagogique", "typologieDocument", "niveauEducatif",
                          "domaineEnseignement", "nomSourceEtiquetteGar", "distributeurTech",
                          "validateurTech", "description"}) {
    CHECK(a.contains(key));
  }
  const std::string link(a.at("urlAccesRessource").as_string());
  CHECK(link == std::string(kBase) + "/domaineGar?idENT=RU5UVEVTVDE%3D&idEtab=MDU2MTUzNE4%3D" +
                    "&idRessource=ark%3A%2F49591%2Fdemo.manuel.a");
  // The link launches.
  const Response tile = f.get(link.substr(std::string(kBase).size()));
  CHECK(tile.status == 302);
  CHECK(*tile.header("Location") == std::string(kPubABase) + "/login");
}

TEST_CASE("The médiacentre list is gzip-compressed when asked", "[broker][api][mediacentre]") {
  Flows f;
  Request req = listRequest("ENTTEST1", store::demo::kUai, store::demo::kTeacher);
  const Response plain = api::handleResourceList(req, deps(f));
  req.headers.emplace("accept-encoding", "br;q=1, gzip;q=0.8");
  const Response zipped = api::handleResourceList(req, deps(f));
  REQUIRE(zipped.status == 200);
  CHECK(*zipped.header("Content-Encoding") == "gzip");
  CHECK(*zipped.header("Vary") == "Accept-Encoding");
  CHECK(gunzip(zipped.body) == plain.body);
  Request refused = listRequest("ENTTEST1", store::demo::kUai, store::demo::kTeacher);
  refused.headers.emplace("accept-encoding", "gzip;q=0, identity");
  CHECK(api::handleResourceList(refused, deps(f)).header("Content-Encoding") == nullptr);
}

TEST_CASE("The médiacentre answers only the ENT project of the path, with GAR error bodies",
          "[broker][api][mediacentre][security]") {
  Flows f;
  const api::MediacentreDeps d = deps(f);
  const auto erreur = [](const Response& r) {
    const auto root = boost::json::parse(r.body).as_object();
    return root.at("Erreur").as_object();
  };
  SECTION("another ENT project's certificate") {
    const Response r =
        api::handleResourceList(listRequest("ENTTEST1", store::demo::kUai, store::demo::kPupil,
                                            Caller::Kind::kEntProject, "ENTTEST2"),
                                d);
    CHECK(r.status == 403);
    CHECK(erreur(r).contains("Message"));
    CHECK(r.body.find("idRessource") == std::string::npos);
  }
  SECTION("a publisher's certificate whose id is the ENT's") {
    CHECK(api::handleResourceList(listRequest("ENTTEST1", store::demo::kUai, store::demo::kPupil,
                                              Caller::Kind::kPublisher, "ENTTEST1"),
                                  d)
              .status == 403);
  }
  SECTION("no caller (the route was mounted without authentication)") {
    Request req = listRequest("ENTTEST1", store::demo::kUai, store::demo::kPupil);
    req.caller.reset();
    CHECK(api::handleResourceList(req, d).status == 403);
  }
  SECTION("an establishment of another ENT, or none") {
    const Response r =
        api::handleResourceList(listRequest("ENTTEST1", "0999999Z", store::demo::kPupil), d);
    CHECK(r.status == 404);
    CHECK(erreur(r).at("Message") == "Établissement non trouvé");
    CHECK(api::handleResourceList(listRequest("ENTTEST1", "9999999X", store::demo::kPupil), d)
              .status == 404);
  }
  SECTION("a person the ENT's directory does not hold") {
    const Response r =
        api::handleResourceList(listRequest("ENTTEST1", store::demo::kUai, "elv-9999"), d);
    CHECK(r.status == 404);
    CHECK(erreur(r).at("Message") == "Utilisateur non trouvé");
  }
}

TEST_CASE("The catalogue of distributable resources", "[broker][api][mediacentre]") {
  Flows f;
  Request req;
  req.method = "GET";
  req.path = "/ressourcesDiffusables";
  req.caller = Caller{"ENTTEST1", Caller::Kind::kEntProject};
  const Response r = api::handleDistributableResources(req, deps(f));
  REQUIRE(r.status == 200);
  for (const char* resource : kResources) {
    CHECK(r.body.find(std::string("<idRessource>") + resource + "</idRessource>") !=
          std::string::npos);
  }
  CHECK(r.body.find("<nomEditeur>Éditions Démo A</nomEditeur>") != std::string::npos);
  auto doc = saml::parseUntrusted(r.body);
  CHECK(doc.has_value());
  req.caller = Caller{store::demo::kPublisherA, Caller::Kind::kPublisher};
  CHECK(api::handleDistributableResources(req, deps(f)).status == 403);
}
