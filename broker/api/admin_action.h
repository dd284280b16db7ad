#pragma once
/// @file An admin action in the audit trail (kind "admin"), as every admin API writes it: who, what
/// (the reason: "action" or "action:detail"), done or failed, and what or whom it was about. A
/// record that cannot be written is logged; the action itself stands.

#include <string>

#include "broker/flows/audit_sink.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/time.h"

namespace garde::broker::api {

void auditAdminAction(flows::AuditSink& sink, core::UnixTime at, const Request& req,
                      std::string actor, std::string reason, bool done, std::string resource = {},
                      std::string subject = {});

/// The router's observer that puts every refused caller of a governance route (under
/// /api/v1/admin/, /api/v1/establishment/, /api/v1/publisher/ and /api/v1/ent/) in the audit trail
/// as a failed admin action `caller_refused:<reason> <METHOD> <route>`, the actor being the caller
/// the session named when only its role was refused (else empty: nobody was authenticated).
CallerRefusalObserver auditRefusedCallers(flows::AuditSink& sink, const core::Clock& clock);

}  // namespace garde::broker::api
