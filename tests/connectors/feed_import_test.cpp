// The import of a directory snapshot (connectors/feed/import.h, store/feed_import.h): what a
// valid snapshot writes, what re-importing and the next day's snapshot change, and that every
// refusal leaves the directory exactly as it was.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "feed_test_support.h"
#include "store/directory.h"

namespace garde::test {
namespace {

using connectors::feed::FeedImportOptions;
using connectors::feed::FeedReport;

std::vector<std::string> writeSample(FeedDb& f, const FeedSnapshot& s, const std::string& name,
                                     std::size_t per_file = 10000) {
  return writeFeedFiles(s, f.feedDir(name), per_file);
}

std::int64_t personRowId(store::Db& db, const char* ent_person_id) {
  auto stmt = db.prepare("SELECT id FROM people WHERE ent_id = 'ENTTEST1' AND ent_person_id = ?1");
  REQUIRE(stmt.has_value());
  stmt->bind(1, ent_person_id);
  auto row = stmt->step();
  REQUIRE(row.has_value());
  return *row ? stmt->int64(0) : 0;
}

/// A subscription of a demo resource in 0750001A, with a licence assigned to elv-2 and one to 3A.
void assignLicences(store::Db& db) {
  REQUIRE(db.execScript(R"SQL(
INSERT INTO publishers(id, name) VALUES ('123456789_0000000000000001', 'Éditions Test');
INSERT INTO resources(id, publisher_id, name, url, category, launch_mode)
  VALUES ('ark:/99999/r1', '123456789_0000000000000001', 'R1', 'https://r1.example', 'manuel',
          'bounce');
INSERT INTO subscriptions(id, publisher_id, resource_id, valid_from, valid_until, category,
  assignment_type, created_at, updated_at)
  VALUES ('sub-1', '123456789_0000000000000001', 'ark:/99999/r1', '2026-01-01', '2027-08-31',
          'transferable', 'INDIV', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO assignments(subscription_id, uai, target_kind, person_id, assigned_by, assigned_at)
  SELECT 'sub-1', '0750001A', 'person', id, 'ens-1', '2026-01-02T00:00:00Z' FROM people
  WHERE ent_person_id = 'elv-2';
INSERT INTO assignments(subscription_id, uai, target_kind, group_id, assigned_by, assigned_at)
  SELECT 'sub-1', '0750001A', 'class', id, 'ens-1', '2026-01-02T00:00:00Z' FROM groups
  WHERE uai = '0750001A' AND code = '3A';
)SQL")
              .has_value());
}

TEST_CASE("A valid second-degree snapshot is imported with every kind of record",
          "[connectors][feed]") {
  FeedDb f;
  const auto paths = writeSample(f, sampleSnapshot(), "day1");
  REQUIRE(paths.size() == 5);
  const FeedReport r = importPaths(f.db(), paths);
  INFO(connectors::feed::reportText(r));
  REQUIRE(r.imported);
  CHECK(r.ent_id == "ENTTEST1");  // from the file names
  CHECK(r.problems.empty());
  CHECK(r.counts.establishments.added == 2);
  CHECK(r.counts.people.added == 6);
  CHECK(r.counts.profiles.added == 7);
  CHECK(r.counts.emails.added == 1);
  CHECK(r.counts.mefs.added == 4);
  CHECK(r.counts.subjects.added == 8 + 2);  // pupils' subjects, then the teacher's two
  CHECK(r.counts.groups.added == 4);
  CHECK(r.counts.memberships.added == 6);
  CHECK(r.counts.managers.added == 1);
  CHECK(r.counts.manager_establishments.added == 1);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM people WHERE ent_id = 'ENTTEST1'") == 6);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM groups WHERE kind = 'class'") == 3);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM groups WHERE kind = 'group'") == 1);
  CHECK(queryInt(f.db(),
                 "SELECT count(*) FROM people WHERE last_name = 'N''Diaye' AND "
                 "first_name = 'Aïssata' AND civility = ''") == 1);
  CHECK(queryInt(f.db(),
                 "SELECT count(*) FROM people WHERE ent_person_id = 'ens-1' AND "
                 "civility = 'M.'") == 1);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM person_subjects WHERE role = 'teacher'") == 2);
  // The launch's view of a pupil comes from what the feed wrote.
  auto facts = store::findPersonFacts(f.db(), "ENTTEST1", "elv-1", "0750001A");
  REQUIRE(facts.has_value());
  // The feeds row holds the report.
  REQUIRE(r.feed_id.has_value());
  auto row = store::findFeed(f.db(), "ENTTEST1", *r.feed_id);
  REQUIRE(row.has_value());
  CHECK(row->status == "imported");
  CHECK(row->report.find("\"status\":\"imported\"") != std::string::npos);
  CHECK(row->report.find("\"people\":{\"added\":6,\"changed\":0,\"removed\":0}") !=
        std::string::npos);
  // Only the ENT's own feeds are readable.
  CHECK(store::findFeed(f.db(), "ENTOTHER", *r.feed_id).error().code == core::ErrorCode::kNotFound);
}

TEST_CASE("A primary (1D) snapshot is validated against GAR-ENT-1D and imported",
          "[connectors][feed]") {
  FeedDb f;
  FeedSnapshot s = sampleSnapshot();
  s.primary = true;
  for (auto& p : s.people) {
    for (auto& m : p.mefs) m.second = "2111";  // MEFSTAT4
  }
  const FeedReport r = importPaths(f.db(), writeSample(f, s, "1d"));
  INFO(connectors::feed::reportText(r));
  REQUIRE(r.imported);
  CHECK(r.files[0].degree == "1D");
  CHECK(r.counts.people.added == 6);
  CHECK(r.counts.mefs.added == 4);
  CHECK(r.counts.subjects.added == 0);  // the primary schema has no subjects
  CHECK(queryInt(f.db(), "SELECT count(*) FROM person_mefs WHERE mef_code = '2111'") == 4);
}

TEST_CASE("Re-importing the same snapshot changes nothing", "[connectors][feed]") {
  FeedDb f;
  const auto paths = writeSample(f, sampleSnapshot(), "day1", 3);  // split every 3 elements
  REQUIRE(importPaths(f.db(), paths).imported);
  const std::string before = directoryDump(f.db());
  const FeedReport again = importPaths(f.db(), paths);
  REQUIRE(again.imported);
  CHECK(again.counts.total() == 0);
  CHECK(connectors::feed::reportJson(again).find("\"changed\":0") != std::string::npos);
  // The same rows, untouched (their feed_id still names the first import).
  std::string after = directoryDump(f.db());
  const auto cut = [](std::string d) { return d.substr(0, d.rfind("--\n", d.size() - 4)); };
  CHECK(cut(after) == cut(before));
}

TEST_CASE("A subject taught in two classes is one directory row, counted once",
          "[connectors][feed]") {
  FeedDb f;
  FeedSnapshot s = sampleSnapshot();
  s.people[4].taught.push_back({"0750001A", "3B", "030201"});  // taught in a second class
  const auto paths = writeSample(f, s, "twice");
  const FeedReport r = importPaths(f.db(), paths);
  INFO(connectors::feed::reportText(r));
  REQUIRE(r.imported);
  CHECK(r.counts.subjects.added == 8 + 2);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM person_subjects") == 10);
  const FeedReport again = importPaths(f.db(), paths);
  REQUIRE(again.imported);
  CHECK(again.counts.total() == 0);
}

TEST_CASE("The staging database is gone once an import ends, imported or refused",
          "[connectors][feed]") {
  FeedDb f;
  // SQLite: the attached staging database; PostgreSQL: the session's temporary tables.
  const char* kStaged = f.db().engine() == store::Engine::kPostgresql
                            ? "SELECT count(*) FROM pg_class WHERE relnamespace = "
                              "pg_my_temp_schema()"
                            : "SELECT count(*) FROM pragma_database_list WHERE name = 'stage'";
  REQUIRE(importPaths(f.db(), writeSample(f, sampleSnapshot(), "day1")).imported);
  CHECK(queryInt(f.db(), kStaged) == 0);
  FeedSnapshot unknown = sampleSnapshot();
  unknown.people[0].profiles.emplace_back("0999999Z", "National_elv");
  CHECK_FALSE(importPaths(f.db(), writeSample(f, unknown, "unknown")).imported);
  CHECK(queryInt(f.db(), kStaged) == 0);
  // The same connection stages the next snapshot afresh.
  const FeedReport again = importPaths(f.db(), writeSample(f, sampleSnapshot(), "again"));
  REQUIRE(again.imported);
  CHECK(again.counts.total() == 0);
}

TEST_CASE("The next snapshot: leavers lose their row and assignments, renamed people keep theirs",
          "[connectors][feed]") {
  FeedDb f;
  REQUIRE(importPaths(f.db(), writeSample(f, sampleSnapshot(), "day1")).imported);
  assignLicences(f.db());
  REQUIRE(queryInt(f.db(), "SELECT count(*) FROM assignments") == 2);
  const std::int64_t lea = personRowId(f.db(), "elv-1");
  REQUIRE(lea != 0);

  FeedSnapshot next = sampleSnapshot();
  next.people[0].last_name = "Dupré-Martin";     // elv-1 renamed
  next.people.erase(next.people.begin() + 1);    // elv-2 left
  next.people[0].groups = {{"0750001A", "3A"}};  // elv-1 leaves LATIN
  const FeedReport r = importPaths(f.db(), writeSample(f, next, "day2"));
  INFO(connectors::feed::reportText(r));
  REQUIRE(r.imported);
  CHECK(r.counts.people.removed == 1);
  CHECK(r.counts.people.changed == 1);
  CHECK(r.counts.people.added == 0);
  CHECK(r.counts.memberships.removed == 1);  // elv-1 leaves LATIN (elv-2's went with their row)
  CHECK(personRowId(f.db(), "elv-1") == lea);
  CHECK(personRowId(f.db(), "elv-2") == 0);
  CHECK(queryInt(f.db(),
                 "SELECT count(*) FROM people WHERE ent_person_id = 'elv-1' AND "
                 "last_name = 'Dupré-Martin'") == 1);
  // The assignment to the leaver ended with them; the class's stays.
  CHECK(queryInt(f.db(), "SELECT count(*) FROM assignments WHERE target_kind = 'person'") == 0);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM assignments WHERE target_kind = 'class'") == 1);
}

TEST_CASE("A snapshot without any person is refused and does not wipe the ENT",
          "[connectors][feed]") {
  FeedDb f;
  REQUIRE(importPaths(f.db(), writeSample(f, sampleSnapshot(), "day1")).imported);
  const std::string before = directoryDump(f.db());
  FeedSnapshot empty = sampleSnapshot();
  empty.people.clear();
  empty.managers.clear();
  const FeedReport r = importPaths(f.db(), writeSample(f, empty, "empty"));
  CHECK_FALSE(r.imported);
  CHECK(r.reason.find("lists no person") != std::string::npos);
  CHECK(directoryDump(f.db()) == before);
  // The refusal is kept, with its report, for the ENT to read.
  REQUIRE(r.feed_id.has_value());
  auto row = store::findFeed(f.db(), "ENTTEST1", *r.feed_id);
  REQUIRE(row.has_value());
  CHECK(row->status == "failed");
  CHECK(row->report.find("lists no person") != std::string::npos);
}

TEST_CASE("A reference to an unknown establishment refuses the snapshot, with file and line",
          "[connectors][feed]") {
  FeedDb f;
  FeedSnapshot s = sampleSnapshot();
  s.people[3].profiles = {{"0999999Z", "National_elv"}};
  const FeedReport r = importPaths(f.db(), writeSample(f, s, "unknown"));
  CHECK_FALSE(r.imported);
  REQUIRE(hasProblem(r, "not_found", "unknown establishment"));
  bool located = false;
  for (const auto& p : r.problems) {
    if (p.message.find("0999999Z") != std::string::npos && p.at.line > 0 &&
        r.files[p.at.file].kind == "Eleve") {
      located = true;
    }
  }
  CHECK(located);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM people") == 0);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM establishments") == 0);
}

