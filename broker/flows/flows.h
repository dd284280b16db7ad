#pragma once
/// @file The launch and SSO flows (docs/flows.md): plain Request -> Response functions over a
/// FlowContext, and the one call that mounts them.
///
///   GET  /saml/sp/metadata          our SP metadata (signed, generated once at mount)
///   GET  /saml/idp/metadata         our IdP metadata (signed, generated once at mount)
///   GET  /launch/{resourceId}       ?ent=&uai=            a médiacentre tile
///   GET  /domaineGar                ?idENT=&idEtab=&idRessource=|idSrc=   the GAR's form
///   GET, POST /saml/idp/sso         a publisher's AuthnRequest (Redirect or POST)
///   GET, POST /discovery            ENT choice for a publisher-initiated access
///   POST /saml/sp/acs               the ENT's Response
///   POST /saml/idp/return           a refusal page's "back to the publisher" (error Response)
///
/// Handlers are thread-safe (the context is) and never throw for bad input: every failure is a
/// refusal page with the request id, logged once, counted in garde_decisions_total.

#include <string>
#include <string_view>

#include "broker/flows/context.h"
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
/// How long the ENT choice is remembered (90 days).
inline constexpr std::int64_t kEntChoiceMaxAge = 90 * 86400;

Response handleLaunch(const Request& req, FlowContext& ctx);
Response handleDomaineGar(const Request& req, FlowContext& ctx);
Response handleIdpSso(const Request& req, FlowContext& ctx);
Response handleDiscovery(const Request& req, FlowContext& ctx);
Response handleAcs(const Request& req, FlowContext& ctx);
Response handleReturn(const Request& req, FlowContext& ctx);

/// Our two metadata documents, generated and signed once.
struct MetadataDocuments {
  std::string sp;
  std::string idp;
};
/// Throws std::runtime_error when a document cannot be built or signed (a start-up failure).
MetadataDocuments buildMetadata(const FlowContext& ctx);

/// Mounts every route above. Generates the metadata once (throws std::runtime_error on failure,
/// std::invalid_argument on a duplicate route). `ctx` must outlive the router.
void mountFlows(Router& router, FlowContext& ctx);

/// The civil day in Europe/Paris at `now` (EU summer time rule: UTC+2 from the last Sunday of
/// March 01:00 UTC to the last Sunday of October 01:00 UTC, else UTC+1): the "today" of
/// subscription validity.
policy::Date parisToday(core::UnixTime now);

}  // namespace garde::broker::flows
