#pragma once
/// @file Contract onboarding (docs/contracts.md, ADR 0024): publishers submit, ministry admins
/// review, approve, reject, suspend and reinstate. JSON in and out.
///
///   POST /api/v1/publisher/contracts                    a new revision (the publisher's certificate)
///   GET  /api/v1/publisher/contracts                    its own revisions and their fate
///   GET  /api/v1/admin/contracts[?status=S&publisher=P] the revisions, newest first
///   GET  /api/v1/admin/contracts/{id}                   one, its needs against the ceilings
///   GET  /api/v1/admin/contracts/{id}/preview           what approving it would start/stop
///   POST /api/v1/admin/contracts/{id}/approve           {"reason"?}
///   POST /api/v1/admin/contracts/{id}/reject            {"reason"}
///   POST /api/v1/admin/contracts/{id}/suspend           {"reason"}: releases stop at once
///   POST /api/v1/admin/contracts/{id}/reinstate         {"reason"}

#include <string_view>
#include <vector>

#include "broker/admin/session.h"
#include "broker/api/contract_document.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/result.h"
#include "core/time.h"
#include "saml/keys.h"
#include "store/contract_submissions.h"
#include "store/db.h"

namespace garde::broker::api {

struct ContractsDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  flows::AuditSink& audit;
  const admin::AdminSessions& sessions;
  /// `[contracts] metadata_signers_file`: when non-empty, SP metadata must be signed by one.
  const std::vector<saml::Certificate>& metadata_signers;
};

/// What a submission came to: stored (with its flags), or refused with every problem.
struct SubmitOutcome {
  std::optional<store::ContractSubmission> submission;  ///< empty when refused
  std::vector<ContractProblem> problems;                ///< errors when refused; flags otherwise
};

/// Validates `contract` against the database (policy in force, resources, entityIDs) and, when it
/// has no error, stores it as a new submitted revision; both in one immediate transaction. The
/// API and `garde contract submit` call this alone.
core::Result<SubmitOutcome> submitCheckedContract(store::Db& db, ParsedContract contract,
                                                  const std::vector<saml::Certificate>& signers,
                                                  std::string_view actor, core::UnixTime now);

void mountContracts(Router& router, const ContractsDeps& deps);

}  // namespace garde::broker::api
