// `garde policy explain` run as the binary runs it (the CLI11 app of broker/commands) on a flows
// world's database and secrets: over every person and resource of the demo it says exactly what
// GET /api/v1/admin/explain says; for a profile too; bad arguments are a usage error; each run is
// an admin action in the audit trail, about the person explained.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "admin_test_support.h"
#include "cli_test_support.h"
#include "store/admin_accounts.h"
#include "store/audit.h"
#include "store/demo_data.h"
#include "support/flows_world.h"

namespace {

namespace json = boost::json;

void seedAuditor(store::Db& db) {
  admin_test::addAccount(db, "auditeur", store::AdminRole::kAuditor, "mot de passe");
}

struct World {
  Flows f{{}, 1'000'000, allFlowRoutes(), {}, seedAuditor};
  std::string config_file;

  World() {
    // The deployment's config as an operator has it: the world's database and secret files.
    const config::Config& c = f.config();
    const std::filesystem::path dir = std::filesystem::path(c.store.database).parent_path();
    config_file = dir / "garde.toml";
    std::ofstream(dir / "state.hex") << std::string(64, 'b') << "\n";
    std::ofstream(config_file) << "[server]\nlisten_address = \"127.0.0.1\"\nport = 8080\n"
                               << "plain_http_loopback = true\n\n[broker]\nbase_url = \""
                               << c.broker.base_url << "\"\nsigning_key_file = \"unused.key\"\n"
                               << "signing_cert_file = \"unused.crt\"\n\n[store]\ndatabase = \""
                               << c.store.database << "\"\n\n[pseudonym]\nsecret_file = \""
                               << c.pseudonym.secret_file << "\"\n\n[audit]\n"
                               << "subject_secret_file = \"" << c.audit.subject_secret_file
                               << "\"\n\n[state]\ntoken_key_file = \"" << (dir / "state.hex").string()
                               << "\"\n";
    admin_test::signIn(f, "auditeur", "mot de passe");
  }

  json::value api(const std::vector<std::pair<std::string, std::string>>& params) {
    const Response r = admin_test::getWithQuery(f, "/api/v1/admin/explain", params);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }

  int cli(std::vector<std::string> args, std::string& out, std::string& err) {
    args.insert(args.begin(), {"policy", "explain", "--config", config_file});
    return cli_test::runGarde(std::move(args), &out, &err);
  }
};

}  // namespace

TEST_CASE("garde policy explain says what the explain API says", "[broker][cli][explain]") {
  World w;
  const char* const people[] = {"elv-0001", "elv-0002", "ens-0001", "doc-0001", "nobody"};
  const char* const resources[] = {store::demo::kResourceA, store::demo::kResourceA2,
                                   store::demo::kResourceB};
  int entitled = 0;
  for (const char* person : people) {
    for (const char* resource : resources) {
      INFO(person << " " << resource);
      std::string out;
      std::string err;
      REQUIRE(w.cli({"--resource", resource, "--ent", "ENTTEST1", "--person", person, "--uai",
                     "0561534N", "--json"},
                    out, err) == 0);
      const json::value cli = json::parse(out);
      CHECK(cli == w.api({{"resource", resource},
                          {"ent", "ENTTEST1"},
                          {"person", person},
                          {"uai", "0561534N"}}));
      if (cli.at("entitled").as_bool()) ++entitled;
    }
    std::string out;
    std::string err;
    REQUIRE(w.cli({"--resource", store::demo::kResourceB, "--profile", "National_elv", "--json"},
                  out, err) == 0);
    CHECK(json::parse(out) ==
          w.api({{"resource", store::demo::kResourceB}, {"profile", "National_elv"}}));
  }
  CHECK(entitled >= 4);
}

TEST_CASE("garde policy explain: lines for a reader, usage errors, audited",
          "[broker][cli][explain]") {
  World w;
  std::string out;
  std::string err;
  REQUIRE(w.cli({"--resource", store::demo::kResourceB, "--ent", "ENTTEST1", "--person",
                 store::demo::kPupil, "--uai", "0561534N", "--as", "dpo"},
                out, err) == 0);
  CHECK(out.find("entitled\tyes\n") != std::string::npos);
  CHECK(out.find("released\tIDO\t") != std::string::npos);
  CHECK(out.find("withheld\t") != std::string::npos);
  CHECK(out.find(store::demo::kPupil) == std::string::npos);  // the person is not echoed

  // The run is in the trail, about that person, under the name given.
  bool audited = false;
  for (const auto& row : w.f.auditRows()) {
    if (row.kind == "admin" && row.reason == "explain" && row.actor == "dpo") {
      audited = row.subject == w.f.services().audit_subjects.of("ENTTEST1", store::demo::kPupil) &&
                row.resource_id == store::demo::kResourceB;
    }
  }
  CHECK(audited);

  // Both forms, or neither: a usage error before anything is read.
  CHECK(w.cli({"--resource", store::demo::kResourceB, "--profile", "National_elv", "--person",
               "elv-0001"},
              out, err) == 2);
  CHECK(err.find("either profile") != std::string::npos);
  CHECK(w.cli({"--resource", store::demo::kResourceB}, out, err) == 2);
  CHECK(w.cli({"--resource", store::demo::kResourceB, "--profile", "Nobody"}, out, err) == 2);
  // A resource without contract: a failure naming it.
  CHECK(w.cli({"--resource", "ark:/no/such", "--profile", "National_elv"}, out, err) == 1);
  CHECK_FALSE(err.empty());
}
