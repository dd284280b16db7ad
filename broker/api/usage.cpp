#include "broker/api/usage.h"

#include <boost/json.hpp>

#include "broker/api/admin_action.h"
#include "broker/api/json_reply.h"
#include "core/encoding.h"
#include "core/log.h"
#include "store/db.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.usage");

std::string csvLaunches(const std::vector<store::UsageRow>& rows) {
  std::string out = "day,publisher,resource,profile,uai,outcome,reason,launches\r\n";
  for (const auto& r : rows) {
    for (const std::string* v : {&r.day, &r.publisher_id, &r.resource_id, &r.profile, &r.uai,
                                 &r.outcome, &r.reason}) {
      core::appendCsvCell(out, *v);
      out += ',';
    }
    out += std::to_string(r.launches) + "\r\n";
  }
  return out;
}

std::string csvAttributes(const std::vector<store::AttributeUsageRow>& rows) {
  std::string out = "day,publisher,uai,attribute,releases\r\n";
  for (const auto& r : rows) {
    for (const std::string* v : {&r.day, &r.publisher_id, &r.uai, &r.attribute}) {
      core::appendCsvCell(out, *v);
      out += ',';
    }
    out += std::to_string(r.releases) + "\r\n";
  }
  return out;
}

Response handleAdminUsage(const Request& req, const UsageDeps& deps) {
  auto q = parseUsageQuery(req, deps.clock.now());
  if (!q) {
    return jsonProblem(kLog, req, 400, q.error().detail, "bad usage query");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  Response r = usageReply(req, lease->db(), *q);
  auditAdminAction(deps.audit, deps.clock.now(), req, req.caller ? req.caller->id : "",
                   "usage_query", r.status == 200);
  return r;
}

Response handlePublisherUsage(const Request& req, const UsageDeps& deps) {
  if (!req.caller || req.caller->kind != Caller::Kind::kPublisher) {
    return jsonProblem(kLog, req, 403, "a publisher's certificate is needed", "not a publisher");
  }
  auto q = parseUsageQuery(req, deps.clock.now());
  if (!q) {
    return jsonProblem(kLog, req, 400, q.error().detail, "bad usage query");
  }
  if (q->publisher_id && *q->publisher_id != req.caller->id) {
    return jsonProblem(kLog, req, 403, "publisher: your own figures only", "another publisher");
  }
  q->publisher_id = req.caller->id;
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  return usageReply(req, lease->db(), *q);
}

}  // namespace

Response usageReply(const Request& req, store::Db& db, const store::UsageQuery& q) {
  const std::string* format = req.queryParam("format");
  const std::string* part = req.queryParam("part");
  const bool csv = format != nullptr && *format == "csv";
  if ((format != nullptr && !csv && *format != "json") ||
      (part != nullptr && *part != "launches" && *part != "attributes")) {
    return jsonProblem(kLog, req, 400, "format: json or csv; part: launches or attributes",
                       "bad format");
  }
  auto read = store::Transaction::begin(db, store::Transaction::Kind::kDeferred);
  if (!read) {
    return jsonStoreProblem(kLog, req, read.error());
  }
  auto launches = store::queryUsage(db, q);
  if (!launches) {
    return jsonStoreProblem(kLog, req, launches.error());
  }
  auto attributes = store::queryAttributeUsage(db, q);
  if (!attributes) {
    return jsonStoreProblem(kLog, req, attributes.error());
  }
  if (csv) {
    const bool of_attributes = part != nullptr && *part == "attributes";
    Response r;
    r.status = 200;
    r.body = of_attributes ? csvAttributes(*attributes) : csvLaunches(*launches);
    r.setHeader("Content-Type", "text/csv; charset=utf-8");
    r.setHeader("Content-Disposition", of_attributes
                                           ? "attachment; filename=\"garde-usage-attributes.csv\""
                                           : "attachment; filename=\"garde-usage.csv\"");
    r.setHeader("Cache-Control", "no-store");
    return r;
  }
  boost::json::array l;
  for (const auto& r : *launches) {
    l.push_back({{"day", r.day},
                 {"publisher", r.publisher_id},
                 {"resource", r.resource_id},
                 {"profile", r.profile},
                 {"uai", r.uai},
                 {"outcome", r.outcome},
                 {"reason", r.reason},
                 {"launches", r.launches}});
  }
  boost::json::array a;
  for (const auto& r : *attributes) {
    a.push_back({{"day", r.day},
                 {"publisher", r.publisher_id},
                 {"uai", r.uai},
                 {"attribute", r.attribute},
                 {"releases", r.releases}});
  }
  return jsonReply(200, boost::json::object{{"from", *q.from_day},
                                            {"until", *q.until_day},
                                            {"launches", std::move(l)},
                                            {"attributes", std::move(a)}});
}

void mountUsage(Router& router, const UsageDeps& deps) {
  router.get("/api/v1/admin/usage", CallerAuth::kMinistryReader,
             deps.sessions.refreshing(
                 [deps](const Request& req) { return handleAdminUsage(req, deps); }));
  router.get("/api/v1/publisher/usage", CallerAuth::kClientCertificate,
             [deps](const Request& req) { return handlePublisherUsage(req, deps); });
}

}  // namespace garde::broker::api
