#pragma once
/// @file The audit trail: one row per launch decision (released or refused) and per admin action.
/// Rows name attributes, never their values (docs/architecture.md, "Life of a launch", step 7).

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/db.h"

namespace garde::store {

/// One audit row, filled by its writer (the flows build a launch's from the policy decision,
/// broker/flows/audit_record.h).
struct AuditRecord {
  core::UnixTime at = 0;
  std::string kind = "launch";  ///< "launch" | "admin"
  std::string correlation_id;   ///< the request id shown to the user
  std::string ent_id;
  std::string uai;
  std::string profile;  ///< National_* code
  std::string publisher_id;
  std::string resource_id;
  std::vector<std::string> released;  ///< attribute codes only
  std::string policy_version;
  std::string outcome = "released";  ///< "released" | "refused" (launch), "done" | "failed" (admin)
  std::string reason;                ///< refusal code or admin action
  std::string actor;                 ///< admin actions: who
};

/// The record as one JSON line (no trailing newline), for the audit log file and exports.
std::string auditJsonLine(const AuditRecord& record);

core::Status writeAudit(Db& db, const AuditRecord& record);
/// Rows at or after `since`, oldest first, at most `limit`.
core::Result<std::vector<AuditRecord>> listAudit(Db& db, core::UnixTime since, int limit = 1000);
/// Deletes rows older than `before` (retention); returns how many.
core::Result<std::int64_t> purgeAuditBefore(Db& db, core::UnixTime before);

}  // namespace garde::store
