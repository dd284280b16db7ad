// `garde ent add|list|show` and `garde publisher add|list|show` run as the binary runs them (the
// CLI11 app of broker/commands), on a real database: registration, update keeping what is not
// given, certificates added for rollover and removed, refusals, and a registry already running
// against the database seeing each change at its next look-up.
#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>

#include "broker/commands/commands.h"
#include "cli_test_support.h"
#include "partner_test_support.h"
#include "support/fixtures.h"

using namespace partner_test;
using garde::store::CallerKind;

namespace {

struct Cli {
  garde::test::TempDir dir{"garde-cli"};
  std::string db = dir.file("garde.db");
  std::string out;  ///< what the last run printed

  /// Runs `garde args... --database db`; the exit code (CLI::RuntimeError's, 0 otherwise).
  int run(std::vector<std::string> args) {
    args.push_back("--database");
    args.push_back(db);
    return cli_test::runGarde(std::move(args), &out);
  }

  std::string pem(const char* name, const CertificatePem& c) { return dir.write(name, c.cert); }

  garde::store::Db open() {
    auto d = garde::store::Db::open(db);
    REQUIRE(d.has_value());
    return std::move(d).value();
  }
};

garde::broker::PeerIdentity peer(const CertificatePem& c) {
  garde::broker::PeerIdentity p;
  p.sha256_fingerprint = fingerprint(c);
  return p;
}

}  // namespace

TEST_CASE("garde publisher add registers, updates and rolls certificates over",
          "[broker][commands][callers]") {
  garde::core::setLogLevel(garde::core::LogLevel::kWarn);
  Cli cli;
  const std::string sp =
      cli.dir.write("sp.xml", garde::test::loadFixture("saml/metadata/publisher_sp.xml"));
  const std::string a = cli.pem("a.pem", pki().pub_a);
  const std::string next = cli.pem("next.pem", pki().pub_a_rollover);

  CHECK(cli.run({"publisher", "add", kPubA, "--cert", a}) == 2);  // a new one needs --name
  REQUIRE(cli.run({"publisher", "add", kPubA, "--name", "Éditeur A", "--sp-metadata", sp, "--cert",
                   a}) == 0);
  CHECK_THAT(cli.out, Catch::Contains("created publisher " + std::string(kPubA)));

  // A registry running against the database before the change sees each one.
  auto pool = std::make_unique<garde::broker::flows::DbPool>(cli.db);
  garde::core::SystemClock clock;
  const garde::broker::StoreCallerRegistry registry(*pool, clock);
  REQUIRE(registry.identify(peer(pki().pub_a)).has_value());
  CHECK(registry.identify(peer(pki().pub_a))->id == kPubA);
  CHECK_FALSE(registry.identify(peer(pki().pub_a_rollover)).has_value());

  REQUIRE(cli.run({"publisher", "add", kPubA, "--cert", next}) == 0);
  CHECK(registry.identify(peer(pki().pub_a_rollover))->kind ==
        garde::broker::Caller::Kind::kPublisher);
  REQUIRE(cli.run({"publisher", "add", kPubA, "--remove-cert", fingerprint(pki().pub_a)}) == 0);
  CHECK_FALSE(registry.identify(peer(pki().pub_a)).has_value());
  CHECK(registry.identify(peer(pki().pub_a_rollover)).has_value());

  {
    auto db = cli.open();
    const auto pub = garde::store::findPublisher(db, kPubA);
    REQUIRE(pub.has_value());
    CHECK(pub->name == "Éditeur A");  // kept: the updates gave no --name
    CHECK(pub->sp_entity_id == "https://ressources.editeur.example/shibboleth");
    const auto certs = garde::store::listCallerCertificates(db, CallerKind::kPublisher, kPubA);
    REQUIRE(certs->size() == 1);
    CHECK(certs->front().sha256 == fingerprint(pki().pub_a_rollover));
    CHECK_THAT(certs->front().subject, Catch::Contains("CN=Publisher A"));
  }
  REQUIRE(cli.run({"publisher", "show", kPubA}) == 0);
  CHECK_THAT(cli.out, Catch::Contains(fingerprint(pki().pub_a_rollover)));
  CHECK_THAT(cli.out, Catch::Contains("certificates: 1"));
  REQUIRE(cli.run({"publisher", "list"}) == 0);
  CHECK_THAT(cli.out, Catch::Contains(std::string(kPubA) + "\tÉditeur A"));
}

TEST_CASE("garde ent add registers an ENT project and refuses what it cannot register",
          "[broker][commands][callers]") {
  garde::core::setLogLevel(garde::core::LogLevel::kWarn);
  Cli cli;
  const std::string idp =
      cli.dir.write("idp.xml", garde::test::loadFixture("saml/metadata/ent_idp.xml"));
  const std::string sp =
      cli.dir.write("sp.xml", garde::test::loadFixture("saml/metadata/publisher_sp.xml"));
  const std::string ent = cli.pem("ent.pem", pki().ent);
  REQUIRE(cli.run({"ent", "add", kEnt, "--name", "ENT 1", "--idp-metadata", idp, "--ent-identifier",
                   "attribute:uid", "--cert", ent}) == 0);
  {
    auto db = cli.open();
    const auto e = garde::store::findEnt(db, kEnt);
    REQUIRE(e.has_value());
    CHECK(e->idp_entity_id == "https://ent.example.fr/idp/shibboleth");
    CHECK(e->identifier_source == "attribute");
    CHECK(e->identifier_name == "uid");
    const auto certs = garde::store::listCallerCertificates(db, CallerKind::kEnt, kEnt);
    REQUIRE(certs->size() == 1);
  }
  SECTION("a certificate registered to another partner") {
    REQUIRE(cli.run({"publisher", "add", kPubB, "--name", "B"}) == 0);
    CHECK(cli.run({"publisher", "add", kPubB, "--cert", ent}) == 1);
  }
  SECTION("an expired certificate") {
    CHECK(cli.run({"ent", "add", kEnt, "--cert", cli.pem("old.pem", pki().expired)}) == 1);
  }
  SECTION("a file that holds no certificate, SP metadata given as the IdP's") {
    CHECK(cli.run({"ent", "add", kEnt, "--cert", idp}) == 1);
    CHECK(cli.run({"ent", "add", kEnt, "--idp-metadata", sp}) == 1);
  }
  SECTION("a fingerprint the ENT does not have") {
    CHECK(cli.run({"ent", "add", kEnt, "--remove-cert", fingerprint(pki().pub_a)}) == 1);
  }
  SECTION("a bad identifier source") {
    CHECK(cli.run({"ent", "add", kEnt, "--ent-identifier", "cookie"}) == 2);
  }
  // Nothing of a refused command was written: the transaction is rolled back.
  auto db = cli.open();
  CHECK(garde::store::listCallerCertificates(db, CallerKind::kEnt, kEnt)->size() == 1);
  CHECK(garde::store::listCallerCertificates(db, CallerKind::kPublisher, kPubB)->empty());
  CHECK(garde::store::findEnt(db, kEnt)->identifier_source == "attribute");
}