TEST_CASE("An establishment registered for the ENT may be referenced without an Etab file",
          "[connectors][feed]") {
  FeedDb f;
  store::Establishment e;
  e.uai = "0750001A";
  e.ent_id = "ENTTEST1";
  e.name = "Collège Émile-Zola";
  REQUIRE(store::upsertEstablishment(f.db(), e).has_value());
  e.uai = "0750002B";
  REQUIRE(store::upsertEstablishment(f.db(), e).has_value());
  FeedSnapshot s = sampleSnapshot();
  s.etabs.clear();
  const FeedReport r = importPaths(f.db(), writeSample(f, s, "noetab"));
  INFO(connectors::feed::reportText(r));
  CHECK(r.imported);

  SECTION("but not one registered for another ENT") {
    FeedDb g;
    e.ent_id = "ENTOTHER";
    REQUIRE(store::upsertEstablishment(g.db(), e).has_value());  // 0750002B is ENTOTHER's
    const FeedReport other = importPaths(g.db(), writeSample(g, sampleSnapshot(), "other"));
    CHECK_FALSE(other.imported);
    CHECK(hasProblem(other, "conflict", "belongs to another ENT: 0750002B"));
  }
}

TEST_CASE("A duplicate key across files refuses the snapshot", "[connectors][feed]") {
  FeedDb f;
  FeedSnapshot s = sampleSnapshot();
  const auto paths = writeSample(f, s, "dup", 2);  // pupils over several Eleve files
  FeedSnapshot copy = s;
  copy.date = "20260902";
  copy.etabs.clear();
  copy.groups.clear();
  copy.managers.clear();
  copy.people.resize(1);  // elv-1 again, in another file
  copy.people[0].mefs.clear();
  copy.people[0].subjects.clear();
  copy.people[0].groups.clear();
  auto more = writeSample(f, copy, "dup2");
  auto all = paths;
  all.insert(all.end(), more.begin(), more.end());
  const FeedReport r = importPaths(f.db(), all);
  CHECK_FALSE(r.imported);
  CHECK(hasProblem(r, "conflict", "duplicate key: person 'elv-1'"));
  CHECK(queryInt(f.db(), "SELECT count(*) FROM people") == 0);
}

