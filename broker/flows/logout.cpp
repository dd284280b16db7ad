// Single logout, front channel, by a chain of redirects (docs/single-logout.md).
//
// The session cookie (garde_session) says which ENT authenticated the person in this browser and
// which publishers received an assertion since. A LogoutRequest from the ENT (at /saml/sp/slo) or
// from one of those publishers (at /saml/idp/slo) turns it into a logout run (garde_logout): each
// other publisher in turn gets our signed LogoutRequest and answers at /saml/idp/slo; when a
// publisher began it, the ENT is told last and answers at /saml/sp/slo; then the one who asked
// gets our LogoutResponse. A participant without a usable SingleLogoutService is skipped, and the
// end page says so before the way back.

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/flows/flows.h"
#include "broker/flows/internal.h"
#include "broker/flows/logout_state.h"
#include "broker/flows/pages.h"
#include "connectors/logout/logout.h"
#include "core/crypto.h"
#include "core/encoding.h"
#include "core/log.h"
#include "store/publishers.h"

namespace garde::broker::flows {
namespace {

constexpr core::Logger kLog("flows.logout");

namespace logout = connectors::logout;

core::Error err(core::ErrorCode code, std::string detail) { return {code, std::move(detail)}; }

SetCookie clearCookie(const Request& req, std::string_view name) {
  return detail::stateCookie(req, name, "", 0);
}

/// The NameID a LogoutRequest names is the one of the session: same value, and the same format
/// where both say one.
bool sameNameId(const saml::NameID& session, const saml::NameID& asked) {
  if (session.value.empty() || !core::constantTimeEqual(session.value, asked.value)) {
    return false;
  }
  return session.format.empty() || asked.format.empty() || session.format == asked.format;
}

/// A LogoutRequest's SessionIndexes, when it has any, include the session's (when we know it).
bool sameSession(const std::string& session_index, const std::vector<std::string>& asked) {
  return asked.empty() || session_index.empty() ||
         std::find(asked.begin(), asked.end(), session_index) != asked.end();
}

logout::Expectation expectation(const LogoutDeps& deps, bool sp_side) {
  logout::Expectation e;
  if (sp_side) {
    e.destination = deps.sp.slo_url;
    e.skew_seconds = deps.sp.skew_seconds;
    const connectors::ent::EntRegistry& ents = deps.ents.get();
    e.keys_for = [&ents](std::string_view issuer) -> std::optional<std::vector<saml::Certificate>> {
      const connectors::ent::EntPeer* ent = ents.findByEntityId(issuer);
      if (ent == nullptr || !ent->metadata.idp) {
        return std::nullopt;
      }
      return ent->metadata.idp->signingCertificates();
    };
  } else {
    e.destination = deps.idp.slo_url;
    e.skew_seconds = deps.idp.skew_seconds;
    e.max_age_seconds = deps.idp.request_max_age_seconds;
    const connectors::publisher::PublisherRegistry& publishers = deps.publishers.get();
    e.keys_for =
        [&publishers](std::string_view issuer) -> std::optional<std::vector<saml::Certificate>> {
      const connectors::publisher::PublisherPeer* peer = publishers.findByEntityId(issuer);
      if (peer == nullptr || !peer->metadata.sp) {
        return std::nullopt;
      }
      return peer->metadata.sp->signingCertificates();
    };
  }
  return e;
}

core::Result<logout::Inbound> readMessage(const Request& req, const logout::Expectation& expect,
                                          core::UnixTime now) {
  logout::FormFields form;
  if (req.method == "POST") {
    GARDE_ASSIGN_OR_RETURN(form, detail::samlFormFields(req));
  }
  return logout::readLogoutMessage(req.method, detail::rawQuery(req), form, expect, now);
}

/// A LogoutRequest ID is taken once per sender while it is fresh (a replayed one would end the
/// session of whoever signs in next in this browser).
core::Status takeRequestId(const LogoutDeps& deps, const saml::LogoutRequest& request,
                           std::int64_t max_age, std::int64_t skew, core::UnixTime now) {
  const auto taken = deps.request_replay_cache.insert(
      "logout " + request.issuer + " " + request.id, now + max_age + 2 * skew, now);
  if (taken == saml::ReplayCache::Outcome::kReplay) {
    return core::fail(core::ErrorCode::kReplayed, "LogoutRequest ID already seen");
  }
  if (taken == saml::ReplayCache::Outcome::kFull) {
    return core::fail(core::ErrorCode::kReplayCacheFull,
                      "LogoutRequest ID cannot be remembered: replay cache full");
  }
  if (taken == saml::ReplayCache::Outcome::kUnavailable) {
    return core::fail(core::ErrorCode::kReplayCacheUnavailable,
                      "LogoutRequest ID cannot be checked: the shared replay cache does not answer");
  }
  return {};
}

/// The session in this browser, if its cookie opens.
std::optional<LoginSession> sessionOf(const Request& req, const LogoutDeps& deps,
                                      core::UnixTime now) {
  const std::string* cookie = req.cookie(kSessionCookie);
  if (cookie == nullptr) {
    return std::nullopt;
  }
  auto opened = unsealSession(deps.sealer, *cookie, now);
  if (!opened) {
    kLog.info("session cookie ignored",
              {{"request_id", req.request_id}, {"error", opened.error().describe()}});
    return std::nullopt;
  }
  return std::move(opened).value();
}

std::string publisherName(const LogoutDeps& deps, const std::string& publisher_id) {
  if (auto lease = deps.db.acquire(); lease) {
    if (auto p = store::findPublisher(lease->db(), publisher_id); p && !p->name.empty()) {
      return p->name;
    }
  }
  return publisher_id;
}

std::string entName(const LogoutDeps& deps, const std::string& ent_id) {
  const connectors::ent::EntPeer* ent = deps.ents->findByEntId(ent_id);
  return ent != nullptr && !ent->name.empty() ? ent->name : ent_id;
}

Response send(logout::Outbound out, std::vector<SetCookie> cookies) {
  Response r;
  if (!out.location.empty()) {
    r = Response::redirect(std::move(out.location), 302);
  } else {
    r = Response::html(200, std::move(out.html));
    r.setHeader("Content-Security-Policy", std::move(out.content_security_policy));
  }
  r.setHeader("Cache-Control", "no-store");
  r.cookies = std::move(cookies);
  return r;
}

void record(const LogoutDeps& deps, LogoutRun& run, std::string publisher_id,
            LogoutOutcome outcome) {
  deps.refusals.metrics.logoutParticipant(publisher_id.empty() ? "ent" : "publisher",
                                          outcomeName(outcome));
  run.results.push_back({std::move(publisher_id), outcome});
}

/// Our LogoutResponse to whoever began the run, or the end page when someone could not be logged
/// out (or the one who asked cannot be answered).
Response finish(const Request& req, const LogoutDeps& deps, LogoutRun run, core::UnixTime now,
                std::vector<SetCookie> cookies) {
  cookies.push_back(clearCookie(req, kLogoutCookie));
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::size_t skipped = 0;
  for (const LogoutResult& r : run.results) {
    (r.outcome == LogoutOutcome::kLoggedOut  ? ok
     : r.outcome == LogoutOutcome::kSkipped ? skipped
                                            : failed)++;
  }
  const bool complete = failed == 0 && skipped == 0;

  const saml::Endpoint* endpoint = nullptr;
  const saml::Credential* signer = nullptr;
  std::string issuer;
  if (run.from_ent) {
    const connectors::ent::EntPeer* ent = deps.ents->findByEntId(run.initiator);
    endpoint = ent != nullptr && ent->metadata.idp ? logout::logoutEndpoint(*ent->metadata.idp)
                                                   : nullptr;
    signer = &deps.sp.signing;
    issuer = deps.sp.entity_id;
  } else {
    const auto* peer = deps.publishers->findByPublisherId(run.initiator);
    endpoint =
        peer != nullptr && peer->metadata.sp ? logout::logoutEndpoint(*peer->metadata.sp) : nullptr;
    signer = &deps.idp.signing;
    issuer = deps.idp.entity_id;
  }
  std::optional<logout::Outbound> answer;
  if (endpoint != nullptr) {
    saml::LogoutResponse response;
    response.id = deps.random.newId();
    response.in_response_to = run.initiator_request_id;
    response.issue_instant = now;
    response.issuer = issuer;
    // Top-level Success: the one who asked may end its own session; PartialLogout says that not
    // every other participant could be logged out (SAML2 Core 3.2.2.2).
    if (!complete) {
      response.status.sub_code = std::string(saml::status_code::kPartialLogout);
    }
    auto encoded = logout::encodeLogoutResponse(std::move(response), *endpoint, *signer,
                                                run.has_relay_state ? run.relay_state : "",
                                                detail::cspNonce(deps.random));
    if (encoded) {
      answer = std::move(encoded).value();
    } else {
      kLog.warn("LogoutResponse not sent", {{"request_id", req.request_id},
                                            {"initiator", run.initiator},
                                            {"error", encoded.error().describe()}});
    }
  } else {
    kLog.warn("the logout's initiator has no SingleLogoutService to answer at",
              {{"request_id", req.request_id}, {"initiator", run.initiator}});
  }
  kLog.info("logout ended", {{"request_id", req.request_id},
                             {"initiator", (run.from_ent ? "ent " : "publisher ") + run.initiator},
                             {"logged_out", std::to_string(ok)},
                             {"failed", std::to_string(failed)},
                             {"skipped", std::to_string(skipped)}});
  if (complete && answer) {
    Response r = send(std::move(*answer), std::move(cookies));
    r.log_fields = {{"step", "LogoutResponse"}, {"initiator", run.initiator}};
    return r;
  }
  LogoutEndPage page;
  page.correlation_id = req.request_id;
  for (const LogoutResult& r : run.results) {
    const std::string name =
        r.publisher_id.empty() ? entName(deps, run.ent_id) : publisherName(deps, r.publisher_id);
    (r.outcome == LogoutOutcome::kLoggedOut ? page.logged_out
     : r.outcome == LogoutOutcome::kSkipped ? page.skipped
                                            : page.failed)
        .push_back(name);
  }
  std::string csp(kPageCsp);
  if (answer) {
    if (!answer->location.empty()) {
      page.continue_url = std::move(answer->location);
    } else {
      page.form_action = std::move(answer->form_action);
      page.form_field = std::move(answer->form_field);
      page.form_value = std::move(answer->form_value);
      page.form_relay_state = std::move(answer->form_relay_state);
      csp = std::string(kLogoutEndPostCsp);
    }
  }
  Response r = Response::html(200, renderLogoutEnd(page));
  r.setHeader("Content-Security-Policy", std::move(csp));
  r.setHeader("Cache-Control", "no-store");
  r.cookies = std::move(cookies);
  r.log_fields = {{"step", "logout end page"}, {"initiator", run.initiator}};
  return r;
}

/// Sends the browser to the next participant still to be logged out, or finishes.
/// A LogoutRequest naming the session a participant knows (SAML2 Core 3.7.1).
saml::LogoutRequest newRequest(const LogoutDeps& deps, const std::string& issuer,
                               const saml::NameID& name_id, const std::string& session_index,
                               core::UnixTime now, core::UnixTime expires) {
  saml::LogoutRequest request;
  request.id = deps.random.newId();
  request.issue_instant = now;
  request.issuer = issuer;
  request.not_on_or_after = expires;
  request.name_id = name_id;
  if (!session_index.empty()) {
    request.session_indexes.push_back(session_index);
  }
  return request;
}

/// Seals the chain's state (now awaiting the answer to `out`) into its cookie and sends `out`.
Response sendStep(const Request& req, const LogoutDeps& deps, LogoutRun& run,
                  core::UnixTime expires, logout::Outbound out, std::vector<SetCookie> cookies,
                  std::pair<std::string, std::string> step,
                  std::pair<std::string, std::string> participant) {
  run.awaiting_request_id = out.message_id;
  auto token = sealLogout(deps.sealer, run, expires);
  if (!token) {
    return detail::refuse(req, deps.refusals, kLog, token.error());
  }
  cookies.push_back(detail::stateCookie(req, kLogoutCookie, std::move(token).value(),
                                        deps.state_lifetime_seconds));
  Response r = send(std::move(out), std::move(cookies));
  r.log_fields = {std::move(step), std::move(participant),
                  {"logout_request_id", run.awaiting_request_id}};
  return r;
}

Response advance(const Request& req, const LogoutDeps& deps, LogoutRun run, core::UnixTime now,
                 std::vector<SetCookie> cookies) {
  const core::UnixTime expires = now + deps.state_lifetime_seconds;
  while (!run.pending.empty()) {
    SessionPublisher step = std::move(run.pending.front());
    run.pending.erase(run.pending.begin());
    const auto* peer = deps.publishers->findByPublisherId(step.publisher_id);
    const saml::Endpoint* endpoint =
        peer != nullptr && peer->metadata.sp ? logout::logoutEndpoint(*peer->metadata.sp) : nullptr;
    if (endpoint == nullptr) {
      kLog.info("publisher without single logout skipped",
                {{"request_id", req.request_id}, {"publisher", step.publisher_id}});
      record(deps, run, step.publisher_id, LogoutOutcome::kSkipped);
      continue;
    }
    auto out = logout::encodeLogoutRequest(
        newRequest(deps, deps.idp.entity_id, step.name_id, step.session_index, now, expires),
        *endpoint, deps.idp.signing, "", detail::cspNonce(deps.random));
    if (!out) {
      kLog.warn("LogoutRequest to a publisher not sent", {{"request_id", req.request_id},
                                                          {"publisher", step.publisher_id},
                                                          {"error", out.error().describe()}});
      record(deps, run, step.publisher_id, LogoutOutcome::kFailed);
      continue;
    }
    run.awaiting = step.publisher_id;
    run.awaiting_ent = false;
    return sendStep(req, deps, run, expires, std::move(out).value(), std::move(cookies),
                    {"step", "LogoutRequest to a publisher"}, {"publisher", step.publisher_id});
  }
  if (run.ent_pending) {
    run.ent_pending = false;
    const connectors::ent::EntPeer* ent = deps.ents->findByEntId(run.ent_id);
    const saml::Endpoint* endpoint =
        ent != nullptr && ent->metadata.idp ? logout::logoutEndpoint(*ent->metadata.idp) : nullptr;
    if (endpoint == nullptr || run.ent_name_id.value.empty()) {
      kLog.info("ENT without single logout (or without a NameID to name) skipped",
                {{"request_id", req.request_id}, {"ent", run.ent_id}});
      record(deps, run, "", LogoutOutcome::kSkipped);
      return finish(req, deps, std::move(run), now, std::move(cookies));
    }
    auto out = logout::encodeLogoutRequest(
        newRequest(deps, deps.sp.entity_id, run.ent_name_id, run.ent_session_index, now, expires),
        *endpoint, deps.sp.signing, "", detail::cspNonce(deps.random));
    if (!out) {
      kLog.warn("LogoutRequest to the ENT not sent", {{"request_id", req.request_id},
                                                      {"ent", run.ent_id},
                                                      {"error", out.error().describe()}});
      record(deps, run, "", LogoutOutcome::kFailed);
      return finish(req, deps, std::move(run), now, std::move(cookies));
    }
    run.awaiting.clear();
    run.awaiting_ent = true;
    return sendStep(req, deps, run, expires, std::move(out).value(), std::move(cookies),
                    {"step", "LogoutRequest to the ENT"}, {"ent", run.ent_id});
  }
  return finish(req, deps, std::move(run), now, std::move(cookies));
}

LogoutRun runFor(const saml::LogoutRequest& request, const logout::Inbound& in, bool from_ent,
                 std::string initiator) {
  LogoutRun run;
  run.from_ent = from_ent;
  run.initiator = std::move(initiator);
  run.initiator_request_id = request.id;
  run.has_relay_state = in.relay_state.has_value();
  run.relay_state = in.relay_state.value_or("");
  return run;
}

/// The ENT's LogoutRequest: every publisher of the session, then our answer to the ENT.
Response entLogout(const Request& req, const LogoutDeps& deps, const logout::Inbound& in,
                   core::UnixTime now) {
  const saml::LogoutRequest& request = *in.request;
  const connectors::ent::EntPeer* ent = deps.ents->findByEntityId(request.issuer);
  if (ent == nullptr) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kUnknownPeer, "ENT gone"), "unknown_ent");
  }
  if (auto taken = takeRequestId(deps, request, deps.idp.request_max_age_seconds,
                                 deps.sp.skew_seconds, now);
      !taken) {
    return detail::refuse(req, deps.refusals, kLog, taken.error(), "bad_logout");
  }
  LogoutRun run = runFor(request, in, true, ent->ent_id);
  const std::optional<LoginSession> session = sessionOf(req, deps, now);
  std::vector<SetCookie> cookies;
  if (session && session->ent_id == ent->ent_id && sameNameId(session->ent_name_id, request.name_id) &&
      sameSession(session->ent_session_index, request.session_indexes)) {
    run.ent_id = session->ent_id;
    run.pending = session->publishers;
    cookies.push_back(clearCookie(req, kSessionCookie));
    kLog.info("logout begun by the ENT", {{"request_id", req.request_id},
                                          {"ent", ent->ent_id},
                                          {"publishers", std::to_string(run.pending.size())}});
  } else {
    // Another person's session, or none: nothing of this browser to end; the ENT is answered.
    kLog.info("logout begun by the ENT for no session of this browser",
              {{"request_id", req.request_id},
               {"ent", ent->ent_id},
               {"session", session ? "another person or ENT" : "none"}});
  }
  return advance(req, deps, std::move(run), now, std::move(cookies));
}

