#include "broker/api/mediacentre.h"

#include <boost/json.hpp>

#include "broker/flows/entitlement.h"
#include "broker/flows/flows.h"
#include "core/encoding.h"
#include "core/gzip.h"
#include "core/log.h"
#include "store/directory.h"
#include "store/publishers.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.mediacentre");

/// The answer, gzip-compressed when the client accepts it, never cached by intermediaries.
Response answer(const Request& req, int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.setHeader("Content-Type", std::move(content_type));
  r.setHeader("Cache-Control", "no-store");
  r.setHeader("Vary", "Accept-Encoding");
  const std::string* accept = req.header("accept-encoding");
  if (accept != nullptr && core::acceptsGzip(*accept)) {
    r.body = core::gzipCompress(body);
    r.setHeader("Content-Encoding", "gzip");
  } else {
    r.body = std::move(body);
  }
  return r;
}

/// The GAR's error body: {"Erreur":{"Code":..,"Message":..,"Resource":..}}.
Response error(const Request& req, int status, std::string_view code, std::string_view message,
               std::string_view why) {
  kLog.info("refused",
            {{"request_id", req.request_id}, {"status", std::to_string(status)}, {"why", why}});
  boost::json::object e;
  e["Code"] = code;
  e["Message"] = message;
  e["Resource"] = req.path.size() > 1 ? req.path.substr(1) : req.path;
  boost::json::object root;
  root["Erreur"] = std::move(e);
  return answer(req, status, boost::json::serialize(root), "application/json; charset=utf-8");
}

/// How the GAR presents a resource, from garde's category (docs/mediacentre.md).
std::pair<std::string_view, std::string_view> presentation(std::string_view category) {
  if (category == "manuel") {
    return {"MAN", "manuels numériques"};
  }
  if (category == "dictionnaire") {
    return {"DIC", "dictionnaires et ouvrages de référence"};
  }
  return {"MUL", "ressources d'enseignement multimédias"};
}

std::string launchLink(const MediacentreDeps& deps, std::string_view ent_id, std::string_view uai,
                       std::string_view resource_id) {
  return deps.base_url + "/domaineGar?idENT=" + core::urlEncode(core::base64Encode(ent_id), true) +
         "&idEtab=" + core::urlEncode(core::base64Encode(uai), true) +
         "&idRessource=" + core::urlEncode(resource_id, true);
}

/// `text` as a JSON string, quotes included, escaped as boost::json::serialize escapes.
void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  core::appendJsonEscaped(out, text, core::JsonEscapes::kBoostJson);
  out += '"';
}

}  // namespace

std::string writeResourceList(const std::vector<ResourceListing>& resources) {
  std::string out;
  out.reserve(64 + resources.size() * 900);
  out += R"({"listeRessources":{"ressource":[)";
  bool first = true;
  for (const ResourceListing& r : resources) {
    if (!first) {
      out += ',';
    }
    first = false;
    const auto [code, label] = presentation(r.category);
    // The members in the order the boost::json objects held them (insertion order).
    out += R"({"idRessource":)";
    appendJsonString(out, r.id);
    out += R"(,"idType":"ark","nomRessource":)";
    appendJsonString(out, r.name);
    out += R"(,"idEditeur":)";
    appendJsonString(out, r.publisher_id);
    out += R"(,"nomEditeur":)";
    appendJsonString(out, r.publisher_name);
    out += R"(,"urlVignette":)";
    appendJsonString(out, r.logo_url);
    out += R"(,"typePresentation":{"code":)";
    appendJsonString(out, code);
    out += R"(,"nom":)";
    appendJsonString(out, label);
    out += R"(},"typePedagogique":[],"typologieDocument":[],"niveauEducatif":[],)"
           R"("domaineEnseignement":[],"urlAccesRessource":)";
    appendJsonString(out, r.launch_url);
    out += R"(,"nomSourceEtiquetteGar":"garde","distributeurTech":)";
    appendJsonString(out, r.publisher_id);
    out += R"(,"validateurTech":)";
    appendJsonString(out, r.publisher_id);
    out += R"(,"description":""})";
  }
  out += "]}}";
  return out;
}