TEST_CASE("Files of another ENT than the one asked for are refused", "[connectors][feed]") {
  FeedDb f;
  FeedImportOptions options;
  options.ent_id = "ENTOTHER";
  const FeedReport r = importPaths(f.db(), writeSample(f, sampleSnapshot(), "x"), options);
  CHECK_FALSE(r.imported);
  CHECK(r.reason.find("names ENT ENTTEST1, not ENTOTHER") != std::string::npos);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM people") == 0);
}

TEST_CASE("A store failure in the middle of the merge (a full disk) leaves the directory as before",
          "[connectors][feed]") {
  FeedDb f;
  REQUIRE(importPaths(f.db(), writeSample(f, sampleSnapshot(), "day1")).imported);
  const std::string before = directoryDump(f.db());
  // A big next snapshot on a database that may not grow: SQLITE_FULL during the merge.
  FeedSnapshot big = sampleSnapshot();
  for (int i = 0; i < 3000; ++i) {
    FeedTestPerson p = big.people[0];
    p.id = "new-" + std::to_string(i);
    big.people.push_back(p);
  }
  const auto paths = writeSample(f, big, "big");
  if (f.db().engine() == store::Engine::kPostgresql) {
    // No page limit to set: a trigger fails the merge's inserts of profiles as a full disk would.
    REQUIRE(f.db().execScript(
        "CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE "
        "EXCEPTION 'could not extend file: No space left on device'; END $$; CREATE TRIGGER "
        "full_disk BEFORE INSERT ON person_profiles FOR EACH ROW EXECUTE FUNCTION full_disk()"));
  } else {
    const auto pages = queryInt(f.db(), "PRAGMA page_count");
    auto stmt = f.db().prepare("PRAGMA max_page_count = " + std::to_string(pages + 2));
    REQUIRE(stmt.has_value());
    REQUIRE(stmt->step().has_value());
  }
  auto report = connectors::feed::importFeed(f.db(), xmlInputs(paths), {}, kFeedNow);
  REQUIRE_FALSE(report.has_value());
  CHECK(report.error().code == core::ErrorCode::kStoreError);
  CHECK(directoryDump(f.db()) == before);
}

