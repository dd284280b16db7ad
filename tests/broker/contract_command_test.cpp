// `garde contract submit|list` run as the binary runs them (the CLI11 app of broker/commands), on a
// real database with the demo partners: a good document stored as a revision waiting for review,
// a bad one refused with every problem and nothing stored, the revisions listed.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "cli_test_support.h"
#include "store/contract_submissions.h"
#include "store/db.h"
#include "store/demo_data.h"
#include "store/migrations.h"
#include "support/credentials.h"
#include "support/flows_world.h"
#include "support/temp_dir.h"

namespace {

namespace json = boost::json;
using namespace garde;

struct Cli {
  test::TempDir dir{"garde-contract-cli"};
  std::string db = dir.file("garde.db");
  std::string out;
  std::string err;

  Cli() {
    auto d = store::Db::open(db);
    REQUIRE(d.has_value());
    REQUIRE(store::migrate(*d).has_value());
    REQUIRE(store::loadDemoPartners(*d).has_value());
  }

  int run(std::vector<std::string> args) {
    args.push_back("--database");
    args.push_back(db);
    return cli_test::runGarde(std::move(args), &out, &err);
  }

  std::size_t stored() {
    auto d = store::Db::open(db);
    REQUIRE(d.has_value());
    auto all = store::listSubmissions(*d);
    REQUIRE(all.has_value());
    return all->size();
  }
};

std::string metadata(const char* acs) {
  return test::spMetadataXml("https://edition-b.example/sp", acs, &test::testSpCredential());
}

std::string contract(const char* acs, const char* justification) {
  json::object resource{
      {"id", store::demo::kResourceB},
      {"title", "Outil B"},
      {"category", "outil"},
      {"url", "https://edition-b.example/resource"},
      {"needs", json::object{{"National_elv", json::array{json::object{
                                                  {"attribute", "IDO"},
                                                  {"justification", justification}}}}}}};
  return json::serialize(json::object{
      {"publisher", json::object{{"id", store::demo::kPublisherB}, {"name", "Outils B"}}},
      {"sp_metadata", metadata(acs)},
      {"resources", json::array{std::move(resource)}}});
}

}  // namespace

TEST_CASE("garde contract submit stores a checked revision and lists it", "[broker][contracts][cli]") {
  Cli cli;
  const std::string file = cli.dir.write("contract.json", contract("https://edition-b.example/acs",
                                                                   "user account"));
  REQUIRE(cli.run({"contract", "submit", file, "--as", "ops@ministere"}) == 0);
  CHECK(cli.out.find("revision 1") != std::string::npos);
  CHECK(cli.stored() == 1);
  REQUIRE(cli.run({"contract", "list", "--status", "submitted"}) == 0);
  CHECK(cli.out.find(store::demo::kPublisherB) != std::string::npos);
  CHECK(cli.out.find("ops@ministere") != std::string::npos);
  REQUIRE(cli.run({"contract", "list", "--status", "approved"}) == 0);
  CHECK(cli.out.empty());
  CHECK(cli.run({"contract", "list", "--status", "maybe"}) == 2);
}

TEST_CASE("garde contract submit refuses a bad document with every problem, storing nothing",
          "[broker][contracts][cli]") {
  Cli cli;
  const std::string file =
      cli.dir.write("contract.json", contract("http://edition-b.example/acs", " "));
  CHECK(cli.run({"contract", "submit", file}) == 1);
  CHECK(cli.err.find("need_without_justification") != std::string::npos);
  CHECK(cli.stored() == 0);
  // The document reads; the metadata's ACS over http is then named.
  const std::string md = cli.dir.write("contract2.json", contract("http://edition-b.example/acs",
                                                                  "user account"));
  CHECK(cli.run({"contract", "submit", md}) == 1);
  CHECK(cli.err.find("acs_not_https") != std::string::npos);
  CHECK(cli.stored() == 0);
  CHECK(cli.run({"contract", "submit", cli.dir.file("missing.json")}) == 1);
  CHECK(cli.stored() == 0);
}

TEST_CASE("garde contract submit with metadata signers refuses unsigned metadata",
          "[broker][contracts][cli]") {
  Cli cli;
  const std::string file = cli.dir.write("contract.json", contract("https://edition-b.example/acs",
                                                                   "user account"));
  const std::string signers =
      cli.dir.write("signers.pem", test::testIdpCredential().cert.pem());
  CHECK(cli.run({"contract", "submit", file, "--metadata-signers", signers}) == 1);
  CHECK(cli.err.find("metadata_unsigned") != std::string::npos);
  CHECK(cli.stored() == 0);
  // A bundle without a certificate is a usage error, said as such.
  const std::string junk = cli.dir.write("junk.pem", "not a certificate\n");
  CHECK(cli.run({"contract", "submit", file, "--metadata-signers", junk}) == 2);
  CHECK(cli.err.find("--metadata-signers") != std::string::npos);
  // A file far above any contract is refused before it is parsed.
  const std::string big = cli.dir.write("big.json", std::string(2 * 1024 * 1024, ' '));
  CHECK(cli.run({"contract", "submit", big}) == 1);
  CHECK(cli.err.find("larger than") != std::string::npos);
  CHECK(cli.stored() == 0);
}
