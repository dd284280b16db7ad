#pragma once
/// @file What each flow handler gets when it is mounted: a small struct of exactly what it uses,
/// built once by mountFlows() from the services `serve` creates (flows::FlowServices), then never
/// changed (docs/architecture.md, "Handler shape"). References point to services that outlive the
/// router and are immutable or thread-safe (registries, settings and the sealer are immutable; the
/// clock, randomness, metrics, database pool, caches, replay caches and audit sink are
/// thread-safe); the rest is immutable settings held by value. One struct serves every I/O thread.

#include <cstdint>
#include <string>
#include <vector>

#include "broker/admin/session.h"
#include "broker/flows/audit_sink.h"
#include "broker/flows/audit_subject.h"
#include "broker/flows/db_pool.h"
#include "broker/flows/live.h"
#include "broker/metrics.h"
#include "connectors/ent/ent_side.h"
#include "connectors/publisher/publisher_side.h"
#include "core/random.h"
#include "core/sealed_token.h"
#include "core/time.h"
#include "policy/pseudonym.h"
#include "saml/replay_cache.h"
#include "store/launch.h"
#include "store/policy_store.h"

namespace garde::broker::flows {

/// The settings every flow shares (config: not yet keys of their own).
struct FlowSettings {
  /// Whom the refusal page tells the user to contact.
  std::string contact = "le référent numérique de votre établissement";
  /// Lifetime of the launch cookie and of the SSO transaction (seconds).
  std::int64_t state_lifetime_seconds = 600;
  /// Lifetime of the session cookie that single logout reads (seconds): a school day.
  std::int64_t session_lifetime_seconds = 10 * 3600;
};

/// What a refusal needs (detail::refuse): count it, render the page, and seal the way back to the
/// publisher when one asked.
struct RefusalDeps {
  Metrics& metrics;
  const core::Clock& clock;
  const core::TokenSealer& sealer;
  FlowSettings settings;
};

/// What sending the browser to the ENT needs (detail::startEntLeg): a fresh AuthnRequest ID and
/// browser binding, the sealed transaction, our SP face.
struct EntLegDeps {
  const core::Clock& clock;
  core::Random& random;
  const core::TokenSealer& sealer;
  const Live<connectors::ent::EntRegistry>& ents;
  const connectors::ent::SpSettings& sp;
  std::int64_t state_lifetime_seconds;
};

/// What answering a publisher needs (signed Responses: success, NoPassive, errors): our IdP face
/// and randomness for IDs and CSP nonces.
struct PublisherAnswerDeps {
  core::Random& random;
  const connectors::publisher::IdpSettings& idp;
};

/// GET /launch/{resourceId} and GET /domaineGar.
struct LaunchDeps {
  RefusalDeps refusals;
  EntLegDeps ent_leg;
  const core::Clock& clock;
  const core::TokenSealer& sealer;  ///< the launch cookie
  std::int64_t state_lifetime_seconds;
  DbPool& db;
  store::ResourceCache& resources;
  const Live<connectors::ent::EntRegistry>& ents;
  const Live<connectors::publisher::PublisherRegistry>& publishers;
};

/// GET, POST /saml/idp/sso.
struct IdpSsoDeps {
  RefusalDeps refusals;
  EntLegDeps ent_leg;
  PublisherAnswerDeps answer;  ///< NoPassive
  const core::Clock& clock;
  const core::TokenSealer& sealer;  ///< the launch cookie in, the discovery token out
  std::int64_t state_lifetime_seconds;
  const Live<connectors::publisher::PublisherRegistry>& publishers;
  const connectors::publisher::IdpSettings& idp;
  /// Publisher AuthnRequest IDs taken, per publisher, while the request is fresh. Its own cache:
  /// unsigned requests can fill it, and they must not crowd out the ENT assertions'.
  saml::ReplayCache& request_replay_cache;
  DbPool& db;
  store::ResourceCache& resources;
};

/// GET, POST /discovery.
struct DiscoveryDeps {
  RefusalDeps refusals;
  EntLegDeps ent_leg;
  const core::Clock& clock;
  const core::TokenSealer& sealer;  ///< the pending request
  const Live<connectors::ent::EntRegistry>& ents;
};

/// POST /saml/sp/acs.
struct AcsDeps {
  RefusalDeps refusals;
  PublisherAnswerDeps answer;  ///< the assertion, or NoPassive
  Metrics& metrics;            ///< releases
  const core::Clock& clock;
  const core::TokenSealer& sealer;  ///< the transaction in RelayState
  std::int64_t state_lifetime_seconds;
  const Live<connectors::ent::EntRegistry>& ents;
  const connectors::ent::SpSettings& sp;
  const Live<connectors::publisher::PublisherRegistry>& publishers;
  saml::ReplayCache& replay_cache;  ///< the ENT assertions' IDs
  DbPool& db;
  store::ResourceCache& resources;
  store::PolicyCache& policies;
  const policy::Pseudonymizer& pseudonyms;
  AuditSink& audit;
  const AuditSubjects& audit_subjects;  ///< the keyed digest of the person in each audit row
  /// An assignment manager's sign-in through the ENT ends here too (admin_sign_in.cpp).
  const admin::AdminSessions* admin_sessions = nullptr;
};

/// GET, POST /saml/sp/slo and /saml/idp/slo (single logout, docs/single-logout.md).
struct LogoutDeps {
  RefusalDeps refusals;
  core::Random& random;
  const core::Clock& clock;
  const core::TokenSealer& sealer;  ///< the session and logout cookies
  std::int64_t state_lifetime_seconds;
  const Live<connectors::ent::EntRegistry>& ents;
  const Live<connectors::publisher::PublisherRegistry>& publishers;
  const connectors::ent::SpSettings& sp;
  const connectors::publisher::IdpSettings& idp;
  /// LogoutRequest IDs taken, per sender, while the request is fresh.
  saml::ReplayCache& request_replay_cache;
  DbPool& db;  ///< publishers' names for the end page
};

/// POST /saml/idp/return.
struct ReturnDeps {
  RefusalDeps refusals;
  PublisherAnswerDeps answer;
  const core::Clock& clock;
  const core::TokenSealer& sealer;  ///< the return token
  const Live<connectors::publisher::PublisherRegistry>& publishers;
};

}  // namespace garde::broker::flows
