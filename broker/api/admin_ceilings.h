#pragma once
/// @file The ministry's ceilings through the admin API (JSON; docs/governance.md): the table in
/// force, its versions side by side, and changes with four eyes (store/policy_governance.h).
///
///   GET  /api/v1/admin/ceilings                          the version in force and its rows
///   GET  /api/v1/admin/ceilings/versions                 every version: who, when, why, previous
///   GET  /api/v1/admin/ceilings/diff?from=V&to=W         what W allows more or less than V
///   POST /api/v1/admin/ceilings                          {"reason","ceilings":[...]}: a change
///   GET  /api/v1/admin/ceilings/proposals                the proposals and their fate
///   GET  /api/v1/admin/ceilings/proposals/{id}/preview   whom it would affect
///   POST /api/v1/admin/ceilings/proposals/{id}/approve   another admin's approval
///   POST /api/v1/admin/ceilings/proposals/{id}/reject    {"reason"}

#include <string_view>

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/result.h"
#include "core/time.h"
#include "policy/policy_source.h"

namespace garde::broker::api {

struct AdminCeilingsDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  flows::AuditSink& audit;
  const admin::AdminSessions& sessions;
};

/// The body of POST /api/v1/admin/ceilings: a reason (1 to 1000 characters) and the whole new
/// table as rows {"profile": National_*, "category": a category or "*", "attribute": a code}.
/// kBadRequest naming the field otherwise. Untrusted input (fuzz/ceilings.cpp).
struct CeilingsRequest {
  std::string reason;
  policy::Ceilings ceilings;
};
core::Result<CeilingsRequest> parseCeilingsRequest(std::string_view json);

void mountAdminCeilings(Router& router, const AdminCeilingsDeps& deps);

}  // namespace garde::broker::api
