// garde: the broker binary and its operator commands. Subcommands register themselves in
// broker/commands/commands.cpp; this file only owns the process-wide library guard and exit codes.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "broker/commands/commands.h"
#include "config/config.h"
#include "saml/xml.h"

int main(int argc, char** argv) {
  namespace commands = garde::broker::commands;
  CLI::App app{"garde: a SAML identity proxy between school portals (ENTs) and resource publishers",
               "garde"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "garde 0.1.0");
  commands::registerAll(app);
  try {
    garde::saml::LibraryGuard guard;  // libxml2, xmlsec, OpenSSL: alive for every command
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
  } catch (const garde::config::ConfigError& e) {
    std::cerr << "garde: config error: " << e.what() << "\n";
    return commands::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "garde: " << e.what() << "\n";
    return commands::kExitFailure;
  }
  return commands::kExitOk;
}
