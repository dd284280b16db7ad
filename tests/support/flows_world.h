#pragma once
// The demo world for flow tests, with plain broker::Request values (no sockets): a temp SQLite
// database seeded with the demo data, in-test ENT IdPs and publisher SPs, the real services
// (flows::makeFlowServices), and a cookie jar standing in for the browser. Each test mounts only
// the routes of the handlers it exercises (FlowRoute), each with exactly its deps
// (flows::mountAcs(router, flows::acsDeps(services)), ...). Compiled once (flows_world.cpp), in
// the library garde_test_flows that broker_tests links.

#include <libxml/tree.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/caller_registry.h"
#include "broker/demo/demo_data.h"
#include "broker/flows/flows.h"
#include "broker/flows/services.h"
#include "broker/metrics.h"
#include "broker/router.h"
#include "config/config.h"
#include "core/encoding.h"
#include "saml/binding/post.h"
#include "saml/binding/redirect.h"
#include "saml/metadata.h"
#include "saml/validate.h"
#include "store/audit.h"
#include "store/demo_data.h"
#include "store/directory.h"
#include "support/constants.h"
#include "support/saml_builders.h"

namespace garde::test {

inline constexpr const char* kBase = "https://garde.test";
inline constexpr const char* kEntEntity = "https://ent.test/idp";
inline constexpr const char* kEntSso = "https://ent.test/idp/sso";
/// The in-test ENT's SingleLogoutService (HTTP-Redirect), in its metadata.
inline constexpr const char* kEntSlo = "https://ent.test/idp/slo";
inline constexpr const char* kEnt2Entity = "https://ent2.test/idp";
inline constexpr const char* kEnt2Sso = "https://ent2.test/idp/sso";
inline constexpr const char* kPubAEntity = "https://edition-a.test/sp";
inline constexpr const char* kPubAAcs = "https://edition-a.test/acs";
inline constexpr const char* kPubABase = "https://edition-a.test";
inline constexpr const char* kPubBEntity = "https://edition-b.test/sp";
inline constexpr const char* kPubBAcs = "https://edition-b.test/acs";
inline constexpr const char* kPubBBase = "https://edition-b.test";
inline constexpr const char* kResourceAPath = "/launch/ark:%2F49591%2Fdemo.manuel.a";
inline constexpr const char* kResourceBPath = "/launch/ark:%2F49591%2Fdemo.outil.b";
inline constexpr const char* kTileQuery = "?ent=ENTTEST1&uai=0561534N";

class FixedClock final : public core::Clock {
 public:
  core::UnixTime t = test::kNow;
  core::UnixTime now() const override { return t; }
};

const saml::Credential& brokerCredential();
const saml::Credential& ent2Credential();

/// A publisher SP: `entity_id` with one default HTTP-POST ACS at `acs_url`, no keys.
saml::EntityDescriptor spEntity(const char* entity_id, const char* acs_url);
/// Its metadata, serialized; with `keys`, that credential's certificate for signing and for
/// encryption (what a contract's SP must have).
std::string spMetadataXml(const char* entity_id, const char* acs_url,
                          const saml::Credential* keys = nullptr);

/// value="..." of the hidden input `name` in a page, or "" when absent.
std::string hiddenField(const std::string& html, const std::string& name);
/// The action of the page's form.
std::string formAction(const std::string& html);

struct EntLeg {
  std::string request_id;
  std::string relay_state;
  saml::AuthnRequest request;
};

using Attributes = std::map<std::string, std::vector<std::string>>;

struct Received {
  saml::ValidatedResponse response;
  Attributes attributes;
  std::string relay_state;
};

/// How the in-test ENT answers.
struct EntAnswer {
  std::string audience = std::string(kBase) + "/saml/sp/metadata";
  const saml::Credential* signer = nullptr;
  const char* issuer = kEntEntity;
  bool sign_assertion = true;
  /// The ENT's AuthnInstant, relative to the clock (an ENT that reuses its session: far back).
  std::int64_t authn_instant_offset = -10;
  /// The NameID: the person's identifier in this format; with `transient_name_id`, a fresh random
  /// transient value instead (an IdP on its defaults), the identifier going in `uid` only.
  bool transient_name_id = false;
  /// Attributes besides (the person's identifier as `uid` when transient_name_id).
  std::vector<saml::Attribute> attributes;
};

/// What a publisher's AuthnRequest asks for besides the defaults.
struct AskOptions {
  bool force_authn = false;
  bool is_passive = false;
  std::string id;  ///< the request's ID; empty: a fresh one
  std::optional<saml::NameIDPolicy> name_id_policy;
};

/// The handlers whose routes a Flows world mounts (flows::mountMetadata, mountLaunch, ...).
/// kAdmin: the admin sign-in through the ENT (/admin/...), the establishment API, the local
/// admin accounts' API (/api/v1/admin/login, session, logout), the governance APIs (ceilings,
/// catalogue, audit, explain) and contract onboarding (the publishers' side behind their demo
/// client certificates, as the router identifies them from the store).
/// kLogout: single logout (/saml/sp/slo, /saml/idp/slo).
enum class FlowRoute { kMetadata, kLaunch, kIdpSso, kDiscovery, kAcs, kReturn, kAdmin, kLogout };
using FlowRoutes = std::set<FlowRoute>;
/// Every route (flows::mountFlows).
FlowRoutes allFlowRoutes();

/// The demo world with in-test peers, and a browser.
class Flows {
 public:
  /// `audit_file`: where the audit lines go (empty: the main log). `replay_entries`: the size of
  /// each replay cache (broker.replay_cache_entries). `routes`: the handlers mounted; a request
  /// to another is a 404.
  /// `adjust` changes the broker's config before the flows are built (a key's non-default value);
  /// `seed` changes the demo database before they are (an ENT's registration, say).
  explicit Flows(std::string audit_file = {}, std::int64_t replay_entries = 1'000'000,
                 FlowRoutes routes = allFlowRoutes(),
                 const std::function<void(config::Config&)>& adjust = {},
                 const std::function<void(store::Db&)>& seed = {});
  ~Flows();
  Flows(const Flows&) = delete;
  Flows& operator=(const Flows&) = delete;

