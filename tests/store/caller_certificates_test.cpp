// Migration 6: the caller certificates, their constraints, and the cache that follows the registry
// generation so that a change by another connection is seen without a restart.
#include "store/caller_certificates.h"

#include <catch2/catch.hpp>

#include "store/directory.h"
#include "store/launch.h"
#include "store/publishers.h"
#include "temp_db.h"

using namespace garde;
using core::ErrorCode;
using store::CallerCertificate;
using store::CallerKind;

namespace {

constexpr const char* kPub = "123456789_0000000000000001";
const std::string kFp1(64, 'a');
const std::string kFp2(64, 'b');

class Callers : public test::MigratedDb {
 protected:
  Callers() {
    REQUIRE(store::upsertEnt(db_, {"ENTTEST1", "ENT", std::nullopt, std::nullopt}, 0).has_value());
    REQUIRE(store::upsertPublisher(db_, {kPub, "Éditeur", std::nullopt, std::nullopt, std::nullopt})
                .has_value());
  }
  static CallerCertificate cert(CallerKind kind, std::string id, std::string fp,
                                core::UnixTime not_after = 2'000'000'000) {
    return CallerCertificate{kind, std::move(id), std::move(fp), "CN=x", not_after, 1'700'000'000};
  }
};

}  // namespace

TEST_CASE_METHOD(Callers, "Caller certificates are stored several per caller and listed",
                 "[store][callers]") {
  REQUIRE(store::addCallerCertificate(db_, cert(CallerKind::kPublisher, kPub, kFp1, 1'900'000'000))
              .has_value());
  REQUIRE(store::addCallerCertificate(db_, cert(CallerKind::kPublisher, kPub, kFp2)).has_value());
  const auto list = store::listCallerCertificates(db_, CallerKind::kPublisher, kPub);
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].sha256 == kFp1);
  CHECK((*list)[0].not_after == 1'900'000'000);
  CHECK((*list)[0].added_at == 1'700'000'000);
  CHECK((*list)[1].sha256 == kFp2);
  CHECK(store::listCallerCertificates(db_, CallerKind::kEnt, kPub)->empty());
  const auto found = store::findCallerCertificate(db_, kFp2);
  REQUIRE(found.has_value());
  CHECK(found->kind == CallerKind::kPublisher);
  CHECK(found->caller_id == kPub);
}

TEST_CASE_METHOD(Callers, "A caller certificate is refused when it breaks a constraint",
                 "[store][callers]") {
  REQUIRE(store::addCallerCertificate(db_, cert(CallerKind::kEnt, "ENTTEST1", kFp1)).has_value());
  SECTION("the fingerprint is registered already, even to another caller") {
    CHECK(store::addCallerCertificate(db_, cert(CallerKind::kPublisher, kPub, kFp1)).error().code ==
          ErrorCode::kConflict);
  }
  SECTION("the caller does not exist (the kind says which table)") {
    CHECK(store::addCallerCertificate(db_, cert(CallerKind::kEnt, kPub, kFp2)).error().code ==
          ErrorCode::kConflict);
    CHECK(store::addCallerCertificate(db_, cert(CallerKind::kPublisher, "ENTTEST1", kFp2))
              .error()
              .code == ErrorCode::kConflict);
  }
  SECTION("the fingerprint is not 64 lower-case hex digits") {
    CHECK(store::addCallerCertificate(db_, cert(CallerKind::kEnt, "ENTTEST1", std::string(64, 'A')))
              .error()
              .code == ErrorCode::kConflict);
    CHECK(store::addCallerCertificate(db_, cert(CallerKind::kEnt, "ENTTEST1", std::string(63, 'a')))
              .error()
              .code == ErrorCode::kConflict);
  }
}

TEST_CASE_METHOD(Callers, "Removing a certificate names the caller it belongs to",
                 "[store][callers]") {
  REQUIRE(store::addCallerCertificate(db_, cert(CallerKind::kEnt, "ENTTEST1", kFp1)).has_value());
  CHECK(store::removeCallerCertificate(db_, CallerKind::kPublisher, kPub, kFp1).error().code ==
        ErrorCode::kNotFound);
  CHECK(store::findCallerCertificate(db_, kFp1).has_value());
  CHECK(store::removeCallerCertificate(db_, CallerKind::kEnt, "ENTTEST1", kFp1).has_value());
  CHECK(store::findCallerCertificate(db_, kFp1).error().code == ErrorCode::kNotFound);
}

TEST_CASE_METHOD(Callers, "A caller's certificates go when the caller goes", "[store][callers]") {
  REQUIRE(store::addCallerCertificate(db_, cert(CallerKind::kEnt, "ENTTEST1", kFp1)).has_value());
  REQUIRE(db_.execScript("DELETE FROM ents WHERE id = 'ENTTEST1'").has_value());
  CHECK(store::findCallerCertificate(db_, kFp1).error().code == ErrorCode::kNotFound);
}

TEST_CASE_METHOD(Callers,
                 "The certificate cache sees another connection's change through the generation",
                 "[store][callers]") {
  store::CallerCertificateCache cache;
  CHECK_FALSE(cache.find(db_, kFp1).value().has_value());
  const auto before = store::registryGeneration(db_).value();

  store::Db other = test::openDb(path_);
  REQUIRE(store::addCallerCertificate(other, cert(CallerKind::kPublisher, kPub, kFp1)).has_value());
  CHECK(store::registryGeneration(db_).value() > before);
  const auto found = cache.find(db_, kFp1);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->caller_id == kPub);

  REQUIRE(store::removeCallerCertificate(other, CallerKind::kPublisher, kPub, kFp1).has_value());
  CHECK_FALSE(cache.find(db_, kFp1).value().has_value());
}
