#include "store/assignments.h"

#include "store/subscriptions.h"
#include "store/util.h"

namespace garde::store {

core::Result<std::vector<std::string>> managedEstablishments(Db& db, std::string_view ent_id,
                                                             std::string_view ent_person_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT me.uai FROM assignment_managers m JOIN "
                      "assignment_manager_establishments me ON me.manager_id = m.id "
                      "JOIN establishments e ON e.uai = me.uai AND e.ent_id = m.ent_id "
                      "WHERE m.ent_id = ?1 AND m.ent_person_id = ?2 ORDER BY me.uai");
  stmt.bindAll(ent_id, ent_person_id);
  std::vector<std::string> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& row) { out.push_back(row.text(0)); }));
  return out;
}

core::Status setAssignmentManager(Db& db, std::string_view ent_id, std::string_view ent_person_id,
                                  std::string_view uai, bool manages) {
  return detail::inTransaction(db, [&]() -> core::Status {
    if (manages) {
      GARDE_STORE_PREPARE(add, db,
                          "INSERT INTO assignment_managers(ent_id, ent_person_id) VALUES (?1, ?2) "
                          "ON CONFLICT(ent_id, ent_person_id) DO NOTHING");
      GARDE_TRY(add.bindAll(ent_id, ent_person_id).run());
      GARDE_STORE_PREPARE(where, db,
                          "INSERT INTO assignment_manager_establishments(manager_id, uai) "
                          "SELECT id, ?3 FROM assignment_managers WHERE ent_id = ?1 AND "
                          "ent_person_id = ?2 ON CONFLICT DO NOTHING");
      return where.bindAll(ent_id, ent_person_id, uai).run();
    }
    GARDE_STORE_PREPARE(del, db,
                        "DELETE FROM assignment_manager_establishments WHERE uai = ?3 AND "
                        "manager_id = (SELECT id FROM assignment_managers WHERE ent_id = ?1 AND "
                        "ent_person_id = ?2)");
    return del.bindAll(ent_id, ent_person_id, uai).run();
  });
}

std::string LicenceUsage::exceeded() const {
  if (unlimited) {
    return {};
  }
  if (global) {
    return used_total > *global
               ? "global " + std::to_string(used_total) + " > " + std::to_string(*global)
               : std::string();
  }
  for (const auto& [audience, count] : per_audience) {
    const auto u = used.find(audience);
    const std::int64_t n = u == used.end() ? 0 : u->second;
    if (n > count) {
      return std::string(policy::audienceCode(audience)) + " " + std::to_string(n) + " > " +
             std::to_string(count);
    }
  }
  return {};
}

core::Result<LicenceUsage> licenceUsage(Db& db, std::string_view subscription_id) {
  GARDE_ASSIGN_OR_RETURN(const SubscriptionRecord sub, findSubscription(db, subscription_id));
  LicenceUsage out;
  out.unlimited = sub.licences_unlimited;
  out.global = sub.licences_global;
  out.per_audience = sub.audience_licences;
  // Everyone the assignments cover, in the establishment of each assignment, then by the audience
  // of their profile there.
  GARDE_STORE_PREPARE(
      stmt, db,
      "WITH covered(person_id, uai) AS ("
      " SELECT person_id, uai FROM assignments WHERE subscription_id = ?1 AND target_kind = "
      "'person'"
      " UNION SELECT m.person_id, a.uai FROM assignments a JOIN group_members m ON m.group_id = "
      "a.group_id WHERE a.subscription_id = ?1 AND a.target_kind IN ('class', 'group')"
      " UNION SELECT pp.person_id, a.uai FROM assignments a JOIN person_profiles pp ON pp.uai = "
      "a.uai WHERE a.subscription_id = ?1 AND a.target_kind = 'establishment') "
      "SELECT CASE pp.profile WHEN 'National_elv' THEN 'ELEVE' WHEN 'National_ens' THEN "
      "'ENSEIGNANT' WHEN 'National_doc' THEN 'DOCUMENTALISTE' ELSE 'AUTRE PERSONNEL' END AS aud, "
      "count(DISTINCT c.person_id) FROM covered c JOIN person_profiles pp ON pp.person_id = "
      "c.person_id AND pp.uai = c.uai GROUP BY aud");
  stmt.bind(1, subscription_id);
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& row) {
    const auto audience = policy::parseAudience(row.text(0));
    if (!audience) {
      return;
    }
    // Only the subscription's audiences take licences (a teacher in an assigned class does not
    // use a pupils' licence).
    if (std::find(sub.audiences.begin(), sub.audiences.end(), *audience) == sub.audiences.end()) {
      return;
    }
    out.used[*audience] = row.int64(1);
    out.used_total += row.int64(1);
  }));
  return out;
}

core::Result<std::vector<AssignmentRow>> listAssignments(Db& db, std::string_view uai,
                                                         std::string_view subscription_id) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "SELECT a.id, a.subscription_id, a.uai, a.target_kind, coalesce(p.ent_person_id, "
      "coalesce(g.code, '')), a.assigned_by, a.assigned_at FROM assignments a "
      "LEFT JOIN people p ON p.id = a.person_id LEFT JOIN groups g ON g.id = a.group_id "
      "WHERE a.uai = ?1 AND (?2 = '' OR a.subscription_id = ?2) ORDER BY a.id");
  stmt.bindAll(uai, subscription_id);
  std::vector<AssignmentRow> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& row) {
    AssignmentRow a;
    a.id = row.int64(0);
    a.subscription_id = row.text(1);
    a.uai = row.text(2);
    a.kind = policy::parseAssignmentTargetKind(row.text(3))
                 .value_or(policy::AssignmentTargetKind::kPerson);
    a.target = row.text(4);
    a.assigned_by = row.text(5);
    a.assigned_at = row.text(6);
    out.push_back(std::move(a));
  }));
  return out;
}

