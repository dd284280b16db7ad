// Peers' metadata fetched from sources served over HTTP on loopback by the test itself
// (docs/metadata-sources.md): a refresh picks a new key up and launches follow it; a tampered,
// expired, unsigned or over-long document and a server answering 500 keep the last good copy and
// raise the alarm; conditional GET; a restart (a fresh registry load) keeps the last good copy;
// MDQ fetches one entity at a time.

#include <libxml/tree.h>

#include <mutex>

#include "broker/flows/metadata_refresh.h"
#include "connectors/metadata/sources.h"
#include "http_test_support.h"
#include "saml/metadata.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "store/launch.h"
#include "store/metadata_sources.h"
#include "store/publishers.h"
#include "support/credentials.h"
#include "support/flows_world.h"

namespace {

namespace flows = garde::broker::flows;
using garde::core::ErrorCode;
using Kind = flows::MetadataRefreshOutcome::Kind;

/// What the loopback server answers per path, and what it was asked.
class MetadataServer {
 public:
  struct Doc {
    int status = 200;
    std::string body;
    std::string etag;
  };

  MetadataServer() {
    server_ = http_test::startServer(http_test::options(false), [this](Request& req) {
      const std::lock_guard lock(mutex_);
      ++hits_;
      paths_.push_back(req.path);
      const std::string* inm = req.header("if-none-match");
      if_none_match_.push_back(inm ? *inm : "");
      const auto it = docs_.find(req.path);
      if (it == docs_.end()) {
        return Response::text(404, "no such document");
      }
      const Doc& d = it->second;
      if (!d.etag.empty() && inm && *inm == d.etag) {
        Response not_modified;
        not_modified.status = 304;
        not_modified.setHeader("ETag", d.etag);
        return not_modified;
      }
      Response res;
      res.status = d.status;
      res.body = d.body;
      res.setHeader("Content-Type", "application/samlmetadata+xml");
      if (!d.etag.empty()) {
        res.setHeader("ETag", d.etag);
      }
      return res;
    });
  }

