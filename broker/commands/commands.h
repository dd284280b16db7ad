#pragma once
/// @file The `garde` subcommands. Each lives in its own broker/commands/<name>.cpp and registers
/// itself on the CLI11 app through one function declared here.
///
/// To add a subcommand (e.g. `garde saml inspect`):
///   1. declare `void addSamlInspect(CLI::App& app);` below;
///   2. define it in broker/commands/saml_inspect.cpp: `auto* sub = subcommandGroup(app, "saml",
///      "SAML messages").add_subcommand("inspect", "...");` then its options and
///      `sub->callback([...] { ... });`
///   3. add one line to registerAll() in broker/commands/commands.cpp.
///
/// Exit codes: a callback that returns normally exits 0. To fail, print the reason to stderr and
/// `throw CLI::RuntimeError(code)` (1 = rejected input / failure, 2 = usage or config error).
/// Any other exception escaping a callback is printed by main() and exits 1;
/// config::ConfigError exits 2. The process owns one saml::LibraryGuard (main) for every command.

#include <string>

namespace CLI {
class App;
}

namespace garde::broker::commands {

/// Exit codes shared by the commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// `garde serve [--config FILE] [--demo [--demo-dir DIR]]` (broker/commands/serve.cpp).
void addServe(CLI::App& app);

/// `garde saml inspect ...` (broker/commands/saml_inspect.cpp).
void addSamlInspect(CLI::App& app);

/// `garde metadata verify FILE [--cert FILE]` (broker/commands/metadata_verify.cpp).
void addMetadataVerify(CLI::App& app);

/// `garde metadata source add|remove`, `garde metadata bind|refresh|status`
/// (broker/commands/metadata_sources.cpp).
void addMetadataSources(CLI::App& app);

/// `garde store seed-demo --database FILE [peer options]` (broker/commands/seed.cpp).
void addStoreSeedDemo(CLI::App& app);
void addStoreMigrateToPostgresql(CLI::App& app);

/// `garde ent add|list|show` and `garde publisher add|list|show` (broker/commands/partners.cpp).
void addPartners(CLI::App& app);

/// `garde assign add|remove|list|manager ...` (broker/commands/assign.cpp).
void addAssign(CLI::App& app);

/// `garde feed import --database FILE [--ent IDENT] PATH...` (broker/commands/feed_import.cpp).
void addFeedImport(CLI::App& app);

/// `garde contract submit FILE|list` (broker/commands/contract.cpp).
void addContract(CLI::App& app);

/// `garde admin create-user|list-users` (broker/commands/admin.cpp).
void addAdmin(CLI::App& app);

/// `garde audit query|export|purge` (broker/commands/audit.cpp).
void addAudit(CLI::App& app);

/// `garde policy explain` (broker/commands/policy.cpp).
void addPolicy(CLI::App& app);

/// `garde keys generate|show|rollover-plan` (broker/commands/keys.cpp).
void addKeys(CLI::App& app);

/// Registers every subcommand on the top-level app, in help order.
void registerAll(CLI::App& app);

/// The subcommand `name` of `app` (e.g. "saml", "metadata"), created on first use with
/// `description` and `require_subcommand(1)`, so several files can add commands under one group.
CLI::App& subcommandGroup(CLI::App& app, const std::string& name, const std::string& description);

}  // namespace garde::broker::commands
