#include "broker/flows/audit_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include "core/log.h"
#include "core/private_files.h"

namespace garde::broker::flows {
namespace {

constexpr core::Logger kAuditLog("audit");

std::string joinCodes(const std::vector<std::string>& codes) {
  std::string out;
  for (const auto& c : codes) {
    out += out.empty() ? c : " " + c;
  }
  return out;
}

}  // namespace

AuditSink::AuditSink(std::string file, std::string database) : file_(std::move(file)) {
  if (!file_.empty()) {
    // Owner-only (0600 whatever the umask; an existing file others may read is refused).
    auto fd = core::openOwnerOnly(file_, O_WRONLY | O_APPEND);
    if (!fd) {
      throw std::runtime_error("log.audit_file: cannot open " + file_ +
                               " for appending: " + fd.error().detail);
    }
    fd_ = *fd;
  }
  if (!database.empty()) {
    table_ = std::make_unique<store::AuditWriter>(store::AuditWriter::Options{std::move(database)});
  }
}

AuditSink::~AuditSink() {
  table_.reset();  // writes the rows still queued
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

core::Status AuditSink::flushTable() { return table_ ? table_->flush() : core::Status{}; }

void AuditSink::setObserver(std::function<void(std::string_view)> observer) {
  std::lock_guard lock(mutex_);
  observer_ = std::move(observer);
}

core::Status AuditSink::write(const store::AuditRecord& r) {
  const std::string line = store::auditJsonLine(r);
  std::lock_guard lock(mutex_);
  if (observer_) {
    observer_(line);
  }
  if (fd_ >= 0) {
    const std::string with_newline = line + "\n";
    // O_APPEND: one write() per line keeps lines whole even with several processes.
    if (::write(fd_, with_newline.data(), with_newline.size()) !=
        static_cast<ssize_t>(with_newline.size())) {
      kAuditLog.error("cannot append to the audit file", {{"file", file_}});
      return core::fail(core::ErrorCode::kInternal, "cannot append to the audit file");
    }
  } else {
    // A record of account, not a diagnostic: written whatever log.level says (ADR 0011), and a
    // line stderr did not take refuses the release like a failed audit file.
    const std::string released = joinCodes(r.released);
    const bool written = kAuditLog.record("decision", {{"kind", r.kind},
                                {"correlation_id", r.correlation_id},
                                {"ent", r.ent_id},
                                {"uai", r.uai},
                                {"profile", r.profile},
                                {"publisher", r.publisher_id},
                                {"resource", r.resource_id},
                                {"released", released},
                                {"policy_version", r.policy_version},
                                {"outcome", r.outcome},
                                {"reason", r.reason},
                                {"actor", r.actor}});
    if (!written) {
      return core::fail(core::ErrorCode::kInternal, "cannot write the audit line to the main log");
    }
  }
  if (table_) {
    table_->enqueue(r);
  }
  return {};
}

}  // namespace garde::broker::flows
