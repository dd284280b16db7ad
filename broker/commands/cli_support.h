#pragma once
/// @file What the operator commands share: a failure said on stderr with the command's name, and
/// the database opened and brought to this binary's schema.

#include <string>

#include "broker/commands/commands.h"
#include "store/db.h"

namespace garde::broker::commands {

/// Prints "garde COMMAND: WHAT" on stderr and exits with `code` (CLI::RuntimeError).
[[noreturn]] void fail(const std::string& command, const std::string& what,
                       int code = kExitFailure);

/// How a message names the store at `locator`: an SQLite file by its path, PostgreSQL without its
/// URL (which may hold a password).
std::string storeName(const std::string& locator);

/// The database at `path`, migrated; with `create` false a missing file is a failure rather than
/// a new database.
store::Db openDatabase(const std::string& command, const std::string& path, bool create = true);

}  // namespace garde::broker::commands
