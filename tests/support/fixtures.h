#pragma once
// Test helpers: reading fixtures from tests/data.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace garde::test {

/// Path of a fixture under tests/data.
inline std::string dataPath(const std::string& relative) {
  return std::string(GARDE_TEST_DATA) + "/" + relative;
}

/// Whole content of a fixture under tests/data; throws if missing (a broken test, not a result).
inline std::string loadFixture(const std::string& relative) {
  std::ifstream in(dataPath(relative), std::ios::binary);
  if (!in) {
    throw std::runtime_error("missing fixture: " + relative);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace garde::test
