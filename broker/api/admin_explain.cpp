#include "broker/api/admin_explain.h"

#include <boost/json.hpp>

#include "broker/api/admin_action.h"
#include "broker/api/json_reply.h"
#include "broker/flows/flows.h"
#include "core/log.h"
#include "policy/release.h"
#include "store/db.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.admin.explain");

boost::json::array withheldJson(const std::vector<policy::WithheldAttribute>& withheld) {
  boost::json::array out;
  for (const auto& w : withheld) {
    out.push_back({{"attribute", w.code}, {"rule", policy::withheldReasonCode(w.reason)}});
  }
  return out;
}

/// The contract's justification of `code` for `profile` (empty when it declares none).
std::string justification(const policy::ResourceContract& contract, policy::Profile profile,
                          const std::string& code) {
  if (const auto* declared = contract.declaredFor(profile)) {
    for (const auto& d : *declared) {
      if (d.code == code) {
        return d.justification;
      }
    }
  }
  return {};
}

/// Explains one resource to a profile (policy::explain).
core::Result<boost::json::object> explainProfile(store::Db& db, const ExplainQuery& q,
                                                 const ExplainContext& ctx) {
  const auto profile = policy::parseProfile(q.profile);
  if (!profile) {
    return core::fail(core::ErrorCode::kBadRequest, "profile: a National_* profile code");
  }
  GARDE_ASSIGN_OR_RETURN(auto entry, ctx.resources.find(db, q.resource));
  if (!entry || !entry->contract) {
    return core::fail(core::ErrorCode::kNotFound, "no such resource, or it has no contract");
  }
  GARDE_ASSIGN_OR_RETURN(auto policy, ctx.policies.current(db));
  const policy::ResourceContract& contract = *entry->contract;
  const policy::Explanation e = policy::explain(*profile, contract, *policy);
  boost::json::array released;
  for (const auto& r : e.released) {
    released.push_back({{"attribute", r.code}, {"justification", r.justification}});
  }
  return boost::json::object{{"resource", q.resource},
                             {"profile", q.profile},
                             {"contract_status", policy::contractStatusCode(e.contract_status)},
                             {"profile_in_contract", e.profile_in_contract},
                             {"policy_version", e.policy_version},
                             {"released", std::move(released)},
                             {"withheld", withheldJson(e.withheld)}};
}

/// Explains one resource to a person as a launch would decide (policy::decide).
core::Result<boost::json::object> explainPerson(store::Db& db, const ExplainQuery& q,
                                                const ExplainContext& ctx) {
  auto inputs = store::loadLaunchInputs(db, q.ent, q.person, q.uai, q.resource, std::nullopt,
                                        &ctx.resources);
  if (!inputs) {
    // Not a launch at all: the reason is the answer (no such person, no profile there...).
    const auto& e = inputs.error();
    if (e.code == core::ErrorCode::kStoreError) {
      return core::fail(e);
    }
    return boost::json::object{{"resource", q.resource},
                               {"entitled", false},
                               {"refusal", core::errorCodeName(e.code)},
                               {"detail", e.detail},
                               {"released", boost::json::array()},
                               {"withheld", boost::json::array()}};
  }
  GARDE_ASSIGN_OR_RETURN(auto policy, ctx.policies.current(db));
  const policy::Decision d =
      policy::decide(inputs->person, inputs->contract, inputs->subscriptions, *policy,
                     ctx.pseudonyms, flows::parisToday(ctx.clock.now()));
  boost::json::array released;
  for (const auto& r : d.released) {  // names and justifications: never the values
    released.push_back({{"attribute", r.code},
                        {"justification", justification(inputs->contract, inputs->person.profile,
                                                        r.code)}});
  }
  boost::json::object out{{"resource", q.resource},
                          {"profile", policy::profileCode(inputs->person.profile)},
                          {"contract_status", policy::contractStatusCode(inputs->contract.status)},
                          {"entitled", d.entitled},
                          {"policy_version", d.policy_version},
                          {"released", std::move(released)},
                          {"withheld", withheldJson(d.withheld)}};
  if (d.entitled) {
    out["subscription"] = d.subscription_id;
  } else {
    out["refusal"] = policy::refusalCode(d.refusal);
  }
  return out;
}

}  // namespace

bool ExplainQuery::byPerson() const { return !person.empty(); }

core::Status ExplainQuery::check() const {
  for (const std::string* v : {&resource, &profile, &ent, &person, &uai}) {
    if (v->size() > 1024) {
      return core::fail(core::ErrorCode::kBadRequest,
                        "a parameter is longer than 1024 characters");
    }
  }
  const bool by_profile = !profile.empty() && person.empty() && ent.empty() && uai.empty();
  const bool by_person = profile.empty() && !person.empty() && !ent.empty() && !uai.empty();
  if (resource.empty() || by_profile == by_person) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "resource and either profile, or ent, person and uai");
  }
  return {};
}

core::Result<boost::json::object> explain(store::Db& db, const ExplainQuery& q,
                                          const ExplainContext& ctx) {
  GARDE_TRY(q.check());
  GARDE_ASSIGN_OR_RETURN(auto read,
                         store::Transaction::begin(db, store::Transaction::Kind::kDeferred));
  return q.byPerson() ? explainPerson(db, q, ctx) : explainProfile(db, q, ctx);
}

Response handleExplain(const Request& req, const AdminExplainDeps& deps) {
  ExplainQuery q;
  for (const auto& [name, value] : req.query) {
    std::string* field = name == "resource" ? &q.resource
                         : name == "profile" ? &q.profile
                         : name == "ent"     ? &q.ent
                         : name == "person"  ? &q.person
                         : name == "uai"     ? &q.uai
                                             : nullptr;
    if (field == nullptr) {
      return jsonProblem(kLog, req, 400, "unknown parameter " + name, "unknown parameter");
    }
    if (value.empty() || value.size() > 1024) {
      return jsonProblem(kLog, req, 400, name + ": 1 to 1024 characters", "bad parameter");
    }
    *field = value;
  }
  if (auto checked = q.check(); !checked) {
    return jsonProblem(kLog, req, 400, checked.error().detail, "bad parameters");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto out = explain(lease->db(), q,
                     {deps.clock, deps.resources, deps.policies, deps.pseudonyms});
  if (!out) {
    return jsonStoreProblem(kLog, req, out.error());
  }
  // Explaining a person is about them.
  auditAdminAction(deps.audit, deps.clock.now(), req, req.caller ? req.caller->id : "", "explain",
                   true, q.resource, q.byPerson() ? deps.subjects.of(q.ent, q.person) : "");
  return jsonReply(200, *out);
}

void mountAdminExplain(Router& router, const AdminExplainDeps& deps) {
  router.get("/api/v1/admin/explain", CallerAuth::kMinistryReader,
             deps.sessions.refreshing(
                 [deps](const Request& req) { return handleExplain(req, deps); }));
}

}  // namespace garde::broker::api
