#pragma once
/// @file flows::AuditSink: where the flows' audit records go (the record of account).

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/audit.h"
#include "store/audit_writer.h"

namespace garde::broker::flows {

/// Where audit records go: one JSON line each (store::auditJsonLine) appended to `log.audit_file`,
/// or, when that is empty, one line of the main log (category "audit") with the same fields,
/// written before the caller goes on (the record of account); and, when a database is given, the
/// same row in its audit table, written in batches off the request path (store::AuditWriter,
/// ADR 0007). Names of attributes, never values. Thread-safe.
class AuditSink {
 public:
  /// `file` empty: the main log. `database` empty: no audit table. Throws std::runtime_error if
  /// `file` or `database` cannot be opened (start-up).
  explicit AuditSink(std::string file = {}, std::string database = {});
  ~AuditSink();
  AuditSink(const AuditSink&) = delete;
  AuditSink& operator=(const AuditSink&) = delete;

  /// kInternal when the line could not be written to the audit file (then no row is queued
  /// either): the caller must not release what it cannot account for.
  core::Status write(const store::AuditRecord& record);

  /// Waits until the rows written so far are in the audit table (tests, tools).
  core::Status flushTable();

  /// For tests: also hands each JSON line to `observer` (called under the sink's mutex).
  void setObserver(std::function<void(std::string_view)> observer);

 private:
  std::mutex mutex_;
  std::string file_;
  int fd_ = -1;
  std::function<void(std::string_view)> observer_;
  std::unique_ptr<store::AuditWriter> table_;
};

}  // namespace garde::broker::flows
