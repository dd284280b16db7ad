#pragma once
/// @file The assignment API of an establishment's assignment managers (JSON, admin session;
/// docs/assignments.md). A manager acts only on the establishments the directory (the RespAff
/// feed) names them for, re-read at every request; every change goes to the audit trail.
///
///   GET    /api/v1/establishment/session                      who, where, the CSRF token
///   GET    /api/v1/establishment/{uai}/subscriptions           with licences used and left
///   GET    /api/v1/establishment/{uai}/directory?q=            people, classes, groups
///   GET    /api/v1/establishment/{uai}/assignments[?subscription=]
///   POST   /api/v1/establishment/{uai}/assignments             {"subscription","kind","target"}
///   DELETE /api/v1/establishment/{uai}/assignments/{id}
///   GET    /api/v1/establishment/{uai}/usage                   daily figures (broker/api/usage.h)

#include <string>
#include <string_view>

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/result.h"
#include "core/time.h"
#include "policy/subscription.h"

namespace garde::broker::api {

struct EstablishmentDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  flows::AuditSink& audit;
  const admin::AdminSessions& sessions;
};

/// The body of POST .../assignments, checked: a subscription id, a target kind ("person",
/// "class", "group" or "establishment" for the whole audience) and its target (empty for
/// "establishment"). kBadRequest naming the field otherwise. Untrusted input (fuzz/assignment.cpp).
struct AssignmentRequest {
  std::string subscription;
  policy::AssignmentTargetKind kind = policy::AssignmentTargetKind::kPerson;
  std::string target;
};
core::Result<AssignmentRequest> parseAssignmentRequest(std::string_view json);

Response handleSession(const Request& req, const EstablishmentDeps& deps);
Response handleSubscriptions(const Request& req, const EstablishmentDeps& deps);
Response handleDirectory(const Request& req, const EstablishmentDeps& deps);
Response handleAssignments(const Request& req, const EstablishmentDeps& deps);
Response handleAssign(const Request& req, const EstablishmentDeps& deps);
Response handleUnassign(const Request& req, const EstablishmentDeps& deps);
Response handleUsage(const Request& req, const EstablishmentDeps& deps);

/// Every route above, CallerAuth::kAdminSession, each response refreshing the session's cookie.
void mountEstablishment(Router& router, const EstablishmentDeps& deps);

}  // namespace garde::broker::api
