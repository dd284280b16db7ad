#pragma once
/// @file The HTTP(S) listener. Beast and Asio stay inside broker/http/*.cpp; this header is plain.
///
/// One acceptor, N I/O threads each running its own event loop (io_context), connections handed to
/// them round robin at accept and kept there, one strand per connection. Each request is read with a header
/// timeout, a header size limit and a body limit, converted into a broker::Request, handed to the
/// handler on the connection's strand, and the returned broker::Response is written back with the
/// security headers, keep-alive permitting. Handler exceptions are caught once here, logged, and
/// answered 500 with the request id.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "broker/request.h"

namespace garde::broker {
class Metrics;
}

namespace garde::broker::http {

/// What the server needs; config::ServerConfig maps onto it in the serve command.
struct ServerOptions {
  std::string address = "127.0.0.1";  ///< IP literal to bind
  std::uint16_t port = 0;             ///< 0 = any free port (see Server::port())
  bool tls = true;
  std::string tls_cert_pem;  ///< chain, leaf first (required when tls)
  std::string tls_key_pem;
  /// Plain HTTP is refused unless this is set AND the address is loopback.
  bool allow_plain_http_on_loopback = false;
  unsigned threads = 0;  ///< 0 = std::thread::hardware_concurrency()
  std::size_t body_limit = 1024 * 1024;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{15'000};
};

/// Handles one request. Gets a mutable Request so a Router can record the matched route (used for
/// metrics labels). Called on I/O threads, concurrently for different connections.
using ServerHandler = std::function<Response(Request&)>;

class Server {
 public:
  /// Validates the options and builds the TLS context. Throws std::runtime_error with an
  /// operator-readable message (plain HTTP off loopback, unreadable cert/key, key not matching).
  /// `metrics` may be null; if set it must outlive the server.
  Server(ServerOptions options, ServerHandler handler, Metrics* metrics = nullptr);
  /// Stops (with no grace) if still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds, listens and starts the I/O threads; returns at once. Throws std::runtime_error if the
  /// address cannot be bound.
  void start();

  /// The bound port (after start()).
  std::uint16_t port() const noexcept;

  /// Graceful stop: closes the acceptor, closes idle keep-alive connections, lets requests in
  /// flight finish and be written (with Connection: close) until `grace`, then closes what is
  /// left and joins the threads. Idempotent; thread-safe; must not be called from a handler.
  void stop(std::chrono::milliseconds grace);
  /// stop() with options.shutdown_grace.
  void stop();

  /// Blocks until SIGINT or SIGTERM arrives, then stop(). For `garde serve`.
  void runUntilSignal();

  class Impl;  ///< implementation detail (broker/http/server.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

/// A self-signed TLS certificate and its key (PEM), with subjectAltName DNS:localhost,
/// IP:127.0.0.1 and IP:::1, for the demo and the tests. ECDSA P-256, SHA-256.
struct TlsPem {
  std::string cert;
  std::string key;
};
TlsPem generateSelfSignedTls(const std::string& common_name = "localhost", int days = 365);

}  // namespace garde::broker::http
