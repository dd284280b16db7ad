// `garde policy explain`: what a resource would release to a person or to a profile, and for each
// attribute left out the rule that left it out, computed by the same function as
// GET /api/v1/admin/explain (broker/api/admin_explain.h) over the deployment's database and
// secrets. Explaining a person is about them: the run is an admin action in the audit trail.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "broker/api/admin_explain.h"
#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/audit_subject.h"
#include "broker/flows/services.h"
#include "config/config.h"
#include "core/encoding.h"
#include "core/random.h"
#include "core/time.h"
#include "store/launch.h"
#include "store/policy_store.h"

namespace garde::broker::commands {
namespace {

struct PolicyOptions {
  std::string config;
  api::ExplainQuery query;
  std::string as = "operator";
  bool json = false;
};

std::string text(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) {
    return {};
  }
  if (v->is_string()) {
    return std::string(v->get_string());
  }
  if (v->is_bool()) {
    return v->get_bool() ? "yes" : "no";
  }
  return boost::json::serialize(*v);
}

/// The explanation for a reader: one line per fact, then released and withheld attributes.
void printReadable(std::ostream& out, const boost::json::object& e) {
  for (const char* key : {"resource", "profile", "contract_status", "profile_in_contract",
                          "entitled", "subscription", "refusal", "detail", "policy_version"}) {
    if (e.contains(key)) {
      out << key << "\t" << text(e, key) << "\n";
    }
  }
  for (const auto& r : e.at("released").as_array()) {
    const auto& a = r.as_object();
    out << "released\t" << text(a, "attribute") << "\t" << text(a, "justification") << "\n";
  }
  for (const auto& w : e.at("withheld").as_array()) {
    const auto& a = w.as_object();
    out << "withheld\t" << text(a, "attribute") << "\t" << text(a, "rule") << "\n";
  }
}

void explainCommand(const PolicyOptions& o) {
  const char* command = "policy explain";
  if (auto checked = o.query.check(); !checked) {
    fail(command, checked.error().detail, kExitUsage);
  }
  const config::Config cfg = config::loadConfig(o.config);
  const policy::Pseudonymizer pseudonyms(flows::pseudonymSettings(cfg));
  const flows::AuditSubjects subjects(config::readAuditSubjectSecret(cfg.audit));
  store::Db db = openDatabase(command, cfg.store.database, /*create=*/false);
  core::SystemClock clock;
  store::ResourceCache resources;
  store::PolicyCache policies;
  auto explained = api::explain(db, o.query, {clock, resources, policies, pseudonyms});
  if (!explained) {
    const bool usage = explained.error().code == core::ErrorCode::kBadRequest;
    fail(command, explained.error().detail, usage ? kExitUsage : kExitFailure);
  }
  // In the trail before the answer is shown, as the API does.
  flows::AuditSink sink(cfg.log.audit_file, cfg.store.database);
  store::AuditRecord r;
  r.at = clock.now();
  r.kind = "admin";
  r.correlation_id = "cli-" + core::base64UrlEncode(core::systemRandom().bytes(9));
  r.resource_id = o.query.resource;
  r.outcome = "done";
  r.reason = "explain";
  r.actor = o.as;
  r.subject = o.query.byPerson() ? subjects.of(o.query.ent, o.query.person) : std::string();
  if (auto w = sink.write(r); !w || !sink.flushTable()) {
    fail(command, "the audit record cannot be written; nothing is shown");
  }
  if (o.json) {
    std::cout << boost::json::serialize(*explained) << "\n";
  } else {
    printReadable(std::cout, *explained);
  }
}

}  // namespace

void addPolicy(CLI::App& app) {
  auto o = std::make_shared<PolicyOptions>();
  CLI::App& group = subcommandGroup(app, "policy", "The release policy: explain");
  CLI::App* e = group.add_subcommand(
      "explain", "What a resource would release to a profile or a person, and why not the rest");
  e->add_option("--config", o->config, "garde.toml (its database and secrets)")->required();
  e->add_option("--resource", o->query.resource, "resource identifier")->required();
  e->add_option("--profile", o->query.profile, "a National_* profile (or --ent/--person/--uai)");
  e->add_option("--ent", o->query.ent, "the person's ENT project (idENT)");
  e->add_option("--person", o->query.person, "the person's identifier at that ENT");
  e->add_option("--uai", o->query.uai, "the establishment the person launches from");
  e->add_option("--as", o->as, "who asks, for the audit trail (default: operator)");
  e->add_flag("--json", o->json, "the API's JSON instead of lines");
  e->callback([o] { explainCommand(*o); });
}

}  // namespace garde::broker::commands
