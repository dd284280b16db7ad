#pragma once
/// @file Inside the demo: each peer mounts its own routes. installDemoPeers() (demo_peers.h) loads
/// the keys and calls these; tests may call them with their own credentials.

#include <string>

#include "broker/demo/demo_peers.h"
#include "broker/router.h"
#include "saml/keys.h"

namespace garde::broker::demo {

/// Path prefixes, under the broker's base URL.
inline constexpr const char* kDemoPath = "/demo";
inline constexpr const char* kEntPath = "/demo/ent";
inline constexpr const char* kPublisherAPath = "/demo/publisher-a";
inline constexpr const char* kPublisherBPath = "/demo/publisher-b";

/// What a mounted peer tells the store about itself.
struct MountedPeer {
  std::string entity_id;
  std::string metadata_xml;
  std::string base_url;
};

/// The demo ENT IdP: portal /demo/ent/, metadata at its entity id /demo/ent/idp, SSO (Redirect) at
/// /demo/ent/sso, POST /demo/ent/login, GET /demo/ent/logout. Signs with `credential`.
/// Throws std::runtime_error if its metadata cannot be generated (a programming error).
MountedPeer mountEntIdp(Router& router, const DemoSettings& settings, saml::Credential credential);

/// Which demo publisher.
enum class PublisherKind {
  kA,  ///< bounce launch (via /login), encryption key in its metadata
  kB,  ///< direct launch (unsolicited Responses accepted), no encryption key
};

/// A demo publisher SP under /demo/publisher-a or /demo/publisher-b: /login, /acs, /resource,
/// /metadata (its entity id). Signs its AuthnRequests and (A) decrypts with `credential`.
MountedPeer mountPublisherSp(Router& router, const DemoSettings& settings, PublisherKind kind,
                             saml::Credential credential);

/// The landing page /demo/ (and /demo redirecting to it).
void mountLanding(Router& router, const DemoSettings& settings);

}  // namespace garde::broker::demo