  broker::Response send(broker::Request req);
  broker::Response get(const std::string& target);
  broker::Response post(const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& form);

  /// What the ENT IdP reads from our redirect.
  EntLeg readEntRedirect(const broker::Response& r, const char* sso = kEntSso);
  /// The ENT's signed Response for `person`, serialized (before base64).
  std::string entResponseXml(const EntLeg& leg, const std::string& person, const EntAnswer& o);
  broker::Response postToAcs(const std::string& xml, const std::string& relay_state);
  /// The whole ENT leg for `person`: read our redirect, answer, post to the ACS.
  broker::Response entLeg(const broker::Response& redirect, const std::string& person,
                          const EntAnswer& o = {});
  /// What the publisher's SP sees, validated as an SP would (our IdP key only).
  Received publisherReceives(const broker::Response& r, const char* sp_entity_id, const char* acs,
                             const std::optional<std::string>& request_id);
  /// A publisher SP's AuthnRequest to our IdP, over the Redirect binding.
  std::string publisherAuthnRequest(const char* sp_entity_id, const char* acs,
                                    const std::string& relay_state, std::string& id_out,
                                    const AskOptions& ask = {});

  double decisions(const std::string& outcome, const std::string& reason) const;

  std::map<std::string, std::string>& jar() { return jar_; }
  std::vector<std::string>& audit() { return audit_; }
  /// The audit table's rows, once the batch writer has written what is queued.
  std::vector<store::AuditRecord> auditRows();
  FixedClock& clock() { return clock_; }
  /// The world's config (its database and secret files, for the operator commands' tests).
  const config::Config& config() const { return config_; }
  /// The client certificates the demo's partners were registered with (the subscriptions were
  /// created with the publishers').
  const broker::demo::DemoCallers& demoCallers() const { return demo_callers_; }
  /// The flows' services (to build the deps of another handler over the same world).
  broker::flows::FlowServices& services() { return *services_; }
  const std::string& lastRequestId() const { return last_request_id_; }

 private:
  std::filesystem::path dir_;
  config::Config config_;
  broker::Metrics metrics_;
  FixedClock clock_;
  broker::demo::DemoCallers demo_callers_ = broker::demo::generateDemoCallers();
  std::unique_ptr<broker::flows::FlowServices> services_;
  std::unique_ptr<broker::StoreCallerRegistry> callers_;
  broker::Router router_;
  std::map<std::string, std::string> jar_;
  std::vector<std::string> audit_;
  int requests_ = 0;
  std::string last_request_id_;
};

/// The attribute names of `a`.
std::set<std::string> names(const Attributes& a);

/// The SAML Response in a POST form page, parsed (no validation: error Responses carry no
/// assertion).
saml::Response postedResponse(const broker::Response& r);

/// Checks that `r` is the refusal page with `status` and the correlation id, releasing nothing.
void requireRefusalPage(const broker::Response& r, int status, const std::string& correlation_id);

}  // namespace garde::test

// The flow tests read as before: garde's namespaces and the world's names unqualified.
namespace {
using namespace garde;        // NOLINT(google-build-using-namespace)
using namespace garde::test;  // NOLINT(google-build-using-namespace)
using broker::Request;
using broker::Response;
}  // namespace
