#pragma once
/// @file What the launch and SSO flows need, handed to them by `serve` (or a test): the clock,
/// randomness, the state sealer, a database pool, both peer registries and role settings, the
/// replay cache, the pseudonymizer, the audit sink and the metrics. Everything here is either
/// immutable or thread-safe, so one FlowContext serves every I/O thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/metrics.h"
#include "connectors/ent/ent_side.h"
#include "connectors/publisher/publisher_side.h"
#include "core/random.h"
#include "core/result.h"
#include "core/sealed_token.h"
#include "core/time.h"
#include "policy/pseudonym.h"
#include "saml/replay_cache.h"
#include "store/audit.h"
#include "store/audit_writer.h"
#include "store/db.h"
#include "store/launch.h"
#include "store/policy_store.h"

namespace garde::broker::flows {

/// A small pool of SQLite connections to one database file. store::Db is one per thread at a time;
/// rather than one connection per I/O thread for the life of the thread (thread_local, which would
/// outlive the pool and mix databases in tests), a request leases a connection for its duration
/// and gives it back. Connections are opened lazily, so the pool grows to the number of requests
/// that were ever concurrently in a flow (at most the I/O thread count). Thread-safe.
class DbPool {
 public:
  explicit DbPool(std::string path, store::OpenOptions options = {});
  DbPool(const DbPool&) = delete;
  DbPool& operator=(const DbPool&) = delete;

  /// A connection borrowed from the pool; returned when the lease is destroyed.
  class Lease {
   public:
    Lease(DbPool& pool, std::unique_ptr<store::Db> db) : pool_(&pool), db_(std::move(db)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    store::Db& db() { return *db_; }

   private:
    DbPool* pool_;
    std::unique_ptr<store::Db> db_;
  };

  /// A free connection, or a new one. kStoreError when the database cannot be opened.
  core::Result<Lease> acquire();

 private:
  void release(std::unique_ptr<store::Db> db);
  std::string path_;
  store::OpenOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<store::Db>> idle_;
};

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

/// The flows' dependencies. References must outlive every request.
struct FlowContext {
  core::Clock& clock;
  core::Random& random;
  Metrics& metrics;
  const core::TokenSealer& sealer;
  DbPool& db;
  const connectors::ent::EntRegistry& ents;
  const connectors::publisher::PublisherRegistry& publishers;
  const connectors::ent::SpSettings& sp;
  const connectors::publisher::IdpSettings& idp;
  saml::ReplayCache& replay_cache;
  /// Publisher AuthnRequest IDs taken, per publisher, while the request is fresh. Its own cache:
  /// unsigned requests can fill it, and they must not crowd out the ENT assertions'.
  saml::InMemoryReplayCache& request_replay_cache;
  const policy::Pseudonymizer& pseudonyms;
  AuditSink& audit;
  /// Whom the refusal page tells the user to contact.
  std::string contact = "le référent numérique de votre établissement";
  /// Lifetime of the launch cookie and of the SSO transaction (seconds).
  std::int64_t state_lifetime_seconds = 600;
  /// The current policy, re-read from the database only when its generation changes.
  store::PolicyCache policy_cache{};
  /// Resources and contracts, re-read only when the registry generation changes.
  store::ResourceCache resource_cache{};
};

}  // namespace garde::broker::flows
