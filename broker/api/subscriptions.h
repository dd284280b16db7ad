#pragma once
/// @file The GAR subscription web service for publishers (docs/partner-apis.md,
/// docs/adr/0017-subscription-web-service.md): create, update, delete and list a publisher's own
/// subscriptions, the connected establishments and the assignment report, XML in and out.
///
/// Every route is CallerAuth::kClientCertificate; a caller that is not a publisher (an ENT
/// project's certificate) gets 403 before anything is read. Routes relative to the service's root:
///   PUT    /{idAbonnement}                 create (201; 409 when the id exists)
///   POST   /{idAbonnement}                 update (200; the establishments cannot change)
///   DELETE /{idAbonnement}                 delete (204)
///   POST   /abonnements                    list with <filtres> (200 <abonnements>)
///   GET    /etablissements/etablissements.xml  the connected establishments
///   GET    /rapports/affectations.xml      the assignment report of the caller's subscriptions
/// A subscription of another publisher is answered as an unknown one (404); a listing filter on
/// another publisher's idDistributeurCom is a 403.

#include <string_view>

#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/time.h"

namespace garde::broker::api {

/// What the handlers use: the database pool (thread-safe) and the clock (for created_at /
/// updated_at). Both must outlive the routers.
struct SubscriptionApiDeps {
  flows::DbPool& db;
  const core::Clock& clock;
};

/// Mounts the routes under `prefix`: "" at the root of the service's own listener, "/abonnements"
/// on the main listener (then also `POST /abonnements` itself lists, as the service's root
/// `POST /abonnements` does). Throws std::invalid_argument on a route already mounted.
void mountSubscriptionApi(Router& router, const SubscriptionApiDeps& deps, std::string_view prefix);

/// The handlers, for tests with hand-made Requests (req.caller set as the router would).
Response handleCreateSubscription(const Request& req, const SubscriptionApiDeps& deps);
Response handleUpdateSubscription(const Request& req, const SubscriptionApiDeps& deps);
Response handleDeleteSubscription(const Request& req, const SubscriptionApiDeps& deps);
Response handleListSubscriptions(const Request& req, const SubscriptionApiDeps& deps);
Response handleListEstablishments(const Request& req, const SubscriptionApiDeps& deps);
Response handleAssignmentReport(const Request& req, const SubscriptionApiDeps& deps);

}  // namespace garde::broker::api
