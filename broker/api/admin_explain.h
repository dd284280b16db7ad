#pragma once
/// @file Explain (docs/governance.md): what a resource would release to a person or to a profile,
/// and for each attribute left out the rule that left it out. The same functions as a launch:
/// policy::decide for a person (with the store's facts, subscriptions and current policy),
/// policy::explain for a profile. Never values. Read-only (CallerAuth::kMinistryReader).
///
///   GET /api/v1/admin/explain?resource=R&profile=National_elv
///   GET /api/v1/admin/explain?resource=R&ent=E&person=P&uai=U

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/audit_subject.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/time.h"
#include "policy/pseudonym.h"
#include "store/launch.h"
#include "store/policy_store.h"

namespace garde::broker::api {

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
