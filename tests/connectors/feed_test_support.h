#pragma once
// What the feed tests share: a small ENT project's snapshot, a migrated database with the ENT
// registered, a dump of the whole directory (to hold "exactly as before"), and the import of
// files.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "connectors/feed/import.h"
#include "core/log.h"
#include "store/db.h"
#include "store/directory.h"
#include "store/migrations.h"
#include "support/feed_builder.h"
#include "support/temp_dir.h"
#include "support/test_database.h"

namespace garde::test {

inline constexpr core::UnixTime kFeedNow = 1'788'000'000;  // 2026-08-29

/// Two collèges of ENTTEST1, four pupils, two teachers, two classes, a group, a manager.
inline FeedSnapshot sampleSnapshot() {
  FeedSnapshot s;
  s.etabs = {{"0750001A", "Collège Émile-Zola"}, {"0750002B", "Collège Louise-Michel"}};
  auto pupil = [](std::string id, std::string last, std::string first, std::string uai,
                  std::string cls) {
    FeedTestPerson p;
    p.id = std::move(id);
    p.last_name = std::move(last);
    p.first_name = std::move(first);
    p.profiles = {{uai, "National_elv"}};
    p.mefs = {{uai, "10010012110"}};
    p.subjects = {{uai, "030201"}, {uai, "061300"}};
    p.groups = {{uai, cls}};
    return p;
  };
  s.people.push_back(pupil("elv-1", "Dupré", "Léa", "0750001A", "3A"));
  s.people.push_back(pupil("elv-2", "N'Diaye", "Aïssata", "0750001A", "3A"));
  s.people.push_back(pupil("elv-3", "Lefèvre", "Noël", "0750001A", "3B"));
  s.people.push_back(pupil("elv-4", "Çelik", "Zoé", "0750002B", "4C"));
  s.people[0].groups.emplace_back("0750001A", "LATIN");
  FeedTestPerson t;
  t.id = "ens-1";
  t.teacher = true;
  t.last_name = "Bérenger";
  t.first_name = "François";
  t.civility = "M.";
  t.profiles = {{"0750001A", "National_ens"}, {"0750002B", "National_ens"}};
  t.emails = {"francois.berenger@ac-paris.fr"};
  t.groups = {{"0750001A", "3A"}};
  t.taught = {{"0750001A", "3A", "030201"}, {"0750001A", "LATIN", "020700"}};
  s.people.push_back(t);
  FeedTestPerson d;
  d.id = "doc-1";
  d.teacher = true;
  d.last_name = "Åkesson";
  d.first_name = "Inès";
  d.civility = "Mme";
  d.profiles = {{"0750001A", "National_doc"}};
  s.people.push_back(d);
  s.groups = {{"0750001A", "3A", "3e A", true},
              {"0750001A", "3B", "3e B", true},
              {"0750001A", "LATIN", "Latin 3e", false},
              {"0750002B", "4C", "4e C", true}};
  s.managers = {{"ens-1", "Bérenger", "François", {"francois.berenger@ac-paris.fr"}, {"0750001A"}}};
  return s;
}

/// A migrated database in a temporary directory with ENTTEST1 (and ENTOTHER) registered.
class FeedDb {
 public:
  FeedDb() : path_(freshDatabase(dir_, "garde.db", schema_)) {
    core::setLogLevel(core::LogLevel::kError);
    auto db = store::Db::open(path_);
    REQUIRE(db.has_value());
    db_.emplace(std::move(db).value());
    REQUIRE(store::migrate(*db_).has_value());
    for (const char* id : {"ENTTEST1", "ENTOTHER"}) {
      store::Ent ent;
      ent.id = id;
      ent.name = id;
      REQUIRE(store::upsertEnt(*db_, ent, kFeedNow).has_value());
    }
  }
  ~FeedDb() {
    db_.reset();
    dropDatabase(schema_);
  }
  FeedDb(const FeedDb&) = delete;
  FeedDb& operator=(const FeedDb&) = delete;
  store::Db& db() { return *db_; }
  const std::string& path() const { return path_; }
  /// A fresh directory for one snapshot's files.
  std::string feedDir(const std::string& name) const {
    const std::string d = dir_.file(name);
    std::filesystem::create_directories(d);
    return d;
  }
  const TempDir& dir() const { return dir_; }

