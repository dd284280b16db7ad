#include "broker/api/establishment.h"

#include <boost/json.hpp>

#include "broker/api/json_reply.h"
#include "broker/api/usage.h"
#include "broker/flows/admin_sign_in.h"
#include "core/log.h"
#include "store/assignments.h"
#include "store/subscriptions.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.establishment");

Response json(int status, const boost::json::value& v) { return jsonReply(status, v); }

Response problem(const Request& req, int status, std::string_view message, std::string_view why) {
  return jsonProblem(kLog, req, status, message, why);
}

Response storeProblem(const Request& req, const core::Error& e) {
  return jsonStoreProblem(kLog, req, e);
}

/// The manager's (idENT, identifier), from the session the router verified.
std::optional<std::pair<std::string, std::string>> manager(const Request& req) {
  if (!req.caller || req.caller->kind != Caller::Kind::kAssignmentManager) {
    return std::nullopt;
  }
  return flows::splitManagerId(req.caller->id);
}

/// The establishment of the path, when the caller manages it (else the refusal to send: no
/// connection, not a manager, not this establishment's).
struct Scope {
  std::string uai;
  std::string actor;
  std::string ent_id;
  std::optional<Response> refusal;
};
void audit(const EstablishmentDeps& deps, const Request& req, const Scope& s,
           std::string_view action, bool done, const std::string& subscription = {}) {
  store::AuditRecord r;
  r.at = deps.clock.now();
  r.kind = "admin";
  r.correlation_id = req.request_id;
  r.ent_id = s.ent_id;
  r.uai = s.uai;
  r.resource_id = subscription;  // the subscription acted on
  r.outcome = done ? "done" : "failed";
  r.reason = std::string(action);
  r.actor = s.actor;
  if (auto w = deps.audit.write(r); !w) {
    kLog.error("audit record not written",
               {{"request_id", req.request_id}, {"error", w.error().describe()}});
  }
}

/// A refusal of the caller's scope is an admin action refused: in the audit trail, with the
/// establishment asked for and the route (never the path: it may name a person).
Response scopeRefused(const EstablishmentDeps& deps, const Request& req, const std::string* uai,
                      std::string_view message, std::string_view why) {
  Scope s;
  s.uai = uai != nullptr ? *uai : std::string();
  s.actor = req.caller ? req.caller->id : std::string();
  audit(deps, req, s, "scope_refused " + req.method.substr(0, 16) + " " + req.route, false);
  return problem(req, 403, message, why);
}

Scope scope(const Request& req, core::Result<flows::DbPool::Lease>& lease,
            const EstablishmentDeps& deps) {
  Scope s;
  if (!lease) {
    s.refusal = storeProblem(req, lease.error());
    return s;
  }
  store::Db& db = lease->db();
  const auto who = manager(req);
  const std::string* uai = req.pathParam("uai");
  if (!who || uai == nullptr) {
    s.refusal = scopeRefused(deps, req, uai, "an assignment manager's session is needed",
                             "not a manager");
    return s;
  }
  auto managed = store::managedEstablishments(db, who->first, who->second);
  if (!managed) {
    s.refusal = storeProblem(req, managed.error());
    return s;
  }
  if (std::find(managed->begin(), managed->end(), *uai) == managed->end()) {
    s.refusal = scopeRefused(deps, req, uai, "you do not manage this establishment's assignments",
                             "establishment not managed by the caller");
    return s;
  }
  s.uai = *uai;
  s.actor = req.caller->id;
  s.ent_id = who->first;
  return s;
}

boost::json::object licencesJson(const store::LicenceUsage& u) {
  boost::json::object used;
  for (const auto& [audience, n] : u.used) {
    used[policy::audienceCode(audience)] = n;
  }
  boost::json::object o{
      {"unlimited", u.unlimited}, {"used", std::move(used)}, {"used_total", u.used_total}};
  if (u.global) {
    o["global"] = *u.global;
    o["left"] = std::max<std::int64_t>(0, *u.global - u.used_total);
  } else if (!u.per_audience.empty()) {
    boost::json::object per;
    boost::json::object left;
    for (const auto& [audience, n] : u.per_audience) {
      per[policy::audienceCode(audience)] = n;
      const auto it = u.used.find(audience);
      left[policy::audienceCode(audience)] =
          std::max<std::int64_t>(0, n - (it == u.used.end() ? 0 : it->second));
    }
    o["per_audience"] = std::move(per);
    o["left"] = std::move(left);
  }
  return o;
}

}  // namespace

