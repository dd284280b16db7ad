#include "store/subscriptions.h"

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "store/util.h"

namespace garde::store {
namespace {

core::Status writeAudiences(Db& db, const SubscriptionRecord& s) {
  {
    GARDE_STORE_PREPARE(stmt, db, "DELETE FROM subscription_audiences WHERE subscription_id = ?1");
    GARDE_TRY(stmt.bind(1, s.id).run());
  }
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO subscription_audiences(subscription_id, audience, licences) "
                      "VALUES (?1, ?2, ?3)");
  for (policy::Audience a : s.audiences) {
    stmt.reset();
    stmt.bindAll(s.id, policy::audienceCode(a));
    if (auto it = s.audience_licences.find(a); it != s.audience_licences.end()) {
      stmt.bind(3, it->second);
    }
    GARDE_TRY(stmt.run());
  }
  return {};
}

}  // namespace

core::Status createSubscription(Db& db, const SubscriptionRecord& s, core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    {
      GARDE_STORE_PREPARE(
          stmt, db,
          "INSERT INTO subscriptions(id, publisher_id, resource_id, resource_label, comment, "
          "valid_from, valid_until, end_school_year, nature_code, category, assignment_type, "
          "licences_unlimited, project_code, created_at, updated_at, licences_global) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15)");
      stmt.bindAll(s.id, s.publisher_id, s.resource_id, s.resource_label, s.comment,
                   s.valid_from.format(), s.valid_until.format(), s.end_school_year, s.nature_code,
                   s.category, policy::assignmentTypeCode(s.assignment_type), s.licences_unlimited,
                   s.project_code, detail::isoTime(at));
      stmt.bind(15, s.licences_global);
      GARDE_TRY(stmt.run());
    }
    {
      GARDE_STORE_PREPARE(stmt, db,
                          "INSERT INTO subscription_uais(subscription_id, uai) VALUES (?1, ?2)");
      for (const auto& uai : s.uais) {
        stmt.reset();
        GARDE_TRY(stmt.bindAll(s.id, uai).run());
      }
    }
    return writeAudiences(db, s);
  });
}

core::Status updateSubscription(Db& db, const SubscriptionRecord& s, core::UnixTime at) {
  return detail::inTransaction(db, [&]() -> core::Status {
    {
      GARDE_STORE_PREPARE(
          stmt, db,
          "UPDATE subscriptions SET publisher_id = ?2, resource_id = ?3, resource_label = ?4, "
          "comment = ?5, valid_from = ?6, valid_until = ?7, end_school_year = ?8, nature_code = "
          "?9, "
          "category = ?10, assignment_type = ?11, licences_unlimited = ?12, project_code = ?13, "
          "updated_at = ?14, licences_global = ?15 WHERE id = ?1");
      stmt.bindAll(s.id, s.publisher_id, s.resource_id, s.resource_label, s.comment,
                   s.valid_from.format(), s.valid_until.format(), s.end_school_year, s.nature_code,
                   s.category, policy::assignmentTypeCode(s.assignment_type), s.licences_unlimited,
                   s.project_code, detail::isoTime(at));
      stmt.bind(15, s.licences_global);
      GARDE_TRY(stmt.run());
      if (db.changes() == 0) {
        return core::fail(core::ErrorCode::kNotFound, "unknown subscription");
      }
    }
    return writeAudiences(db, s);
  });
}

core::Status deleteSubscription(Db& db, std::string_view id) {
  GARDE_STORE_PREPARE(stmt, db, "DELETE FROM subscriptions WHERE id = ?1");
  GARDE_TRY(stmt.bind(1, id).run());
  if (db.changes() == 0) {
    return core::fail(core::ErrorCode::kNotFound, "unknown subscription");
  }
  return {};
}

