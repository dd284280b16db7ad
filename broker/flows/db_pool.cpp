#include "broker/flows/db_pool.h"

namespace garde::broker::flows {

DbPool::DbPool(std::string path, store::OpenOptions options, std::size_t max_idle)
    : path_(std::move(path)), options_(options), max_idle_(max_idle) {}

DbPool::Lease::~Lease() {
  if (db_) {
    pool_->release(std::move(db_));
  }
}

core::Result<DbPool::Lease> DbPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(db));
    }
  }
  auto opened = store::Db::open(path_, options_);
  if (!opened) {
    return core::fail(std::move(opened).error());
  }
  return Lease(*this, std::make_unique<store::Db>(std::move(opened).value()));
}

void DbPool::release(std::unique_ptr<store::Db> db) {
  if (db->inTransaction()) {
    return;  // a flow left a transaction open (an exception): drop the connection, never reuse it
  }
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) {
    idle_.push_back(std::move(db));
  }  // else closed as `db` goes
}

}  // namespace garde::broker::flows
