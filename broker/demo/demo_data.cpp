#include "broker/demo/demo_data.h"

#include <filesystem>
#include <stdexcept>

#include "broker/api/subscriptions.h"
#include "broker/caller_registry.h"
#include "broker/flows/db_pool.h"
#include "broker/request.h"
#include "broker/router.h"
#include "core/file.h"
#include "core/log.h"
#include "core/private_files.h"
#include "store/caller_certificates.h"
#include "store/db.h"

namespace garde::broker::demo {
namespace {

constexpr core::Logger kLog("broker.demo");

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// The subscription bodies: the embedded files named `abonnement_{idAbonnement}.xml`.
std::vector<std::pair<std::string, std::string_view>> subscriptionBodies() {
  std::vector<std::pair<std::string, std::string_view>> out;
  for (const DemoFile& f : embeddedDemoFiles()) {
    if (startsWith(f.name, "abonnement_") && endsWith(f.name, ".xml")) {
      const std::string_view id = f.name.substr(11, f.name.size() - 11 - 4);
      out.emplace_back(std::string(id), f.content);
    }
  }
  return out;
}

/// The body of an update: the creation's without its establishments, which an update may not
/// name (docs/partner-apis.md).
std::string withoutEstablishments(std::string_view body) {
  std::string out(body);
  for (std::size_t at; (at = out.find("<uaiEtab>")) != std::string::npos;) {
    const std::size_t end = out.find("</uaiEtab>", at);
    std::size_t line_end = out.find('\n', end);
    line_end = line_end == std::string::npos ? out.size() : line_end + 1;
    const std::size_t line_start = out.rfind('\n', at);
    out.erase(line_start == std::string::npos ? at : line_start + 1,
              line_end - (line_start == std::string::npos ? at : line_start + 1));
  }
  return out;
}

/// Registers `cert` for the caller as `garde ent|publisher add --cert` does; kept when it already
/// is the caller's.
core::Status registerCaller(store::Db& db, store::CallerKind kind, const std::string& id,
                            const core::CertificatePem& cert, core::UnixTime now) {
  GARDE_ASSIGN_OR_RETURN(const auto infos, core::pemCertificates(cert.cert));
  const core::CertificateInfo& leaf = infos.front();
  if (auto existing = store::findCallerCertificate(db, leaf.sha256_fingerprint)) {
    if (existing->kind == kind && existing->caller_id == id) {
      return {};
    }
    return core::fail(core::ErrorCode::kConflict,
                      "the demo certificate " + leaf.sha256_fingerprint + " is registered to " +
                          std::string(store::callerKindCode(existing->kind)) + " " +
                          existing->caller_id);
  }
  GARDE_TRY(store::addCallerCertificate(
      db, {kind, id, leaf.sha256_fingerprint, leaf.subject, leaf.not_after, now}));
  return store::bumpRegistryGeneration(db);
}

core::CertificatePem loadOrCreate(const std::filesystem::path& dir, const std::string& name) {
  const auto key_path = dir / ("demo-" + name + "-client-key.pem");
  const auto cert_path = dir / ("demo-" + name + "-client-cert.pem");
  auto key = core::readFile(key_path.string());
  auto cert = core::readFile(cert_path.string());
  if (key && cert) {
    auto infos = core::pemCertificates(*cert);
    if (infos && !infos->empty() && infos->front().not_after > core::systemNow() + 86400) {
      return {std::move(cert).value(), std::move(key).value()};
    }
    kLog.warn("demo: replacing an unusable client certificate", {{"file", cert_path.string()}});
  }
  core::CertificatePem made = core::generateSelfSignedTls("garde demo " + name + " client", 3650);
  for (const auto& [path, text] :
       {std::pair{key_path, made.key}, std::pair{cert_path, made.cert}}) {
    if (auto written = core::writeOwnerOnlyFile(path, text); !written) {
      throw std::runtime_error("demo: " + written.error().detail);
    }
  }
  kLog.info("demo: generated a client certificate", {{"file", cert_path.string()}});
  return made;
}

}  // namespace

Request partnerRequest(const core::CertificatePem& cert, std::string method, std::string target,
                       std::string body) {
  Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.path = req.target;
  req.body = std::move(body);
  if (!req.body.empty()) {
    req.headers.emplace("content-type", "application/xml");
  }
  req.is_tls = true;
  req.peer = "127.0.0.1";
  req.request_id = "demo-start";
  const auto infos = core::pemCertificates(cert.cert);
  if (infos && !infos->empty()) {
    req.client_cert.chain_der = {infos->front().der};
    req.client_cert.sha256_fingerprint = infos->front().sha256_fingerprint;
    req.client_cert.subject = infos->front().subject;
  }
  return req;
}

std::vector<connectors::feed::FeedInput> demoFeedInputs() {
  std::vector<connectors::feed::FeedInput> out;
  for (const DemoFile& f : embeddedDemoFiles()) {
    if (f.name.find("_GAR-ENT_Complet_") != std::string_view::npos && endsWith(f.name, ".xml")) {
      connectors::feed::FeedInput in;
      in.type = connectors::feed::FeedInput::Type::kXmlBytes;
      in.name = std::string(f.name);
      in.bytes = f.content;
      out.push_back(std::move(in));
    }
  }
  return out;
}

DemoCallers generateDemoCallers() {
  return {core::generateSelfSignedTls("garde demo publisher-a client", 3650),
          core::generateSelfSignedTls("garde demo publisher-b client", 3650),
          core::generateSelfSignedTls("garde demo ent client", 3650)};
}

DemoCallers loadOrCreateDemoCallers(const std::filesystem::path& dir) {
  if (auto created = core::createOwnerOnlyDirectories(dir); !created) {
    throw std::runtime_error("demo: " + created.error().detail);
  }
  return {loadOrCreate(dir, "publisher-a"), loadOrCreate(dir, "publisher-b"),
          loadOrCreate(dir, "ent")};
}

core::Result<DemoLoadReport> loadDemoData(const std::string& database,
                                          const store::DemoPeers& peers, const DemoCallers& callers,
                                          const core::Clock& clock) {
  DemoLoadReport report;
  {
    GARDE_ASSIGN_OR_RETURN(auto db, store::Db::open(database));
    GARDE_TRY(store::loadDemoPartners(db, peers));
    const core::UnixTime now = clock.now();
    GARDE_TRY(registerCaller(db, store::CallerKind::kPublisher, store::demo::kPublisherA,
                             callers.publisher_a, now));
    GARDE_TRY(registerCaller(db, store::CallerKind::kPublisher, store::demo::kPublisherB,
                             callers.publisher_b, now));
    GARDE_TRY(registerCaller(db, store::CallerKind::kEnt, store::demo::kEnt, callers.ent, now));

    connectors::feed::FeedImportOptions options;
    options.ent_id = store::demo::kEnt;
    GARDE_ASSIGN_OR_RETURN(report.feed,
                           connectors::feed::importFeed(db, demoFeedInputs(), options, now));
    if (!report.feed.imported) {
      std::string detail = "the demo feed was refused: " + report.feed.reason;
      if (!report.feed.problems.empty()) {
        const auto& p = report.feed.problems.front();
        const std::string file = p.at.file < report.feed.files.size()
                                     ? report.feed.files[p.at.file].name
                                     : std::string("?");
        detail += " (" + file + ":" + std::to_string(p.at.line) + ": " + p.message + ")";
      }
      return core::fail(core::ErrorCode::kConflict, detail);
    }
  }

  // The subscription service as `garde serve` mounts it on its main listener: the same registry
  // of client certificates, the same routes and handlers (ADR 0021).
  flows::DbPool pool(database);
  const StoreCallerRegistry registry(pool, clock);
  Router router(CallerAuthenticators{registry.registry(), nullptr});
  api::mountSubscriptionApi(router, api::SubscriptionApiDeps{pool, clock}, "/abonnements");
  for (const auto& [id, body] : subscriptionBodies()) {
    const core::CertificatePem& cert = body.find(std::string("<idDistributeurCom>") +
                                                 store::demo::kPublisherB) != std::string_view::npos
                                           ? callers.publisher_b
                                           : callers.publisher_a;
    Request put = partnerRequest(cert, "PUT", "/abonnements/" + id, std::string(body));
    Response answer = router.dispatch(put);
    if (answer.status == 409) {
      Request post =
          partnerRequest(cert, "POST", "/abonnements/" + id, withoutEstablishments(body));
      answer = router.dispatch(post);
    }
    if (answer.status != 201 && answer.status != 200) {
      return core::fail(core::ErrorCode::kBadRequest, "the subscription service answered " +
                                                          std::to_string(answer.status) + " to " +
                                                          id + ": " + answer.body);
    }
    report.subscriptions.emplace_back(id, answer.status);
  }

  GARDE_ASSIGN_OR_RETURN(auto db, store::Db::open(database));
  GARDE_TRY(store::loadDemoAssignments(db, peers.at));
  return report;
}

}  // namespace garde::broker::demo