TEST_CASE("An import killed in the middle leaves the database unchanged and usable",
          "[connectors][feed][kill]") {
  FeedDb f;
  REQUIRE(importPaths(f.db(), writeSample(f, sampleSnapshot(), "day1")).imported);
  assignLicences(f.db());
  const std::string before = directoryDump(f.db());
  FeedSnapshot next = sampleSnapshot();
  next.people.erase(next.people.begin() + 1);
  next.people[0].last_name = "Renommée";
  const auto paths = writeSample(f, next, "day2");

  for (const std::int64_t kill_at : {std::int64_t{3}, std::int64_t{12}, std::int64_t{30}}) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // The child imports on its own connection and is killed after `kill_at` merge steps have
      // written to the directory: no destructor, no rollback, no commit runs.
      auto db = store::Db::open(f.path());
      if (!db) _exit(3);
      FeedImportOptions options;
      options.progress = [kill_at](std::string_view phase, std::int64_t done, std::int64_t) {
        if (phase == "merge" && done == kill_at) {
          raise(SIGKILL);
        }
      };
      (void)connectors::feed::importFeed(*db, xmlInputs(paths), options, kFeedNow);
      _exit(4);  // not reached when the kill happened
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    // A new connection recovers from the journal: the directory is exactly as before.
    auto db = store::Db::open(f.path());
    REQUIRE(db.has_value());
    CHECK(directoryDump(*db) == before);
    CHECK(queryInt(*db, "SELECT count(*) FROM feeds WHERE status = 'importing'") == 0);
  }
  // And usable: the same snapshot imports now.
  const FeedReport r = importPaths(f.db(), paths);
  REQUIRE(r.imported);
  CHECK(r.counts.people.removed == 1);
  CHECK(queryInt(f.db(), "SELECT count(*) FROM assignments WHERE target_kind = 'person'") == 0);
}

}  // namespace
}  // namespace garde::test
