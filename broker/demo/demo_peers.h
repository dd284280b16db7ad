#pragma once
/// @file The demo's peers, served by the broker itself under /demo/: a demo ENT IdP (a login page
/// listing the demo pupils and teachers, and a médiacentre portal) and two demo publisher SPs (a
/// page showing exactly what they received). Built on garde's own saml library, each peer with its
/// own generated key and self-signed certificate. For `garde serve --demo` only; never in
/// production.

#include <filesystem>
#include <optional>
#include <string>

#include "broker/router.h"
#include "core/x509.h"
#include "saml/keys.h"
#include "store/demo_data.h"

namespace garde::broker::demo {

struct DemoSettings {
  std::string base_url;              ///< "https://127.0.0.1:8443", no trailing slash
  std::string broker_idp_entity_id;  ///< the broker's IdP face (towards publishers)
  std::string broker_sp_entity_id;   ///< the broker's SP face (towards ENTs)
  saml::Certificate broker_signing_cert;
  std::filesystem::path key_dir;  ///< where the peers' keys live (created if missing)
  /// The demo ENT project's client certificate: its médiacentre asks the broker's
  /// `GET /ressources/{idENT}/{UAI}/{id}` with it, through the router its routes are mounted on
  /// (docs/adr/0021-demo-calls-through-the-router.md). Without it the médiacentre has no tile.
  std::optional<core::CertificatePem> ent_client_cert;
};

/// Generates or loads the demo peers' keys under key_dir (keys 0600), mounts their pages under
/// /demo/ on `router` (which must outlive them: the médiacentre calls the broker's routes through
/// it), returns the entity ids, metadata XML and base URLs that loadDemoData (demo_data.h)
/// needs. Throws std::runtime_error when key_dir cannot be used (a start-up failure).
store::DemoPeers installDemoPeers(Router& router, const DemoSettings& settings);

}  // namespace garde::broker::demo
