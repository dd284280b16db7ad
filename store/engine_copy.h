#pragma once
/// @file One store copied into another of the other engine: an SQLite database into an empty
/// PostgreSQL one (`garde store migrate-to-postgresql`, docs/deployment.md), for a region that
/// outgrows one node.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/db.h"

namespace garde::store {

struct CopiedTable {
  std::string name;
  std::int64_t rows = 0;
};

/// Called after each table: its name and its rows.
using CopyProgress = std::function<void(std::string_view table, std::int64_t rows)>;

/// Copies every table of `from` (SQLite, at this binary's schema version) into `to` (PostgreSQL),
/// which is migrated first and must hold no data yet (its counters, which migrations seed, are
/// replaced). Tables go parents first (their foreign keys), each through COPY, all in one
/// transaction under the writers' lock: a failure leaves `to` as it was. Identity sequences are
/// moved past the ids copied (and past SQLite's AUTOINCREMENT counters), so new rows never reuse
/// an id. Each table's row count is checked on both sides before the commit.
/// kBadRequest when `from` or `to` is not of the engine expected or `to` already holds data;
/// kStoreError when a read, the copy or the commit fails.
core::Result<std::vector<CopiedTable>> copySqliteToPostgresql(Db& from, Db& to,
                                                              const CopyProgress& progress = {});

}  // namespace garde::store
