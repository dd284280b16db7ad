#pragma once
// The one temporary directory of the tests and benchmarks: made fresh under
// std::filesystem::temp_directory_path() ($TMPDIR, else /tmp), removed with all it holds when the
// object goes.

#include <filesystem>
#include <string>
#include <string_view>

namespace garde::test {

class TempDir {
 public:
  /// Makes `<tmp>/<prefix>-XXXXXX` (mkdtemp); throws std::runtime_error if it cannot.
  explicit TempDir(std::string_view prefix = "garde-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// The path of `name` inside the directory (nothing is created).
  std::string file(std::string_view name) const;
  /// Writes `content` to `name` inside the directory (binary, truncating); returns its path.
  /// Throws std::runtime_error if it cannot.
  std::string write(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace garde::test
