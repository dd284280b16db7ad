// broker/http/client.h: the fetcher garde uses for peers' metadata, against garde's own server on
// loopback (plain and TLS), a server that never answers, and URLs it must not fetch.
#include "broker/http/client.h"

#include "http_test_support.h"
#include "support/temp_dir.h"

namespace {

using garde::broker::http::fetch;
using garde::broker::http::FetchRequest;
using garde::broker::http::parseFetchUrl;
using garde::core::ErrorCode;

garde::broker::http::ServerHandler bigBody() {
  return [](Request& req) {
    if (req.path == "/big") {
      return Response::text(200, std::string(100'000, 'x'));
    }
    Response res = Response::text(200, "hello " + (req.header("x-test") ? *req.header("x-test")
                                                                        : std::string("-")));
    res.setHeader("ETag", "\"e1\"");
    res.setHeader("Last-Modified", "Wed, 02 Dec 2026 10:00:00 GMT");
    return res;
  };
}

}  // namespace

TEST_CASE("The fetcher reads an answer over plain HTTP on loopback, with its validators",
          "[broker][http][client]") {
  auto server = http_test::startServer(http_test::options(false), bigBody());
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  FetchRequest r;
  r.url = base + "/doc?x=1";
  r.headers = {{"X-Test", "42"}};
  auto got = fetch(r);
  REQUIRE(got.has_value());
  CHECK(got->status == 200);
  CHECK(got->body == "hello 42");
  CHECK(got->etag == "\"e1\"");
  CHECK(got->last_modified == "Wed, 02 Dec 2026 10:00:00 GMT");

  SECTION("a body over the cap is refused") {
    r.url = base + "/big";
    r.max_body = 10'000;
    CHECK(fetch(r).error().code == ErrorCode::kLimitExceeded);
  }
  SECTION("nothing listening") {
    r.url = "http://127.0.0.1:1/doc";
    CHECK(fetch(r).error().code == ErrorCode::kUnavailable);
  }
}

TEST_CASE("The fetcher verifies the server's certificate over HTTPS", "[broker][http][client]") {
  auto server = http_test::startServer(http_test::options(true), bigBody());
  garde::test::TempDir dir;
  FetchRequest r;
  r.url = "https://localhost:" + std::to_string(server->port()) + "/doc";
  SECTION("trusted through ca_file") {
    r.ca_file = dir.write("ca.pem", http_test::testTls().cert);
    auto got = fetch(r);
    REQUIRE(got.has_value());
    CHECK(got->body == "hello -");
  }
  SECTION("not trusted by the system's CAs") {
    auto got = fetch(r);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == ErrorCode::kUnavailable);
    CHECK(got.error().detail.find("TLS handshake") != std::string::npos);
  }
  SECTION("a name the certificate does not carry") {
    r.ca_file = dir.write("ca.pem", http_test::testTls().cert);
    r.url = "https://127.0.0.2:" + std::to_string(server->port()) + "/doc";
    CHECK_FALSE(fetch(r).has_value());
  }
}

TEST_CASE("The fetcher gives up at its deadline", "[broker][http][client]") {
  // A socket that listens but never answers: connect succeeds (backlog), nothing comes back.
  net::io_context ioc;
  tcp::acceptor silent(ioc, {net::ip::make_address("127.0.0.1"), 0});
  FetchRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/doc";
  r.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto got = fetch(r);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code == ErrorCode::kUnavailable);
  CHECK(got.error().detail.find("deadline") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("URLs the fetcher refuses", "[broker][http][client]") {
  for (const char* bad : {"ftp://x/y", "file:///etc/passwd", "http://user:pw@host/x",
                          "http://host/x#frag", "http:///x", "http://host:0/x", "http://host:99999/",
                          "http://host:8a/", "http://ho st/", "http://[::1/x", "http://::1/x",
                          "https://host/a b"}) {
    INFO(bad);
    CHECK(parseFetchUrl(bad).error().code == ErrorCode::kBadRequest);
  }
  auto u = parseFetchUrl("https://[::1]:8443?q=1");
  REQUIRE(u.has_value());
  CHECK(u->tls);
  CHECK(u->host == "::1");
  CHECK(u->port == "8443");
  CHECK(u->target == "/?q=1");
  u = parseFetchUrl("http://federation.test/md/all.xml");
  REQUIRE(u.has_value());
  CHECK(u->port == "80");
  CHECK(u->target == "/md/all.xml");
}
