#include "broker/api/admin_action.h"

#include "core/log.h"

namespace garde::broker::api {

void auditAdminAction(flows::AuditSink& sink, core::UnixTime at, const Request& req,
                      std::string actor, std::string reason, bool done, std::string resource,
                      std::string subject) {
  store::AuditRecord r;
  r.at = at;
  r.kind = "admin";
  r.correlation_id = req.request_id;
  r.resource_id = std::move(resource);
  r.outcome = done ? "done" : "failed";
  r.reason = std::move(reason);
  r.actor = std::move(actor);
  r.subject = std::move(subject);
  if (auto w = sink.write(r); !w) {
    core::Logger("api.admin")
        .error("audit record not written",
               {{"request_id", req.request_id}, {"error", w.error().describe()}});
  }
}

}  // namespace garde::broker::api