core::Result<SubscriptionRecord> findSubscription(Db& db, std::string_view id) {
  SubscriptionRecord s;
  {
    GARDE_STORE_PREPARE(
        stmt, db,
        "SELECT id, publisher_id, resource_id, resource_label, comment, valid_from, valid_until, "
        "end_school_year, nature_code, category, assignment_type, licences_global, "
        "licences_unlimited, project_code FROM subscriptions WHERE id = ?1");
    stmt.bind(1, id);
    GARDE_STORE_STEP(found, stmt);
    if (!found) {
      return core::fail(core::ErrorCode::kNotFound, "unknown subscription");
    }
    s.id = stmt.text(0);
    s.publisher_id = stmt.text(1);
    s.resource_id = stmt.text(2);
    s.resource_label = stmt.text(3);
    s.comment = stmt.text(4);
    s.valid_from = policy::Date::parse(stmt.text(5)).value_or(policy::Date{});
    s.valid_until = policy::Date::parse(stmt.text(6)).value_or(policy::Date{});
    s.end_school_year = stmt.optionalText(7);
    s.nature_code = stmt.optionalText(8);
    s.category = stmt.text(9);
    s.assignment_type =
        policy::parseAssignmentType(stmt.text(10)).value_or(policy::AssignmentType::kIndiv);
    if (!stmt.isNull(11)) {
      s.licences_global = stmt.int64(11);
    }
    s.licences_unlimited = stmt.int64(12) != 0;
    s.project_code = stmt.optionalText(13);
  }
  {
    GARDE_STORE_PREPARE(
        stmt, db, "SELECT uai FROM subscription_uais WHERE subscription_id = ?1 ORDER BY uai");
    stmt.bind(1, id);
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& r) { s.uais.push_back(r.text(0)); }));
  }
  GARDE_STORE_PREPARE(
      stmt, db,
      "SELECT audience, licences FROM subscription_audiences WHERE subscription_id = ?1 "
      "ORDER BY audience");
  stmt.bind(1, id);
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& r) {
    if (auto a = policy::parseAudience(r.text(0))) {
      s.audiences.push_back(*a);
      if (!r.isNull(1)) {
        s.audience_licences[*a] = r.int64(1);
      }
    }
  }));
  return s;
}

core::Result<std::vector<SubscriptionRecord>> listSubscriptions(Db& db, const SubscriptionFilter& f,
                                                                int limit) {
  std::vector<std::string> ids;
  {
    // Constant SQL: an unset filter binds NULL and matches everything.
    GARDE_STORE_PREPARE(
        stmt, db,
        "SELECT s.id FROM subscriptions s WHERE (?1 IS NULL OR s.publisher_id = ?1) "
        "AND (?2 IS NULL OR s.id = ?2) "
        "AND (?3 IS NULL OR EXISTS (SELECT 1 FROM subscription_uais u WHERE u.subscription_id = "
        "s.id "
        "AND u.uai = ?3)) AND (?4 IS NULL OR s.valid_until >= ?4) AND (?5 IS NULL OR s.valid_from "
        "<= ?5) "
        "ORDER BY s.id LIMIT ?6");
    std::optional<std::string> from;
    std::optional<std::string> until;
    if (f.active_from) {
      from = f.active_from->format();
    }
    if (f.active_until) {
      until = f.active_until->format();
    }
    stmt.bindAll(f.publisher_id, f.id, f.uai, from, until, limit);
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& r) { ids.push_back(r.text(0)); }));
  }
  std::vector<SubscriptionRecord> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    GARDE_ASSIGN_OR_RETURN(SubscriptionRecord rec, findSubscription(db, id));
    out.push_back(std::move(rec));
  }
  return out;
}

core::Result<std::vector<std::string>> listSubscribedResourceIds(Db& db, std::string_view uai) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT DISTINCT s.resource_id FROM subscriptions s JOIN subscription_uais u "
                      "ON u.subscription_id = s.id WHERE u.uai = ?1 ORDER BY s.resource_id");
  stmt.bind(1, uai);
  std::vector<std::string> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& r) { out.push_back(r.text(0)); }));
  return out;
}

