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
