// End-to-end tests of the HTTP(S) server on 127.0.0.1, port 0, with a small synchronous Beast
// client. Timing assertions are deliberately loose: they check behaviour, not speed.
#include "http_test_support.h"

using namespace http_test;

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
  o.tls_key_pem = garde::core::generateSelfSignedTls().key;
  CHECK_THROWS_WITH(Server(o, [](Request&) { return Response::text(200, ""); }),
                    Catch::Contains("private key"));
  o.tls_cert_pem = "not a certificate";
  CHECK_THROWS_AS(Server(o, [](Request&) { return Response::text(200, ""); }), std::runtime_error);
}

TEST_CASE("Request conversion: query, form, cookies, peer, Set-Cookie", "[broker][http]") {
  auto server = startServer(options(false));
  PlainClient client(server->port());
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo?state=a%2Fb&x=1+2", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::content_type, "application/x-www-form-urlencoded; charset=utf-8");
  req.set(bhttp::field::cookie, "garde_lang=fr; other=1");
  req.body() = "SAMLResponse=PHNhbWw%2B&RelayState=r";
  // (A name in both the query and the body is refused: wire_test.cpp, parameter pollution.)
  const auto res = client.roundTrip(req);
  CHECK(res.result_int() == 200);
  CHECK(res.body() ==
        "method=POST tls=0 q:state=a/b q:x=1 2 f:RelayState=r f:SAMLResponse=PHNhbWw+ "
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
