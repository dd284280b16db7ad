#include "store/directory.h"

#include <algorithm>

#include "store/util.h"

namespace garde::store {
namespace {

Ent readEnt(const Stmt& s) {
  return Ent{s.text(0), s.text(1), s.optionalText(2), s.optionalText(3),
             s.text(4), s.text(5), s.text(6)};
}

}  // namespace

core::Status upsertEnt(Db& db, const Ent& ent, core::UnixTime at) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO ents(id, name, idp_entity_id, idp_metadata_xml, created_at, identifier_source, "
      "identifier_name, sign_authn_requests) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
      "idp_entity_id = excluded.idp_entity_id, idp_metadata_xml = excluded.idp_metadata_xml, "
      "identifier_source = excluded.identifier_source, identifier_name = excluded.identifier_name, "
      "sign_authn_requests = excluded.sign_authn_requests");
  return stmt
      .bindAll(ent.id, ent.name, ent.idp_entity_id, ent.idp_metadata_xml, detail::isoTime(at),
               ent.identifier_source, ent.identifier_name, ent.sign_authn_requests)
      .run();
}

core::Result<std::vector<Ent>> listEnts(Db& db) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT id, name, idp_entity_id, idp_metadata_xml, identifier_source, "
                      "identifier_name, sign_authn_requests FROM ents ORDER BY id");
  std::vector<Ent> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) { out.push_back(readEnt(s)); }));
  return out;
}

core::Result<Ent> findEnt(Db& db, std::string_view ent_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT id, name, idp_entity_id, idp_metadata_xml, identifier_source, "
                      "identifier_name, sign_authn_requests FROM ents WHERE id = ?1");
  stmt.bind(1, ent_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kUnknownPeer, "unknown ENT");
  }
  return readEnt(stmt);
}

core::Result<Ent> findEntByIdpEntityId(Db& db, std::string_view idp_entity_id) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "SELECT id, name, idp_entity_id, idp_metadata_xml, identifier_source, identifier_name, "
      "sign_authn_requests FROM ents WHERE idp_entity_id = ?1");
  stmt.bind(1, idp_entity_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kUnknownPeer, "no ENT with this IdP entityID");
  }
  return readEnt(stmt);
}

core::Status upsertEstablishment(Db& db, const Establishment& e,
                                 std::optional<std::int64_t> feed_id) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO establishments(uai, ent_id, name, academy, nature_code, feed_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(uai) DO UPDATE SET ent_id = excluded.ent_id, "
      "name = excluded.name, academy = excluded.academy, nature_code = excluded.nature_code, "
      "feed_id = excluded.feed_id");
  return stmt.bindAll(e.uai, e.ent_id, e.name, e.academy, e.nature_code, feed_id).run();
}

core::Result<Establishment> findEstablishment(Db& db, std::string_view uai) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "SELECT uai, ent_id, name, academy, nature_code FROM establishments WHERE uai = ?1");
  stmt.bind(1, uai);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kNotFound, "unknown establishment");
  }
  return Establishment{stmt.text(0), stmt.text(1), stmt.text(2), stmt.optionalText(3),
                       stmt.optionalText(4)};
}

core::Result<std::vector<Establishment>> listEstablishments(Db& db) {
  GARDE_STORE_PREPARE(
      stmt, db, "SELECT uai, ent_id, name, academy, nature_code FROM establishments ORDER BY uai");
  std::vector<Establishment> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.optionalText(3), s.optionalText(4)});
  }));
  return out;
}

core::Result<std::vector<std::string>> listPersonEstablishments(Db& db, std::string_view ent_id,
                                                                std::string_view ent_person_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT DISTINCT e.uai FROM people p "
                      "LEFT JOIN person_profiles pp ON pp.person_id = p.id "
                      "LEFT JOIN establishments e ON e.uai = pp.uai AND e.ent_id = p.ent_id "
                      "WHERE p.ent_id = ?1 AND p.ent_person_id = ?2 ORDER BY e.uai");
  stmt.bindAll(ent_id, ent_person_id);
  bool known = false;
  std::vector<std::string> out;
  GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
    known = true;
    if (auto uai = s.optionalText(0)) {
      out.push_back(std::move(*uai));
    }
  }));
  if (!known) {
    return core::fail(core::ErrorCode::kUnknownUser, "no such person at this ENT");
  }
  return out;
}

core::Result<std::int64_t> upsertPerson(Db& db, const Person& p,
                                        std::optional<std::int64_t> feed_id) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO people(ent_id, ent_person_id, last_name, first_name, civility, feed_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(ent_id, ent_person_id) DO UPDATE SET "
      "last_name = excluded.last_name, first_name = excluded.first_name, "
      "civility = excluded.civility, feed_id = excluded.feed_id RETURNING id");
  stmt.bindAll(p.ent_id, p.ent_person_id, p.last_name, p.first_name, p.civility, feed_id);
  GARDE_STORE_STEP(row, stmt);
  if (!row) {
    return core::fail(core::ErrorCode::kStoreError, "upsert person returned no row");
  }
  const std::int64_t id = stmt.int64(0);
  GARDE_TRY(stmt.run());  // finish the statement so its write is complete
  return id;
}

