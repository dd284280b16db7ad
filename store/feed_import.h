#pragma once
/// @file Applying a full directory snapshot of one ENT project (docs/feeds.md, ADR 0015).
///
/// The records of every file are first *staged* in a private database attached to the import's
/// own connection (`stage`, a temporary file: no lock on the directory), then check() takes the
/// write lock (BEGIN IMMEDIATE) and verifies the references, merge() writes only what differs and
/// commit() ends the one transaction. Until commit() the directory is exactly as before: a failed
/// check, a store error, a killed process or a full disk roll everything back (SQLite's journal). A
/// FeedStage owns its connection's `stage` database: one stage per connection at a time, one
/// thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/db.h"
#include "store/feed_records.h"

namespace garde::store {

/// What an import did to one kind of row. Sets of facts (profiles, e-mails, ...) are only added or
/// removed; rows with fields of their own (people, groups, ...) may also change.
struct FeedChange {
  std::int64_t added = 0;
  std::int64_t changed = 0;
  std::int64_t removed = 0;
};

/// Per kind of directory row, what the import did.
struct FeedCounts {
  FeedChange establishments;
  FeedChange establishment_mefs;
  FeedChange establishment_subjects;
  FeedChange people;
  FeedChange profiles;
  FeedChange emails;
  FeedChange mefs;
  FeedChange subjects;
  FeedChange groups;
  FeedChange memberships;
  FeedChange managers;
  FeedChange manager_establishments;

  /// The kinds in report order with their JSON names.
  std::vector<std::pair<std::string_view, const FeedChange*>> named() const;
  /// Sum of every added, changed and removed count.
  std::int64_t total() const;
};

/// Called between the steps of merge() (and every 10,000 staged records): the phase, the steps
/// done and their total. May not touch the stage.
using FeedProgress =
    std::function<void(std::string_view phase, std::int64_t done, std::int64_t total)>;

class FeedStage {
 public:
  /// Prepares a stage on `db` for a snapshot of `ent_id`: attaches the staging database
  /// (`stage`; on PostgreSQL the session's temporary tables), creates its tables and opens the
  /// staging transaction (deferred: it writes the staging tables only). kStoreError on a store failure, kInternal when `db` is already inside
  /// a transaction.
  static core::Result<std::unique_ptr<FeedStage>> open(Db& db, std::string ent_id);
  /// Rolls back what was not committed and detaches (deletes) the staging database.
  ~FeedStage();
  FeedStage(const FeedStage&) = delete;
  FeedStage& operator=(const FeedStage&) = delete;

  /// Stages one record read at `at`. A second record with the key of one already staged (a person
  /// identifier, a UAI, a (UAI, group code), an assignment manager) is recorded as a problem with
  /// both positions, not an error. Errors: store failures.
  core::Status add(const FeedRecord& record, FeedPosition at);
  /// The problems add() found.
  const std::vector<FeedProblem>& problems() const { return problems_; }
  /// Sets the ENT the snapshot is of, once the files have said it (before check()).
  void setEntId(std::string ent_id) { ent_id_ = std::move(ent_id); }
  /// How many records were staged.
  std::int64_t records() const { return records_; }
  /// How many person records (pupils and teachers) were staged.
  std::int64_t people() const { return people_; }

  /// Ends staging (indexing the staged facts, still without a lock) and takes the write lock, then
  /// checks what the snapshot references: every UAI is one of the snapshot's establishments or
  /// already registered for this ENT; no establishment of the snapshot belongs to another ENT;
  /// every person, class or group referenced is in the snapshot; the ENT exists. Returns the
  /// problems found (at most `max_problems`); when there are any the transaction is rolled back.
  /// Errors: store failures.
  core::Result<std::vector<FeedProblem>> check(std::size_t max_problems);

  /// Writes the snapshot (after a check() without problems), in its transaction: adds, updates
  /// what differs, removes what the snapshot no longer lists (people, groups, facts; their
  /// assignments end by cascade). Establishments are never removed. Creates the feeds row
  /// (status "importing", `file_name`) whose id tags the rows written. Errors: store failures
  /// (the transaction is rolled back when the stage goes).
  core::Result<FeedCounts> merge(std::string_view file_name, core::UnixTime at,
                                 const FeedProgress& progress = {});
  /// The feeds row merge() created.
  std::int64_t feedId() const { return feed_id_; }

  /// Marks the feed "imported" with its report and commits: the snapshot is in force.
  core::Status commit(std::string_view report, core::UnixTime at);

 private:
  FeedStage(Db& db, std::string ent_id);
  core::Status stagePerson(const FeedPerson& p, FeedPosition at);
  /// Notes that the snapshot references `uai` (s_uai), for check().
  core::Status referenceUai(std::string_view uai);
  core::Status duplicate(std::string_view what, const char* find_sql, std::string_view key1,
                         std::string_view key2, FeedPosition at);
  /// Stages one fact without a key of its own (a profile, an e-mail, a membership...) into the
  /// staging table `which` (feed_import.cpp): one INSERT on SQLite; on PostgreSQL a row of that
  /// table's COPY buffer, sent when it is large and before check().
  template <class... Args>
  core::Status fact(int which, const Args&... args);
  core::Status flushFacts();
  struct FactBuffers;

  Db& db_;
  std::string ent_id_;
  std::unique_ptr<Transaction> tx_;
  std::vector<FeedProblem> problems_;
  std::int64_t records_ = 0;
  std::int64_t people_ = 0;
  std::int64_t feed_id_ = 0;
  std::string last_uai_;  ///< the UAI referenceUai() noted last (records come by establishment)
  std::unique_ptr<FactBuffers> facts_;  ///< PostgreSQL only: the facts' COPY buffers
};

/// Records a refused or failed import (status "failed", its report) in its own transaction, so
/// that the ENT can read why (GET /api/v1/ent/feeds/{id}). Returns the feeds row id; kUnknownPeer
/// when the ENT is unknown (there is nothing to attach the report to).
core::Result<std::int64_t> recordFailedFeed(Db& db, std::string_view ent_id,
                                            std::string_view file_name, std::string_view report,
                                            core::UnixTime at);

/// One row of the feeds table.
struct FeedRow {
  std::int64_t id = 0;
  std::string ent_id;
  std::string file_name;
  std::string received_at;
  std::string finished_at;
  std::string status;  ///< "importing", "imported" or "failed"
  std::int64_t item_count = 0;
  std::string report;  ///< the report JSON
};

/// The feed `feed_id` of `ent_id` (only that ENT's own: another ENT's id reads as kNotFound).
core::Result<FeedRow> findFeed(Db& db, std::string_view ent_id, std::int64_t feed_id);

}  // namespace garde::store
