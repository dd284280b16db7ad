#pragma once
/// @file The services the launch and SSO flows are built on, owned in one place: built by `serve`
/// (or a test) once the database is ready, then lent to each route's deps struct by mountFlows()
/// (broker/flows/deps.h). Members are immutable or thread-safe.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/audit_subject.h"
#include "broker/flows/db_pool.h"
#include "broker/flows/deps.h"
#include "broker/flows/live.h"
#include "broker/metrics.h"
#include "config/config.h"
#include "connectors/ent/ent_side.h"
#include "connectors/publisher/publisher_side.h"
#include "core/random.h"
#include "core/sealed_token.h"
#include "core/time.h"
#include "policy/pseudonym.h"
#include "saml/keys.h"
#include "saml/replay_cache.h"
#include "store/launch.h"
#include "store/policy_store.h"
#include "store/redis.h"

namespace garde::broker::flows {

/// What the flows own. The route deps refer to its members, so the object is never moved once
/// built (held by unique_ptr) and must outlive the router.
struct FlowServices {
  FlowServices(const config::Config& config, Metrics& metrics, core::Clock& clock,
               core::Random& random, const saml::Credential& signing, const std::string& state_key,
               connectors::ent::EntRegistry ent_registry,
               connectors::publisher::PublisherRegistry publisher_registry,
               policy::PseudonymSettings pseudonym_settings);
  FlowServices(const FlowServices&) = delete;
  FlowServices& operator=(const FlowServices&) = delete;

  Metrics& metrics;
  core::Clock& clock;
  core::Random& random;
  core::TokenSealer sealer;  ///< [state] key, key id 1
  DbPool db;                 ///< store.database, one connection per request at a time
  /// ENT IdP metadata and publisher SP metadata, parsed at start-up and again by
  /// refreshRegistries() when the store's peers change.
  Live<connectors::ent::EntRegistry> ents;
  Live<connectors::publisher::PublisherRegistry> publishers;
  connectors::ent::SpSettings sp;
  connectors::publisher::IdpSettings idp;
  /// [redis]: the shared replay caches of several nodes; null when each process keeps its own.
  std::unique_ptr<store::RedisClient> redis;
  /// The ENT assertions' IDs (and the resource choices): in memory, or in Redis with [redis].
  std::unique_ptr<saml::ReplayCache> replay_cache;
  /// Publisher AuthnRequest and LogoutRequest IDs, idem (a cache of its own: unsigned requests
  /// can fill it, and they must not crowd out the ENT assertions').
  std::unique_ptr<saml::ReplayCache> request_replay_cache;
  policy::Pseudonymizer pseudonyms;                ///< [pseudonym] secret
  AuditSink audit;                                 ///< log.audit_file, or the main log
  AuditSubjects audit_subjects;                    ///< [audit] subject secret: who a row is about
  store::PolicyCache policies;     ///< the current policy, re-read when its generation changes
  store::ResourceCache resources;  ///< resources and contracts, idem for the registry generation
  FlowSettings settings;
  /// Admin sessions (the [state] key's sealer): the ENT sign-in of assignment managers opens them.
  admin::AdminSessions admin_sessions;
  /// The registry generation the registries were loaded at (refreshRegistries).
  std::atomic<std::int64_t> registry_generation{-1};
  /// The earliest validUntil of the peers' metadata in force: refreshRegistries reloads at that
  /// time even when the generation has not moved, so expired metadata stops being served.
  std::atomic<core::UnixTime> registry_expires_at{std::numeric_limits<core::UnixTime>::max()};
};

/// Reloads both registries from `db` when the store's registry generation differs from the last
/// one seen (ENTs, establishments, publishers, resources or contracts changed), and puts them in
/// force. Returns whether it reloaded. Called off the request path (serve's registry thread, every
/// few seconds); a store error keeps the registries in force and is returned.
core::Result<bool> refreshRegistries(FlowServices& services, store::Db& db);

/// The nice value of the periodic tasks' threads where SCHED_IDLE is refused (the lowest
/// priority): the I/O threads come first.
inline constexpr int kBackgroundNice = 19;

/// Lowers the calling thread to SCHED_IDLE (a thread of any other policy that wakes up takes its
/// CPU at once), or where that is refused to nice kBackgroundNice. Returns the scheduling it got:
/// "idle", "nice" or "" when neither could be set.
std::string lowerThreadPriority();

/// Runs `task` every `period` on a thread and a database connection of its own, at the lowest
/// priority (lowerThreadPriority), until destroyed (which waits for the thread). A failure is logged (with
/// `name`) and retried at the next period, on a new connection. With `run_first`, also once as
/// soon as the thread starts.
class PeriodicDbTask {
 public:
  using Task = std::function<core::Status(store::Db&)>;
  PeriodicDbTask(std::string name, std::string database, std::chrono::milliseconds period,
                 Task task, bool run_first = false);
  ~PeriodicDbTask();
  PeriodicDbTask(const PeriodicDbTask&) = delete;
  PeriodicDbTask& operator=(const PeriodicDbTask&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

/// refreshRegistries every `period` (serve: every 2 s).
class RegistryRefresher {
 public:
  RegistryRefresher(FlowServices& services, std::string database,
                    std::chrono::milliseconds period = std::chrono::seconds(2));

 private:
  PeriodicDbTask task_;
};

/// At start and every `period` (serve: every 10 minutes): brings the usage aggregates up to date
/// (store::aggregateUsage, docs/usage.md), then deletes the audit rows older than
/// `retention_days` (docs/audit.md), so that no launch leaves the trail before it is counted.
class AuditPurger {
 public:
  AuditPurger(const core::Clock& clock, std::int64_t retention_days, std::string database,
              std::chrono::milliseconds period = std::chrono::minutes(10));

 private:
  PeriodicDbTask task_;
};

/// The [pseudonym] settings with the secret read from its file. Throws config::ConfigError.
policy::PseudonymSettings pseudonymSettings(const config::Config& config);

/// Builds the flows' services from the config and the (migrated) database at
/// `config.store.database`: loads both registries, reads the pseudonym secret. Throws
/// config::ConfigError or std::runtime_error (a start-up failure). `metrics`, `clock` and `random`
/// must outlive the result.
std::unique_ptr<FlowServices> makeFlowServices(const config::Config& config, Metrics& metrics,
                                               core::Clock& clock, core::Random& random,
                                               const saml::Credential& signing,
                                               const std::string& state_key);

}  // namespace garde::broker::flows
