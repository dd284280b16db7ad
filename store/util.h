#pragma once
// Internal helpers of store/*.cpp (not part of the module's interface).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"
#include "core/time.h"
#include "store/db.h"

namespace garde::store::detail {

/// Prepares `sql` or returns its failure from the enclosing function.
#define GARDE_STORE_PREPARE(var, db, sql)                         \
  auto var##_result_ = (db).prepare(sql);                         \
  if (!var##_result_) {                                           \
    return ::garde::core::fail(std::move(var##_result_).error()); \
  }                                                               \
  ::garde::store::Stmt& var = *var##_result_

/// Steps `stmt` into `has_row` or returns its failure from the enclosing function.
#define GARDE_STORE_STEP(has_row, stmt)                               \
  auto has_row##_result_ = (stmt).step();                             \
  if (!has_row##_result_) {                                           \
    return ::garde::core::fail(std::move(has_row##_result_).error()); \
  }                                                                   \
  const bool has_row = *has_row##_result_

/// Calls `f(stmt)` for each row; returns the first step failure.
template <class F>
core::Status forEachRow(Stmt& stmt, F&& f) {
  for (;;) {
    auto row = stmt.step();
    if (!row) {
      return core::fail(std::move(row).error());
    }
    if (!*row) {
      return {};
    }
    f(static_cast<const Stmt&>(stmt));
  }
}

/// Runs `body` (returning core::Status) in a new IMMEDIATE transaction, or inside the caller's
/// transaction when one is open (the caller then decides to commit or roll back).
template <class F>
core::Status inTransaction(Db& db, F&& body) {
  if (db.inTransaction()) {
    return body();
  }
  auto tx = Transaction::begin(db);
  if (!tx) {
    return core::fail(std::move(tx).error());
  }
  GARDE_TRY(body());
  return tx->commit();
}

inline std::string isoTime(core::UnixTime t) { return core::formatIso8601(t); }

/// The value of a one-row generation counter (policy_generation, registry_generation): `sql` is the
/// constant query reading it, `what` names it in the error when the row is missing.
inline core::Result<std::int64_t> generationCounter(Db& db, const char* sql,
                                                    std::string_view what) {
  GARDE_STORE_PREPARE(stmt, db, sql);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kStoreError, std::string(what) + " row missing");
  }
  return stmt.int64(0);
}

}  // namespace garde::store::detail
