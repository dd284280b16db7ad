#include "broker/api/admin_audit.h"

#include <boost/json.hpp>

#include <charconv>

#include "broker/api/admin_action.h"
#include "broker/api/json_reply.h"
#include "core/log.h"

namespace garde::broker::api {
namespace {

constexpr core::Logger kLog("api.admin.audit");

core::Result<core::UnixTime> parseDate(std::string_view name, const std::string& value) {
  // A day alone means its start (UTC).
  const std::string text = value.size() == 10 ? value + "T00:00:00Z" : value;
  if (auto t = core::parseIso8601(text)) {
    return *t;
  }
  return core::fail(core::ErrorCode::kBadRequest,
                    std::string(name) + ": an ISO 8601 date or instant (2026-09-01, "
                                        "2026-09-01T08:00:00Z)");
}

core::Result<std::int64_t> parseCount(std::string_view name, const std::string& value,
                                      std::int64_t min, std::int64_t max) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    return core::fail(core::ErrorCode::kBadRequest, std::string(name) + ": an integer from " +
                                                        std::to_string(min) + " to " +
                                                        std::to_string(max));
  }
  return n;
}

/// Who called, as the audit names them.
std::string actorOf(const Request& req) { return req.caller ? req.caller->id : std::string(); }

void auditAction(const AdminAuditDeps& deps, const Request& req, std::string_view action,
                 bool done, std::string subject = {}) {
  // A subject export is itself about the person: it shows in their next export.
  auditAdminAction(deps.audit, deps.clock.now(), req, actorOf(req), std::string(action), done, {},
                   std::move(subject));
}

std::string recordsJson(const std::vector<store::AuditRecord>& rows) {
  std::string out = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += store::auditJsonLine(rows[i]);
  }
  return out + "]";
}

}  // namespace

core::Result<store::AuditQuery> parseAuditQuery(const Params& query) {
  store::AuditQuery q;
  for (const auto& [name, value] : query) {
    std::optional<std::string>* text = nullptr;
    if (name == "kind") text = &q.kind;
    else if (name == "publisher") text = &q.publisher_id;
    else if (name == "resource") text = &q.resource_id;
    else if (name == "attribute") text = &q.attribute;
    else if (name == "uai") text = &q.uai;
    else if (name == "profile") text = &q.profile;
    else if (name == "outcome") text = &q.outcome;
    else if (name == "reason") text = &q.reason;
    else if (name == "actor") text = &q.actor;
    if (text != nullptr) {
      if (value.empty() || value.size() > 256) {
        return core::fail(core::ErrorCode::kBadRequest, name + ": 1 to 256 characters");
      }
      *text = value;
    } else if (name == "from") {
      GARDE_ASSIGN_OR_RETURN(q.from, parseDate(name, value));
    } else if (name == "until") {
      GARDE_ASSIGN_OR_RETURN(const core::UnixTime until, parseDate(name, value));
      q.until = until;
    } else if (name == "after") {
      GARDE_ASSIGN_OR_RETURN(q.after_id, parseCount(name, value, 0, INT64_MAX));
    } else if (name == "limit") {
      GARDE_ASSIGN_OR_RETURN(const std::int64_t limit, parseCount(name, value, 1, 1000));
      q.limit = static_cast<int>(limit);
    } else if (name != "format") {
      return core::fail(core::ErrorCode::kBadRequest, "unknown parameter " + name);
    }
  }
  return q;
}

Response handleAuditSearch(const Request& req, const AdminAuditDeps& deps) {
  auto query = parseAuditQuery(req.query);
  if (!query) {
    return jsonProblem(kLog, req, 400, query.error().detail, query.error().detail);
  }
  const std::string* format = req.queryParam("format");
  const bool csv = format != nullptr && *format == "csv";
  if (format != nullptr && !csv && *format != "json") {
    return jsonProblem(kLog, req, 400, "format: json or csv", "bad format");
  }
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto rows = store::queryAudit(lease->db(), *query);
  if (!rows) {
    return jsonStoreProblem(kLog, req, rows.error());
  }
  auditAction(deps, req, "audit_query", true);
  const bool more = static_cast<int>(rows->size()) == query->limit;
  const std::string next = more ? std::to_string(rows->back().id) : std::string();
  Response r;
  if (csv) {
    r.status = 200;
    r.body = std::string(store::auditCsvHeader());
    for (const auto& row : *rows) {
      r.body += store::auditCsvLine(row);
    }
    r.setHeader("Content-Type", "text/csv; charset=utf-8");
    r.setHeader("Content-Disposition", "attachment; filename=\"garde-audit.csv\"");
    r.setHeader("Cache-Control", "no-store");
  } else {
    r = Response::json(200, "{\"records\":" + recordsJson(*rows) + ",\"next_after\":" +
                                (more ? next : std::string("null")) + "}");
    r.setHeader("Cache-Control", "no-store");
  }
  if (more) {
    // The next page: the same search after the last row's id.
    r.setHeader("X-Next-After", next);
  }
  return r;
}

Response handleSubjectExport(const Request& req, const AdminAuditDeps& deps) {
  const std::string* ent = req.queryParam("ent");
  const std::string* person = req.queryParam("person");
  if (ent == nullptr || person == nullptr || ent->empty() || person->empty() ||
      ent->size() > 64 || person->size() > 256 || req.query.size() != 2) {
    return jsonProblem(kLog, req, 400,
                       "ent and person: the ENT project and the person's identifier there",
                       "bad subject export parameters");
  }
  const std::string subject = deps.subjects.of(*ent, *person);
  auto lease = deps.db.acquire();
  if (!lease) {
    return jsonStoreProblem(kLog, req, lease.error());
  }
  auto rows = store::auditOfSubject(lease->db(), subject);
  if (!rows) {
    return jsonStoreProblem(kLog, req, rows.error());
  }
  const std::vector<store::AuditRecord>& all = *rows;
  auditAction(deps, req, "subject_export", true, subject);
  // The person's identifier is in the file (the requester gave it) and nowhere in the logs.
  boost::json::object head{{"ent", *ent},
                           {"person", *person},
                           {"generated_at", core::formatIso8601(deps.clock.now())},
                           {"generated_by", actorOf(req)}};
  std::string body = boost::json::serialize(head);
  body.pop_back();  // the records are appended as the audit writes them
  body += ",\"records\":" + recordsJson(all) + "}";
  Response r = Response::json(200, std::move(body));
  r.setHeader("Content-Disposition", "attachment; filename=\"garde-subject-export.json\"");
  r.setHeader("Cache-Control", "no-store");
  r.log_fields.emplace_back("records", std::to_string(all.size()));
  return r;
}

void mountAdminAudit(Router& router, const AdminAuditDeps& deps) {
  router.get("/api/v1/admin/audit", CallerAuth::kMinistryReader,
             deps.sessions.refreshing(
                 [deps](const Request& req) { return handleAuditSearch(req, deps); }));
  router.get("/api/v1/admin/audit/subject", CallerAuth::kMinistryReader,
             deps.sessions.refreshing(
                 [deps](const Request& req) { return handleSubjectExport(req, deps); }));
}

}  // namespace garde::broker::api
