#include "store/contract_submissions.h"

#include <set>

#include "store/util.h"

namespace garde::store {
namespace {

constexpr const char* kColumns =
    "SELECT id, publisher_id, revision, status, document, flags, submitted_by, submitted_at, "
    "decided_by, decided_at, decision_reason FROM contract_submissions ";

ContractSubmission submissionRow(const Stmt& s) {
  ContractSubmission out;
  out.id = s.int64(0);
  out.publisher_id = s.text(1);
  out.revision = s.int64(2);
  // An unreadable status fails closed: it is never taken for submitted or approved.
  out.status = parseSubmissionStatus(s.text(3)).value_or(SubmissionStatus::kRejected);
  out.document = s.text(4);
  out.flags = s.text(5);
  out.submitted_by = s.text(6);
  out.submitted_at = core::parseIso8601(s.text(7)).value_or(0);
  out.decided_by = s.optionalText(8).value_or("");
  out.decided_at = core::parseIso8601(s.optionalText(9).value_or("")).value_or(0);
  out.decision_reason = s.text(10);
  return out;
}

core::Status setStatus(Db& db, std::int64_t id, SubmissionStatus status, std::string_view actor,
                       std::string_view reason, core::UnixTime at) {
  GARDE_STORE_PREPARE(stmt, db,
                      "UPDATE contract_submissions SET status = ?2, decided_by = ?3, "
                      "decided_at = ?4, decision_reason = ?5 WHERE id = ?1");
  return stmt.bindAll(id, submissionStatusCode(status), actor, detail::isoTime(at), reason).run();
}

/// The submission, which must have `expected` status (kConflict naming the one it has).
core::Result<ContractSubmission> submissionIn(Db& db, std::int64_t id, SubmissionStatus expected) {
  GARDE_ASSIGN_OR_RETURN(auto s, findSubmission(db, id));
  if (s.status != expected) {
    return core::fail(core::ErrorCode::kConflict,
                      "the contract is " + std::string(submissionStatusCode(s.status)) +
                          ", not " + std::string(submissionStatusCode(expected)));
  }
  return s;
}

policy::ResourceContract contractOf(const ContractResource& r, policy::ContractStatus status) {
  policy::ResourceContract c;
  c.resource_id = r.resource.id;
  c.publisher_id = r.resource.publisher_id;
  c.category = r.resource.category;
  c.launch_mode = r.resource.launch_mode;
  c.status = status;
  c.declared = r.needs;
  return c;
}

/// The resource's publisher and contract status, when it exists.
struct ResourceState {
  std::string publisher_id;
  std::optional<std::string> contract_status;
};
core::Result<std::optional<ResourceState>> resourceState(Db& db, std::string_view resource_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT r.publisher_id, c.status FROM resources r "
                      "LEFT JOIN contracts c ON c.resource_id = r.id WHERE r.id = ?1");
  stmt.bind(1, resource_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return std::optional<ResourceState>();
  }
  return std::optional<ResourceState>(ResourceState{stmt.text(0), stmt.optionalText(1)});
}

/// The resource ids of `publisher_id` that have a contract of `status`.
core::Result<std::vector<std::string>> contractsOfPublisher(Db& db, std::string_view publisher_id,
                                                            policy::ContractStatus status) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT r.id FROM resources r JOIN contracts c ON c.resource_id = r.id "
                      "WHERE r.publisher_id = ?1 AND c.status = ?2 ORDER BY r.id");
  stmt.bindAll(publisher_id, policy::contractStatusCode(status));
  std::vector<std::string> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(s.text(0)); }));
  return out;
}

std::string revisionReason(std::string_view what, std::int64_t revision, std::string_view reason) {
  std::string out = std::string(what) + " " + std::to_string(revision);
  if (!reason.empty()) {
    out += ": " + std::string(reason);
  }
  return out;
}

}  // namespace

std::string_view submissionStatusCode(SubmissionStatus s) noexcept {
  switch (s) {
    case SubmissionStatus::kSubmitted:
      return "submitted";
    case SubmissionStatus::kApproved:
      return "approved";
    case SubmissionStatus::kSuspended:
      return "suspended";
    case SubmissionStatus::kSuperseded:
      return "superseded";
    case SubmissionStatus::kRejected:
      return "rejected";
  }
  return "rejected";
}

