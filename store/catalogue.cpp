#include "store/catalogue.h"

#include "core/log.h"
#include "store/policy_governance.h"
#include "store/policy_store.h"
#include "store/util.h"

namespace garde::store {
namespace {

void appendString(std::string& out, std::string_view name, std::string_view value) {
  out += '"';
  out += name;
  out += "\":\"";
  core::appendJsonEscaped(out, value);
  out += '"';
}

core::Result<std::optional<CatalogueItem>> findItem(Db& db, std::string_view code) {
  std::vector<int> positions;
  GARDE_ASSIGN_OR_RETURN(auto entries, readCatalogue(db, &positions));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].code == code) {
      return std::optional<CatalogueItem>(CatalogueItem{std::move(entries[i]), positions[i]});
    }
  }
  return std::optional<CatalogueItem>();
}

/// The version in force ("" when none) and the rows of its ceilings that allow `code` for a
/// profile outside `kept`, as "profile category code" (ADR 0023).
core::Status refuseOrphanedRows(Db& db, const std::string& code,
                                const std::set<policy::Profile>& kept, std::string& version) {
  auto in_force = ceilingsInForce(db);
  if (!in_force) {
    if (in_force.error().code == core::ErrorCode::kNotFound) {
      return {};  // nothing published: no row can point at the entry
    }
    return core::fail(in_force.error());
  }
  version = in_force->first;
  std::string rows;
  for (const auto& [key, codes] : in_force->second.rows()) {
    if (codes.count(code) != 0 && kept.count(key.first) == 0) {
      rows += (rows.empty() ? "" : ", ") + std::string(policy::profileCode(key.first)) + " " +
              key.second + " " + code;
    }
  }
  if (!rows.empty()) {
    return core::fail(core::ErrorCode::kConflict,
                      "the ceilings in force (" + version + ") allow " + code +
                          " for a profile this change removes: " + rows +
                          "; narrow the ceilings first");
  }
  return {};
}

core::Status recordHistory(Db& db, const std::string& code, std::string_view action,
                           const std::string& actor, const std::string& reason, core::UnixTime at,
                           const std::string& version, const std::optional<std::string>& before,
                           const std::optional<std::string>& after) {
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO catalogue_history(code, action, at, actor, reason, "
                      "policy_version, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  return stmt.bindAll(code, action, detail::isoTime(at), actor, reason, version, before, after)
      .run();
}

bool sameEntry(const CatalogueItem& a, const policy::CatalogueEntry& b, int position) {
  return a.position == position && a.entry.meaning == b.meaning &&
         a.entry.sensitivity == b.sensitivity && a.entry.multi_valued == b.multi_valued &&
         a.entry.profiles == b.profiles;
}

}  // namespace

std::string catalogueEntryText(const policy::CatalogueEntry& e, int position) {
  std::string out = "{";
  appendString(out, "code", e.code);
  out += ',';
  appendString(out, "meaning", e.meaning);
  out += ',';
  appendString(out, "sensitivity", policy::sensitivityCode(e.sensitivity));
  out += e.multi_valued ? ",\"multi_valued\":true" : ",\"multi_valued\":false";
  out += ",\"profiles\":[";
  bool first = true;
  for (const policy::Profile p : policy::kAllProfiles) {
    if (e.existsFor(p)) {
      out += first ? "\"" : ",\"";
      out += policy::profileCode(p);
      out += '"';
      first = false;
    }
  }
  out += "],\"position\":" + std::to_string(position) + "}";
  return out;
}

core::Result<std::vector<CatalogueItem>> listCatalogue(Db& db) {
  std::vector<int> positions;
  GARDE_ASSIGN_OR_RETURN(auto entries, readCatalogue(db, &positions));
  std::vector<CatalogueItem> out;
  out.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out.push_back({std::move(entries[i]), positions[i]});
  }
  return out;
}

core::Result<CatalogueOutcome> putCatalogueEntry(Db& db, const CatalogueChange& change) {
  if (change.reason.empty() || change.actor.empty()) {
    return core::fail(core::ErrorCode::kBadRequest, "reason: why the catalogue changes");
  }
  if (change.entry.profiles.empty()) {
    return core::fail(core::ErrorCode::kBadRequest,
                      "profiles: at least one (delete the entry instead)");
  }
  CatalogueOutcome out;
  GARDE_TRY(detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(const auto before, findItem(db, change.entry.code));
    int position = 0;
    if (change.position) {
      position = *change.position;
    } else if (before) {
      position = before->position;
    } else {
      GARDE_STORE_PREPARE(last, db, "SELECT coalesce(max(position), 0) + 1 FROM attribute_catalogue");
      GARDE_STORE_STEP(row, last);
      position = row ? static_cast<int>(last.int64(0)) : 1;
    }
    if (before && sameEntry(*before, change.entry, position)) {
      return core::fail(core::ErrorCode::kConflict, "the change changes nothing");
    }
    std::string version;
    if (before) {
      GARDE_TRY(refuseOrphanedRows(db, change.entry.code, change.entry.profiles, version));
    } else if (auto in_force = ceilingsInForce(db)) {
      version = in_force->first;  // an addition cannot orphan a row: nothing to check
    }
    GARDE_TRY(upsertCatalogueEntry(db, change.entry, position));
    out.added = !before;
    out.item = {change.entry, position};
    return recordHistory(
        db, change.entry.code, before ? "update" : "add", change.actor, change.reason, change.at,
        version,
        before ? std::optional<std::string>(catalogueEntryText(before->entry, before->position))
               : std::nullopt,
        catalogueEntryText(change.entry, position));
  }));
  return out;
}

core::Status deleteCatalogueEntry(Db& db, const std::string& code, const std::string& actor,
                                  const std::string& reason, core::UnixTime at) {
  if (reason.empty() || actor.empty()) {
    return core::fail(core::ErrorCode::kBadRequest, "reason: why the entry goes");
  }
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_ASSIGN_OR_RETURN(const auto before, findItem(db, code));
    if (!before) {
      return core::fail(core::ErrorCode::kNotFound, "no catalogue entry " + code);
    }
    std::string version;
    GARDE_TRY(refuseOrphanedRows(db, code, {}, version));
    GARDE_STORE_PREPARE(stmt, db, "DELETE FROM attribute_catalogue WHERE code = ?1");
    GARDE_TRY(stmt.bindAll(code).run());  // its profiles go with it (ON DELETE CASCADE)
    return recordHistory(db, code, "delete", actor, reason, at, version,
                         catalogueEntryText(before->entry, before->position), std::nullopt);
  });
}

core::Result<std::vector<CatalogueHistoryEntry>> catalogueHistory(Db& db, std::int64_t before_id,
                                                                  int limit) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT id, code, action, at, actor, reason, policy_version, before, after "
                      "FROM catalogue_history WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2");
  stmt.bindAll(before_id, limit);
  std::vector<CatalogueHistoryEntry> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    out.push_back({s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                   s.optionalText(7), s.optionalText(8)});
  }));
  return out;
}

}  // namespace garde::store
