#include "broker/commands/ent_identifier.h"

#include "connectors/ent/ent_side.h"
#include "saml/messages.h"

namespace garde::broker::commands {

core::Result<std::pair<std::string, std::string>> parseEntIdentifier(const std::string& option) {
  std::pair<std::string, std::string> out{"name_id",
                                          std::string(saml::name_id_format::kPersistent)};
  if (option == "name-id") {
    return out;
  }
  if (option.rfind("name-id:", 0) == 0) {
    out.second = option.substr(8);
  } else if (option.rfind("attribute:", 0) == 0) {
    out = {"attribute", option.substr(10)};
  } else {
    return core::fail(core::ErrorCode::kBadRequest,
                      "expected name-id, name-id:FORMAT-URI or attribute:NAME, not " + option);
  }
  GARDE_TRY(connectors::ent::identifierSourceFromStore(out.first, out.second));
  return out;
}

}  // namespace garde::broker::commands
