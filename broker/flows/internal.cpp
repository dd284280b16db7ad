#include "broker/flows/internal.h"

#include "broker/flows/errors.h"
#include "broker/flows/flows.h"
#include "broker/flows/pages.h"
#include "core/encoding.h"

namespace garde::broker::flows::detail {
namespace {

constexpr core::Logger kSsoLog("flows.sso");

}  // namespace

Response refuse(const Request& req, const RefusalDeps& deps, const core::Logger& log,
                const core::Error& error, std::string_view reason, const ReturnState* ret,
                std::vector<std::pair<std::string, std::string>> notes) {
  const ErrorMapping m = mapError(error.code);
  const std::string_view label = reason.empty() ? m.reason : reason;
  log.warn("refused", {{"request_id", req.request_id},
                       {"reason", label},
                       {"status", std::to_string(m.http_status)},
                       {"error", error.describe()}});
  deps.metrics.decision("refused", label);
  RefusalPage page{std::string(m.user_message), std::move(notes), deps.settings.contact,
                   req.request_id, std::nullopt};
  if (ret) {
    ReturnState r = *ret;
    if (r.saml_sub_status.empty() && r.saml_status.empty()) {
      r.saml_sub_status = m.saml_status.sub_code;
    }
    auto token =
        sealReturn(deps.sealer, r, deps.clock.now() + deps.settings.state_lifetime_seconds);
    if (token) {
      page.return_token = std::move(token).value();
    }
  }
  Response resp = Response::html(m.http_status, renderRefusal(page));
  resp.setHeader("Content-Security-Policy", std::string(kPageCsp));
  resp.setHeader("Cache-Control", "no-store");
  return resp;
}

ReturnState returnFor(const SsoTransaction& tx) {
  return ReturnState{
      tx.publisher_id, tx.publisher_request_id, tx.acs_url, tx.relay_state, {}, {}, {}};
}

SetCookie stateCookie(const Request& req, std::string_view name, std::string value,
                      std::int64_t max_age) {
  SetCookie c;
  c.name = std::string(name);
  c.value = std::move(value);
  c.path = "/";
  c.max_age = max_age;
  c.http_only = true;
  c.secure = req.is_tls;
  c.same_site = req.is_tls ? SameSite::kNone : SameSite::kLax;
  return c;
}

Response startEntLeg(const Request& req, const RefusalDeps& refusals, const EntLegDeps& deps,
                     SsoTransaction tx, std::vector<SetCookie> cookies) {
  const core::UnixTime now = deps.clock.now();
  const connectors::ent::EntPeer* ent = deps.ents->findByEntId(tx.ent_id);
  if (!ent) {
    return refuse(req, refusals, kSsoLog,
                  core::Error{core::ErrorCode::kUnknownPeer, "ENT not in the registry"},
                  "unknown_ent");
  }
  tx.ent_request_id = deps.random.newId();
  tx.ent_requested_at = now;
  // Bind the transaction to this browser: reuse its binding (other tabs may have transactions in
  // flight) or give it one.
  const std::string* existing = req.cookie(kBindingCookie);
  tx.browser_binding = (existing != nullptr && existing->size() == 22)
                           ? *existing
                           : core::base64UrlEncode(deps.random.bytes(16));
  cookies.push_back(
      stateCookie(req, kBindingCookie, tx.browser_binding, deps.state_lifetime_seconds));
  auto token = sealTransaction(deps.sealer, purpose::kSso, tx, now + deps.state_lifetime_seconds);
  if (!token) {
    return refuse(req, refusals, kSsoLog, token.error());
  }
  auto url = connectors::ent::buildEntAuthnRequest(*ent, deps.sp, tx.ent_request_id, *token, now,
                                                   {tx.force_authn, tx.is_passive});
  if (!url) {
    return refuse(req, refusals, kSsoLog, url.error());
  }
  Response r = Response::redirect(std::move(url).value(), 302);
  r.log_fields = {{"step", "AuthnRequest to the ENT"},
                  {"ent", tx.ent_id},
                  {"publisher", tx.publisher_id},
                  {"authn_request_id", tx.ent_request_id}};
  r.cookies = std::move(cookies);
  r.setHeader("Cache-Control", "no-store");
  return r;
}

Response answerWithStatus(const Request& req, const RefusalDeps& refusals,
                          const PublisherAnswerDeps& answer,
                          const connectors::publisher::PublisherPeer& peer,
                          const SsoTransaction& tx, core::UnixTime now, const saml::Status& status,
                          std::string_view reason, std::string_view why) {
  auto post = connectors::publisher::buildErrorResponse(
      peer, tx.acs_url, tx.publisher_request_id, status, tx.relay_state, answer.idp, answer.random,
      now, cspNonce(answer.random));
  if (!post) {
    return refuse(req, refusals, kSsoLog, post.error());
  }
  refusals.metrics.decision("refused", reason);
  std::string response_id = post->response_id;
  Response r = postForm(std::move(post).value());
  r.log_fields = {{"decision", std::string(reason)},
                  {"why", std::string(why)},
                  {"publisher", peer.publisher_id},
                  {"status", status.describe()},
                  {"response_id", std::move(response_id)}};
  return r;
}

Response noPassive(const Request& req, const RefusalDeps& refusals,
                   const PublisherAnswerDeps& answer,
                   const connectors::publisher::PublisherPeer& peer, const SsoTransaction& tx,
                   core::UnixTime now, std::string_view why) {
  saml::Status status;
  status.code = std::string(saml::status_code::kResponder);
  status.sub_code = std::string(saml::status_code::kNoPassive);
  return answerWithStatus(req, refusals, answer, peer, tx, now, status, "no_passive", why);
}

Response postForm(connectors::publisher::OutboundPost post) {
  Response r = Response::html(200, std::move(post.html));
  r.setHeader("Content-Security-Policy", std::move(post.content_security_policy));
  r.setHeader("Cache-Control", "no-cache, no-store");
  r.setHeader("Pragma", "no-cache");
  return r;
}

std::string cspNonce(core::Random& random) { return core::base64Encode(random.bytes(18)); }

core::Result<connectors::ent::FormFields> samlFormFields(const Request& req) {
  connectors::ent::FormFields out;
  for (const auto& [k, v] : req.form) {
    if (!out.emplace(k, v).second &&
        (k == "SAMLResponse" || k == "SAMLRequest" || k == "RelayState")) {
      return core::fail(core::ErrorCode::kBadRequest, "form field " + k + " is repeated");
    }
  }
  return out;
}

bool crossSitePost(const Request& req) {
  const std::string* site = req.header("sec-fetch-site");
  return req.method == "POST" && site != nullptr && *site != "same-origin" && *site != "none";
}

std::string_view rawQuery(const Request& req) {
  const std::string_view target = req.target;
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) {
    return {};
  }
  std::string_view query = target.substr(q + 1);
  if (const std::size_t hash = query.find('#'); hash != std::string_view::npos) {
    query = query.substr(0, hash);
  }
  return query;
}