namespace {

core::Result<std::int64_t> assignmentId(Db& db, std::string_view subscription_id,
                                        std::string_view uai, policy::AssignmentTargetKind kind,
                                        std::string_view target) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "SELECT a.id FROM assignments a LEFT JOIN people p ON p.id = a.person_id "
      "LEFT JOIN groups g ON g.id = a.group_id WHERE a.subscription_id = ?1 AND a.uai = ?2 AND "
      "a.target_kind = ?3 AND coalesce(p.ent_person_id, coalesce(g.code, '')) = ?4");
  stmt.bindAll(subscription_id, uai, policy::assignmentTargetKindCode(kind),
               kind == policy::AssignmentTargetKind::kEstablishment ? std::string_view() : target);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kInternal, "assignment not found after insert");
  }
  return stmt.int64(0);
}

}  // namespace

core::Result<std::int64_t> assignLicence(Db& db, std::string_view subscription_id,
                                         std::string_view uai, policy::AssignmentTargetKind kind,
                                         std::string_view target, std::string_view actor,
                                         core::UnixTime at) {
  GARDE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db, Transaction::Kind::kImmediate));
  auto sub = findSubscription(db, subscription_id);
  if (!sub) {
    return core::fail(sub.error().code == core::ErrorCode::kStoreError ? sub.error().code
                                                                       : core::ErrorCode::kNotFound,
                      "no such subscription");
  }
  if (sub->assignment_type == policy::AssignmentType::kEtabl) {
    return core::fail(core::ErrorCode::kConflict,
                      "an ETABL subscription covers its whole audience without assignment");
  }
  GARDE_TRY(addAssignment(db, subscription_id, uai, kind, target, actor, at));
  GARDE_ASSIGN_OR_RETURN(const LicenceUsage usage, licenceUsage(db, subscription_id));
  if (const std::string over = usage.exceeded(); !over.empty()) {
    return core::fail(core::ErrorCode::kConflict, "licences exhausted (" + over + ")");
  }
  GARDE_ASSIGN_OR_RETURN(const std::int64_t id,
                         assignmentId(db, subscription_id, uai, kind, target));
  GARDE_TRY(tx.commit());
  return id;
}

core::Status removeAssignment(Db& db, std::int64_t id, std::string_view uai) {
  return detail::inTransaction(db, [&]() -> core::Status {
    GARDE_STORE_PREPARE(stmt, db,
                        "SELECT s.category FROM assignments a JOIN subscriptions s ON s.id = "
                        "a.subscription_id WHERE a.id = ?1 AND a.uai = ?2");
    stmt.bind(1, id).bind(2, uai);
    GARDE_STORE_STEP(found, stmt);
    if (!found) {
      return core::fail(core::ErrorCode::kNotFound, "no such assignment in this establishment");
    }
    if (stmt.text(0) == "non transferable") {
      return core::fail(core::ErrorCode::kConflict,
                        "the subscription's licences are not transferable: an assignment stays");
    }
    GARDE_STORE_PREPARE(del, db, "DELETE FROM assignments WHERE id = ?1");
    del.bind(1, id);
    return del.run();
  });
}

core::Result<std::vector<DirectoryEntry>> searchEstablishmentDirectory(Db& db, std::string_view uai,
                                                                       std::string_view query,
                                                                       int limit) {
  std::vector<DirectoryEntry> out;
  const std::string like = "%" + std::string(query) + "%";
  {
    GARDE_STORE_PREPARE(stmt, db,
                        "SELECT kind, code, label FROM groups WHERE uai = ?1 AND (code LIKE ?2 OR "
                        "label LIKE ?2) ORDER BY kind, label LIMIT ?3");
    stmt.bindAll(uai, like, static_cast<std::int64_t>(limit));
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& row) {
      out.push_back({row.text(0), row.text(1), row.text(2), ""});
    }));
  }
  GARDE_STORE_PREPARE(
      stmt, db,
      "SELECT p.ent_person_id, p.last_name || ' ' || p.first_name, min(pp.profile) FROM people p "
      "JOIN person_profiles pp ON pp.person_id = p.id AND pp.uai = ?1 "
      "JOIN establishments e ON e.uai = ?1 AND e.ent_id = p.ent_id "
      "WHERE p.ent_person_id LIKE ?2 OR p.last_name LIKE ?2 OR p.first_name LIKE ?2 "
      "GROUP BY p.id ORDER BY p.last_name, p.first_name LIMIT ?3");
  stmt.bindAll(uai, like, static_cast<std::int64_t>(limit));
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& row) {
    out.push_back({"person", row.text(0), row.text(1), row.text(2)});
  }));
  if (static_cast<int>(out.size()) > limit) {
    out.resize(static_cast<std::size_t>(limit));
  }
  return out;
}

}  // namespace garde::store
