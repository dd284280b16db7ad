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

void auditExplain(const AdminExplainDeps& deps, const Request& req, const std::string& resource,
                  std::string subject) {
  // Explaining a person is about them.
  auditAdminAction(deps.audit, deps.clock.now(), req, req.caller ? req.caller->id : "", "explain",
                   true, resource, std::move(subject));
}

Response explainProfile(const Request& req, const AdminExplainDeps& deps, store::Db& db,
                        const std::string& resource, const std::string& profile_code) {
  const auto profile = policy::parseProfile(profile_code);
  if (!profile) {
    return jsonProblem(kLog, req, 400, "profile: a National_* profile code", "bad profile");
  }
  auto entry = deps.resources.find(db, resource);
  if (!entry) {
    return jsonStoreProblem(kLog, req, entry.error());
  }
  if (!*entry || !(*entry)->contract) {
    return jsonProblem(kLog, req, 404, "no such resource, or it has no contract", "unknown resource");
  }
  auto policy = deps.policies.current(db);
  if (!policy) {
    return jsonStoreProblem(kLog, req, policy.error());
  }
  const policy::ResourceContract& contract = *(*entry)->contract;
  const policy::Explanation e = policy::explain(*profile, contract, **policy);
  boost::json::array released;
  for (const auto& r : e.released) {
    released.push_back({{"attribute", r.code}, {"justification", r.justification}});
  }
  auditExplain(deps, req, resource, {});
  return jsonReply(
      200, boost::json::object{{"resource", resource},
                               {"profile", profile_code},
                               {"contract_status", policy::contractStatusCode(e.contract_status)},
                               {"profile_in_contract", e.profile_in_contract},
                               {"policy_version", e.policy_version},
                               {"released", std::move(released)},
                               {"withheld", withheldJson(e.withheld)}});
}

Response explainPerson(const Request& req, const AdminExplainDeps& deps, store::Db& db,
                       const std::string& resource, const std::string& ent,
                       const std::string& person, const std::string& uai) {
  auto inputs = store::loadLaunchInputs(db, ent, person, uai, resource, std::nullopt,
                                        &deps.resources);
  const std::string subject = deps.subjects.of(ent, person);
  if (!inputs) {
    // Not a launch at all: the reason is the answer (no such person, no profile there...).
    const auto& e = inputs.error();
    if (e.code == core::ErrorCode::kStoreError) {
      return jsonStoreProblem(kLog, req, e);
    }
    auditExplain(deps, req, resource, subject);
    return jsonReply(200, boost::json::object{{"resource", resource},
                                              {"entitled", false},
                                              {"refusal", core::errorCodeName(e.code)},
                                              {"detail", e.detail},
                                              {"released", boost::json::array()},
                                              {"withheld", boost::json::array()}});
  }
  auto policy = deps.policies.current(db);
  if (!policy) {
    return jsonStoreProblem(kLog, req, policy.error());
  }
  const policy::Decision d =
      policy::decide(inputs->person, inputs->contract, inputs->subscriptions, **policy,
                     deps.pseudonyms, flows::parisToday(deps.clock.now()));
  boost::json::array released;
  for (const auto& r : d.released) {  // names and justifications: never the values
    released.push_back({{"attribute", r.code},
                        {"justification", justification(inputs->contract, inputs->person.profile,
                                                        r.code)}});
  }
  auditExplain(deps, req, resource, subject);
  boost::json::object out{{"resource", resource},
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
  return jsonReply(200, out);
}

}  // namespace

Response handleExplain(const Request& req, const AdminExplainDeps& deps) {
  const auto param = [&](std::string_view name) -> std::string {
    const std::string* v = req.queryParam(name);
    return v != nullptr ? *v : std::string();
  };
  for (const auto& [name, value] : req.query) {
    if (name != "resource" && name != "profile" && name != "ent" && name != "person" &&
        name != "uai") {
      return jsonProblem(kLog, req, 400, "unknown parameter " + name, "unknown parameter");
    }
    if (value.empty() || value.size() > 1024) {
      return jsonProblem(kLog, req, 400, name + ": 1 to 1024 characters", "bad parameter");
    }
  }
  const std::string resource = param("resource");
  const std::string profile = param("profile");
  const std::string person = param("person");
  const bool by_profile = !profile.empty() && person.empty() && param("ent").empty();
  const bool by_person = profile.empty() && !person.empty() && !param("ent").empty() &&
                         !param("uai").empty();
  if (resource.empty() || by_profile == by_person) {
    return jsonProblem(kLog, req, 400,
                       "resource and either profile, or ent, person and uai", "bad parameters");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  store::Db& db = lease->db();
  auto read = store::Transaction::begin(db, store::Transaction::Kind::kDeferred);
  if (!read) {
    return jsonStoreProblem(kLog, req, read.error());
  }
  return by_profile ? explainProfile(req, deps, db, resource, profile)
                    : explainPerson(req, deps, db, resource, param("ent"), person, param("uai"));
}

void mountAdminExplain(Router& router, const AdminExplainDeps& deps) {
  router.get("/api/v1/admin/explain", CallerAuth::kMinistryReader,
             deps.sessions.refreshing(
                 [deps](const Request& req) { return handleExplain(req, deps); }));
}

}  // namespace garde::broker::api