  void serve(const std::string& path, Doc doc) {
    const std::lock_guard lock(mutex_);
    docs_[path] = std::move(doc);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  int hits() {
    const std::lock_guard lock(mutex_);
    return hits_;
  }
  std::string lastIfNoneMatch() {
    const std::lock_guard lock(mutex_);
    return if_none_match_.empty() ? "" : if_none_match_.back();
  }
  std::string lastPath() {
    const std::lock_guard lock(mutex_);
    return paths_.empty() ? "" : paths_.back();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, Doc> docs_;
  int hits_ = 0;
  std::vector<std::string> paths_;
  std::vector<std::string> if_none_match_;
  std::unique_ptr<Server> server_;
};

const saml::Credential& federationSigner() {
  static const saml::Credential c = test::makeCredential("federation metadata signer");
  return c;
}

std::string rootXml(const saml::EntityDescriptor& e) {
  saml::EntityDescriptor plain = e;
  plain.valid_until.reset();
  auto doc = saml::generateMetadata(plain);
  REQUIRE(doc.has_value());
  return saml::serializeNode(xmlDocGetRootElement(doc->get()));
}

/// An EntitiesDescriptor of `entities`, signed by `signer`.
std::string signedAggregate(const std::vector<saml::EntityDescriptor>& entities,
                            core::UnixTime valid_until,
                            const saml::Credential& signer = federationSigner(),
                            const std::string& cache = "PT1H",
                            const std::string& raw_members = {}) {
  std::string xml =
      "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
      "ID=\"_aggregate\" Name=\"test federation\" validUntil=\"" +
      core::formatIso8601(valid_until) + "\" cacheDuration=\"" + cache + "\">";
  for (const auto& e : entities) {
    xml += rootXml(e);
  }
  xml += raw_members + "</md:EntitiesDescriptor>";
  auto doc = saml::parseUntrusted(xml, saml::kMetadataLimits);
  REQUIRE(doc.has_value());
  REQUIRE(saml::signElement(xmlDocGetRootElement(doc->get()), signer).has_value());
  return saml::serialize(doc->get());
}

/// One EntityDescriptor, signed (what a url source or an MDQ responder serves).
std::string signedEntity(const saml::EntityDescriptor& e, core::UnixTime valid_until) {
  auto doc = saml::generateMetadata(e, valid_until);
  REQUIRE(doc.has_value());
  REQUIRE(saml::signElement(xmlDocGetRootElement(doc->get()), federationSigner()).has_value());
  return saml::serialize(doc->get());
}

/// Publisher B's SP as the store has it (inline, from its contract).
saml::EntityDescriptor publisherB(Flows& f) {
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  auto b = store::findPublisher(lease->db(), store::demo::kPublisherB);
  REQUIRE(b.has_value());
  REQUIRE(b->sp_metadata_xml.has_value());
  saml::MetadataOptions o;
  o.now = f.clock().t;
  auto parsed = saml::parseMetadata(*b->sp_metadata_xml, o);
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  return parsed->front();
}

/// Another federation member, so the aggregate feeds more than one entity.
saml::EntityDescriptor otherMember() {
  saml::EntityDescriptor e;
  e.entity_id = "https://other-member.test/sp";
  saml::SpSsoDescriptor sp;
  sp.acs.push_back({std::string(saml::binding::kHttpPost), "https://other-member.test/acs", "", 0,
                    std::nullopt});
  sp.keys.push_back({saml::KeyUse::kSigning, test::testIdpCredential().cert, {}});
  e.sp = sp;
  return e;
}

saml::EntityDescriptor withEncryptionKey(saml::EntityDescriptor e, const saml::Certificate& c) {
  e.sp->keys.push_back({saml::KeyUse::kEncryption, c, {}});
  return e;
}

store::MetadataSource aggregateSource(const MetadataServer& server) {
  store::MetadataSource s;
  s.name = "test-federation";
  s.kind = store::MetadataSourceKind::kAggregate;
  s.url = server.url("/federation.xml");
  s.signer_pem = federationSigner().cert.pem();
  s.max_validity_seconds = 14 * 86400;
  s.refresh_seconds = 3600;
  return s;
}

std::vector<flows::MetadataRefreshOutcome> refresh(Flows& f, bool force = true) {
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  flows::MetadataRefreshOptions o;
  o.force = force;
  o.timeout = std::chrono::seconds(5);
  auto r = flows::refreshMetadataSources(lease->db(), f.clock().t, o);
  REQUIRE(r.has_value());
  return *r;
}

Kind onlyOutcome(const std::vector<flows::MetadataRefreshOutcome>& outcomes) {
  REQUIRE(outcomes.size() == 1);
  INFO(outcomes.front().error);
  return outcomes.front().kind;
}

void reloadRegistries(Flows& f) {
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  REQUIRE(flows::refreshRegistries(f.services(), lease->db()).has_value());
}

std::int64_t generation(Flows& f) {
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  auto g = store::registryGeneration(lease->db());
  REQUIRE(g.has_value());
  return *g;
}

flows::MetadataSourceStatus status(Flows& f) {
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  auto s = flows::metadataStatus(lease->db(), f.clock().t, 5 * 86400);
  REQUIRE(s.has_value());
  REQUIRE(s->size() == 1);
  return s->front();
}

std::vector<std::string> encryptionFingerprints(Flows& f) {
  const auto* peer = f.services().publishers->findByPublisherId(store::demo::kPublisherB);
  REQUIRE(peer != nullptr);
  std::vector<std::string> out;
  for (const auto& c : peer->metadata.sp->encryptionCertificates()) {
    out.push_back(c.fingerprint());
  }
  return out;
}

/// IdP-initiated launch of resource B by the demo pupil, as publisher B's SP receives it.
Received launchB(Flows& f) {
  const Response tile = f.get(std::string(kResourceBPath) + kTileQuery);
  return f.publisherReceives(f.entLeg(tile, store::demo::kPupil), kPubBEntity, kPubBAcs,
                             std::nullopt);
}

/// The world with publisher B bound to the test federation's aggregate.
struct BoundWorld {
  MetadataServer server;
  Flows f{{}, 1'000'000, {FlowRoute::kLaunch, FlowRoute::kAcs, FlowRoute::kDiscovery}};
  saml::EntityDescriptor b = publisherB(f);

  BoundWorld() {
    server.serve("/federation.xml",
                 {200, signedAggregate({b, otherMember()}, f.clock().t + 7 * 86400), "\"v1\""});
    auto lease = f.services().db.acquire();
    REQUIRE(lease.has_value());
    REQUIRE(store::addMetadataSource(lease->db(), aggregateSource(server)).has_value());
    REQUIRE(store::bindPeerMetadata(lease->db(), store::CallerKind::kPublisher,
                                    store::demo::kPublisherB, "test-federation")
                .has_value());
  }
};

}  // namespace

TEST_CASE("A peer bound to an aggregate is served from its last good copy, and follows a new key",
          "[broker][metadata][sources]") {
  BoundWorld w;
  Flows& f = w.f;
  SECTION("bound but never fetched: not served (no unverified fallback)") {
    reloadRegistries(f);
    CHECK(f.services().publishers->findByPublisherId(store::demo::kPublisherB) == nullptr);
    CHECK(status(f).expiring);
    CHECK_FALSE(status(f).up);
  }
  SECTION("fetched: served, then a new encryption key is picked up and used") {
    CHECK(onlyOutcome(refresh(f)) == Kind::kUpdated);
    reloadRegistries(f);
    CHECK(encryptionFingerprints(f) == std::vector<std::string>{});
    CHECK_FALSE(launchB(f).response.assertion_encrypted);
    const auto st = status(f);
    CHECK(st.up);
    CHECK_FALSE(st.expiring);
    REQUIRE(st.copies.size() == 1);
    CHECK(st.copies.front().entity_count == 2);
    CHECK(st.copies.front().cache_seconds == 3600);
    REQUIRE(st.peers.size() == 1);
    CHECK(st.peers.front().problem.empty());

    // The publisher adds an encryption key to its federation entry.
    f.clock().t += 60;
    w.server.serve("/federation.xml",
                   {200,
                    signedAggregate({withEncryptionKey(w.b, test::testSpCredential().cert),
                                     otherMember()},
                                    f.clock().t + 7 * 86400),
                    "\"v2\""});
    // Not due yet: cacheDuration is an hour.
    CHECK(onlyOutcome(refresh(f, /*force=*/false)) == Kind::kNotDue);
    f.clock().t += 3600;
    const std::int64_t before = generation(f);
    CHECK(onlyOutcome(refresh(f, /*force=*/false)) == Kind::kUpdated);
    CHECK(w.server.lastIfNoneMatch() == "\"v1\"");  // conditional GET
    CHECK(generation(f) > before);                   // every node reloads
    reloadRegistries(f);
    CHECK(encryptionFingerprints(f) ==
          std::vector<std::string>{test::testSpCredential().cert.fingerprint()});
    CHECK(launchB(f).response.assertion_encrypted);

    // Unchanged: a 304, and the registry generation does not move.
    const std::int64_t after = generation(f);
    CHECK(onlyOutcome(refresh(f)) == Kind::kNotModified);
    CHECK(w.server.lastIfNoneMatch() == "\"v2\"");
    CHECK(generation(f) == after);
  }
}

TEST_CASE("A bad fetch keeps the last good copy and raises the alarm",
          "[broker][metadata][sources]") {
  BoundWorld w;
  Flows& f = w.f;
  REQUIRE(onlyOutcome(refresh(f)) == Kind::kUpdated);
  reloadRegistries(f);
  REQUIRE(f.services().publishers->findByPublisherId(store::demo::kPublisherB) != nullptr);
  std::int64_t good_generation = generation(f);
  const std::string good = signedAggregate({w.b, otherMember()}, f.clock().t + 7 * 86400);

  const auto expectKept = [&](const std::string& why) {
    INFO(why);
    const auto outcomes = refresh(f);
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes.front().kind == Kind::kFailed);
    CHECK(generation(f) == good_generation);
    const auto st = status(f);
    CHECK_FALSE(st.up);
    CHECK(st.failures >= 1);
    REQUIRE(st.copies.size() == 1);
    CHECK_FALSE(st.copies.front().last_error.empty());
    CHECK(st.peers.front().problem.empty());  // still served from the last good copy
    reloadRegistries(f);
    CHECK(f.services().publishers->findByPublisherId(store::demo::kPublisherB) != nullptr);
    return outcomes.front().error;
  };

