#pragma once
/// @file The sign-in of an establishment's assignment managers through their ENT, then on to the
/// console at /admin/ (broker/console/console.h; docs/assignments.md):
///
///   GET  /admin/login?ent=IDENT   starts the ENT leg (an SSO transaction marked admin_login)
///   POST /saml/sp/acs             ends it: an admin session for an assignment manager
///   POST /admin/logout            (admin session + CSRF) ends the session

#include <optional>
#include <string>
#include <utility>

#include "broker/admin/session.h"
#include "broker/flows/deps.h"
#include "broker/flows/services.h"
#include "broker/flows/state.h"
#include "broker/request.h"
#include "broker/router.h"

namespace garde::broker::flows {

/// An assignment manager's Caller id: idENT, a space, the identifier at the ENT (an idENT has no
/// space).
std::string managerId(std::string_view ent_id, std::string_view person_id);
/// (idENT, identifier) of a managerId(), or nullopt.
std::optional<std::pair<std::string, std::string>> splitManagerId(std::string_view id);

struct AdminLoginDeps {
  RefusalDeps refusals;
  EntLegDeps ent_leg;
};
struct AdminHomeDeps {
  const admin::AdminSessions& sessions;
  DbPool& db;
};

Response handleAdminLogin(const Request& req, const AdminLoginDeps& deps);
/// The ACS's end of an admin_login transaction: `identity` verified by the ACS.
Response finishAdminSignIn(const Request& req, const AcsDeps& deps, const SsoTransaction& tx,
                           const core::Result<connectors::ent::EntIdentity>& identity,
                           core::UnixTime now);
Response handleAdminLogout(const Request& req, const AdminHomeDeps& deps);

void mountAdminSignIn(Router& router, const AdminLoginDeps& login, const AdminHomeDeps& home);

/// Their deps, lent from `services` (mount.cpp).
AdminLoginDeps adminLoginDeps(FlowServices& services);
AdminHomeDeps adminHomeDeps(FlowServices& services);

}  // namespace garde::broker::flows
