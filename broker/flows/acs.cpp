// POST /saml/sp/acs: the ENT's Response ends the ENT leg; the broker decides and answers the
// publisher (docs/flows.md, "Life of a launch" steps 4 to 7). Parse, then the pure decisions of
// acs_decision.h, then render. POST /saml/idp/choose: the person's choice among the publisher's
// resources, when its request named none (an opaque RelayState), then the same release.

#include <algorithm>

#include "broker/flows/acs_decision.h"
#include "broker/flows/admin_sign_in.h"
#include "broker/flows/entitlement.h"
#include "broker/flows/flows.h"
#include "broker/flows/internal.h"
#include "broker/flows/logout_state.h"
#include "broker/flows/pages.h"
#include "core/crypto.h"
#include "policy/release.h"
#include "store/audit.h"
#include "store/directory.h"
#include "store/launch.h"
#include "store/policy_store.h"
#include "store/publishers.h"

namespace garde::broker::flows {
namespace {

constexpr core::Logger kLog("flows.acs");

core::Error err(core::ErrorCode code, std::string detail) { return {code, std::move(detail)}; }

/// The session's establishment when the publisher came without a launch cookie: the person's only
/// establishment in their ENT, else the first (in UAI order) where they are entitled to the
/// resource, else the first (whose refusal is then reported). kUnknownUser when the ENT has no such
/// person, kNotEntitled when they have no profile there. `inputs` keeps the launch inputs read for
/// the chosen establishment, when choosing needed them, so that they are not read twice.
core::Result<std::string> pickEstablishment(store::Db& db, const std::string& ent_id,
                                            const std::string& person_id,
                                            const std::string& resource_id, policy::Date today,
                                            store::ResourceCache& resources,
                                            std::optional<store::LaunchInputs>& inputs) {
  // One query for the person's establishments at this ENT (not one per establishment of the ENT).
  auto listed = store::listPersonEstablishments(db, ent_id, person_id);
  if (!listed) {
    return core::fail(std::move(listed).error());  // unknown user, store error
  }
  const std::vector<std::string>& candidates = *listed;
  if (candidates.empty()) {
    return core::fail(core::ErrorCode::kNotEntitled,
                      "the person has no profile in any establishment of the ENT");
  }
  if (candidates.size() > 1) {
    for (const auto& uai : candidates) {
      auto in = store::loadLaunchInputs(db, ent_id, person_id, uai, resource_id, std::nullopt,
                                        &resources);
      if (in &&
          policy::checkEntitlement(in->person, in->contract, in->subscriptions, today).refusal ==
              policy::Refusal::kNone) {
        inputs = std::move(in).value();
        return uai;
      }
    }
  }
  return candidates.front();
}

// An ENT Response is accepted only within its SSO transaction (InResponseTo is bound to the
// request sealed in it, and an expired transaction is refused), so its assertion ID need not be
// remembered past the transaction's end plus the skew, however long the ENT made the assertion
// valid: this bounds the replay cache's memory by the launch rate.
class TransactionBoundReplay final : public saml::ReplayCache {
 public:
  TransactionBoundReplay(saml::ReplayCache& inner, core::UnixTime until)
      : inner_(inner), until_(until) {}
  Outcome insert(std::string_view id, core::UnixTime expires, core::UnixTime now) override {
    return inner_.insert(id, std::min(expires, until_), now);
  }

