#include "broker/flows/services.h"

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

std::unique_ptr<FlowServices> makeFlowServices(const config::Config& config, Metrics& metrics,
                                               core::Clock& clock, core::Random& random,
                                               const saml::Credential& signing,
                                               const std::string& state_key) {
  auto db = store::Db::open(config.store.database);
  if (!db) {
    throw std::runtime_error("store.database: " + db.error().describe());
  }
  const core::UnixTime now = clock.now();
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
  core::Logger("broker.serve")
      .info("flows ready", {{"ents", std::to_string(services->ents.all().size())},
                            {"publishers", std::to_string(services->publishers.size())}});
  return services;
}

}  // namespace garde::broker::flows