  SECTION("tampered after signing") {
    std::string tampered = good;
    const auto at = tampered.find(kPubBAcs);
    REQUIRE(at != std::string::npos);
    tampered.replace(at, std::string(kPubBAcs).size(), "https://attacker.test/acs");
    w.server.serve("/federation.xml", {200, tampered, "\"t\""});
    CHECK(expectKept("tampered").find("signature") != std::string::npos);
  }
  SECTION("signed by another key") {
    w.server.serve("/federation.xml",
                   {200,
                    signedAggregate({w.b, otherMember()}, f.clock().t + 7 * 86400,
                                    test::attackerCredential()),
                    "\"x\""});
    CHECK(expectKept("foreign signer").find("signature") != std::string::npos);
  }
  SECTION("unsigned") {
    std::string unsigned_xml = "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:"
                               "metadata\" validUntil=\"" +
                               core::formatIso8601(f.clock().t + 86400) + "\">" + rootXml(w.b) +
                               "</md:EntitiesDescriptor>";
    w.server.serve("/federation.xml", {200, unsigned_xml, ""});
    CHECK(expectKept("unsigned").find("signature_missing") != std::string::npos);
  }
  SECTION("expired") {
    w.server.serve("/federation.xml",
                   {200, signedAggregate({w.b}, f.clock().t - 60), "\"e\""});
    CHECK(expectKept("expired").find("expired") != std::string::npos);
  }
  SECTION("valid for longer than the source allows") {
    w.server.serve("/federation.xml",
                   {200, signedAggregate({w.b}, f.clock().t + 60 * 86400), "\"l\""});
    CHECK(expectKept("too long").find("maximum validity") != std::string::npos);
  }
  SECTION("the server answers 500") {
    w.server.serve("/federation.xml", {500, "oops", ""});
    CHECK(expectKept("500").find("HTTP status 500") != std::string::npos);
  }
  SECTION("the server is gone") {
    auto lease = f.services().db.acquire();
    REQUIRE(lease.has_value());
    REQUIRE(lease->db()
                .execScript("UPDATE metadata_sources SET url = 'http://127.0.0.1:1/x.xml'")
                .has_value());
    good_generation = generation(f);  // the source's own change reloads; its failures do not
    CHECK(expectKept("unreachable").find("unavailable") != std::string::npos);
  }
  SECTION("a document with a DOCTYPE") {
    w.server.serve("/federation.xml",
                   {200, "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>" + good, ""});
    CHECK(expectKept("doctype").find("forbidden") != std::string::npos);
  }

