#include "store/feed_import.h"

#include <algorithm>
#include <type_traits>

#include "store/db_postgresql.h"
#include "store/directory.h"
#include "store/util.h"

namespace garde::store {
namespace {

// The staging tables live in a private database of the import's connection, attached as `stage`
// (an empty file name: SQLite's own temporary file, deleted when it is detached or the connection
// closes): writing them takes no lock on the directory, a killed import leaves nothing behind, and
// ending the stage detaches the file at once instead of freeing its pages one by one (dropping
// the tables of a million people took 3.5 s). Positions (file, line) are kept so that every
// problem names where it is. The tables are appended to while staging; kStagingIndexes follow.
constexpr const char* kStagingSchema = R"SQL(
CREATE TABLE stage.s_etab(uai TEXT PRIMARY KEY, name TEXT NOT NULL, file INTEGER, line INTEGER)
  WITHOUT ROWID;
CREATE TABLE stage.s_etab_mef(uai TEXT, code TEXT, label TEXT, file INTEGER, line INTEGER,
  PRIMARY KEY (uai, code)) WITHOUT ROWID;
CREATE TABLE stage.s_etab_subject(uai TEXT, code TEXT, label TEXT, file INTEGER, line INTEGER,
  PRIMARY KEY (uai, code)) WITHOUT ROWID;
CREATE TABLE stage.s_person(pid TEXT PRIMARY KEY, teacher INTEGER, last TEXT, first TEXT,
  civ TEXT, file INTEGER, line INTEGER) WITHOUT ROWID;
CREATE TABLE stage.s_profile(pid TEXT, uai TEXT, profile TEXT, file INTEGER, line INTEGER);
CREATE TABLE stage.s_person_etab(pid TEXT, uai TEXT, file INTEGER, line INTEGER);
CREATE TABLE stage.s_email(pid TEXT, email TEXT);
CREATE TABLE stage.s_mef(pid TEXT, uai TEXT, code TEXT, file INTEGER, line INTEGER);
CREATE TABLE stage.s_subject(pid TEXT, uai TEXT, role TEXT, code TEXT, grp TEXT, file INTEGER,
  line INTEGER);
CREATE TABLE stage.s_group(uai TEXT, code TEXT, kind TEXT, label TEXT, file INTEGER,
  line INTEGER, PRIMARY KEY (uai, code)) WITHOUT ROWID;
CREATE TABLE stage.s_member(pid TEXT, uai TEXT, code TEXT, file INTEGER, line INTEGER);
CREATE TABLE stage.s_manager(pid TEXT PRIMARY KEY, last TEXT, first TEXT, civ TEXT, emails TEXT,
  file INTEGER, line INTEGER) WITHOUT ROWID;
CREATE TABLE stage.s_manager_uai(pid TEXT, uai TEXT, file INTEGER, line INTEGER);
CREATE TABLE stage.s_uai(uai TEXT PRIMARY KEY) WITHOUT ROWID;
)SQL";

// Built once everything is staged (a sort, where indexing while loading would insert at random
// places of trees larger than the cache): the facts keyed as their directory tables are, so that
// the merge reads them in the directory's order and compares them with it directly.
constexpr const char* kStagingIndexes = R"SQL(
CREATE INDEX stage.s_profile_key ON s_profile(pid, uai, profile);
CREATE INDEX stage.s_email_key ON s_email(pid, email);
CREATE INDEX stage.s_mef_key ON s_mef(pid, uai, code);
CREATE INDEX stage.s_subject_key ON s_subject(pid, uai, role, code);
CREATE INDEX stage.s_member_key ON s_member(uai, code, pid);
)SQL";

constexpr const char* kInsertEtab =
    "INSERT INTO s_etab(uai, name, file, line) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
constexpr const char* kFindEtab = "SELECT file, line FROM s_etab WHERE uai = ?1 AND ?2 = ?2";
constexpr const char* kInsertEtabMef =
    "INSERT INTO s_etab_mef(uai, code, label, file, line) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT "
    "DO NOTHING";
constexpr const char* kFindEtabMef =
    "SELECT file, line FROM s_etab_mef WHERE uai = ?1 AND code = ?2";
constexpr const char* kInsertEtabSubject =
    "INSERT INTO s_etab_subject(uai, code, label, file, line) VALUES (?1, ?2, ?3, ?4, ?5) ON "
    "CONFLICT DO NOTHING";
constexpr const char* kFindEtabSubject =
    "SELECT file, line FROM s_etab_subject WHERE uai = ?1 AND code = ?2";
constexpr const char* kInsertPerson =
    "INSERT INTO s_person(pid, teacher, last, first, civ, file, line) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
constexpr const char* kFindPerson = "SELECT file, line FROM s_person WHERE pid = ?1 AND ?2 = ?2";
constexpr const char* kInsertProfile =
    "INSERT INTO s_profile(pid, uai, profile, file, line) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kInsertPersonEtab =
    "INSERT INTO s_person_etab(pid, uai, file, line) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kInsertEmail = "INSERT INTO s_email(pid, email) VALUES (?1, ?2)";
constexpr const char* kInsertMef =
    "INSERT INTO s_mef(pid, uai, code, file, line) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kInsertSubject =
    "INSERT INTO s_subject(pid, uai, role, code, grp, file, line) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kInsertGroup =
    "INSERT INTO s_group(uai, code, kind, label, file, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON "
    "CONFLICT DO NOTHING";
