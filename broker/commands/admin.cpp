// `garde admin create-user|list-users`: the local accounts of the ministry's admins and auditors
// (store/admin_accounts.h, docs/admin-accounts.md). The first account can only be made here.
#include <CLI/CLI.hpp>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "broker/commands/cli_support.h"
#include "broker/commands/commands.h"
#include "core/password.h"
#include "core/random.h"
#include "core/time.h"
#include "core/totp.h"
#include "store/admin_accounts.h"
#include "store/db.h"
#include "store/migrations.h"

namespace garde::broker::commands {
namespace {

struct AdminOptions {
  std::string database;
  std::string username;
  std::string role = "ministry-admin";
  bool totp = false;
};

/// One line of stdin; on a terminal, asked for without echo.
std::string readSecretLine(const std::string& prompt) {
  const bool tty = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  return line;
}

void createUser(const AdminOptions& o) {
  const char* command = "admin create-user";
  const auto role = store::parseAdminRole(o.role == "ministry-admin" ? "ministry_admin" : o.role);
  if (!role) {
    fail(command, "--role: ministry-admin or auditor", kExitUsage);
  }
  if (!store::validAdminUsername(o.username)) {
    fail(command, "a username is 1 to 64 lower-case letters, digits or . _ - @", kExitUsage);
  }
  const std::string password = readSecretLine("Password for " + o.username + ": ");
  if (isatty(STDIN_FILENO) != 0 && readSecretLine("Again: ") != password) {
    fail(command, "the two passwords differ");
  }
  if (password.size() < 12) {
    fail(command, "the password must have at least 12 characters");
  }
  auto hash = core::hashPassword(password, core::systemRandom());
  if (!hash) {
    fail(command, hash.error().describe());
  }
  store::AdminAccount account;
  account.username = o.username;
  account.role = *role;
  account.password_hash = std::move(hash).value();
  account.created_at = core::systemNow();
  if (o.totp) {
    account.totp_secret = core::systemRandom().bytes(20);
  }
  store::Db db = openDatabase(command, o.database);
  if (auto created = store::createAdminAccount(db, account); !created) {
    fail(command, created.error().detail);
  }
  std::cout << "created " << store::adminRoleCode(account.role) << " " << account.username << "\n";
  if (o.totp) {
    // Shown once: the operator hands it to the account's owner for their authenticator app.
    std::cout << "one-time codes: " << core::totpUri(account.username, account.totp_secret)
              << "\n";
  }
}

void listUsers(const AdminOptions& o) {
  store::Db db = openDatabase("admin list-users", o.database);
  auto all = store::listAdminAccounts(db);
  if (!all) {
    fail("admin list-users", all.error().describe());
  }
  for (const auto& a : *all) {
    std::cout << a.username << "\t" << store::adminRoleCode(a.role) << "\t"
              << (a.totp_secret.empty() ? "password" : "password+totp") << "\t"
              << core::formatIso8601(a.created_at) << (a.disabled ? "\tdisabled" : "") << "\n";
  }
}

}  // namespace

void addAdmin(CLI::App& app) {
  auto options = std::make_shared<AdminOptions>();
  CLI::App& group = subcommandGroup(app, "admin", "Local accounts of ministry admins and auditors");
  CLI::App* create = group.add_subcommand(
      "create-user", "Create a local account; the password is read from stdin (twice on a terminal)");
  create->add_option("username", options->username, "Lower-case username (e.g. an e-mail address)")
      ->required();
  create->add_option("--database", options->database, "SQLite database file")->required();
  create->add_option("--role", options->role, "ministry-admin (default) or auditor");
  create->add_flag("--totp", options->totp,
                   "Require a one-time code (prints the otpauth:// URI to enrol once)");
  create->callback([options] { createUser(*options); });
  CLI::App* list = group.add_subcommand("list-users", "List the local accounts (no secret shown)");
  list->add_option("--database", options->database, "SQLite database file")->required();
  list->callback([options] { listUsers(*options); });
}

}  // namespace garde::broker::commands
