#pragma once
// Partner API tests' shared pieces: a client PKI (one CA, certificates for an ENT project and two
// publishers, one with the first publisher's subject but another key), a migrated database with
// those callers registered, and a TLS client that presents a certificate (or none) and sends any
// method with a body.
#include <memory>
#include <string>

#include "broker/caller_registry.h"
#include "broker/flows/db_pool.h"
#include "http_test_support.h"
#include "store/caller_certificates.h"
#include "store/directory.h"
#include "store/migrations.h"
#include "store/publishers.h"
#include "support/flows_world.h"
#include "support/temp_dir.h"

namespace partner_test {

using garde::core::CertificatePem;
using garde::core::CertificateSpec;

inline constexpr const char* kEnt = "ENTTEST1";
inline constexpr const char* kPubA = "123456789_0000000000000001";
inline constexpr const char* kPubB = "987654321_0000000000000002";

struct Pki {
  CertificatePem ca;
  CertificatePem ent;
  CertificatePem pub_a;
  CertificatePem pub_a_other_key;  ///< the same subject as pub_a, another key: never registered
  CertificatePem pub_a_rollover;   ///< pub_a's next certificate
  CertificatePem pub_b;
  CertificatePem expired;  ///< issued by ca, no longer valid (the handshake refuses it)
};

inline CertificatePem clientCert(const char* cn, const CertificatePem& ca) {
  CertificateSpec leaf;
  leaf.common_name = cn;
  leaf.ext_key_usage = "clientAuth";
  return garde::core::generateCertificate(leaf, &ca);
}

inline const Pki& pki() {
  static const Pki p = [] {
    Pki out;
    CertificateSpec ca;
    ca.common_name = "garde test partners CA";
    ca.is_ca = true;
    out.ca = garde::core::generateCertificate(ca);
    out.ent = clientCert("ENT project 1", out.ca);
    out.pub_a = clientCert("Publisher A", out.ca);
    out.pub_a_other_key = clientCert("Publisher A", out.ca);
    out.pub_a_rollover = clientCert("Publisher A", out.ca);
    out.pub_b = clientCert("Publisher B", out.ca);
    CertificateSpec old;
    old.common_name = "Publisher A";
    old.ext_key_usage = "clientAuth";
    old.not_before_offset = -7200;
    old.not_after_offset = -3600;
    out.expired = garde::core::generateCertificate(old, &out.ca);
    return out;
  }();
  return p;
}

inline std::string fingerprint(const CertificatePem& c) {
  return garde::core::pemCertificateFingerprint(c.cert).value();
}

/// Registers `c` to (kind, id), valid until `not_after`.
inline void registerCert(garde::store::Db& db, garde::store::CallerKind kind, const std::string& id,
                         const CertificatePem& c, garde::core::UnixTime not_after) {
  const auto info = garde::core::pemCertificates(c.cert).value().front();
  REQUIRE(garde::store::addCallerCertificate(
              db, {kind, id, info.sha256_fingerprint, info.subject, not_after, garde::test::kNow})
              .has_value());
}

/// A migrated database with ENTTEST1 (two establishments), publishers A and B, and the
/// certificates of the ENT and both publishers registered (valid until kNow + 1 year).
struct World {
  garde::test::TempDir dir{"garde-partners"};
  std::string path = dir.file("garde.db");
  garde::test::FixedClock clock;
  std::unique_ptr<garde::broker::flows::DbPool> pool;
  std::unique_ptr<garde::broker::StoreCallerRegistry> registry;

  World() {
    garde::core::setLogLevel(garde::core::LogLevel::kWarn);
    auto db = open();
    REQUIRE(garde::store::migrate(db).has_value());
    REQUIRE(
        garde::store::upsertEnt(db, {kEnt, "ENT 1", std::nullopt, std::nullopt}, 0).has_value());
    REQUIRE(garde::store::upsertPublisher(
                db, {kPubA, "Publisher A", std::nullopt, std::nullopt, std::nullopt})
                .has_value());
    REQUIRE(garde::store::upsertPublisher(
                db, {kPubB, "Publisher B", std::nullopt, std::nullopt, std::nullopt})
                .has_value());
    const auto until = garde::test::kNow + 365 * 86400;
    registerCert(db, garde::store::CallerKind::kEnt, kEnt, pki().ent, until);
    registerCert(db, garde::store::CallerKind::kPublisher, kPubA, pki().pub_a, until);
    registerCert(db, garde::store::CallerKind::kPublisher, kPubB, pki().pub_b, until);
    pool = std::make_unique<garde::broker::flows::DbPool>(path);
    registry = std::make_unique<garde::broker::StoreCallerRegistry>(*pool, clock);
  }

  /// Another connection to the database (as `garde publisher add` would open).
  garde::store::Db open() const {
    auto db = garde::store::Db::open(path);
    REQUIRE(db.has_value());
    return std::move(db).value();
  }

  /// HTTPS options asking for a client certificate from the test CA.
  static ServerOptions serverOptions() {
    ServerOptions o = http_test::options(true);
    o.client_ca_pem = pki().ca.cert;
    o.body_limit = 64 * 1024;
    return o;
  }
};

struct Reply {
  int status = 0;  ///< 0: the handshake or the exchange failed
  std::string body;
  std::string content_type;
};

/// One HTTPS request presenting `cert` (or none), on a fresh connection.
inline Reply call(std::uint16_t port, const CertificatePem* cert, bhttp::verb method,
                  const std::string& target, const std::string& body = "",
                  const std::string& content_type = "application/xml") {
  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  if (cert != nullptr) {
    ctx.use_certificate_chain(net::buffer(cert->cert));
    ctx.use_private_key(net::buffer(cert->key), ssl::context::pem);
  }
  ssl::stream<tcp::socket> stream(ioc, ctx);
  stream.set_verify_mode(ssl::verify_none);
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
  beast::error_code ec;
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) {
    return {};
  }
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!body.empty()) {
    req.set(bhttp::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  bhttp::write(stream, req, ec);
  bhttp::response<bhttp::string_body> res;
  beast::flat_buffer buffer;
  if (!ec) {
    bhttp::read(stream, buffer, res, ec);
  }
  if (ec) {
    return {};
  }
  return {static_cast<int>(res.result_int()), res.body(),
          std::string(res[bhttp::field::content_type])};
}

}  // namespace partner_test