constexpr const char* kFindGroup = "SELECT file, line FROM s_group WHERE uai = ?1 AND code = ?2";
constexpr const char* kInsertMember =
    "INSERT INTO s_member(pid, uai, code, file, line) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kInsertManager =
    "INSERT INTO s_manager(pid, last, first, civ, emails, file, line) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";
constexpr const char* kFindManager = "SELECT file, line FROM s_manager WHERE pid = ?1 AND ?2 = ?2";
constexpr const char* kInsertManagerUai =
    "INSERT INTO s_manager_uai(pid, uai, file, line) VALUES (?1, ?2, ?3, ?4)";

// The facts without a key of their own, by staging table: inserted one by one on SQLite, sent by
// COPY on PostgreSQL (a round trip per row would be most of an import's time there).
enum Fact { kProfileFact, kPersonEtabFact, kEmailFact, kMefFact, kSubjectFact, kMemberFact,
            kManagerUaiFact, kFactCount };
constexpr const char* kFactInsert[kFactCount] = {kInsertProfile, kInsertPersonEtab, kInsertEmail,
                                                 kInsertMef,     kInsertSubject,    kInsertMember,
                                                 kInsertManagerUai};
constexpr const char* kFactCopy[kFactCount] = {
    "COPY s_profile(pid, uai, profile, file, line) FROM STDIN",
    "COPY s_person_etab(pid, uai, file, line) FROM STDIN",
    "COPY s_email(pid, email) FROM STDIN",
    "COPY s_mef(pid, uai, code, file, line) FROM STDIN",
    "COPY s_subject(pid, uai, role, code, grp, file, line) FROM STDIN",
    "COPY s_member(pid, uai, code, file, line) FROM STDIN",
    "COPY s_manager_uai(pid, uai, file, line) FROM STDIN",
};
/// A buffer sent once it holds this much (bounded memory whatever the snapshot's size).
constexpr std::size_t kFactFlushBytes = 4u << 20;

void copyValue(PgCopy& copy, const std::string& v) { copy.field(v); }
void copyValue(PgCopy& copy, const char* v) { copy.field(v); }
void copyValue(PgCopy& copy, std::int64_t v) { copy.field(std::to_string(v)); }

// Reference checks, each selecting (file, line, detail) of the first offenders. ?1 is the ENT,
// ?2 the number of problems wanted. A UAI is known when the snapshot's Etab files list it or it is
// already registered for this ENT.

struct Check {
  const char* code;  ///< core::errorCodeName of the problem
  const char* what;  ///< the message, followed by the detail column
  const char* sql;
  bool per_uai = false;  ///< looks for unknown UAIs: skipped when s_uai names none
};

#define GARDE_UNKNOWN_UAI(table)                                                     \
  "SELECT file, line, uai FROM " table                                               \
  " WHERE uai NOT IN "                                                               \
  "(SELECT uai FROM s_etab UNION SELECT uai FROM establishments WHERE ent_id = ?1) " \
  "ORDER BY file, line LIMIT ?2"

constexpr const char* kUnknownUai =
    "unknown establishment (not in the snapshot nor registered for this ENT): ";

// Whether any UAI the snapshot references (s_uai, gathered while staging) is unknown: when none is,
// the per-table searches for the rows that reference one (a scan of every staged fact) are skipped.
constexpr const char* kAnyUnknownUai =
    "SELECT EXISTS (SELECT 1 FROM s_uai WHERE uai NOT IN "
    "(SELECT uai FROM s_etab UNION SELECT uai FROM establishments WHERE ent_id = ?1))";

const Check kChecks[] = {
    {"unknown_peer", "the ENT is not registered: ",
     "SELECT 0, 0, ?1 WHERE NOT EXISTS (SELECT 1 FROM ents WHERE id = ?1) LIMIT ?2"},
    {"conflict", "the establishment belongs to another ENT: ",
     "SELECT s.file, s.line, s.uai FROM s_etab s JOIN establishments e ON e.uai = s.uai "
     "WHERE e.ent_id <> ?1 ORDER BY s.file, s.line LIMIT ?2"},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_profile"), true},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_person_etab"), true},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_mef"), true},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_subject"), true},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_group"), true},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_member"), true},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_manager_uai"), true},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_etab_mef"), true},
    {"not_found", kUnknownUai, GARDE_UNKNOWN_UAI("s_etab_subject"), true},
    {"not_found", "a MEF of a person the snapshot does not list: ",
     "SELECT file, line, pid FROM s_mef WHERE pid NOT IN (SELECT pid FROM s_person) AND ?1 = ?1 "
     "ORDER BY file, line LIMIT ?2"},
    {"not_found", "a subject of a person the snapshot does not list: ",
     "SELECT file, line, pid FROM s_subject WHERE pid NOT IN (SELECT pid FROM s_person) "
     "AND ?1 = ?1 ORDER BY file, line LIMIT ?2"},
    {"not_found", "a membership of a person the snapshot does not list: ",
     "SELECT file, line, pid FROM s_member WHERE pid NOT IN (SELECT pid FROM s_person) "
     "AND ?1 = ?1 ORDER BY file, line LIMIT ?2"},
    {"not_found", "a membership of a class or group the snapshot does not list: ",
     "SELECT m.file, m.line, m.code FROM s_member m WHERE NOT EXISTS (SELECT 1 FROM s_group g "
     "WHERE g.uai = m.uai AND g.code = m.code) AND ?1 = ?1 ORDER BY m.file, m.line LIMIT ?2"},
    {"not_found", "subjects taught in a class or group the snapshot does not list: ",
     "SELECT s.file, s.line, s.grp FROM s_subject s WHERE s.grp <> '' AND NOT EXISTS "
     "(SELECT 1 FROM s_group g WHERE g.uai = s.uai AND g.code = s.grp) AND ?1 = ?1 "
     "ORDER BY s.file, s.line LIMIT ?2"},
};
#undef GARDE_UNKNOWN_UAI

