#pragma once
/// @file Whose admin session this is, whatever its kind (docs/console.md): what the console asks
/// first, to know which pages to offer or whether to sign in. Read-only; CallerAuth::kNone: without
/// a valid session the answer is {"signed_in": false} (nothing else), not a refusal.
///
///   GET /api/v1/session   {"signed_in":true,"kind","id","display","csrf","idle_timeout_seconds",
///                          "expires_at","absolute_expires_at","establishments"?}

#include "broker/admin/session.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"

namespace garde::broker::api {

struct SessionApiDeps {
  const admin::AdminSessions& sessions;
  flows::DbPool& db;
};

/// `kind`: ministry_admin, auditor, assignment_manager or operator; `establishments` (the UAIs
/// the directory names an assignment manager for, read now) for a manager only.
Response handleSessionInfo(const Request& req, const SessionApiDeps& deps);

void mountSessionApi(Router& router, const SessionApiDeps& deps);

}  // namespace garde::broker::api
