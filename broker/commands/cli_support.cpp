#include "broker/commands/cli_support.h"

#include <CLI/CLI.hpp>

#include <iostream>

#include "store/migrations.h"

namespace garde::broker::commands {

void fail(const std::string& command, const std::string& what, int code) {
  std::cerr << "garde " << command << ": " << what << "\n";
  throw CLI::RuntimeError(code);
}

std::string storeName(const std::string& locator) {
  return store::engineOf(locator) == store::Engine::kPostgresql ? "the PostgreSQL store" : locator;
}

store::Db openDatabase(const std::string& command, const std::string& path, bool create) {
  store::OpenOptions options;
  options.create = create;
  auto db = store::Db::open(path, options);
  if (!db) {
    fail(command, "cannot open " + storeName(path) + ": " + db.error().describe());
  }
  if (auto migrated = store::migrate(*db); !migrated) {
    fail(command, "cannot migrate " + storeName(path) + ": " + migrated.error().describe());
  }
  return std::move(db).value();
}

}  // namespace garde::broker::commands
