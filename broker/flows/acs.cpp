// POST /saml/sp/acs: the ENT's Response ends the ENT leg; the broker decides and answers the
// publisher (docs/flows.md, "Life of a launch" steps 4 to 7).

#include <algorithm>

#include "broker/flows/audit_record.h"
#include "broker/flows/flows.h"
#include "broker/flows/internal.h"
#include "core/crypto.h"
#include "policy/release.h"
#include "store/audit.h"
#include "store/directory.h"
#include "store/launch.h"
#include "store/policy_store.h"

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

/// What the decision reads from the store, or why it cannot be made.
struct DecisionReads {
  std::string uai;
  std::optional<store::LaunchInputs> inputs;
  std::shared_ptr<const policy::PolicySnapshot> policy;
  std::optional<core::Error> error;
  std::string_view reason;     ///< refusal reason when not derived from the error code
  bool audit_refusal = false;  ///< a refusal before the decision, to be audited
};

/// Reads everything the decision needs in one read transaction: one snapshot of the database, and
/// one BEGIN/COMMIT for the whole launch rather than one per query. It ends before the caller
/// writes an audit row (a read transaction upgraded to a write would fail when another connection
/// wrote meanwhile).
DecisionReads readDecisionInputs(FlowContext& ctx, store::Db& db, const SsoTransaction& tx,
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
    auto picked = pickEstablishment(db, tx.ent_id, person_id, tx.resource_id, today,
                                    ctx.resource_cache, out.inputs);
    if (!picked) {
      out.error = std::move(picked).error();
      out.audit_refusal = true;
      return out;
    }
    out.uai = std::move(picked).value();
  }
  if (!out.inputs) {
    auto loaded = store::loadLaunchInputs(db, tx.ent_id, person_id, out.uai, tx.resource_id,
                                          std::nullopt, &ctx.resource_cache);
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
  auto snapshot = ctx.policy_cache.current(db);
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

void auditRefusalBeforeDecision(FlowContext& ctx, const Request& req, const SsoTransaction& tx,
                                const std::string& uai, std::string_view reason,
                                core::UnixTime now) {
  store::AuditRecord r;
  r.at = now;
  r.correlation_id = req.request_id;
  r.ent_id = tx.ent_id;
  r.uai = uai;
  r.publisher_id = tx.publisher_id;
  r.resource_id = tx.resource_id;
  r.outcome = "refused";
  r.reason = std::string(reason);
  if (auto w = ctx.audit.write(r); !w) {
    kLog.error("audit record not written",
               {{"request_id", req.request_id}, {"error", w.error().describe()}});
  }
}

}  // namespace