  // A restart after the failure: the registries load the last good copy from the store.
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  auto restarted = connectors::publisher::PublisherRegistry::load(lease->db(), f.clock().t);
  REQUIRE(restarted.has_value());
  CHECK(restarted->findByPublisherId(store::demo::kPublisherB) != nullptr);
}

TEST_CASE("Once the last good copy expires, its peers are no longer served",
          "[broker][metadata][sources]") {
  BoundWorld w;
  Flows& f = w.f;
  REQUIRE(onlyOutcome(refresh(f)) == Kind::kUpdated);
  w.server.serve("/federation.xml", {500, "down", ""});
  f.clock().t += 4 * 86400;  // within the warning window, still valid
  REQUIRE(onlyOutcome(refresh(f)) == Kind::kFailed);
  CHECK(status(f).expiring);
  reloadRegistries(f);
  CHECK(f.services().publishers->findByPublisherId(store::demo::kPublisherB) != nullptr);
  f.clock().t += 3 * 86400 + 1;  // past validUntil: reloaded though nothing changed in the store
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  CHECK(flows::refreshRegistries(f.services(), lease->db()).value());
  CHECK(f.services().publishers->findByPublisherId(store::demo::kPublisherB) == nullptr);
  CHECK_FALSE(status(f).peers.front().problem.empty());
}

TEST_CASE("An MDQ source fetches each bound entity on its own", "[broker][metadata][sources]") {
  MetadataServer server;
  Flows f({}, 1'000'000, {FlowRoute::kLaunch, FlowRoute::kAcs, FlowRoute::kDiscovery});
  const saml::EntityDescriptor b = publisherB(f);
  // {base}/entities/{percent-encoded entityID}
  server.serve("/mdq/entities/https%3A%2F%2Fedition-b.test%2Fsp",
               {200, signedEntity(b, f.clock().t + 86400), ""});
  {
    auto lease = f.services().db.acquire();
    REQUIRE(lease.has_value());
    store::MetadataSource s = aggregateSource(server);
    s.name = "mdq";
    s.kind = store::MetadataSourceKind::kMdq;
    s.url = server.url("/mdq/");
    REQUIRE(store::addMetadataSource(lease->db(), s).has_value());
    REQUIRE(store::bindPeerMetadata(lease->db(), store::CallerKind::kPublisher,
                                    store::demo::kPublisherB, "mdq")
                .has_value());
  }
  const auto outcomes = refresh(f);
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes.front().entity_key == kPubBEntity);
  CHECK(outcomes.front().kind == Kind::kUpdated);
  CHECK(server.lastPath() == "/mdq/entities/https%3A%2F%2Fedition-b.test%2Fsp");
  reloadRegistries(f);
  CHECK(f.services().publishers->findByPublisherId(store::demo::kPublisherB) != nullptr);
  CHECK_FALSE(launchB(f).attributes.empty());

