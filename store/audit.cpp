#include "store/audit.h"

#include "core/encoding.h"
#include "core/log.h"
#include "store/util.h"

namespace garde::store {
namespace {

std::string joinCodes(const std::vector<std::string>& codes) {
  std::string out;
  for (const auto& c : codes) {
    if (!out.empty()) {
      out += ' ';
    }
    out += c;
  }
  return out;
}

std::vector<std::string> splitCodes(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    if (end > start) {
      out.push_back(text.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string auditJsonLine(const AuditRecord& r) {
  std::string out = "{";
  auto field = [&](std::string_view key, std::string_view value) {
    if (out.size() > 1) {
      out += ',';
    }
    out += '"';
    out += key;
    out += "\":\"";
    core::appendJsonEscaped(out, value);
    out += '"';
  };
  field("at", detail::isoTime(r.at));
  field("kind", r.kind);
  field("correlation_id", r.correlation_id);
  field("ent", r.ent_id);
  field("uai", r.uai);
  field("profile", r.profile);
  field("publisher", r.publisher_id);
  field("resource", r.resource_id);
  out += ",\"released\":[";
  for (std::size_t i = 0; i < r.released.size(); ++i) {
    out += i == 0 ? "\"" : ",\"";
    core::appendJsonEscaped(out, r.released[i]);
    out += '"';
  }
  out += ']';
  field("policy_version", r.policy_version);
  field("outcome", r.outcome);
  field("reason", r.reason);
  if (!r.actor.empty()) {
    field("actor", r.actor);
  }
  if (!r.subject.empty()) {
    field("subject", r.subject);
  }
  out += '}';
  return out;
}

std::string_view auditCsvHeader() noexcept {
  return "at,kind,correlation_id,ent,uai,profile,publisher,resource,released,policy_version,"
         "outcome,reason,actor,subject\r\n";
}

std::string auditCsvLine(const AuditRecord& r) {
  std::string out;
  const auto cell = [&](std::string_view v) {
    if (!out.empty()) {
      out += ',';
    }
    core::appendCsvCell(out, v);
  };
  const std::string at = detail::isoTime(r.at);
  const std::string released = joinCodes(r.released);
  for (const std::string_view v :
       {std::string_view(at), std::string_view(r.kind),
        std::string_view(r.correlation_id), std::string_view(r.ent_id), std::string_view(r.uai),
        std::string_view(r.profile), std::string_view(r.publisher_id),
        std::string_view(r.resource_id)}) {
    cell(v);
  }
  cell(released);
  for (const std::string_view v : {std::string_view(r.policy_version), std::string_view(r.outcome),
                                   std::string_view(r.reason), std::string_view(r.actor),
                                   std::string_view(r.subject)}) {
    cell(v);
  }
  return out + "\r\n";
}

core::Status writeAudit(Db& db, const AuditRecord& r) {
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO audit(at, kind, correlation_id, ent_id, uai, profile, "
                      "publisher_id, resource_id, "
                      "released, policy_version, outcome, reason, actor, subject) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  return stmt
      .bindAll(detail::isoTime(r.at), r.kind, r.correlation_id, r.ent_id, r.uai, r.profile,
               r.publisher_id, r.resource_id, joinCodes(r.released), r.policy_version, r.outcome,
               r.reason, r.actor, r.subject)
      .run();
}

namespace {

constexpr const char* kAuditColumns =
    "SELECT at, kind, correlation_id, ent_id, uai, profile, publisher_id, resource_id, released, "
    "policy_version, outcome, reason, actor, subject, id FROM audit ";

AuditRecord auditRow(const Stmt& s) {
  AuditRecord r;
  r.at = core::parseIso8601(s.text(0)).value_or(0);
  r.kind = s.text(1);
  r.correlation_id = s.text(2);
  r.ent_id = s.text(3);
  r.uai = s.text(4);
  r.profile = s.text(5);
  r.publisher_id = s.text(6);
  r.resource_id = s.text(7);
  r.released = splitCodes(s.text(8));
  r.policy_version = s.text(9);
  r.outcome = s.text(10);
  r.reason = s.text(11);
  r.actor = s.text(12);
  r.subject = s.text(13);
  r.id = s.int64(14);
  return r;
}

/// A LIKE pattern matching `code` as one space-separated word of the released column.
std::string releasedPattern(std::string_view code) {
  std::string p = "% ";
  for (const char c : code) {
    if (c == '%' || c == '_' || c == '\\') {
      p += '\\';
    }
    p += c;
  }
  return p + " %";
}

}  // namespace

core::Result<std::vector<AuditRecord>> queryAudit(Db& db, const AuditQuery& q) {
  if (q.limit < 1 || q.limit > 1000) {
    return core::fail(core::ErrorCode::kBadRequest, "limit: 1 to 1000");
  }
  // One statement for every combination (each filter NULL or a value), so that it is prepared
  // once per connection; the subject, the most selective filter, has its own index.
  GARDE_STORE_PREPARE(
      stmt, db,
      std::string(kAuditColumns) +
          "WHERE id > ?1 AND at >= ?2 AND (?3 IS NULL OR at < ?3) "
          "AND (?4 IS NULL OR kind = ?4) AND (?5 IS NULL OR publisher_id = ?5) "
          "AND (?6 IS NULL OR resource_id = ?6) "
          "AND (?7 IS NULL OR ' ' || released || ' ' LIKE ?7 ESCAPE '\\') "
          "AND (?8 IS NULL OR uai = ?8) AND (?9 IS NULL OR profile = ?9) "
          "AND (?10 IS NULL OR outcome = ?10) "
          "AND (?11 IS NULL OR reason = ?11 OR substr(reason, 1, length(?11) + 1) = ?11 || ':') "
          "AND (?12 IS NULL OR actor = ?12) AND (?13 IS NULL OR subject = ?13) "
          "ORDER BY id LIMIT ?14");
  const auto iso = [](const std::optional<core::UnixTime>& t) {
    return t ? std::optional<std::string>(detail::isoTime(*t)) : std::nullopt;
  };
  const auto pattern = q.attribute ? std::optional<std::string>(releasedPattern(*q.attribute))
                                   : std::nullopt;
  stmt.bindAll(q.after_id, detail::isoTime(q.from), iso(q.until), q.kind, q.publisher_id,
               q.resource_id, pattern, q.uai, q.profile, q.outcome, q.reason, q.actor, q.subject,
               q.limit);
  std::vector<AuditRecord> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(auditRow(s)); }));
  return out;
}

core::Result<std::vector<AuditRecord>> auditOfSubject(Db& db, std::string_view subject) {
  // "subject <> ''" lets SQLite use the partial index audit_subject.
  GARDE_STORE_PREPARE(stmt, db,
                      std::string(kAuditColumns) +
                          "WHERE subject = ?1 AND subject <> '' ORDER BY id");
  stmt.bind(1, subject);
  std::vector<AuditRecord> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(auditRow(s)); }));
  return out;
}

