#include "config/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "core/private_files.h"

namespace garde::config {
namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

/// How a node looked in the file, for "got ..." in messages.
std::string describe(const toml::node& node) {
  if (const auto* s = node.as_string()) {
    return quote(s->get());
  }
  if (const auto* i = node.as_integer()) {
    return std::to_string(i->get());
  }
  if (const auto* b = node.as_boolean()) {
    return b->get() ? "true" : "false";
  }
  if (const auto* f = node.as_floating_point()) {
    std::ostringstream ss;
    ss << f->get();
    return ss.str();
  }
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date/time";
  }
}

/// One [section]: typed getters that remember which keys were read, so leftovers are "unknown".
class Section {
 public:
  Section(const toml::table* table, std::string name) : table_(table), name_(std::move(name)) {}

  std::string key(std::string_view k) const { return name_ + "." + std::string(k); }

  const toml::node* get(std::string_view k) {
    known_.insert(std::string(k));
    return table_ ? table_->get(k) : nullptr;
  }

  void string(std::string_view k, std::string& out) {
    if (const auto* n = get(k)) {
      const auto* s = n->as_string();
      if (!s) {
        throw ConfigError(key(k), "expected a string, got " + describe(*n));
      }
      out = s->get();
    }
  }

  void boolean(std::string_view k, bool& out) {
    if (const auto* n = get(k)) {
      const auto* b = n->as_boolean();
      if (!b) {
        throw ConfigError(key(k), "expected true or false, got " + describe(*n));
      }
      out = b->get();
    }
  }

  template <class Int>
  void integer(std::string_view k, Int& out, std::int64_t min, std::int64_t max) {
    if (const auto* n = get(k)) {
      const auto* i = n->as_integer();
      if (!i || i->get() < min || i->get() > max) {
        throw ConfigError(key(k), "expected an integer between " + std::to_string(min) + " and " +
                                      std::to_string(max) + ", got " + describe(*n));
      }
      out = static_cast<Int>(i->get());
    }
  }

  /// Integer seconds, or a string with a unit: "250ms", "10s", "5m", "1h".
  template <class Duration>
  void duration(std::string_view k, Duration& out, std::chrono::milliseconds min,
                std::chrono::milliseconds max) {
    const auto* n = get(k);
    if (!n) {
      return;
    }
    std::optional<std::chrono::milliseconds> ms;
    if (const auto* i = n->as_integer(); i && i->get() >= 0 && i->get() < (1LL << 40)) {
      ms = std::chrono::seconds(i->get());
    } else if (const auto* s = n->as_string()) {
      ms = parseDuration(s->get());
    }
    const std::string expected =
        "expected a duration (seconds, or a string like \"10s\", \"500ms\", "
        "\"5m\", \"6h\", \"7d\") between " +
        format(min) + " and " + format(max);
    if (!ms || *ms < min || *ms > max) {
      throw ConfigError(key(k), expected + ", got " + describe(*n));
    }
    if (std::chrono::duration_cast<Duration>(*ms) != *ms) {
      throw ConfigError(key(k), "expected whole seconds, got " + describe(*n));
    }
    out = std::chrono::duration_cast<Duration>(*ms);
  }

  /// Integer bytes, or a string with a unit: "64KiB", "1MiB", "2MB".
  void size(std::string_view k, std::size_t& out, std::size_t min, std::size_t max) {
    const auto* n = get(k);
    if (!n) {
      return;
    }
    std::optional<std::size_t> v;
    if (const auto* i = n->as_integer(); i && i->get() >= 0) {
      v = static_cast<std::size_t>(i->get());
    } else if (const auto* s = n->as_string()) {
      v = parseSize(s->get());
    }
    if (!v || *v < min || *v > max) {
      throw ConfigError(key(k),
                        "expected a size (bytes, or a string like \"64KiB\", \"1MiB\") between " +
                            std::to_string(min) + " and " + std::to_string(max) + " bytes, got " +
                            describe(*n));
    }
    out = *v;
  }

