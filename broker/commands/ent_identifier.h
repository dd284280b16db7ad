#pragma once
/// @file `--ent-identifier` of `garde store seed-demo` and `garde ent add`: where an ENT's
/// assertion carries the person's identifier.

#include <string>
#include <utility>

#include "core/result.h"

namespace garde::broker::commands {

/// "name-id" (persistent NameID), "name-id:FORMAT-URI" or "attribute:NAME", into the ENT
/// registration's spelling (identifier_source, identifier_name). kBadRequest naming the option's
/// expected forms otherwise.
core::Result<std::pair<std::string, std::string>> parseEntIdentifier(const std::string& option);

}  // namespace garde::broker::commands
