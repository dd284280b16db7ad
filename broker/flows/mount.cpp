#include <stdexcept>

#include "broker/flows/flows.h"

namespace garde::broker::flows {
namespace {

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

/// Days since the epoch of the last Sunday of a 31-day month.
std::int64_t lastSunday(int year, int month) {
  const std::int64_t d = policy::Date::fromCivil(year, month, 31)->daysSinceEpoch();
  const std::int64_t weekday = ((d % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday; Sunday = 0
  return d - weekday;
}

Response metadataResponse(const std::string& xml) {
  Response r;
  r.status = 200;
  r.body = xml;
  r.setHeader("Content-Type", "application/samlmetadata+xml");
  r.setHeader("Cache-Control", "public, max-age=3600");
  return r;
}

}  // namespace

policy::Date parisToday(core::UnixTime now) {
  const policy::Date utc_day = policy::Date::fromDays(floorDiv(now, 86400));
  const int year = std::stoi(utc_day.format().substr(0, 4));
  const core::UnixTime summer_from = lastSunday(year, 3) * 86400 + 3600;
  const core::UnixTime summer_until = lastSunday(year, 10) * 86400 + 3600;
  const std::int64_t offset = now >= summer_from && now < summer_until ? 7200 : 3600;
  return policy::Date::fromDays(floorDiv(now + offset, 86400));
}

MetadataDocuments buildMetadata(const connectors::ent::SpSettings& sp_settings,
                                const connectors::publisher::IdpSettings& idp_settings,
                                core::UnixTime now) {
  auto sp = connectors::ent::spMetadata(sp_settings, now);
  if (!sp) {
    throw std::runtime_error("cannot build the SP metadata: " + sp.error().describe());
  }
  auto idp = connectors::publisher::idpMetadata(idp_settings, now);
  if (!idp) {
    throw std::runtime_error("cannot build the IdP metadata: " + idp.error().describe());
  }
  return {std::move(sp).value(), std::move(idp).value()};
}

namespace {

RefusalDeps refusalDeps(FlowServices& s) { return {s.metrics, s.clock, s.sealer, s.settings}; }

EntLegDeps entLegDeps(FlowServices& s) {
  return {s.clock, s.random, s.sealer, s.ents, s.sp, s.settings.state_lifetime_seconds};
}

PublisherAnswerDeps answerDeps(FlowServices& s) { return {s.random, s.idp}; }

std::vector<std::string> entIds(const connectors::ent::EntRegistry& ents) {
  std::vector<std::string> out;
  for (const auto& ent : ents.all()) {
    out.push_back(ent.ent_id);
  }
  return out;
}

}  // namespace

LaunchDeps launchDeps(FlowServices& s) {
  return {refusalDeps(s), entLegDeps(s), s.clock, s.sealer,    s.settings.state_lifetime_seconds,
          s.db,           s.resources,   s.ents,  s.publishers};
}

IdpSsoDeps idpSsoDeps(FlowServices& s) {
  return {refusalDeps(s), entLegDeps(s),
          answerDeps(s),  s.clock,
          s.sealer,       s.settings.state_lifetime_seconds,
          s.publishers,   s.idp,
          entIds(s.ents), s.request_replay_cache,
          s.db,           s.resources};
}

DiscoveryDeps discoveryDeps(FlowServices& s) {
  return {refusalDeps(s), entLegDeps(s), s.clock, s.sealer, s.ents};
}

AcsDeps acsDeps(FlowServices& s) {
  return {refusalDeps(s), answerDeps(s), s.metrics,
          s.clock,        s.sealer,      s.settings.state_lifetime_seconds,
          s.ents,         s.sp,          s.publishers,
          s.replay_cache, s.db,          s.resources,
          s.policies,     s.pseudonyms,  s.audit};
}

ReturnDeps returnDeps(FlowServices& s) {
  return {refusalDeps(s), answerDeps(s), s.clock, s.sealer, s.publishers};
}

void mountFlows(Router& router, FlowServices& services) {
  auto metadata = std::make_shared<const MetadataDocuments>(
      buildMetadata(services.sp, services.idp, services.clock.now()));
  router.get("/saml/sp/metadata", CallerAuth::kNone,
             [metadata](const Request&) { return metadataResponse(metadata->sp); });
  router.get("/saml/idp/metadata", CallerAuth::kNone,
             [metadata](const Request&) { return metadataResponse(metadata->idp); });
  // Each handler's deps are built once, here, and copied into its route: immutable from now on.
  const LaunchDeps launch = launchDeps(services);
  router.get("/launch/{resourceId}", CallerAuth::kNone,
             [launch](const Request& r) { return handleLaunch(r, launch); });
  router.get("/domaineGar", CallerAuth::kNone,
             [launch](const Request& r) { return handleDomaineGar(r, launch); });
  const IdpSsoDeps sso = idpSsoDeps(services);
  router.get("/saml/idp/sso", CallerAuth::kNone,
             [sso](const Request& r) { return handleIdpSso(r, sso); });
  router.post("/saml/idp/sso", CallerAuth::kNone,
              [sso](const Request& r) { return handleIdpSso(r, sso); });
  const DiscoveryDeps discovery = discoveryDeps(services);
  router.get("/discovery", CallerAuth::kNone,
             [discovery](const Request& r) { return handleDiscovery(r, discovery); });
  router.post("/discovery", CallerAuth::kNone,
              [discovery](const Request& r) { return handleDiscovery(r, discovery); });
  router.post("/saml/sp/acs", CallerAuth::kNone,
              [acs = acsDeps(services)](const Request& r) { return handleAcs(r, acs); });
  router.post("/saml/idp/return", CallerAuth::kNone,
              [ret = returnDeps(services)](const Request& r) { return handleReturn(r, ret); });
}

}  // namespace garde::broker::flows