  /// Any key present but never asked for is a typo or a key of another version: refuse it.
  void rejectUnknown() const {
    if (!table_) {
      return;
    }
    for (const auto& [k, v] : *table_) {
      if (!known_.count(std::string(k.str()))) {
        throw ConfigError(key(k.str()), "unknown key (line " +
                                            std::to_string(v.source().begin.line) +
                                            "); see docs/configuration.md");
      }
    }
  }

 private:
  static std::string format(std::chrono::milliseconds ms) {
    if (ms.count() % 1000 == 0) {
      return std::to_string(ms.count() / 1000) + "s";
    }
    return std::to_string(ms.count()) + "ms";
  }

  static std::optional<std::chrono::milliseconds> parseDuration(std::string_view s) {
    std::size_t i = 0;
    std::int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i < 12) {
      n = n * 10 + (s[i] - '0');
      ++i;
    }
    if (i == 0) {
      return std::nullopt;
    }
    const std::string_view unit = s.substr(i);
    if (unit == "ms") {
      return std::chrono::milliseconds(n);
    }
    if (unit == "s") {
      return std::chrono::seconds(n);
    }
    if (unit == "m") {
      return std::chrono::minutes(n);
    }
    if (unit == "h") {
      return std::chrono::hours(n);
    }
    if (unit == "d") {
      return std::chrono::hours(24 * n);
    }
    return std::nullopt;
  }

  static std::optional<std::size_t> parseSize(std::string_view s) {
    std::size_t i = 0;
    std::size_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i < 12) {
      n = n * 10 + static_cast<std::size_t>(s[i] - '0');
      ++i;
    }
    if (i == 0) {
      return std::nullopt;
    }
    const std::string_view unit = s.substr(i);
    if (unit.empty() || unit == "B") {
      return n;
    }
    if (unit == "KiB") {
      return n * 1024;
    }
    if (unit == "MiB") {
      return n * 1024 * 1024;
    }
    if (unit == "KB") {
      return n * 1000;
    }
    if (unit == "MB") {
      return n * 1000 * 1000;
    }
    return std::nullopt;
  }

  const toml::table* table_;
  std::string name_;
  std::set<std::string> known_;
};

const toml::table* sectionTable(const toml::table& root, std::string_view name) {
  const toml::node* n = root.get(name);
  if (!n) {
    return nullptr;
  }
  const auto* t = n->as_table();
  if (!t) {
    throw ConfigError(std::string(name),
                      "expected a table ([" + std::string(name) + "]), got " + describe(*n));
  }
  return t;
}

void resolvePath(std::string& path, const std::filesystem::path& base_dir) {
  if (path.empty() || base_dir.empty()) {
    return;
  }
  const std::filesystem::path p(path);
  if (p.is_relative()) {
    path = (base_dir / p).lexically_normal().string();
  }
}

bool isIpLiteral(std::string_view address) {
  const std::string a(address);
  unsigned char buf[16];
  return inet_pton(AF_INET, a.c_str(), buf) == 1 || inet_pton(AF_INET6, a.c_str(), buf) == 1;
}

bool isHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::string decodeHexKey(std::string_view key_name, std::string_view hex) {
  std::string trimmed(hex);
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.pop_back();
  }
  if (trimmed.size() != 64 || !isHex(trimmed)) {
    throw ConfigError(std::string(key_name),
                      "expected 64 hexadecimal digits (a 32-byte key), got " +
                          std::to_string(trimmed.size()) + " characters");
  }
  std::string out;
  out.reserve(32);
  for (std::size_t i = 0; i < 64; i += 2) {
    out += static_cast<char>(std::stoi(trimmed.substr(i, 2), nullptr, 16));
  }
  return out;
}

