#pragma once
/// @file Contracts as publishers submit them and ministry admins decide them (docs/contracts.md,
/// ADR 0024): one numbered revision per submission, of which at most one per publisher is in
/// force. The contract in force is applied to the resources, contracts and contract_declarations
/// tables that a launch reads (store/publishers.h), so a revision waiting for review changes
/// nothing that is released, and a suspension reaches every node at its next launch (the registry
/// generation of migration 4).
///
/// The store keeps the submitted document as text and does not read it: the broker parses it
/// (broker/api/contract_document.h) and hands the store the parsed ContractDocument.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/contract.h"
#include "store/db.h"
#include "store/publishers.h"

namespace garde::store {

/// One resource of a contract, as its publisher describes it.
struct ContractResource {
  Resource resource;  ///< publisher_id is the contract's
  /// Per profile, the attributes it needs, each with its justification.
  std::map<policy::Profile, std::vector<policy::DeclaredAttribute>> needs;
};

/// What a contract says: the publisher, its SP, its resources and what each needs.
struct ContractDocument {
  std::string publisher_id;  ///< SIREN_ISNI
  std::string publisher_name;
  std::string sp_entity_id;     ///< read from the metadata
  std::string sp_metadata_xml;  ///< as submitted
  std::vector<ContractResource> resources;
  std::string comment;  ///< to the reviewer; may be empty
};

enum class SubmissionStatus {
  kSubmitted,   ///< waiting for a ministry admin
  kApproved,    ///< in force
  kSuspended,   ///< in force but suspended: nothing is released to the publisher
  kSuperseded,  ///< replaced by a later revision (approved, or submitted over it)
  kRejected,    ///< refused by a ministry admin, with a reason
};
std::string_view submissionStatusCode(SubmissionStatus s) noexcept;  ///< "submitted", ...
std::optional<SubmissionStatus> parseSubmissionStatus(std::string_view code) noexcept;

struct ContractSubmission {
  std::int64_t id = 0;
  std::string publisher_id;
  std::int64_t revision = 0;
  SubmissionStatus status = SubmissionStatus::kSubmitted;
  std::string document;  ///< the JSON document as the broker normalised it
  std::string flags;     ///< JSON array: what the reviewer should look at (needs above a ceiling)
  std::string submitted_by;
  core::UnixTime submitted_at = 0;
  std::string decided_by;  ///< empty while submitted
  core::UnixTime decided_at = 0;
  std::string decision_reason;
};

/// Records a new revision of `doc.publisher_id`'s contract as submitted and returns it. A revision
/// still waiting for review is superseded by it. Resources of the document that garde does not
/// know yet, or whose only contract was never approved, are created (or updated) with a
/// `submitted` contract holding the needs, so that a launch or an explain says "contract not
/// approved" rather than "unknown resource"; resources with a contract in force are left exactly
/// as they are. The publisher must exist (kUnknownPeer); a resource of another publisher is
/// kConflict. Runs in its own transaction unless the caller has one open.
core::Result<ContractSubmission> submitContract(Db& db, const ContractDocument& doc,
                                                std::string_view document_json,
                                                std::string_view flags_json,
                                                std::string_view actor, core::UnixTime at);

/// kNotFound when there is no such submission.
core::Result<ContractSubmission> findSubmission(Db& db, std::int64_t id);
/// Every submission, newest first; only those of `publisher_id` / with `status` when given.
core::Result<std::vector<ContractSubmission>> listSubmissions(
    Db& db, std::optional<std::string_view> publisher_id = std::nullopt,
    std::optional<SubmissionStatus> status = std::nullopt);
/// The submission in force for a publisher (approved or suspended), if any.
core::Result<std::optional<ContractSubmission>> submissionInForce(Db& db,
                                                                  std::string_view publisher_id);

/// Puts submission `id` in force: `doc` (its parsed document; its publisher must be the
/// submission's) is applied to the publisher (name, SP entityID and metadata), its resources and
/// their contracts (approved, with the needs as declarations); a resource of the revision in force
/// that this one leaves out is suspended; the revision in force becomes superseded. kConflict
/// when the submission is not `submitted`, or when the publisher's contract in force is suspended
/// (reinstate it first). One transaction.
core::Status approveSubmission(Db& db, std::int64_t id, const ContractDocument& doc,
                               std::string_view actor, std::string_view reason, core::UnixTime at);
/// kConflict unless `submitted`.
core::Status rejectSubmission(Db& db, std::int64_t id, std::string_view actor,
                              std::string_view reason, core::UnixTime at);
/// Suspends the contract in force (`id` must be it, approved): every resource contract of the
/// publisher becomes suspended at once. kConflict otherwise.
core::Status suspendSubmission(Db& db, std::int64_t id, std::string_view actor,
                               std::string_view reason, core::UnixTime at);
/// Lifts a suspension: the resources of `doc` (the suspended submission's parsed document) are
/// approved again. kConflict unless `id` is suspended.
core::Status reinstateSubmission(Db& db, std::int64_t id, const ContractDocument& doc,
                                 std::string_view actor, std::string_view reason,
                                 core::UnixTime at);

/// The establishments (UAI, sorted) with a subscription to `resource_id`, at most `limit`, and how
/// many there are in all: the "which establishments would it affect" of a preview.
struct EstablishmentsReached {
  std::vector<std::string> uais;
  std::int64_t total = 0;
};
core::Result<EstablishmentsReached> establishmentsReached(Db& db, std::string_view resource_id,
                                                          int limit = 100);

}  // namespace garde::store