/// One step of the merge: `sql` with ?1 = the ENT and ?2 = the feed id (both bound whether used
/// or not: each statement but the CREATEs names both). `field` of `kind`, when set, is where
/// the count goes.
enum class Into { kNone, kAdded, kChangedPlusAdded, kRemoved, kAddedByQuery };
struct Step {
  std::int64_t FeedChange::*field;  ///< nullptr: not counted
  FeedChange FeedCounts::*kind;
  Into into;
  const char* sql;
};

// Establishments: added or renamed, never removed (they may have been registered by the operator,
// and subscriptions name them). People: leavers first (cascade to their facts and assignments),
// then upsert by (ENT, identifier): a renamed person keeps their row id and so their pseudonyms.
// Each directory table of facts loses what its staging table no longer lists and gains what it
// lacks (compared through s_pmap and the staging indexes, read in key order so that the directory
// tables are walked in theirs): unchanged rows
// are never rewritten.
const Step kSteps[] = {
    {&FeedChange::added, &FeedCounts::establishments, Into::kAddedByQuery,
     "SELECT count(*) FROM s_etab WHERE uai NOT IN (SELECT uai FROM establishments) "
     "AND ?1 = ?1 AND ?2 = ?2"},
    {&FeedChange::changed, &FeedCounts::establishments, Into::kChangedPlusAdded,
     "INSERT INTO establishments(uai, ent_id, name, feed_id) SELECT uai, ?1, name, ?2 FROM s_etab "
     "WHERE true ON CONFLICT(uai) DO UPDATE SET name = excluded.name, feed_id = excluded.feed_id "
     "WHERE establishments.name IS DISTINCT FROM excluded.name"},
    {&FeedChange::removed, &FeedCounts::people, Into::kRemoved,
     "DELETE FROM people WHERE ent_id = ?1 AND ent_person_id NOT IN (SELECT pid FROM s_person) "
     "AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::people, Into::kAddedByQuery,
     "SELECT count(*) FROM s_person WHERE pid NOT IN "
     "(SELECT ent_person_id FROM people WHERE ent_id = ?1) AND ?2 = ?2"},
    {&FeedChange::changed, &FeedCounts::people, Into::kChangedPlusAdded,
     "INSERT INTO people(ent_id, ent_person_id, last_name, first_name, civility, feed_id) "
     "SELECT ?1, pid, last, first, civ, ?2 FROM s_person WHERE true "
     "ON CONFLICT(ent_id, ent_person_id) DO UPDATE SET last_name = excluded.last_name, "
     "first_name = excluded.first_name, civility = excluded.civility, feed_id = excluded.feed_id "
     "WHERE people.last_name IS DISTINCT FROM excluded.last_name OR people.first_name IS DISTINCT "
     "FROM "
     "excluded.first_name OR people.civility IS DISTINCT FROM excluded.civility"},
    // The ENT's people after the upsert, by row id (the facts' person_id) and by identifier.
    {nullptr, nullptr, Into::kNone,
     "CREATE TABLE stage.s_pmap(person_id INTEGER PRIMARY KEY, pid TEXT NOT NULL UNIQUE)"},
    {nullptr, nullptr, Into::kNone,
     "INSERT INTO s_pmap(person_id, pid) SELECT id, ent_person_id FROM people WHERE ent_id = ?1 "
     "AND ?2 = ?2 ORDER BY ent_person_id"},
    // Profiles.
    {&FeedChange::removed, &FeedCounts::profiles, Into::kRemoved,
     "DELETE FROM person_profiles WHERE person_id IN (SELECT person_id FROM s_pmap) AND NOT EXISTS "
     "(SELECT 1 FROM s_pmap m JOIN s_profile s ON s.pid = m.pid WHERE m.person_id = "
     "person_profiles.person_id AND s.uai = person_profiles.uai AND s.profile = "
     "person_profiles.profile) AND ?1 = ?1 AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::profiles, Into::kChangedPlusAdded,
     "INSERT INTO person_profiles(person_id, uai, profile, feed_id) SELECT m.person_id, s.uai, "
     "s.profile, ?2 FROM s_profile s JOIN s_pmap m ON m.pid = s.pid WHERE ?1 = ?1 "
     "ORDER BY s.pid, s.uai, s.profile ON CONFLICT DO NOTHING"},
    // E-mails.
    {&FeedChange::removed, &FeedCounts::emails, Into::kRemoved,
     "DELETE FROM person_emails WHERE person_id IN (SELECT person_id FROM s_pmap) AND NOT EXISTS "
     "(SELECT 1 FROM s_pmap m JOIN s_email s ON s.pid = m.pid WHERE m.person_id = "
     "person_emails.person_id AND s.email = person_emails.email) AND ?1 = ?1 AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::emails, Into::kChangedPlusAdded,
     "INSERT INTO person_emails(person_id, email) SELECT m.person_id, s.email FROM s_email s "
     "JOIN s_pmap m ON m.pid = s.pid WHERE ?1 = ?1 AND ?2 = ?2 ORDER BY s.pid, s.email "
     "ON CONFLICT DO NOTHING"},
    // MEFs.
    {&FeedChange::removed, &FeedCounts::mefs, Into::kRemoved,
     "DELETE FROM person_mefs WHERE person_id IN (SELECT person_id FROM s_pmap) AND NOT EXISTS "
     "(SELECT 1 FROM s_pmap m JOIN s_mef s ON s.pid = m.pid WHERE m.person_id = "
     "person_mefs.person_id AND s.uai = person_mefs.uai AND s.code = person_mefs.mef_code) "
     "AND ?1 = ?1 AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::mefs, Into::kChangedPlusAdded,
     "INSERT INTO person_mefs(person_id, uai, mef_code) SELECT m.person_id, s.uai, s.code "
     "FROM s_mef s JOIN s_pmap m ON m.pid = s.pid WHERE ?1 = ?1 AND ?2 = ?2 "
     "ORDER BY s.pid, s.uai, s.code ON CONFLICT DO NOTHING"},
    // Subjects (followed by pupils, taught by teachers: a subject taught in several classes is
    // one row of the directory).
    {&FeedChange::removed, &FeedCounts::subjects, Into::kRemoved,
     "DELETE FROM person_subjects WHERE person_id IN (SELECT person_id FROM s_pmap) AND NOT EXISTS "
     "(SELECT 1 FROM s_pmap m JOIN s_subject s ON s.pid = m.pid WHERE m.person_id = "
     "person_subjects.person_id AND s.uai = person_subjects.uai AND s.role = person_subjects.role "
     "AND s.code = person_subjects.subject_code) AND ?1 = ?1 AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::subjects, Into::kChangedPlusAdded,
     "INSERT INTO person_subjects(person_id, uai, role, subject_code) SELECT m.person_id, s.uai, "
     "s.role, s.code FROM s_subject s JOIN s_pmap m ON m.pid = s.pid WHERE ?1 = ?1 AND ?2 = ?2 "
     "ORDER BY s.pid, s.uai, s.role, s.code ON CONFLICT DO NOTHING"},
    // Classes and groups of the ENT's establishments.
    {&FeedChange::removed, &FeedCounts::groups, Into::kRemoved,
     "DELETE FROM groups WHERE uai IN (SELECT uai FROM establishments WHERE ent_id = ?1) AND NOT "
     "EXISTS (SELECT 1 FROM s_group s WHERE s.uai = groups.uai AND s.code = groups.code) "
     "AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::groups, Into::kAddedByQuery,
     "SELECT count(*) FROM s_group s WHERE NOT EXISTS (SELECT 1 FROM groups g WHERE g.uai = s.uai "
     "AND g.code = s.code) AND ?1 = ?1 AND ?2 = ?2"},
    {&FeedChange::changed, &FeedCounts::groups, Into::kChangedPlusAdded,
     "INSERT INTO groups(uai, code, kind, label, feed_id) SELECT uai, code, kind, label, ?2 "
     "FROM s_group WHERE ?1 = ?1 ON CONFLICT(uai, code) DO UPDATE SET kind = excluded.kind, "
     "label = excluded.label, feed_id = excluded.feed_id WHERE groups.kind IS DISTINCT FROM "
     "excluded.kind "
     "OR groups.label IS DISTINCT FROM excluded.label"},
    // Memberships.
    {&FeedChange::removed, &FeedCounts::memberships, Into::kRemoved,
     "DELETE FROM group_members WHERE group_id IN (SELECT id FROM groups WHERE uai IN "
     "(SELECT uai FROM establishments WHERE ent_id = ?1)) AND NOT EXISTS (SELECT 1 FROM groups g, "
     "s_pmap m, s_member s WHERE g.id = group_members.group_id AND m.person_id = "
     "group_members.person_id AND s.pid = m.pid AND s.uai = g.uai AND s.code = g.code) "
     "AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::memberships, Into::kChangedPlusAdded,
     "INSERT INTO group_members(group_id, person_id) SELECT g.id, m.person_id FROM s_member s "
     "JOIN s_pmap m ON m.pid = s.pid JOIN groups g ON g.uai = s.uai AND g.code = s.code "
     "WHERE ?1 = ?1 AND ?2 = ?2 ORDER BY s.uai, s.code, s.pid ON CONFLICT DO NOTHING"},
    // The establishments' MEFs and subjects.
    {&FeedChange::removed, &FeedCounts::establishment_mefs, Into::kRemoved,
     "DELETE FROM establishment_mefs WHERE uai IN (SELECT uai FROM establishments WHERE ent_id = "
     "?1) AND NOT EXISTS (SELECT 1 FROM s_etab_mef s WHERE s.uai = establishment_mefs.uai AND "
     "s.code = establishment_mefs.code) AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::establishment_mefs, Into::kAddedByQuery,
     "SELECT count(*) FROM s_etab_mef s WHERE NOT EXISTS (SELECT 1 FROM establishment_mefs e "
     "WHERE e.uai = s.uai AND e.code = s.code) AND ?1 = ?1 AND ?2 = ?2"},
    {&FeedChange::changed, &FeedCounts::establishment_mefs, Into::kChangedPlusAdded,
     "INSERT INTO establishment_mefs(uai, code, label, feed_id) SELECT uai, code, label, ?2 "
     "FROM s_etab_mef WHERE ?1 = ?1 ON CONFLICT(uai, code) DO UPDATE SET label = excluded.label, "
     "feed_id = excluded.feed_id WHERE establishment_mefs.label IS DISTINCT FROM excluded.label"},
    {&FeedChange::removed, &FeedCounts::establishment_subjects, Into::kRemoved,
     "DELETE FROM establishment_subjects WHERE uai IN (SELECT uai FROM establishments WHERE "
     "ent_id = ?1) AND NOT EXISTS (SELECT 1 FROM s_etab_subject s WHERE s.uai = "
     "establishment_subjects.uai AND s.code = establishment_subjects.code) AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::establishment_subjects, Into::kAddedByQuery,
     "SELECT count(*) FROM s_etab_subject s WHERE NOT EXISTS (SELECT 1 FROM "
     "establishment_subjects e WHERE e.uai = s.uai AND e.code = s.code) AND ?1 = ?1 AND ?2 = ?2"},
    {&FeedChange::changed, &FeedCounts::establishment_subjects, Into::kChangedPlusAdded,
     "INSERT INTO establishment_subjects(uai, code, label, feed_id) SELECT uai, code, label, ?2 "
     "FROM s_etab_subject WHERE ?1 = ?1 ON CONFLICT(uai, code) DO UPDATE SET label = "
     "excluded.label, feed_id = excluded.feed_id WHERE establishment_subjects.label IS DISTINCT "
     "FROM "
     "excluded.label"},
    // Assignment managers and their establishments.
    {&FeedChange::removed, &FeedCounts::managers, Into::kRemoved,
     "DELETE FROM assignment_managers WHERE ent_id = ?1 AND ent_person_id NOT IN "
     "(SELECT pid FROM s_manager) AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::managers, Into::kAddedByQuery,
     "SELECT count(*) FROM s_manager WHERE pid NOT IN (SELECT ent_person_id FROM "
     "assignment_managers WHERE ent_id = ?1) AND ?2 = ?2"},
    {&FeedChange::changed, &FeedCounts::managers, Into::kChangedPlusAdded,
     "INSERT INTO assignment_managers(ent_id, ent_person_id, last_name, first_name, civility, "
     "emails, feed_id) SELECT ?1, pid, last, first, civ, emails, ?2 FROM s_manager WHERE true "
     "ON CONFLICT(ent_id, ent_person_id) DO UPDATE SET last_name = excluded.last_name, "
     "first_name = excluded.first_name, civility = excluded.civility, emails = excluded.emails, "
     "feed_id = excluded.feed_id WHERE assignment_managers.last_name IS DISTINCT FROM "
     "excluded.last_name OR "
     "assignment_managers.first_name IS DISTINCT FROM excluded.first_name OR "
     "assignment_managers.civility "
     "IS DISTINCT FROM excluded.civility OR assignment_managers.emails IS DISTINCT FROM "
     "excluded.emails"},
    {nullptr, nullptr, Into::kNone,
     "CREATE TABLE stage.d_manager_uai(manager_id INTEGER, uai TEXT, "
     "PRIMARY KEY (manager_id, uai)) WITHOUT ROWID"},
    {nullptr, nullptr, Into::kNone,
     "INSERT INTO d_manager_uai SELECT a.id, s.uai FROM s_manager_uai s JOIN "
     "assignment_managers a ON a.ent_id = ?1 AND a.ent_person_id = s.pid WHERE ?2 = ?2 "
     "ON CONFLICT DO NOTHING"},
    {&FeedChange::removed, &FeedCounts::manager_establishments, Into::kRemoved,
     "DELETE FROM assignment_manager_establishments WHERE manager_id IN (SELECT id FROM "
     "assignment_managers WHERE ent_id = ?1) AND NOT EXISTS (SELECT 1 FROM d_manager_uai d WHERE "
     "d.manager_id = assignment_manager_establishments.manager_id AND d.uai = "
     "assignment_manager_establishments.uai) AND ?2 = ?2"},
    {&FeedChange::added, &FeedCounts::manager_establishments, Into::kChangedPlusAdded,
     "INSERT INTO assignment_manager_establishments(manager_id, uai) SELECT manager_id, uai FROM "
     "d_manager_uai WHERE ?1 = ?1 AND ?2 = ?2 ON CONFLICT DO NOTHING"},
};