std::optional<SubmissionStatus> parseSubmissionStatus(std::string_view code) noexcept {
  for (auto s : {SubmissionStatus::kSubmitted, SubmissionStatus::kApproved,
                 SubmissionStatus::kSuspended, SubmissionStatus::kSuperseded,
                 SubmissionStatus::kRejected}) {
    if (submissionStatusCode(s) == code) {
      return s;
    }
  }
  return std::nullopt;
}

core::Result<ContractSubmission> submitContract(Db& db, const ContractDocument& doc,
                                                std::string_view document_json,
                                                std::string_view flags_json,
                                                std::string_view actor, core::UnixTime at) {
  std::int64_t id = 0;
  GARDE_TRY(detail::inTransaction(db, [&]() -> core::Status {
    GARDE_TRY(findPublisherName(db, doc.publisher_id));
    for (const auto& r : doc.resources) {
      if (r.resource.publisher_id != doc.publisher_id) {
        return core::fail(core::ErrorCode::kConflict, "a resource of another publisher");
      }
      GARDE_ASSIGN_OR_RETURN(const auto state, resourceState(db, r.resource.id));
      if (state && state->publisher_id != doc.publisher_id) {
        return core::fail(core::ErrorCode::kConflict,
                          "resource " + r.resource.id + " belongs to another publisher");
      }
      // Only what was never approved is shown ahead of review (as "contract not approved").
      if (!state || !state->contract_status || *state->contract_status == "submitted") {
        GARDE_TRY(upsertResource(db, r.resource));
        GARDE_TRY(saveContract(db, contractOf(r, policy::ContractStatus::kSubmitted), actor,
                               "submitted", at));
      }
    }
    {
      GARDE_STORE_PREPARE(stmt, db,
                          "UPDATE contract_submissions SET status = 'superseded', decided_by = ?2, "
                          "decided_at = ?3, decision_reason = 'a later revision was submitted' "
                          "WHERE publisher_id = ?1 AND status = 'submitted'");
      GARDE_TRY(stmt.bindAll(doc.publisher_id, actor, detail::isoTime(at)).run());
    }
    GARDE_STORE_PREPARE(
        stmt, db,
        "INSERT INTO contract_submissions(publisher_id, revision, status, document, flags, "
        "submitted_by, submitted_at) SELECT ?1, coalesce(max(revision), 0) + 1, 'submitted', ?2, ?3, "
        "?4, ?5 FROM contract_submissions WHERE publisher_id = ?1 RETURNING id");
    stmt.bindAll(doc.publisher_id, document_json, flags_json, actor, detail::isoTime(at));
    GARDE_STORE_STEP(row, stmt);
    if (!row) {
      return core::fail(core::ErrorCode::kStoreError, "the submission was not recorded");
    }
    id = stmt.int64(0);
    return core::Status{};
  }));
  return findSubmission(db, id);
}

core::Result<ContractSubmission> findSubmission(Db& db, std::int64_t id) {
  GARDE_STORE_PREPARE(stmt, db, std::string(kColumns) + "WHERE id = ?1");
  stmt.bind(1, id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kNotFound, "no such contract submission");
  }
  return submissionRow(stmt);
}

core::Result<std::vector<ContractSubmission>> listSubmissions(
    Db& db, std::optional<std::string_view> publisher_id, std::optional<SubmissionStatus> status) {
  GARDE_STORE_PREPARE(stmt, db,
                      std::string(kColumns) +
                          "WHERE (?1 IS NULL OR publisher_id = ?1) AND (?2 IS NULL OR status = ?2) "
                          "ORDER BY id DESC");
  std::optional<std::string> status_code;
  if (status) {
    status_code = std::string(submissionStatusCode(*status));
  }
  std::optional<std::string> publisher;
  if (publisher_id) {
    publisher = std::string(*publisher_id);
  }
  stmt.bindAll(publisher, status_code);
  std::vector<ContractSubmission> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(submissionRow(s)); }));
  return out;
}

core::Result<std::optional<ContractSubmission>> submissionInForce(Db& db,
                                                                  std::string_view publisher_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      std::string(kColumns) +
                          "WHERE publisher_id = ?1 AND status IN ('approved', 'suspended')");
  stmt.bind(1, publisher_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return std::optional<ContractSubmission>();
  }
  return std::optional<ContractSubmission>(submissionRow(stmt));
}

