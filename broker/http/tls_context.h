#pragma once
// Internal to broker/http/: the server's TLS context, and what a finished handshake verified
// about the client.

#include <boost/asio/ssl/context.hpp>

#include "broker/http/server.h"

struct ssl_st;  // OpenSSL's SSL

namespace garde::broker::http {

/// TLS 1.2+ with AEAD suites only, the server's chain and key, and, when
/// `options.client_ca_pem` is set, optional client certificates verified against those CAs.
/// Throws std::runtime_error with an operator-readable message.
boost::asio::ssl::context makeTlsContext(const ServerOptions& options);

/// The client certificate of a completed handshake, when the client sent one and it verified;
/// empty otherwise.
PeerIdentity peerIdentity(ssl_st* ssl);

}  // namespace garde::broker::http
