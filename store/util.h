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

/// Prepares `sql` into the Stmt `var` or returns its failure from the enclosing function.
#define GARDE_STORE_PREPARE(var, db, sql) \
  GARDE_ASSIGN_OR_RETURN(::garde::store::Stmt var, (db).prepare(sql))

/// Steps `stmt` into `has_row` or returns its failure from the enclosing function.
#define GARDE_STORE_STEP(has_row, stmt) GARDE_ASSIGN_OR_RETURN(const bool has_row, (stmt).step())

/// Calls `f(stmt)` for each row; returns the first step failure.
template <class F>
core::Status forEachRow(Stmt& stmt, F&& f) {
  for (;;) {
    GARDE_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) {
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
  GARDE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db));
  GARDE_TRY(body());
  return tx.commit();
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