  SECTION("an answer about another entity is refused") {
    server.serve("/mdq/entities/https%3A%2F%2Fedition-b.test%2Fsp",
                 {200, signedEntity(otherMember(), f.clock().t + 86400), ""});
    const auto again = refresh(f);
    REQUIRE(again.size() == 1);
    CHECK(again.front().kind == Kind::kFailed);
    CHECK(again.front().error.find("entity asked for") != std::string::npos);
  }
}

TEST_CASE("Fetched documents are checked before they are kept", "[broker][metadata][sources]") {
  store::MetadataSource s;
  s.name = "s";
  s.kind = store::MetadataSourceKind::kUrl;
  s.signer_pem = federationSigner().cert.pem();
  s.max_validity_seconds = 86400;
  const core::UnixTime now = 1'800'000'000;
  const std::string doc = signedEntity(otherMember(), now + 3600);
  CHECK(connectors::metadata::checkFetchedDocument(s, doc, now).has_value());
  CHECK(connectors::metadata::checkFetchedDocument(s, doc, now + 3601).error().code ==
        ErrorCode::kExpired);
  s.signer_pem = "not a certificate";
  CHECK(connectors::metadata::checkFetchedDocument(s, doc, now).error().code ==
        ErrorCode::kBadRequest);

  // Refresh periods: cacheDuration, capped by the source's period; a failure retries sooner.
  store::MetadataSource src;
  src.refresh_seconds = 6 * 3600;
  store::MetadataCopy copy;
  CHECK(connectors::metadata::nextFetchAt(src, nullptr) == 0);
  copy.attempted_at = copy.checked_at = now;
  copy.cache_seconds = 600;
  CHECK(connectors::metadata::nextFetchAt(src, &copy) == now + 600);
  copy.cache_seconds = 86400;
  CHECK(connectors::metadata::nextFetchAt(src, &copy) == now + 6 * 3600);
  copy.failures = 2;
  CHECK(connectors::metadata::nextFetchAt(src, &copy, 300) == now + 300);
}

