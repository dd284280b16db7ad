// GET, POST /saml/idp/sso (a publisher's AuthnRequest), GET, POST /discovery (which ENT?) and
// POST /saml/idp/return (a refusal page's way back to the publisher). docs/flows.md.
// handleIdpSso: parse and verify, read the store, decideSsoRoute (sso_decision.h), render.

#include "broker/flows/flows.h"
#include "broker/flows/internal.h"
#include "broker/flows/pages.h"
#include "broker/flows/sso_decision.h"
#include "core/crypto.h"
#include "core/encoding.h"
#include "saml/messages.h"
#include "store/db.h"
#include "store/publishers.h"

namespace garde::broker::flows {
namespace {

constexpr core::Logger kLog("flows.sso");

core::Error err(core::ErrorCode code, std::string detail) { return {code, std::move(detail)}; }

/// The ENT named by a hint: `ent` (idENT as is) or `idENT` (base64, the GAR's spelling).
std::optional<std::string> entHint(const Params& params) {
  if (auto it = params.find("ent"); it != params.end() && !it->second.empty()) {
    return it->second;
  }
  if (auto it = params.find("idENT"); it != params.end()) {
    auto decoded = core::base64Decode(it->second, 256);
    if (decoded && !decoded->empty()) {
      return std::move(decoded).value();
    }
  }
  return std::nullopt;
}

Response toDiscovery(const Request& req, const IdpSsoDeps& deps, const SsoTransaction& pending) {
  auto token = sealTransaction(deps.sealer, purpose::kDiscovery, pending,
                               deps.clock.now() + deps.state_lifetime_seconds);
  if (!token) {
    const ReturnState ret = detail::returnFor(pending);
    return detail::refuse(req, deps.refusals, kLog, token.error(), {}, &ret);
  }
  Response r = Response::redirect("/discovery?t=" + core::urlEncode(*token), 303);
  r.setHeader("Cache-Control", "no-store");
  return r;
}

/// The publisher's AuthnRequest, verified (readAuthnRequest: known issuer, signature, destination,
/// freshness, ACS from metadata) and taken once (the request replay cache).
core::Result<connectors::publisher::PublisherAuthnRequest> readPublisherRequest(
    const Request& req, const IdpSsoDeps& deps, core::UnixTime now, std::string_view& reason,
    connectors::publisher::AlgorithmRefusal& algorithm_refusal) {
  connectors::publisher::FormFields form;
  if (req.method == "POST") {
    auto fields = detail::samlFormFields(req);
    if (!fields) {
      return core::fail(std::move(fields).error());
    }
    form = std::move(fields).value();
  }
  auto ar = connectors::publisher::readAuthnRequest(
      req.method, detail::rawQuery(req), form, *deps.publishers, deps.idp, now, &algorithm_refusal);
  if (!ar) {
    // Refused for an algorithm an exception once allowed: say that the exception has expired.
    const auto* peer = algorithm_refusal.unverified.peer;
    if (ar.error().code == core::ErrorCode::kAlgorithmForbidden && peer != nullptr) {
      for (const auto& g : peer->algorithm_exceptions) {
        if (g.expires_at <= now) {
          kLog.warn("algorithm exception expired: the request is refused",
                    {{"request_id", req.request_id},
                     {"publisher", peer->publisher_id},
                     {"algorithm", std::string(saml::weakAlgorithmName(g.algorithm))},
                     {"expired", core::formatIso8601(g.expires_at)}});
        }
      }
    }
    return ar;
  }
  // Logged at every use: an exception is a debt with a date, and the log is its ledger.
  for (const saml::WeakAlgorithm used : ar->exceptions_used) {
    std::string expires;
    for (const auto& g : ar->peer->algorithm_exceptions) {
      if (g.algorithm == used) {
        expires = core::formatIso8601(g.expires_at);
      }
    }
    const std::string name(saml::weakAlgorithmName(used));
    kLog.warn("algorithm exception used",
              {{"request_id", req.request_id},
               {"publisher", ar->peer->publisher_id},
               {"algorithm", name},
               {"expires", expires}});
    deps.refusals.metrics.algorithmExceptionUsed(name);
  }
  // Each AuthnRequest is taken once while its IssueInstant is fresh enough to be accepted at all
  // (later readAuthnRequest refuses it as stale): a captured URL or a resubmitted form gets the
  // page only. A full cache (a flood of unsigned requests naming a publisher) lets requests
  // through unchecked rather than locking every publisher out.
  // Keyed by the ID's SHA-256 (44 characters in base64, however long the ID up to the 256
  // readAuthnRequest accepts): a full cache of unsigned requests stays small.
  const auto id_digest = core::sha256(ar->request.id);
  if (!id_digest) {
    return core::fail(core::ErrorCode::kInternal, "digest failed");
  }
  const std::string request_key =
      "AuthnRequest " + ar->peer->publisher_id + " " + core::base64Encode(*id_digest);
  const auto taken = deps.request_replay_cache.insert(
      request_key,
      ar->request.issue_instant + deps.idp.request_max_age_seconds + deps.idp.skew_seconds + 1,
      now);
  if (taken == saml::ReplayCache::Outcome::kReplay) {
    reason = "replayed_request";
    return core::fail(core::ErrorCode::kReplayed, "AuthnRequest ID already used by this publisher");
  }
  if (taken == saml::ReplayCache::Outcome::kUnavailable) {
    // Unlike a full cache (a flood this node can see), a shared cache that does not answer may
    // hide a replay taken on another node: fail closed.
    reason = "replay_cache_unavailable";
    return core::fail(core::ErrorCode::kReplayCacheUnavailable,
                      "AuthnRequest ID cannot be checked: the shared replay cache does not answer");
  }
  if (taken == saml::ReplayCache::Outcome::kFull) {
    kLog.warn("AuthnRequest replay cache full: request taken unchecked",
              {{"request_id", req.request_id}, {"publisher", ar->peer->publisher_id}});
  }
  return ar;
}

/// The refusal of a request signed with an algorithm we refuse, where it can be answered: the page
/// says which algorithm and what to configure instead, in French and English, and its button
/// returns Requester/RequestUnsupported to the publisher's ACS with the same words.
Response refuseAlgorithm(const Request& req, const IdpSsoDeps& deps, const core::Error& error,
                         const connectors::publisher::AlgorithmRefusal& refusal) {
  const auto& ar = refusal.unverified;
  const std::string instead_fr =
      refusal.instead.empty() ? std::string("un algorithme annoncé dans les métadonnées de garde")
                              : refusal.instead;
  const std::string instead_en = refusal.instead.empty()
                                     ? std::string("an algorithm listed in garde's metadata")
                                     : refusal.instead;
  std::vector<std::pair<std::string, std::string>> notes = {
      {"fr", "Pour l'administrateur du service : la demande est signée avec l'algorithme " +
                 refusal.algorithm + ", que garde refuse. Configurez à la place " + instead_fr +
                 " (les algorithmes acceptés sont annoncés dans les métadonnées de garde, "
                 "alg:SigningMethod et alg:DigestMethod)."},
      {"en", "For the service's administrator: the request is signed with " + refusal.algorithm +
                 ", which garde refuses. Configure " + instead_en +
                 " instead (the algorithms garde accepts are listed in its metadata, "
                 "alg:SigningMethod and alg:DigestMethod)."},
  };
  ReturnState ret;
  ret.publisher_id = ar.peer->publisher_id;
  ret.publisher_request_id = ar.request.id;
  ret.acs_url = ar.acs_url;
  ret.relay_state = ar.relay_state.value_or("");
  ret.saml_status = std::string(saml::status_code::kRequester);
  ret.saml_sub_status = std::string(saml::status_code::kRequestUnsupported);
  ret.saml_status_message = "signature algorithm " + refusal.algorithm + " refused; use " +
                            (refusal.instead.empty() ? std::string("SHA-256") : refusal.instead);
  return detail::refuse(req, deps.refusals, kLog, error, "algorithm_forbidden", &ret,
                        std::move(notes));
}

/// `transient`: the NameID the publisher gets (answerNameIdFormat, checked by the caller).
SsoTransaction transactionFor(const connectors::publisher::PublisherAuthnRequest& ar,
                              bool transient) {
  SsoTransaction tx;
  tx.publisher_id = ar.peer->publisher_id;
  tx.publisher_request_id = ar.request.id;
  tx.acs_url = ar.acs_url;
  tx.relay_state = ar.relay_state.value_or("");
  tx.force_authn = ar.request.force_authn;
  tx.is_passive = ar.request.is_passive;
  tx.transient_name_id = transient;
  return tx;
}

}  // namespace

Response handleIdpSso(const Request& req, const IdpSsoDeps& deps) {
  const core::UnixTime now = deps.clock.now();
  std::string_view read_reason;
  connectors::publisher::AlgorithmRefusal algorithm_refusal;
  auto ar = readPublisherRequest(req, deps, now, read_reason, algorithm_refusal);
  if (!ar && algorithm_refusal.unverified.peer != nullptr) {
    return refuseAlgorithm(req, deps, ar.error(), algorithm_refusal);
  }
  if (!ar) {
    // Nothing verified to answer to: the page only.
    return detail::refuse(req, deps.refusals, kLog, ar.error(), read_reason);
  }
  const auto name_id_format = connectors::publisher::answerNameIdFormat(&ar->request, *ar->peer);
  SsoTransaction tx =
      transactionFor(*ar, name_id_format && *name_id_format == saml::name_id_format::kTransient);
  const ReturnState ret = detail::returnFor(tx);
  if (!name_id_format) {
    // SAML2 Core 3.4.1.1: a NameID format we cannot give is answered at once, before the ENT leg.
    saml::Status status;
    status.code = std::string(saml::status_code::kRequester);
    status.sub_code = std::string(saml::status_code::kInvalidNameIdPolicy);
    status.message = "garde gives persistent (pseudonym) and transient NameIDs only";
    return detail::answerWithStatus(req, deps.refusals, deps.answer, *ar->peer, tx, now, status,
                                    "invalid_name_id_policy",
                                    "NameIDPolicy asks for a format or qualifier we cannot give");
  }

  SsoRouteInputs in;
  if (const std::string* cookie = req.cookie(kLaunchCookie)) {
    auto opened = unsealLaunch(deps.sealer, *cookie, now);
    if (opened) {
      in.launch = std::move(opened).value();
    } else {
      kLog.info("launch cookie ignored", {{"request_id", req.request_id},
                                          {"error", core::errorCodeName(opened.error().code)}});
    }
  }

  {
    auto lease = deps.db.acquire();
    if (!lease) {
      return detail::refuse(req, deps.refusals, kLog, lease.error(), {}, &ret);
    }
    // The cookie's resource and the resolution in one read transaction: one snapshot, and one
    // begin and end of a read (its locks) instead of one per statement.
    auto read = store::Transaction::begin(lease->db(), store::Transaction::Kind::kDeferred);
    if (!read) {
      return detail::refuse(req, deps.refusals, kLog, read.error(), {}, &ret);
    }
    if (in.launch) {
      // The cookie speaks for the tile that minted it: only its own resource's publisher may take
      // the ENT and establishment from it (a cross-site page can mint one for any tile, then send
      // the browser to another publisher).
      auto minted_for = deps.resources.find(lease->db(), in.launch->resource_id);
      if (!minted_for && minted_for.error().code == core::ErrorCode::kStoreError) {
        return detail::refuse(req, deps.refusals, kLog, minted_for.error(), {}, &ret);
      }
      if (!minted_for || (*minted_for)->resource.publisher_id != tx.publisher_id) {
        kLog.info("launch cookie of another publisher's resource ignored",
                  {{"request_id", req.request_id}, {"publisher", tx.publisher_id}});
        in.launch.reset();
      }
    }
    auto resource =
        detail::resolveResource(lease->db(), tx.publisher_id, tx.relay_state,
                                in.launch ? std::string_view(in.launch->resource_id) : "");
    if (!resource) {
      return detail::refuse(req, deps.refusals, kLog, resource.error(), "unknown_resource", &ret);
    }
    if (*resource) {
      tx.resource_id = (*resource)->id;
    }  // else several, none named: resolved at the ACS from the person's entitlements
    if (auto c = read->commit(); !c) {
      return detail::refuse(req, deps.refusals, kLog, c.error(), {}, &ret);
    }
  }

  in.hint = entHint(req.query);
  if (const std::string* remembered = req.cookie(kEntChoiceCookie)) {
    if (auto decoded = core::base64UrlDecode(*remembered); decoded) {
      in.remembered = std::move(decoded).value();
    }
  }
  in.is_passive = tx.is_passive;
  // The registry in force now (it may have been reloaded since the last request).
  std::vector<std::string> known_ents;
  known_ents.reserve(deps.ent_leg.ents->all().size());
  for (const auto& ent : deps.ent_leg.ents->all()) {
    known_ents.push_back(ent.ent_id);
  }
  in.known_ents = known_ents;
  SsoRoute route = decideSsoRoute(in);
  switch (route.next) {
    case SsoRoute::Next::kRefuse:
      return detail::refuse(req, deps.refusals, kLog, *route.error, route.reason, &ret);
    case SsoRoute::Next::kNoPassive:
      return detail::noPassive(req, deps.refusals, deps.answer, *ar->peer, tx, now, route.why);
    case SsoRoute::Next::kDiscovery:
      return toDiscovery(req, deps, tx);
    case SsoRoute::Next::kEntLeg:
      break;
  }
  tx.ent_id = std::move(route.ent_id);
  tx.uai = std::move(route.uai);
  return detail::startEntLeg(req, deps.refusals, deps.ent_leg, std::move(tx));
}

Response handleDiscovery(const Request& req, const DiscoveryDeps& deps) {
  const core::UnixTime now = deps.clock.now();
  const bool post = req.method == "POST";
  if (detail::crossSitePost(req)) {
    // The choice can be remembered for 90 days: another site must not make it for the user.
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kForbidden, "discovery posted from another site"),
                          "cross_site_post");
  }
  const Params& params = post ? req.form : req.query;
  const auto t = params.find("t");
  if (t == params.end()) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kBadRequest, "discovery without t"));
  }
  auto pending = unsealTransaction(deps.sealer, purpose::kDiscovery, t->second, now);
  if (!pending) {
    return detail::refuse(req, deps.refusals, kLog, pending.error(),
                          pending.error().code == core::ErrorCode::kExpired ? "expired_transaction"
                                                                            : std::string_view{});
  }
  SsoTransaction tx = std::move(pending).value();
  const ReturnState ret = detail::returnFor(tx);
  std::optional<std::string> chosen = entHint(params);
  if (chosen && !deps.ents->findByEntId(*chosen)) {
    if (post) {
      return detail::refuse(req, deps.refusals, kLog,
                            err(core::ErrorCode::kUnknownPeer, "unknown ENT chosen"), "unknown_ent",
                            &ret);
    }
    chosen.reset();
  }
  if (!chosen) {
    DiscoveryPage page;
    page.pending_token = t->second;
    page.correlation_id = req.request_id;
    for (const auto& ent : deps.ents->all()) {
      page.ents.emplace_back(ent.ent_id, ent.name);
    }
    Response r = Response::html(200, renderDiscovery(page));
    r.setHeader("Content-Security-Policy", std::string(kPageCsp));
    r.setHeader("Cache-Control", "no-store");
    return r;
  }
  tx.ent_id = *chosen;
  std::vector<SetCookie> cookies;
  const auto remember = params.find("remember");
  if (post && remember != params.end() && remember->second == "1") {
    cookies.push_back(detail::stateCookie(req, kEntChoiceCookie, core::base64UrlEncode(tx.ent_id),
                                          kEntChoiceMaxAge));
  }
  return detail::startEntLeg(req, deps.refusals, deps.ent_leg, std::move(tx), std::move(cookies));
}

