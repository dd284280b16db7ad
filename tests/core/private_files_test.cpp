#include "core/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/file_modes.h"

namespace garde::core {
namespace {

namespace fs = std::filesystem;
using test::modeOf;
using test::Umask;
using Dir = test::ScratchDir;

void makeFile(const fs::path& path, mode_t mode) { test::writeWithMode(path, "x", mode); }

}  // namespace

TEST_CASE("Owner-only files and directories get their mode whatever the umask",
          "[core][private_files]") {
  const mode_t mask = GENERATE(mode_t{022}, mode_t{0}, mode_t{0277});
  Umask umask(mask);
  Dir dir;

  REQUIRE(createOwnerOnlyDirectories(dir / "a/b/c").has_value());
  CHECK(modeOf(dir / "a") == 0700);
  CHECK(modeOf(dir / "a/b/c") == 0700);

  REQUIRE(createOwnerOnlyFile(dir / "a/db").has_value());
  CHECK(modeOf(dir / "a/db") == 0600);

  auto fd = openOwnerOnly(dir / "a/audit", O_WRONLY | O_APPEND);
  REQUIRE(fd.has_value());
  ::close(*fd);
  CHECK(modeOf(dir / "a/audit") == 0600);

  REQUIRE(writeOwnerOnlyFile(dir / "a/key", "secret").has_value());
  CHECK(modeOf(dir / "a/key") == 0600);
  std::ifstream in(dir / "a/key");
  std::string content;
  std::getline(in, content);
  CHECK(content == "secret");
}

TEST_CASE("Writing a secret over an existing file makes it owner-only", "[core][private_files]") {
  Umask umask(022);
  Dir dir;
  makeFile(dir / "key", 0644);
  REQUIRE(writeOwnerOnlyFile(dir / "key", "new").has_value());
  CHECK(modeOf(dir / "key") == 0600);
}

TEST_CASE("A file or directory that group or others may use is refused, named",
          "[core][private_files]") {
  Dir dir;
  const auto [mode, name] = GENERATE(table<mode_t, std::string>(
      {{0644, "readable-by-all"}, {0640, "readable-by-group"}, {0602, "writable-by-others"}}));
  const fs::path file = dir / name;
  makeFile(file, mode);

  const auto checked = checkOwnerOnly(file);
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().code == ErrorCode::kConfigInvalid);
  CHECK_THAT(checked.error().detail, Catch::Contains(file.string()));
  CHECK_THAT(checked.error().detail, Catch::Contains("chmod 600"));

  const auto opened = openOwnerOnly(file, O_WRONLY | O_APPEND);
  REQUIRE_FALSE(opened.has_value());
  CHECK_THAT(opened.error().detail, Catch::Contains(file.string()));
  CHECK_FALSE(createOwnerOnlyFile(file).has_value());
  CHECK(modeOf(file) == mode);  // refused, not repaired behind the operator's back

  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  CHECK(checkOwnerOnly(file).has_value());

  const fs::path sub = dir / "sub";
  REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
  REQUIRE(::chmod(sub.c_str(), 0755) == 0);
  const auto dir_checked = checkOwnerOnly(sub);
  REQUIRE_FALSE(dir_checked.has_value());
  CHECK_THAT(dir_checked.error().detail, Catch::Contains("chmod 700 " + sub.string()));
}

TEST_CASE("An absent file passes the check, and so do devices", "[core][private_files]") {
  Dir dir;
  CHECK(checkOwnerOnly(dir / "absent").has_value());
  CHECK(checkOwnerOnly("/dev/null").has_value());  // an audit file may be a device or a pipe
  auto fd = openOwnerOnly("/dev/null", O_WRONLY | O_APPEND);
  REQUIRE(fd.has_value());
  ::close(*fd);
}

}  // namespace garde::core
