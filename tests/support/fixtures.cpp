#include "support/fixtures.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace garde::test {

std::string dataPath(const std::string& relative) {
  return std::string(GARDE_TEST_DATA) + "/" + relative;
}

std::string loadFixture(const std::string& relative) {
  std::ifstream in(dataPath(relative), std::ios::binary);
  if (!in) {
    throw std::runtime_error("missing fixture: " + relative);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace garde::test
