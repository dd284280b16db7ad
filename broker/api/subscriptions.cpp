#include "broker/api/subscriptions.h"

#include <string>
#include <vector>

#include "connectors/subscriptions/abonnement.h"
#include "core/log.h"
#include "store/db.h"
#include "store/directory.h"
#include "store/publishers.h"
#include "store/subscriptions.h"

namespace garde::broker::api {
namespace {

namespace abo = connectors::subscriptions;
using core::ErrorCode;

constexpr core::Logger kLog("api.subscriptions");

/// An XML answer: `<erreurs>` with one problem per field, or the document.
Response xml(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.setHeader("Content-Type", "application/xml; charset=utf-8");
  r.setHeader("Cache-Control", "no-store");
  return r;
}

Response refusal(const Request& req, int status, std::string_view code,
                 std::vector<abo::FieldProblem> problems) {
  Response r = xml(status, abo::writeErrors(code, problems));
  r.log_fields.emplace_back("refusal", std::string(code));
  if (!problems.empty() && !problems.front().field.empty()) {
    r.log_fields.emplace_back("field", problems.front().field);
  }
  if (req.caller) {
    r.log_fields.emplace_back("publisher", req.caller->id);
  }
  return r;
}

Response refusal(const Request& req, int status, std::string_view code, std::string field,
                 std::string message) {
  return refusal(req, status, code, {{std::move(field), std::move(message)}});
}

Response storeFailure(const Request& req, const core::Error& error) {
  kLog.error("the store failed", {{"request_id", req.request_id}, {"error", error.describe()}});
  return refusal(req, 503, "indisponible", "", "the service is unavailable, try again later");
}

/// The calling publisher, or the 403 for any other kind of caller.
std::optional<Response> requirePublisher(const Request& req) {
  if (!req.caller || req.caller->kind != Caller::Kind::kPublisher) {
    return refusal(req, 403, "acces_refuse", "",
                   "this service is for publishers: the client certificate is not a publisher's");
  }
  return std::nullopt;
}

std::string pathId(const Request& req) {
  const std::string* id = req.pathParam("idAbonnement");
  return id != nullptr ? *id : std::string();
}

/// The caller's subscription `id`, or nullopt when it does not exist or is another publisher's
/// (answered alike: a publisher learns nothing of others' subscriptions).
core::Result<std::optional<store::SubscriptionRecord>> ownSubscription(store::Db& db,
                                                                       const std::string& id,
                                                                       const std::string& caller) {
  auto found = store::findSubscription(db, id);
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return std::optional<store::SubscriptionRecord>();
    }
    return core::fail(std::move(found).error());
  }
  if (found->publisher_id != caller) {
    return std::optional<store::SubscriptionRecord>();
  }
  return std::optional<store::SubscriptionRecord>(std::move(found).value());
}

/// What the rules need from the store: the resource's publisher and the establishments' natures.
core::Status readContext(store::Db& db, const abo::AbonnementFields& fields,
                         abo::AbonnementContext& ctx) {
  if (fields.resource_id) {
    if (auto resource = store::findResource(db, *fields.resource_id)) {
      ctx.resource_publisher = resource->publisher_id;
    } else if (resource.error().code != ErrorCode::kUnknownResource) {
      return core::fail(std::move(resource).error());
    }
  }
  const std::vector<std::string>& uais = ctx.existing != nullptr ? ctx.existing->uais : fields.uais;
  for (const auto& uai : uais) {
    if (auto e = store::findEstablishment(db, uai)) {
      ctx.known_natures[uai] = e->nature_code;
    } else if (e.error().code != ErrorCode::kNotFound) {
      return core::fail(std::move(e).error());
    }
  }
  return {};
}

Response malformed(const Request& req, const core::Error& error) {
  const bool hostile = error.code == ErrorCode::kForbiddenXml;
  return refusal(req, error.code == ErrorCode::kLimitExceeded ? 413 : 400,
                 hostile ? "xml_interdit" : "xml_invalide", "", error.detail);
}

/// PUT and POST /{idAbonnement}: parse, read what the rules need, check, store.
Response handleWrite(const Request& req, const SubscriptionApiDeps& deps,
                     abo::AbonnementOperation operation) {
  if (auto refused = requirePublisher(req)) {
    return *refused;
  }
  const std::string id = pathId(req);
  auto fields = abo::parseAbonnement(req.body);
  if (!fields) {
    return malformed(req, fields.error());
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return storeFailure(req, lease.error());
  }
  store::Db& db = lease->db();
  auto tx = store::Transaction::begin(db);
  if (!tx) {
    return storeFailure(req, tx.error());
  }
  abo::AbonnementContext ctx;
  ctx.operation = operation;
  ctx.path_id = id;
  ctx.caller_id = req.caller->id;
  std::optional<store::SubscriptionRecord> existing;
  if (auto found = store::findSubscription(db, id)) {
    existing = std::move(found).value();
  } else if (found.error().code != ErrorCode::kNotFound) {
    return storeFailure(req, found.error());
  }
  const bool create = operation == abo::AbonnementOperation::kCreate;
  if (create && existing) {
    // The id is the table's key for every publisher: a taken id is a conflict, whoever took it.
    return refusal(req, 409, "abonnement_existant", "idAbonnement",
                   "a subscription with this idAbonnement exists");
  }
  if (!create && (!existing || existing->publisher_id != req.caller->id)) {
    return refusal(req, 404, "abonnement_inconnu", "idAbonnement",
                   "no subscription of the calling publisher has this idAbonnement");
  }
  ctx.existing = existing ? &*existing : nullptr;
  if (auto read = readContext(db, *fields, ctx); !read) {
    return storeFailure(req, read.error());
  }
  const abo::AbonnementCheck check = abo::checkAbonnement(*fields, ctx);
  if (!check.record) {
    return refusal(req, 400, "champ_invalide", check.problems);
  }
  const core::UnixTime now = deps.clock.now();
  const auto saved = create ? store::createSubscription(db, *check.record, now)
                            : store::updateSubscription(db, *check.record, now);
  if (!saved) {
    if (saved.error().code == ErrorCode::kConflict) {
      return refusal(req, 409, "abonnement_existant", "idAbonnement", saved.error().detail);
    }
    return storeFailure(req, saved.error());
  }
  if (auto done = tx->commit(); !done) {
    return storeFailure(req, done.error());
  }
  Response r = xml(create ? 201 : 200, abo::writeAbonnement(*check.record));
  r.log_fields = {{"publisher", req.caller->id},
                  {"subscription", id},
                  {"operation", create ? "create" : "update"}};
  return r;
}

}  // namespace

