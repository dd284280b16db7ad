#pragma once
/// @file The ministry's attribute catalogue as admins change it (migration 12, docs/governance.md,
/// ADR 0023): each change records who, when, why, the entry before and after; a change that would
/// leave a ceiling row of the version in force naming an attribute for a profile it no longer
/// exists for is refused (narrow the ceilings first), so a catalogue edit never widens a release
/// by itself and may apply at once.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/policy_source.h"
#include "store/db.h"

namespace garde::store {

/// One entry as listed: the entry and its display position.
struct CatalogueItem {
  policy::CatalogueEntry entry;
  int position = 0;
};

/// The catalogue, ordered by position then code.
core::Result<std::vector<CatalogueItem>> listCatalogue(Db& db);

/// A change of one entry, by `actor` for `reason` (both required) at `at`.
struct CatalogueChange {
  policy::CatalogueEntry entry;  ///< the whole new entry; `profiles` not empty
  std::optional<int> position;   ///< kept (or after the last entry, for a new one) when absent
  std::string actor;
  std::string reason;
  core::UnixTime at = 0;
};

/// What putCatalogueEntry did.
struct CatalogueOutcome {
  bool added = false;  ///< a new entry (else an update)
  CatalogueItem item;  ///< the entry now in the catalogue
};

/// Adds or updates `change.entry`, in one transaction with its history row. kBadRequest without a
/// reason, an actor or a profile; kConflict when it changes nothing, or when it removes a profile
/// that a ceiling row of the version in force allows the code for (the detail names every such
/// row: "narrow the ceilings first"). Pending ceiling proposals are not checked: publishing one
/// checks its rows against the catalogue then (checkCeilingCodes).
core::Result<CatalogueOutcome> putCatalogueEntry(Db& db, const CatalogueChange& change);

/// Deletes the entry `code`, in one transaction with its history row. kBadRequest without a
/// reason or an actor, kNotFound for no such entry, kConflict naming the ceiling rows of the
/// version in force that allow it.
core::Status deleteCatalogueEntry(Db& db, const std::string& code, const std::string& actor,
                                  const std::string& reason, core::UnixTime at);

/// One change of the catalogue. `before` and `after` are the entry as a JSON object
/// ({"code","meaning","sensitivity","multi_valued","profiles":[...],"position"}), absent when
/// added or deleted.
struct CatalogueHistoryEntry {
  std::int64_t id = 0;
  std::string code;
  std::string action;  ///< "add" | "update" | "delete"
  std::string at;      ///< ISO 8601
  std::string actor;
  std::string reason;
  std::string policy_version;  ///< the ceilings' version in force at the change
  std::optional<std::string> before;
  std::optional<std::string> after;
};

/// The history, newest first: at most `limit` changes older than `before_id` (0: from the newest).
core::Result<std::vector<CatalogueHistoryEntry>> catalogueHistory(Db& db, std::int64_t before_id,
                                                                  int limit);

/// `entry` at `position` as the history's JSON text (profiles in kAllProfiles order).
std::string catalogueEntryText(const policy::CatalogueEntry& entry, int position);

}  // namespace garde::store
