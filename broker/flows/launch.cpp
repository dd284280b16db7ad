// GET /launch/{resourceId}?ent=&uai= and GET /domaineGar: a médiacentre tile (docs/flows.md).

#include "broker/flows/flows.h"
#include "broker/flows/internal.h"
#include "core/encoding.h"
#include "saml/messages.h"
#include "store/directory.h"
#include "store/publishers.h"

namespace garde::broker::flows {
namespace {

constexpr core::Logger kLog("flows.launch");

core::Error err(core::ErrorCode code, std::string detail) { return {code, std::move(detail)}; }

Response startLaunch(const Request& req, const LaunchDeps& deps, const LaunchState& launch) {
  if (launch.ent_id.empty() || launch.uai.empty() || launch.resource_id.empty()) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kBadRequest, "launch without ENT, UAI or resource"));
  }
  if (!deps.ents->findByEntId(launch.ent_id)) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kUnknownPeer, "unknown ENT"), "unknown_ent");
  }
  store::Resource resource;
  {
    auto lease = deps.db.acquire();
    if (!lease) {
      return detail::refuse(req, deps.refusals, kLog, lease.error());
    }
    // Both reads in one read transaction (one lock of the database instead of one per query).
    auto read = store::Transaction::begin(lease->db(), store::Transaction::Kind::kDeferred);
    if (!read) {
      return detail::refuse(req, deps.refusals, kLog, read.error());
    }
    auto establishment = store::findEstablishment(lease->db(), launch.uai);
    if (!establishment && establishment.error().code != core::ErrorCode::kNotFound) {
      return detail::refuse(req, deps.refusals, kLog, establishment.error());
    }
    if (!establishment || establishment->ent_id != launch.ent_id) {
      return detail::refuse(req, deps.refusals, kLog,
                            err(core::ErrorCode::kNotFound, "establishment unknown for this ENT"),
                            "unknown_establishment");
    }
    auto found = deps.resources.find(lease->db(), launch.resource_id);
    if (!found) {
      return detail::refuse(req, deps.refusals, kLog, found.error(),
                            found.error().code == core::ErrorCode::kUnknownResource
                                ? "unknown_resource"
                                : std::string_view{});
    }
    resource = (*found)->resource;
    if (auto c = read->commit(); !c) {
      return detail::refuse(req, deps.refusals, kLog, c.error());
    }
  }
  const auto* peer = deps.publishers->findByPublisherId(resource.publisher_id);
  if (!peer) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kUnknownPeer, "the resource's publisher has no SP"),
                          "unknown_publisher");
  }

  const core::UnixTime now = deps.clock.now();
  auto token = sealLaunch(deps.sealer, launch, now + deps.state_lifetime_seconds);
  if (!token) {
    return detail::refuse(req, deps.refusals, kLog, token.error());
  }
  SetCookie cookie = detail::stateCookie(req, kLaunchCookie, std::move(token).value(),
                                         deps.state_lifetime_seconds);

  if (resource.launch_mode == policy::LaunchMode::kBounce && resource.login_url) {
    // (a) The GAR's way: the publisher's SP will send its AuthnRequest to /saml/idp/sso, where the
    // cookie names the ENT and the establishment.
    // On the request's own log line (ADR 0007: one line per request).
    Response r = Response::redirect(*resource.login_url, 302);
    r.log_fields = {{"step", "launch: bounce to the resource's login URL"},
                    {"publisher", resource.publisher_id},
                    {"resource", resource.id}};
    r.cookies.push_back(std::move(cookie));
    r.setHeader("Cache-Control", "no-store");
    return r;
  }
  // (b) Direct: an unsolicited Response to the publisher's default POST ACS, RelayState = the
  // resource URL. (A bounce resource without a login URL is launched this way too.)
  const saml::Endpoint* acs = peer->metadata.defaultAcs(saml::binding::kHttpPost);
  if (!acs || !connectors::publisher::isAcceptableAcsUrl(acs->location)) {
    // Refused before the ENT leg rather than after it (buildSuccessResponse checks it again).
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kUnknownPeer,
                              "the publisher's metadata has no acceptable HTTP-POST ACS"),
                          "unknown_publisher");
  }
  SsoTransaction tx;
  tx.ent_id = launch.ent_id;
  tx.uai = launch.uai;
  tx.resource_id = resource.id;
  tx.publisher_id = resource.publisher_id;
  tx.acs_url = acs->location;
  tx.relay_state = resource.url;
  tx.transient_name_id =
      connectors::publisher::answerNameIdFormat(nullptr, *peer) == saml::name_id_format::kTransient;
  std::vector<SetCookie> cookies;
  cookies.push_back(std::move(cookie));
  return detail::startEntLeg(req, deps.refusals, deps.ent_leg, std::move(tx), std::move(cookies));
}

std::optional<std::string> base64Param(const Request& req, std::string_view name) {
  const std::string* v = req.queryParam(name);
  if (!v) {
    return std::nullopt;
  }
  auto decoded = core::base64Decode(*v, 1024);
  if (!decoded) {
    return std::nullopt;
  }
  return std::move(decoded).value();
}

}  // namespace

Response handleLaunch(const Request& req, const LaunchDeps& deps) {
  LaunchState launch;
  if (const auto* v = req.pathParam("resourceId")) {
    launch.resource_id = *v;
  }
  if (const auto* v = req.queryParam("ent")) {
    launch.ent_id = *v;
  }
  if (const auto* v = req.queryParam("uai")) {
    launch.uai = *v;
  }
  return startLaunch(req, deps, launch);
}

Response handleDomaineGar(const Request& req, const LaunchDeps& deps) {
  // The GAR's form: idENT and idEtab base64; idRessource URL-encoded (already decoded by the HTTP
  // layer) or, newer, idSrc base64.
  LaunchState launch;
  auto ent = base64Param(req, "idENT");
  auto uai = base64Param(req, "idEtab");
  std::optional<std::string> resource;
  if (req.queryParam("idRessource") != nullptr && req.queryParam("idSrc") != nullptr) {
    // Two names for one thing: which one wins would differ between readers. Neither does.
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kBadRequest,
                              "domaineGar names its resource twice (idRessource and idSrc)"),
                          "conflicting_parameters");
  }
  if (const auto* v = req.queryParam("idRessource")) {
    resource = *v;
  } else {
    resource = base64Param(req, "idSrc");
  }
  if (!ent || !uai || !resource) {
    return detail::refuse(
        req, deps.refusals, kLog,
        err(core::ErrorCode::kBadRequest,
            "domaineGar needs base64 idENT and idEtab, and idRessource or idSrc"));
  }
  launch.ent_id = std::move(*ent);
  launch.uai = std::move(*uai);
  launch.resource_id = std::move(*resource);
  return startLaunch(req, deps, launch);
}

}  // namespace garde::broker::flows