core::Result<std::optional<store::Resource>> resolveResource(store::Db& db,
                                                             std::string_view publisher_id,
                                                             std::string_view relay_state,
                                                             std::string_view launch_resource) {
  // The common case (a bounce launch): the cookie names the resource and the publisher echoes its
  // URL, or nothing. One lookup.
  if (!launch_resource.empty()) {
    auto r = store::findResource(db, launch_resource);
    if (r && r->publisher_id == publisher_id && (relay_state.empty() || relay_state == r->url)) {
      return std::optional<store::Resource>(std::move(r).value());
    }
    if (!r && r.error().code == core::ErrorCode::kStoreError) {
      return core::fail(std::move(r).error());
    }
  }
  auto contracted = store::listContractedResources(db, publisher_id);
  if (!contracted) {
    return core::fail(std::move(contracted).error());
  }
  std::vector<store::Resource>& mine = *contracted;
  if (!relay_state.empty()) {
    for (auto& r : mine) {
      if (r.url == relay_state) {
        return std::optional<store::Resource>(std::move(r));
      }
    }
  }
  if (!launch_resource.empty()) {
    for (auto& r : mine) {
      if (r.id == launch_resource) {
        return std::optional<store::Resource>(std::move(r));
      }
    }
  }
  if (mine.size() == 1) {
    return std::optional<store::Resource>(std::move(mine.front()));
  }
  if (mine.empty()) {
    return core::fail(core::ErrorCode::kUnknownResource,
                      "the publisher has no contracted resource");
  }
  return std::optional<store::Resource>();
}

}  // namespace garde::broker::flows::detail
