#include "broker/flows/services.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>

#include "core/log.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/usage.h"

namespace garde::broker::flows {
namespace {

std::unique_ptr<store::RedisClient> makeRedisClient(const config::RedisConfig& c) {
  if (c.address.empty()) {
    return nullptr;
  }
  store::RedisSettings settings;
  settings.address = c.address;
  settings.password = config::readRedisPassword(c);
  settings.database = c.database;
  settings.key_prefix = c.key_prefix;
  settings.timeout = c.timeout;
  settings.pool_size = c.pool_size;
  auto client = store::RedisClient::create(std::move(settings));
  if (!client) {
    throw config::ConfigError("redis.address", client.error().detail);
  }
  return std::move(client).value();
}

/// `window`: the longest an entry of this cache lives (RedisReplayCache's epoch rule).
std::unique_ptr<saml::ReplayCache> makeReplayCache(const config::Config& config,
                                                   store::RedisClient* redis, const char* name,
                                                   std::int64_t window) {
  if (redis != nullptr) {
    return std::make_unique<store::RedisReplayCache>(*redis, name, window);
  }
  return std::make_unique<saml::InMemoryReplayCache>(
      static_cast<std::size_t>(config.broker.replay_cache_entries));
}

}  // namespace

FlowServices::FlowServices(const config::Config& config, Metrics& metrics_in, core::Clock& clock_in,
                           core::Random& random_in, const saml::Credential& signing,
                           const std::string& state_key, connectors::ent::EntRegistry ent_registry,
                           connectors::publisher::PublisherRegistry publisher_registry,
                           policy::PseudonymSettings pseudonym_settings)
    : metrics(metrics_in),
      clock(clock_in),
      random(random_in),
      sealer(state_key, 1, random_in),
      db(config.store.database, {}, static_cast<std::size_t>(config.store.pool_size)),
      ents(std::move(ent_registry)),
      publishers(std::move(publisher_registry)),
      redis(makeRedisClient(config.redis)),
      pseudonyms(std::move(pseudonym_settings)),
      audit(config.log.audit_file, config.store.database),
      audit_subjects(config::readAuditSubjectSecret(config.audit)),
      admin_sessions(sealer, clock_in, random_in) {
  const auto& b = config.broker;
  sp.entity_id = b.sp_entity_id;
  sp.acs_url = b.base_url + "/saml/sp/acs";
  sp.slo_url = b.base_url + "/saml/sp/slo";
  sp.signing = signing;
  sp.skew_seconds = b.clock_skew.count();
  sp.require_signed_assertion = b.want_assertions_signed;
  sp.metadata_validity_seconds = b.metadata_validity.count();
  sp.metadata_cache_seconds = b.metadata_cache.count();
  idp.entity_id = b.idp_entity_id;
  idp.sso_url = b.base_url + "/saml/idp/sso";
  idp.slo_url = b.base_url + "/saml/idp/slo";
  idp.signing = signing;
  idp.skew_seconds = b.clock_skew.count();
  idp.metadata_validity_seconds = b.metadata_validity.count();
  idp.metadata_cache_seconds = b.metadata_cache.count();
  // The longest an entry lives: an ENT assertion or a choice, the SSO transaction plus the skew;
  // an AuthnRequest or LogoutRequest, its freshness plus twice the skew (it may be dated ahead).
  replay_cache = makeReplayCache(config, redis.get(), "assertion",
                                 settings.state_lifetime_seconds + sp.skew_seconds);
  request_replay_cache =
      makeReplayCache(config, redis.get(), "request",
                      idp.request_max_age_seconds + 2 * idp.skew_seconds + 1);
}

namespace {

core::UnixTime earliestValidUntil(const connectors::ent::EntRegistry& ents,
                                  const connectors::publisher::PublisherRegistry& publishers) {
  core::UnixTime earliest = std::numeric_limits<core::UnixTime>::max();
  for (const auto& e : ents.all()) {
    earliest = std::min(earliest, e.metadata.valid_until.value_or(earliest));
  }
  for (const auto& p : publishers.all()) {
    earliest = std::min(earliest, p.metadata.valid_until.value_or(earliest));
  }
  return earliest;
}

}  // namespace

core::Result<bool> refreshRegistries(FlowServices& services, store::Db& db) {
  GARDE_ASSIGN_OR_RETURN(const std::int64_t generation, store::registryGeneration(db));
  const core::UnixTime now = services.clock.now();
  // Also when a peer's metadata in force reaches its validUntil: it must stop being served.
  if (generation == services.registry_generation.load() &&
      now < services.registry_expires_at.load()) {
    return false;
  }
  connectors::metadata::SourceDocuments sources(db, now);  // one aggregate parse for both
  GARDE_ASSIGN_OR_RETURN(auto ents, connectors::ent::EntRegistry::load(db, now, &sources));
  GARDE_ASSIGN_OR_RETURN(auto publishers,
                         connectors::publisher::PublisherRegistry::load(db, now, &sources));
  const std::size_t ent_count = ents.all().size();
  const std::size_t publisher_count = publishers.size();
  services.registry_expires_at = earliestValidUntil(ents, publishers);
  services.ents.replace(std::move(ents));
  services.publishers.replace(std::move(publishers));
  services.registry_generation = generation;
  core::Logger("broker.registry")
      .info("registries reloaded", {{"generation", std::to_string(generation)},
                                    {"ents", std::to_string(ent_count)},
                                    {"publishers", std::to_string(publisher_count)}});
  return true;
}

std::string lowerThreadPriority() {
  // On Linux both apply to the calling thread only (its TID), not to the process.
  const sched_param param{};
  if (::sched_setscheduler(::gettid(), SCHED_IDLE, &param) == 0) {
    return "idle";
  }
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kBackgroundNice) == 0) {
    return "nice";
  }
  return "";
}

