#pragma once
/// @file Explain (docs/governance.md): what a resource would release to a person or to a profile,
/// and for each attribute left out the rule that left it out. The same functions as a launch:
/// policy::decide for a person (with the store's facts, subscriptions and current policy),
/// policy::explain for a profile. Never values. Read-only (CallerAuth::kMinistryReader).
///
///   GET /api/v1/admin/explain?resource=R&profile=National_elv
///   GET /api/v1/admin/explain?resource=R&ent=E&person=P&uai=U

#include <boost/json/object.hpp>

#include <string>

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/audit_subject.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/time.h"
#include "core/error.h"
#include "policy/pseudonym.h"
#include "store/db.h"
#include "store/launch.h"
#include "store/policy_store.h"

namespace garde::broker::api {

/// What to explain: `resource` and either `profile`, or `ent` + `person` + `uai`.
struct ExplainQuery {
  std::string resource;
  std::string profile;
  std::string ent;     ///< idENT of the person's ENT project
  std::string person;  ///< the person's identifier at that ENT
  std::string uai;     ///< the establishment the person would launch from
  bool byPerson() const;
  /// kBadRequest unless exactly one of the two forms is given (each value at most 1024 chars).
  core::Status check() const;
};

/// What an explanation reads: the launch's own caches and pseudonymizer.
struct ExplainContext {
  const core::Clock& clock;
  store::ResourceCache& resources;
  store::PolicyCache& policies;
  const policy::Pseudonymizer& pseudonyms;
};

/// The explanation as the API answers it (docs/governance.md, "Explain"), in one read
/// transaction: kBadRequest for a bad query, kNotFound for a resource without contract, store
/// errors as they come. A person the store cannot launch for (unknown, no profile at that UAI...)
/// is an answer (`entitled: false` with the refusal), not an error. Used by the API and by
/// `garde policy explain`.
core::Result<boost::json::object> explain(store::Db& db, const ExplainQuery& q,
                                          const ExplainContext& ctx);

struct AdminExplainDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  store::ResourceCache& resources;
  store::PolicyCache& policies;
  const policy::Pseudonymizer& pseudonyms;
  flows::AuditSink& audit;
  const flows::AuditSubjects& subjects;
  const admin::AdminSessions& sessions;
};

Response handleExplain(const Request& req, const AdminExplainDeps& deps);

void mountAdminExplain(Router& router, const AdminExplainDeps& deps);

}  // namespace garde::broker::api
