#pragma once
/// @file The launch and SSO flows (docs/flows.md): plain Request -> Response functions, each over
/// its own deps struct (broker/flows/deps.h), and the one call that mounts them.
///
///   GET  /saml/sp/metadata          our SP metadata (signed, generated once at mount)
///   GET  /saml/idp/metadata         our IdP metadata (signed, generated once at mount)
///   GET  /launch/{resourceId}       ?ent=&uai=            a médiacentre tile
///   GET  /domaineGar                ?idENT=&idEtab=&idRessource=|idSrc=   the GAR's form
///   GET, POST /saml/idp/sso         a publisher's AuthnRequest (Redirect or POST)
///   GET, POST /discovery            ENT choice for a publisher-initiated access
///   POST /saml/sp/acs               the ENT's Response
///   POST /saml/idp/choose           which of the publisher's resources (opaque RelayState)
///   POST /saml/idp/return           a refusal page's "back to the publisher" (error Response)
///   GET, POST /saml/sp/slo          single logout: the ENT's LogoutRequest or LogoutResponse
///   GET, POST /saml/idp/slo         single logout: a publisher's LogoutRequest or LogoutResponse
///
/// Every route is CallerAuth::kNone: the handlers verify the messages they are given. Handlers are
/// thread-safe (what their deps refer to is) and never throw for bad input: every failure is a
/// refusal page with the request id, logged once, counted in garde_decisions_total.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "broker/flows/deps.h"
#include "broker/flows/services.h"
#include "broker/request.h"
#include "broker/router.h"
#include "policy/date.h"

namespace garde::broker::flows {

/// The launch cookie (sealed LaunchState) and the remembered ENT choice.
inline constexpr std::string_view kLaunchCookie = "garde_launch";
inline constexpr std::string_view kEntChoiceCookie = "garde_ent";
/// The browser binding of SSO transactions (random, base64url; see
/// SsoTransaction::browser_binding).
inline constexpr std::string_view kBindingCookie = "garde_bind";
/// The session single logout reads (sealed LoginSession) and a logout in progress (sealed
/// LogoutRun), broker/flows/logout_state.h.
inline constexpr std::string_view kSessionCookie = "garde_session";
inline constexpr std::string_view kLogoutCookie = "garde_logout";
/// How long the ENT choice is remembered (90 days).
inline constexpr std::int64_t kEntChoiceMaxAge = 90 * 86400;

Response handleLaunch(const Request& req, const LaunchDeps& deps);
Response handleDomaineGar(const Request& req, const LaunchDeps& deps);
Response handleIdpSso(const Request& req, const IdpSsoDeps& deps);
Response handleDiscovery(const Request& req, const DiscoveryDeps& deps);
Response handleAcs(const Request& req, const AcsDeps& deps);
Response handleChoose(const Request& req, const AcsDeps& deps);
Response handleReturn(const Request& req, const ReturnDeps& deps);
Response handleSpSlo(const Request& req, const LogoutDeps& deps);
Response handleIdpSlo(const Request& req, const LogoutDeps& deps);

/// Each route's deps, lent from `services` (which must outlive them).
LaunchDeps launchDeps(FlowServices& services);
IdpSsoDeps idpSsoDeps(FlowServices& services);
DiscoveryDeps discoveryDeps(FlowServices& services);
AcsDeps acsDeps(FlowServices& services);
ReturnDeps returnDeps(FlowServices& services);
LogoutDeps logoutDeps(FlowServices& services);

/// Our two metadata documents, signed.
struct MetadataDocuments {
  std::string sp;
  std::string idp;
  core::UnixTime made_at = 0;
};
/// Throws std::runtime_error when a document cannot be built or signed (a start-up failure).
MetadataDocuments buildMetadata(const connectors::ent::SpSettings& sp,
                                const connectors::publisher::IdpSettings& idp, core::UnixTime now);

/// Our metadata as served: made at start, made again (validUntil moved on, signed again) once its
/// cacheDuration has passed, so that a broker running for months never serves an expired
/// document. A failure to make it again keeps the previous one and is logged. Thread-safe; `sp`,
/// `idp` and `clock` must outlive it.
class MetadataPublisher {
 public:
  /// Throws std::runtime_error when the first documents cannot be made.
  MetadataPublisher(const connectors::ent::SpSettings& sp,
                    const connectors::publisher::IdpSettings& idp, const core::Clock& clock);
  std::shared_ptr<const MetadataDocuments> current() const;

 private:
  const connectors::ent::SpSettings& sp_;
  const connectors::publisher::IdpSettings& idp_;
  const core::Clock& clock_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const MetadataDocuments> current_;
};

/// Mount one handler's routes (CallerAuth::kNone) with its deps, copied into the route: the
/// metadata (GET /saml/sp/metadata, /saml/idp/metadata), the launch (GET /launch/{resourceId},
/// /domaineGar), the IdP SSO (GET, POST /saml/idp/sso), the discovery (GET, POST /discovery), the
/// ACS (POST /saml/sp/acs, and POST /saml/idp/choose that ends its flow when the person picks a
/// resource), the way back to the publisher (POST /saml/idp/return). What a deps
/// struct refers to must outlive the router. A test mounts only what it exercises.
void mountMetadata(Router& router, std::shared_ptr<const MetadataPublisher> metadata);
void mountLaunch(Router& router, const LaunchDeps& deps);
void mountIdpSso(Router& router, const IdpSsoDeps& deps);
void mountDiscovery(Router& router, const DiscoveryDeps& deps);
void mountAcs(Router& router, const AcsDeps& deps);
void mountReturn(Router& router, const ReturnDeps& deps);
/// GET, POST /saml/sp/slo and /saml/idp/slo.
void mountLogout(Router& router, const LogoutDeps& deps);

/// Mounts every route above, each with the deps struct of its handler built once here from
/// `services`. Generates the metadata once (throws std::runtime_error on failure,
/// std::invalid_argument on a duplicate route). `services` must outlive the router.
void mountFlows(Router& router, FlowServices& services);

/// The civil day in Europe/Paris at `now` (EU summer time rule: UTC+2 from the last Sunday of
/// March 01:00 UTC to the last Sunday of October 01:00 UTC, else UTC+1): the "today" of
/// subscription validity.
policy::Date parisToday(core::UnixTime now);

}  // namespace garde::broker::flows
