// `garde store migrate-to-postgresql --from FILE --to URL`: copies an SQLite store into an empty
// PostgreSQL database (store/engine_copy.h), for a region that outgrows one node. The broker is
// stopped meanwhile (the copy reads one snapshot: what nodes write after it would be lost); the
// operator then sets [store] engine = "postgresql" and url (docs/deployment.md).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "store/db.h"
#include "store/engine_copy.h"

namespace garde::broker::commands {
namespace {

constexpr const char* kCommand = "store migrate-to-postgresql";

struct MigrateOptions {
  std::string from;
  std::string to;
};

void runMigrate(const MigrateOptions& opt) {
  if (store::engineOf(opt.from) != store::Engine::kSqlite) {
    fail(kCommand, "--from is the SQLite database file");
  }
  if (store::engineOf(opt.to) != store::Engine::kPostgresql) {
    fail(kCommand, "--to is a libpq URL, postgresql://...", kExitUsage);
  }
  store::OpenOptions read_only;
  read_only.read_only = true;
  read_only.create = false;
  auto from = store::Db::open(opt.from, read_only);
  if (!from) {
    fail(kCommand, "cannot open " + opt.from + ": " + from.error().describe());
  }
  auto to = store::Db::open(opt.to);
  if (!to) {
    // The URL is not repeated: it may hold a password.
    fail(kCommand, "cannot connect to the PostgreSQL database: " + to.error().describe());
  }
  std::int64_t total = 0;
  auto copied =
      store::copySqliteToPostgresql(*from, *to, [&](std::string_view table, std::int64_t rows) {
        total += rows;
        std::cout << "  " << table << ": " << rows << " rows\n";
      });
  if (!copied) {
    fail(kCommand, "nothing was copied: " + copied.error().describe(),
         copied.error().code == core::ErrorCode::kBadRequest ? kExitUsage : kExitFailure);
  }
  std::cout << "copied " << copied->size() << " tables, " << total << " rows, from " << opt.from
            << " into PostgreSQL; set [store] engine = \"postgresql\" and url to start on it\n";
}

}  // namespace

void addStoreMigrateToPostgresql(CLI::App& app) {
  auto opt = std::make_shared<MigrateOptions>();
  CLI::App* sub =
      subcommandGroup(app, "store", "The store (SQLite or PostgreSQL)")
          .add_subcommand("migrate-to-postgresql",
                          "Copy an SQLite store, the broker stopped, into an empty PostgreSQL "
                          "database (migrated first), in one transaction");
  sub->add_option("--from", opt->from, "the SQLite database file")->required();
  sub->add_option("--to", opt->to,
                  "the PostgreSQL database, a libpq URL (postgresql://user@host/db?...; prefer "
                  "passfile= or ~/.pgpass to a password in the URL)")
      ->required();
  sub->callback([opt] { runMigrate(*opt); });
}

}  // namespace garde::broker::commands
