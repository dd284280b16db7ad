#pragma once
// Test helpers for file modes: a umask set for one test, a scratch directory, a file's mode.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace garde::test {

/// Sets the process umask for one test and puts the previous one back.
class Umask {
 public:
  explicit Umask(mode_t mask) : previous_(::umask(mask)) {}
  ~Umask() { ::umask(previous_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t previous_;
};

/// support/temp_dir.h's TempDir (mkdtemp: mode 0700, removed at the end) with `dir / "name"`.
class ScratchDir : public TempDir {
 public:
  ScratchDir() : TempDir("garde-modes") {}
  std::filesystem::path operator/(const std::string& name) const { return path() / name; }
};

/// The permission bits of `path` (0600...).
inline unsigned modeOf(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

/// Writes `content` to `path`, then sets its mode to exactly `mode`.
inline void writeWithMode(const std::filesystem::path& path, const std::string& content,
                          mode_t mode) {
  std::ofstream(path) << content;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

}  // namespace garde::test
