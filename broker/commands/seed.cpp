// `garde store seed-demo --database FILE [peer options]`: create or open a SQLite database, migrate
// it to the latest schema and load the demo data with the given peers, as `garde serve --demo`
// does (broker/demo/demo_data.h: the demo's feed files imported, the subscriptions created through
// the subscription service with the demo publishers' client certificates), so that a test or a
// demo can run the broker against its own ENT IdP and publisher SPs.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "broker/commands/ent_identifier.h"
#include "broker/demo/demo_data.h"
#include "connectors/ent/ent_side.h"
#include "core/file.h"
#include "saml/keys.h"
#include "store/db.h"
#include "store/demo_data.h"
#include "store/migrations.h"

namespace garde::broker::commands {
namespace {

struct SeedOptions {
  std::string database;
  std::string ent_idp_entity_id;
  std::string ent_idp_metadata;
  std::string ent_identifier = "name-id";
  std::string ent_sign_requests = "metadata";
  std::string publisher_a_entity_id;
  std::string publisher_a_metadata;
  std::string publisher_a_base_url;
  std::string publisher_b_entity_id;
  std::string publisher_b_metadata;
  std::string publisher_b_base_url;
  std::string callers_dir;
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "garde store seed-demo: " << what << "\n";
  throw CLI::RuntimeError(kExitFailure);
}

/// Copies `value` into `field` when given.
void setIfGiven(std::string& field, const std::string& value) {
  if (!value.empty()) {
    field = value;
  }
}

/// Reads a metadata file into `field` when a path is given.
void readIfGiven(std::optional<std::string>& field, const std::string& path, const char* option) {
  if (path.empty()) {
    return;
  }
  auto text = core::readFile(path);
  if (!text) {
    fail(std::string(option) + " " + path + ": " + text.error().describe());
  }
  field = std::move(text).value();
}

/// A base URL is kept without its trailing '/', since the resource and login URLs are appended.
std::string trimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

/// `--ent-identifier`, or the usage failure naming it.
std::pair<std::string, std::string> entIdentifier(const std::string& option) {
  auto parsed = parseEntIdentifier(option);
  if (!parsed) {
    fail("--ent-identifier: " + parsed.error().detail);
  }
  return std::move(parsed).value();
}

void runSeed(const SeedOptions& opt) {
  store::DemoPeers peers;
  std::tie(peers.ent_identifier_source, peers.ent_identifier_name) =
      entIdentifier(opt.ent_identifier);
  peers.ent_sign_authn_requests = opt.ent_sign_requests;
  setIfGiven(peers.ent_idp_entity_id, opt.ent_idp_entity_id);
  readIfGiven(peers.ent_idp_metadata_xml, opt.ent_idp_metadata, "--ent-idp-metadata");
  setIfGiven(peers.publisher_a_sp_entity_id, opt.publisher_a_entity_id);
  readIfGiven(peers.publisher_a_sp_metadata_xml, opt.publisher_a_metadata,
              "--publisher-a-metadata");
  setIfGiven(peers.publisher_a_base_url, trimSlash(opt.publisher_a_base_url));
  setIfGiven(peers.publisher_b_sp_entity_id, opt.publisher_b_entity_id);
  readIfGiven(peers.publisher_b_sp_metadata_xml, opt.publisher_b_metadata,
              "--publisher-b-metadata");
  setIfGiven(peers.publisher_b_base_url, trimSlash(opt.publisher_b_base_url));

  {
    auto db = store::Db::open(opt.database);
    if (!db) {
      fail("cannot open " + storeName(opt.database) + ": " + db.error().describe());
    }
    if (auto migrated = store::migrate(*db); !migrated) {
      fail("cannot migrate " + storeName(opt.database) + ": " + migrated.error().describe());
    }
  }  // closed: the load opens its own connections
  const std::filesystem::path callers_dir =
      !opt.callers_dir.empty() ? std::filesystem::path(opt.callers_dir)
      : store::engineOf(opt.database) == store::Engine::kPostgresql
          ? std::filesystem::current_path() / "demo-callers"
          : std::filesystem::absolute(opt.database).parent_path() / "demo-callers";
  demo::DemoCallers callers;
  try {
    callers = demo::loadOrCreateDemoCallers(callers_dir);
  } catch (const std::exception& e) {
    fail(std::string("--callers-dir: ") + e.what());
  }
  const core::SystemClock clock;
  auto loaded = demo::loadDemoData(opt.database, peers, callers, clock);
  if (!loaded) {
    fail("cannot load the demo data into " + storeName(opt.database) + ": " + loaded.error().describe());
  }
  std::cout << "seeded " << storeName(opt.database) << ": ENT " << store::demo::kEnt << " ("
            << peers.ent_idp_entity_id << "), establishment " << store::demo::kUai
            << ", publishers A (" << peers.publisher_a_sp_entity_id << ") and B ("
            << peers.publisher_b_sp_entity_id << "); directory from the demo feed (feed "
            << loaded->feed.feed_id.value_or(0) << ", " << loaded->feed.records << " records), "
            << loaded->subscriptions.size() << " subscriptions through the service; client "
            << "certificates in " << callers_dir.string() << "\n";
}

}  // namespace

void addStoreSeedDemo(CLI::App& app) {
  auto opt = std::make_shared<SeedOptions>();
  CLI::App* sub = subcommandGroup(app, "store", "The store (SQLite or PostgreSQL)")
                      .add_subcommand("seed-demo",
                                      "Create or migrate a database and load the demo data (one "
                                      "ENT, one establishment, two publishers) with these peers");
  sub->add_option("--database", opt->database,
                  "SQLite database file (created if absent) or PostgreSQL URL (postgresql://...)")
      ->required();
  sub->add_option("--ent-idp-entity-id", opt->ent_idp_entity_id, "entityID of the demo ENT's IdP");
  sub->add_option("--ent-idp-metadata", opt->ent_idp_metadata, "the ENT IdP's metadata file");
  sub->add_option("--ent-identifier", opt->ent_identifier,
                  "where the ENT's assertion carries the person's identifier: name-id (persistent "
                  "NameID, the default), name-id:FORMAT-URI, or attribute:NAME (Name or "
                  "FriendlyName, e.g. attribute:uid)");
  sub->add_option("--ent-sign-requests", opt->ent_sign_requests,
                  "sign AuthnRequests to the ENT: metadata (when its metadata says "
                  "WantAuthnRequestsSigned, the default) or always")
      ->check(CLI::IsMember({"metadata", "always"}));
  sub->add_option("--publisher-a-entity-id", opt->publisher_a_entity_id,
                  "entityID of publisher A's SP (bounce launch)");
  sub->add_option("--publisher-a-metadata", opt->publisher_a_metadata,
                  "publisher A's SP metadata file");
  sub->add_option(
      "--publisher-a-base-url", opt->publisher_a_base_url,
      "publisher A's base URL (login URL = base + /login, resource = base + /resource)");
  sub->add_option("--publisher-b-entity-id", opt->publisher_b_entity_id,
                  "entityID of publisher B's SP (direct launch)");
  sub->add_option("--publisher-b-metadata", opt->publisher_b_metadata,
                  "publisher B's SP metadata file");
  sub->add_option("--publisher-b-base-url", opt->publisher_b_base_url,
                  "publisher B's base URL (resource = base + /resource)");
  sub->add_option("--callers-dir", opt->callers_dir,
                  "where the demo partners' client certificates are kept (generated if absent; "
                  "default: demo-callers/ beside an SQLite database, in the current directory "
                  "for PostgreSQL)");
  sub->callback([opt] { runSeed(*opt); });
}

}  // namespace garde::broker::commands