void validateBaseUrl(const std::string& url) {
  const bool https = url.rfind("https://", 0) == 0;
  const bool http = url.rfind("http://", 0) == 0;
  const std::size_t scheme_len = https ? 8 : 7;
  if ((!https && !http) || url.size() <= scheme_len) {
    throw ConfigError("broker.base_url", "expected an absolute https:// URL, got " + quote(url));
  }
  if (url.back() == '/' || url.find_first_of("?# ") != std::string::npos) {
    throw ConfigError("broker.base_url",
                      "expected a URL without trailing '/', query or fragment, got " + quote(url));
  }
}

}  // namespace

ConfigError::ConfigError(std::string key, std::string problem)
    : std::runtime_error(key.empty() ? problem : key + ": " + problem),
      key_(std::move(key)),
      problem_(std::move(problem)) {}

bool isLoopbackAddress(std::string_view address) {
  const std::string a(address);
  unsigned char buf[16];
  if (inet_pton(AF_INET, a.c_str(), buf) == 1) {
    return buf[0] == 127;
  }
  if (inet_pton(AF_INET6, a.c_str(), buf) == 1) {
    static constexpr unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
    return std::equal(std::begin(buf), std::end(buf), std::begin(kLoopback6));
  }
  return false;
}

Config parseConfig(std::string_view text, const std::filesystem::path& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw ConfigError("", "line " + std::to_string(where.line) + ", column " +
                              std::to_string(where.column) + ": " + std::string(e.description()));
  }

  static const std::set<std::string, std::less<>> kSections = {
      "server", "broker", "store", "state", "log", "pseudonym", "audit", "metrics", "subscriptions",
      "contracts", "federation", "redis"};
  for (const auto& [k, v] : root) {
    if (!kSections.count(k.str())) {
      throw ConfigError(
          std::string(k.str()),
          "unknown section or key (line " + std::to_string(v.source().begin.line) +
              "); expected one of [server], [broker], [store], [state], [log], [pseudonym], [audit], "
              "[metrics], [subscriptions], [contracts], [federation], [redis]");
    }
  }

  Config c;
  c.source = "<text>";

  Section server(sectionTable(root, "server"), "server");
  auto& s = c.server;
  server.string("listen_address", s.listen_address);
  server.integer("port", s.port, 1, 65535);
  server.string("tls_cert_file", s.tls_cert_file);
  server.string("tls_key_file", s.tls_key_file);
  server.boolean("plain_http_loopback", s.plain_http_loopback);
  server.integer("threads", s.threads, 0, 256);
  server.size("body_limit", s.body_limit, 1024, std::size_t{1} << 30);
  server.size("header_limit", s.header_limit, 1024, 1024 * 1024);
  using std::chrono::milliseconds;
  using namespace std::chrono_literals;
  server.duration("header_timeout", s.header_timeout, 100ms, milliseconds(1h));
  server.duration("body_timeout", s.body_timeout, 100ms, milliseconds(1h));
  server.duration("idle_timeout", s.idle_timeout, 100ms, milliseconds(1h));
  server.duration("shutdown_grace", s.shutdown_grace, 0ms, milliseconds(1h));
  server.string("client_ca_file", s.client_ca_file);
  server.size("max_connections_per_address", s.max_connections_per_address, 1, 1'000'000);
  server.size("max_connections", s.max_connections, 1, 10'000'000);
  server.duration("linger_timeout", s.linger_timeout, 0ms, milliseconds(1min));
  server.rejectUnknown();

  if (!isIpLiteral(s.listen_address)) {
    throw ConfigError("server.listen_address",
                      "expected an IP address such as \"127.0.0.1\", \"0.0.0.0\" or \"::\", got " +
                          quote(s.listen_address));
  }
  if (s.plain_http_loopback) {
    if (!isLoopbackAddress(s.listen_address)) {
      throw ConfigError(
          "server.plain_http_loopback",
          "plain HTTP is allowed only on a loopback listen address (127.0.0.1 or ::1), "
          "but server.listen_address is " +
              quote(s.listen_address));
    }
  } else {
    if (s.tls_cert_file.empty()) {
      throw ConfigError("server.tls_cert_file",
                        "required (HTTPS), unless plain_http_loopback = true");
    }
    if (s.tls_key_file.empty()) {
      throw ConfigError("server.tls_key_file",
                        "required (HTTPS), unless plain_http_loopback = true");
    }
  }

  Section metrics(sectionTable(root, "metrics"), "metrics");
  auto& m = c.metrics;
  metrics.string("listener", m.listener);
  metrics.string("listen_address", m.listen_address);
  metrics.integer("port", m.port, 0, 65535);
  metrics.rejectUnknown();
  if (m.listener != "separate" && m.listener != "public" && m.listener != "off") {
    throw ConfigError("metrics.listener",
                      "expected \"separate\", \"public\" or \"off\", got " + quote(m.listener));
  }
  if (m.listener == "separate" && !isIpLiteral(m.listen_address)) {
    throw ConfigError(
        "metrics.listen_address",
        "expected an IP address such as \"127.0.0.1\", got " + quote(m.listen_address));
  }
  if (m.listener == "separate" && !isLoopbackAddress(m.listen_address) && s.plain_http_loopback) {
    throw ConfigError("metrics.listen_address",
                      "off loopback the metrics listener is HTTPS and needs server.tls_cert_file; "
                      "with server.plain_http_loopback use a loopback address");
  }

  Section subscriptions(sectionTable(root, "subscriptions"), "subscriptions");
  auto& sub = c.subscriptions;
  subscriptions.string("listener", sub.listener);
  subscriptions.string("listen_address", sub.listen_address);
  subscriptions.integer("port", sub.port, 0, 65535);
  subscriptions.rejectUnknown();
  if (sub.listener != "main" && sub.listener != "separate" && sub.listener != "off") {
    throw ConfigError("subscriptions.listener",
                      "expected \"main\", \"separate\" or \"off\", got " + quote(sub.listener));
  }
  if (sub.listener == "separate" && !isIpLiteral(sub.listen_address)) {
    throw ConfigError(
        "subscriptions.listen_address",
        "expected an IP address such as \"127.0.0.1\", got " + quote(sub.listen_address));
  }
  // "main" without client CAs is the default of every config: the routes are there and refuse
  // every caller (no certificate can be presented), and serve warns at start. A listener of its
  // own that can authenticate nobody is a mistake.
  if (sub.listener == "separate" && s.client_ca_file.empty()) {
    throw ConfigError("subscriptions.listener",
                      "the separate listener authenticates publishers by TLS client certificate "
                      "and needs server.client_ca_file");
  }
  if (sub.listener == "separate" && s.plain_http_loopback) {
    throw ConfigError("subscriptions.listener",
                      "the separate listener is HTTPS and needs server.tls_cert_file; it cannot be "
                      "used with server.plain_http_loopback");
  }

  Section broker(sectionTable(root, "broker"), "broker");
  auto& b = c.broker;
  broker.string("base_url", b.base_url);
  broker.string("idp_entity_id", b.idp_entity_id);
  broker.string("sp_entity_id", b.sp_entity_id);
  broker.string("signing_key_file", b.signing_key_file);
  broker.string("signing_cert_file", b.signing_cert_file);
  broker.string("next_signing_key_file", b.next_signing_key_file);
  broker.string("next_signing_cert_file", b.next_signing_cert_file);
  broker.duration("metadata_validity", b.metadata_validity, milliseconds(1h),
                  milliseconds(24h * 30));
  broker.duration("metadata_cache", b.metadata_cache, milliseconds(5min), milliseconds(24h * 7));
  broker.duration("clock_skew", b.clock_skew, 0ms, milliseconds(1h));
  broker.integer("replay_cache_entries", b.replay_cache_entries, 1000, 100'000'000);
  broker.boolean("want_assertions_signed", b.want_assertions_signed);
  broker.rejectUnknown();
  if (b.base_url.empty()) {
    throw ConfigError("broker.base_url",
                      "required: the public URL of the broker, e.g. \"https://garde.example.org\"");
  }
  validateBaseUrl(b.base_url);
  if (b.base_url.rfind("http://", 0) == 0 && !s.plain_http_loopback) {
    throw ConfigError("broker.base_url",
                      "expected an https:// URL (plain http:// only with "
                      "server.plain_http_loopback = true), got " +
                          quote(b.base_url));
  }
  if (b.idp_entity_id.empty()) {
    b.idp_entity_id = b.base_url + "/saml/idp/metadata";
  }
  if (b.sp_entity_id.empty()) {
    b.sp_entity_id = b.base_url + "/saml/sp/metadata";
  }
  if (b.idp_entity_id == b.sp_entity_id) {
    throw ConfigError("broker.sp_entity_id", "must differ from broker.idp_entity_id");
  }
  if (b.signing_key_file.empty()) {
    throw ConfigError("broker.signing_key_file",
                      "required: PEM private key that signs assertions and metadata");
  }
  if (b.signing_cert_file.empty()) {
    throw ConfigError("broker.signing_cert_file",
                      "required: PEM certificate of broker.signing_key_file");
  }
  if (b.next_signing_key_file.empty() != b.next_signing_cert_file.empty()) {
    throw ConfigError(b.next_signing_key_file.empty() ? "broker.next_signing_key_file"
                                                      : "broker.next_signing_cert_file",
                      "set both broker.next_signing_key_file and broker.next_signing_cert_file, or "
                      "neither");
  }
  if (b.metadata_cache >= b.metadata_validity) {
    throw ConfigError("broker.metadata_cache",
                      "must be shorter than broker.metadata_validity (peers must fetch the "
                      "metadata again before it expires)");
  }

  Section store(sectionTable(root, "store"), "store");
  std::string engine = "sqlite";
  store.string("engine", engine);
  const std::string default_database = c.store.database;
  store.string("database", c.store.database);
  store.string("url", c.store.url);
  store.integer("pool_size", c.store.pool_size, 1, 1024);
  store.rejectUnknown();
  if (engine == "sqlite") {
    if (!c.store.url.empty()) {
      throw ConfigError("store.url", "is for engine = \"postgresql\" (this store is SQLite: "
                                     "store.database)");
    }
    if (c.store.database.empty()) {
      throw ConfigError("store.database", "expected a file path, got \"\"");
    }
  } else if (engine == "postgresql") {
    c.store.engine = StoreConfig::Engine::kPostgresql;
    if (c.store.database != default_database) {
      throw ConfigError("store.database", "is for engine = \"sqlite\" (this store is PostgreSQL: "
                                          "store.url)");
    }
    if (c.store.url.rfind("postgresql://", 0) != 0 && c.store.url.rfind("postgres://", 0) != 0) {
      // Not quoted back: a URL may hold a password.
      throw ConfigError("store.url", "expected a libpq URL, postgresql://[user@]host/database");
    }
  } else {
    throw ConfigError("store.engine", "expected \"sqlite\" or \"postgresql\", got \"" + engine +
                                          "\"");
  }

  Section state(sectionTable(root, "state"), "state");
  state.string("token_key_file", c.state.token_key_file);
  state.string("token_key", c.state.token_key_hex);
  state.rejectUnknown();
  if (c.state.token_key_file.empty() == c.state.token_key_hex.empty()) {
    throw ConfigError("state.token_key_file",
                      "set exactly one of state.token_key_file and state.token_key");
  }
  if (!c.state.token_key_hex.empty()) {
    decodeHexKey("state.token_key", c.state.token_key_hex);
  }

  Section log(sectionTable(root, "log"), "log");
  std::string level = "info";
  log.string("level", level);
  log.string("audit_file", c.log.audit_file);
  log.rejectUnknown();
  if (!core::parseLogLevel(level, c.log.level)) {
    throw ConfigError(
        "log.level",
        "expected one of \"debug\", \"info\", \"warn\", \"error\", \"off\", got " + quote(level));
  }

  Section pseudonym(sectionTable(root, "pseudonym"), "pseudonym");
  auto& ps = c.pseudonym;
  pseudonym.string("secret_file", ps.secret_file);
  pseudonym.string("secret_version", ps.secret_version);
  pseudonym.string("scope", ps.scope);
  pseudonym.string("encoding", ps.encoding);
  pseudonym.rejectUnknown();
  if (ps.secret_version.empty() || ps.secret_version.size() > 16 ||
      !std::all_of(ps.secret_version.begin(), ps.secret_version.end(),
                   [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; })) {
    throw ConfigError("pseudonym.secret_version",
                      "expected 1 to 16 letters or digits, got " + quote(ps.secret_version));
  }
  if (ps.scope != "per_publisher" && ps.scope != "shared") {
    throw ConfigError("pseudonym.scope",
                      "expected \"per_publisher\" or \"shared\", got " + quote(ps.scope));
  }
  if (ps.encoding != "base64url" && ps.encoding != "hex") {
    throw ConfigError("pseudonym.encoding",
                      "expected \"base64url\" or \"hex\", got " + quote(ps.encoding));
  }

  Section audit(sectionTable(root, "audit"), "audit");
  audit.string("subject_secret_file", c.audit.subject_secret_file);
  audit.integer("retention_days", c.audit.retention_days, 1, 3650);
  audit.rejectUnknown();

  Section contracts(sectionTable(root, "contracts"), "contracts");
  contracts.string("metadata_signers_file", c.contracts.metadata_signers_file);
  contracts.rejectUnknown();

  Section federation(sectionTable(root, "federation"), "federation");
  auto& f = c.federation;
  federation.duration("check_period", f.check_period, milliseconds(1s), milliseconds(24h));
  federation.duration("retry_after", f.retry_after, milliseconds(1s), milliseconds(24h));
  federation.duration("expiry_warning", f.expiry_warning, milliseconds(0s),
                      milliseconds(24h * 90));
  federation.duration("fetch_timeout", f.fetch_timeout, milliseconds(1s), milliseconds(10min));
  federation.string("ca_file", f.ca_file);
  federation.rejectUnknown();

  Section redis(sectionTable(root, "redis"), "redis");
  auto& r = c.redis;
  redis.string("address", r.address);
  redis.string("password_file", r.password_file);
  redis.integer("database", r.database, 0, 15);
  redis.string("key_prefix", r.key_prefix);
  redis.duration("timeout", r.timeout, milliseconds(10), milliseconds(10s));
  redis.integer("pool_size", r.pool_size, 1, 1024);
  redis.rejectUnknown();
  if (r.address.empty() && !r.password_file.empty()) {
    throw ConfigError("redis.password_file", "set without redis.address");
  }

  for (std::string* p : {&s.tls_cert_file, &s.tls_key_file, &s.client_ca_file, &b.signing_key_file,
                         &b.signing_cert_file, &b.next_signing_key_file, &b.next_signing_cert_file,
                         &c.store.database, &c.state.token_key_file,
                         &c.log.audit_file, &ps.secret_file, &c.audit.subject_secret_file,
                         &c.contracts.metadata_signers_file, &f.ca_file, &r.password_file}) {
    resolvePath(*p, base_dir);
  }
  if (c.store.engine == StoreConfig::Engine::kPostgresql) {
    c.store.database = c.store.url;  // the one locator every part of garde opens the store by
  }
  return c;
}

