#pragma once
// The HTTP server tests' shared pieces: server options on 127.0.0.1 port 0, a router of test
// endpoints, and small synchronous Beast clients (plain and TLS).
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

#include "broker/http/server.h"
#include "broker/metrics.h"
#include "broker/router.h"
#include "core/log.h"
#include "core/x509.h"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using garde::broker::CallerAuth;
using garde::broker::Request;
using garde::broker::Response;
using garde::broker::Router;
using garde::broker::http::Server;
using garde::broker::http::ServerOptions;
using namespace std::chrono_literals;

namespace http_test {

inline const garde::core::CertificatePem& testTls() {
  static const garde::core::CertificatePem pem = garde::core::generateSelfSignedTls();
  return pem;
}

inline ServerOptions options(bool tls) {
  ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.tls = tls;
  o.allow_plain_http_on_loopback = !tls;
  if (tls) {
    o.tls_cert_pem = testTls().cert;
    o.tls_key_pem = testTls().key;
  }
  o.threads = 2;
  o.body_limit = 4096;
  o.header_timeout = 300ms;
  o.idle_timeout = 2s;
  o.body_timeout = 5s;
  o.shutdown_grace = 5s;
  return o;
}

/// A router with a few test endpoints.
inline Router& testRouter() {
  static Router router = [] {
    Router r;
    garde::broker::addOperatorRoutes(
        r, [] { return true; }, [] { return std::string(); });
    r.post("/echo", CallerAuth::kNone, [](const Request& req) {
      std::string out = "method=" + req.method + " tls=" + (req.is_tls ? "1" : "0");
      for (const auto& [k, v] : req.query) {
        out += " q:" + k + "=" + v;
      }
      for (const auto& [k, v] : req.form) {
        out += " f:" + k + "=" + v;
      }
      for (const auto& [k, v] : req.cookies) {
        out += " c:" + k + "=" + v;
      }
      out += " peer=" + req.peer;
      Response res = Response::text(200, out);
      garde::broker::SetCookie cookie;
      cookie.name = "garde_tx";
      cookie.value = "v1";
      res.cookies.push_back(cookie);
      return res;
    });
    r.get("/boom", CallerAuth::kNone,
          [](const Request&) -> Response { throw std::runtime_error("kaboom"); });
    return r;
  }();
  return router;
}

inline std::unique_ptr<Server> startServer(ServerOptions o,
                                           garde::broker::http::ServerHandler handler = nullptr,
                                           garde::broker::Metrics* metrics = nullptr) {
  if (!handler) {
    handler = [](Request& req) { return testRouter().dispatch(req); };
  }
  garde::core::setLogLevel(garde::core::LogLevel::kWarn);  // one line per request is noise here
  auto s = std::make_unique<Server>(std::move(o), std::move(handler), metrics);
  s->start();
  return s;
}

inline bhttp::request<bhttp::string_body> makeGet(const std::string& target) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  return req;
}

/// A plain TCP client connection.
struct PlainClient {
  net::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;

  explicit PlainClient(std::uint16_t port) {
    socket.connect({net::ip::make_address("127.0.0.1"), port});
  }

  bhttp::response<bhttp::string_body> roundTrip(bhttp::request<bhttp::string_body> req) {
    req.prepare_payload();
    bhttp::write(socket, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    return res;
  }
};

/// A TLS client connection (certificate not verified: the test cert is self-signed).
struct TlsClient {
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  ssl::stream<tcp::socket> stream{ioc, ctx};
  beast::flat_buffer buffer;

  explicit TlsClient(std::uint16_t port, int max_version = 0) {
    if (max_version != 0) {
      SSL_CTX_set_min_proto_version(ctx.native_handle(), 0);
      SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
      SSL_CTX_set_security_level(ctx.native_handle(), 0);
      SSL_set_min_proto_version(stream.native_handle(), 0);
      SSL_set_max_proto_version(stream.native_handle(), max_version);
      SSL_set_security_level(stream.native_handle(), 0);
    }
    stream.set_verify_mode(ssl::verify_none);
    stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
  }

  void handshake() { stream.handshake(ssl::stream_base::client); }

  bhttp::response<bhttp::string_body> roundTrip(bhttp::request<bhttp::string_body> req) {
    req.prepare_payload();
    bhttp::write(stream, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    return res;
  }
};

/// Reads from a raw socket until the peer closes it; returns true if it did within `limit`.
inline bool closedByPeerWithin(tcp::socket& socket, std::chrono::seconds limit) {
  socket.non_blocking(false);
  timeval tv{static_cast<time_t>(limit.count()), 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[256];
  while (true) {
    beast::error_code ec;
    socket.read_some(net::buffer(buf), ec);
    if (ec == net::error::eof || ec == net::error::connection_reset) {
      return true;
    }
    if (ec) {
      return false;  // timeout (EAGAIN) or another error
    }
  }
}

}  // namespace http_test
