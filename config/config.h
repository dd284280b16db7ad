#pragma once
/// @file The garde config file (TOML) parsed and validated into immutable structs.
///
/// Every key has a documented default (docs/configuration.md); a bad value or an unknown key throws
/// ConfigError naming the key, so a typo never passes silently. Parsing is pure: files named by the
/// config (keys, certificates, database) are not opened here; relative paths are resolved against
/// the directory of the config file. Structs are plain values: copy them, share them const.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"

namespace garde::config {

/// A start-up error in the config: `key()` is the dotted key ("server.port"), or empty for a
/// syntax error; what() is "key: problem" and is meant for the operator as is.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string key, std::string problem);
  const std::string& key() const noexcept { return key_; }
  const std::string& problem() const noexcept { return problem_; }

 private:
  std::string key_;
  std::string problem_;
};

/// [server]: the HTTPS listener.
struct ServerConfig {
  std::string listen_address = "127.0.0.1";  ///< an IP literal (v4 or v6); "0.0.0.0" for all
  std::uint16_t port = 8443;
  std::string tls_cert_file;             ///< PEM chain, leaf first; required unless plain HTTP
  std::string tls_key_file;              ///< PEM private key
  bool plain_http_loopback = false;      ///< plain HTTP, allowed only on a loopback address
  unsigned threads = 0;                  ///< I/O threads; 0 = one per hardware core
  std::size_t body_limit = 1024 * 1024;  ///< bytes; larger bodies get 413
  std::size_t header_limit = 16 * 1024;  ///< bytes of request line + headers; larger get 431
  std::chrono::milliseconds header_timeout{10'000};  ///< TLS handshake + request line and headers
  std::chrono::milliseconds body_timeout{30'000};    ///< reading the body, writing the response
  std::chrono::milliseconds idle_timeout{60'000};    ///< keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{15'000};  ///< in-flight requests' deadline on SIGTERM
  /// PEM CA certificates client certificates are verified against; empty = none asked for.
  std::string client_ca_file;
  /// Concurrent connections from one client address (schools reach us through NAT: generous).
  std::size_t max_connections_per_address = 512;
  /// Concurrent connections in all (lowered at start below the descriptor limit).
  std::size_t max_connections = 20'000;
  /// How long a client's unread bytes are drained after an early answer (413, 431, 408).
  std::chrono::milliseconds linger_timeout{2'000};
};

/// [metrics]: where GET /metrics is served. Off the public listener by default: the series name
/// publishers and routes and count refusals, which is operator information.
struct MetricsConfig {
  /// "separate" (default): a listener of its own at listen_address:port, plain HTTP on a loopback
  /// address, else HTTPS with the server's certificate; "public": on the main listener; "off".
  std::string listener = "separate";
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 9464;  ///< 0 = any free port (logged at start)
};

/// [subscriptions]: where the GAR subscription web service for publishers is served
/// (docs/partner-apis.md). Its callers authenticate with a registered TLS client certificate, so
/// "separate" needs server.client_ca_file; "main" without it refuses every caller.
struct SubscriptionsConfig {
  /// "main" (default): under /abonnements/ on the main listener; "separate": at the root of a
  /// listener of its own at listen_address:port (HTTPS, the server's certificate and client CAs)
  /// and under /abonnements/ on the main listener too; "off": not served.
  std::string listener = "main";
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8444;  ///< 0 = any free port (logged at start)
};

/// [broker]: the broker's identity on both sides.
struct BrokerConfig {
  std::string base_url;          ///< public URL, e.g. "https://garde.example.org" (no trailing '/')
  std::string idp_entity_id;     ///< default: base_url + "/saml/idp/metadata"
  std::string sp_entity_id;      ///< default: base_url + "/saml/sp/metadata"
  std::string signing_key_file;  ///< PEM private key used to sign assertions and metadata
  std::string signing_cert_file;  ///< PEM certificate of that key, published in metadata
  /// The other key of a rollover (docs/key-rollover.md): published in both metadata documents
  /// beside the signing key, for verifying and for encrypting to garde, and used to decrypt; never
  /// to sign. Both or neither; checked to match at start.
  std::string next_signing_key_file;
  std::string next_signing_cert_file;
  /// validUntil of garde's metadata = when it was made + this; remade after `metadata_cache`.
  std::chrono::seconds metadata_validity{7 * 24 * 3600};
  /// cacheDuration of garde's metadata: how long peers may keep it before fetching it again.
  std::chrono::seconds metadata_cache{6 * 3600};
  std::chrono::seconds clock_skew{
      180};  ///< tolerance on peers' NotBefore/NotOnOrAfter/IssueInstant
  /// ENT assertion IDs remembered against replay (about 200 bytes each). An entry lives at most
  /// as long as its SSO transaction (10 min) plus the skew, so size it as peak launches/s x 800.
  std::int64_t replay_cache_entries = 1'000'000;
  /// ENT assertions must themselves be signed, as our SP metadata's WantAssertionsSigned says.
  /// Off: a signed Response may carry an unsigned assertion (some ENT IdPs sign only the Response).
  bool want_assertions_signed = true;
};

/// [store]
struct StoreConfig {
  enum class Engine { kSqlite, kPostgresql };
  Engine engine = Engine::kSqlite;
  /// Where the store is: with engine = "sqlite" the file (key `database`, resolved against the
  /// config's directory); with engine = "postgresql" the libpq URL (key `url`), copied here after
  /// loading, so that every part of garde opens the store by this one locator.
  std::string database = "garde.db";
  std::string url;  ///< `postgresql://...` (engine = "postgresql" only)
  /// Connections each of garde's pools keeps open when idle (a pool grows with the requests in
  /// flight, at most the I/O threads; beyond this, a returned connection is closed).
  int pool_size = 16;
};

/// [state]: the key that seals state tokens (SSO transaction, launch cookie). Exactly one of the
/// two.
struct StateConfig {
  std::string token_key_file;  ///< file holding 64 hex digits (32 bytes)
  std::string token_key_hex;   ///< the same, inline (key `token_key`)
};

/// [log]
struct LogConfig {
  core::LogLevel level = core::LogLevel::kInfo;
  std::string audit_file;  ///< release/audit lines (JSON); empty = audit lines go to the main log
};

/// [pseudonym]: the secret behind the released pseudonyms (IDO, docs/adr/0004-pseudonyms.md).
/// Kept apart from [state] on purpose: the state key may be rotated at will, this secret may not
/// (every publisher's identifiers depend on it).
struct PseudonymConfig {
  std::string secret_file;              ///< file holding >= 64 hex digits; required by `serve`
  std::string secret_version = "k1";    ///< 1..16 of [A-Za-z0-9], the visible prefix of each IDO
  std::string scope = "per_publisher";  ///< "per_publisher" (default) | "shared" (GAR, weaker)
  std::string encoding = "base64url";   ///< "base64url" | "hex"
};

/// [audit]: the audit trail's own secret and its retention (docs/audit.md, ADR 0020).
struct AuditConfig {
  /// File holding >= 64 hex digits: the key of the keyed digest of each person in the audit
  /// rows (HMAC-SHA256), so that a subject-access request finds a person's rows while the audit
  /// alone identifies nobody. Its own secret: neither the pseudonyms' nor the state's. Required by
  /// `serve`.
  std::string subject_secret_file;
  /// Rows older than this are purged (by serve every hour, or `garde audit purge`).
  std::int64_t retention_days = 365;
};

/// [contracts]: contract onboarding (docs/contracts.md, ADR 0024).
struct ContractsConfig {
  /// PEM file of one or more certificates. When set, the SP metadata of every submitted contract
  /// must carry an enveloped signature verified by one of them (the federation's or the
  /// ministry's metadata signers); when empty, unsigned metadata is accepted and flagged.
  std::string metadata_signers_file;
};

/// [federation]: peers' metadata fetched from sources (docs/metadata-sources.md).
struct FederationConfig {
  /// How often serve looks for sources due to be fetched (each source's own period decides).
  std::chrono::seconds check_period{60};
  /// A failed fetch is tried again after this (or the source's refresh period, when shorter).
  std::chrono::seconds retry_after{300};
  /// Warn (log and metric) when a last good copy's validUntil is closer than this.
  std::chrono::seconds expiry_warning{5 * 24 * 3600};
  std::chrono::seconds fetch_timeout{15};
  /// PEM CAs for https sources; empty: the system's. The documents' own signatures are what
  /// garde trusts; TLS only keeps the fetch private and on time.
  std::string ca_file;
};

/// [redis]: what several nodes share at request time (the replay caches). With no address, each
/// process keeps them in memory: right for one node, wrong for several behind a load balancer (a
/// message consumed on one would be accepted on another). docs/deployment.md.
struct RedisConfig {
  std::string address;        ///< "host:port" or "unix:/path/redis.sock"; empty: in memory
  std::string password_file;  ///< the AUTH password, alone in an owner-only file; empty: none
  int database = 0;
  std::string key_prefix = "garde:";
  std::chrono::milliseconds timeout{250};  ///< connect and each command
  int pool_size = 16;
};

/// The whole config. `source` is the file it came from ("<demo>" for demoConfig, "<text>" for
/// parseConfig without a path).
struct Config {
  ServerConfig server;
  BrokerConfig broker;
  StoreConfig store;
  StateConfig state;
  LogConfig log;
  PseudonymConfig pseudonym;
  AuditConfig audit;
  MetricsConfig metrics;
  SubscriptionsConfig subscriptions;
  ContractsConfig contracts;
  FederationConfig federation;
  RedisConfig redis;
  std::string source;
};

/// Parses and validates TOML text. Relative paths are resolved against `base_dir` (unchanged when
/// empty). Throws ConfigError.
Config parseConfig(std::string_view text, const std::filesystem::path& base_dir = {});

/// Reads and parses a file; relative paths inside are resolved against its directory.
/// Throws ConfigError (key empty) if the file cannot be read.
Config loadConfig(const std::filesystem::path& path);

/// The embedded demo defaults: HTTPS on 127.0.0.1:`port` (base URL https://localhost:`port`) with
/// every key and the database under `dir` (tls-cert.pem, tls-key.pem, signing-cert.pem,
/// signing-key.pem, state-key.hex, pseudonym-secret.hex, garde.db).
/// Only the struct: creating the files is the `serve --demo` command's job.
Config demoConfig(const std::filesystem::path& dir, std::uint16_t port = 8443);

/// Reads the state token key (32 bytes) from `token_key_hex` or `token_key_file`.
/// Throws ConfigError naming state.token_key / state.token_key_file on a missing file or bad hex.
std::string readTokenKey(const StateConfig& state);

/// Reads the pseudonym secret (>= 32 bytes, from hex) from `pseudonym.secret_file`. Throws
/// ConfigError naming pseudonym.secret_file when it is unset, unreadable, not hex or too short.
std::string readPseudonymSecret(const PseudonymConfig& pseudonym);

/// Reads the audit subject secret (>= 32 bytes, from hex) from `audit.subject_secret_file`, with
/// the same checks and errors (naming audit.subject_secret_file).
std::string readAuditSubjectSecret(const AuditConfig& audit);

/// The [redis] password (the file's first line); "" when no password_file is set. Throws
/// ConfigError.
std::string readRedisPassword(const RedisConfig& redis);

/// Reads a file named by the config key `key` (e.g. "server.tls_cert_file"); throws ConfigError
/// naming that key if it cannot be read.
std::string readKeyedFile(std::string_view key, const std::string& path);

/// The config keys naming files that hold secrets or personal data, with their paths, in the
/// order start-up reads them: server.tls_key_file, broker.signing_key_file, state.token_key_file,
/// pseudonym.secret_file, log.audit_file (unset keys left out). The database (store.database),
/// and its -wal and -shm, are store::Db::open's to check.
std::vector<std::pair<std::string, std::string>> ownerOnlyFiles(const Config& config);

/// Start-up check: throws ConfigError naming the key and the file when one of ownerOnlyFiles()
/// exists and group or others may read or write it (docs/security.md). Absent files pass (their
/// reader reports them).
void checkOwnerOnlyFiles(const Config& config);

/// True for an IP literal in 127.0.0.0/8 or ::1.
bool isLoopbackAddress(std::string_view address);

}  // namespace garde::config