Config loadConfig(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("", "cannot read config file " + path.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  try {
    Config c = parseConfig(ss.str(), dir);
    c.source = path.string();
    return c;
  } catch (const ConfigError& e) {
    // Name the file too: an operator may have several.
    throw ConfigError(e.key(), e.problem() + " (in " + path.string() + ")");
  }
}

Config demoConfig(const std::filesystem::path& dir, std::uint16_t port) {
  Config c;
  c.source = "<demo>";
  const auto at = [&](const char* name) { return (dir / name).string(); };
  c.server.listen_address = "127.0.0.1";
  c.server.port = port;
  c.server.tls_cert_file = at("tls-cert.pem");
  c.server.tls_key_file = at("tls-key.pem");
  // The demo's metrics listener takes any free loopback port (printed at start), so that several
  // demos or test brokers never collide on one.
  c.metrics.port = 0;
  c.broker.base_url = "https://localhost:" + std::to_string(port);
  c.broker.idp_entity_id = c.broker.base_url + "/saml/idp/metadata";
  c.broker.sp_entity_id = c.broker.base_url + "/saml/sp/metadata";
  c.broker.signing_key_file = at("signing-key.pem");
  c.broker.signing_cert_file = at("signing-cert.pem");
  c.store.database = at("garde.db");
  c.state.token_key_file = at("state-key.hex");
  c.pseudonym.secret_file = at("pseudonym-secret.hex");
  c.audit.subject_secret_file = at("audit-subject-secret.hex");
  return c;
}

std::string readKeyedFile(std::string_view key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(std::string(key), "cannot read " + quote(path));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::pair<std::string, std::string>> ownerOnlyFiles(const Config& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, path] : {std::pair{"server.tls_key_file", &c.server.tls_key_file},
                                  std::pair{"broker.signing_key_file", &c.broker.signing_key_file},
                                  std::pair{"broker.next_signing_key_file",
                                            &c.broker.next_signing_key_file},
                                  std::pair{"state.token_key_file", &c.state.token_key_file},
                                  std::pair{"pseudonym.secret_file", &c.pseudonym.secret_file},
                                  std::pair{"audit.subject_secret_file", &c.audit.subject_secret_file},
                                  std::pair{"log.audit_file", &c.log.audit_file},
                                  std::pair{"redis.password_file", &c.redis.password_file}}) {
    if (!path->empty()) {
      out.emplace_back(key, *path);
    }
  }
  return out;
}

