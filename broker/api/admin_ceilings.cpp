#include "broker/api/admin_ceilings.h"

#include <boost/json.hpp>

#include <charconv>

#include "broker/api/admin_action.h"
#include "broker/api/json_reply.h"
#include "core/log.h"
#include "policy/preview.h"
#include "store/policy_governance.h"
#include "store/policy_store.h"
#include "store/publishers.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.admin.ceilings");

std::string actorOf(const Request& req) { return req.caller ? req.caller->id : std::string(); }

void audit(const AdminCeilingsDeps& deps, const Request& req, std::string_view action, bool done,
           std::string_view detail = {}) {
  auditAdminAction(deps.audit, deps.clock.now(), req, actorOf(req),
                   detail.empty() ? std::string(action)
                                  : std::string(action) + ":" + std::string(detail),
                   done);
}

/// A store refusal of a change, audited as failed.
Response refused(const AdminCeilingsDeps& deps, const Request& req, std::string_view action,
                 const core::Error& e) {
  audit(deps, req, action, false, core::errorCodeName(e.code));
  if (e.code == core::ErrorCode::kForbidden) {
    return jsonProblem(kLog, req, 403, e.detail, e.detail);
  }
  return jsonStoreProblem(kLog, req, e);
}

boost::json::array rowsJson(const policy::Ceilings& c) {
  boost::json::array out;
  for (const auto& [key, codes] : c.rows()) {
    for (const auto& code : codes) {
      out.push_back({{"profile", policy::profileCode(key.first)},
                     {"category", key.second},
                     {"attribute", code}});
    }
  }
  return out;
}

boost::json::array changesJson(const std::vector<policy::CeilingChange>& changes) {
  boost::json::array out;
  for (const auto& c : changes) {
    boost::json::array gained(c.gained.begin(), c.gained.end());
    boost::json::array lost(c.lost.begin(), c.lost.end());
    out.push_back({{"profile", policy::profileCode(c.profile)},
                   {"category", c.category},
                   {"gained", std::move(gained)},
                   {"lost", std::move(lost)}});
  }
  return out;
}

std::optional<std::int64_t> pathId(const Request& req) {
  const std::string* id = req.pathParam("id");
  std::int64_t n = 0;
  if (id == nullptr) {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), n);
  if (ec != std::errc() || end != id->data() + id->size() || n <= 0) {
    return std::nullopt;
  }
  return n;
}

boost::json::object proposalJson(const store::CeilingProposal& p) {
  boost::json::object o{{"id", p.id},
                        {"status", store::proposalStatusCode(p.status)},
                        {"base_version", p.base_version},
                        {"proposed_by", p.proposed_by},
                        {"proposed_at", core::formatIso8601(p.proposed_at)},
                        {"reason", p.reason}};
  if (p.status != store::ProposalStatus::kPending) {
    o["decided_by"] = p.decided_by;
    o["decided_at"] = core::formatIso8601(p.decided_at);
  }
  if (!p.decision_reason.empty()) o["decision_reason"] = p.decision_reason;
  if (!p.applied_version.empty()) o["applied_version"] = p.applied_version;
  return o;
}

/// A GET handler's lease and read transaction, or its refusal.
template <class F>
Response reading(const AdminCeilingsDeps& deps, const Request& req, F&& body) {
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto tx = store::Transaction::begin(lease->db(), store::Transaction::Kind::kDeferred);
  if (!tx) {
    return jsonStoreProblem(kLog, req, tx.error());
  }
  return body(lease->db());
}

Response handleInForce(const Request& req, const AdminCeilingsDeps& deps) {
  return reading(deps, req, [&](store::Db& db) {
    auto in_force = store::ceilingsInForce(db);
    if (!in_force) {
      return jsonStoreProblem(kLog, req, in_force.error());
    }
    return jsonReply(200, boost::json::object{{"version", in_force->first},
                                              {"ceilings", rowsJson(in_force->second)}});
  });
}

