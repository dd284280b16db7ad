#pragma once
/// @file Usage statistics through the API (docs/usage.md): the daily aggregates of store/usage.h,
/// in JSON or CSV, for the ministry nationally, for an establishment's managers their
/// establishments, for a publisher its own resources. Counts only, never a person.
///
///   GET /api/v1/admin/usage?from=&until=&publisher=&resource=&uai=&profile=&outcome=&format=
///   GET /api/v1/establishment/{uai}/usage?...        (the manager's establishments only)
///   GET /api/v1/publisher/usage?...                  (the calling publisher's own figures)
///
/// `from` and `until` are days (YYYY-MM-DD, UTC, inclusive; by default the last 28 days), at
/// most 366 days apart. JSON: {"from","until","launches":[...],"attributes":[...]}. CSV:
/// `format=csv` the launches, `format=csv&part=attributes` the attributes.

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/result.h"
#include "core/time.h"
#include "store/usage.h"

namespace garde::broker::api {

struct UsageDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  flows::AuditSink& audit;
  const admin::AdminSessions& sessions;
};

/// The query of a usage request's parameters (kBadRequest naming the parameter otherwise); the
/// scope (publisher, establishments) is the caller's to add.
core::Result<store::UsageQuery> parseUsageQuery(const Request& req, core::UnixTime now);

/// The answer to a usage request over `q`, in the format asked for.
Response usageReply(const Request& req, store::Db& db, const store::UsageQuery& q);

/// GET /api/v1/admin/usage (kMinistryReader) and GET /api/v1/publisher/usage
/// (kClientCertificate, publishers only). The establishment route is mounted with the
/// establishment API (broker/api/establishment.h), which checks its scope.
void mountUsage(Router& router, const UsageDeps& deps);

}  // namespace garde::broker::api
