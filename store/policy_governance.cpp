#include "store/policy_governance.h"

#include "store/policy_store.h"
#include "store/util.h"

namespace garde::store {
namespace {

constexpr const char* kColumns =
    "SELECT id, base_version, proposed_by, proposed_at, reason, ceilings, status, "
    "coalesce(decided_by, ''), coalesce(decided_at, ''), decision_reason, coalesce(applied_version, '') "
    "FROM ceiling_proposals ";

/// One row per allowed code: "profile<TAB>category<TAB>code".
std::string ceilingsText(const policy::Ceilings& c) {
  std::string out;
  for (const auto& [key, codes] : c.rows()) {
    for (const auto& code : codes) {
      out += std::string(policy::profileCode(key.first)) + '\t' + key.second + '\t' + code + '\n';
    }
  }
  return out;
}

policy::Ceilings parseCeilingsText(std::string_view text) {
  policy::Ceilings c;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::size_t a = line.find('\t');
    const std::size_t b = a == std::string_view::npos ? a : line.find('\t', a + 1);
    if (b == std::string_view::npos) {
      continue;
    }
    if (const auto profile = policy::parseProfile(line.substr(0, a))) {
      c.allow(*profile, std::string(line.substr(a + 1, b - a - 1)),
              std::string(line.substr(b + 1)));
    }
  }
  return c;
}

std::optional<ProposalStatus> parseStatus(std::string_view s) {
  if (s == "pending") return ProposalStatus::kPending;
  if (s == "applied") return ProposalStatus::kApplied;
  if (s == "rejected") return ProposalStatus::kRejected;
  return std::nullopt;
}

CeilingProposal proposalRow(const Stmt& s) {
  CeilingProposal p;
  p.id = s.int64(0);
  p.base_version = s.text(1);
  p.proposed_by = s.text(2);
  p.proposed_at = core::parseIso8601(s.text(3)).value_or(0);
  p.reason = s.text(4);
  p.ceilings = parseCeilingsText(s.text(5));
  p.status = parseStatus(s.text(6)).value_or(ProposalStatus::kPending);
  p.decided_by = s.text(7);
  p.decided_at = core::parseIso8601(s.text(8)).value_or(0);
  p.decision_reason = s.text(9);
  p.applied_version = s.text(10);
  return p;
}

/// A new version's name: the day and the next sequence number ("2026-12-03.7"), unique.
core::Result<std::string> nextVersionName(Db& db, core::UnixTime now) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT coalesce(max(seq), 0) + 1 FROM policy_versions");
  GARDE_STORE_STEP(row, stmt);
  const std::int64_t seq = row ? stmt.int64(0) : 1;
  return core::formatIso8601(now).substr(0, 10) + "." + std::to_string(seq);
}

core::Result<std::string> publish(Db& db, const std::string& author, const std::string& reason,
                                  const policy::Ceilings& ceilings, core::UnixTime now) {
  PolicyChange change;
  GARDE_ASSIGN_OR_RETURN(change.version, nextVersionName(db, now));
  change.author = author;
  change.reason = reason;
  change.at = now;
  change.ceilings = ceilings;
  GARDE_TRY(publishPolicy(db, change));
  return change.version;
}

}  // namespace

std::string_view proposalStatusCode(ProposalStatus s) noexcept {
  switch (s) {
    case ProposalStatus::kPending:
      return "pending";
    case ProposalStatus::kApplied:
      return "applied";
    case ProposalStatus::kRejected:
      return "rejected";
  }
  return "pending";
}

core::Result<std::set<std::string>> resourceCategories(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT DISTINCT category FROM resources");
  std::set<std::string> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.insert(s.text(0)); }));
  return out;
}

core::Result<std::pair<std::string, policy::Ceilings>> ceilingsInForce(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, "SELECT version FROM policy_versions ORDER BY seq DESC LIMIT 1");
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kNotFound, "no policy version was ever published");
  }
  std::string version = stmt.text(0);
  stmt.reset();
  GARDE_ASSIGN_OR_RETURN(policy::Ceilings ceilings, ceilingsOf(db, version));
  return std::pair{std::move(version), std::move(ceilings)};
}