 protected:
  TempDir dir_{"garde-feed"};
  std::string schema_;
  std::string path_;  ///< the database's locator (a file path or a PostgreSQL URL)
  std::optional<store::Db> db_;
};

/// Every row of the directory tables, in a fixed order: two dumps are equal when the directory is
/// exactly the same (row ids included).
inline std::string directoryDump(store::Db& db) {
  static const char* const kQueries[] = {
      "SELECT uai || '|' || ent_id || '|' || name || '|' || coalesce(CAST(feed_id AS TEXT), '') FROM "
      "establishments ORDER BY uai",
      "SELECT id || '|' || ent_id || '|' || ent_person_id || '|' || last_name || '|' || "
      "first_name || '|' || civility || '|' || coalesce(CAST(feed_id AS TEXT), '') FROM people ORDER BY id",
      "SELECT person_id || '|' || uai || '|' || profile FROM person_profiles ORDER BY 1",
      "SELECT person_id || '|' || email FROM person_emails ORDER BY 1",
      "SELECT person_id || '|' || uai || '|' || mef_code FROM person_mefs ORDER BY 1",
      "SELECT person_id || '|' || uai || '|' || role || '|' || subject_code FROM person_subjects "
      "ORDER BY 1",
      "SELECT id || '|' || uai || '|' || code || '|' || kind || '|' || label FROM groups "
      "ORDER BY id",
      "SELECT group_id || '|' || person_id FROM group_members ORDER BY 1",
      "SELECT id || '|' || ent_person_id || '|' || emails FROM assignment_managers ORDER BY id",
      "SELECT manager_id || '|' || uai FROM assignment_manager_establishments ORDER BY 1",
      "SELECT id || '|' || subscription_id || '|' || coalesce(CAST(person_id AS TEXT), '') FROM assignments "
      "ORDER BY id",
      "SELECT id || '|' || status FROM feeds WHERE status = 'imported' ORDER BY id",
  };
  std::string out;
  for (const char* sql : kQueries) {
    auto stmt = db.prepare(sql);
    REQUIRE(stmt.has_value());
    for (;;) {
      auto row = stmt->step();
      REQUIRE(row.has_value());
      if (!*row) break;
      out += stmt->text(0);
      out += '\n';
    }
    out += "--\n";
  }
  return out;
}

/// One number from a constant query.
inline std::int64_t queryInt(store::Db& db, const char* sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.has_value());
  auto row = stmt->step();
  REQUIRE(row.has_value());
  REQUIRE(*row);
  return stmt->int64(0);
}

inline std::vector<connectors::feed::FeedInput> xmlInputs(const std::vector<std::string>& paths) {
  std::vector<connectors::feed::FeedInput> inputs;
  for (const auto& p : paths) {
    connectors::feed::FeedInput in;
    in.type = connectors::feed::FeedInput::Type::kXmlFile;
    in.path = p;
    in.name = p.substr(p.rfind('/') + 1);
    inputs.push_back(std::move(in));
  }
  return inputs;
}

inline connectors::feed::FeedReport importPaths(store::Db& db,
                                                const std::vector<std::string>& paths,
                                                connectors::feed::FeedImportOptions options = {}) {
  auto report = connectors::feed::importFeed(db, xmlInputs(paths), options, kFeedNow);
  INFO((report ? std::string() : report.error().describe()));
  REQUIRE(report.has_value());
  return std::move(report).value();
}

/// Whether some problem of the report has this code and a message containing `text`.
inline bool hasProblem(const connectors::feed::FeedReport& r, const std::string& code,
                       const std::string& text) {
  for (const auto& p : r.problems) {
    if (p.code == code && p.message.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace garde::test