/// Runs staging DDL written for SQLite's attached `stage` database. On PostgreSQL the staging
/// tables are the connection's temporary tables (private to the session, never written to the
/// WAL, dropped by DISCARD TEMP): `CREATE TABLE stage.` is `CREATE TEMP TABLE`, an index on them
/// is created unqualified (it lives beside its table), and WITHOUT ROWID has no meaning.
core::Status stageDdl(Db& db, const char* sql) {
  if (db.engine() != Engine::kPostgresql) {
    return db.execScript(sql);
  }
  std::string text(sql);
  const std::pair<std::string_view, std::string_view> kRewrites[] = {
      {"CREATE TABLE stage.", "CREATE TEMP TABLE "},
      {"CREATE INDEX stage.", "CREATE INDEX "},
      {" WITHOUT ROWID", ""},
  };
  for (const auto& [from, to] : kRewrites) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return db.execScript(text.c_str());
}

std::string joinLines(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) {
      out += '\n';
    }
    out += v;
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string_view, const FeedChange*>> FeedCounts::named() const {
  return {{"establishments", &establishments},
          {"establishment_mefs", &establishment_mefs},
          {"establishment_subjects", &establishment_subjects},
          {"people", &people},
          {"profiles", &profiles},
          {"emails", &emails},
          {"mefs", &mefs},
          {"subjects", &subjects},
          {"groups", &groups},
          {"memberships", &memberships},
          {"managers", &managers},
          {"manager_establishments", &manager_establishments}};
}

