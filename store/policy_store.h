#pragma once
/// @file The ministry's policy in the database: catalogue, versioned ceilings, and the
/// policy::PolicySource implementation the broker hands to the release rule.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/policy_source.h"
#include "store/db.h"

namespace garde::store {

/// Adds or updates a catalogue entry and its profiles; `position` orders the catalogue (and so
/// released attributes). No check and no history: for a fresh install and tests. Admins change
/// the catalogue through store/catalogue.h.
core::Status upsertCatalogueEntry(Db& db, const policy::CatalogueEntry& entry, int position);

/// The catalogue with each entry's profiles, ordered by position then code; each entry's position
/// is appended to `positions` when given.
core::Result<std::vector<policy::CatalogueEntry>> readCatalogue(
    Db& db, std::vector<int>* positions = nullptr);

/// A new policy version: the complete set of ceilings, who made it, when and why.
struct PolicyChange {
  std::string version;  ///< unique, e.g. "2025-09-01.1"
  std::string author;
  std::string reason;
  core::UnixTime at = 0;
  policy::Ceilings ceilings;
};

/// kConflict naming the first code of `ceilings` outside the catalogue, or the first row whose
/// profile the catalogue does not define its code for (ADR 0023).
core::Status checkCeilingCodes(Db& db, const policy::Ceilings& ceilings);

/// Publishes `change` as the current version; the previous current version is recorded in it.
/// Every ceiling code must be in the catalogue (kConflict otherwise); kConflict when the version
/// exists.
core::Status publishPolicy(Db& db, const PolicyChange& change);

struct PolicyVersionInfo {
  std::string version;
  std::optional<std::string> previous;
  std::string created_at;
  std::string created_by;
  std::string reason;
};
/// Every version, oldest first.
core::Result<std::vector<PolicyVersionInfo>> policyHistory(Db& db);
/// The ceilings of any version (current or past), kNotFound when unknown.
core::Result<policy::Ceilings> ceilingsOf(Db& db, std::string_view version);

/// The policy's generation: a counter the schema's triggers bump on every change to the catalogue,
/// the versions or the ceilings (migration 3). Equal generations mean the same policy.
core::Result<std::int64_t> policyGeneration(Db& db);

/// Reads the current policy from a Db in one read transaction. Not thread-safe: one per Db.
class SqlPolicySource final : public policy::PolicySource {
 public:
  /// `db` must outlive this object.
  explicit SqlPolicySource(Db& db) : db_(db) {}
  /// kStoreError when no policy version was ever published (nothing could be released).
  core::Result<policy::PolicySnapshot> currentPolicy() override;
  /// The same, with the generation it was read at (same transaction).
  core::Result<policy::PolicySnapshot> currentPolicy(std::int64_t& generation);

 private:
  Db& db_;
};

/// The current policy kept in memory for the broker: each call reads the generation (one indexed
/// single-row query) and re-reads the whole policy only when it changed, so that a launch does not
/// read the catalogue and the ceilings again, while a version an admin publishes (by any process
/// sharing the database) is in force for the next launch. Thread-safe; the snapshot returned stays
/// valid however long the caller holds it.
class PolicyCache {
 public:
  /// kStoreError when no policy version was ever published or the database fails.
  core::Result<std::shared_ptr<const policy::PolicySnapshot>> current(Db& db);

 private:
  std::mutex mutex_;
  std::int64_t generation_ = -1;
  std::shared_ptr<const policy::PolicySnapshot> snapshot_;
};

}  // namespace garde::store
