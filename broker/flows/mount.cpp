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

MetadataDocuments buildMetadata(const FlowContext& ctx) {
  const core::UnixTime now = ctx.clock.now();
  auto sp = connectors::ent::spMetadata(ctx.sp, now);
  if (!sp) {
    throw std::runtime_error("cannot build the SP metadata: " + sp.error().describe());
  }
  auto idp = connectors::publisher::idpMetadata(ctx.idp, now);
  if (!idp) {
    throw std::runtime_error("cannot build the IdP metadata: " + idp.error().describe());
  }
  return {std::move(sp).value(), std::move(idp).value()};
}

void mountFlows(Router& router, FlowContext& ctx) {
  auto metadata = std::make_shared<const MetadataDocuments>(buildMetadata(ctx));
  router.get("/saml/sp/metadata", CallerAuth::kNone,
             [metadata](const Request&) { return metadataResponse(metadata->sp); });
  router.get("/saml/idp/metadata", CallerAuth::kNone,
             [metadata](const Request&) { return metadataResponse(metadata->idp); });
  FlowContext* c = &ctx;
  router.get("/launch/{resourceId}", CallerAuth::kNone,
             [c](const Request& r) { return handleLaunch(r, *c); });
  router.get("/domaineGar", CallerAuth::kNone,
             [c](const Request& r) { return handleDomaineGar(r, *c); });
  router.get("/saml/idp/sso", CallerAuth::kNone,
             [c](const Request& r) { return handleIdpSso(r, *c); });
  router.post("/saml/idp/sso", CallerAuth::kNone,
              [c](const Request& r) { return handleIdpSso(r, *c); });
  router.get("/discovery", CallerAuth::kNone,
             [c](const Request& r) { return handleDiscovery(r, *c); });
  router.post("/discovery", CallerAuth::kNone,
              [c](const Request& r) { return handleDiscovery(r, *c); });
  router.post("/saml/sp/acs", CallerAuth::kNone,
              [c](const Request& r) { return handleAcs(r, *c); });
  router.post("/saml/idp/return", CallerAuth::kNone,
              [c](const Request& r) { return handleReturn(r, *c); });
}

}  // namespace garde::broker::flows
