#pragma once
/// @file The ministry's attribute catalogue through the admin API (JSON; docs/governance.md,
/// ADR 0023): the entries with the profiles each exists for, changes that apply at once (an edit
/// that would leave a ceiling row of the version in force without its attribute is refused: narrow
/// the ceilings first), and their history (store/catalogue.h).
///
///   GET    /api/v1/admin/catalogue                    every entry, in display order
///   PUT    /api/v1/admin/catalogue/{code}             {"reason","meaning","sensitivity",
///                                                      "multi_valued","profiles",["position"]}
///   DELETE /api/v1/admin/catalogue/{code}             {"reason"}
///   GET    /api/v1/admin/catalogue/history            newest first; ?before=ID&limit=N

#include <optional>
#include <string>
#include <string_view>

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/result.h"
#include "core/time.h"
#include "policy/policy_source.h"

namespace garde::broker::api {

struct AdminCatalogueDeps {
  const core::Clock& clock;
  flows::DbPool& db;
  flows::AuditSink& audit;
  const admin::AdminSessions& sessions;
};

/// The PUT body and its path's code, checked: the code 1 to 32 of [A-Z0-9_]; exactly the fields
/// reason (1 to 1000 characters), meaning (1 to 200, no control character), sensitivity
/// ("technical" | "personal" | "sensitive"), multi_valued (a boolean), profiles (1 to 7 distinct
/// National_* codes) and optionally position (an integer, 0 to 10000). kBadRequest naming the
/// field otherwise. Untrusted input (fuzz/catalogue.cpp).
struct CatalogueRequest {
  std::string reason;
  policy::CatalogueEntry entry;
  std::optional<int> position;
};
core::Result<CatalogueRequest> parseCatalogueRequest(std::string_view code, std::string_view json);

/// The DELETE body: exactly {"reason"} (1 to 1000 characters). kBadRequest otherwise.
core::Result<std::string> parseCatalogueDeleteRequest(std::string_view json);

/// Whether `code` is an attribute code: 1 to 32 of [A-Z0-9_].
bool isAttributeCode(std::string_view code) noexcept;

void mountAdminCatalogue(Router& router, const AdminCatalogueDeps& deps);

}  // namespace garde::broker::api
