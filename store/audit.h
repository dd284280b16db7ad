#pragma once
/// @file The audit trail: one row per launch decision (released or refused) and per admin action.
/// Rows name attributes, never their values (docs/architecture.md, "Life of a launch", step 7).

#include <cstdint>
#include <optional>
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
  /// Who the row is about: the keyed digest of the person (broker/flows/audit_subject.h), 64 hex
  /// digits; empty for admin actions about nobody. Never the identifier itself.
  std::string subject;
  std::int64_t id = 0;  ///< the row's id, when read back (paging); 0 before it is written
};

/// Filters of an audit search; an unset one matches every row. Rows come in id order (the order
/// they were written), after `after_id`, at most `limit` (1 to 1000).
struct AuditQuery {
  std::optional<std::string> kind;       ///< "launch" | "admin"
  std::optional<std::string> publisher_id;
  std::optional<std::string> resource_id;
  std::optional<std::string> attribute;  ///< rows that released this attribute code
  std::optional<std::string> uai;
  std::optional<std::string> profile;
  std::optional<std::string> outcome;    ///< "released" | "refused" | "done" | "failed"
  std::optional<std::string> reason;     ///< a refusal code, an admin action (prefix before ':')
  std::optional<std::string> actor;
  std::optional<std::string> subject;    ///< a person's keyed digest
  core::UnixTime from = 0;                ///< at or after
  std::optional<core::UnixTime> until;    ///< before
  std::int64_t after_id = 0;
  int limit = 100;
};

/// The record as one JSON line (no trailing newline), for the audit log file and exports.
std::string auditJsonLine(const AuditRecord& record);
/// The CSV header of auditCsvLine, CRLF-terminated (RFC 4180).
std::string_view auditCsvHeader() noexcept;
/// The record as one CSV line, CRLF-terminated: fields quoted, quotes doubled, and a field that a
/// spreadsheet would read as a formula (starting with = + - @ tab or CR) prefixed with '.
std::string auditCsvLine(const AuditRecord& record);

core::Status writeAudit(Db& db, const AuditRecord& record);
/// The rows `query` selects. kBadRequest for a limit outside 1..1000.
core::Result<std::vector<AuditRecord>> queryAudit(Db& db, const AuditQuery& query);
/// Every row about `subject` (a person's keyed digest), in id order, through its index.
core::Result<std::vector<AuditRecord>> auditOfSubject(Db& db, std::string_view subject);
/// Rows at or after `since`, oldest first, at most `limit`.
core::Result<std::vector<AuditRecord>> listAudit(Db& db, core::UnixTime since, int limit = 1000);
/// Deletes rows older than `before` (retention); returns how many.
core::Result<std::int64_t> purgeAuditBefore(Db& db, core::UnixTime before);

}  // namespace garde::store
