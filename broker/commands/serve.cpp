#include "broker/commands/serve.h"

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <cstdio>
#include <iostream>

#include "broker/api/admin_accounts.h"
#include "broker/flows/metadata_refresh.h"
#include "broker/api/admin_action.h"
#include "broker/api/admin_audit.h"
#include "broker/api/admin_catalogue.h"
#include "broker/api/admin_ceilings.h"
#include "broker/api/admin_explain.h"
#include "broker/api/admin_metadata.h"
#include "broker/api/contracts.h"
#include "broker/api/json_reply.h"
#include "broker/api/establishment.h"
#include "broker/api/feeds.h"
#include "broker/api/mediacentre.h"
#include "broker/api/session.h"
#include "broker/api/usage.h"
#include "broker/api/subscriptions.h"
#include "broker/caller_registry.h"
#include "broker/commands/commands.h"
#include "broker/console/console.h"
#include "broker/demo/demo_console.h"
#include "broker/demo/demo_data.h"
#include "broker/demo/demo_peers.h"
#include "broker/flows/flows.h"
#include "broker/flows/pages.h"
#include "broker/flows/services.h"
#include "broker/http/server.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/private_files.h"
#include "core/random.h"
#include "core/x509.h"
#include "store/demo_data.h"
#include "store/migrations.h"

namespace garde::broker {

Response layerRefusalPage(const Request& req, const http::Refusal& refusal) {
  flows::RefusalPage page;
  page.message = refusal.status == 413 || refusal.status == 431 ? "La demande est trop volumineuse."
                 : refusal.status == 408 ? "La demande n'est pas arrivée à temps."
                 : refusal.status == 404 ? "La page demandée n'existe pas."
                 : refusal.status == 405 ? "Cette adresse ne s'utilise pas ainsi."
                                         : "La demande est mal formée.";
  if (req.path.starts_with("/api/")) {
    // garde's own APIs answer in JSON, as their handlers do (docs/openapi.json, "Problem").
    return api::jsonReply(refusal.status, boost::json::object{{"error", page.message},
                                                              {"reason", refusal.reason},
                                                              {"request_id", req.request_id}});
  }
  page.contact = "le référent numérique de votre établissement";
  page.correlation_id = req.request_id;
  Response r = Response::html(refusal.status, flows::renderRefusal(page));
  r.setHeader("Content-Security-Policy", std::string(flows::kPageCsp));
  return r;
}

void mountRoutes(Router& router, Services& services, const config::MetricsConfig& metrics) {
  // The router's 404/405/400: the same page as every other refusal, counted with the HTTP layer's.
  router.setRefusalPage([&services](const Request& req, const http::Refusal& refusal) {
    services.metrics.httpRefusal(refusal.reason);
    return layerRefusalPage(req, refusal);
  });
  if (services.flows) {
    // Every refused caller of a governance route is an admin action refused: in the audit trail.
    router.setCallerRefusalObserver(
        api::auditRefusedCallers(services.flows->audit, services.flows->clock));
  }
  // Ready once started, while the database answers at our schema version and, with [redis],
  // while Redis answers (a node that cannot check replays refuses launches: it must leave the load
  // balancer's pool). Reasons are logged, rate-limited.
  addHealthRoutes(router, [&services] {
    if (!services.ready.load()) {
      return false;
    }
    static std::atomic<core::UnixTime> last_logged{0};
    auto notReady = [](const char* what, const core::Error& error) {
      const core::UnixTime now = core::systemNow();
      if (last_logged.exchange(now) != now) {
        core::Logger("broker.readyz").warn(what, {{"error", error.describe()}});
      }
      return false;
    };
    auto probe = store::probeDatabase(services.config.store.database);
    if (!probe) {
      return notReady("not ready: the database does not answer", probe.error());
    }
    if (services.flows && services.flows->redis) {
      if (auto pinged = services.flows->redis->ping(); !pinged) {
        return notReady("not ready: Redis does not answer", pinged.error());
      }
    }
    return true;
  });
  if (metrics.listener == "public") {
    addMetricsRoute(router, [&services] { return services.metrics.exposition(); });
  }
  if (services.flows) {
    flows::mountFlows(router, *services.flows);
    flows::FlowServices& f = *services.flows;
    api::mountMediacentre(
        router, {f.clock, f.db, f.resources, f.publishers, services.config.broker.base_url});
    api::mountEstablishment(router, {f.clock, f.db, f.audit, f.admin_sessions});
    api::mountAdminAccounts(router, {f.clock, f.db, f.audit, f.admin_sessions});
    api::mountSessionApi(router, {f.admin_sessions, f.db});
    api::mountUsage(router, {f.clock, f.db, f.audit, f.admin_sessions});
    console::mountConsole(router);
    api::mountAdminAudit(router, {f.clock, f.db, f.audit, f.audit_subjects, f.admin_sessions});
    api::mountAdminCeilings(router, {f.clock, f.db, f.audit, f.admin_sessions});
    api::mountAdminCatalogue(router, {f.clock, f.db, f.audit, f.admin_sessions});
    api::mountAdminExplain(router, {f.clock, f.db, f.resources, f.policies, f.pseudonyms, f.audit,
                                    f.audit_subjects, f.admin_sessions});
    api::mountAdminMetadata(router, {f.clock, f.db, f.admin_sessions,
                                     services.config.federation.expiry_warning.count()});
    api::mountFeedApi(router, {f.db, f.clock, {}, {}});
    api::mountContracts(router, {f.clock, f.db, f.audit, f.admin_sessions,
                                 services.contract_metadata_signers});
  }
  // Other flows mount their routes here.
}

}  // namespace garde::broker