Response handleSession(const Request& req, const EstablishmentDeps& deps) {
  const auto who = manager(req);
  const auto session = deps.sessions.read(req);
  if (!who || !session) {
    return problem(req, 403, "an assignment manager's session is needed", "not a manager");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return storeProblem(req, lease.error());
  }
  auto managed = store::managedEstablishments(lease->db(), who->first, who->second);
  if (!managed) {
    return storeProblem(req, managed.error());
  }
  boost::json::array uais;
  for (const auto& u : *managed) {
    uais.emplace_back(u);
  }
  return json(200,
              boost::json::object{{"manager", req.caller->id},
                                  {"establishments", std::move(uais)},
                                  {"csrf", session->csrf},
                                  {"idle_timeout_seconds", deps.sessions.settings().idle_seconds},
                                  {"expires_at", core::formatIso8601(session->expires_at)}});
}

Response handleSubscriptions(const Request& req, const EstablishmentDeps& deps) {
  auto lease = deps.db.acquire();
  Scope s = scope(req, lease, deps);
  if (s.refusal) {
    return std::move(*s.refusal);
  }
  store::Db& db = lease->db();
  store::SubscriptionFilter filter;
  filter.uai = s.uai;
  auto subs = store::listSubscriptions(db, filter);
  if (!subs) {
    return storeProblem(req, subs.error());
  }
  boost::json::array out;
  for (const auto& sub : *subs) {
    auto usage = store::licenceUsage(db, sub.id);
    if (!usage) {
      return storeProblem(req, usage.error());
    }
    boost::json::array audiences;
    for (auto a : sub.audiences) {
      audiences.emplace_back(policy::audienceCode(a));
    }
    out.push_back(boost::json::object{{"id", sub.id},
                                      {"resource", sub.resource_id},
                                      {"label", sub.resource_label},
                                      {"publisher", sub.publisher_id},
                                      {"type", policy::assignmentTypeCode(sub.assignment_type)},
                                      {"category", sub.category},
                                      {"valid_from", sub.valid_from.format()},
                                      {"valid_until", sub.valid_until.format()},
                                      {"audiences", std::move(audiences)},
                                      {"licences", licencesJson(*usage)}});
  }
  return json(200,
              boost::json::object{{"establishment", s.uai}, {"subscriptions", std::move(out)}});
}

Response handleDirectory(const Request& req, const EstablishmentDeps& deps) {
  auto lease = deps.db.acquire();
  Scope s = scope(req, lease, deps);
  if (s.refusal) {
    return std::move(*s.refusal);
  }
  std::string q;
  if (auto it = req.query.find("q"); it != req.query.end()) {
    q = it->second.substr(0, 64);
  }
  auto found = store::searchEstablishmentDirectory(lease->db(), s.uai, q);
  if (!found) {
    return storeProblem(req, found.error());
  }
  boost::json::array out;
  for (const auto& e : *found) {
    boost::json::object o{{"kind", e.kind}, {"id", e.id}, {"label", e.label}};
    if (!e.profile.empty()) {
      o["profile"] = e.profile;
    }
    out.push_back(std::move(o));
  }
  return json(200, boost::json::object{{"establishment", s.uai}, {"entries", std::move(out)}});
}

