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

/// All migrations, in order (SQLite).
const std::vector<Migration>& migrations();

/// PostgreSQL's migrations (migrations_postgresql.cpp): a PostgreSQL store was first created at
/// version 17, by one step that builds the schema SQLite reached through versions 1 to 17; every
/// later version is written for both engines, with the same number (docs/adr/0034).
const std::vector<Migration>& postgresqlMigrations();
/// The schema_version table on PostgreSQL.
const char* postgresqlSchemaVersionTable();

/// The latest version this binary knows.
int latestSchemaVersion();

/// The version of `db` (0 for an empty database).
core::Result<int> schemaVersion(Db& db);

/// Applies every migration above the current version up to `target` (default: latest).
/// kStoreError when the database is newer than this binary or a migration fails (that migration is
/// rolled back; earlier ones stay applied). On PostgreSQL the whole climb is one transaction under
/// the writers' lock (several nodes starting at once migrate one after the other, a failure leaves
/// the schema where it was), waiting up to 5 minutes for that lock; `target` cannot be below 17.
core::Status migrate(Db& db, int target = -1);

/// Whether the database at `path` answers: it exists (never created here), opens read-only within
/// `busy_timeout_ms`, and is at latestSchemaVersion(). For /readyz. kStoreError naming what failed.
core::Status probeDatabase(const std::string& path, int busy_timeout_ms = 1000);

}  // namespace garde::store