PeriodicDbTask::PeriodicDbTask(std::string name, std::string database,
                               std::chrono::milliseconds period, Task task, bool run_first) {
  thread_ = std::thread([this, name = std::move(name), database = std::move(database), period,
                         task = std::move(task), run_first] {
    const core::Logger log("broker.periodic");
    // Background work (registry reloads, metadata refreshes, the audit purge) yields the CPU to
    // the I/O threads: a reload of a large aggregate must not move the launches' latency
    // (docs/performance.md, "metadata aggregates").
    if (lowerThreadPriority().empty()) {
      log.info("periodic task: priority not lowered", {{"task", name}});
    }
    std::optional<store::Db> db;
    const auto once = [&] {
      if (!db) {
        if (auto opened = store::Db::open(database)) {
          db.emplace(std::move(opened).value());
        } else {
          log.warn("periodic task: cannot open the database",
                   {{"task", name}, {"error", opened.error().describe()}});
          return;
        }
      }
      if (auto done = task(*db); !done) {
        log.warn("periodic task failed; retried at the next period",
                 {{"task", name}, {"error", done.error().describe()}});
        db.reset();  // reopen next time
      }
    };
    std::unique_lock lock(mutex_);
    if (run_first && !stopping_) {
      lock.unlock();
      once();
      lock.lock();
    }
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      once();
      lock.lock();
    }
  });
}

PeriodicDbTask::~PeriodicDbTask() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

RegistryRefresher::RegistryRefresher(FlowServices& services, std::string database,
                                     std::chrono::milliseconds period)
    : task_("registry refresh", std::move(database), period, [&services](store::Db& db) -> core::Status {
        // A store error keeps the registries in force.
        GARDE_TRY(refreshRegistries(services, db));
        return {};
      }) {}

AuditPurger::AuditPurger(const core::Clock& clock, std::int64_t retention_days,
                         std::string database, std::chrono::milliseconds period)
    : task_(
          "audit purge", std::move(database), period,
          [&clock, retention_days](store::Db& db) -> core::Status {
            GARDE_TRY(store::aggregateUsage(db, clock.now()));
            const core::UnixTime before = clock.now() - retention_days * 86400;
            GARDE_ASSIGN_OR_RETURN(const std::int64_t purged, store::purgeAuditBefore(db, before));
            if (purged > 0) {
              core::Logger("broker.audit")
                  .info("audit rows past their retention deleted",
                        {{"rows", std::to_string(purged)},
                         {"before", core::formatIso8601(before)}});
            }
            return {};
          },
          /*run_first=*/true) {}

policy::PseudonymSettings pseudonymSettings(const config::Config& config) {
  policy::PseudonymSettings pseudonym;
  pseudonym.secret = config::readPseudonymSecret(config.pseudonym);
  pseudonym.secret_version = config.pseudonym.secret_version;
  pseudonym.scope = config.pseudonym.scope == "shared" ? policy::PseudonymScope::kShared
                                                       : policy::PseudonymScope::kPerPublisher;
  pseudonym.encoding = config.pseudonym.encoding == "hex" ? policy::PseudonymEncoding::kHex
                                                          : policy::PseudonymEncoding::kBase64Url;
  return pseudonym;
}

std::unique_ptr<FlowServices> makeFlowServices(const config::Config& config, Metrics& metrics,
                                               core::Clock& clock, core::Random& random,
                                               const saml::Credential& signing,
                                               const std::string& state_key) {
  auto db = store::Db::open(config.store.database);
  if (!db) {
    throw std::runtime_error("store.database: " + db.error().describe());
  }
  const core::UnixTime now = clock.now();
  // Read before the registries: a change between the two reads is picked up by the next refresh.
  auto generation = store::registryGeneration(*db);
  if (!generation) {
    throw std::runtime_error("cannot read the registry generation: " +
                             generation.error().describe());
  }
  connectors::metadata::SourceDocuments sources(*db, now);
  auto ents = connectors::ent::EntRegistry::load(*db, now, &sources);
  if (!ents) {
    throw std::runtime_error("cannot load the ENTs: " + ents.error().describe());
  }
  auto publishers = connectors::publisher::PublisherRegistry::load(*db, now, &sources);
  if (!publishers) {
    throw std::runtime_error("cannot load the publishers: " + publishers.error().describe());
  }
  auto services = std::make_unique<FlowServices>(
      config, metrics, clock, random, signing, state_key, std::move(ents).value(),
      std::move(publishers).value(), pseudonymSettings(config));
  services->registry_generation = *generation;
  services->registry_expires_at = earliestValidUntil(*services->ents, *services->publishers);
  core::Logger("broker.serve")
      .info("flows ready", {{"ents", std::to_string(services->ents->all().size())},
                            {"publishers", std::to_string(services->publishers->size())}});
  return services;
}

}  // namespace garde::broker::flows
