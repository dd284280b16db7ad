#pragma once
// Test helpers for file modes: a umask set for one test, a scratch directory, a file's mode.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

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

/// A fresh directory (mkdtemp: mode 0700), removed with everything in it at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "garde-modes-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
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
