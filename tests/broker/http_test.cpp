// End-to-end tests of the HTTP(S) server on 127.0.0.1, port 0, with a small synchronous Beast
// client. Timing assertions are deliberately loose: they check behaviour, not speed.
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "broker/http/server.h"
#include "broker/metrics.h"
#include "broker/router.h"
#include "core/log.h"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using garde::broker::Request;
using garde::broker::Response;
using garde::broker::Router;
using garde::broker::http::Server;
using garde::broker::http::ServerOptions;
using namespace std::chrono_literals;

namespace {

const garde::broker::http::TlsPem& testTls() {
  static const garde::broker::http::TlsPem pem = garde::broker::http::generateSelfSignedTls();
  return pem;
}

ServerOptions options(bool tls) {
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
Router& testRouter() {
  static Router router = [] {
    Router r;
    garde::broker::addOperatorRoutes(
        r, [] { return true; }, [] { return std::string(); });
    r.post("/echo", [](const Request& req) {
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
    r.get("/boom", [](const Request&) -> Response { throw std::runtime_error("kaboom"); });
    return r;
  }();
  return router;
}

std::unique_ptr<Server> startServer(ServerOptions o,
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

bhttp::request<bhttp::string_body> makeGet(const std::string& target) {
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
bool closedByPeerWithin(tcp::socket& socket, std::chrono::seconds limit) {
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

}  // namespace

TEST_CASE("HTTPS: TLS handshake with a self-signed cert and GET /healthz", "[broker][http]") {
  auto server = startServer(options(true));
  TlsClient client(server->port());
  client.handshake();
  CHECK(SSL_version(client.stream.native_handle()) >= TLS1_2_VERSION);
  const auto res = client.roundTrip(makeGet("/healthz"));
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "ok\n");
  CHECK(res["X-Content-Type-Options"] == "nosniff");
  CHECK(res["Referrer-Policy"] == "no-referrer");
  CHECK(res["Cache-Control"] == "no-store");
  CHECK(res["X-Frame-Options"] == "DENY");
  CHECK(res["Content-Security-Policy"] == "frame-ancestors 'none'");
  CHECK(res["Strict-Transport-Security"].starts_with("max-age="));
  CHECK(res["X-Request-Id"].size() == 24);
  server->stop(1s);
}

TEST_CASE("HTTPS: a TLS 1.1 client is refused", "[broker][http]") {
  auto server = startServer(options(true));
  TlsClient client(server->port(), TLS1_1_VERSION);
  CHECK_THROWS(client.handshake());
}

TEST_CASE("Plain HTTP is refused off loopback and accepted on loopback", "[broker][http]") {
  ServerOptions o = options(false);
  o.address = "0.0.0.0";
  try {
    Server s(o, [](Request&) { return Response::text(200, ""); });
    FAIL("plain HTTP on 0.0.0.0 was accepted");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("loopback"));
  }
  o.address = "127.0.0.1";
  o.allow_plain_http_on_loopback = false;
  CHECK_THROWS_AS(Server(o, [](Request&) { return Response::text(200, ""); }), std::runtime_error);
  o.allow_plain_http_on_loopback = true;
  CHECK_NOTHROW(Server(o, [](Request&) { return Response::text(200, ""); }));
}

TEST_CASE("HTTPS needs a matching key and certificate", "[broker][http]") {
  ServerOptions o = options(true);
  o.tls_key_pem = garde::broker::http::generateSelfSignedTls().key;
  CHECK_THROWS_WITH(Server(o, [](Request&) { return Response::text(200, ""); }),
                    Catch::Contains("private key"));
  o.tls_cert_pem = "not a certificate";
  CHECK_THROWS_AS(Server(o, [](Request&) { return Response::text(200, ""); }), std::runtime_error);
}

TEST_CASE("Request conversion: query, form, cookies, peer, Set-Cookie", "[broker][http]") {
  auto server = startServer(options(false));
  PlainClient client(server->port());
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo?RelayState=a%2Fb&x=1+2", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::content_type, "application/x-www-form-urlencoded; charset=utf-8");
  req.set(bhttp::field::cookie, "garde_lang=fr; other=1");
  req.body() = "SAMLResponse=PHNhbWw%2B&RelayState=r";
  const auto res = client.roundTrip(req);
  CHECK(res.result_int() == 200);
  CHECK(res.body() ==
        "method=POST tls=0 q:RelayState=a/b q:x=1 2 f:RelayState=r f:SAMLResponse=PHNhbWw+ "
        "c:garde_lang=fr "
        "c:other=1 peer=127.0.0.1");
  CHECK(res[bhttp::field::set_cookie] == "garde_tx=v1; Path=/; HttpOnly; SameSite=Lax");
  CHECK(res.find(bhttp::field::strict_transport_security) == res.end());  // not over plain HTTP
}

TEST_CASE("A malformed query or form body is a 400", "[broker][http]") {
  auto server = startServer(options(false));
  PlainClient client(server->port());
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo?a=%zz", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  CHECK(client.roundTrip(req).result_int() == 400);
  PlainClient client2(server->port());
  bhttp::request<bhttp::string_body> form{bhttp::verb::post, "/echo", 11};
  form.set(bhttp::field::host, "127.0.0.1");
  form.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  form.body() = "a=%G0";
  CHECK(client2.roundTrip(form).result_int() == 400);
}

TEST_CASE("A handler exception is a 500 with the request id and nothing else", "[broker][http]") {
  garde::broker::Metrics metrics;
  auto server = startServer(options(false), nullptr, &metrics);
  PlainClient client(server->port());
  const auto res = client.roundTrip(makeGet("/boom"));
  CHECK(res.result_int() == 500);
  const std::string id(res["X-Request-Id"]);
  REQUIRE_FALSE(id.empty());
  CHECK_THAT(res.body(), Catch::Contains(id));
  CHECK_THAT(res.body(), !Catch::Contains("kaboom"));
  // The connection survives for the next request.
  CHECK(client.roundTrip(makeGet("/healthz")).result_int() == 200);
  CHECK_THAT(metrics.exposition(),
             Catch::Contains("garde_http_requests_total{route=\"/boom\",code=\"5xx\"} 1"));
}

TEST_CASE("A body over the limit is a 413", "[broker][http]") {
  auto server = startServer(options(false));
  SECTION("announced by Content-Length") {
    PlainClient client(server->port());
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = std::string(8192, 'a');
    const auto res = client.roundTrip(req);
    CHECK(res.result_int() == 413);
    CHECK_FALSE(res.keep_alive());
  }
  SECTION("chunked") {
    PlainClient client(server->port());
    std::string raw = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) {
      raw += "400\r\n" + std::string(1024, 'b') + "\r\n";
    }
    raw += "0\r\n\r\n";
    net::write(client.socket, net::buffer(raw));
    bhttp::response<bhttp::string_body> res;
    bhttp::read(client.socket, client.buffer, res);
    CHECK(res.result_int() == 413);
  }
  SECTION("a body at the limit is accepted") {
    PlainClient client(server->port());
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = std::string(4096, 'a');
    CHECK(client.roundTrip(req).result_int() == 200);
  }
}

TEST_CASE("The header timeout closes a connection that sends an incomplete request",
          "[broker][http]") {
  auto server = startServer(options(false));  // header_timeout = 300 ms
  PlainClient client(server->port());
  net::write(client.socket, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));
  CHECK(closedByPeerWithin(client.socket, 10s));
}

TEST_CASE("The header timeout also covers a TLS client that never handshakes", "[broker][http]") {
  auto server = startServer(options(true));
  PlainClient client(server->port());
  CHECK(closedByPeerWithin(client.socket, 10s));
}

TEST_CASE("Keep-alive serves two requests on one connection", "[broker][http]") {
  auto server = startServer(options(true));
  TlsClient client(server->port());
  client.handshake();
  const auto first = client.roundTrip(makeGet("/healthz"));
  CHECK(first.result_int() == 200);
  CHECK(first.keep_alive());
  const auto second = client.roundTrip(makeGet("/readyz"));
  CHECK(second.result_int() == 200);
  CHECK(second.body() == "ready\n");
  CHECK(first["X-Request-Id"] != second["X-Request-Id"]);
  const auto third = client.roundTrip(makeGet("/nope"));
  CHECK(third.result_int() == 404);
}

TEST_CASE("Graceful shutdown lets an in-flight slow request finish", "[broker][http]") {
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  auto server = startServer(options(false), [&](Request& req) {
    if (req.path == "/slow") {
      entered.set_value();
      std::this_thread::sleep_for(500ms);
      return Response::text(200, "slow done");
    }
    return Response::text(200, "fast");
  });
  const std::uint16_t port = server->port();

  // An idle keep-alive connection is closed at once by the shutdown.
  PlainClient idle(port);
  CHECK(idle.roundTrip(makeGet("/fast")).body() == "fast");

  auto slow = std::async(std::launch::async, [port] {
    PlainClient client(port);
    return client.roundTrip(makeGet("/slow"));
  });
  REQUIRE(entered_future.wait_for(10s) == std::future_status::ready);
  server->stop(10s);

  const auto res = slow.get();
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "slow done");
  CHECK_FALSE(res.keep_alive());  // Connection: close during shutdown
  CHECK(closedByPeerWithin(idle.socket, 5s));

  // No longer accepting.
  net::io_context ioc;
  tcp::socket s(ioc);
  beast::error_code ec;
  s.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  CHECK(ec);
}

TEST_CASE("Shutdown past the grace period closes a connection still reading a body",
          "[broker][http]") {
  ServerOptions o = options(false);
  o.body_timeout = 60s;  // so only the shutdown can close it within the test's limits
  auto server = startServer(o);
  PlainClient client(server->port());
  net::write(client.socket,
             net::buffer(std::string(
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")));
  std::this_thread::sleep_for(100ms);  // let the server reach the body
  const auto started = std::chrono::steady_clock::now();
  server->stop(200ms);
  CHECK(std::chrono::steady_clock::now() - started < 20s);
  CHECK(closedByPeerWithin(client.socket, 10s));
}
