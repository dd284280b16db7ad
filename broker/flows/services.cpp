#include "broker/flows/services.h"

#include <optional>
#include <stdexcept>

#include "core/log.h"
#include "store/db.h"

namespace garde::broker::flows {

FlowServices::FlowServices(const config::Config& config, Metrics& metrics_in, core::Clock& clock_in,
                           core::Random& random_in, const saml::Credential& signing,
                           const std::string& state_key, connectors::ent::EntRegistry ent_registry,
                           connectors::publisher::PublisherRegistry publisher_registry,
                           policy::PseudonymSettings pseudonym_settings)
    : metrics(metrics_in),
      clock(clock_in),
      random(random_in),
      sealer(state_key, 1, random_in),
      db(config.store.database),
      ents(std::move(ent_registry)),
      publishers(std::move(publisher_registry)),
      replay_cache(static_cast<std::size_t>(config.broker.replay_cache_entries)),
      request_replay_cache(static_cast<std::size_t>(config.broker.replay_cache_entries)),
      pseudonyms(std::move(pseudonym_settings)),
      audit(config.log.audit_file, config.store.database),
      audit_subjects(config::readAuditSubjectSecret(config.audit)),
      admin_sessions(sealer, clock_in, random_in) {
  const auto& b = config.broker;
  sp.entity_id = b.sp_entity_id;
  sp.acs_url = b.base_url + "/saml/sp/acs";
  sp.signing = signing;
  sp.skew_seconds = b.clock_skew.count();
  sp.require_signed_assertion = b.want_assertions_signed;
  idp.entity_id = b.idp_entity_id;
  idp.sso_url = b.base_url + "/saml/idp/sso";
  idp.signing = signing;
  idp.skew_seconds = b.clock_skew.count();
}

core::Result<bool> refreshRegistries(FlowServices& services, store::Db& db) {
  GARDE_ASSIGN_OR_RETURN(const std::int64_t generation, store::registryGeneration(db));
  if (generation == services.registry_generation.load()) {
    return false;
  }
  const core::UnixTime now = services.clock.now();
  GARDE_ASSIGN_OR_RETURN(auto ents, connectors::ent::EntRegistry::load(db, now));
  GARDE_ASSIGN_OR_RETURN(auto publishers, connectors::publisher::PublisherRegistry::load(db, now));
  const std::size_t ent_count = ents.all().size();
  const std::size_t publisher_count = publishers.size();
  services.ents.replace(std::move(ents));
  services.publishers.replace(std::move(publishers));
  services.registry_generation = generation;
  core::Logger("broker.registry")
      .info("registries reloaded", {{"generation", std::to_string(generation)},
                                    {"ents", std::to_string(ent_count)},
                                    {"publishers", std::to_string(publisher_count)}});
  return true;
}

RegistryRefresher::RegistryRefresher(FlowServices& services, std::string database,
                                     std::chrono::milliseconds period) {
  thread_ = std::thread([this, &services, database = std::move(database), period] {
    const core::Logger log("broker.registry");
    std::optional<store::Db> db;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      if (!db) {
        if (auto opened = store::Db::open(database)) {
          db.emplace(std::move(opened).value());
        } else {
          log.warn("registry refresh: cannot open the database",
                   {{"error", opened.error().describe()}});
        }
      }
      if (db) {
        if (auto refreshed = refreshRegistries(services, *db); !refreshed) {
          log.warn("registry refresh failed; the registries in force stay",
                   {{"error", refreshed.error().describe()}});
          db.reset();  // reopen next time
        }
      }
      lock.lock();
    }
  });
}

RegistryRefresher::~RegistryRefresher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
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
  auto ents = connectors::ent::EntRegistry::load(*db, now);
  if (!ents) {
    throw std::runtime_error("cannot load the ENTs: " + ents.error().describe());
  }
  auto publishers = connectors::publisher::PublisherRegistry::load(*db, now);
  if (!publishers) {
    throw std::runtime_error("cannot load the publishers: " + publishers.error().describe());
  }
  policy::PseudonymSettings pseudonym;
  pseudonym.secret = config::readPseudonymSecret(config.pseudonym);
  pseudonym.secret_version = config.pseudonym.secret_version;
  pseudonym.scope = config.pseudonym.scope == "shared" ? policy::PseudonymScope::kShared
                                                       : policy::PseudonymScope::kPerPublisher;
  pseudonym.encoding = config.pseudonym.encoding == "hex" ? policy::PseudonymEncoding::kHex
                                                          : policy::PseudonymEncoding::kBase64Url;
  auto services = std::make_unique<FlowServices>(
      config, metrics, clock, random, signing, state_key, std::move(ents).value(),
      std::move(publishers).value(), std::move(pseudonym));
  services->registry_generation = *generation;
  core::Logger("broker.serve")
      .info("flows ready", {{"ents", std::to_string(services->ents->all().size())},
                            {"publishers", std::to_string(services->publishers->size())}});
  return services;
}

}  // namespace garde::broker::flows
