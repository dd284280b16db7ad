#pragma once
/// @file flows::DbPool: the store connections the flows lease, one per request at a time.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/db.h"

namespace garde::broker::flows {

/// A small pool of connections to one store (an SQLite file or a PostgreSQL URL). store::Db is one per thread at a time;
/// rather than one connection per I/O thread for the life of the thread (thread_local, which would
/// outlive the pool and mix databases in tests), a request leases a connection for its duration
/// and gives it back. Connections are opened lazily, so the pool grows to the number of requests
/// that were ever concurrently in a flow (at most the I/O thread count). Thread-safe.
class DbPool {
 public:
  /// `max_idle`: the connections kept open when returned ([store] pool_size); one returned
  /// beyond is closed (a PostgreSQL server counts its connections).
  explicit DbPool(std::string path, store::OpenOptions options = {}, std::size_t max_idle = 16);
  /// The database file.
  const std::string& path() const noexcept { return path_; }
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
  std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<store::Db>> idle_;
};

}  // namespace garde::broker::flows