core::Status addPersonProfile(Db& db, std::int64_t person_id, std::string_view uai,
                              policy::Profile profile, std::optional<std::int64_t> feed_id) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO person_profiles(person_id, uai, profile, feed_id) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(person_id, uai, profile) DO UPDATE SET feed_id = excluded.feed_id");
  return stmt.bindAll(person_id, uai, policy::profileCode(profile), feed_id).run();
}

core::Status addPersonEmail(Db& db, std::int64_t person_id, std::string_view email) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO person_emails(person_id, email) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  return stmt.bindAll(person_id, email).run();
}

core::Status addPersonMef(Db& db, std::int64_t person_id, std::string_view uai,
                          std::string_view mef) {
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO person_mefs(person_id, uai, mef_code) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT DO NOTHING");
  return stmt.bindAll(person_id, uai, mef).run();
}

core::Status addPersonSubject(Db& db, std::int64_t person_id, std::string_view uai,
                              std::string_view subject, bool taught) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO person_subjects(person_id, uai, role, subject_code) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT DO NOTHING");
  return stmt.bindAll(person_id, uai, std::string_view(taught ? "teacher" : "pupil"), subject)
      .run();
}

core::Result<std::int64_t> upsertGroup(Db& db, std::string_view uai, std::string_view code,
                                       GroupKind kind, std::string_view label,
                                       std::optional<std::int64_t> feed_id) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO groups(uai, code, kind, label, feed_id) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(uai, code) DO UPDATE SET kind = excluded.kind, label = excluded.label, "
      "feed_id = excluded.feed_id RETURNING id");
  stmt.bindAll(uai, code, std::string_view(kind == GroupKind::kClass ? "class" : "group"), label,
               feed_id);
  GARDE_STORE_STEP(row, stmt);
  if (!row) {
    return core::fail(core::ErrorCode::kStoreError, "upsert group returned no row");
  }
  const std::int64_t id = stmt.int64(0);
  GARDE_TRY(stmt.run());
  return id;
}

core::Status addGroupMember(Db& db, std::int64_t group_id, std::int64_t person_id) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "INSERT INTO group_members(group_id, person_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  return stmt.bindAll(group_id, person_id).run();
}

core::Status clearPersonFacts(Db& db, std::int64_t person_id) {
  static constexpr const char* kStatements[] = {
      "DELETE FROM person_profiles WHERE person_id = ?1",
      "DELETE FROM person_emails WHERE person_id = ?1",
      "DELETE FROM person_mefs WHERE person_id = ?1",
      "DELETE FROM person_subjects WHERE person_id = ?1",
      "DELETE FROM group_members WHERE person_id = ?1",
  };
  return detail::inTransaction(db, [&]() -> core::Status {
    for (const char* sql : kStatements) {
      GARDE_STORE_PREPARE(stmt, db, sql);
      GARDE_TRY(stmt.bind(1, person_id).run());
    }
    return {};
  });
}

core::Result<std::int64_t> pruneDirectory(Db& db, std::string_view ent_id, std::int64_t feed_id) {
  std::int64_t removed = 0;
  auto s = detail::inTransaction(db, [&]() -> core::Status {
    {
      GARDE_STORE_PREPARE(stmt, db, "DELETE FROM people WHERE ent_id = ?1 AND feed_id IS DISTINCT FROM ?2");
      GARDE_TRY(stmt.bindAll(ent_id, feed_id).run());
      removed = db.changes();
    }
    {
      GARDE_STORE_PREPARE(stmt, db,
                          "DELETE FROM person_profiles WHERE feed_id IS DISTINCT FROM ?2 AND uai IN "
                          "(SELECT uai FROM establishments WHERE ent_id = ?1)");
      GARDE_TRY(stmt.bindAll(ent_id, feed_id).run());
    }
    GARDE_STORE_PREPARE(stmt, db,
                        "DELETE FROM groups WHERE feed_id IS DISTINCT FROM ?2 AND uai IN "
                        "(SELECT uai FROM establishments WHERE ent_id = ?1)");
    return stmt.bindAll(ent_id, feed_id).run();
  });
  if (!s) {
    return core::fail(std::move(s).error());
  }
  return removed;
}

