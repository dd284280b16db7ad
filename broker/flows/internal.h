#pragma once
// Helpers shared by the flow handlers (not a public API).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/flows/deps.h"
#include "broker/flows/state.h"
#include "broker/request.h"
#include "core/log.h"
#include "store/publishers.h"

namespace garde::broker::flows::detail {

/// Logs (category `log`, request id, never personal data), counts, and renders the refusal page.
/// `reason` overrides the metrics label of mapError(); `ret` (a publisher asked) adds the button
/// that returns a SAML error Response to it.
/// `notes` are further paragraphs of the page (RefusalPage::notes). A `ret` whose SAML status is
/// already set keeps it (otherwise mapError's).
Response refuse(const Request& req, const RefusalDeps& deps, const core::Logger& log,
                const core::Error& error, std::string_view reason = {},
                const ReturnState* ret = nullptr,
                std::vector<std::pair<std::string, std::string>> notes = {});

/// The way back to the publisher whose request `tx` answers (its request, ACS and RelayState),
/// with mapError's status unless the caller sets one.
ReturnState returnFor(const SsoTransaction& tx);

/// A cookie carrying state: HttpOnly, Path=/, SameSite=None + Secure over TLS (the POST back from
/// a peer is cross-site), SameSite=Lax on plain loopback HTTP (browsers drop None without Secure).
SetCookie stateCookie(const Request& req, std::string_view name, std::string value,
                      std::int64_t max_age);

/// Seals the transaction into the RelayState of a signed AuthnRequest to the ENT and answers 302.
Response startEntLeg(const Request& req, const RefusalDeps& refusals, const EntLegDeps& deps,
                     SsoTransaction tx, std::vector<SetCookie> cookies = {});

/// The POST form to a publisher, with its CSP and no caching.
Response postForm(connectors::publisher::OutboundPost post);

/// A signed error Response with `status` to the publisher's request `tx`, posted at once (no page
/// of ours), counted as refused with `reason`; `why` goes to the log.
Response answerWithStatus(const Request& req, const RefusalDeps& refusals,
                          const PublisherAnswerDeps& answer,
                          const connectors::publisher::PublisherPeer& peer,
                          const SsoTransaction& tx, core::UnixTime now, const saml::Status& status,
                          std::string_view reason, std::string_view why);

/// The signed Responder/NoPassive answer to the publisher's IsPassive request `tx`, posted at once
/// (SAML2 Core 3.4.1: no page of ours). `why` goes to the log.
Response noPassive(const Request& req, const RefusalDeps& refusals,
                   const PublisherAnswerDeps& answer,
                   const connectors::publisher::PublisherPeer& peer, const SsoTransaction& tx,
                   core::UnixTime now, std::string_view why);

/// A POST that a browser says came from another site (Sec-Fetch-Site). Absent (older browsers,
/// scripts) is let through; our pages post to themselves, "same-origin".
bool crossSitePost(const Request& req);

/// A fresh CSP nonce (144 bits, base64).
std::string cspNonce(core::Random& random);

/// Form fields as one map; kBadRequest when SAMLResponse, SAMLRequest or RelayState is repeated
/// (a map would silently keep one of them).
core::Result<connectors::ent::FormFields> samlFormFields(const Request& req);

/// The raw query string of the request target ("" when none).
std::string_view rawQuery(const Request& req);

/// Which of `publisher_id`'s resources an SSO is for: the launch cookie's resource when it is the
/// publisher's and the RelayState is absent or its URL; else the resource whose URL is the
/// RelayState; else the launch cookie's resource; else the publisher's only resource. nullopt when
/// the publisher has several and nothing names one (an opaque RelayState): the ACS resolves it
/// from the person's entitlements. kUnknownResource when the publisher has no contracted resource.
core::Result<std::optional<store::Resource>> resolveResource(store::Db& db,
                                                             std::string_view publisher_id,
                                                             std::string_view relay_state,
                                                             std::string_view launch_resource);

}  // namespace garde::broker::flows::detail