namespace garde::broker::commands {
namespace {

constexpr core::Logger kLog("broker.serve");

/// Writes a file the demo generates, owner-only (0600 whatever the umask) like every file in its
/// directory, which is created owner-only (0700) too.
void writeFile(const std::string& path, const std::string& content) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (auto created = core::createOwnerOnlyDirectories(dir); !created) {
    throw std::runtime_error(created.error().detail);
  }
  if (auto written = core::writeOwnerOnlyFile(path, content); !written) {
    throw std::runtime_error(written.error().detail);
  }
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

/// The certificates that must have signed contracts' metadata; none when the key is unset.
std::vector<saml::Certificate> loadContractSigners(const config::ContractsConfig& c) {
  if (c.metadata_signers_file.empty()) {
    return {};
  }
  auto certs = saml::certificatesFromPemBundle(
      config::readKeyedFile("contracts.metadata_signers_file", c.metadata_signers_file));
  if (!certs) {
    throw config::ConfigError("contracts.metadata_signers_file", certs.error().detail);
  }
  return std::move(certs).value();
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
  if (!c.server.client_ca_file.empty()) {
    o.client_ca_pem = config::readKeyedFile("server.client_ca_file", c.server.client_ca_file);
  }
  o.max_connections_per_address = c.server.max_connections_per_address;
  o.max_connections = c.server.max_connections;
  o.linger_timeout = c.server.linger_timeout;
  o.refusal_page = layerRefusalPage;
  return o;
}

/// The metrics listener (metrics.listener = "separate"): GET /metrics only, plain HTTP on a
/// loopback address, else HTTPS with the main listener's certificate.
http::ServerOptions metricsServerOptions(const config::Config& c) {
  http::ServerOptions o = serverOptions(c);
  o.address = c.metrics.listen_address;
  o.port = c.metrics.port;
  o.client_ca_pem.clear();
  o.threads = 1;
  o.max_connections = 64;
  o.max_connections_per_address = 16;
  o.body_limit = 4096;
  if (config::isLoopbackAddress(c.metrics.listen_address)) {
    o.tls = false;
    o.allow_plain_http_on_loopback = true;
  }
  return o;
}

/// The subscription web service's own listener (subscriptions.listener = "separate"): HTTPS with
/// the main listener's certificate and client CAs, at subscriptions.listen_address:port.
http::ServerOptions subscriptionsServerOptions(const config::Config& c) {
  http::ServerOptions o = serverOptions(c);
  o.address = c.subscriptions.listen_address;
  o.port = c.subscriptions.port;
  o.threads = 2;
  o.max_connections = 1024;
  return o;
}

}  // namespace

void prepareDemoFiles(const config::Config& demo) {
  // The demo's directory holds its keys and its database: created owner-only, and refused when it
  // exists and group or others may use it.
  const std::filesystem::path dir = std::filesystem::path(demo.store.database).parent_path();
  if (auto created = core::createOwnerOnlyDirectories(dir); !created) {
    throw std::runtime_error("--demo-dir: " + created.error().detail);
  }
  if (auto checked = core::checkOwnerOnly(dir.empty() ? "." : dir); !checked) {
    throw std::runtime_error("--demo-dir: " + checked.error().detail);
  }
  const auto& s = demo.server;
  if (!exists(s.tls_cert_file) || !exists(s.tls_key_file)) {
    const core::CertificatePem tls = core::generateSelfSignedTls("localhost", 365);
    writeFile(s.tls_key_file, tls.key);
    writeFile(s.tls_cert_file, tls.cert);
    kLog.info("demo: generated a self-signed TLS certificate", {{"file", s.tls_cert_file}});
  }
  const auto& b = demo.broker;
  if (!exists(b.signing_key_file) || !exists(b.signing_cert_file)) {
    const saml::PrivateKey key = saml::PrivateKey::generateRsa(2048);
    const saml::Certificate cert =
        saml::selfSign(key, "garde demo signing", core::systemNow(), core::systemRandom(), 3650);
    writeFile(b.signing_key_file, key.pem());
    writeFile(b.signing_cert_file, cert.pem());
    kLog.info("demo: generated a signing key", {{"file", b.signing_key_file}});
  }
  if (!demo.state.token_key_file.empty() && !exists(demo.state.token_key_file)) {
    writeFile(demo.state.token_key_file, core::hexEncode(core::systemRandom().bytes(32)) + "\n");
  }
  if (!demo.pseudonym.secret_file.empty() && !exists(demo.pseudonym.secret_file)) {
    writeFile(demo.pseudonym.secret_file, core::hexEncode(core::systemRandom().bytes(32)) + "\n");
  }
  if (!demo.audit.subject_secret_file.empty() && !exists(demo.audit.subject_secret_file)) {
    writeFile(demo.audit.subject_secret_file,
              core::hexEncode(core::systemRandom().bytes(32)) + "\n");
  }
}

namespace {

/// Opens the database and brings its schema to this binary's version (idempotent).
void migrateStore(const config::Config& cfg) {
  // A directory created for an SQLite database is owner-only; an existing one is the operator's.
  if (cfg.store.engine == config::StoreConfig::Engine::kSqlite) {
    if (auto created = core::createOwnerOnlyDirectories(
            std::filesystem::path(cfg.store.database).parent_path());
        !created) {
      throw std::runtime_error("store.database: " + created.error().detail);
    }
  }
  auto db = store::Db::open(cfg.store.database);
  if (!db) {
    throw std::runtime_error("store.database: " + db.error().describe());
  }
  if (auto m = store::migrate(*db); !m) {
    throw std::runtime_error("store.database: " + m.error().describe());
  }
}

/// --demo: the demo peers under /demo/ and the demo data pointing at them, and what the console
/// shows (accounts, history, a contract to review). Returns the console's accounts.
std::vector<demo::DemoAccount> installDemo(Router& router, const config::Config& cfg,
                                           const saml::Credential& signing,
                                           const std::filesystem::path& demo_dir) {
  demo::DemoSettings settings;
  settings.base_url = cfg.broker.base_url;
  settings.broker_idp_entity_id = cfg.broker.idp_entity_id;
  settings.broker_sp_entity_id = cfg.broker.sp_entity_id;
  settings.broker_signing_cert = signing.cert;
  settings.key_dir = demo_dir / "peers";
  // The partners' client certificates: the publishers create the subscriptions with theirs, the
  // ENT's médiacentre asks for its tiles with its own (docs/demo.md).
  const demo::DemoCallers callers = demo::loadOrCreateDemoCallers(settings.key_dir);
  settings.ent_client_cert = callers.ent;
  const store::DemoPeers peers = demo::installDemoPeers(router, settings);
  const core::SystemClock clock;
  auto loaded = demo::loadDemoData(cfg.store.database, peers, callers, clock);
  if (!loaded) {
    throw std::runtime_error("demo data: " + loaded.error().describe());
  }
  kLog.info(
      "demo: directory imported from the demo's feed files, subscriptions created through "
      "the subscription web service",
      {{"feed", std::to_string(loaded->feed.feed_id.value_or(0))},
       {"records", std::to_string(loaded->feed.records)},
       {"changed", std::to_string(loaded->feed.counts.total())},
       {"subscriptions", std::to_string(loaded->subscriptions.size())}});
  auto console = demo::loadDemoConsole(cfg.store.database, demo_dir, peers, clock);
  if (!console) {
    throw std::runtime_error("demo console: " + console.error().describe());
  }
  if (console->history_records > 0 || console->pending_contract) {
    kLog.info("demo: console history and a contract revision to review",
              {{"launch_records", std::to_string(console->history_records)},
               {"contract", console->pending_contract ? std::to_string(*console->pending_contract)
                                                      : std::string("-")}});
  }
  return console->accounts;
}

}  // namespace

saml::Credential loadCredential(const char* key_name, const std::string& key_file,
                                const char* cert_name, const std::string& cert_file) {
  auto key = saml::PrivateKey::fromPem(config::readKeyedFile(key_name, key_file));
  if (!key) {
    throw config::ConfigError(key_name, key.error().detail);
  }
  auto cert = saml::Certificate::fromPem(config::readKeyedFile(cert_name, cert_file));
  if (!cert) {
    throw config::ConfigError(cert_name, cert.error().detail);
  }
  if (!key->matches(*cert)) {
    throw config::ConfigError(cert_name, std::string("does not match ") + key_name);
  }
  return saml::Credential{std::move(key).value(), std::move(cert).value()};
}

saml::Credential loadSigning(const config::BrokerConfig& b) {
  return loadCredential("broker.signing_key_file", b.signing_key_file, "broker.signing_cert_file",
                        b.signing_cert_file);
}

std::optional<saml::Credential> loadNextSigning(const config::BrokerConfig& b,
                                                const saml::Credential& signing) {
  if (b.next_signing_key_file.empty()) {
    return std::nullopt;
  }
  saml::Credential next = loadCredential("broker.next_signing_key_file", b.next_signing_key_file,
                                         "broker.next_signing_cert_file", b.next_signing_cert_file);
  if (next.cert == signing.cert) {
    throw config::ConfigError("broker.next_signing_cert_file",
                              "is the signing certificate itself: the next key must be another");
  }
  return next;
}

int serve(const ServeOptions& options) {
  config::Config cfg;
  if (options.demo) {
    cfg = config::demoConfig(std::filesystem::absolute(options.demo_dir).lexically_normal(),
                             options.port);
    if (options.public_port != 0) {
      // One node of several behind a load balancer on that port: the URLs peers see are its.
      cfg.broker.base_url = "https://localhost:" + std::to_string(options.public_port);
      cfg.broker.idp_entity_id = cfg.broker.base_url + "/saml/idp/metadata";
      cfg.broker.sp_entity_id = cfg.broker.base_url + "/saml/sp/metadata";
    }
    cfg.redis.address = options.redis;
    prepareDemoFiles(cfg);
    if (!options.postgresql.empty()) {
      if (store::engineOf(options.postgresql) != store::Engine::kPostgresql) {
        std::cerr << "garde serve: --postgresql wants a libpq URL, postgresql://...\n";
        return kExitUsage;
      }
      cfg.store.engine = config::StoreConfig::Engine::kPostgresql;
      cfg.store.url = options.postgresql;
      cfg.store.database = options.postgresql;
    }
  } else if (!options.config_path.empty()) {
    cfg = config::loadConfig(options.config_path);
  } else {
    std::cerr
        << "garde serve: give --config FILE, or --demo to run on the embedded demo defaults\n";
    return kExitUsage;
  }
  core::setLogLevel(cfg.log.level);
  // Keys and the audit file: owner-only or no start (the database is checked when it is opened).
  config::checkOwnerOnlyFiles(cfg);

  Metrics metrics;
  core::SystemClock clock;
  Services services{cfg,
                    metrics,
                    clock,
                    core::systemRandom(),
                    loadSigning(cfg.broker),
                    config::readTokenKey(cfg.state)};
  services.contract_metadata_signers = loadContractSigners(cfg.contracts);
  migrateStore(cfg);
  // Who calls the partner APIs: the registered client certificates, read through a cache that
  // follows the registry generation (`garde ent|publisher add` changes are in force at once).
  flows::DbPool caller_db(cfg.store.database, {}, static_cast<std::size_t>(cfg.store.pool_size));
  const StoreCallerRegistry callers(caller_db, clock);
  const CallerAuthenticators authenticators{callers.registry(), nullptr};
  Router router(authenticators);
  std::vector<demo::DemoAccount> demo_accounts;
  if (options.demo) {
    demo_accounts = installDemo(router, cfg, services.signing,
                                std::filesystem::absolute(options.demo_dir).lexically_normal());
  }
  services.flows = flows::makeFlowServices(cfg, metrics, clock, services.random, services.signing,
                                           services.state_key);
  if (store::RedisClient* redis = services.flows->redis.get()) {
    metrics.setRedisSource([redis] { return RedisGauge{redis->up(), redis->failures()}; });
    // Not fatal at start: the node starts not ready and becomes ready when Redis answers.
    if (auto pinged = redis->ping(); !pinged) {
      kLog.warn("Redis does not answer yet: launches are refused until it does",
                {{"error", pinged.error().detail}});
    } else {
      kLog.info("replay caches shared in Redis", {{"address", cfg.redis.address}});
    }
  }
  // A rollover's other key: published beside the signing key, decrypts, never signs.
  if (auto next = loadNextSigning(cfg.broker, services.signing)) {
    services.flows->sp.next_signing = *next;
    services.flows->idp.next_signing = *next;
    kLog.info("signing key rollover: the next key is published",
              {{"next", next->cert.fingerprint().substr(0, 16)}});
  }
  router.setAdminSessionVerifier(services.flows->admin_sessions.verifier());
  // Onboarding (garde ent|publisher add) and feeds change the peers: every node reloads them.
  flows::RegistryRefresher refresher(*services.flows, cfg.store.database);
  flows::AuditPurger purger(services.flows->clock, cfg.audit.retention_days, cfg.store.database);
  // Peers' metadata fetched from their sources, off the request path (docs/metadata-sources.md).
  flows::MetadataRefresher metadata_refresher(
      services.flows->clock, metrics, cfg.store.database,
      flows::metadataRefreshOptions(cfg.federation),
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.federation.check_period));
  mountRoutes(router, services, cfg.metrics);
  // The subscription web service: under /abonnements/ on the main listener, and with listener =
  // "separate" at the root of a listener of its own too (docs/partner-apis.md).
  const api::SubscriptionApiDeps subscription_deps{caller_db, clock};
  Router subscriptions_router(authenticators);
  std::unique_ptr<http::Server> subscriptions_server;
  if (cfg.subscriptions.listener != "off") {
    if (cfg.server.client_ca_file.empty()) {
      kLog.warn(
          "the subscription web service refuses every caller: server.client_ca_file is not set, "
          "so no client certificate is asked for");
    }
    api::mountSubscriptionApi(router, subscription_deps, "/abonnements");
  }
  if (cfg.subscriptions.listener == "separate") {
    subscriptions_router.setRefusalPage(
        [&services](const Request& req, const http::Refusal& refusal) {
          services.metrics.httpRefusal(refusal.reason);
          return layerRefusalPage(req, refusal);
        });
    addHealthRoutes(subscriptions_router, [&services] { return services.ready.load(); });
    api::mountSubscriptionApi(subscriptions_router, subscription_deps, "");
    subscriptions_server = std::make_unique<http::Server>(
        subscriptionsServerOptions(cfg),
        [&subscriptions_router](Request& req) { return subscriptions_router.dispatch(req); },
        &metrics);
  }

