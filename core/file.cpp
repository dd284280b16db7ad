#include "core/file.h"

#include <fstream>
#include <sstream>

namespace garde::core {

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kNotFound, "cannot open " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return fail(ErrorCode::kNotFound, "cannot read " + path);
  }
  return ss.str();
}

}  // namespace garde::core
