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

CallerRefusalObserver auditRefusedCallers(flows::AuditSink& sink, const core::Clock& clock) {
  return [&sink, &clock](const Request& req, const Caller* caller, std::string_view reason) {
    static constexpr std::string_view kGoverned[] = {"/api/v1/admin/", "/api/v1/establishment/",
                                                     "/api/v1/publisher/", "/api/v1/ent/"};
    bool governed = false;
    for (std::string_view prefix : kGoverned) {
      governed = governed || req.route.starts_with(prefix);
    }
    if (!governed) {
      return;
    }
    // The route's pattern, never the path: a path parameter may name a person or a UAI.
    auditAdminAction(sink, clock.now(), req, caller ? caller->id : std::string(),
                     "caller_refused:" + std::string(reason) + " " + req.method.substr(0, 16) +
                         " " + req.route,
                     /*done=*/false);
  };
}

}  // namespace garde::broker::api
