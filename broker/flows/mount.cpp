#include <algorithm>
#include <stdexcept>

#include "broker/flows/admin_sign_in.h"
#include "broker/flows/flows.h"
#include "core/log.h"

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
  // HTTP caches keep it no longer than an hour; the document's cacheDuration says the rest.
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
  return {std::move(sp).value(), std::move(idp).value(), now};
}

MetadataPublisher::MetadataPublisher(const connectors::ent::SpSettings& sp,
                                     const connectors::publisher::IdpSettings& idp,
                                     const core::Clock& clock)
    : sp_(sp),
      idp_(idp),
      clock_(clock),
      current_(std::make_shared<const MetadataDocuments>(buildMetadata(sp, idp, clock.now()))) {}

std::shared_ptr<const MetadataDocuments> MetadataPublisher::current() const {
  const core::UnixTime now = clock_.now();
  std::lock_guard lock(mutex_);
  const std::int64_t cache = std::min(sp_.metadata_cache_seconds, idp_.metadata_cache_seconds);
  if (now - current_->made_at >= cache) {
    try {
      current_ = std::make_shared<const MetadataDocuments>(buildMetadata(sp_, idp_, now));
    } catch (const std::runtime_error& e) {
      // The previous documents stay valid until their validUntil; say so loudly meanwhile.
      core::Logger("flows.metadata").error("metadata not made again", {{"error", e.what()}});
    }
  }
  return current_;
}

namespace {

RefusalDeps refusalDeps(FlowServices& s) {
  return {.metrics = s.metrics, .clock = s.clock, .sealer = s.sealer, .settings = s.settings};
}

EntLegDeps entLegDeps(FlowServices& s) {
  return {.clock = s.clock,
          .random = s.random,
          .sealer = s.sealer,
          .ents = s.ents,
          .sp = s.sp,
          .state_lifetime_seconds = s.settings.state_lifetime_seconds};
}

PublisherAnswerDeps answerDeps(FlowServices& s) { return {.random = s.random, .idp = s.idp}; }

}  // namespace

LaunchDeps launchDeps(FlowServices& s) {
  return {.refusals = refusalDeps(s),
          .ent_leg = entLegDeps(s),
          .clock = s.clock,
          .sealer = s.sealer,
          .state_lifetime_seconds = s.settings.state_lifetime_seconds,
          .db = s.db,
          .resources = s.resources,
          .ents = s.ents,
          .publishers = s.publishers};
}

IdpSsoDeps idpSsoDeps(FlowServices& s) {
  return {.refusals = refusalDeps(s),
          .ent_leg = entLegDeps(s),
          .answer = answerDeps(s),
          .clock = s.clock,
          .sealer = s.sealer,
          .state_lifetime_seconds = s.settings.state_lifetime_seconds,
          .publishers = s.publishers,
          .idp = s.idp,
          .request_replay_cache = *s.request_replay_cache,
          .db = s.db,
          .resources = s.resources};
}

DiscoveryDeps discoveryDeps(FlowServices& s) {
  return {.refusals = refusalDeps(s),
          .ent_leg = entLegDeps(s),
          .clock = s.clock,
          .sealer = s.sealer,
          .ents = s.ents};
}

AcsDeps acsDeps(FlowServices& s) {
  return {.refusals = refusalDeps(s),
          .answer = answerDeps(s),
          .metrics = s.metrics,
          .clock = s.clock,
          .sealer = s.sealer,
          .state_lifetime_seconds = s.settings.state_lifetime_seconds,
          .ents = s.ents,
          .sp = s.sp,
          .publishers = s.publishers,
          .replay_cache = *s.replay_cache,
          .db = s.db,
          .resources = s.resources,
          .policies = s.policies,
          .pseudonyms = s.pseudonyms,
          .audit = s.audit,
          .audit_subjects = s.audit_subjects,
          .admin_sessions = &s.admin_sessions};
}

AdminLoginDeps adminLoginDeps(FlowServices& s) { return {refusalDeps(s), entLegDeps(s)}; }

