#pragma once
// Runs `garde <args>` as main() does, through the CLI11 app of broker/commands, for the tests of
// the operator commands; what it printed is captured when asked for.

#include <CLI/CLI.hpp>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "broker/commands/commands.h"

namespace cli_test {

/// The exit code (CLI::RuntimeError's, or a parse error's, 0 otherwise); stdout and stderr go to
/// `out` and `err` when given.
inline int runGarde(std::vector<std::string> args, std::string* out = nullptr,
                    std::string* err = nullptr) {
  CLI::App app("garde");
  app.require_subcommand(1);
  garde::broker::commands::registerAll(app);
  args.insert(args.begin(), "garde");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream captured_out;
  std::ostringstream captured_err;
  // Put std::cout and std::cerr back whatever happens: an exception out of a command (main()
  // prints those) must not leave them writing into these streams once they are gone.
  struct Restore {
    std::streambuf* out;
    std::streambuf* err;
    ~Restore() {
      if (out != nullptr) std::cout.rdbuf(out);
      if (err != nullptr) std::cerr.rdbuf(err);
    }
  } restore{out != nullptr ? std::cout.rdbuf(captured_out.rdbuf()) : nullptr,
            err != nullptr ? std::cerr.rdbuf(captured_err.rdbuf()) : nullptr};
  int rc = garde::broker::commands::kExitOk;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    rc = e.get_exit_code();
  }
  if (out != nullptr) {
    *out = captured_out.str();
  }
  if (err != nullptr) {
    *err = captured_err.str();
  }
  return rc;
}

}  // namespace cli_test
