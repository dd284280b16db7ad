#pragma once
// Reading fixtures from tests/data (the committed files of docs/testing.md).

#include <string>

namespace garde::test {

/// Path of a fixture under tests/data.
std::string dataPath(const std::string& relative);

/// Whole content of a fixture under tests/data; throws std::runtime_error if it is missing (a
/// broken test, not a result).
std::string loadFixture(const std::string& relative);

}  // namespace garde::test
