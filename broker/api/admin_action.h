#pragma once
/// @file An admin action in the audit trail (kind "admin"), as every admin API writes it: who, what
/// (the reason: "action" or "action:detail"), done or failed, and what or whom it was about. A
/// record that cannot be written is logged; the action itself stands.

#include <string>

#include "broker/flows/audit_sink.h"
#include "broker/request.h"
#include "core/time.h"

namespace garde::broker::api {

void auditAdminAction(flows::AuditSink& sink, core::UnixTime at, const Request& req,
                      std::string actor, std::string reason, bool done, std::string resource = {},
                      std::string subject = {});

}  // namespace garde::broker::api