Response handleAcs(const Request& req, FlowContext& ctx) {
  const core::UnixTime now = ctx.clock.now();
  auto form = detail::samlFormFields(req);
  if (!form) {
    return detail::refuse(req, ctx, kLog, form.error());
  }
  const auto relay = form->find("RelayState");
  if (relay == form->end()) {
    return detail::refuse(req, ctx, kLog,
                          err(core::ErrorCode::kBadRequest, "Response without RelayState"));
  }
  auto opened = unsealTransaction(ctx.sealer, purpose::kSso, relay->second, now);
  if (!opened) {
    // Unauthenticated state: nothing in it can be trusted, not even where to send an error.
    return detail::refuse(req, ctx, kLog, opened.error(),
                          opened.error().code == core::ErrorCode::kExpired ? "expired_transaction"
                                                                           : "bad_transaction");
  }
  const SsoTransaction tx = std::move(opened).value();
  // Login CSRF: a valid (Response, RelayState) pair of one user posted from another browser would
  // sign that browser in as the first user. The ENT leg set the binding cookie in the browser that
  // started it; only that browser may finish it.
  const std::string* binding = req.cookie(kBindingCookie);
  if (binding == nullptr || !core::constantTimeEqual(*binding, tx.browser_binding)) {
    return detail::refuse(req, ctx, kLog,
                          err(core::ErrorCode::kForbidden,
                              "the SSO transaction was started in another browser (binding cookie "
                              "missing or different)"),
                          "browser_mismatch");
  }
  const ReturnState ret{tx.publisher_id, tx.publisher_request_id, tx.acs_url, tx.relay_state, {}};
  const ReturnState* offer = tx.publisher_request_id ? &ret : nullptr;

  const connectors::ent::EntPeer* ent = ctx.ents.findByEntId(tx.ent_id);
  if (!ent) {
    return detail::refuse(req, ctx, kLog, err(core::ErrorCode::kUnknownPeer, "ENT gone"),
                          "unknown_ent", offer);
  }
  TransactionBoundReplay replay(
      ctx.replay_cache, tx.ent_requested_at + ctx.state_lifetime_seconds + ctx.sp.skew_seconds);
  auto identity =
      connectors::ent::consumeEntResponse(*form, *ent, ctx.sp, tx.ent_request_id, now, replay);
  if (!identity) {
    // The publisher asked for a passive login, we asked the ENT for one, and the ENT answered (to
    // our request, checked) that it cannot: the publisher gets its NoPassive, without a page.
    if (identity.error().code == core::ErrorCode::kNoPassive && tx.is_passive && offer) {
      if (const auto* peer = ctx.publishers.findByPublisherId(tx.publisher_id)) {
        return detail::noPassive(req, ctx, *peer, tx, now, "the ENT answered NoPassive");
      }
    }
    return detail::refuse(req, ctx, kLog, identity.error(), {}, offer);
  }
  if (tx.force_authn && identity->authn_instant < tx.ent_requested_at - ctx.sp.skew_seconds) {
    // The publisher asked for a fresh login and we asked the ENT for one: an authentication older
    // than our request means the ENT ignored ForceAuthn. We do not vouch for it.
    return detail::refuse(req, ctx, kLog,
                          err(core::ErrorCode::kStatusNotSuccess,
                              "ForceAuthn asked, but the ENT's AuthnInstant predates our request"),
                          "force_authn_not_honoured", offer);
  }
  const auto* peer = ctx.publishers.findByPublisherId(tx.publisher_id);
  if (!peer) {
    return detail::refuse(req, ctx, kLog, err(core::ErrorCode::kUnknownPeer, "publisher gone"),
                          "unknown_publisher", offer);
  }

  const policy::Date today = parisToday(now);
  policy::Decision decision;
  store::AuditRecord audit;
  {
    auto lease = ctx.db.acquire();
    if (!lease) {
      return detail::refuse(req, ctx, kLog, lease.error(), {}, offer);
    }
    store::Db& db = lease->db();
    auto read = readDecisionInputs(ctx, db, tx, identity->name_id, today);
    if (read.error) {
      if (read.audit_refusal) {
        const std::string reason(core::errorCodeName(read.error->code));
        auditRefusalBeforeDecision(ctx, req, tx, read.uai, reason, now);
      }
      return detail::refuse(req, ctx, kLog, *read.error, read.reason, offer);
    }
    const store::LaunchInputs& inputs = *read.inputs;
    decision = policy::decide(inputs.person, inputs.contract, inputs.subscriptions, *read.policy,
                              ctx.pseudonyms, today);
    audit = launchAudit(inputs.person, inputs.contract, decision, req.request_id, now);
  }
  if (auto w = ctx.audit.write(audit); !w) {
    // No release that cannot be accounted for.
    return detail::refuse(req, ctx, kLog, w.error(), "audit_failed", offer);
  }
  if (!decision.entitled) {
    return detail::refuse(
        req, ctx, kLog,
        err(core::ErrorCode::kNotEntitled,
            "refused by policy: " + std::string(policy::refusalCode(decision.refusal))),
        policy::refusalCode(decision.refusal), offer);
  }

  connectors::publisher::AssertionContent content;
  for (const auto& a : decision.released) {
    if (a.code == policy::attr::kIdo && !a.values.empty()) {
      content.pseudonym = a.values.front();
    }
    content.attributes.emplace_back(a.code, a.values);
  }
  if (content.pseudonym.empty()) {
    // The contract does not declare IDO: the NameID must not carry an identifier the publisher was
    // not granted, so it gets a one-time value (transient in effect).
    content.pseudonym = ctx.random.newId();
  }
  content.authn_instant = identity->authn_instant;
  if (!identity->authn_context_class_ref.empty()) {
    content.authn_context_class_ref = identity->authn_context_class_ref;
  }
  auto post = connectors::publisher::buildSuccessResponse(
      *peer, tx.acs_url, tx.publisher_request_id, content, tx.relay_state, ctx.idp, ctx.random, now,
      detail::cspNonce(ctx.random));
  if (!post) {
    return detail::refuse(req, ctx, kLog, post.error(), {}, offer);
  }
  ctx.metrics.decision("released", "ok");
  std::string response_id = post->response_id;
  Response r = detail::postForm(std::move(post).value());
  r.log_fields = {{"decision", "released"},
                  {"ent", tx.ent_id},
                  {"publisher", tx.publisher_id},
                  {"resource", tx.resource_id},
                  {"ent_response_id", identity->response_id},
                  {"response_id", std::move(response_id)},
                  {"policy_version", decision.policy_version}};
  return r;
}

}  // namespace garde::broker::flows