std::int64_t FeedCounts::total() const {
  std::int64_t n = 0;
  for (const auto& [name, c] : named()) {
    n += c->added + c->changed + c->removed;
  }
  return n;
}

struct FeedStage::FactBuffers {
  std::vector<PgCopy> copies;
};

FeedStage::FeedStage(Db& db, std::string ent_id) : db_(db), ent_id_(std::move(ent_id)) {}

template <class... Args>
core::Status FeedStage::fact(int which, const Args&... args) {
  if (!facts_) {
    GARDE_STORE_PREPARE(ins, db_, kFactInsert[which]);
    return ins.bindAll(args...).run();
  }
  PgCopy& copy = facts_->copies[static_cast<std::size_t>(which)];
  (copyValue(copy, args), ...);
  GARDE_TRY(copy.endRow());
  if (copy.buffered() < kFactFlushBytes) {
    return {};
  }
  GARDE_TRY(copy.begin(kFactCopy[which]));
  return copy.finish();
}

core::Status FeedStage::flushFacts() {
  if (!facts_) {
    return {};
  }
  for (int which = 0; which < kFactCount; ++which) {
    PgCopy& copy = facts_->copies[static_cast<std::size_t>(which)];
    if (copy.buffered() > 0) {
      GARDE_TRY(copy.begin(kFactCopy[which]));
      GARDE_TRY(copy.finish());
    }
  }
  return {};
}

