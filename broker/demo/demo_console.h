#pragma once
/// @file What `garde serve --demo` adds for the web console (docs/console.md, docs/demo.md): local
/// accounts for two ministry admins and an auditor, four weeks of launch history so that the
/// usage charts mean something, and a revision of publisher A's contract waiting for review.
/// The assignment managers come from the demo feed's RespAff file. Not used by `garde store
/// seed-demo`: the end-to-end tests start from the plain demo data.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "store/demo_data.h"

namespace garde::broker::demo {

struct DemoAccount {
  std::string username;
  std::string role;  ///< ministry_admin or auditor
  std::string password;
};

struct DemoConsoleReport {
  std::vector<DemoAccount> accounts;
  std::int64_t history_records = 0;          ///< launch records written now (0 once there)
  std::optional<std::int64_t> pending_contract;  ///< the revision waiting, when one was made now
};

/// Idempotent. The accounts' passwords are made once, at random, and kept in
/// `dir`/console-accounts.txt (0600), so that a restarted demo signs in with the same ones.
core::Result<DemoConsoleReport> loadDemoConsole(const std::string& database,
                                                const std::filesystem::path& dir,
                                                const store::DemoPeers& peers,
                                                const core::Clock& clock);

}  // namespace garde::broker::demo
