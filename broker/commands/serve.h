#pragma once
/// @file `garde serve`: load the config, build the shared services, mount the routes, run the
/// HTTPS server until SIGTERM/SIGINT, shut down gracefully, exit 0.

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "broker/flows/services.h"
#include "broker/metrics.h"
#include "broker/router.h"
#include "config/config.h"
#include "core/random.h"
#include "core/time.h"
#include "saml/keys.h"

namespace garde::broker {

/// What routes and flows get: built once by `serve` before the server starts, then shared
/// read-only by every I/O thread (each member is immutable or thread-safe). Flows add the
/// services they need here (store, metadata, policy) as they arrive.
struct Services {
  const config::Config& config;
  Metrics& metrics;
  core::Clock& clock;
  core::Random& random;
  saml::Credential signing;  ///< broker.signing_key_file + signing_cert_file, checked to match
  std::string state_key;     ///< 32 bytes, from [state]
  /// [contracts] metadata_signers_file, read at start (empty: contract metadata may be unsigned).
  std::vector<saml::Certificate> contract_metadata_signers{};
  std::atomic<bool> ready{false};  ///< /readyz answers 200 once true
  /// The launch/SSO flows' services; when null (tests of the operator routes), no flow is mounted.
  std::unique_ptr<flows::FlowServices> flows{};
};

/// The one place routes are mounted: the operator endpoints, then (when services.flows is set) the
/// launch and SSO flows (flows::mountFlows), then each other flow's
/// `mountXxx(router, services)` (add one line per flow in serve.cpp). Throws std::invalid_argument
/// on a duplicate route.
void mountRoutes(Router& router, Services& services, const config::MetricsConfig& metrics);

/// The page of every refusal taken before a flow runs (the HTTP layer's and the router's): the
/// flows' refusal page with the request id and a message chosen by status.
Response layerRefusalPage(const Request& req, const http::Refusal& refusal);

}  // namespace garde::broker

namespace garde::broker::commands {

struct ServeOptions {
  std::string config_path;  ///< --config
  bool demo = false;        ///< --demo: embedded defaults, files generated under demo_dir
  std::filesystem::path demo_dir = "var/demo";
  std::uint16_t port = 8443;  ///< --port, with --demo
  /// --public-port, with --demo: the port of a load balancer in front (base URL
  /// https://localhost:PUBLIC_PORT) while this node listens on `port` (scripts/cluster); 0: `port`.
  std::uint16_t public_port = 0;
  std::string redis;  ///< --redis, with --demo: [redis] address (the nodes' shared replay caches)
  /// --postgresql, with --demo: the store on this PostgreSQL URL instead of the demo's SQLite file
  std::string postgresql;
};

/// The key and certificate of two config keys, checked to match; config::ConfigError naming the
/// key at fault otherwise.
saml::Credential loadCredential(const char* key_name, const std::string& key_file,
                                const char* cert_name, const std::string& cert_file);
/// broker.signing_key_file + signing_cert_file.
saml::Credential loadSigning(const config::BrokerConfig& b);
/// broker.next_signing_key_file + next_signing_cert_file when set, else nullopt; ConfigError when
/// it is `signing` itself.
std::optional<saml::Credential> loadNextSigning(const config::BrokerConfig& b,
                                                const saml::Credential& signing);

/// Runs the server until a signal; returns the exit code. Throws config::ConfigError on a bad
/// config or unreadable key file, std::runtime_error on a start-up failure (e.g. port in use).
int serve(const ServeOptions& options);

/// Creates the demo's TLS certificate, signing key/certificate, state key and pseudonym secret
/// under the directory named by `demo` when a file is absent: the directory 0700, every file 0600,
/// whatever the umask. Existing files are kept. Throws std::runtime_error naming the directory when
/// it exists and group or others may read or write it.
void prepareDemoFiles(const config::Config& demo);

}  // namespace garde::broker::commands