core::Result<std::unique_ptr<FeedStage>> FeedStage::open(Db& db, std::string ent_id) {
  if (db.inTransaction()) {
    return core::fail(core::ErrorCode::kInternal, "a feed stage needs a connection of its own");
  }
  std::unique_ptr<FeedStage> stage(new FeedStage(db, std::move(ent_id)));
  if (db.engine() == Engine::kPostgresql) {
    stage->facts_ = std::make_unique<FactBuffers>();
    for (int i = 0; i < kFactCount; ++i) {
      stage->facts_->copies.emplace_back(*db.postgresql());
    }
    (void)db.execScript("DISCARD TEMP");  // left by a stage whose end failed (best effort)
  } else {
    (void)db.execScript("DETACH DATABASE stage");  // the same
    GARDE_TRY(db.execScript("ATTACH DATABASE '' AS stage"));
    // The import's working set (staging tables and the merge's joins) goes through page caches
    // of 64 MiB, not more: the peak memory stays flat whatever the snapshot's size.
    GARDE_TRY(
        db.execScript("PRAGMA temp_store = FILE; PRAGMA cache_size = -65536; "
                      "PRAGMA temp.cache_size = -65536; PRAGMA stage.cache_size = -65536; "
                      "PRAGMA stage.journal_mode = MEMORY; PRAGMA stage.synchronous = OFF;"));
  }
  GARDE_TRY(stageDdl(db, kStagingSchema));
  GARDE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db, Transaction::Kind::kDeferred));
  stage->tx_ = std::make_unique<Transaction>(std::move(tx));
  return stage;
}

FeedStage::~FeedStage() {
  tx_.reset();  // rolls back what was not committed
  // Deletes the staging file or tables (best effort: a failure leaves them to the next stage or
  // the close).
  (void)db_.execScript(db_.engine() == Engine::kPostgresql ? "DISCARD TEMP"
                                                           : "DETACH DATABASE stage");
}

core::Status FeedStage::referenceUai(std::string_view uai) {
  if (uai == last_uai_) {
    return {};
  }
  last_uai_ = uai;
  GARDE_STORE_PREPARE(ins, db_, "INSERT INTO s_uai(uai) VALUES (?1) ON CONFLICT DO NOTHING");
  return ins.bindAll(uai).run();
}

core::Status FeedStage::duplicate(std::string_view what, const char* find_sql,
                                  std::string_view key1, std::string_view key2, FeedPosition at) {
  GARDE_STORE_PREPARE(find, db_, find_sql);
  find.bindAll(key1, key2);
  GARDE_STORE_STEP(found, find);
  FeedProblem p;
  p.at = at;
  p.code = "conflict";
  p.message = "duplicate key: " + std::string(what) + " '" + std::string(key1) +
              (key2.empty() ? "" : " " + std::string(key2)) + "' already at file #" +
              std::to_string(found ? find.int64(0) : 0) + " line " +
              std::to_string(found ? find.int64(1) : 0);
  problems_.push_back(std::move(p));
  return {};
}