Response handleReturn(const Request& req, const ReturnDeps& deps) {
  const core::UnixTime now = deps.clock.now();
  const std::string* t = req.formField("t");
  if (!t) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kBadRequest, "return without t"));
  }
  auto state = unsealReturn(deps.sealer, *t, now);
  if (!state) {
    return detail::refuse(req, deps.refusals, kLog, state.error());
  }
  const auto* peer = deps.publishers->findByPublisherId(state->publisher_id);
  if (!peer) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kUnknownPeer, "publisher gone"));
  }
  saml::Status status;
  status.code =
      state->saml_status.empty() ? std::string(saml::status_code::kResponder) : state->saml_status;
  status.sub_code = state->saml_sub_status;
  status.message = state->saml_status_message;
  auto post = connectors::publisher::buildErrorResponse(
      *peer, state->acs_url, state->publisher_request_id, status, state->relay_state,
      deps.answer.idp, deps.answer.random, now, detail::cspNonce(deps.answer.random));
  if (!post) {
    return detail::refuse(req, deps.refusals, kLog, post.error());
  }
  kLog.info("error Response to the publisher", {{"request_id", req.request_id},
                                                {"publisher", peer->publisher_id},
                                                {"response_id", post->response_id},
                                                {"status", status.describe()}});
  return detail::postForm(std::move(post).value());
}

}  // namespace garde::broker::flows
