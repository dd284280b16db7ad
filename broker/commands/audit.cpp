// `garde audit query|export|purge`: the audit trail for operators, with the same searches and
// export as the admin API (docs/audit.md).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "broker/flows/audit_subject.h"
#include "config/config.h"
#include "core/time.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/migrations.h"

namespace garde::broker::commands {
namespace {

struct AuditOptions {
  std::string database;
  std::string config;
  std::string ent;
  std::string person;
  std::string publisher, resource, attribute, uai, profile, outcome, reason, kind, from, until;
  int limit = 1000;
  bool csv = false;
  std::int64_t older_than_days = 0;
};

core::UnixTime date(const std::string& command, const char* option, const std::string& text) {
  const auto t = core::parseIso8601(text.size() == 10 ? text + "T00:00:00Z" : text);
  if (!t) {
    fail(command, std::string(option) + ": an ISO 8601 date or instant", kExitUsage);
  }
  return *t;
}

void print(const std::vector<store::AuditRecord>& rows, bool csv) {
  if (csv) {
    std::cout << store::auditCsvHeader();
  }
  for (const auto& r : rows) {
    std::cout << (csv ? store::auditCsvLine(r) : store::auditJsonLine(r) + "\n");
  }
}

void query(const AuditOptions& o) {
  store::AuditQuery q;
  const auto set = [](std::optional<std::string>& field, const std::string& value) {
    if (!value.empty()) {
      field = value;
    }
  };
  set(q.kind, o.kind);
  set(q.publisher_id, o.publisher);
  set(q.resource_id, o.resource);
  set(q.attribute, o.attribute);
  set(q.uai, o.uai);
  set(q.profile, o.profile);
  set(q.outcome, o.outcome);
  set(q.reason, o.reason);
  if (!o.from.empty()) {
    q.from = date("audit query", "--from", o.from);
  }
  if (!o.until.empty()) {
    q.until = date("audit query", "--until", o.until);
  }
  q.limit = o.limit;
  store::Db db = openDatabase("audit query", o.database, false);
  auto rows = store::queryAudit(db, q);
  if (!rows) {
    fail("audit query", rows.error().detail, kExitUsage);
  }
  print(*rows, o.csv);
}

void exportSubject(const AuditOptions& o) {
  const config::Config cfg = config::loadConfig(o.config);
  const flows::AuditSubjects subjects(config::readAuditSubjectSecret(cfg.audit));
  store::Db db = openDatabase("audit export", cfg.store.database, false);
  auto rows = store::auditOfSubject(db, subjects.of(o.ent, o.person));
  if (!rows) {
    fail("audit export", rows.error().describe());
  }
  print(*rows, o.csv);
  std::cerr << rows->size() << " record(s) about this person\n";
}

void purge(const AuditOptions& o) {
  store::Db db = openDatabase("audit purge", o.database, false);
  const core::UnixTime before = core::systemNow() - o.older_than_days * 86400;
  auto purged = store::purgeAuditBefore(db, before);
  if (!purged) {
    fail("audit purge", purged.error().describe());
  }
  std::cout << "deleted " << *purged << " row(s) before " << core::formatIso8601(before) << "\n";
}

}  // namespace

void addAudit(CLI::App& app) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App& group = subcommandGroup(app, "audit", "The audit trail: search, subject export, purge");

  CLI::App* q = group.add_subcommand("query", "Search the audit trail (JSON lines, or --csv)");
  q->add_option("--database", o->database, "SQLite database file")->required();
  q->add_option("--kind", o->kind, "launch or admin");
  q->add_option("--publisher", o->publisher, "publisher (SIREN_ISNI)");
  q->add_option("--resource", o->resource, "resource identifier");
  q->add_option("--attribute", o->attribute, "rows that released this attribute code");
  q->add_option("--uai", o->uai, "establishment");
  q->add_option("--profile", o->profile, "National_* profile");
  q->add_option("--outcome", o->outcome, "released, refused, done or failed");
  q->add_option("--reason", o->reason, "refusal code or admin action");
  q->add_option("--from", o->from, "at or after (ISO 8601)");
  q->add_option("--until", o->until, "before (ISO 8601)");
  q->add_option("--limit", o->limit, "at most this many rows (1 to 1000)");
  q->add_flag("--csv", o->csv, "CSV instead of JSON lines");
  q->callback([o] { query(*o); });

  CLI::App* e = group.add_subcommand(
      "export", "What was released about one person (subject access), found by their digest");
  e->add_option("--config", o->config, "garde.toml (its database and [audit] secret)")->required();
  e->add_option("--ent", o->ent, "the person's ENT project (idENT)")->required();
  e->add_option("--person", o->person, "the person's identifier at that ENT")->required();
  e->add_flag("--csv", o->csv, "CSV instead of JSON lines");
  e->callback([o] { exportSubject(*o); });

  CLI::App* p = group.add_subcommand("purge", "Delete the rows older than N days");
  p->add_option("--database", o->database, "SQLite database file")->required();
  p->add_option("--older-than-days", o->older_than_days, "N (1 to 3650)")
      ->required()
      ->check(CLI::Range(1, 3650));
  p->callback([o] { purge(*o); });
}

}  // namespace garde::broker::commands