Response handleVersions(const Request& req, const AdminCeilingsDeps& deps) {
  return reading(deps, req, [&](store::Db& db) {
    auto history = store::policyHistory(db);
    if (!history) {
      return jsonStoreProblem(kLog, req, history.error());
    }
    boost::json::array out;
    for (const auto& v : *history) {
      boost::json::object o{{"version", v.version},
                            {"created_at", v.created_at},
                            {"created_by", v.created_by},
                            {"reason", v.reason}};
      o["previous"] = v.previous ? boost::json::value(*v.previous) : boost::json::value(nullptr);
      out.push_back(std::move(o));
    }
    return jsonReply(200, boost::json::object{{"versions", std::move(out)}});
  });
}

Response handleDiff(const Request& req, const AdminCeilingsDeps& deps) {
  const std::string* from = req.queryParam("from");
  const std::string* to = req.queryParam("to");
  if (from == nullptr || to == nullptr || req.query.size() != 2) {
    return jsonProblem(kLog, req, 400, "from and to: two versions", "bad diff parameters");
  }
  return reading(deps, req, [&](store::Db& db) {
    auto a = store::ceilingsOf(db, *from);
    auto b = store::ceilingsOf(db, *to);
    auto categories = store::resourceCategories(db);
    if (!a || !b || !categories) {
      return jsonStoreProblem(kLog, req, !a ? a.error() : !b ? b.error() : categories.error());
    }
    const auto changes = policy::diffCeilings(*a, *b, *categories);
    return jsonReply(200, boost::json::object{{"from", *from},
                                              {"to", *to},
                                              {"widens", policy::widens(changes)},
                                              {"changes", changesJson(changes)}});
  });
}

Response handleChange(const Request& req, const AdminCeilingsDeps& deps) {
  auto body = parseCeilingsRequest(req.body);
  if (!body) {
    audit(deps, req, "ceilings_change", false, "bad_request");
    return jsonProblem(kLog, req, 400, body.error().detail, body.error().detail);
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto out = store::proposeCeilings(lease->db(), actorOf(req), body->reason, body->ceilings,
                                    deps.clock.now());
  if (!out) {
    return refused(deps, req, "ceilings_change", out.error());
  }
  if (out->applied) {
    audit(deps, req, "ceilings_publish", true, out->version);
    return jsonReply(200, boost::json::object{{"applied", true},
                                              {"version", out->version},
                                              {"changes", changesJson(out->changes)}});
  }
  audit(deps, req, "ceilings_propose", true, std::to_string(out->proposal_id));
  return jsonReply(202, boost::json::object{{"applied", false},
                                            {"proposal", out->proposal_id},
                                            {"changes", changesJson(out->changes)}});
}

Response handleProposals(const Request& req, const AdminCeilingsDeps& deps) {
  return reading(deps, req, [&](store::Db& db) {
    auto all = store::listProposals(db);
    if (!all) {
      return jsonStoreProblem(kLog, req, all.error());
    }
    boost::json::array out;
    for (const auto& p : *all) {
      out.push_back(proposalJson(p));
    }
    return jsonReply(200, boost::json::object{{"proposals", std::move(out)}});
  });
}

Response handlePreview(const Request& req, const AdminCeilingsDeps& deps) {
  const auto id = pathId(req);
  if (!id) {
    return jsonProblem(kLog, req, 404, "no such proposal", "bad id");
  }
  return reading(deps, req, [&](store::Db& db) {
    auto found = store::findProposal(db, *id);
    if (!found || !*found) {
      return found ? jsonProblem(kLog, req, 404, "no such proposal", "unknown id")
                   : jsonStoreProblem(kLog, req, found.error());
    }
    store::SqlPolicySource source(db);
    auto before = source.currentPolicy();
    auto contracts = store::listContracts(db);
    auto categories = store::resourceCategories(db);
    if (!before || !contracts || !categories) {
      return jsonStoreProblem(kLog, req,
                              !before ? before.error()
                                      : !contracts ? contracts.error() : categories.error());
    }
    policy::PolicySnapshot after = *before;
    after.ceilings = (*found)->ceilings;
    boost::json::array impacts;
    for (const auto& impact : policy::previewPolicyChange(*before, after, *contracts)) {
      auto people = store::countPeopleReached(db, impact.resource_id, impact.profile);
      if (!people) {
        return jsonStoreProblem(kLog, req, people.error());
      }
      impacts.push_back({{"resource", impact.resource_id},
                         {"profile", policy::profileCode(impact.profile)},
                         {"contract_status", policy::contractStatusCode(impact.contract_status)},
                         {"people", *people},
                         {"start_flowing", boost::json::array(impact.gained.begin(),
                                                              impact.gained.end())},
                         {"stop_flowing", boost::json::array(impact.lost.begin(),
                                                             impact.lost.end())}});
    }
    const auto changes = policy::diffCeilings(before->ceilings, after.ceilings, *categories);
    return jsonReply(200, boost::json::object{{"proposal", *id},
                                              {"in_force", before->version},
                                              {"widens", policy::widens(changes)},
                                              {"changes", changesJson(changes)},
                                              {"impacts", std::move(impacts)}});
  });
}

Response handleDecision(const Request& req, const AdminCeilingsDeps& deps, bool approve) {
  const char* action = approve ? "ceilings_approve" : "ceilings_reject";
  const auto id = pathId(req);
  if (!id) {
    return jsonProblem(kLog, req, 404, "no such proposal", "bad id");
  }
  std::string reason;
  if (!approve) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(req.body, ec);
    const auto* r = !ec && v.is_object() ? v.as_object().if_contains("reason") : nullptr;
    if (r == nullptr || !r->is_string() || r->as_string().empty() ||
        r->as_string().size() > 1000 || v.as_object().size() != 1) {
      return jsonProblem(kLog, req, 400, "reason: why, 1 to 1000 characters", "no reason");
    }
    reason = std::string(r->as_string());
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  const core::UnixTime now = deps.clock.now();
  if (approve) {
    auto version = store::approveProposal(lease->db(), *id, actorOf(req), now);
    if (!version) {
      return refused(deps, req, action, version.error());
    }
    audit(deps, req, action, true, std::to_string(*id) + " " + *version);
    return jsonReply(200, boost::json::object{{"proposal", *id}, {"version", *version}});
  }
  if (auto done = store::rejectProposal(lease->db(), *id, actorOf(req), reason, now); !done) {
    return refused(deps, req, action, done.error());
  }
  audit(deps, req, action, true, std::to_string(*id));
  return jsonReply(200, boost::json::object{{"proposal", *id}, {"status", "rejected"}});
}

}  // namespace

