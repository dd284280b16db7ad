#include "core/file.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

namespace garde::core {

TEST_CASE("readFile returns a file's bytes as they are", "[core][file]") {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("garde-core-file-test-" + std::to_string(::getpid()) + ".bin"))
                               .string();
  const std::string bytes("line\r\n\0binary\xff", 14);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  const auto read = readFile(path);
  std::filesystem::remove(path);
  REQUIRE(read.has_value());
  CHECK(*read == bytes);
}

TEST_CASE("readFile of a missing file is kNotFound naming it", "[core][file]") {
  const auto read = readFile("/nonexistent/garde/file.pem");
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().code == ErrorCode::kNotFound);
  CHECK(read.error().detail == "cannot open /nonexistent/garde/file.pem");
}

}  // namespace garde::core
