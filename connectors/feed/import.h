#pragma once
/// @file Importing a full directory snapshot of one ENT project (docs/feeds.md, ADR 0015): GAR-ENT
/// files, single or in `.tar.gz` archives with their `.md5`, parsed and validated as they stream,
/// staged, checked and applied in one transaction (store/feed_import.h). Either the whole snapshot
/// is in force afterwards, or the directory is exactly as before and the report says why.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/feed/archive.h"
#include "connectors/feed/parser.h"
#include "core/result.h"
#include "core/time.h"
#include "store/db.h"
#include "store/feed_import.h"

namespace garde::connectors::feed {

/// One input of an import.
struct FeedInput {
  /// kXmlBytes: one GAR-ENT file in memory (the demo's embedded feed, broker/demo/data/), read on
  /// the importing thread like an archive's member.
  enum class Type { kXmlFile, kArchiveFile, kArchiveBytes, kXmlBytes };
  Type type = Type::kXmlFile;
  std::string path;                ///< kXmlFile, kArchiveFile
  std::string name;                ///< as reported (the file name; the upload's name)
  std::string_view bytes{};        ///< kArchiveBytes, kXmlBytes (the caller keeps them alive)
  std::optional<std::string> md5;  ///< the expected checksum (hex) of an archive
};

/// Sorts command-line paths into inputs (a directory stands for its files, in name order): `.xml`
/// files, `.tar.gz`/`.tgz` archives whose checksum is read from the `.md5` beside them
/// (`X.tar.gz.md5`, else `X.md5`), and `.md5` files (consumed by their archive). kNotFound for a
/// missing path or a missing `.md5`; kBadRequest for another kind of file.
core::Result<std::vector<FeedInput>> inputsFromPaths(const std::vector<std::string>& paths);

/// What an import was asked and may do.
struct FeedImportOptions {
  std::optional<std::string> ent_id;  ///< the ENT; otherwise read from the file names
  FeedLimits file_limits;
  ArchiveLimits archive_limits;
  std::size_t max_problems = 100;  ///< problems kept in the report
  /// Threads parsing .xml files at once (each validates one file at a time; this thread stages
  /// what they read). Archives are read on this thread, member after member.
  std::size_t parse_threads = 2;
  store::FeedProgress progress;  ///< phases "read" (records staged) and "merge" (steps)
};

/// One file of the snapshot, as read.
struct FeedFileReport {
  std::string name;
  std::string kind;    ///< "Eleve", ... or "" when not recognised
  std::string degree;  ///< "2D", "1D" or ""
  std::uint64_t records = 0;
};

/// The report of one import: in the terminal, as JSON, and in the feeds table.
struct FeedReport {
  std::string ent_id;
  std::optional<std::int64_t> feed_id;  ///< the feeds row (imported, or failed with its report)
  bool imported = false;
  std::string reason;  ///< why it was refused, when it was
  std::string started_at;
  std::string finished_at;
  std::vector<FeedFileReport> files;
  std::int64_t records = 0;
  /// Wall-clock milliseconds spent reading (parsing, validating, staging), checking the references
  /// and merging: where an import's time goes.
  std::int64_t read_ms = 0;
  std::int64_t check_ms = 0;
  std::int64_t merge_ms = 0;
  store::FeedCounts counts;
  std::vector<store::FeedProblem> problems;  ///< at.file indexes `files`
};

/// The report as JSON: {"feed_id", "ent", "status": "imported"|"refused", "reason", "started_at",
/// "finished_at", "records", "changed", "timings_ms": {"read", "check", "merge"}, "files": [...],
/// "counts": {"people": {"added", "changed", "removed"}, ...}, "problems": [{"file", "line",
/// "code", "message"}]}.
std::string reportJson(const FeedReport& report);

/// The report for a terminal: one line per kind and per problem.
std::string reportText(const FeedReport& report);

/// Imports the snapshot made of `inputs` into `db` (a connection of its own, no transaction open).
/// Refused (report.imported false, reason and problems set, the directory unchanged): a file not
/// well-formed or not valid against its schema, a DOCTYPE, a cap, a bad or missing checksum, an
/// unsafe archive member, files of several ENTs or of another ENT than `options.ent_id`, delta
/// files, an unknown ENT, an unknown establishment, a duplicate key, a snapshot without any
/// person. A refused import of a known ENT is recorded as a failed feed with its report. Errors
/// (kStoreError...): the store failed; the directory is unchanged as well.
core::Result<FeedReport> importFeed(store::Db& db, const std::vector<FeedInput>& inputs,
                                    const FeedImportOptions& options, core::UnixTime now);

}  // namespace garde::connectors::feed
