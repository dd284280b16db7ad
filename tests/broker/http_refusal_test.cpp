// What the HTTP layer refuses itself (malformed encodings, limits, a body or header that never
// arrives, connections over a cap) gets the refusal page with the request id, a warn line with its
// reason and a metric; an answer sent before the request was read whole is read by the client,
// not lost to a reset.
#include <mutex>
#include <vector>

#include "http_test_support.h"
#include "support/log_capture.h"

using namespace http_test;

namespace {

using garde::test::LogCapture;

void requireRefusalPage(const bhttp::response<bhttp::string_body>& res, unsigned status) {
  CHECK(res.result_int() == status);
  CHECK_THAT(std::string(res[bhttp::field::content_type]), Catch::Contains("text/html"));
  const std::string id(res["X-Request-Id"]);
  REQUIRE_FALSE(id.empty());
  CHECK_THAT(res.body(), Catch::Contains(id));
}

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("A malformed %-escape in a query or a form body gets the refusal page and a reason",
          "[broker][http][refusal]") {
  LogCapture log;
  garde::broker::Metrics metrics;
  auto server = startServer(options(false), nullptr, &metrics);
  SECTION("query") {
    PlainClient client(server->port());
    const auto res = client.roundTrip(makeGet("/launch/x?ent=%ZZ"));
    requireRefusalPage(res, 400);
    CHECK(log.has({"\"warn\"", "request refused", "\"reason\":\"malformed_query\""}));
    CHECK_THAT(metrics.exposition(),
               Catch::Contains("garde_http_refusals_total{reason=\"malformed_query\"} 1"));
    // Read whole: the connection stays usable.
    CHECK(client.roundTrip(makeGet("/healthz")).result_int() == 200);
  }
  SECTION("form body") {
    PlainClient client(server->port());
    bhttp::request<bhttp::string_body> form{bhttp::verb::post, "/saml/sp/acs", 11};
    form.set(bhttp::field::host, "127.0.0.1");
    form.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    form.body() = "SAMLResponse=%ZZ%";
    requireRefusalPage(client.roundTrip(form), 400);
    CHECK(log.has({"request refused", "\"reason\":\"malformed_form\""}));
  }
}

TEST_CASE("A repeated parameter gets the refusal page, a warn line with its reason and a count",
          "[broker][http][refusal][pollution]") {
  LogCapture log;
  garde::broker::Metrics metrics;
  auto server = startServer(options(false), nullptr, &metrics);
  PlainClient client(server->port());
  requireRefusalPage(client.roundTrip(makeGet("/launch/x?ent=ENTTEST1&ent=OTHER")), 400);
  CHECK(log.has({"\"warn\"", "request refused", "\"reason\":\"repeated_parameter\""}));
  CHECK_THAT(metrics.exposition(),
             Catch::Contains("garde_http_refusals_total{reason=\"repeated_parameter\"} 1"));
  CHECK(client.roundTrip(makeGet("/healthz")).result_int() == 200);
}

TEST_CASE("The serve command's refusal page is used for the HTTP layer's refusals",
          "[broker][http][refusal]") {
  ServerOptions o = options(false);
  o.refusal_page = [](const Request& req, const garde::broker::http::Refusal& r) {
    return Response::html(r.status, "<p>custom " + r.reason + " " + req.request_id + "</p>");
  };
  auto server = startServer(o);
  PlainClient client(server->port());
  const auto res = client.roundTrip(makeGet("/x?a=%G"));
  requireRefusalPage(res, 400);
  CHECK_THAT(res.body(), Catch::StartsWith("<p>custom malformed_query "));
}

TEST_CASE("413 and 431 get the refusal page with a reason", "[broker][http][refusal]") {
  LogCapture log;
  auto server = startServer(options(false));  // body_limit 4096
  SECTION("413") {
    PlainClient client(server->port());
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = std::string(8192, 'a');
    requireRefusalPage(client.roundTrip(req), 413);
    CHECK(log.has({"\"warn\"", "\"reason\":\"body_too_large\""}));
  }
  SECTION("431") {
    PlainClient client(server->port());
    auto req = makeGet("/healthz");
    req.set("X-Big", std::string(20 * 1024, 'h'));
    requireRefusalPage(client.roundTrip(req), 431);
    CHECK(log.has({"\"warn\"", "\"reason\":\"header_too_large\""}));
  }
}

TEST_CASE("A 413 sent while the client is still sending its body is read, not reset",
          "[broker][http][refusal]") {
  auto server = startServer(options(false));  // body_limit 4096
  for (int round = 0; round < 5; ++round) {
    PlainClient client(server->port());
    const std::string body(256 * 1024, 'z');
    const std::string head =
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n";
    net::write(client.socket, net::buffer(head + body));
    // The server answered right after the header; the body reaches it afterwards. Without a
    // lingering close it would close with those bytes unread and the kernel would reset the
    // connection, dropping the answer the client has not read yet.
    std::this_thread::sleep_for(200ms);
    bhttp::response<bhttp::string_body> res;
    beast::error_code ec;
    bhttp::read(client.socket, client.buffer, res, ec);
    REQUIRE_FALSE(ec);
    CHECK(res.result_int() == 413);
  }
}

TEST_CASE("A body shorter than its Content-Length is answered 408, logged and counted",
          "[broker][http][refusal]") {
  LogCapture log;
  garde::broker::Metrics metrics;
  ServerOptions o = options(false);
  o.body_timeout = 300ms;
  auto server = startServer(o, nullptr, &metrics);
  PlainClient client(server->port());
  net::write(client.socket,
             net::buffer(std::string("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                                     "\r\nonly ten b")));
  bhttp::response<bhttp::string_body> res;
  bhttp::read(client.socket, client.buffer, res);
  requireRefusalPage(res, 408);
  CHECK(log.has({"\"warn\"", "\"event\":\"body_timeout\""}));
  CHECK_THAT(metrics.exposition(),
             Catch::Contains("garde_http_connection_events_total{event=\"body_timeout\"} 1"));
}

TEST_CASE("A slowloris header is cut at the header timeout, logged and counted",
          "[broker][http][refusal]") {
  LogCapture log;
  garde::broker::Metrics metrics;
  auto server = startServer(options(false), nullptr, &metrics);  // header_timeout 300 ms
  PlainClient client(server->port());
  net::write(client.socket, net::buffer(std::string("GET /healthz HTTP/1.1\r\nX-A: ")));
  CHECK(closedByPeerWithin(client.socket, 10s));
  CHECK(eventually([&] { return log.has({"\"warn\"", "\"event\":\"header_timeout\""}); }));
  CHECK_THAT(metrics.exposition(),
             Catch::Contains("garde_http_connection_events_total{event=\"header_timeout\"} 1"));
}

TEST_CASE("Connections over the per-address cap are closed at accept and counted",
          "[broker][http][refusal]") {
  LogCapture log;
  garde::broker::Metrics metrics;
  ServerOptions o = options(false);
  o.max_connections_per_address = 2;
  auto server = startServer(o, nullptr, &metrics);
  auto first = std::make_unique<PlainClient>(server->port());
  PlainClient second(server->port());
  CHECK(first->roundTrip(makeGet("/healthz")).result_int() == 200);
  CHECK(second.roundTrip(makeGet("/healthz")).result_int() == 200);
  PlainClient third(server->port());
  CHECK(closedByPeerWithin(third.socket, 5s));
  CHECK_THAT(
      metrics.exposition(),
      Catch::Contains("garde_http_connection_events_total{event=\"refused_address_limit\"} 1"));
  CHECK(log.has({"\"event\":\"refused_address_limit\""}));
  // A slot given back is taken again.
  first.reset();
  CHECK(eventually([&] {
    PlainClient again(server->port());
    beast::error_code ec;
    auto req = makeGet("/healthz");
    req.prepare_payload();
    bhttp::write(again.socket, req, ec);
    bhttp::response<bhttp::string_body> res;
    if (!ec) {
      bhttp::read(again.socket, again.buffer, res, ec);
    }
    return !ec && res.result_int() == 200;
  }));
}

TEST_CASE("Connections over the global cap are closed at accept and counted",
          "[broker][http][refusal]") {
  garde::broker::Metrics metrics;
  ServerOptions o = options(false);
  o.max_connections = 1;
  auto server = startServer(o, nullptr, &metrics);
  PlainClient first(server->port());
  CHECK(first.roundTrip(makeGet("/healthz")).result_int() == 200);
  PlainClient second(server->port());
  CHECK(closedByPeerWithin(second.socket, 5s));
  CHECK_THAT(
      metrics.exposition(),
      Catch::Contains("garde_http_connection_events_total{event=\"refused_global_limit\"} 1"));
}