core::Status addAssignment(Db& db, std::string_view subscription_id, std::string_view uai,
                           policy::AssignmentTargetKind kind, std::string_view target,
                           std::string_view assigned_by, core::UnixTime at) {
  {
    GARDE_STORE_PREPARE(stmt, db,
                        "SELECT 1 FROM subscription_uais WHERE subscription_id = ?1 AND uai = ?2");
    stmt.bindAll(subscription_id, uai);
    GARDE_STORE_STEP(covered, stmt);
    if (!covered) {
      return core::fail(core::ErrorCode::kConflict,
                        "establishment not covered by the subscription");
    }
  }
  std::optional<std::int64_t> person_id;
  std::optional<std::int64_t> group_id;
  if (kind == policy::AssignmentTargetKind::kPerson) {
    // The person must have a profile in this establishment, under the establishment's ENT.
    GARDE_STORE_PREPARE(stmt, db,
                        "SELECT p.id FROM people p JOIN establishments e ON e.ent_id = p.ent_id "
                        "JOIN person_profiles pp ON pp.person_id = p.id AND pp.uai = e.uai "
                        "WHERE e.uai = ?1 AND p.ent_person_id = ?2 LIMIT 1");
    stmt.bindAll(uai, target);
    GARDE_STORE_STEP(found, stmt);
    if (!found) {
      return core::fail(core::ErrorCode::kNotFound, "no such person in this establishment");
    }
    person_id = stmt.int64(0);
  } else if (kind == policy::AssignmentTargetKind::kClass ||
             kind == policy::AssignmentTargetKind::kGroup) {
    GARDE_STORE_PREPARE(stmt, db,
                        "SELECT id FROM groups WHERE uai = ?1 AND code = ?2 AND kind = ?3");
    stmt.bindAll(uai, target, policy::assignmentTargetKindCode(kind));
    GARDE_STORE_STEP(found, stmt);
    if (!found) {
      return core::fail(core::ErrorCode::kNotFound, "no such class or group in this establishment");
    }
    group_id = stmt.int64(0);
  }
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO assignments(subscription_id, uai, target_kind, person_id, group_id, "
      "assigned_by, assigned_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING");
  stmt.bindAll(subscription_id, uai, policy::assignmentTargetKindCode(kind));
  stmt.bind(4, person_id).bind(5, group_id);
  stmt.bind(6, assigned_by).bind(7, detail::isoTime(at));
  return stmt.run();
}

core::Result<std::vector<AssignmentCount>> assignmentReport(Db& db, std::string_view publisher_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT a.subscription_id, a.uai, a.target_kind, count(*) FROM assignments a "
                      "JOIN subscriptions s ON s.id = a.subscription_id WHERE s.publisher_id = ?1 "
                      "GROUP BY a.subscription_id, a.uai, a.target_kind "
                      "ORDER BY a.subscription_id, a.uai, a.target_kind");
  stmt.bind(1, publisher_id);
  std::vector<AssignmentCount> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& r) {
    out.push_back({r.text(0), r.text(1),
                   policy::parseAssignmentTargetKind(r.text(2)).value_or(
                       policy::AssignmentTargetKind::kPerson),
                   r.int64(3)});
  }));
  return out;
}

