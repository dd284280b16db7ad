// Files holding personal data or secrets are owner-only whatever the umask, and start-up refuses
// one that group or others may read, naming it (docs/security.md, docs/configuration.md).

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "broker/commands/serve.h"
#include "broker/flows/audit_sink.h"
#include "config/config.h"
#include "core/time.h"
#include "saml/keys.h"
#include "support/file_modes.h"

namespace {

namespace fs = std::filesystem;
using namespace garde;

using test::modeOf;
using test::Umask;
using test::writeWithMode;
using Dir = test::ScratchDir;

/// A listening socket on a loopback port, so that a `serve` that got past start-up fails on the
/// port instead of serving (the test never waits for a signal).
class TakenPort {
 public:
  TakenPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~TakenPort() { ::close(fd_); }
  TakenPort(const TakenPort&) = delete;
  TakenPort& operator=(const TakenPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

/// A `serve --config` deployment in `dir`: every key file 0600, plain HTTP on a taken loopback
/// port. Returns the config file.
fs::path writeDeployment(const Dir& dir, int port) {
  const auto key = saml::PrivateKey::generateRsa(2048);
  const auto cert = saml::selfSign(key, "garde test", core::systemNow() - 3600, core::systemRandom());
  writeWithMode(dir / "signing-key.pem", key.pem(), 0600);
  writeWithMode(dir / "signing-cert.pem", cert.pem(), 0644);
  writeWithMode(dir / "state-key.hex", std::string(64, 'a') + "\n", 0600);
  writeWithMode(dir / "pseudonym-secret.hex", std::string(64, 'b') + "\n", 0600);
  writeWithMode(dir / "audit-subject.hex", std::string(64, 'c') + "\n", 0600);
  const fs::path config = dir / "garde.toml";
  std::ofstream(config) << "[server]\nlisten_address = \"127.0.0.1\"\nport = " << port
                        << "\nplain_http_loopback = true\n\n"
                        << "[broker]\nbase_url = \"http://127.0.0.1:" << port << "\"\n"
                        << "signing_key_file = \"signing-key.pem\"\n"
                        << "signing_cert_file = \"signing-cert.pem\"\n\n"
                        << "[store]\ndatabase = \"data/garde.db\"\n\n"
                        << "[state]\ntoken_key_file = \"state-key.hex\"\n\n"
                        << "[pseudonym]\nsecret_file = \"pseudonym-secret.hex\"\n\n"
                        << "[audit]\nsubject_secret_file = \"audit-subject.hex\"\n\n"
                        << "[log]\nlevel = \"error\"\naudit_file = \"audit.jsonl\"\n";
  return config;
}

std::string serveFailure(const fs::path& config) {
  broker::commands::ServeOptions options;
  options.config_path = config.string();
  try {
    (void)broker::commands::serve(options);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "serve returned";
}

}  // namespace

TEST_CASE("The audit file is created 0600 whatever the umask", "[broker][permissions]") {
  const mode_t mask = GENERATE(mode_t{022}, mode_t{0});
  Umask umask(mask);
  Dir dir;
  { broker::flows::AuditSink sink((dir / "audit.jsonl").string()); }
  CHECK(modeOf(dir / "audit.jsonl") == 0600);
}

TEST_CASE("An audit file that group or others may read stops start-up, named",
          "[broker][permissions]") {
  Dir dir;
  const fs::path file = dir / "audit.jsonl";
  writeWithMode(file, "", 0640);
  try {
    broker::flows::AuditSink sink(file.string());
    FAIL("the audit file was opened");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("log.audit_file"));
    CHECK_THAT(e.what(), Catch::Contains(file.string() + " is readable or writable by group"));
  }
  CHECK(modeOf(file) == 0640);
}

TEST_CASE("The demo's directory, keys and certificates are owner-only whatever the umask",
          "[broker][permissions][demo]") {
  Umask umask(022);
  Dir dir;
  const fs::path demo_dir = dir / "var/demo";
  broker::commands::prepareDemoFiles(config::demoConfig(demo_dir));
  CHECK(modeOf(dir / "var") == 0700);
  CHECK(modeOf(demo_dir) == 0700);
  for (const char* name : {"tls-key.pem", "tls-cert.pem", "signing-key.pem", "signing-cert.pem",
                           "state-key.hex", "pseudonym-secret.hex"}) {
    INFO(name);
    CHECK(modeOf(demo_dir / name) == 0600);
  }
}

TEST_CASE("A demo directory that group or others may use stops the demo, named",
          "[broker][permissions][demo]") {
  Dir dir;
  const fs::path demo_dir = dir / "demo";
  REQUIRE(::mkdir(demo_dir.c_str(), 0755) == 0);
  REQUIRE(::chmod(demo_dir.c_str(), 0755) == 0);
  CHECK_THROWS_WITH(broker::commands::prepareDemoFiles(config::demoConfig(demo_dir)),
                    Catch::Contains(demo_dir.string() + " is readable or writable by group") &&
                        Catch::Contains("chmod 700"));
  CHECK_FALSE(fs::exists(demo_dir / "signing-key.pem"));
}

TEST_CASE("A database that others may read stops serve --config at start-up, named",
          "[broker][permissions][serve]") {
  Umask umask(022);
  Dir dir;
  TakenPort taken;
  const fs::path config = writeDeployment(dir, taken.port());
  const fs::path db = dir / "data/garde.db";
  fs::create_directories(db.parent_path());
  writeWithMode(db, "", 0644);

  const std::string failure = serveFailure(config);
  CHECK_THAT(failure, Catch::Contains("store.database"));
  CHECK_THAT(failure, Catch::Contains(db.string() + " is readable or writable by group"));
  CHECK_THAT(failure, Catch::Contains("chmod 600 " + db.string()));
  CHECK(modeOf(db) == 0644);
}

TEST_CASE("A key file that others may read stops serve --config at start-up, named",
          "[broker][permissions][serve]") {
  Dir dir;
  TakenPort taken;
  const fs::path config = writeDeployment(dir, taken.port());
  const auto [name, key] = GENERATE(
      table<std::string, std::string>({{"signing-key.pem", "broker.signing_key_file"},
                                       {"state-key.hex", "state.token_key_file"},
                                       {"pseudonym-secret.hex", "pseudonym.secret_file"},
                                       {"audit-subject.hex", "audit.subject_secret_file"}}));
  REQUIRE(::chmod((dir / name).c_str(), 0644) == 0);

  const std::string failure = serveFailure(config);
  CHECK_THAT(failure, Catch::Contains(key));
  CHECK_THAT(failure, Catch::Contains((dir / name).string() + " is readable or writable"));
}

TEST_CASE("A deployment whose files are owner-only gets past start-up, and creates them so",
          "[broker][permissions][serve]") {
  Umask umask(022);
  Dir dir;
  TakenPort taken;
  const fs::path config = writeDeployment(dir, taken.port());

  // Start-up reaches the listener (the port is taken on purpose), so every file was accepted.
  const std::string failure = serveFailure(config);
  CHECK_THAT(failure, !Catch::Contains("readable or writable"));
  CHECK(modeOf(dir / "data") == 0700);
  CHECK(modeOf(dir / "data/garde.db") == 0600);
  CHECK(modeOf(dir / "audit.jsonl") == 0600);
}