core::Result<ProposalOutcome> proposeCeilings(Db& db, const std::string& author,
                                              const std::string& reason,
                                              const policy::Ceilings& ceilings,
                                              core::UnixTime now) {
  if (reason.empty()) {
    return core::fail(core::ErrorCode::kBadRequest, "reason: why the ceilings change");
  }
  ProposalOutcome out;
  GARDE_TRY(detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(auto in_force, ceilingsInForce(db));
    GARDE_ASSIGN_OR_RETURN(const std::set<std::string> categories, resourceCategories(db));
    out.changes = policy::diffCeilings(in_force.second, ceilings, categories);
    if (out.changes.empty()) {
      return core::fail(core::ErrorCode::kConflict, "the proposal changes nothing");
    }
    if (!policy::widens(out.changes)) {
      // Narrowing only: at once, no second pair of eyes needed to release less.
      GARDE_ASSIGN_OR_RETURN(out.version, publish(db, author, reason, ceilings, now));
      out.applied = true;
      return core::Status{};
    }
    // Every code must exist, as publishing would check: said now rather than at approval.
    GARDE_TRY(checkCeilingCodes(db, ceilings));
    GARDE_STORE_PREPARE(stmt, db,
                        "INSERT INTO ceiling_proposals(base_version, proposed_by, proposed_at, "
                        "reason, ceilings, status) VALUES (?1, ?2, ?3, ?4, ?5, 'pending') RETURNING id");
    GARDE_TRY(stmt.bindAll(in_force.first, author, detail::isoTime(now), reason,
                           ceilingsText(ceilings))
                  .step());
    out.proposal_id = stmt.int64(0);
    GARDE_TRY(stmt.run());
    return core::Status{};
  }));
  return out;
}

core::Result<std::optional<CeilingProposal>> findProposal(Db& db, std::int64_t id) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kColumns) + "WHERE id = ?1");
  stmt.bind(1, id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return std::optional<CeilingProposal>();
  }
  return std::optional<CeilingProposal>(proposalRow(stmt));
}

core::Result<std::vector<CeilingProposal>> listProposals(Db& db) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kColumns) + "ORDER BY id");
  std::vector<CeilingProposal> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(proposalRow(s)); }));
  return out;
}

core::Result<std::string> approveProposal(Db& db, std::int64_t id, const std::string& approver,
                                          core::UnixTime now) {
  std::string version;
  GARDE_TRY(detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(const auto found, findProposal(db, id));
    if (!found || found->status != ProposalStatus::kPending) {
      return core::fail(core::ErrorCode::kNotFound, "no pending proposal " + std::to_string(id));
    }
    if (found->proposed_by == approver) {
      return core::fail(core::ErrorCode::kForbidden,
                        "a widening needs another admin's approval than its proposer's");
    }
    GARDE_ASSIGN_OR_RETURN(const auto in_force, ceilingsInForce(db));
    if (in_force.first != found->base_version) {
      return core::fail(core::ErrorCode::kConflict,
                        "the ceilings changed since this proposal (" + found->base_version +
                            " then, " + in_force.first + " now): propose it again");
    }
    GARDE_ASSIGN_OR_RETURN(version, publish(db, found->proposed_by,
                                            found->reason + " (approved by " + approver + ")",
                                            found->ceilings, now));
    GARDE_STORE_PREPARE(stmt, db,
                        "UPDATE ceiling_proposals SET status = 'applied', decided_by = ?2, "
                        "decided_at = ?3, applied_version = ?4 WHERE id = ?1");
    return stmt.bindAll(id, approver, detail::isoTime(now), version).run();
  }));
  return version;
}

core::Status rejectProposal(Db& db, std::int64_t id, const std::string& who,
                            const std::string& reason, core::UnixTime now) {
  GARDE_STORE_PREPARE(stmt, db,
                      "UPDATE ceiling_proposals SET status = 'rejected', decided_by = ?2, "
                      "decided_at = ?3, decision_reason = ?4 WHERE id = ?1 AND status = 'pending'");
  GARDE_TRY(stmt.bindAll(id, who, detail::isoTime(now), reason).run());
  if (db.changes() == 0) {
    return core::fail(core::ErrorCode::kNotFound, "no pending proposal " + std::to_string(id));
  }
  return {};
}

}  // namespace garde::store
