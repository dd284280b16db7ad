// Migration 15: metadata sources, peer bindings and last good copies, and the registry generation
// they move (only when what the registries read changes).
#include "store/metadata_sources.h"

#include <catch2/catch.hpp>

#include "store/launch.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
using store::CallerKind;

namespace {

class Sources : public test::MigratedDb {
 protected:
  std::int64_t generation() { return store::registryGeneration(db_).value(); }
  static store::MetadataSource source(std::string name) {
    store::MetadataSource s;
    s.name = std::move(name);
    s.kind = store::MetadataSourceKind::kAggregate;
    s.url = "https://federation.test/metadata.xml";
    s.signer_pem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";
    s.added_at = 1'800'000'000;
    return s;
  }
  static store::MetadataCopy copy(std::string xml) {
    store::MetadataCopy c;
    c.source = "fed";
    c.xml = std::move(xml);
    c.etag = "\"1\"";
    c.fetched_at = 1'800'000'100;
    c.valid_until = 1'800'600'000;
    c.cache_seconds = 3600;
    c.entity_count = 2;
    return c;
  }
};

}  // namespace

TEST_CASE_METHOD(Sources, "Sources are named, listed and removed only when unbound",
                 "[store][metadata]") {
  REQUIRE(store::addMetadataSource(db_, source("fed")).has_value());
  CHECK(store::addMetadataSource(db_, source("fed")).error().code == ErrorCode::kConflict);
  CHECK(store::addMetadataSource(db_, source("Bad Name")).error().code == ErrorCode::kBadRequest);
  CHECK(store::addMetadataSource(db_, source("-x")).error().code == ErrorCode::kBadRequest);
  auto all = store::listMetadataSources(db_);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 1);
  CHECK(all->front().kind == store::MetadataSourceKind::kAggregate);
  CHECK(all->front().added_at == 1'800'000'000);

  CHECK(store::bindPeerMetadata(db_, CallerKind::kEnt, "ENTTEST1", "nope").error().code ==
        ErrorCode::kNotFound);
  const std::int64_t before = generation();
  REQUIRE(store::bindPeerMetadata(db_, CallerKind::kEnt, "ENTTEST1", "fed").has_value());
  CHECK(generation() > before);
  CHECK(store::peerMetadataSource(db_, CallerKind::kEnt, "ENTTEST1").value() == "fed");
  CHECK_FALSE(store::peerMetadataSource(db_, CallerKind::kPublisher, "ENTTEST1").value());
  CHECK(store::removeMetadataSource(db_, "fed").error().code == ErrorCode::kConflict);
  REQUIRE(store::bindPeerMetadata(db_, CallerKind::kEnt, "ENTTEST1", "").has_value());
  CHECK_FALSE(store::peerMetadataSource(db_, CallerKind::kEnt, "ENTTEST1").value());
  REQUIRE(store::removeMetadataSource(db_, "fed").has_value());
  CHECK(store::removeMetadataSource(db_, "fed").error().code == ErrorCode::kNotFound);
}

