#pragma once
/// @file The audit table written in batches, off the request path (ADR 0007).
///
/// A launch must not wait for its own write transaction: a commit per launch cost about an eighth
/// of the broker's CPU, and every write empties the page cache of every other connection, so the
/// next launch reads its pages again. The flows write the audit JSON line synchronously (the
/// record of account, broker/flows AuditSink) and hand the row to this writer, which commits the
/// rows queued since its last pass in one transaction, on a connection and a thread of its own.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "store/audit.h"
#include "store/db.h"

namespace garde::store {

class AuditWriter {
 public:
  struct Options {
    std::string database;                     ///< the (migrated) database file
    std::chrono::milliseconds interval{100};  ///< longest a row waits before its commit
    std::size_t batch = 512;                  ///< a pass starts early once this many wait
    std::size_t max_queued = 100'000;         ///< beyond, the oldest rows are dropped
  };

  /// Opens its connection; throws std::runtime_error when the database cannot be opened.
  explicit AuditWriter(Options options);
  /// Writes what is still queued (one last attempt), then stops the thread.
  ~AuditWriter();
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  /// Queues a row; never waits for the database.
  void enqueue(AuditRecord record);
  /// Waits until every row queued before the call is committed: kStoreError when a pass failed
  /// meanwhile (the rows stay queued and are tried again). For tests, tools and shutdown.
  core::Status flush();

  /// Rows dropped because the queue was full (the database failing for a long time).
  std::uint64_t dropped() const;

 private:
  void run();
  core::Status writeBatch(const std::deque<AuditRecord>& rows);

  Options options_;
  Db db_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the thread: rows, a flush, or stop
  std::condition_variable written_;  // flush(): a pass ended
  std::deque<AuditRecord> queue_;
  std::uint64_t enqueued_ = 0;   // rows ever queued
  std::uint64_t committed_ = 0;  // rows ever committed or dropped (what flush waits for)
  std::uint64_t dropped_ = 0;
  std::uint64_t failed_passes_ = 0;
  bool flush_asked_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace garde::store
