// The start-up check of the files a config names that hold secrets or personal data.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace {

namespace fs = std::filesystem;
using garde::config::Config;
using garde::config::ConfigError;

struct Deployment {
  fs::path dir;
  Config config;
  Deployment() {
    std::string pattern = (fs::temp_directory_path() / "garde-config-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    config = garde::config::demoConfig(dir);
    config.log.audit_file = (dir / "audit.jsonl").string();
    for (const auto& [key, path] : garde::config::ownerOnlyFiles(config)) {
      std::ofstream(path) << "secret";
      REQUIRE(::chmod(path.c_str(), 0600) == 0);
    }
  }
  ~Deployment() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;
};

}  // namespace

TEST_CASE("The files holding secrets or personal data are named with their keys", "[config]") {
  const Deployment d;
  std::vector<std::string> keys;
  for (const auto& [key, path] : garde::config::ownerOnlyFiles(d.config)) {
    keys.push_back(key);
  }
  CHECK(keys == std::vector<std::string>{"server.tls_key_file", "broker.signing_key_file",
                                         "state.token_key_file", "pseudonym.secret_file",
                                         "audit.subject_secret_file", "log.audit_file"});
  Config empty;
  CHECK(garde::config::ownerOnlyFiles(empty).empty());
}

TEST_CASE("Owner-only key and audit files pass the start-up check; absent ones too", "[config]") {
  const Deployment d;
  CHECK_NOTHROW(garde::config::checkOwnerOnlyFiles(d.config));
  fs::remove(d.config.log.audit_file);
  CHECK_NOTHROW(garde::config::checkOwnerOnlyFiles(d.config));
}

TEST_CASE("A key or audit file that group or others may read fails start-up, naming key and file",
          "[config]") {
  const Deployment d;
  const auto files = garde::config::ownerOnlyFiles(d.config);
  const auto index = GENERATE(range(std::size_t{0}, std::size_t{5}));
  REQUIRE(index < files.size());
  const auto& [key, path] = files[index];
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  try {
    garde::config::checkOwnerOnlyFiles(d.config);
    FAIL("no error for " + key);
  } catch (const ConfigError& e) {
    CHECK(e.key() == key);
    CHECK_THAT(e.problem(), Catch::Contains(path + " is readable or writable by group or others "
                                                   "(mode 0640)"));
    CHECK_THAT(e.problem(), Catch::Contains("chmod 600 " + path));
  }
}
