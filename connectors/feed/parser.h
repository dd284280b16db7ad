#pragma once
/// @file Streaming parser of one GAR-ENT file (docs/feeds.md): libxml2's xmlTextReader, validated
/// against the embedded schema of its namespace while it streams, hardened for untrusted input.
///
/// Memory does not grow with the file: the reader keeps the current element only and the records
/// go to the caller one at a time. Hardening: a DOCTYPE is refused before the parser sees it (so
/// no DTD, no entity declared or expanded, no external fetch), entity references and processing
/// instructions are refused, the network is off (XML_PARSE_NONET), XInclude is never run, and the
/// bytes, depth, text of an element and records per file are capped. Every problem carries the
/// file's index and a line.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/feed/schemas.h"
#include "core/result.h"
#include "store/feed_records.h"

namespace garde::connectors::feed {

/// The five kinds of GAR-ENT file, by root element.
enum class FeedKind { kEleve, kEnseignant, kEtab, kGroupe, kRespAff };

/// "Eleve", "Enseignant", "Etab", "Groupe", "RespAff" (as in the file names).
std::string_view kindName(FeedKind kind) noexcept;

/// Caps for one file.
struct FeedLimits {
  std::uint64_t max_file_bytes = 1ull << 30;  ///< one file's bytes (files are split at 10,000)
  std::size_t max_depth = 8;                  ///< element nesting (the schemas need 4)
  std::size_t max_text = 4096;                ///< the text of one element (schemas: 500 at most)
  std::uint64_t max_records = 200'000;        ///< records of one file (ENTs split at 10,000)
  std::size_t max_problems = 100;             ///< problems kept per file before giving up
  std::size_t max_prolog = 64 * 1024;         ///< bytes before the root element's start tag ends
};

/// Reads at most `size` bytes into `buffer`: the count read, 0 at the end, -1 on an I/O error.
using FeedRead = std::function<long(char* buffer, std::size_t size)>;

/// Receives each record (the sink's to keep: it may move from it) with the line of its element. A
/// failure stops the parse and is returned.
using FeedRecordSink = std::function<core::Status(store::FeedRecord&&, std::uint32_t line)>;

/// What was read of one file.
struct FeedFileSummary {
  std::optional<FeedKind> kind;  ///< nullopt when the root element was not reached
  std::optional<Degree> degree;  ///< from the root element's namespace
  std::uint64_t records = 0;     ///< records handed to the sink
  bool ok = false;               ///< read to the end, valid, no problem
};

/// Parses one GAR-ENT file streamed from `read`, named `name` (in messages). Problems (not
/// well-formed, DOCTYPE, schema violations, caps, unknown profile or group status) are appended to
/// `problems` with `file_index` and their line; once the file has a problem no further record
/// reaches the sink. Errors: only the sink's own failures.
/// `schemas`: the calling thread's own (SchemaSet), or nullptr for the process-wide ones (one
/// thread at a time).
core::Result<FeedFileSummary> parseFeedFile(std::string_view name, std::uint32_t file_index,
                                            const FeedRead& read, const FeedRecordSink& sink,
                                            std::vector<store::FeedProblem>& problems,
                                            const FeedLimits& limits = {},
                                            const SchemaSet* schemas = nullptr);

/// The same over bytes in memory (tests, the fuzz target).
core::Result<FeedFileSummary> parseFeedBytes(std::string_view name, std::string_view bytes,
                                             const FeedRecordSink& sink,
                                             std::vector<store::FeedProblem>& problems,
                                             const FeedLimits& limits = {});

}  // namespace garde::connectors::feed
