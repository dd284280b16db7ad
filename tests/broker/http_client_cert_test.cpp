// What the TLS layer verified about the client reaches the handler as Request::client_cert, and
// only then: plain HTTP, TLS without a certificate and a listener that asks for none give an empty
// identity; a certificate that does not verify against the client CAs ends the handshake.
#include "http_test_support.h"

using namespace http_test;
using garde::core::CertificatePem;
using garde::core::CertificateSpec;

namespace {

struct ClientPki {
  CertificatePem ca;
  CertificatePem client;
  CertificatePem other_ca;
  CertificatePem stranger;  ///< issued by other_ca
  CertificatePem expired;   ///< issued by ca, no longer valid
};

const ClientPki& pki() {
  static const ClientPki p = [] {
    ClientPki out;
    CertificateSpec ca;
    ca.common_name = "garde test client CA";
    ca.is_ca = true;
    out.ca = garde::core::generateCertificate(ca);
    ca.common_name = "another CA";
    out.other_ca = garde::core::generateCertificate(ca);
    CertificateSpec leaf;
    leaf.common_name = "ENT project 1";
    leaf.ext_key_usage = "clientAuth";
    out.client = garde::core::generateCertificate(leaf, &out.ca);
    out.stranger = garde::core::generateCertificate(leaf, &out.other_ca);
    leaf.not_before_offset = -7200;
    leaf.not_after_offset = -3600;
    out.expired = garde::core::generateCertificate(leaf, &out.ca);
    return out;
  }();
  return p;
}

ServerOptions withClientCas() {
  ServerOptions o = options(true);
  o.client_ca_pem = pki().ca.cert;
  return o;
}

/// A TLS client presenting `cert` (or none).
struct CertClient {
  net::io_context ioc;
  ssl::context ctx;
  std::optional<ssl::stream<tcp::socket>> stream;
  beast::flat_buffer buffer;

  CertClient(std::uint16_t port, const CertificatePem* cert) : ctx(ssl::context::tls_client) {
    if (cert != nullptr) {
      ctx.use_certificate_chain(net::buffer(cert->cert));
      ctx.use_private_key(net::buffer(cert->key), ssl::context::pem);
    }
    stream.emplace(ioc, ctx);
    stream->set_verify_mode(ssl::verify_none);
    stream->next_layer().connect({net::ip::make_address("127.0.0.1"), port});
  }

  /// The handshake and one GET; the response body, or "handshake failed".
  std::string get(const std::string& target) {
    beast::error_code ec;
    stream->handshake(ssl::stream_base::client, ec);
    if (ec) {
      return "handshake failed";
    }
    auto req = makeGet(target);
    req.prepare_payload();
    bhttp::write(*stream, req, ec);
    bhttp::response<bhttp::string_body> res;
    if (!ec) {
      bhttp::read(*stream, buffer, res, ec);
    }
    // TLS 1.3: a client certificate refused by the server is reported after the handshake.
    return ec ? "handshake failed" : res.body();
  }
};

/// Answers what the request says of its client certificate.
garde::broker::http::ServerHandler identityHandler() {
  return [](Request& req) {
    const auto& id = req.client_cert;
    return Response::text(200, id.present()
                                   ? "cert " + id.sha256_fingerprint + " chain " +
                                         std::to_string(id.chain_der.size()) + " " + id.subject
                                   : "no cert");
  };
}

}  // namespace

TEST_CASE("A verified client certificate reaches the handler with its SHA-256 fingerprint",
          "[broker][http][client-cert]") {
  auto server = startServer(withClientCas(), identityHandler());
  CertClient client(server->port(), &pki().client);
  const std::string body = client.get("/whoami");
  const auto expected = garde::core::pemCertificateFingerprint(pki().client.cert);
  REQUIRE(expected.has_value());
  CHECK(body.rfind("cert " + *expected + " chain 1 ", 0) == 0);
  CHECK_THAT(body, Catch::Contains("CN=ENT project 1"));
  CHECK(expected->size() == 64);
}

TEST_CASE("TLS without a client certificate gives an empty identity",
          "[broker][http][client-cert]") {
  SECTION("the listener asks, the client has none") {
    auto server = startServer(withClientCas(), identityHandler());
    CertClient client(server->port(), nullptr);
    CHECK(client.get("/whoami") == "no cert");
  }
  SECTION("the listener asks for none, the client would have one") {
    auto server = startServer(options(true), identityHandler());
    CertClient client(server->port(), &pki().client);
    CHECK(client.get("/whoami") == "no cert");
  }
}

TEST_CASE("Plain HTTP gives an empty identity", "[broker][http][client-cert]") {
  auto server = startServer(options(false), identityHandler());
  PlainClient client(server->port());
  CHECK(client.roundTrip(makeGet("/whoami")).body() == "no cert");
}

TEST_CASE("A client certificate that does not verify ends the handshake before any handler",
          "[broker][http][client-cert]") {
  std::atomic<int> handled{0};
  auto server = startServer(withClientCas(), [&handled](Request&) {
    ++handled;
    return Response::text(200, "handled");
  });
  SECTION("issued by a CA that is not configured") {
    CertClient client(server->port(), &pki().stranger);
    CHECK(client.get("/whoami") == "handshake failed");
  }
  SECTION("expired") {
    CertClient client(server->port(), &pki().expired);
    CHECK(client.get("/whoami") == "handshake failed");
  }
  SECTION("self-signed") {
    CertClient client(server->port(), &pki().other_ca);
    CHECK(client.get("/whoami") == "handshake failed");
  }
  CHECK(handled.load() == 0);
}

TEST_CASE("Unreadable client CA files are a start-up error", "[broker][http][client-cert]") {
  ServerOptions o = options(true);
  o.client_ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  CHECK_THROWS_WITH(Server(o, identityHandler()), Catch::Contains("client CA"));
}