Response handleAssignments(const Request& req, const EstablishmentDeps& deps) {
  auto lease = deps.db.acquire();
  Scope s = scope(req, lease, deps);
  if (s.refusal) {
    return std::move(*s.refusal);
  }
  std::string subscription;
  if (auto it = req.query.find("subscription"); it != req.query.end()) {
    subscription = it->second;
  }
  auto rows = store::listAssignments(lease->db(), s.uai, subscription);
  if (!rows) {
    return storeProblem(req, rows.error());
  }
  boost::json::array out;
  for (const auto& a : *rows) {
    out.push_back(boost::json::object{{"id", a.id},
                                      {"subscription", a.subscription_id},
                                      {"kind", policy::assignmentTargetKindCode(a.kind)},
                                      {"target", a.target},
                                      {"assigned_by", a.assigned_by},
                                      {"assigned_at", a.assigned_at}});
  }
  return json(200, boost::json::object{{"establishment", s.uai}, {"assignments", std::move(out)}});
}

Response handleAssign(const Request& req, const EstablishmentDeps& deps) {
  auto parsed = parseAssignmentRequest(req.body);
  if (!parsed) {
    return problem(req, 400, parsed.error().detail, "bad assignment request");
  }
  auto lease = deps.db.acquire();
  Scope s = scope(req, lease, deps);
  if (s.refusal) {
    return std::move(*s.refusal);
  }
  auto id = store::assignLicence(lease->db(), parsed->subscription, s.uai, parsed->kind,
                                 parsed->target, s.actor, deps.clock.now());
  audit(deps, req, s, "assign " + std::string(policy::assignmentTargetKindCode(parsed->kind)),
        id.has_value(), parsed->subscription);
  if (!id) {
    return storeProblem(req, id.error());
  }
  return json(201, boost::json::object{{"id", *id}});
}

Response handleUnassign(const Request& req, const EstablishmentDeps& deps) {
  const std::string* id_text = req.pathParam("id");
  std::int64_t id = 0;
  try {
    std::size_t used = 0;
    id = id_text ? std::stoll(*id_text, &used) : 0;
    if (id_text == nullptr || used != id_text->size() || id <= 0) {
      throw std::invalid_argument("id");
    }
  } catch (const std::exception&) {
    return problem(req, 400, "id: an assignment id", "bad assignment id");
  }
  auto lease = deps.db.acquire();
  Scope s = scope(req, lease, deps);
  if (s.refusal) {
    return std::move(*s.refusal);
  }
  auto removed = store::removeAssignment(lease->db(), id, s.uai);
  audit(deps, req, s, "unassign " + *id_text, removed.has_value());
  if (!removed) {
    return storeProblem(req, removed.error());
  }
  Response r;
  r.status = 204;
  r.setHeader("Cache-Control", "no-store");
  return r;
}

Response handleUsage(const Request& req, const EstablishmentDeps& deps) {
  auto lease = deps.db.acquire();
  Scope s = scope(req, lease, deps);
  if (s.refusal) {
    return std::move(*s.refusal);
  }
  auto q = parseUsageQuery(req, deps.clock.now());
  if (!q) {
    return problem(req, 400, q.error().detail, "bad usage query");
  }
  if (q->uai && *q->uai != s.uai) {
    return problem(req, 403, "uai: this establishment's figures only", "another establishment");
  }
  q->uai = s.uai;
  Response r = usageReply(req, lease->db(), *q);
  audit(deps, req, s, "usage_query", r.status == 200);
  return r;
}

void mountEstablishment(Router& router, const EstablishmentDeps& deps) {
  const auto route = [&](std::string_view method, std::string_view pattern,
                         Response (*handler)(const Request&, const EstablishmentDeps&)) {
    router.add(
        method, pattern, CallerAuth::kAdminSession,
        deps.sessions.refreshing([deps, handler](const Request& r) { return handler(r, deps); }));
  };
  route("GET", "/api/v1/establishment/session", handleSession);
  route("GET", "/api/v1/establishment/{uai}/subscriptions", handleSubscriptions);
  route("GET", "/api/v1/establishment/{uai}/directory", handleDirectory);
  route("GET", "/api/v1/establishment/{uai}/assignments", handleAssignments);
  route("POST", "/api/v1/establishment/{uai}/assignments", handleAssign);
  route("DELETE", "/api/v1/establishment/{uai}/assignments/{id}", handleUnassign);
  route("GET", "/api/v1/establishment/{uai}/usage", handleUsage);
}

}  // namespace garde::broker::api
