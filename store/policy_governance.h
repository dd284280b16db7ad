#pragma once
/// @file Changing the ministry's ceilings with four eyes (migration 11, docs/governance.md, ADR
/// 0021): a change that narrows what can be released is published at once; one that widens it
/// waits as a proposal until another ministry admin approves it.

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/policy_source.h"
#include "policy/preview.h"
#include "store/db.h"

namespace garde::store {

enum class ProposalStatus { kPending, kApplied, kRejected };
std::string_view proposalStatusCode(ProposalStatus s) noexcept;  ///< "pending" | ...

struct CeilingProposal {
  std::int64_t id = 0;
  std::string base_version;  ///< the version in force when it was proposed
  std::string proposed_by;
  core::UnixTime proposed_at = 0;
  std::string reason;
  policy::Ceilings ceilings;  ///< the whole proposed table
  ProposalStatus status = ProposalStatus::kPending;
  std::string decided_by;
  core::UnixTime decided_at = 0;
  std::string decision_reason;
  std::string applied_version;
};

/// What a proposed change did.
struct ProposalOutcome {
  bool applied = false;         ///< published now (a narrowing), or waiting (a widening)
  std::string version;          ///< the version published, when applied
  std::int64_t proposal_id = 0;  ///< the proposal kept, when waiting
  std::vector<policy::CeilingChange> changes;
};

/// Proposes `ceilings` as the whole new table, by `author`, for `reason` (required). The changes
/// are computed against the version in force for every category of the resources: none is a
/// kConflict; a narrowing is published as a new version at once; a widening is kept as a pending
/// proposal. kConflict for a code outside the catalogue, kBadRequest without a reason.
core::Result<ProposalOutcome> proposeCeilings(Db& db, const std::string& author,
                                              const std::string& reason,
                                              const policy::Ceilings& ceilings, core::UnixTime now);

/// Publishes a pending proposal as the new version, approved by `approver`. kForbidden when the
/// approver proposed it (four eyes), kNotFound for no such pending proposal, kConflict when the
/// ceilings changed since it was proposed (its changes were computed against another version:
/// it must be proposed again). Returns the version published.
core::Result<std::string> approveProposal(Db& db, std::int64_t id, const std::string& approver,
                                          core::UnixTime now);
/// Rejects a pending proposal (any ministry admin, its proposer included: a withdrawal).
core::Status rejectProposal(Db& db, std::int64_t id, const std::string& who,
                            const std::string& reason, core::UnixTime now);

core::Result<std::vector<CeilingProposal>> listProposals(Db& db);
core::Result<std::optional<CeilingProposal>> findProposal(Db& db, std::int64_t id);

/// The categories of every resource (the ceilings' keys a change is judged by).
core::Result<std::set<std::string>> resourceCategories(Db& db);

/// The version in force and its ceilings. kNotFound when none was ever published.
core::Result<std::pair<std::string, policy::Ceilings>> ceilingsInForce(Db& db);

}  // namespace garde::store