core::Result<std::vector<AuditRecord>> listAudit(Db& db, core::UnixTime since, int limit) {
  GARDE_STORE_PREPARE(stmt, db,
                      std::string(kAuditColumns) + "WHERE at >= ?1 ORDER BY at, id LIMIT ?2");
  stmt.bindAll(detail::isoTime(since), limit);
  std::vector<AuditRecord> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(auditRow(s)); }));
  return out;
}

core::Result<std::int64_t> purgeAuditBefore(Db& db, core::UnixTime before) {
  std::int64_t purged = 0;
  GARDE_TRY(detail::inTransaction(db, [&]() -> core::Status {
    GARDE_STORE_PREPARE(stmt, db, "DELETE FROM audit WHERE at < ?1");
    GARDE_TRY(stmt.bind(1, detail::isoTime(before)).run());
    purged = db.changes();
    // The usage aggregates keep what they computed of the days this purge cut into
    // (store/usage.h): they are told where the trail now starts.
    GARDE_STORE_PREPARE(mark, db,
                        "INSERT INTO usage_state(id, purged_before) VALUES (1, ?1) "
                        "ON CONFLICT(id) DO UPDATE SET purged_before = CASE WHEN "
                        "excluded.purged_before > usage_state.purged_before THEN "
                        "excluded.purged_before ELSE usage_state.purged_before END");
    return mark.bind(1, detail::isoTime(before)).run();
  }));
  return purged;
}

}  // namespace garde::store
