#include "broker/http/tls_context.h"

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <stdexcept>

#include "core/x509.h"

namespace garde::broker::http {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

// Mozilla "intermediate" TLS 1.2 suites (TLS 1.3 suites are OpenSSL's defaults, all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A client chain longer than this (leaf, intermediates, root) is refused.
constexpr int kClientVerifyDepth = 4;

void loadClientCas(ssl::context& ctx, const std::string& pem) {
  boost::beast::error_code ec;
  ctx.add_certificate_authority(net::buffer(pem), ec);
  if (ec) {
    throw std::runtime_error("TLS: cannot load the client CA certificates: " + ec.message());
  }
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.set_verify_depth(kClientVerifyDepth);
  // Session resumption would skip the verification on later connections of the same client: a
  // certificate's identity is established on each full handshake only.
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_num_tickets(native, 0) != 1) {
    throw std::runtime_error("TLS: cannot turn session tickets off");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
}

}  // namespace

ssl::context makeTlsContext(const ServerOptions& o) {
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use | ssl::context::no_compression);
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    throw std::runtime_error("TLS: cannot restrict the context to TLS 1.2+ with AEAD suites");
  }
  if (o.tls_cert_pem.empty() || o.tls_key_pem.empty()) {
    throw std::runtime_error(
        "TLS: server.tls_cert_file and server.tls_key_file are required for HTTPS");
  }
  boost::beast::error_code ec;
  ctx.use_certificate_chain(net::buffer(o.tls_cert_pem), ec);
  if (ec) {
    throw std::runtime_error("TLS: cannot load the certificate chain (server.tls_cert_file): " +
                             ec.message());
  }
  ctx.use_private_key(net::buffer(o.tls_key_pem), ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error("TLS: cannot load the private key (server.tls_key_file): " +
                             ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("TLS: the private key does not match the certificate");
  }
  if (!o.client_ca_pem.empty()) {
    loadClientCas(ctx, o.client_ca_pem);
  }
  return ctx;
}

PeerIdentity peerIdentity(ssl_st* ssl) {
  PeerIdentity id;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) {
    return id;
  }
  std::string leaf_der = core::certificateDer(leaf);
  if (leaf_der.empty()) {
    return id;
  }
  id.sha256_fingerprint = core::sha256Hex(leaf_der);
  id.subject = core::certificateSubject(leaf);
  id.chain_der.push_back(std::move(leaf_der));
  // On the server side the peer chain does not include the leaf.
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      std::string der = core::certificateDer(sk_X509_value(chain, i));
      if (!der.empty() && der != id.chain_der.front()) {
        id.chain_der.push_back(std::move(der));
      }
    }
  }
  return id;
}

}  // namespace garde::broker::http