void mountAdminCeilings(Router& router, const AdminCeilingsDeps& deps) {
  const auto route = [&](std::string_view method, std::string_view pattern, CallerAuth auth,
                         Response (*handler)(const Request&, const AdminCeilingsDeps&)) {
    router.add(method, pattern, auth,
               deps.sessions.refreshing([deps, handler](const Request& r) { return handler(r, deps); }));
  };
  route("GET", "/api/v1/admin/ceilings", CallerAuth::kMinistryReader, handleInForce);
  route("GET", "/api/v1/admin/ceilings/versions", CallerAuth::kMinistryReader, handleVersions);
  route("GET", "/api/v1/admin/ceilings/diff", CallerAuth::kMinistryReader, handleDiff);
  route("POST", "/api/v1/admin/ceilings", CallerAuth::kMinistryAdmin, handleChange);
  route("GET", "/api/v1/admin/ceilings/proposals", CallerAuth::kMinistryReader, handleProposals);
  route("GET", "/api/v1/admin/ceilings/proposals/{id}/preview", CallerAuth::kMinistryReader,
        handlePreview);
  route("POST", "/api/v1/admin/ceilings/proposals/{id}/approve", CallerAuth::kMinistryAdmin,
        [](const Request& r, const AdminCeilingsDeps& d) { return handleDecision(r, d, true); });
  route("POST", "/api/v1/admin/ceilings/proposals/{id}/reject", CallerAuth::kMinistryAdmin,
        [](const Request& r, const AdminCeilingsDeps& d) { return handleDecision(r, d, false); });
}

}  // namespace garde::broker::api