Response handleCreateSubscription(const Request& req, const SubscriptionApiDeps& deps) {
  return handleWrite(req, deps, abo::AbonnementOperation::kCreate);
}

Response handleUpdateSubscription(const Request& req, const SubscriptionApiDeps& deps) {
  return handleWrite(req, deps, abo::AbonnementOperation::kUpdate);
}

Response handleDeleteSubscription(const Request& req, const SubscriptionApiDeps& deps) {
  if (auto refused = requirePublisher(req)) {
    return *refused;
  }
  const std::string id = pathId(req);
  auto lease = deps.db.acquire();
  if (!lease) {
    return storeFailure(req, lease.error());
  }
  store::Db& db = lease->db();
  auto tx = store::Transaction::begin(db);
  if (!tx) {
    return storeFailure(req, tx.error());
  }
  auto own = ownSubscription(db, id, req.caller->id);
  if (!own) {
    return storeFailure(req, own.error());
  }
  if (!own->has_value()) {
    return refusal(req, 404, "abonnement_inconnu", "idAbonnement",
                   "no subscription of the calling publisher has this idAbonnement");
  }
  if (auto deleted = store::deleteSubscription(db, id); !deleted) {
    return storeFailure(req, deleted.error());
  }
  if (auto done = tx->commit(); !done) {
    return storeFailure(req, done.error());
  }
  Response r;
  r.status = 204;
  r.log_fields = {{"publisher", req.caller->id}, {"subscription", id}, {"operation", "delete"}};
  return r;
}

Response handleListSubscriptions(const Request& req, const SubscriptionApiDeps& deps) {
  if (auto refused = requirePublisher(req)) {
    return *refused;
  }
  auto filters = abo::parseFiltres(req.body);
  if (!filters) {
    return malformed(req, filters.error());
  }
  const abo::FilterCheck check = abo::checkFilters(*filters, req.caller->id);
  if (check.forbidden) {
    return refusal(req, 403, "acces_refuse", check.problems);
  }
  if (!check.problems.empty()) {
    return refusal(req, 400, "filtre_invalide", check.problems);
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return storeFailure(req, lease.error());
  }
  auto list = store::listSubscriptions(lease->db(), check.filter);
  if (!list) {
    return storeFailure(req, list.error());
  }
  Response r = xml(200, abo::writeAbonnements(*list));
  r.log_fields = {{"publisher", req.caller->id}, {"count", std::to_string(list->size())}};
  return r;
}

Response handleListEstablishments(const Request& req, const SubscriptionApiDeps& deps) {
  if (auto refused = requirePublisher(req)) {
    return *refused;
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return storeFailure(req, lease.error());
  }
  auto list = store::listEstablishments(lease->db());
  if (!list) {
    return storeFailure(req, list.error());
  }
  Response r = xml(200, abo::writeEtablissements(*list));
  r.log_fields = {{"publisher", req.caller->id}, {"count", std::to_string(list->size())}};
  return r;
}

Response handleAssignmentReport(const Request& req, const SubscriptionApiDeps& deps) {
  if (auto refused = requirePublisher(req)) {
    return *refused;
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return storeFailure(req, lease.error());
  }
  auto report = store::assignmentReport(lease->db(), req.caller->id);
  if (!report) {
    return storeFailure(req, report.error());
  }
  Response r = xml(200, abo::writeAssignmentReport(*report));
  r.log_fields = {{"publisher", req.caller->id}};
  return r;
}

void mountSubscriptionApi(Router& router, const SubscriptionApiDeps& deps,
                          std::string_view prefix) {
  const std::string p(prefix);
  // Each route keeps a copy of the deps (references to what outlives the router), never a
  // reference to the caller's struct, which may be a temporary.
  const auto route = [&deps](Response (*handler)(const Request&, const SubscriptionApiDeps&)) {
    return [deps, handler](const Request& req) { return handler(req, deps); };
  };
  constexpr auto kAuth = CallerAuth::kClientCertificate;
  // The literal "/abonnements" outranks "/{idAbonnement}" in the router, so the listing is never
  // taken for an update; the id "abonnements" is refused at creation (connectors/subscriptions).
  router.add("PUT", p + "/{idAbonnement}", kAuth, route(handleCreateSubscription));
  router.add("POST", p + "/{idAbonnement}", kAuth, route(handleUpdateSubscription));
  router.add("DELETE", p + "/{idAbonnement}", kAuth, route(handleDeleteSubscription));
  router.add("POST", p + "/abonnements", kAuth, route(handleListSubscriptions));
  if (!p.empty()) {
    router.add("POST", p, kAuth, route(handleListSubscriptions));
  }
  router.add("GET", p + "/etablissements/etablissements.xml", kAuth,
             route(handleListEstablishments));
  router.add("GET", p + "/rapports/affectations.xml", kAuth, route(handleAssignmentReport));
}

}  // namespace garde::broker::api
