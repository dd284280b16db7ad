#pragma once
/// @file The ministry's policy in the database: catalogue, versioned ceilings, and the
/// policy::PolicySource implementation the broker hands to the release rule.

#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/policy_source.h"
#include "store/db.h"

namespace garde::store {

/// Adds or updates a catalogue entry; `position` orders the catalogue (and so released attributes).
core::Status upsertCatalogueEntry(Db& db, const policy::CatalogueEntry& entry, int position);

/// A new policy version: the complete set of ceilings, who made it, when and why.
struct PolicyChange {
  std::string version;  ///< unique, e.g. "2025-09-01.1"
  std::string author;
  std::string reason;
  core::UnixTime at = 0;
  policy::Ceilings ceilings;
};

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

/// Reads the current policy from a Db in one read transaction. Not thread-safe: one per Db.
class SqlPolicySource final : public policy::PolicySource {
 public:
  /// `db` must outlive this object.
  explicit SqlPolicySource(Db& db) : db_(db) {}
  /// kStoreError when no policy version was ever published (nothing could be released).
  core::Result<policy::PolicySnapshot> currentPolicy() override;

 private:
  Db& db_;
};

}  // namespace garde::store
