// `garde assign add|remove|list|manager`: an operator's hand on assignments, with the same rules
// as the establishment API (store/assignments.h: licence counts, ETABL, non-transferable) and the
// same audit trail (kind "admin", actor "operator:<name>"). docs/assignments.md.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "core/time.h"
#include "store/assignments.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/migrations.h"

namespace garde::broker::commands {
namespace {

struct AssignOptions {
  std::string database;
  std::string subscription;
  std::string uai;
  std::string person;
  std::string class_code;
  std::string group;
  bool establishment = false;
  std::int64_t id = 0;
  std::string ent;
  bool remove = false;
  std::string actor;
};

[[noreturn]] void fail(const std::string& what, int code = kExitFailure) {
  std::cerr << "garde assign: " << what << "\n";
  throw CLI::RuntimeError(code);
}

store::Db openDatabase(const std::string& path) {
  store::OpenOptions options;
  options.create = false;
  auto db = store::Db::open(path, options);
  if (!db) {
    fail("cannot open " + storeName(path) + ": " + db.error().describe());
  }
  if (auto migrated = store::migrate(*db); !migrated) {
    fail("cannot migrate " + storeName(path) + ": " + migrated.error().describe());
  }
  return std::move(db).value();
}

std::string actorOf(const AssignOptions& o) {
  return "operator:" + (o.actor.empty() ? std::string("cli") : o.actor);
}

void audit(store::Db& db, const AssignOptions& o, const std::string& action, bool done) {
  store::AuditRecord r;
  r.at = core::systemNow();
  r.kind = "admin";
  r.correlation_id = "cli";
  r.uai = o.uai;
  r.resource_id = o.subscription;
  r.outcome = done ? "done" : "failed";
  r.reason = action;
  r.actor = actorOf(o);
  if (auto w = store::writeAudit(db, r); !w) {
    fail("the change was made but its audit record was not written: " + w.error().describe());
  }
}

void runAdd(const AssignOptions& o) {
  const int targets = (o.person.empty() ? 0 : 1) + (o.class_code.empty() ? 0 : 1) +
                      (o.group.empty() ? 0 : 1) + (o.establishment ? 1 : 0);
  if (targets != 1) {
    fail("name exactly one of --person, --class, --group, --establishment", kExitUsage);
  }
  using policy::AssignmentTargetKind;
  const AssignmentTargetKind kind = !o.person.empty()       ? AssignmentTargetKind::kPerson
                                    : !o.class_code.empty() ? AssignmentTargetKind::kClass
                                    : !o.group.empty()      ? AssignmentTargetKind::kGroup
                                                            : AssignmentTargetKind::kEstablishment;
  const std::string target = !o.person.empty()       ? o.person
                             : !o.class_code.empty() ? o.class_code
                                                     : o.group;
  store::Db db = openDatabase(o.database);
  auto id =
      store::assignLicence(db, o.subscription, o.uai, kind, target, actorOf(o), core::systemNow());
  audit(db, o, "assign " + std::string(policy::assignmentTargetKindCode(kind)), id.has_value());
  if (!id) {
    fail(id.error().describe());
  }
  std::cout << "assignment " << *id << ": " << o.subscription << " in " << o.uai << " to "
            << policy::assignmentTargetKindCode(kind) << (target.empty() ? "" : " " + target)
            << "\n";
}

void runRemove(const AssignOptions& o) {
  store::Db db = openDatabase(o.database);
  auto removed = store::removeAssignment(db, o.id, o.uai);
  audit(db, o, "unassign " + std::to_string(o.id), removed.has_value());
  if (!removed) {
    fail(removed.error().describe());
  }
  std::cout << "assignment " << o.id << " removed\n";
}

void runList(const AssignOptions& o) {
  store::Db db = openDatabase(o.database);
  auto rows = store::listAssignments(db, o.uai, o.subscription);
  if (!rows) {
    fail(rows.error().describe());
  }
  for (const auto& a : *rows) {
    std::cout << a.id << "\t" << a.subscription_id << "\t"
              << policy::assignmentTargetKindCode(a.kind) << "\t" << a.target << "\t"
              << a.assigned_by << "\t" << a.assigned_at << "\n";
  }
}

void runManager(const AssignOptions& o) {
  store::Db db = openDatabase(o.database);
  auto set = store::setAssignmentManager(db, o.ent, o.person, o.uai, !o.remove);
  audit(db, o, std::string(o.remove ? "manager remove " : "manager add ") + o.ent, set.has_value());
  if (!set) {
    fail(set.error().describe());
  }
  std::cout << o.ent << " " << o.person << (o.remove ? " no longer manages " : " manages ") << o.uai
            << "\n";
}

}  // namespace

void addAssign(CLI::App& app) {
  CLI::App& group = subcommandGroup(app, "assign", "Assignments of subscriptions' licences");
  const auto common = [](CLI::App* sub, const std::shared_ptr<AssignOptions>& opt) {
    sub->add_option("--database", opt->database, "SQLite database file")->required();
    sub->add_option("--uai", opt->uai, "the establishment")->required();
    sub->add_option("--actor", opt->actor, "who acts, for the audit trail (default: cli)");
  };

  auto add = std::make_shared<AssignOptions>();
  CLI::App* a = group.add_subcommand("add", "Assign a licence (counts and rules enforced)");
  common(a, add);
  a->add_option("--subscription", add->subscription, "idAbonnement")->required();
  a->add_option("--person", add->person, "the person's identifier at the ENT");
  a->add_option("--class", add->class_code, "a class code of the establishment");
  a->add_option("--group", add->group, "a group code of the establishment");
  a->add_flag("--establishment", add->establishment,
              "the whole establishment, for the subscription's audiences");
  a->callback([add] { runAdd(*add); });

  auto rm = std::make_shared<AssignOptions>();
  CLI::App* r = group.add_subcommand("remove", "Remove an assignment (not a non-transferable one)");
  common(r, rm);
  r->add_option("--id", rm->id, "the assignment's id (garde assign list)")->required();
  r->callback([rm] { runRemove(*rm); });

  auto list = std::make_shared<AssignOptions>();
  CLI::App* l = group.add_subcommand("list", "List an establishment's assignments");
  common(l, list);
  l->add_option("--subscription", list->subscription, "only this subscription's");
  l->callback([list] { runList(*list); });

  auto mgr = std::make_shared<AssignOptions>();
  CLI::App* m = group.add_subcommand(
      "manager", "Make a person an assignment manager of an establishment (or --remove)");
  common(m, mgr);
  m->add_option("--ent", mgr->ent, "idENT of the person's ENT")->required();
  m->add_option("--person", mgr->person, "the person's identifier at the ENT")->required();
  m->add_flag("--remove", mgr->remove, "no longer a manager there");
  m->callback([mgr] { runManager(*mgr); });
}

}  // namespace garde::broker::commands