AdminHomeDeps adminHomeDeps(FlowServices& s) { return {s.admin_sessions, s.db}; }

ReturnDeps returnDeps(FlowServices& s) {
  return {.refusals = refusalDeps(s),
          .answer = answerDeps(s),
          .clock = s.clock,
          .sealer = s.sealer,
          .publishers = s.publishers};
}

LogoutDeps logoutDeps(FlowServices& s) {
  return {.refusals = refusalDeps(s),
          .random = s.random,
          .clock = s.clock,
          .sealer = s.sealer,
          .state_lifetime_seconds = s.settings.state_lifetime_seconds,
          .ents = s.ents,
          .publishers = s.publishers,
          .sp = s.sp,
          .idp = s.idp,
          .request_replay_cache = *s.request_replay_cache,
          .db = s.db};
}

void mountMetadata(Router& router, std::shared_ptr<const MetadataPublisher> metadata) {
  router.get("/saml/sp/metadata", CallerAuth::kNone,
             [metadata](const Request&) { return metadataResponse(metadata->current()->sp); });
  router.get("/saml/idp/metadata", CallerAuth::kNone,
             [metadata](const Request&) { return metadataResponse(metadata->current()->idp); });
}

void mountLaunch(Router& router, const LaunchDeps& deps) {
  router.get("/launch/{resourceId}", CallerAuth::kNone,
             [deps](const Request& r) { return handleLaunch(r, deps); });
  router.get("/domaineGar", CallerAuth::kNone,
             [deps](const Request& r) { return handleDomaineGar(r, deps); });
}

void mountIdpSso(Router& router, const IdpSsoDeps& deps) {
  router.get("/saml/idp/sso", CallerAuth::kNone,
             [deps](const Request& r) { return handleIdpSso(r, deps); });
  router.post("/saml/idp/sso", CallerAuth::kNone,
              [deps](const Request& r) { return handleIdpSso(r, deps); });
}

void mountDiscovery(Router& router, const DiscoveryDeps& deps) {
  router.get("/discovery", CallerAuth::kNone,
             [deps](const Request& r) { return handleDiscovery(r, deps); });
  router.post("/discovery", CallerAuth::kNone,
              [deps](const Request& r) { return handleDiscovery(r, deps); });
}

void mountAcs(Router& router, const AcsDeps& deps) {
  router.post("/saml/sp/acs", CallerAuth::kNone,
              [deps](const Request& r) { return handleAcs(r, deps); });
  router.post("/saml/idp/choose", CallerAuth::kNone,
              [deps](const Request& r) { return handleChoose(r, deps); });
}

void mountReturn(Router& router, const ReturnDeps& deps) {
  router.post("/saml/idp/return", CallerAuth::kNone,
              [deps](const Request& r) { return handleReturn(r, deps); });
}

void mountLogout(Router& router, const LogoutDeps& deps) {
  router.get("/saml/sp/slo", CallerAuth::kNone,
             [deps](const Request& r) { return handleSpSlo(r, deps); });
  router.post("/saml/sp/slo", CallerAuth::kNone,
              [deps](const Request& r) { return handleSpSlo(r, deps); });
  router.get("/saml/idp/slo", CallerAuth::kNone,
             [deps](const Request& r) { return handleIdpSlo(r, deps); });
  router.post("/saml/idp/slo", CallerAuth::kNone,
              [deps](const Request& r) { return handleIdpSlo(r, deps); });
}

void mountFlows(Router& router, FlowServices& services) {
  // Each handler's deps are built once, here, and copied into its routes: immutable from now on.
  mountMetadata(router,
                std::make_shared<const MetadataPublisher>(services.sp, services.idp, services.clock));
  mountLaunch(router, launchDeps(services));
  mountIdpSso(router, idpSsoDeps(services));
  mountDiscovery(router, discoveryDeps(services));
  mountAcs(router, acsDeps(services));
  mountReturn(router, returnDeps(services));
  mountLogout(router, logoutDeps(services));
  mountAdminSignIn(router, adminLoginDeps(services), adminHomeDeps(services));
}

}  // namespace garde::broker::flows
