// `garde feed import --database FILE [--ent IDENT] [--json FILE] PATH...`: imports a full
// directory snapshot of one ENT project (GAR-ENT files, or .tar.gz archives with their .md5) in one
// transaction (docs/feeds.md). Prints the report; exit 0 when imported, 1 when refused or failed.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "connectors/feed/import.h"
#include "core/time.h"
#include "store/db.h"
#include "store/migrations.h"

namespace garde::broker::commands {
namespace {

struct FeedImportArgs {
  std::string database;
  std::string ent;
  std::string json;
  bool quiet_json = false;
  std::vector<std::string> paths;
  std::uint64_t max_expanded = 0;
  std::size_t threads = 2;
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "garde feed import: " << what << "\n";
  throw CLI::RuntimeError(kExitFailure);
}

/// A progress line on a terminal (stderr), redrawn in place; nothing when stderr is not one.
store::FeedProgress terminalProgress() {
  if (isatty(STDERR_FILENO) != 1) {
    return {};
  }
  return [](std::string_view phase, std::int64_t done, std::int64_t total) {
    if (total > 0) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(kWidth * done / total);
      std::fprintf(stderr, "\r%-6.*s [%-*.*s] %3lld%%", static_cast<int>(phase.size()),
                   phase.data(), kWidth, filled, "##############################",
                   static_cast<long long>(100 * done / total));
      if (done == total) {
        std::fprintf(stderr, "\n");
      }
    } else {
      std::fprintf(stderr, "\r%-6.*s %lld records", static_cast<int>(phase.size()), phase.data(),
                   static_cast<long long>(done));
    }
    std::fflush(stderr);
  };
}

void run(const FeedImportArgs& args) {
  auto inputs = connectors::feed::inputsFromPaths(args.paths);
  if (!inputs) {
    fail(inputs.error().describe());
  }
  store::OpenOptions open_options;
  open_options.memory_map = false;  // the import reads the whole directory: no mapped pages in RSS
  auto db = store::Db::open(args.database, open_options);
  if (!db) {
    fail(storeName(args.database) + ": " + db.error().describe());
  }
  if (auto s = store::migrate(*db); !s) {
    fail(s.error().describe());
  }
  connectors::feed::FeedImportOptions options;
  if (!args.ent.empty()) {
    options.ent_id = args.ent;
  }
  if (args.max_expanded > 0) {
    options.archive_limits.max_expanded_bytes = args.max_expanded;
  }
  options.progress = terminalProgress();
  options.parse_threads = args.threads;
  auto report = connectors::feed::importFeed(*db, *inputs, options, core::systemNow());
  if (!report) {
    fail("the import failed, the directory is unchanged: " + report.error().describe());
  }
  const std::string json = connectors::feed::reportJson(*report);
  if (!args.json.empty()) {
    std::ofstream out(args.json, std::ios::binary | std::ios::trunc);
    out << json << "\n";
    if (!out) {
      std::cerr << "garde feed import: cannot write " << args.json << "\n";
    }
  }
  std::cout << connectors::feed::reportText(*report);
  if (!args.quiet_json) {
    std::cout << json << "\n";
  }
  if (!report->imported) {
    throw CLI::RuntimeError(kExitFailure);
  }
}

}  // namespace

void addFeedImport(CLI::App& app) {
  auto* sub = subcommandGroup(app, "feed", "Directory feeds (GAR-ENT files) of the ENT projects")
                  .add_subcommand("import",
                                  "Import a full snapshot of one ENT project: GAR-ENT .xml files "
                                  "or .tar.gz archives with their .md5, in one transaction");
  auto args = std::make_shared<FeedImportArgs>();
  sub->add_option("--database", args->database, "SQLite database file")->required();
  sub->add_option("--ent", args->ent,
                  "idENT of the snapshot (otherwise read from the file names, which must agree)");
  sub->add_option("--json", args->json, "also write the report as JSON to this file");
  sub->add_flag("--no-json", args->quiet_json, "do not print the JSON report on stdout");
  sub->add_option("--max-expanded-bytes", args->max_expanded,
                  "cap on the bytes an archive expands to (default 16 GiB)");
  sub->add_option("--threads", args->threads,
                  "threads parsing .xml files at once (default 2; archives are read on one)");
  sub->add_option("paths", args->paths, "GAR-ENT .xml files, .tar.gz archives (.md5 beside)")
      ->required();
  sub->callback([args] { run(*args); });
}

}  // namespace garde::broker::commands
