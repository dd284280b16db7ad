#pragma once
/// @file Loading the demo the way partners feed a real deployment (docs/demo.md): the directory
/// from the demo's GAR-ENT feed files, imported by the real importer (connectors/feed, as
/// `garde feed import` does), and the subscriptions from the GAR subscription XML bodies, sent as
/// `PUT /abonnements/{idAbonnement}` through a router carrying the real subscription service
/// (broker/api/subscriptions.h) with the demo publisher's client certificate, so that the same
/// CallerAuth check and the same handler write them
/// (docs/adr/0021-demo-calls-through-the-router.md). Both sets of files live in broker/demo/data/
/// and are compiled into the binary.
///
/// Used by `garde serve --demo`, `garde store seed-demo` and the tests.

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/request.h"
#include "connectors/feed/import.h"
#include "core/result.h"
#include "core/time.h"
#include "core/x509.h"
#include "store/demo_data.h"

namespace garde::broker::demo {

/// One embedded file of broker/demo/data/.
struct DemoFile {
  std::string_view name;     ///< its file name ("ENTTEST1_GAR-ENT_Complet_..._Eleve_0000.xml")
  std::string_view content;  ///< its bytes
};

/// Every file of broker/demo/data/, in name order (generated at build time).
std::span<const DemoFile> embeddedDemoFiles() noexcept;

/// The demo's GAR-ENT feed files (the embedded files named `*_GAR-ENT_Complet_*.xml`), as inputs
/// of connectors::feed::importFeed. The views point into the binary.
std::vector<connectors::feed::FeedInput> demoFeedInputs();

/// The client certificates the demo's partners call the APIs with (PEM, certificate and key).
struct DemoCallers {
  core::CertificatePem publisher_a;
  core::CertificatePem publisher_b;
  core::CertificatePem ent;
};

/// Fresh certificates for the three callers (ECDSA P-256, ten years), held in memory only.
DemoCallers generateDemoCallers();

/// The callers' certificates from `dir` (`demo-<caller>-client-{cert,key}.pem`, keys 0600, the
/// folder 0700), generated when absent, unreadable or expiring within a day. Throws
/// std::runtime_error when `dir` cannot be used (a start-up failure).
DemoCallers loadOrCreateDemoCallers(const std::filesystem::path& dir);

/// A request as broker/http would hand it to the router from a partner presenting `cert` over TLS
/// (its fingerprint and subject in `client_cert`), for the demo's in-process calls of the partner
/// APIs (ADR 0021). `target` has no query.
Request partnerRequest(const core::CertificatePem& cert, std::string method, std::string target,
                       std::string body = {});

/// What loading the demo did.
struct DemoLoadReport {
  connectors::feed::FeedReport feed;  ///< the import of the demo's feed files
  /// Per subscription body: idAbonnement and the service's HTTP status (201 created, 200 updated
  /// when it existed: a demo restarted on its database).
  std::vector<std::pair<std::string, int>> subscriptions;
};

/// Loads the demo into the migrated database `database`: the partners (store::loadDemoPartners),
/// the callers' certificates registered as `garde ent|publisher add --cert` does (kept when
/// already registered to the same caller), the feed import, the subscriptions through the service
/// (PUT, or POST without the establishments when the id exists), then the assignments.
/// Idempotent. Errors: kConflict when the feed is refused (the report's reason and first problem
/// in the detail) or a certificate is registered to someone else; kBadRequest when the service
/// refuses a body (its status and answer in the detail); the store's errors.
core::Result<DemoLoadReport> loadDemoData(const std::string& database,
                                          const store::DemoPeers& peers, const DemoCallers& callers,
                                          const core::Clock& clock);

}  // namespace garde::broker::demo
