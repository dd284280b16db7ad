#include "broker/commands/commands.h"

#include <CLI/CLI.hpp>

namespace garde::broker::commands {

void registerAll(CLI::App& app) {
  addServe(app);
  addSamlInspect(app);
  addMetadataVerify(app);
  addMetadataSources(app);
  addStoreSeedDemo(app);
  addStoreMigrateToPostgresql(app);
  addPartners(app);
  addAssign(app);
  addFeedImport(app);
  addAdmin(app);
  addAudit(app);
  addContract(app);
  addPolicy(app);
  addKeys(app);
  // One line per subcommand, e.g. addSamlInspect(app); addMetadataVerify(app);
}

CLI::App& subcommandGroup(CLI::App& app, const std::string& name, const std::string& description) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) {
      return *sub;
    }
  }
  CLI::App* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return *group;
}

}  // namespace garde::broker::commands