namespace {

/// findLaunchSubscriptions for one resource, or (resource_id nullopt) for all of them. Two
/// statements whatever the number of subscriptions: the subscriptions with their audiences, then
/// the assignments concerning the person in all of them (it was two statements per subscription,
/// 6 of a pupil's 15 in the médiacentre; docs/performance.md, "the médiacentre's CPU per
/// request").
core::Result<std::vector<policy::Subscription>> establishmentSubscriptions(
    Db& db, std::optional<std::string_view> resource_id, const policy::PersonFacts& person) {
  std::vector<policy::Subscription> out;
  {
    // Two statements rather than "?1 IS NULL OR ...": the launch's keeps its index on resource_id.
    // The audience codes contain no comma (the column's CHECK), so group_concat's list splits.
#define GARDE_SUBSCRIPTION_COLUMNS                                                        \
  "SELECT s.id, s.publisher_id, s.resource_id, s.valid_from, s.valid_until, "             \
  "s.assignment_type, (SELECT group_concat(audience, ',') FROM subscription_audiences a " \
  "WHERE a.subscription_id = s.id) FROM subscriptions s JOIN subscription_uais u "        \
  "ON u.subscription_id = s.id "
    GARDE_STORE_PREPARE(stmt, db,
                        resource_id ? GARDE_SUBSCRIPTION_COLUMNS
                            "WHERE u.uai = ?1 AND s.resource_id = ?2 ORDER BY s.id"
                                    : GARDE_SUBSCRIPTION_COLUMNS "WHERE u.uai = ?1");
#undef GARDE_SUBSCRIPTION_COLUMNS
    stmt.bind(1, person.uai);
    if (resource_id) {
      stmt.bind(2, *resource_id);
    }
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
      policy::Subscription sub;
      sub.id = s.text(0);
      sub.publisher_id = s.text(1);
      sub.resource_id = s.text(2);
      // An unreadable date makes the subscription cover no day (fails closed).
      sub.valid_from = policy::Date::parse(s.text(3)).value_or(policy::Date::fromDays(INT32_MAX));
      sub.valid_until = policy::Date::parse(s.text(4)).value_or(policy::Date::fromDays(INT32_MIN));
      sub.assignment_type =
          policy::parseAssignmentType(s.text(5)).value_or(policy::AssignmentType::kIndiv);
      // The join chose the subscriptions of the person's establishment: that UAI is the only one
      // the decision reads. Reading them all cost one row per establishment covered, thousands
      // for a subscription by codeNatureUAI, and made every launch and médiacentre answer grow
      // with the directory (docs/performance.md, 2026-12-03 médiacentre section).
      sub.uais = {person.uai};
      if (!s.isNull(6)) {
        const std::string codes = s.text(6);
        for (std::size_t from = 0; from <= codes.size();) {
          std::size_t comma = codes.find(',', from);
          if (comma == std::string::npos) {
            comma = codes.size();
          }
          if (auto a = policy::parseAudience(std::string_view(codes).substr(from, comma - from))) {
            sub.audiences.push_back(*a);
          }
          from = comma + 1;
        }
      }
      out.push_back(std::move(sub));
    }));
  }
  if (!resource_id) {
    // By resource id, then subscription id: sorted here rather than by SQLite's sorter, which
    // builds a temporary B-tree for a handful of rows (std::string's order is memcmp's, the BINARY
    // collation's).
    std::sort(out.begin(), out.end(),
              [](const policy::Subscription& a, const policy::Subscription& b) {
                return std::tie(a.resource_id, a.id) < std::tie(b.resource_id, b.id);
              });
  }
  if (out.empty()) {
    return out;
  }
  std::unordered_map<std::string_view, policy::Subscription*> by_id;
  for (auto& sub : out) {
    by_id.emplace(sub.id, &sub);
  }
  // The person's assignments in the establishment, one indexed search per kind of target (the
  // establishment's rows of each subscription, the person's own, their classes' and groups'),
  // whatever the number of classes assigned there; rows of subscriptions not chosen above (another
  // resource for a launch) are skipped below.
  GARDE_STORE_PREPARE(
      assignments, db,
      "SELECT a.subscription_id, a.target_kind, '' FROM subscription_uais u JOIN assignments a "
      "ON a.subscription_id = u.subscription_id AND a.uai = u.uai "
      "WHERE u.uai = ?1 AND a.target_kind = 'establishment' "
      "UNION ALL SELECT a.subscription_id, a.target_kind, p.ent_person_id FROM people p "
      "JOIN assignments a ON a.person_id = p.id "
      "WHERE p.ent_id = ?2 AND p.ent_person_id = ?3 AND a.uai = ?1 "
      "UNION ALL SELECT a.subscription_id, a.target_kind, g.code FROM people q "
      "JOIN group_members m ON m.person_id = q.id JOIN assignments a ON a.group_id = m.group_id "
      "JOIN groups g ON g.id = a.group_id "
      "WHERE q.ent_id = ?2 AND q.ent_person_id = ?3 AND a.uai = ?1");
  assignments.bindAll(person.uai, person.ent_id, person.ent_person_id);
  GARDE_TRY(detail::forEachRow(assignments, [&](const Stmt& r) {
    const auto sub = by_id.find(r.text(0));
    const auto kind = policy::parseAssignmentTargetKind(r.text(1));
    if (sub == by_id.end() || !kind) {
      return;
    }
    sub->second->assignments.push_back({*kind, person.uai, r.text(2)});
  }));
  return out;
}

}  // namespace

core::Result<std::vector<policy::Subscription>> findLaunchSubscriptions(
    Db& db, std::string_view resource_id, const policy::PersonFacts& person) {
  return establishmentSubscriptions(db, resource_id, person);
}

core::Result<std::vector<policy::Subscription>> findEstablishmentSubscriptions(
    Db& db, const policy::PersonFacts& person) {
  return establishmentSubscriptions(db, std::nullopt, person);
}

}  // namespace garde::store
