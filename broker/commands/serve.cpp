#include "broker/commands/serve.h"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "broker/commands/commands.h"
#include "broker/http/server.h"
#include "core/encoding.h"
#include "core/log.h"

namespace garde::broker {

void mountRoutes(Router& router, Services& services) {
  addOperatorRoutes(
      router, [&services] { return services.ready.load(); },
      [&services] { return services.metrics.exposition(); });
  // Flows mount their routes here, e.g. mountSso(router, services);
}

}  // namespace garde::broker

namespace garde::broker::commands {
namespace {

constexpr core::Logger kLog("broker.serve");

void writeFile(const std::string& path, const std::string& content, bool secret) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  // Secrets are created 0600 from the start (no window where they are world-readable).
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) {
    throw std::runtime_error("cannot write " + path);
  }
  const bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  if (!ok) {
    throw std::runtime_error("cannot write " + path);
  }
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

/// Loads the signing credential, naming the config key at fault.
saml::Credential loadSigning(const config::BrokerConfig& b) {
  auto key = saml::PrivateKey::fromPem(
      config::readKeyedFile("broker.signing_key_file", b.signing_key_file));
  if (!key) {
    throw config::ConfigError("broker.signing_key_file", key.error().detail);
  }
  auto cert = saml::Certificate::fromPem(
      config::readKeyedFile("broker.signing_cert_file", b.signing_cert_file));
  if (!cert) {
    throw config::ConfigError("broker.signing_cert_file", cert.error().detail);
  }
  if (!key->matches(*cert)) {
    throw config::ConfigError("broker.signing_cert_file", "does not match broker.signing_key_file");
  }
  return saml::Credential{std::move(key).value(), std::move(cert).value()};
}

http::ServerOptions serverOptions(const config::Config& c) {
  http::ServerOptions o;
  o.address = c.server.listen_address;
  o.port = c.server.port;
  o.tls = !c.server.plain_http_loopback;
  if (o.tls) {
    o.tls_cert_pem = config::readKeyedFile("server.tls_cert_file", c.server.tls_cert_file);
    o.tls_key_pem = config::readKeyedFile("server.tls_key_file", c.server.tls_key_file);
  }
  o.allow_plain_http_on_loopback = c.server.plain_http_loopback;
  o.threads = c.server.threads;
  o.body_limit = c.server.body_limit;
  o.header_limit = c.server.header_limit;
  o.header_timeout = c.server.header_timeout;
  o.body_timeout = c.server.body_timeout;
  o.idle_timeout = c.server.idle_timeout;
  o.shutdown_grace = c.server.shutdown_grace;
  return o;
}

}  // namespace

void prepareDemoFiles(const config::Config& demo) {
  const auto& s = demo.server;
  if (!exists(s.tls_cert_file) || !exists(s.tls_key_file)) {
    const http::TlsPem tls = http::generateSelfSignedTls("localhost", 365);
    writeFile(s.tls_key_file, tls.key, true);
    writeFile(s.tls_cert_file, tls.cert, false);
    kLog.info("demo: generated a self-signed TLS certificate", {{"file", s.tls_cert_file}});
  }
  const auto& b = demo.broker;
  if (!exists(b.signing_key_file) || !exists(b.signing_cert_file)) {
    const saml::PrivateKey key = saml::PrivateKey::generateRsa(2048);
    const saml::Certificate cert =
        saml::selfSign(key, "garde demo signing", core::systemNow(), 3650);
    writeFile(b.signing_key_file, key.pem(), true);
    writeFile(b.signing_cert_file, cert.pem(), false);
    kLog.info("demo: generated a signing key", {{"file", b.signing_key_file}});
  }
  if (!demo.state.token_key_file.empty() && !exists(demo.state.token_key_file)) {
    writeFile(demo.state.token_key_file, core::hexEncode(core::systemRandom().bytes(32)) + "\n",
              true);
  }
}

int serve(const ServeOptions& options) {
  config::Config cfg;
  if (options.demo) {
    cfg = config::demoConfig(std::filesystem::absolute(options.demo_dir).lexically_normal());
    prepareDemoFiles(cfg);
  } else if (!options.config_path.empty()) {
    cfg = config::loadConfig(options.config_path);
  } else {
    std::cerr
        << "garde serve: give --config FILE, or --demo to run on the embedded demo defaults\n";
    return kExitUsage;
  }
  core::setLogLevel(cfg.log.level);

  Metrics metrics;
  core::SystemClock clock;
  Services services{cfg,
                    metrics,
                    clock,
                    core::systemRandom(),
                    loadSigning(cfg.broker),
                    config::readTokenKey(cfg.state)};
  Router router;
  mountRoutes(router, services);

  http::Server server(
      serverOptions(cfg), [&router](Request& req) { return router.dispatch(req); }, &metrics);
  server.start();
  services.ready.store(true);
  kLog.info("serving", {{"base_url", cfg.broker.base_url}, {"config", cfg.source}});
  if (options.demo) {
    std::printf(
        "\ngarde demo is running (self-signed certificate: accept it in the browser, or curl -k)\n"
        "  %s/healthz\n  %s/readyz\n  %s/metrics\n"
        "Files: %s\nStop with Ctrl-C.\n\n",
        cfg.broker.base_url.c_str(), cfg.broker.base_url.c_str(), cfg.broker.base_url.c_str(),
        std::filesystem::path(cfg.server.tls_cert_file).parent_path().c_str());
    std::fflush(stdout);
  }
  server.runUntilSignal();
  services.ready.store(false);
  return kExitOk;
}

void addServe(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand("serve", "Run the broker's HTTPS server until SIGTERM/SIGINT");
  auto* config_opt = sub->add_option("-c,--config", options->config_path,
                                     "TOML config file (docs/configuration.md)");
  auto* demo_flag =
      sub->add_flag("--demo", options->demo,
                    "Run on the embedded demo defaults (https://localhost:8443); generates keys "
                    "under --demo-dir if absent");
  sub->add_option("--demo-dir", options->demo_dir, "Where --demo keeps its keys and database")
      ->capture_default_str();
  config_opt->excludes(demo_flag);
  sub->callback([options] {
    const int rc = serve(*options);
    if (rc != kExitOk) {
      throw CLI::RuntimeError(rc);
    }
  });
}

}  // namespace garde::broker::commands
