#include "config/config.h"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>

#include "support/fixtures.h"

using garde::config::Config;
using garde::config::ConfigError;
using garde::config::parseConfig;
using namespace std::chrono_literals;

namespace {

/// Base lines of a section, minus those whose key `extra` sets (TOML forbids duplicate keys).
std::string sectionLines(std::initializer_list<const char*> base, const std::string& extra) {
  std::string out;
  for (const char* line : base) {
    const std::string l(line);
    // A line of `extra` setting the same key replaces it (the key at the start of a line).
    if (("\n" + extra).find("\n" + l.substr(0, l.find(' ')) + " =") == std::string::npos) {
      out += l + "\n";
    }
  }
  return out + extra;
}

/// A valid config with `server`, `broker` lines added to their sections and `rest` at the end.
std::string configWith(const std::string& server_extra, const std::string& broker_extra = "",
                       const std::string& rest = "") {
  return "[server]\n" +
         sectionLines({"tls_cert_file = \"cert.pem\"", "tls_key_file = \"key.pem\""},
                      server_extra) +
         "\n[broker]\n" +
         sectionLines({"base_url = \"https://garde.example.org\"", "signing_key_file = \"k.pem\"",
                       "signing_cert_file = \"c.pem\""},
                      broker_extra) +
         "\n[state]\ntoken_key_file = \"state.hex\"\n" + rest;
}

/// The key a ConfigError names when parsing `text`, or "<no error>".
std::string errorKey(const std::string& text) {
  try {
    (void)parseConfig(text);
  } catch (const ConfigError& e) {
    return e.key();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("A minimal config takes the documented defaults", "[config]") {
  const Config c = parseConfig(garde::test::loadFixture("config/minimal.toml"), "/etc/garde");
  CHECK(c.server.listen_address == "127.0.0.1");
  CHECK(c.server.port == 8443);
  CHECK(c.server.tls_cert_file == "/etc/garde/tls/cert.pem");
  CHECK(c.server.tls_key_file == "/etc/garde/tls/key.pem");
  CHECK_FALSE(c.server.plain_http_loopback);
  CHECK(c.server.threads == 0);
  CHECK(c.server.body_limit == 1024 * 1024);
  CHECK(c.server.header_limit == 16 * 1024);
  CHECK(c.server.header_timeout == 10s);
  CHECK(c.server.body_timeout == 30s);
  CHECK(c.server.idle_timeout == 60s);
  CHECK(c.server.shutdown_grace == 15s);
  CHECK(c.broker.base_url == "https://garde.example.org");
  CHECK(c.broker.idp_entity_id == "https://garde.example.org/saml/idp/metadata");
  CHECK(c.broker.sp_entity_id == "https://garde.example.org/saml/sp/metadata");
  CHECK(c.broker.signing_key_file == "/etc/garde/signing-key.pem");
  CHECK(c.broker.clock_skew == 180s);
  CHECK(c.store.database == "/etc/garde/garde.db");
  CHECK(c.state.token_key_file == "/etc/garde/state-key.hex");
  CHECK(c.state.token_key_hex.empty());
  CHECK(c.log.level == garde::core::LogLevel::kInfo);
  CHECK(c.log.audit_file.empty());
}

TEST_CASE("Every key can be set", "[config]") {
  const Config c = parseConfig(garde::test::loadFixture("config/full.toml"));
  CHECK(c.server.listen_address == "::1");
  CHECK(c.server.port == 9443);
  CHECK(c.server.threads == 4);
  CHECK(c.server.body_limit == 2 * 1024 * 1024);
  CHECK(c.server.header_limit == 32 * 1024);
  CHECK(c.server.header_timeout == 5s);
  CHECK(c.server.body_timeout == 20s);
  CHECK(c.server.idle_timeout == 120s);
  CHECK(c.server.shutdown_grace == 500ms);
  CHECK(c.broker.idp_entity_id == "https://garde.example.org/idp");
  CHECK(c.broker.sp_entity_id == "https://garde.example.org/sp");
  CHECK(c.broker.clock_skew == 60s);
  CHECK(c.store.database == "/var/lib/garde/garde.db");
  CHECK(c.log.level == garde::core::LogLevel::kDebug);
  CHECK(c.log.audit_file == "/var/log/garde/audit.jsonl");
  CHECK(garde::config::readTokenKey(c.state).size() == 32);
}

TEST_CASE("loadConfig resolves paths against the file's directory and reads the token key",
          "[config]") {
  const Config c = garde::config::loadConfig(garde::test::dataPath("config/minimal.toml"));
  CHECK(c.source == garde::test::dataPath("config/minimal.toml"));
  CHECK(c.state.token_key_file == garde::test::dataPath("config/state-key.hex"));
  const std::string key = garde::config::readTokenKey(c.state);
  REQUIRE(key.size() == 32);
  CHECK(key[1] == '\x01');
  CHECK(key[31] == '\x1f');
}

TEST_CASE("The port error names the key and the value", "[config]") {
  try {
    (void)parseConfig(configWith("port = \"abc\"\n"));
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.key() == "server.port");
    CHECK(std::string(e.what()) ==
          "server.port: expected an integer between 1 and 65535, got \"abc\"");
  }
}

TEST_CASE("Each kind of bad value names its key", "[config]") {
  struct Case {
    std::string text;
    std::string key;
  };
  const auto c = GENERATE(values<Case>({
      {configWith("port = 0\n"), "server.port"},
      {configWith("port = 70000\n"), "server.port"},
      {configWith("listen_address = \"localhost\"\n"), "server.listen_address"},
      {configWith("plain_http_loopback = \"yes\"\n"), "server.plain_http_loopback"},
      {configWith("threads = -1\n"), "server.threads"},
      {configWith("body_limit = \"lots\"\n"), "server.body_limit"},
      {configWith("body_limit = 10\n"), "server.body_limit"},
      {configWith("header_limit = \"1GiB\"\n"), "server.header_limit"},
      {configWith("header_timeout = \"10 parsecs\"\n"), "server.header_timeout"},
      {configWith("idle_timeout = -5\n"), "server.idle_timeout"},
      {configWith("shutdown_grace = 1.5\n"), "server.shutdown_grace"},
      {configWith("tls_cert_file = 3\n"), "server.tls_cert_file"},
      {configWith("", "base_url = \"garde.example.org\"\n"), "broker.base_url"},
      {configWith("", "clock_skew = \"250ms\"\n"), "broker.clock_skew"},
      {configWith("", "next_signing_key_file = \"n.pem\"\n"), "broker.next_signing_cert_file"},
      {configWith("", "next_signing_cert_file = \"n.pem\"\n"), "broker.next_signing_key_file"},
      {configWith("", "metadata_validity = \"30m\"\n"), "broker.metadata_validity"},
      {configWith("", "metadata_cache = \"8d\"\n"), "broker.metadata_cache"},
      {configWith("", "metadata_validity = \"1d\"\nmetadata_cache = \"2d\"\n"),
       "broker.metadata_cache"},
      {configWith("", "sp_entity_id = \"https://garde.example.org/saml/idp/metadata\"\n"),
       "broker.sp_entity_id"},
      {configWith("", "", "token_key = \"abcd\"\n"), "state.token_key_file"},  // both set
      {configWith("", "", "[log]\nlevel = \"verbose\"\n"), "log.level"},
      {configWith("", "", "[store]\ndatabase = \"\"\n"), "store.database"},
      {configWith("", "", "[redis]\ntimeout = \"5ms\"\n"), "redis.timeout"},
      {configWith("", "", "[redis]\npool_size = 0\n"), "redis.pool_size"},
      {configWith("", "", "[redis]\ndatabase = 16\n"), "redis.database"},
      {configWith("", "", "[redis]\naddres = \"127.0.0.1:6379\"\n"), "redis.addres"},
      {configWith("", "", "[redis]\npassword_file = \"redis.pass\"\n"), "redis.password_file"},
      {configWith("", "", "[store]\nengine = \"mysql\"\n"), "store.engine"},
      {configWith("", "", "[store]\nurl = \"postgresql:///garde\"\n"), "store.url"},
      {configWith("", "", "[store]\nengine = \"postgresql\"\n"), "store.url"},
      {configWith("", "", "[store]\nengine = \"postgresql\"\nurl = \"host=db dbname=garde\"\n"),
       "store.url"},
      {configWith("", "",
                  "[store]\nengine = \"postgresql\"\nurl = \"postgresql:///g\"\n"
                  "database = \"x.db\"\n"),
       "store.database"},
      {configWith("", "", "[store]\npool_size = 0\n"), "store.pool_size"},
  }));
  CAPTURE(c.text);
  CHECK(errorKey(c.text) == c.key);
}

TEST_CASE("Missing required keys are named", "[config]") {
  CHECK(errorKey("[broker]\nbase_url = \"https://x.org\"\n") == "server.tls_cert_file");
  CHECK(errorKey("[server]\nplain_http_loopback = true\n") == "broker.base_url");
  CHECK(errorKey("[server]\nplain_http_loopback = true\n[broker]\nbase_url = "
                 "\"http://127.0.0.1:8080\"\n") == "broker.signing_key_file");
  const std::string no_state =
      "[server]\nplain_http_loopback = true\n[broker]\nbase_url = \"http://127.0.0.1:8080\"\n"
      "signing_key_file = \"k\"\nsigning_cert_file = \"c\"\n";
  CHECK(errorKey(no_state) == "state.token_key_file");
  CHECK(errorKey(no_state + "[state]\ntoken_key = \"" + std::string(64, 'a') + "\"\n") ==
        "<no error>");
  CHECK(errorKey(no_state + "[state]\ntoken_key = \"" + std::string(64, 'g') + "\"\n") ==
        "state.token_key");
}

TEST_CASE("Unknown keys and sections are rejected", "[config]") {
  SECTION("a typo in a key") {
    CHECK(errorKey(garde::test::loadFixture("config/typo.toml")) == "server.body_limt");
  }
  SECTION("an unknown section") {
    CHECK(errorKey(configWith("", "", "[loging]\nlevel = \"debug\"\n")) == "loging");
  }
  SECTION("a section that is not a table") {
    CHECK(errorKey("store = \"garde.db\"\n" + configWith("")) == "store");
  }
}

TEST_CASE("Plain HTTP is accepted only on a loopback address", "[config]") {
  const std::string base =
      "[broker]\nbase_url = \"http://127.0.0.1:8080\"\nsigning_key_file = \"k\"\nsigning_cert_file "
      "= \"c\"\n"
      "[state]\ntoken_key_file = \"s\"\n";
  CHECK(errorKey("[server]\nplain_http_loopback = true\nlisten_address = \"127.0.0.1\"\n" + base) ==
        "<no error>");
  CHECK(errorKey("[server]\nplain_http_loopback = true\nlisten_address = \"::1\"\n" + base) ==
        "<no error>");
  CHECK(errorKey("[server]\nplain_http_loopback = true\nlisten_address = \"0.0.0.0\"\n" + base) ==
        "server.plain_http_loopback");
  CHECK(errorKey("[server]\nplain_http_loopback = true\nlisten_address = \"192.168.1.10\"\n" +
                 base) == "server.plain_http_loopback");
  // An http:// base URL needs plain HTTP.
  CHECK(errorKey(configWith("", "base_url = \"http://garde.example.org\"\n")) == "broker.base_url");
}

TEST_CASE("A TOML syntax error reports its line", "[config]") {
  try {
    (void)parseConfig("[server]\nport = = 3\n");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.key().empty());
    CHECK_THAT(e.what(), Catch::Contains("line 2"));
  }
}

TEST_CASE("A missing config file or key file is a ConfigError", "[config]") {
  CHECK_THROWS_AS(garde::config::loadConfig("/nonexistent/garde.toml"), ConfigError);
  garde::config::StateConfig state;
  state.token_key_file = "/nonexistent/state.hex";
  try {
    (void)garde::config::readTokenKey(state);
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.key() == "state.token_key_file");
  }
}