void checkOwnerOnlyFiles(const Config& config) {
  for (const auto& [key, path] : ownerOnlyFiles(config)) {
    if (auto checked = core::checkOwnerOnly(path); !checked) {
      throw ConfigError(key, checked.error().detail);
    }
  }
}

namespace {

/// At least 32 bytes, as hex, from the file of config key `key`.
std::string readHexSecret(const char* key, const std::string& path, const char* doc) {
  if (path.empty()) {
    throw ConfigError(key, std::string("required: a file holding at least 64 hexadecimal digits "
                                       "(openssl rand -hex 32); see ") +
                               doc);
  }
  std::string hex = readKeyedFile(key, path);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) {
    hex.pop_back();
  }
  if (hex.size() < 64 || hex.size() % 2 != 0 || !isHex(hex)) {
    throw ConfigError(key, "expected at least 64 hexadecimal digits (32 bytes), got " +
                               std::to_string(hex.size()) + " characters");
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

}  // namespace

std::string readPseudonymSecret(const PseudonymConfig& pseudonym) {
  return readHexSecret("pseudonym.secret_file", pseudonym.secret_file,
                       "docs/adr/0004-pseudonyms.md");
}

std::string readAuditSubjectSecret(const AuditConfig& audit) {
  return readHexSecret("audit.subject_secret_file", audit.subject_secret_file, "docs/audit.md");
}

std::string readRedisPassword(const RedisConfig& redis) {
  if (redis.password_file.empty()) {
    return {};
  }
  std::string text = readKeyedFile("redis.password_file", redis.password_file);
  text = text.substr(0, text.find_first_of("\r\n"));
  if (text.empty()) {
    throw ConfigError("redis.password_file", "the file's first line is empty");
  }
  return text;
}

std::string readTokenKey(const StateConfig& state) {
  if (!state.token_key_hex.empty()) {
    return decodeHexKey("state.token_key", state.token_key_hex);
  }
  if (state.token_key_file.empty()) {
    throw ConfigError("state.token_key_file",
                      "set exactly one of state.token_key_file and state.token_key");
  }
  return decodeHexKey("state.token_key_file",
                      readKeyedFile("state.token_key_file", state.token_key_file));
}

}  // namespace garde::config