Response handleResourceList(const Request& req, const MediacentreDeps& deps) {
  const std::string* ent_id = req.pathParam("idENT");
  const std::string* uai = req.pathParam("UAI");
  const std::string* person_id = req.pathParam("id");
  if (ent_id == nullptr || uai == nullptr || person_id == nullptr) {
    return error(req, 400, "Bad Request", "Requête incomplète", "path parameters missing");
  }
  if (!req.caller || req.caller->kind != Caller::Kind::kEntProject || req.caller->id != *ent_id) {
    return error(req, 403, "Forbidden", "Ce certificat ne représente pas ce projet ENT",
                 "caller is not the ENT project of the path");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return error(req, 503, "Service Unavailable", "Service momentanément indisponible",
                 lease.error().describe());
  }
  store::Db& db = lease->db();
  auto read = store::Transaction::begin(db, store::Transaction::Kind::kDeferred);
  if (!read) {
    return error(req, 503, "Service Unavailable", "Service momentanément indisponible",
                 read.error().describe());
  }
  auto establishment = store::findEstablishment(db, *uai);
  if (!establishment || establishment->ent_id != *ent_id) {
    if (!establishment && establishment.error().code == core::ErrorCode::kStoreError) {
      return error(req, 503, "Service Unavailable", "Service momentanément indisponible",
                   establishment.error().describe());
    }
    return error(req, 404, "Not Found", "Établissement non trouvé",
                 "no such establishment of the ENT");
  }
  auto listed = flows::entitledResources(db, deps.resources, *deps.publishers, *ent_id, *person_id,
                                         *uai, flows::parisToday(deps.clock.now()));
  if (!listed) {
    if (listed.error().code == core::ErrorCode::kUnknownUser) {
      return error(req, 404, "Not Found", "Utilisateur non trouvé", "unknown person");
    }
    return error(req, 503, "Service Unavailable", "Service momentanément indisponible",
                 listed.error().describe());
  }
  // The links are built first: the listings only point at them.
  std::vector<std::string> links;
  links.reserve(listed->size());
  std::vector<ResourceListing> listings;
  listings.reserve(listed->size());
  for (const auto& entitled : *listed) {
    const store::Resource& r = entitled.resource;
    links.push_back(launchLink(deps, *ent_id, *uai, r.id));
    listings.push_back(
        {r.id, r.name, r.publisher_id, entitled.publisher_name, r.category, links.back(),
         r.logo_url ? std::string_view(*r.logo_url) : std::string_view()});
  }
  if (auto c = read->commit(); !c) {
    return error(req, 503, "Service Unavailable", "Service momentanément indisponible",
                 c.error().describe());
  }
  Response r = answer(req, 200, writeResourceList(listings), "application/json; charset=utf-8");
  r.log_fields = {{"ent", *ent_id}, {"resources", std::to_string(listed->size())}};
  return r;
}

Response handleDistributableResources(const Request& req, const MediacentreDeps& deps) {
  if (!req.caller || req.caller->kind != Caller::Kind::kEntProject) {
    return error(req, 403, "Forbidden", "Réservé aux projets ENT", "caller is not an ENT project");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return error(req, 503, "Service Unavailable", "Service momentanément indisponible",
                 lease.error().describe());
  }
  store::Db& db = lease->db();
  auto contracts = store::listContracts(db);
  if (!contracts) {
    return error(req, 503, "Service Unavailable", "Service momentanément indisponible",
                 contracts.error().describe());
  }
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<listeRessourcesDiffusables "
      "xmlns=\"http://gar.education.fr/schemas/init/0/1/\">\n  <dateGeneration>" +
      core::formatIso8601(deps.clock.now()) + "</dateGeneration>\n";
  for (const auto& contract : *contracts) {
    if (contract.status != policy::ContractStatus::kApproved ||
        deps.publishers->findByPublisherId(contract.publisher_id) == nullptr) {
      continue;
    }
    auto entry = deps.resources.find(db, contract.resource_id);
    if (!entry) {
      continue;
    }
    const store::Resource& r = (*entry)->resource;
    const std::string& publisher_name = (*entry)->publisher_name;
    const std::string publisher = core::htmlEscape(r.publisher_id);
    const std::string publisher_label = core::htmlEscape(publisher_name);
    xml += "  <ressourceDiffusable>\n    <idRessource>" + core::htmlEscape(r.id) +
           "</idRessource>\n    <nomRessource>" + core::htmlEscape(r.name) +
           "</nomRessource>\n    <idEditeur>" + publisher + "</idEditeur>\n    <nomEditeur>" +
           publisher_label + "</nomEditeur>\n    <distributeursCom>\n      <distributeurCom>" +
           publisher + "</distributeurCom>\n      <nomDistributeurCom>" + publisher_label +
           "</nomDistributeurCom>\n    </distributeursCom>\n    <distributeurTech>" + publisher +
           "</distributeurTech>\n    <nomDistributeurTech>" + publisher_label +
           "</nomDistributeurTech>\n    <affichable>true</affichable>\n"
           "    <diffusable>true</diffusable>\n  </ressourceDiffusable>\n";
  }
  xml += "</listeRessourcesDiffusables>\n";
  return answer(req, 200, std::move(xml), "application/xml; charset=utf-8");
}

void mountMediacentre(Router& router, const MediacentreDeps& deps) {
  router.get("/ressources/{idENT}/{UAI}/{id}", CallerAuth::kClientCertificate,
             [deps](const Request& r) { return handleResourceList(r, deps); });
  router.get("/ressourcesDiffusables", CallerAuth::kClientCertificate,
             [deps](const Request& r) { return handleDistributableResources(r, deps); });
}

}  // namespace garde::broker::api