TEST_CASE("The demo config puts every file under its directory", "[config]") {
  const Config c = garde::config::demoConfig("/tmp/garde-demo");
  CHECK(c.server.tls_cert_file == "/tmp/garde-demo/tls-cert.pem");
  CHECK(c.broker.signing_key_file == "/tmp/garde-demo/signing-key.pem");
  CHECK(c.state.token_key_file == "/tmp/garde-demo/state-key.hex");
  CHECK(c.store.database == "/tmp/garde-demo/garde.db");
  CHECK(garde::config::isLoopbackAddress(c.server.listen_address));
  CHECK(c.broker.base_url.rfind("https://", 0) == 0);
}

TEST_CASE("Connection limits, client CAs and the metrics listener", "[config][metrics]") {
  SECTION("defaults: metrics on a loopback listener of their own, generous connection caps") {
    const Config c = parseConfig(configWith(""));
    CHECK(c.metrics.listener == "separate");
    CHECK(c.metrics.listen_address == "127.0.0.1");
    CHECK(c.metrics.port == 9464);
    CHECK(c.server.max_connections_per_address == 512);
    CHECK(c.server.max_connections == 20'000);
    CHECK(c.server.linger_timeout == 2s);
    CHECK(c.server.client_ca_file.empty());
  }
  SECTION("set") {
    const Config c =
        parseConfig(configWith("max_connections_per_address = 8\nmax_connections = 100\n"
                               "linger_timeout = \"500ms\"\nclient_ca_file = \"cas.pem\"\n",
                               "", "[metrics]\nlistener = \"public\"\n"),
                    "/etc/garde");
    CHECK(c.server.max_connections_per_address == 8);
    CHECK(c.server.max_connections == 100);
    CHECK(c.server.linger_timeout == 500ms);
    CHECK(c.server.client_ca_file == "/etc/garde/cas.pem");
    CHECK(c.metrics.listener == "public");
  }
  SECTION("bad values name their key") {
    CHECK(errorKey(configWith("max_connections_per_address = 0\n")) ==
          "server.max_connections_per_address");
    CHECK(errorKey(configWith("", "", "[metrics]\nlistener = \"everywhere\"\n")) ==
          "metrics.listener");
    CHECK(errorKey(configWith("", "", "[metrics]\nlisten_address = \"metrics.local\"\n")) ==
          "metrics.listen_address");
    CHECK(errorKey(configWith("", "", "[metrics]\nport = 70000\n")) == "metrics.port");
    CHECK(errorKey(configWith("", "", "[metrics]\nroute = \"/m\"\n")) == "metrics.route");
  }
  SECTION("the demo's metrics listener takes any free port") {
    CHECK(garde::config::demoConfig("/tmp/d").metrics.port == 0);
  }
}

TEST_CASE("The subscription web service's listener", "[config][subscriptions]") {
  SECTION("default: under /abonnements/ on the main listener") {
    const Config c = parseConfig(configWith(""));
    CHECK(c.subscriptions.listener == "main");
    CHECK(c.subscriptions.port == 8444);
  }
  SECTION("a listener of its own, with client CAs") {
    const Config c = parseConfig(configWith("client_ca_file = \"cas.pem\"\n", "",
                                            "[subscriptions]\nlistener = \"separate\"\n"
                                            "listen_address = \"0.0.0.0\"\nport = 9443\n"));
    CHECK(c.subscriptions.listener == "separate");
    CHECK(c.subscriptions.listen_address == "0.0.0.0");
    CHECK(c.subscriptions.port == 9443);
  }
  SECTION("bad values name their key") {
    CHECK(errorKey(configWith("", "", "[subscriptions]\nlistener = \"elsewhere\"\n")) ==
          "subscriptions.listener");
    // A separate listener that could authenticate nobody.
    CHECK(errorKey(configWith("", "", "[subscriptions]\nlistener = \"separate\"\n")) ==
          "subscriptions.listener");
    CHECK(errorKey(configWith("client_ca_file = \"cas.pem\"\n", "",
                              "[subscriptions]\nlistener = \"separate\"\n"
                              "listen_address = \"abo.local\"\n")) ==
          "subscriptions.listen_address");
    CHECK(errorKey(configWith("", "", "[subscriptions]\nport = 70000\n")) == "subscriptions.port");
    CHECK(errorKey(configWith("", "", "[subscriptions]\npath = \"/x\"\n")) == "subscriptions.path");
  }
}

TEST_CASE("The audit section: its own secret and a bounded retention", "[config][audit]") {
  const Config defaults = parseConfig(configWith(""));
  CHECK(defaults.audit.retention_days == 365);
  CHECK(defaults.audit.subject_secret_file.empty());
  const Config c = parseConfig(configWith(
      "", "", "[audit]\nsubject_secret_file = \"audit.hex\"\nretention_days = 30\n"));
  CHECK(c.audit.retention_days == 30);
  CHECK(c.audit.subject_secret_file == "audit.hex");
  CHECK(errorKey(configWith("", "", "[audit]\nretention_days = 0\n")) == "audit.retention_days");
  CHECK(errorKey(configWith("", "", "[audit]\nretention_days = 3651\n")) ==
        "audit.retention_days");
  CHECK(errorKey(configWith("", "", "[audit]\nkeep = 3\n")) == "audit.keep");
  // serve needs the secret: unset, the error names the key.
  try {
    (void)garde::config::readAuditSubjectSecret(defaults.audit);
    FAIL("an unset audit secret was accepted");
  } catch (const ConfigError& e) {
    CHECK(e.key() == "audit.subject_secret_file");
  }
}

TEST_CASE("Contract metadata signers: optional, a path from the config's folder",
          "[config][contracts]") {
  CHECK(parseConfig(configWith("")).contracts.metadata_signers_file.empty());
  const Config c = parseConfig(
      configWith("", "", "[contracts]\nmetadata_signers_file = \"federation.pem\"\n"), "/etc/garde");
  CHECK(c.contracts.metadata_signers_file == "/etc/garde/federation.pem");
  CHECK(errorKey(configWith("", "", "[contracts]\nmetadata_signers_file = 3\n")) ==
        "contracts.metadata_signers_file");
  CHECK(errorKey(configWith("", "", "[contracts]\nsigners = \"x.pem\"\n")) == "contracts.signers");
}

TEST_CASE("A rollover's next key and garde's metadata validity", "[config][rollover]") {
  const Config defaults = parseConfig(configWith(""));
  CHECK(defaults.broker.next_signing_key_file.empty());
  CHECK(defaults.broker.metadata_validity == std::chrono::hours(24 * 7));
  CHECK(defaults.broker.metadata_cache == std::chrono::hours(6));
  const Config c = parseConfig(
      configWith("", "next_signing_key_file = \"next-key.pem\"\nnext_signing_cert_file = "
                     "\"next-cert.pem\"\nmetadata_validity = \"3d\"\nmetadata_cache = \"2h\"\n"),
      "/etc/garde");
  CHECK(c.broker.next_signing_key_file == "/etc/garde/next-key.pem");
  CHECK(c.broker.next_signing_cert_file == "/etc/garde/next-cert.pem");
  CHECK(c.broker.metadata_validity == std::chrono::hours(72));
  CHECK(c.broker.metadata_cache == std::chrono::hours(2));
  // The next key is a private key: owner-only, like the signing key.
  bool listed = false;
  for (const auto& [key, path] : ownerOnlyFiles(c)) {
    listed = listed || (key == "broker.next_signing_key_file" && path == "/etc/garde/next-key.pem");
  }
  CHECK(listed);
}

TEST_CASE("[redis]: absent, the replay caches stay in memory; set, every key is read",
          "[config][redis]") {
  const Config none = parseConfig(configWith(""));
  CHECK(none.redis.address.empty());
  CHECK(none.redis.key_prefix == "garde:");
  CHECK(none.redis.timeout == 250ms);
  const Config set = parseConfig(
      configWith("", "",
                 "[redis]\naddress = \"unix:/run/redis/redis.sock\"\npassword_file = \"r.pass\"\n"
                 "database = 2\nkey_prefix = \"gar:\"\ntimeout = \"100ms\"\npool_size = 4\n"),
      "/etc/garde");
  CHECK(set.redis.address == "unix:/run/redis/redis.sock");
  CHECK(set.redis.password_file == "/etc/garde/r.pass");
  CHECK(set.redis.database == 2);
  CHECK(set.redis.key_prefix == "gar:");
  CHECK(set.redis.timeout == 100ms);
  CHECK(set.redis.pool_size == 4);
  bool listed = false;
  for (const auto& [key, path] : garde::config::ownerOnlyFiles(set)) {
    listed = listed || (key == "redis.password_file" && path == "/etc/garde/r.pass");
  }
  CHECK(listed);
}

TEST_CASE("[store]: SQLite by default; PostgreSQL by its URL, which becomes the store's locator",
          "[config][store]") {
  const Config lite = parseConfig(configWith(""), "/etc/garde");
  CHECK(lite.store.engine == garde::config::StoreConfig::Engine::kSqlite);
  CHECK(lite.store.database == "/etc/garde/garde.db");
  CHECK(lite.store.pool_size == 16);
  const Config pg = parseConfig(
      configWith("", "",
                 "[store]\nengine = \"postgresql\"\n"
                 "url = \"postgresql://garde@db.example.org/garde?sslmode=verify-full\"\n"
                 "pool_size = 8\n"),
      "/etc/garde");
  CHECK(pg.store.engine == garde::config::StoreConfig::Engine::kPostgresql);
  CHECK(pg.store.database == "postgresql://garde@db.example.org/garde?sslmode=verify-full");
  CHECK(pg.store.pool_size == 8);
  // A bad URL is refused without being quoted back (it may hold a password).
  try {
    (void)parseConfig(configWith(
        "", "", "[store]\nengine = \"postgresql\"\nurl = \"host=db password=s3cret\"\n"));
    FAIL("accepted");
  } catch (const garde::config::ConfigError& e) {
    CHECK_THAT(e.what(), !Catch::Contains("s3cret"));
  }
}
