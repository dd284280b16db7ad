#pragma once
/// @file Versioned schema migrations: ordered SQL embedded in the binary (migrations.cpp).
///
/// The schema_version table lists every migration applied. A migration runs in one transaction
/// together with its schema_version row, so a failure leaves the database at the previous version.
/// Migrations are append-only: a released migration is never edited, a new one follows it.

#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/db.h"

namespace garde::store {

struct Migration {
  int version;            ///< 1, 2, 3... contiguous
  std::string_view name;  ///< short description, recorded in schema_version
  const char* sql;        ///< constant SQL, no parameters
};

/// All migrations, in order.
const std::vector<Migration>& migrations();

/// The latest version this binary knows.
int latestSchemaVersion();

/// The version of `db` (0 for an empty database).
core::Result<int> schemaVersion(Db& db);

/// Applies every migration above the current version up to `target` (default: latest).
/// kStoreError when the database is newer than this binary or a migration fails (that migration is
/// rolled back; earlier ones stay applied).
core::Status migrate(Db& db, int target = -1);

/// Whether the database at `path` answers: it exists (never created here), opens read-only within
/// `busy_timeout_ms`, and is at latestSchemaVersion(). For /readyz. kStoreError naming what failed.
core::Status probeDatabase(const std::string& path, int busy_timeout_ms = 1000);

}  // namespace garde::store
