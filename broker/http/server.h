#pragma once
/// @file The HTTP(S) listener. Beast and Asio stay inside broker/http/*.cpp; this header is plain.
///
/// One acceptor, N I/O threads each running its own event loop (io_context), connections handed to
/// them round robin at accept and kept there (each loop is run by its thread alone, so a
/// connection's handlers run one at a time without a strand; session.cpp). A
/// connection over the per-address or the global cap is closed at accept. Each request is read
/// with a header timeout, a header size limit and a body limit, converted into a broker::Request
/// (wire.h), handed to the handler on the connection's thread, and the returned broker::Response
/// is written back with the security headers, keep-alive permitting. What the HTTP layer refuses
/// itself (malformed encodings, limits, a body that never arrives) gets the refusal page with the
/// request id and a warn line with its reason; an answer sent before the whole request was read is
/// followed by a lingering close, so the client reads it instead of a reset. Handler exceptions are
/// caught once here, logged, and answered 500 with the request id.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "broker/http/wire.h"
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
  /// PEM CA certificates that client certificates are verified against. Empty: no client
  /// certificate is asked for. Set: the handshake asks for one (optional: browsers use the same
  /// listener), refuses one that does not verify, and a verified one reaches handlers as
  /// Request::client_cert.
  std::string client_ca_pem;
  /// Plain HTTP is refused unless this is set AND the address is loopback.
  bool allow_plain_http_on_loopback = false;
  unsigned threads = 0;  ///< 0 = std::thread::hardware_concurrency()
  std::size_t body_limit = 1024 * 1024;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{15'000};
  /// Concurrent connections from one client address; more are closed at accept. Schools reach
  /// the broker through NAT, many users to one address: keep it generous.
  std::size_t max_connections_per_address = 512;
  /// Concurrent connections in all; capped at start below the process's descriptor limit.
  std::size_t max_connections = 20'000;
  /// After an answer sent before the request was read whole (413, 431, 408, malformed HTTP), how
  /// long the rest of the client's bytes are read and dropped before closing (lingering close).
  std::chrono::milliseconds linger_timeout{2'000};
  /// The page of the HTTP layer's own refusals; defaultRefusalPage() when empty.
  RefusalRenderer refusal_page;
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

}  // namespace garde::broker::http