 private:
  saml::ReplayCache& inner_;
  core::UnixTime until_;
};

/// Reads everything the decision needs in one read transaction: one snapshot of the database, and
/// one BEGIN/COMMIT for the whole launch rather than one per query. It ends before the caller
/// writes an audit row (a read transaction upgraded to a write would fail when another connection
/// wrote meanwhile).
DecisionReads readDecisionInputs(const AcsDeps& deps, store::Db& db, const SsoTransaction& tx,
                                 const std::string& person_id, policy::Date today) {
  DecisionReads out;
  auto begun = store::Transaction::begin(db, store::Transaction::Kind::kDeferred);
  if (!begun) {
    out.error = std::move(begun).error();
    return out;
  }
  store::Transaction read = std::move(begun).value();
  out.uai = tx.uai;
  if (out.uai.empty()) {
    auto picked = pickEstablishment(db, tx.ent_id, person_id, tx.resource_id, today, deps.resources,
                                    out.inputs);
    if (!picked) {
      out.error = std::move(picked).error();
      out.audit_refusal = true;
      return out;
    }
    out.uai = std::move(picked).value();
  }
  if (!out.inputs) {
    auto loaded = store::loadLaunchInputs(db, tx.ent_id, person_id, out.uai, tx.resource_id,
                                          std::nullopt, &deps.resources);
    if (!loaded) {
      out.error = std::move(loaded).error();
      out.audit_refusal = true;
      return out;
    }
    out.inputs = std::move(loaded).value();
  }
  const store::LaunchInputs& inputs = *out.inputs;
  if (inputs.resource.publisher_id != tx.publisher_id) {
    out.error =
        err(core::ErrorCode::kUnknownResource, "the resource no longer belongs to the publisher");
    out.reason = "unknown_resource";
    return out;
  }
  auto snapshot = deps.policies.current(db);
  if (!snapshot) {
    out.error = std::move(snapshot).error();
    return out;
  }
  if (auto c = read.commit(); !c) {
    out.error = std::move(c).error();
    return out;
  }
  out.policy = std::move(snapshot).value();
  return out;
}

/// The session cookie single logout reads (docs/single-logout.md), with `peer` and the NameID and
/// SessionIndex it is about to receive: added to the browser's session when that session is the
/// same person at the same ENT, else a new session. nullopt (and logged) when it cannot be sealed:
/// the release goes on, without single logout for it.
std::optional<SetCookie> sessionCookie(const Request& req, const AcsDeps& deps,
                                       const SsoTransaction& tx,
                                       const connectors::ent::EntIdentity& identity,
                                       const connectors::publisher::PublisherPeer& peer,
                                       const connectors::publisher::AssertionContent& content,
                                       core::UnixTime now) {
  LoginSession session;
  if (const std::string* cookie = req.cookie(kSessionCookie)) {
    if (auto opened = unsealSession(deps.sealer, *cookie, now);
        opened && opened->ent_id == tx.ent_id && opened->ent_name_id == identity.name_id) {
      session = std::move(opened).value();
    }
  }
  session.ent_id = tx.ent_id;
  session.ent_name_id = identity.name_id;
  if (!identity.session_index.empty()) {
    session.ent_session_index = identity.session_index;
  }
  // The NameID exactly as buildSuccessResponse writes it.
  rememberPublisher(session, SessionPublisher{tx.publisher_id,
                                              saml::NameID{content.pseudonym,
                                                           content.name_id_format,
                                                           deps.answer.idp.entity_id,
                                                           peer.metadata.entity_id},
                                              content.session_index});
  const std::int64_t lifetime = deps.refusals.settings.session_lifetime_seconds;
  auto token = sealSession(deps.sealer, session, now + lifetime);
  if (!token) {
    kLog.warn("session cookie not written: no single logout for this release",
              {{"request_id", req.request_id}, {"error", token.error().describe()}});
    return std::nullopt;
  }
  return detail::stateCookie(req, kSessionCookie, std::move(token).value(), lifetime);
}

/// Writes the decision's audit record, then answers: the refusal page, or the signed assertion
/// posted to the publisher.
Response renderRelease(const Request& req, const AcsDeps& deps, const SsoTransaction& tx,
                       const connectors::ent::EntIdentity& identity,
                       const connectors::publisher::PublisherPeer& peer, ReleaseDecision decision,
                       const ReturnState* offer, core::UnixTime now) {
  if (decision.audit) {
    // Who the row is about, as a keyed digest (a subject-access export finds it; nobody else can).
    decision.audit->subject = deps.audit_subjects.of(tx.ent_id, identity.person_id);
    if (auto w = deps.audit.write(*decision.audit); !w) {
      if (decision.audit_required) {
        // No release that cannot be accounted for.
        return detail::refuse(req, deps.refusals, kLog, w.error(), "audit_failed", offer);
      }
      kLog.error("audit record not written",
                 {{"request_id", req.request_id}, {"error", w.error().describe()}});
    }
  }
  if (decision.refusal) {
    return detail::refuse(req, deps.refusals, kLog, *decision.refusal, decision.reason, offer);
  }
  connectors::publisher::AssertionContent& content = decision.content;
  if (content.pseudonym.empty() || tx.transient_name_id) {
    // A transient NameID where the publisher asked for one (the pseudonym still goes in IDO where
    // the contract declares it), and where the contract does not declare IDO: the NameID must not
    // carry an identifier the publisher was not granted, so it gets a one-time value.
    content.pseudonym = deps.answer.random.newId();
    content.name_id_format = std::string(saml::name_id_format::kTransient);
  }
  content.session_index = deps.answer.random.newId();
  std::optional<SetCookie> session =
      sessionCookie(req, deps, tx, identity, peer, content, now);
  auto post = connectors::publisher::buildSuccessResponse(
      peer, tx.acs_url, tx.publisher_request_id, content, tx.relay_state, deps.answer.idp,
      deps.answer.random, now, detail::cspNonce(deps.answer.random));
  if (!post) {
    return detail::refuse(req, deps.refusals, kLog, post.error(), {}, offer);
  }
  deps.metrics.decision("released", "ok");
  std::string response_id = post->response_id;
  Response r = detail::postForm(std::move(post).value());
  if (session) {
    r.cookies.push_back(std::move(*session));
  }
  r.log_fields = {{"decision", "released"},
                  {"ent", tx.ent_id},
                  {"publisher", tx.publisher_id},
                  {"resource", tx.resource_id},
                  {"ent_response_id", identity.response_id},
                  {"response_id", std::move(response_id)},
                  {"policy_version", decision.policy_version}};
  return r;
}

/// The request, parsed: the ENT's form and the sealed transaction it answers, from the browser
/// that started it.
struct AcsRequest {
  connectors::ent::FormFields form;
  SsoTransaction tx;
};

/// Reads the form, opens the transaction in RelayState and checks the browser binding. The error
/// and its label on a refusal (nothing in an unopened transaction can be trusted, not even where
/// to send an error).
core::Result<AcsRequest> parseAcsRequest(const Request& req, const core::TokenSealer& sealer,
                                         core::UnixTime now, std::string_view& reason) {
  auto form = detail::samlFormFields(req);
  if (!form) {
    return core::fail(std::move(form).error());
  }
  const auto relay = form->find("RelayState");
  if (relay == form->end()) {
    return core::fail(core::ErrorCode::kBadRequest, "Response without RelayState");
  }
  auto opened = unsealTransaction(sealer, purpose::kSso, relay->second, now);
  if (!opened) {
    reason = opened.error().code == core::ErrorCode::kExpired ? "expired_transaction"
                                                              : "bad_transaction";
    return core::fail(std::move(opened).error());
  }
  // Login CSRF: a valid (Response, RelayState) pair of one user posted from another browser would
  // sign that browser in as the first user. The ENT leg set the binding cookie in the browser that
  // started it; only that browser may finish it.
  const std::string* binding = req.cookie(kBindingCookie);
  if (binding == nullptr || !core::constantTimeEqual(*binding, opened->browser_binding)) {
    reason = "browser_mismatch";
    return core::fail(core::ErrorCode::kForbidden,
                      "the SSO transaction was started in another browser (binding cookie "
                      "missing or different)");
  }
  return AcsRequest{std::move(form).value(), std::move(opened).value()};
}

/// Says where the identifier was read (a transient NameID matches nobody), never its value.
void explainUnknownUser(core::Error& error, const connectors::ent::EntIdentity& identity) {
  if (error.code == core::ErrorCode::kUnknownUser) {
    error.detail +=
        "; identifier source: " + identity.source + ", NameID format " +
        (identity.name_id_format.empty() ? std::string("(none)") : identity.name_id_format);
  }
}

/// The release for an authenticated person whose transaction names its resource: read, decide,
/// audit, answer.
Response release(const Request& req, const AcsDeps& deps, const SsoTransaction& tx,
                 const connectors::ent::EntIdentity& identity,
                 const connectors::publisher::PublisherPeer& peer, const ReturnState* offer,
                 core::UnixTime now) {
  const policy::Date today = parisToday(now);
  DecisionReads reads;
  {
    auto lease = deps.db.acquire();
    if (!lease) {
      return detail::refuse(req, deps.refusals, kLog, lease.error(), {}, offer);
    }
    reads = readDecisionInputs(deps, lease->db(), tx, identity.person_id, today);
  }
  if (reads.error) {
    explainUnknownUser(*reads.error, identity);
  }
  ReleaseDecision decision =
      decideRelease(tx, identity, reads, deps.pseudonyms, today, req.request_id, now);
  return renderRelease(req, deps, tx, identity, peer, std::move(decision), offer, now);
}

/// The page where the person picks one of `choices` (two or more); its form posts a sealed
/// ChoiceState to /saml/idp/choose, its other button returns RequestDenied to the publisher.
Response choicePage(const Request& req, const AcsDeps& deps, const SsoTransaction& tx,
                    const connectors::ent::EntIdentity& identity,
                    const std::vector<EntitledResource>& choices, const ReturnState& ret,
                    core::UnixTime now) {
  ChoiceState state;
  state.tx = tx;
  state.person_id = identity.person_id;
  state.authn_instant = identity.authn_instant;
  state.authn_context_class_ref = identity.authn_context_class_ref;
  state.ent_response_id = identity.response_id;
  state.ent_name_id = identity.name_id;
  state.ent_session_index = identity.session_index;
  ReturnState cancel = ret;
  cancel.saml_status = std::string(saml::status_code::kResponder);
  cancel.saml_sub_status = std::string(saml::status_code::kRequestDenied);
  cancel.saml_status_message = "the user chose no resource";
  const core::UnixTime expires = now + deps.state_lifetime_seconds;
  auto token = sealChoice(deps.sealer, state, expires);
  auto back = sealReturn(deps.sealer, cancel, expires);
  if (!token || !back) {
    return detail::refuse(req, deps.refusals, kLog, !token ? token.error() : back.error(), {},
                          &ret);
  }
  ResourceChoicePage page;
  page.choice_token = std::move(token).value();
  page.return_token = std::move(back).value();
  page.correlation_id = req.request_id;
  page.publisher_name = "Le site de la ressource";
  for (const auto& c : choices) {
    page.resources.emplace_back(c.resource.id, c.resource.name);
  }
  {
    auto lease = deps.db.acquire();
    if (lease) {
      if (auto publisher = store::findPublisher(lease->db(), tx.publisher_id); publisher) {
        page.publisher_name = publisher->name;
      }
    }
  }
  kLog.info("resource choice shown", {{"request_id", req.request_id},
                                      {"publisher", tx.publisher_id},
                                      {"choices", std::to_string(choices.size())}});
  Response r = Response::html(200, renderResourceChoice(page));
  r.setHeader("Content-Security-Policy", std::string(kPageCsp));
  r.setHeader("Cache-Control", "no-store");
  return r;
}

}  // namespace

Response handleAcs(const Request& req, const AcsDeps& deps) {
  const core::UnixTime now = deps.clock.now();
  std::string_view parse_reason;
  auto parsed = parseAcsRequest(req, deps.sealer, now, parse_reason);
  if (!parsed) {
    return detail::refuse(req, deps.refusals, kLog, parsed.error(), parse_reason);
  }
  SsoTransaction& tx = parsed->tx;
  const ReturnState ret = detail::returnFor(tx);
  const ReturnState* offer = tx.publisher_request_id ? &ret : nullptr;

  const connectors::ent::EntPeer* ent = deps.ents->findByEntId(tx.ent_id);
  if (!ent) {
    return detail::refuse(req, deps.refusals, kLog, err(core::ErrorCode::kUnknownPeer, "ENT gone"),
                          "unknown_ent", offer);
  }
  TransactionBoundReplay replay(
      deps.replay_cache, tx.ent_requested_at + deps.state_lifetime_seconds + deps.sp.skew_seconds);
  const auto identity = connectors::ent::consumeEntResponse(parsed->form, *ent, deps.sp,
                                                            tx.ent_request_id, now, replay);
  if (tx.admin_login) {
    return finishAdminSignIn(req, deps, tx, identity, now);
  }
  const auto* peer = deps.publishers->findByPublisherId(tx.publisher_id);
  const EntAnswerAssessment answer =
      assessEntAnswer(tx, identity, deps.sp.skew_seconds, peer != nullptr);
  switch (answer.next) {
    case EntAnswerAssessment::Next::kNoPassive:
      return detail::noPassive(req, deps.refusals, deps.answer, *peer, tx, now, answer.why);
    case EntAnswerAssessment::Next::kRefuse:
      return detail::refuse(req, deps.refusals, kLog, *answer.error, answer.reason, offer);
    case EntAnswerAssessment::Next::kDecide:
      break;
  }

  if (tx.resource_id.empty()) {
    // The publisher's request named none of its resources (an opaque RelayState): the one the
    // person is entitled to, a choice among several, a refusal when none.
    core::Result<std::vector<EntitledResource>> found = core::fail(core::ErrorCode::kInternal, "");
    {
      auto lease = deps.db.acquire();
      if (!lease) {
        return detail::refuse(req, deps.refusals, kLog, lease.error(), {}, offer);
      }
      found = entitledResources(lease->db(), deps.resources, *deps.publishers, tx.ent_id,
                                identity->person_id, tx.uai, parisToday(now), tx.publisher_id);
    }
    if (!found) {
      core::Error error = found.error();
      explainUnknownUser(error, *identity);
      return detail::refuse(req, deps.refusals, kLog, error, {}, offer);
    }
    if (found->empty()) {
      return detail::refuse(req, deps.refusals, kLog,
                            err(core::ErrorCode::kNotEntitled,
                                "the publisher's request names no resource, and the person is "
                                "entitled to none of its resources"),
                            "no_entitled_resource", offer);
    }
    if (found->size() > 1) {
      if (tx.is_passive) {
        return detail::noPassive(req, deps.refusals, deps.answer, *peer, tx, now,
                                 "several resources to choose from, and no page may be shown");
      }
      return choicePage(req, deps, tx, *identity, *found, ret, now);
    }
    tx.resource_id = found->front().resource.id;
    if (tx.uai.empty()) {
      tx.uai = found->front().uai;
    }
  }
  return release(req, deps, tx, *identity, *peer, offer, now);
}

Response handleChoose(const Request& req, const AcsDeps& deps) {
  const core::UnixTime now = deps.clock.now();
  if (detail::crossSitePost(req)) {
    return detail::refuse(
        req, deps.refusals, kLog,
        err(core::ErrorCode::kForbidden, "resource choice posted from another site"),
        "cross_site_post");
  }
  const std::string* t = req.formField("t");
  const std::string* chosen = req.formField("resource");
  if (t == nullptr || chosen == nullptr || chosen->empty()) {
    return detail::refuse(
        req, deps.refusals, kLog,
        err(core::ErrorCode::kBadRequest, "resource choice without t or resource"));
  }
  auto opened = unsealChoice(deps.sealer, *t, now);
  if (!opened) {
    return detail::refuse(req, deps.refusals, kLog, opened.error(),
                          opened.error().code == core::ErrorCode::kExpired ? "expired_transaction"
                                                                           : "bad_transaction");
  }
  ChoiceState& state = *opened;
  const ReturnState ret = detail::returnFor(state.tx);
  // The page was shown to the browser that finished the ENT leg; only it may choose.
  const std::string* binding = req.cookie(kBindingCookie);
  if (binding == nullptr || !core::constantTimeEqual(*binding, state.tx.browser_binding)) {
    return detail::refuse(
        req, deps.refusals, kLog,
        err(core::ErrorCode::kForbidden, "the resource choice was shown in another browser"),
        "browser_mismatch");
  }
  // One choice per authentication: the page's form, posted again, releases nothing more.
  const auto taken =
      deps.replay_cache.insert("choice " + state.tx.ent_request_id,
                               now + deps.state_lifetime_seconds + deps.sp.skew_seconds, now);
  if (taken == saml::ReplayCache::Outcome::kReplay) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kReplayed,
                              "resource choice already made for this authentication"),
                          "replayed_choice", &ret);
  }
  if (taken != saml::ReplayCache::Outcome::kFirstUse) {
    const bool full = taken == saml::ReplayCache::Outcome::kFull;
    return detail::refuse(
        req, deps.refusals, kLog,
        err(full ? core::ErrorCode::kReplayCacheFull : core::ErrorCode::kReplayCacheUnavailable,
            full ? "resource choice cannot be remembered: replay cache full"
                 : "resource choice cannot be checked: the shared replay cache does not answer"),
        full ? "replay_cache_full" : "replay_cache_unavailable", &ret);
  }
  const auto* peer = deps.publishers->findByPublisherId(state.tx.publisher_id);
  if (!peer) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kUnknownPeer, "publisher gone"),
                          "unknown_publisher");
  }
  // Any resource may be named here: readDecisionInputs checks it is the publisher's and the
  // release rule that the person is entitled to it (a refusal otherwise, audited).
  state.tx.resource_id = *chosen;
  connectors::ent::EntIdentity identity;
  identity.person_id = state.person_id;
  identity.source = "resource choice";
  identity.authn_instant = state.authn_instant;
  identity.authn_context_class_ref = state.authn_context_class_ref;
  identity.response_id = state.ent_response_id;
  identity.name_id = state.ent_name_id;
  identity.session_index = state.ent_session_index;
  return release(req, deps, state.tx, identity, *peer, &ret, now);
}

}  // namespace garde::broker::flows