/// A publisher's LogoutRequest: the session's other publishers, then the ENT, then our answer.
Response publisherLogout(const Request& req, const LogoutDeps& deps, const logout::Inbound& in,
                         core::UnixTime now) {
  const saml::LogoutRequest& request = *in.request;
  const auto* peer = deps.publishers->findByEntityId(request.issuer);
  if (peer == nullptr) {
    return detail::refuse(req, deps.refusals, kLog,
                          err(core::ErrorCode::kUnknownPeer, "publisher gone"),
                          "unknown_publisher");
  }
  if (auto taken = takeRequestId(deps, request, deps.idp.request_max_age_seconds,
                                 deps.idp.skew_seconds, now);
      !taken) {
    return detail::refuse(req, deps.refusals, kLog, taken.error(), "bad_logout");
  }
  LogoutRun run = runFor(request, in, false, peer->publisher_id);
  const std::optional<LoginSession> session = sessionOf(req, deps, now);
  std::vector<SetCookie> cookies;
  const SessionPublisher* entry = nullptr;
  if (session) {
    for (const SessionPublisher& p : session->publishers) {
      if (p.publisher_id == peer->publisher_id && sameNameId(p.name_id, request.name_id) &&
          sameSession(p.session_index, request.session_indexes)) {
        entry = &p;
      }
    }
  }
  if (entry != nullptr) {
    run.ent_id = session->ent_id;
    run.ent_name_id = session->ent_name_id;
    run.ent_session_index = session->ent_session_index;
    run.ent_pending = true;
    for (const SessionPublisher& p : session->publishers) {
      if (p.publisher_id != peer->publisher_id) {
        run.pending.push_back(p);
      }
    }
    // The publisher that asked ends its own session on our answer.
    record(deps, run, peer->publisher_id, LogoutOutcome::kLoggedOut);
    cookies.push_back(clearCookie(req, kSessionCookie));
    kLog.info("logout begun by a publisher",
              {{"request_id", req.request_id},
               {"publisher", peer->publisher_id},
               {"ent", run.ent_id},
               {"other_publishers", std::to_string(run.pending.size())}});
  } else {
    kLog.info("logout begun by a publisher for no session of this browser",
              {{"request_id", req.request_id},
               {"publisher", peer->publisher_id},
               {"session", session ? "without this publisher or person" : "none"}});
  }
  return advance(req, deps, std::move(run), now, std::move(cookies));
}