core::Status approveSubmission(Db& db, std::int64_t id, const ContractDocument& doc,
                               std::string_view actor, std::string_view reason,
                               core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(const auto s, submissionIn(db, id, SubmissionStatus::kSubmitted));
    if (doc.publisher_id != s.publisher_id) {
      return core::fail(core::ErrorCode::kConflict, "the document is not this submission's");
    }
    GARDE_ASSIGN_OR_RETURN(const auto in_force, submissionInForce(db, s.publisher_id));
    if (in_force && in_force->status == SubmissionStatus::kSuspended) {
      return core::fail(core::ErrorCode::kConflict,
                        "the publisher's contract in force is suspended: reinstate it first");
    }
    GARDE_ASSIGN_OR_RETURN(auto publisher, findPublisher(db, s.publisher_id));
    publisher.name = doc.publisher_name;
    publisher.sp_entity_id = doc.sp_entity_id;
    publisher.sp_metadata_xml = doc.sp_metadata_xml;
    GARDE_TRY(upsertPublisher(db, publisher));

    const std::string why = revisionReason("revision", s.revision, reason);
    std::set<std::string> kept;
    for (const auto& r : doc.resources) {
      GARDE_ASSIGN_OR_RETURN(const auto state, resourceState(db, r.resource.id));
      if (state && state->publisher_id != s.publisher_id) {
        return core::fail(core::ErrorCode::kConflict,
                          "resource " + r.resource.id + " belongs to another publisher");
      }
      GARDE_TRY(upsertResource(db, r.resource));
      GARDE_TRY(saveContract(db, contractOf(r, policy::ContractStatus::kApproved), actor, why, at));
      kept.insert(r.resource.id);
    }
    // What an earlier revision offered and this one does not is no longer in any contract.
    GARDE_ASSIGN_OR_RETURN(const auto approved, contractsOfPublisher(db, s.publisher_id,
                                                                     policy::ContractStatus::kApproved));
    for (const auto& resource_id : approved) {
      if (kept.count(resource_id) == 0) {
        GARDE_TRY(setContractStatus(db, resource_id, policy::ContractStatus::kSuspended, actor,
                                    revisionReason("left out of revision", s.revision, ""), at));
      }
    }
    if (in_force) {
      GARDE_TRY(setStatus(db, in_force->id, SubmissionStatus::kSuperseded, actor,
                          revisionReason("superseded by revision", s.revision, ""), at));
    }
    return setStatus(db, id, SubmissionStatus::kApproved, actor, reason, at);
  });
}

core::Status rejectSubmission(Db& db, std::int64_t id, std::string_view actor,
                              std::string_view reason, core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_TRY(submissionIn(db, id, SubmissionStatus::kSubmitted));
    return setStatus(db, id, SubmissionStatus::kRejected, actor, reason, at);
  });
}

core::Status suspendSubmission(Db& db, std::int64_t id, std::string_view actor,
                               std::string_view reason, core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(const auto s, submissionIn(db, id, SubmissionStatus::kApproved));
    GARDE_ASSIGN_OR_RETURN(const auto approved, contractsOfPublisher(db, s.publisher_id,
                                                                     policy::ContractStatus::kApproved));
    const std::string why = revisionReason("suspended revision", s.revision, reason);
    for (const auto& resource_id : approved) {
      GARDE_TRY(setContractStatus(db, resource_id, policy::ContractStatus::kSuspended, actor, why,
                                  at));
    }
    return setStatus(db, id, SubmissionStatus::kSuspended, actor, reason, at);
  });
}

core::Status reinstateSubmission(Db& db, std::int64_t id, const ContractDocument& doc,
                                 std::string_view actor, std::string_view reason,
                                 core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(const auto s, submissionIn(db, id, SubmissionStatus::kSuspended));
    if (doc.publisher_id != s.publisher_id) {
      return core::fail(core::ErrorCode::kConflict, "the document is not this submission's");
    }
    const std::string why = revisionReason("reinstated revision", s.revision, reason);
    for (const auto& r : doc.resources) {
      GARDE_TRY(setContractStatus(db, r.resource.id, policy::ContractStatus::kApproved, actor, why,
                                  at));
    }
    return setStatus(db, id, SubmissionStatus::kApproved, actor, reason, at);
  });
}

core::Result<EstablishmentsReached> establishmentsReached(Db& db, std::string_view resource_id,
                                                          int limit) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT DISTINCT u.uai FROM subscription_uais u JOIN subscriptions s "
                      "ON s.id = u.subscription_id WHERE s.resource_id = ?1 ORDER BY u.uai");
  stmt.bind(1, resource_id);
  EstablishmentsReached out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    if (out.total++ < limit) {
      out.uais.push_back(s.text(0));
    }
  }));
  return out;
}

}  // namespace garde::store