TEST_CASE_METHOD(Sources, "A copy moves the registry generation only when its content changes",
                 "[store][metadata]") {
  REQUIRE(store::addMetadataSource(db_, source("fed")).has_value());
  // A failure before any success: a row without a document, and no reload.
  std::int64_t g = generation();
  REQUIRE(store::recordMetadataFailure(db_, "fed", "", 1'800'000'050, "unavailable: x").has_value());
  CHECK(generation() == g);
  auto c = store::findMetadataCopy(db_, "fed", "");
  REQUIRE(c.value().has_value());
  CHECK_FALSE((*c)->xml.has_value());
  CHECK_FALSE((*c)->held);
  CHECK((*c)->failures == 1);

  REQUIRE(store::recordMetadataFetched(db_, copy("<a/>")).has_value());
  CHECK(generation() > g);
  c = store::findMetadataCopy(db_, "fed", "");
  REQUIRE(c.value().has_value());
  CHECK((*c)->xml == "<a/>");
  CHECK((*c)->failures == 0);
  CHECK((*c)->last_error.empty());
  CHECK((*c)->checked_at == 1'800'000'100);
  CHECK((*c)->valid_until == 1'800'600'000);
  CHECK((*c)->cache_seconds == 3600);
  CHECK((*c)->sha256.size() == 64);

  g = generation();
  REQUIRE(store::recordMetadataFetched(db_, copy("<a/>")).has_value());  // same bytes
  REQUIRE(store::recordMetadataUnchanged(db_, "fed", "", 1'800'000'200).has_value());
  REQUIRE(store::recordMetadataFailure(db_, "fed", "", 1'800'000'300, "HTTP status 500").has_value());
  REQUIRE(store::recordMetadataFailure(db_, "fed", "", 1'800'000'400, "HTTP status 500").has_value());
  CHECK(generation() == g);
  c = store::findMetadataCopy(db_, "fed", "");
  CHECK((*c)->xml == "<a/>");  // the last good copy stands
  CHECK((*c)->held);
  CHECK((*c)->failures == 2);
  // Its state without its document: what the due checks and the status read.
  auto state = store::findMetadataCopy(db_, "fed", "", false);
  REQUIRE(state.value().has_value());
  CHECK_FALSE((*state)->xml.has_value());
  CHECK((*state)->held);
  CHECK((*state)->sha256 == (*c)->sha256);
  CHECK((*state)->failures == 2);
  auto listed = store::listMetadataCopies(db_, "fed", false);
  REQUIRE(listed.value().size() == 1);
  CHECK(listed->front().held);
  CHECK_FALSE(listed->front().xml.has_value());
  CHECK((*c)->checked_at == 1'800'000'200);
  CHECK((*c)->attempted_at == 1'800'000'400);

  REQUIRE(store::recordMetadataFetched(db_, copy("<b/>")).has_value());
  CHECK(generation() > g);
  CHECK(store::recordMetadataUnchanged(db_, "fed", "other", 1).error().code ==
        ErrorCode::kNotFound);
  REQUIRE(store::listMetadataCopies(db_).value().size() == 1);
}

TEST_CASE("Migration 17 moves a copy's document last and keeps every copy and its triggers",
          "[store][metadata][migrations]") {
  test::TempDir dir;
  const auto path = dir.file("v16.db");
  {
    auto db = test::openDb(path);
    REQUIRE(store::migrate(db, 16).has_value());
    REQUIRE(db.execScript(
                  "INSERT INTO metadata_sources(name, kind, url, signer_pem, max_validity_seconds, "
                  "refresh_seconds, added_at) VALUES ('fed', 'aggregate', 'https://f.test/m.xml', "
                  "'pem', 864000, 3600, '2027-01-15T08:00:00Z');"
                  "INSERT INTO metadata_copies(source, entity_key, xml, sha256, etag, fetched_at, "
                  "checked_at, entity_count, failures, last_error) VALUES ('fed', '', '<a/>', "
                  "'d1', '\"e1\"', '2027-01-15T08:01:00Z', '2027-01-15T08:02:00Z', 7, 1, 'x');"
                  "INSERT INTO metadata_copies(source, entity_key, failures, last_error) "
                  "VALUES ('fed', 'https://only.failed/', 2, 'HTTP status 500');")
                .has_value());
  }
  auto db = test::openDb(path);
  REQUIRE(store::migrate(db).has_value());
  auto held = store::findMetadataCopy(db, "fed", "");
  REQUIRE(held.value().has_value());
  CHECK((*held)->xml == "<a/>");
  CHECK((*held)->held);
  CHECK((*held)->sha256 == "d1");
  CHECK((*held)->etag == "\"e1\"");
  CHECK((*held)->entity_count == 7);
  CHECK((*held)->failures == 1);
  CHECK((*held)->checked_at == core::parseIso8601("2027-01-15T08:02:00Z"));
  auto failed = store::findMetadataCopy(db, "fed", "https://only.failed/", false);
  REQUIRE(failed.value().has_value());
  CHECK_FALSE((*failed)->held);
  CHECK((*failed)->failures == 2);
  // The rebuilt table's triggers: new content moves the registry generation, the same does not.
  const std::int64_t g = store::registryGeneration(db).value();
  store::MetadataCopy fresh;
  fresh.source = "fed";
  fresh.xml = "<b/>";
  fresh.fetched_at = core::parseIso8601("2027-01-15T09:00:00Z");
  REQUIRE(store::recordMetadataFetched(db, fresh).has_value());
  CHECK(store::registryGeneration(db).value() > g);
  const std::int64_t g2 = store::registryGeneration(db).value();
  REQUIRE(store::recordMetadataFetched(db, fresh).has_value());
  CHECK(store::registryGeneration(db).value() == g2);
  // The document is the last column: what the due checks read no longer sits behind it.
  auto last = db.prepare("SELECT name FROM pragma_table_info('metadata_copies') ORDER BY cid DESC");
  REQUIRE(last.has_value());
  REQUIRE(last->step().value());
  CHECK(last->text(0) == "xml");
}