  http::Server server(
      serverOptions(cfg), [&router](Request& req) { return router.dispatch(req); }, &metrics);
  Router metrics_router;
  std::unique_ptr<http::Server> metrics_server;
  if (cfg.metrics.listener == "separate") {
    addMetricsRoute(metrics_router, [&metrics] { return metrics.exposition(); });
    metrics_server = std::make_unique<http::Server>(
        metricsServerOptions(cfg),
        [&metrics_router](Request& req) { return metrics_router.dispatch(req); });
  }
  server.start();
  std::string metrics_url = "(off)";
  if (metrics_server) {
    metrics_server->start();
    const bool plain = config::isLoopbackAddress(cfg.metrics.listen_address);
    const std::string host = cfg.metrics.listen_address.find(':') != std::string::npos
                                 ? "[" + cfg.metrics.listen_address + "]"
                                 : cfg.metrics.listen_address;
    metrics_url = std::string(plain ? "http://" : "https://") + host + ":" +
                  std::to_string(metrics_server->port()) + "/metrics";
    kLog.info("metrics listener", {{"url", metrics_url}});
  } else if (cfg.metrics.listener == "public") {
    metrics_url = cfg.broker.base_url + "/metrics";
  }
  if (subscriptions_server) {
    subscriptions_server->start();
    const std::string host = cfg.subscriptions.listen_address.find(':') != std::string::npos
                                 ? "[" + cfg.subscriptions.listen_address + "]"
                                 : cfg.subscriptions.listen_address;
    kLog.info(
        "subscription web service listener",
        {{"url", "https://" + host + ":" + std::to_string(subscriptions_server->port()) + "/"}});
  }
  services.ready.store(true);
  kLog.info("serving", {{"base_url", cfg.broker.base_url}, {"config", cfg.source}});
  if (options.demo) {
    std::printf(
        "\ngarde demo is running (self-signed certificate: accept it in the browser, or curl -k)\n"
        "  %s/demo/            the demo ENT, its médiacentre and the demo publishers\n"
        "  %s/saml/sp/metadata  %s/saml/idp/metadata\n"
        "  %s/healthz\n  %s/readyz\n  %s\n"
        "Files: %s\nStop with Ctrl-C.\n\n",
        cfg.broker.base_url.c_str(), cfg.broker.base_url.c_str(), cfg.broker.base_url.c_str(),
        cfg.broker.base_url.c_str(), cfg.broker.base_url.c_str(), metrics_url.c_str(),
        std::filesystem::path(cfg.server.tls_cert_file).parent_path().c_str());
    std::printf("The console: %s/admin/\n", cfg.broker.base_url.c_str());
    for (const auto& a : demo_accounts) {
      std::printf("  %-6s %-15s password %s\n", a.username.c_str(), a.role.c_str(),
                  a.password.c_str());
    }
    std::printf(
        "  assignment managers sign in through the demo ENT: ens-0001 (the collège 0561534N),\n"
        "  ens-0002 (the lycée 0561641E)\n\n");
    std::fflush(stdout);
  }
  server.runUntilSignal();
  services.ready.store(false);
  if (metrics_server) {
    metrics_server->stop();
  }
  if (subscriptions_server) {
    subscriptions_server->stop();
  }
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
  auto* port_opt =
      sub->add_option("--port", options->port,
                      "With --demo: the port to listen on (base URL https://localhost:PORT)")
          ->check(CLI::Range(1, 65535))
          ->capture_default_str();
  port_opt->needs(demo_flag);
  sub->add_option("--public-port", options->public_port,
                  "With --demo: the port of a load balancer in front of several nodes (base URL "
                  "https://localhost:PUBLIC_PORT; scripts/cluster)")
      ->check(CLI::Range(1, 65535))
      ->needs(demo_flag);
  sub->add_option("--redis", options->redis,
                  "With --demo: the Redis that the nodes share their replay caches in "
                  "(host:port or unix:/path; docs/deployment.md)")
      ->needs(demo_flag);
  sub->add_option("--postgresql", options->postgresql,
                  "With --demo: keep the store in this PostgreSQL database (a libpq URL, "
                  "postgresql://...) rather than the demo's SQLite file (docs/deployment.md)")
      ->needs(demo_flag);
  config_opt->excludes(demo_flag);
  sub->callback([options] {
    const int rc = serve(*options);
    if (rc != kExitOk) {
      throw CLI::RuntimeError(rc);
    }
  });
}

}  // namespace garde::broker::commands
