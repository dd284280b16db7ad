#pragma once
/// @file Reading a whole file: for start-up (keys, certificates, metadata an operator placed on
/// disk) and the operator commands, never on a request path. The pure modules take the bytes.

#include <string>

#include "core/result.h"

namespace garde::core {

/// The bytes of the file at `path`, as they are. kNotFound if it cannot be opened or read.
Result<std::string> readFile(const std::string& path);

}  // namespace garde::core
