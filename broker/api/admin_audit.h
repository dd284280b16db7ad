#pragma once
/// @file The audit trail for ministry admins, auditors and the data protection officer (JSON or
/// CSV; docs/audit.md). Read-only routes (CallerAuth::kMinistryReader); every call is itself an
/// audit record.
///
///   GET /api/v1/admin/audit?kind=&publisher=&resource=&attribute=&uai=&profile=&outcome=
///       &reason=&actor=&from=&until=&after=&limit=&format=json|csv
///   GET /api/v1/admin/audit/subject?ent=&person=   what was released about one person (a file)

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/audit_subject.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/result.h"
#include "core/time.h"
#include "store/audit.h"

namespace garde::broker::api {

struct AdminAuditDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  flows::AuditSink& audit;
  const flows::AuditSubjects& subjects;
  const admin::AdminSessions& sessions;
};

/// The search of a request's query parameters (names above). kBadRequest naming the parameter
/// for an unknown one, a malformed date (ISO 8601, `2026-09-01` or `2026-09-01T08:00:00Z`), a
/// limit outside 1..1000 or a bad `after`. Untrusted input.
core::Result<store::AuditQuery> parseAuditQuery(const Params& query);

Response handleAuditSearch(const Request& req, const AdminAuditDeps& deps);
Response handleSubjectExport(const Request& req, const AdminAuditDeps& deps);

void mountAdminAudit(Router& router, const AdminAuditDeps& deps);

}  // namespace garde::broker::api