core::Result<policy::PersonFacts> findPersonFacts(Db& db, std::string_view ent_id,
                                                  std::string_view ent_person_id,
                                                  std::string_view uai,
                                                  std::optional<policy::Profile> wanted) {
  policy::PersonFacts f;
  std::int64_t person_id = 0;
  {
    GARDE_STORE_PREPARE(
        stmt, db,
        "SELECT id, ent_id, ent_person_id, last_name, first_name, civility FROM people "
        "WHERE ent_id = ?1 AND ent_person_id = ?2");
    stmt.bindAll(ent_id, ent_person_id);
    GARDE_STORE_STEP(found, stmt);
    if (!found) {
      return core::fail(core::ErrorCode::kUnknownUser, "person not in the directory of this ENT");
    }
    person_id = stmt.int64(0);
    f.ent_id = stmt.text(1);
    f.ent_person_id = stmt.text(2);
    f.last_name = stmt.text(3);
    f.first_name = stmt.text(4);
    f.civility = stmt.text(5);
  }
  {
    // The establishment must belong to the person's ENT: a launch names both, and one ENT may not
    // speak for another's establishments.
    GARDE_STORE_PREPARE(
        stmt, db,
        "SELECT pp.profile FROM person_profiles pp JOIN establishments e ON e.uai = pp.uai "
        "WHERE pp.person_id = ?1 AND pp.uai = ?2 AND e.ent_id = ?3");
    stmt.bindAll(person_id, uai, ent_id);
    std::vector<policy::Profile> profiles;
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
      if (auto p = policy::parseProfile(s.text(0))) {
        profiles.push_back(*p);
      }
    }));
    std::optional<policy::Profile> chosen;
    for (policy::Profile p : policy::kAllProfiles) {
      const bool has = std::find(profiles.begin(), profiles.end(), p) != profiles.end();
      if (has && (!wanted || *wanted == p)) {
        chosen = p;
        break;
      }
    }
    if (!chosen) {
      return core::fail(core::ErrorCode::kNotEntitled,
                        "person has no such profile in this establishment");
    }
    f.profile = *chosen;
    f.uai = std::string(uai);
  }
  {
    // The person's groups, e-mail addresses, MEFs and subjects in one statement (one step of the
    // launch's read transaction instead of four), each kind sorted by its value as before: here,
    // not by an ORDER BY, whose sorter cost a third of the statement (std::string's order is
    // memcmp's, the BINARY collation's).
    GARDE_STORE_PREPARE(
        stmt, db,
        "SELECT 'g', g.code, g.kind FROM group_members m JOIN groups g ON g.id = m.group_id "
        "WHERE m.person_id = ?1 AND g.uai = ?2 "
        "UNION ALL SELECT 'e', email, '' FROM person_emails WHERE person_id = ?1 "
        "UNION ALL SELECT 'm', mef_code, '' FROM person_mefs WHERE person_id = ?1 AND uai = ?2 "
        "UNION ALL SELECT 's', subject_code, role FROM person_subjects "
        "WHERE person_id = ?1 AND uai = ?2");
    stmt.bindAll(person_id, uai);
    GARDE_TRY(detail::forEachRow(stmt, [&](const Stmt& s) {
      const std::string which = s.text(0);
      if (which == "g") {
        (s.text(2) == "class" ? f.classes : f.groups).push_back(s.text(1));
      } else if (which == "e") {
        f.emails.push_back(s.text(1));
      } else if (which == "m") {
        f.mefs.push_back(s.text(1));
      } else {
        (s.text(2) == "teacher" ? f.teacher_subjects : f.pupil_subjects).push_back(s.text(1));
      }
    }));
    for (auto* values :
         {&f.classes, &f.groups, &f.emails, &f.mefs, &f.teacher_subjects, &f.pupil_subjects}) {
      std::sort(values->begin(), values->end());
    }
  }
  return f;
}

core::Result<std::int64_t> beginFeed(Db& db, std::string_view ent_id, std::string_view kind,
                                     std::string_view file_name, core::UnixTime at) {
  GARDE_STORE_PREPARE(stmt, db,
                      "INSERT INTO feeds(ent_id, kind, file_name, received_at, status) "
                      "VALUES (?1, ?2, ?3, ?4, 'importing') RETURNING id");
  GARDE_TRY(stmt.bindAll(ent_id, kind, file_name, detail::isoTime(at)).step());
  const std::int64_t id = stmt.int64(0);
  GARDE_TRY(stmt.run());
  return id;
}

core::Status finishFeed(Db& db, std::int64_t feed_id, bool ok, std::int64_t item_count,
                        std::string_view report, core::UnixTime at) {
  GARDE_STORE_PREPARE(
      stmt, db,
      "UPDATE feeds SET status = ?2, item_count = ?3, report = ?4, finished_at = ?5 WHERE id = ?1");
  GARDE_TRY(stmt.bindAll(feed_id, std::string_view(ok ? "imported" : "failed"), item_count, report,
                         detail::isoTime(at))
                .run());
  if (db.changes() == 0) {
    return core::fail(core::ErrorCode::kNotFound, "unknown feed");
  }
  return {};
}

}  // namespace garde::store
