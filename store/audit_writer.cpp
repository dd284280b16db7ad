#include "store/audit_writer.h"

#include <stdexcept>
#include <utility>

#include "core/log.h"

namespace garde::store {
namespace {

constexpr core::Logger kLog("store.audit");

Db openOrThrow(const std::string& path) {
  auto db =
      Db::open(path, OpenOptions{.busy_timeout_ms = 5000, .read_only = false, .create = false});
  if (!db) {
    throw std::runtime_error("audit writer: cannot open " + path + ": " + db.error().describe());
  }
  return std::move(db).value();
}

}  // namespace

AuditWriter::AuditWriter(Options options)
    : options_(std::move(options)), db_(openOrThrow(options_.database)) {
  thread_ = std::thread([this] { run(); });
}

AuditWriter::~AuditWriter() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void AuditWriter::enqueue(AuditRecord record) {
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queued) {
      queue_.pop_front();
      ++dropped_;
      ++committed_;  // accounted for: flush() must not wait for it
      if (dropped_ == 1 || dropped_ % 10'000 == 0) {
        kLog.error(
            "audit rows dropped: the queue is full (the database keeps failing); the "
            "audit file still has them",
            {{"dropped", std::to_string(dropped_)}});
      }
    }
    queue_.push_back(std::move(record));
    ++enqueued_;
    wake = queue_.size() >= options_.batch;
  }
  if (wake) {
    wake_.notify_one();
  }
}

core::Status AuditWriter::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = enqueued_;
  const std::uint64_t failures = failed_passes_;
  flush_asked_ = true;
  wake_.notify_one();
  written_.wait(lock, [&] { return committed_ >= target || failed_passes_ != failures; });
  if (committed_ >= target) {
    return {};
  }
  return core::fail(core::ErrorCode::kStoreError, "audit rows could not be written yet");
}

std::uint64_t AuditWriter::dropped() const {
  const std::lock_guard lock(mutex_);
  return dropped_;
}

core::Status AuditWriter::writeBatch(const std::deque<AuditRecord>& rows) {
  GARDE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_, Transaction::Kind::kImmediate));
  for (const auto& row : rows) {
    GARDE_TRY(writeAudit(db_, row));
  }
  return tx.commit();
}

void AuditWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, options_.interval,
                   [this] { return stopping_ || flush_asked_ || queue_.size() >= options_.batch; });
    flush_asked_ = false;
    if (queue_.empty()) {
      written_.notify_all();
      if (stopping_) {
        return;
      }
      continue;
    }
    std::deque<AuditRecord> rows;
    rows.swap(queue_);
    const bool last = stopping_;
    lock.unlock();
    const auto status = writeBatch(rows);
    lock.lock();
    if (status) {
      committed_ += rows.size();
    } else {
      ++failed_passes_;
      kLog.error("audit rows not written; kept for the next pass",
                 {{"rows", std::to_string(rows.size())}, {"error", status.error().describe()}});
      // Back in front of what arrived meanwhile, in order, within the queue's bound.
      for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
        if (queue_.size() >= options_.max_queued) {
          ++dropped_;
          ++committed_;
          continue;
        }
        queue_.push_front(std::move(*it));
      }
    }
    written_.notify_all();
    if (!status) {
      if (last) {
        kLog.error("audit rows not written at shutdown; the audit file has them",
                   {{"rows", std::to_string(queue_.size())}});
        return;
      }
      // A failing database is not retried in a loop: wait a whole interval (or the stop).
      wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    }
  }
}

}  // namespace garde::store