core::Status FeedStage::stagePerson(const FeedPerson& p, FeedPosition at) {
  const auto file = static_cast<std::int64_t>(at.file);
  const auto line = static_cast<std::int64_t>(at.line);
  GARDE_STORE_PREPARE(ins, db_, kInsertPerson);
  GARDE_TRY(ins.bindAll(p.id, p.teacher, p.last_name, p.first_name, p.civility, file, line).run());
  if (db_.changes() == 0) {
    return duplicate("person", kFindPerson, p.id, "", at);
  }
  ++people_;
  for (const auto& [uai, code] : p.profiles) {
    GARDE_TRY(referenceUai(uai));
    GARDE_TRY(fact(kProfileFact, p.id, uai, code, file, line));
  }
  for (const auto& uai : p.establishments) {
    GARDE_TRY(referenceUai(uai));
    GARDE_TRY(fact(kPersonEtabFact, p.id, uai, file, line));
  }
  for (const auto& e : p.emails) {
    GARDE_TRY(fact(kEmailFact, p.id, e));
  }
  return {};
}

core::Status FeedStage::add(const FeedRecord& record, FeedPosition at) {
  ++records_;
  const auto file = static_cast<std::int64_t>(at.file);
  const auto line = static_cast<std::int64_t>(at.line);
  // A keyed insert that finds its key taken (it inserts nothing) is a duplicate: recorded, not
  // fatal to the stage. (ON CONFLICT DO NOTHING rather than a failed statement: on PostgreSQL a
  // failed statement would abort the stage's transaction.)
  auto keyed = [&](Stmt& ins, std::string_view what, const char* find_sql, std::string_view k1,
                   std::string_view k2) -> core::Status {
    GARDE_TRY(ins.run());
    if (db_.changes() == 0) {
      return duplicate(what, find_sql, k1, k2, at);
    }
    return {};
  };
  return std::visit(
      [&](const auto& r) -> core::Status {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, FeedEstablishment>) {
          GARDE_STORE_PREPARE(ins, db_, kInsertEtab);
          ins.bindAll(r.uai, r.name, file, line);
          return keyed(ins, "establishment", kFindEtab, r.uai, "");
        } else if constexpr (std::is_same_v<T, FeedEstablishmentMef>) {
          GARDE_TRY(referenceUai(r.uai));
          GARDE_STORE_PREPARE(ins, db_, kInsertEtabMef);
          ins.bindAll(r.uai, r.code, r.label, file, line);
          return keyed(ins, "establishment MEF", kFindEtabMef, r.uai, r.code);
        } else if constexpr (std::is_same_v<T, FeedEstablishmentSubject>) {
          GARDE_TRY(referenceUai(r.uai));
          GARDE_STORE_PREPARE(ins, db_, kInsertEtabSubject);
          ins.bindAll(r.uai, r.code, r.label, file, line);
          return keyed(ins, "establishment subject", kFindEtabSubject, r.uai, r.code);
        } else if constexpr (std::is_same_v<T, FeedPerson>) {
          return stagePerson(r, at);
        } else if constexpr (std::is_same_v<T, FeedPersonMef>) {
          GARDE_TRY(referenceUai(r.uai));
          return fact(kMefFact, r.person_id, r.uai, r.code, file, line);
        } else if constexpr (std::is_same_v<T, FeedPupilSubject>) {
          GARDE_TRY(referenceUai(r.uai));
          return fact(kSubjectFact, r.person_id, r.uai, "pupil", r.code, "", file, line);
        } else if constexpr (std::is_same_v<T, FeedGroup>) {
          GARDE_TRY(referenceUai(r.uai));
          GARDE_STORE_PREPARE(ins, db_, kInsertGroup);
          ins.bindAll(r.uai, r.code, r.division ? "class" : "group", r.label, file, line);
          return keyed(ins, "class or group", kFindGroup, r.uai, r.code);
        } else if constexpr (std::is_same_v<T, FeedMembership>) {
          GARDE_TRY(referenceUai(r.uai));
          return fact(kMemberFact, r.person_id, r.uai, r.group_code, file, line);
        } else if constexpr (std::is_same_v<T, FeedTeacherSubjects>) {
          GARDE_TRY(referenceUai(r.uai));
          for (const auto& code : r.subjects) {
            GARDE_TRY(fact(kSubjectFact, r.person_id, r.uai, "teacher", code, r.group_code, file,
                           line));
          }
          return {};
        } else {
          static_assert(std::is_same_v<T, FeedManager>);
          GARDE_STORE_PREPARE(ins, db_, kInsertManager);
          ins.bindAll(r.id, r.last_name, r.first_name, r.civility, joinLines(r.emails), file, line);
          const std::size_t before = problems_.size();
          GARDE_TRY(keyed(ins, "assignment manager", kFindManager, r.id, ""));
          if (problems_.size() != before) {
            return {};
          }
          for (const auto& uai : r.establishments) {
            GARDE_TRY(referenceUai(uai));
            GARDE_TRY(fact(kManagerUaiFact, r.id, uai, file, line));
          }
          return {};
        }
      },
      record);
}

