#include "broker/api/session.h"

#include <boost/json.hpp>

#include "broker/api/json_reply.h"
#include "broker/flows/admin_sign_in.h"
#include "store/assignments.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.session");

const char* kindCode(Caller::Kind kind) {
  switch (kind) {
    case Caller::Kind::kMinistryAdmin: return "ministry_admin";
    case Caller::Kind::kAuditor: return "auditor";
    case Caller::Kind::kAssignmentManager: return "assignment_manager";
    case Caller::Kind::kOperator: return "operator";
    default: return "other";
  }
}

}  // namespace

Response handleSessionInfo(const Request& req, const SessionApiDeps& deps) {
  const auto session = deps.sessions.read(req);
  if (!session) {
    // Nobody is signed in: an answer, not a refusal (the console asks before it signs in).
    return jsonReply(200, boost::json::object{{"signed_in", false}});
  }
  const Caller& caller = session->caller;
  boost::json::object out{
      {"signed_in", true},
      {"kind", kindCode(caller.kind)},
      {"id", caller.id},
      {"display", caller.id},
      {"csrf", session->csrf},
      {"idle_timeout_seconds", deps.sessions.settings().idle_seconds},
      {"expires_at", core::formatIso8601(session->expires_at)},
      {"absolute_expires_at",
       core::formatIso8601(session->issued_at + deps.sessions.settings().absolute_seconds)}};
  if (caller.kind == Caller::Kind::kAssignmentManager) {
    const auto who = flows::splitManagerId(caller.id);
    auto lease = deps.db.acquire();
    if (!lease) {
      return jsonStoreProblem(kLog, req, lease.error());
    }
    auto managed = who ? store::managedEstablishments(lease->db(), who->first, who->second)
                       : core::Result<std::vector<std::string>>(std::vector<std::string>{});
    if (!managed) {
      return jsonStoreProblem(kLog, req, managed.error());
    }
    out["establishments"] = boost::json::array(managed->begin(), managed->end());
    if (who) {
      out["display"] = who->second + " (" + who->first + ")";
    }
  }
  return jsonReply(200, out);
}

void mountSessionApi(Router& router, const SessionApiDeps& deps) {
  router.get("/api/v1/session", CallerAuth::kNone,
             deps.sessions.refreshing(
                 [deps](const Request& req) { return handleSessionInfo(req, deps); }));
}

}  // namespace garde::broker::api