TEST_CASE("Of an aggregate, only the bound peers' entities are decoded; the others are counted",
          "[broker][metadata][sources]") {
  BoundWorld w;
  Flows& f = w.f;
  // A member garde does not serve, whose certificate no X.509 decoder would read.
  const std::string odd =
      "<md:EntityDescriptor entityID=\"https://odd-member.test/sp\"><md:SPSSODescriptor "
      "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor "
      "use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data>"
      "<ds:X509Certificate>bm90IGEgY2VydGlmaWNhdGU=</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
      "</md:KeyDescriptor><md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:"
      "bindings:HTTP-POST\" Location=\"https://odd-member.test/acs\" index=\"0\"/>"
      "</md:SPSSODescriptor></md:EntityDescriptor>";
  SECTION("an unbound member's content does not stop the bound ones") {
    w.server.serve("/federation.xml",
                   {200,
                    signedAggregate({w.b, otherMember()}, f.clock().t + 7 * 86400,
                                    federationSigner(), "PT1H", odd),
                    "\"odd\""});
    CHECK(onlyOutcome(refresh(f)) == Kind::kUpdated);
    reloadRegistries(f);
    REQUIRE(f.services().publishers->findByPublisherId(store::demo::kPublisherB) != nullptr);
    CHECK_FALSE(launchB(f).attributes.empty());
    const auto st = status(f);
    REQUIRE(st.copies.size() == 1);
    CHECK(st.copies.front().entity_count == 3);
    REQUIRE(st.peers.size() == 1);
    CHECK(st.peers.front().problem.empty());
  }
  SECTION("the document's structure is still checked whole: a repeated entityID is refused") {
    const std::string twice =
        "<md:EntityDescriptor entityID=\"https://other-member.test/sp\"><md:SPSSODescriptor "
        "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
        "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
        "Location=\"https://other-member.test/acs2\" index=\"0\"/></md:SPSSODescriptor>"
        "</md:EntityDescriptor>";
    w.server.serve("/federation.xml",
                   {200,
                    signedAggregate({w.b, otherMember()}, f.clock().t + 7 * 86400,
                                    federationSigner(), "PT1H", twice),
                    "\"twice\""});
    const auto outcomes = refresh(f);
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes.front().kind == Kind::kFailed);
    CHECK(outcomes.front().error.find("twice") != std::string::npos);
  }
}

TEST_CASE("The node that checked a document hands its entities to its next registry load, once",
          "[broker][metadata][sources]") {
  BoundWorld w;
  Flows& f = w.f;
  CHECK(onlyOutcome(refresh(f)) == Kind::kUpdated);
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  store::Db& db = lease->db();
  // The stored bytes spoiled behind garde's back (their digest kept): only a load that parses
  // the copy again can notice.
  REQUIRE(db.execScript("UPDATE metadata_copies SET xml = '<spoiled/>'").has_value());
  const std::string entity = w.b.entity_id;
  {
    connectors::metadata::SourceDocuments handed(db, f.clock().t);
    auto e = handed.entity("test-federation", entity);
    REQUIRE(e.has_value());  // from the refresher's hand-over, not from the bytes
    CHECK(e->entity_id == entity);
  }
  {
    connectors::metadata::SourceDocuments again(db, f.clock().t);
    CHECK_FALSE(again.entity("test-federation", entity).has_value());  // taken once: parsed now
  }
  SECTION("a hand-over of other bytes or other peers is not used") {
    connectors::metadata::CheckedEntities checked;
    checked.sha256 = "0000";
    checked.bound = {entity};
    checked.entities = {w.b};
    checked.valid_until = f.clock().t + 3600;
    connectors::metadata::handOverChecked("test-federation", "", checked);
    CHECK_FALSE(connectors::metadata::takeChecked("test-federation", "", "1111", checked.bound,
                                                  f.clock().t));
    CHECK_FALSE(connectors::metadata::takeChecked("test-federation", "", "0000", checked.bound,
                                                  f.clock().t));  // the miss consumed it
    connectors::metadata::handOverChecked("test-federation", "", checked);
    CHECK_FALSE(connectors::metadata::takeChecked("test-federation", "", "0000",
                                                  {entity, "https://other-member.test/sp"},
                                                  f.clock().t));
    connectors::metadata::handOverChecked("test-federation", "", checked);
    CHECK_FALSE(connectors::metadata::takeChecked("test-federation", "", "0000", checked.bound,
                                                  f.clock().t + 3600));  // expired
    connectors::metadata::handOverChecked("test-federation", "", checked);
    CHECK(connectors::metadata::takeChecked("test-federation", "", "0000", checked.bound,
                                            f.clock().t));
    // An entity whose own validUntil passed since the check is left out, as a parse would.
    checked.entities.front().valid_until = f.clock().t + 60;
    connectors::metadata::handOverChecked("test-federation", "", checked);
    const auto later = connectors::metadata::takeChecked("test-federation", "", "0000",
                                                         checked.bound, f.clock().t + 60);
    REQUIRE(later.has_value());
    CHECK(later->entities.empty());
  }
}