core::Result<std::vector<FeedProblem>> FeedStage::check(std::size_t max_problems) {
  if (!tx_) {
    return core::fail(core::ErrorCode::kInternal, "feed stage already checked");
  }
  GARDE_TRY(flushFacts());
  GARDE_TRY(stageDdl(db_, kStagingIndexes));  // still outside the write lock
  GARDE_TRY(tx_->commit());
  tx_.reset();
  GARDE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_, Transaction::Kind::kImmediate));
  tx_ = std::make_unique<Transaction>(std::move(tx));
  GARDE_STORE_PREPARE(any_unknown, db_, kAnyUnknownUai);
  any_unknown.bindAll(ent_id_);
  GARDE_STORE_STEP(any_row, any_unknown);
  const bool unknown_uai = any_row && any_unknown.int64(0) != 0;
  std::vector<FeedProblem> problems;
  for (const Check& c : kChecks) {
    if (problems.size() >= max_problems) {
      break;
    }
    if (c.per_uai && !unknown_uai) {
      continue;
    }
    GARDE_STORE_PREPARE(q, db_, c.sql);
    q.bindAll(ent_id_, static_cast<std::int64_t>(max_problems - problems.size()));
    GARDE_TRY(detail::forEachRow(q, [&](const Stmt& row) {
      FeedProblem p;
      p.at.file = static_cast<std::uint32_t>(row.int64(0));
      p.at.line = static_cast<std::uint32_t>(row.int64(1));
      p.code = c.code;
      p.message = std::string(c.what) + row.text(2);
      problems.push_back(std::move(p));
    }));
  }
  if (!problems.empty()) {
    tx_.reset();  // rolls back: nothing was written
  }
  return problems;
}

core::Result<FeedCounts> FeedStage::merge(std::string_view file_name, core::UnixTime at,
                                          const FeedProgress& progress) {
  if (!tx_) {
    return core::fail(core::ErrorCode::kInternal, "merge without a successful check");
  }
  GARDE_ASSIGN_OR_RETURN(feed_id_, beginFeed(db_, ent_id_, "complet", file_name, at));
  FeedCounts counts;
  const auto total = static_cast<std::int64_t>(std::size(kSteps));
  std::int64_t done = 0;
  std::int64_t added_by_query = 0;
  for (const Step& step : kSteps) {
    if (progress) {
      progress("merge", done, total);
    }
    if (std::string_view(step.sql).substr(0, 7) == "CREATE ") {  // DDL has no parameters
      GARDE_TRY(stageDdl(db_, step.sql));
      ++done;
      continue;
    }
    GARDE_STORE_PREPARE(stmt, db_, step.sql);
    stmt.bindAll(ent_id_, feed_id_);
    std::int64_t n = 0;
    if (step.into == Into::kAddedByQuery) {
      GARDE_STORE_STEP(row, stmt);
      n = row ? stmt.int64(0) : 0;
      added_by_query = n;
    } else {
      GARDE_TRY(stmt.run());
      n = db_.changes();
    }
    if (step.field != nullptr) {
      FeedChange& change = counts.*(step.kind);
      // An upsert's changes() counts the rows it inserted and those it updated.
      change.*(step.field) =
          (step.into == Into::kChangedPlusAdded && step.field == &FeedChange::changed)
              ? n - added_by_query
              : n;
    }
    ++done;
  }
  if (progress) {
    progress("merge", done, total);
  }
  return counts;
}

core::Status FeedStage::commit(std::string_view report, core::UnixTime at) {
  if (!tx_ || feed_id_ == 0) {
    return core::fail(core::ErrorCode::kInternal, "commit without a merge");
  }
  GARDE_TRY(finishFeed(db_, feed_id_, true, records_, report, at));
  GARDE_TRY(tx_->commit());
  tx_.reset();
  return {};
}

core::Result<std::int64_t> recordFailedFeed(Db& db, std::string_view ent_id,
                                            std::string_view file_name, std::string_view report,
                                            core::UnixTime at) {
  GARDE_TRY(findEnt(db, ent_id));
  GARDE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db));
  GARDE_ASSIGN_OR_RETURN(const std::int64_t id, beginFeed(db, ent_id, "complet", file_name, at));
  GARDE_TRY(finishFeed(db, id, false, 0, report, at));
  GARDE_TRY(tx.commit());
  return id;
}

core::Result<FeedRow> findFeed(Db& db, std::string_view ent_id, std::int64_t feed_id) {
  GARDE_STORE_PREPARE(stmt, db,
                      "SELECT id, ent_id, file_name, received_at, coalesce(finished_at, ''), "
                      "status, item_count, coalesce(report, '') FROM feeds "
                      "WHERE id = ?1 AND ent_id = ?2");
  stmt.bindAll(feed_id, ent_id);
  GARDE_STORE_STEP(found, stmt);
  if (!found) {
    return core::fail(core::ErrorCode::kNotFound, "no such feed for this ENT");
  }
  FeedRow row;
  row.id = stmt.int64(0);
  row.ent_id = stmt.text(1);
  row.file_name = stmt.text(2);
  row.received_at = stmt.text(3);
  row.finished_at = stmt.text(4);
  row.status = stmt.text(5);
  row.item_count = stmt.int64(6);
  row.report = stmt.text(7);
  return row;
}

}  // namespace garde::store