/// A participant's LogoutResponse to our LogoutRequest: note how it ended, go on.
Response participantAnswered(const Request& req, const LogoutDeps& deps,
                             const logout::Inbound& in, bool from_ent, core::UnixTime now) {
  const saml::LogoutResponse& response = *in.response;
  const std::string* cookie = req.cookie(kLogoutCookie);
  if (cookie == nullptr) {
    return detail::refuse(
        req, deps.refusals, kLog,
        err(core::ErrorCode::kBadRequest, "LogoutResponse without a logout in progress"),
        "no_logout_in_progress");
  }
  auto opened = unsealLogout(deps.sealer, *cookie, now);
  if (!opened) {
    return detail::refuse(req, deps.refusals, kLog, opened.error(),
                          opened.error().code == core::ErrorCode::kExpired ? "expired_transaction"
                                                                           : "bad_transaction");
  }
  LogoutRun run = std::move(opened).value();
  std::string who;
  if (from_ent) {
    const connectors::ent::EntPeer* ent = deps.ents->findByEntityId(response.issuer);
    if (ent == nullptr || !run.awaiting_ent || ent->ent_id != run.ent_id) {
      return detail::refuse(
          req, deps.refusals, kLog,
          err(core::ErrorCode::kIssuerMismatch, "LogoutResponse from an ENT not awaited"),
          "logout_response_mismatch");
    }
  } else {
    const auto* peer = deps.publishers->findByEntityId(response.issuer);
    if (peer == nullptr || run.awaiting_ent || peer->publisher_id != run.awaiting) {
      return detail::refuse(
          req, deps.refusals, kLog,
          err(core::ErrorCode::kIssuerMismatch, "LogoutResponse from a publisher not awaited"),
          "logout_response_mismatch");
    }
    who = peer->publisher_id;
  }
  if (!core::constantTimeEqual(*response.in_response_to, run.awaiting_request_id)) {
    return detail::refuse(
        req, deps.refusals, kLog,
        err(core::ErrorCode::kInResponseToMismatch,
            "LogoutResponse InResponseTo is not our LogoutRequest's ID"),
        "logout_response_mismatch");
  }
  const bool ok = response.status.isSuccess() &&
                  response.status.sub_code != saml::status_code::kPartialLogout;
  if (!ok) {
    kLog.warn("a participant's logout did not succeed",
              {{"request_id", req.request_id},
               {"participant", from_ent ? "ent " + run.ent_id : "publisher " + who},
               {"status", response.status.describe()}});
  }
  record(deps, run, who, ok ? LogoutOutcome::kLoggedOut : LogoutOutcome::kFailed);
  run.awaiting.clear();
  run.awaiting_ent = false;
  run.awaiting_request_id.clear();
  return advance(req, deps, std::move(run), now, {});
}

}  // namespace

Response handleSpSlo(const Request& req, const LogoutDeps& deps) {
  const core::UnixTime now = deps.clock.now();
  auto in = readMessage(req, expectation(deps, true), now);
  if (!in) {
    return detail::refuse(req, deps.refusals, kLog, in.error(), "bad_logout");
  }
  return in->request ? entLogout(req, deps, *in, now)
                     : participantAnswered(req, deps, *in, true, now);
}

Response handleIdpSlo(const Request& req, const LogoutDeps& deps) {
  const core::UnixTime now = deps.clock.now();
  auto in = readMessage(req, expectation(deps, false), now);
  if (!in) {
    return detail::refuse(req, deps.refusals, kLog, in.error(), "bad_logout");
  }
  return in->request ? publisherLogout(req, deps, *in, now)
                     : participantAnswered(req, deps, *in, false, now);
}

}  // namespace garde::broker::flows
