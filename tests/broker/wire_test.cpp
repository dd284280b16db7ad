// The wire conversions without sockets: bytes -> Request (decoding, refusals with their reasons)
// and Response -> bytes (the server's headers).
#include "broker/http/wire.h"

#include <catch2/catch.hpp>
#include <string>

using garde::broker::Request;
using garde::broker::Response;
using garde::broker::http::ConnectionInfo;
using garde::broker::http::readRequestBytes;
using garde::broker::http::ResponseOptions;
using garde::broker::http::WireLimits;
using garde::broker::http::writeResponseBytes;

TEST_CASE("A request's bytes become a Request: query, headers, cookies, form, peer",
          "[broker][wire]") {
  ConnectionInfo conn;
  conn.peer = "192.0.2.7";
  conn.tls = true;
  conn.client_cert.sha256_fingerprint = "ab";
  const std::string body = "SAMLResponse=PD94&RelayState=a+b%26c";
  const auto in = readRequestBytes(
      "POST /saml/sp/acs?x=1&y=%C3%A9 HTTP/1.1\r\nHost: garde\r\nCookie: a=1; b=2\r\n"
      "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\nX-Two: 1\r\n"
      "X-Two: 2\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body,
      WireLimits{}, conn);
  REQUIRE_FALSE(in.refusal);
  const Request& r = in.request;
  CHECK(r.method == "POST");
  CHECK(r.path == "/saml/sp/acs");
  CHECK(*r.queryParam("y") == "\xC3\xA9");
  CHECK(*r.cookie("b") == "2");
  CHECK(*r.formField("RelayState") == "a b&c");
  CHECK(r.headers.count("x-two") == 2);
  CHECK(r.peer == "192.0.2.7");
  CHECK(r.is_tls);
  CHECK(r.client_cert.sha256_fingerprint == "ab");
  CHECK(r.request_id.size() == 24);
  CHECK(r.body == body);
}

TEST_CASE("What cannot be read is a refusal with a stable reason", "[broker][wire]") {
  const auto reason = [](const std::string& bytes, WireLimits limits = {}) {
    const auto in = readRequestBytes(bytes, limits);
    REQUIRE(in.refusal);
    CHECK_FALSE(in.request.request_id.empty());
    return std::to_string(in.refusal->status) + " " + in.refusal->reason;
  };
  CHECK(reason("GET /l?ent=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n") == "400 malformed_query");
  CHECK(reason("POST /a HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
               "\r\nContent-Length: 3\r\n\r\na=%") == "400 malformed_form");
  CHECK(reason("GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n") == "400 bad_target");
  CHECK(reason("GET / HTTP/1.1\r\nHost x\r\n\r\n") == "400 malformed_http");
  CHECK(reason("GET / HTTP/1.1\r\nHost: x\r\n") == "400 incomplete_request");
  CHECK(reason("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
               WireLimits{16 * 1024, 4}) == "413 body_too_large");
  CHECK(reason("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(200, 'a') + "\r\n\r\n",
               WireLimits{64, 1024}) == "431 header_too_large");
}

TEST_CASE("parseRequestBytes reports refusals as errors", "[broker][wire]") {
  const auto ok = garde::broker::http::parseRequestBytes("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                                         WireLimits{});
  REQUIRE(ok.has_value());
  CHECK(ok->path == "/healthz");
  const auto bad =
      garde::broker::http::parseRequestBytes("GET /?a=%Z HTTP/1.1\r\nHost: x\r\n\r\n", {});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == garde::core::ErrorCode::kBadRequest);
  CHECK(bad.error().detail.rfind("malformed_query", 0) == 0);
}

TEST_CASE("A Response becomes bytes with the server's headers", "[broker][wire]") {
  Request req;
  req.request_id = "rid";
  req.method = "GET";
  Response res = Response::html(200, "<p>x</p>");
  res.setHeader("Content-Length", "999");  // framing belongs to the server
  res.setHeader("Connection", "upgrade");
  garde::broker::SetCookie c;
  c.name = "garde_x";
  c.value = "v";
  res.cookies.push_back(c);
  const std::string tls = writeResponseBytes(req, res, ResponseOptions{true, true});
  CHECK(tls.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK_THAT(tls, Catch::Contains("Content-Length: 8\r\n"));
  CHECK_THAT(tls, !Catch::Contains("999"));
  CHECK_THAT(tls, !Catch::Contains("upgrade"));
  CHECK_THAT(tls, Catch::Contains("X-Request-Id: rid\r\n"));
  CHECK_THAT(tls, Catch::Contains("Strict-Transport-Security: max-age=31536000"));
  CHECK_THAT(tls, Catch::Contains("Cache-Control: no-store"));
  CHECK_THAT(tls, Catch::Contains("X-Frame-Options: DENY"));
  CHECK_THAT(tls, Catch::Contains("; Secure"));
  CHECK_THAT(tls, Catch::EndsWith("\r\n\r\n<p>x</p>"));
  const std::string plain = writeResponseBytes(req, res, ResponseOptions{false, false});
  CHECK_THAT(plain, !Catch::Contains("Strict-Transport-Security"));
  CHECK_THAT(plain, !Catch::Contains("; Secure"));
  CHECK_THAT(plain, Catch::Contains("Connection: close\r\n"));
  req.method = "HEAD";
  const std::string head = writeResponseBytes(req, res, ResponseOptions{});
  CHECK_THAT(head, Catch::Contains("Content-Length: 8\r\n"));
  CHECK_THAT(head, Catch::EndsWith("\r\n\r\n"));
}

TEST_CASE("The default refusal page is HTML, escaped, with the request id", "[broker][wire]") {
  Request req;
  req.request_id = "<id>";
  const Response r = garde::broker::http::defaultRefusalPage(req, {413, "body_too_large", "x"});
  CHECK(r.status == 413);
  CHECK_THAT(*r.header("Content-Type"), Catch::Contains("text/html"));
  CHECK_THAT(r.body, Catch::Contains("&lt;id&gt;"));
  CHECK_THAT(r.body, !Catch::Contains("<id>"));
}

TEST_CASE("A repeated or conflicting parameter is refused before any handler",
          "[broker][wire][pollution]") {
  const auto refusal = [](const std::string& target, const std::string& body = {},
                          const std::string& cookie = {}) -> std::string {
    std::string bytes = (body.empty() ? "GET " : "POST ") + target + " HTTP/1.1\r\nHost: x\r\n";
    if (!cookie.empty()) {
      bytes += "Cookie: " + cookie + "\r\n";
    }
    if (!body.empty()) {
      bytes += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n";
    }
    const auto in = readRequestBytes(bytes + "\r\n" + body, WireLimits{});
    return in.refusal ? std::to_string(in.refusal->status) + " " + in.refusal->reason + ": " +
                            in.refusal->detail
                      : "accepted";
  };
  CHECK(refusal("/launch/x?ent=ENTTEST1&ent=OTHER") ==
        "400 repeated_parameter: parameter 'ent' given more than once");
  CHECK(refusal("/launch/x?ent=ENTTEST1&ent=ENTTEST1") ==
        "400 repeated_parameter: parameter 'ent' given more than once");  // even the same value
  CHECK(refusal("/saml/idp/sso?SAMLRequest=a&RelayState=r&SAMLRequest=b").rfind(
            "400 repeated_parameter: parameter 'SAMLRequest'", 0) == 0);
  CHECK(refusal("/saml/sp/acs", "SAMLResponse=a&RelayState=r&SAMLResponse=b") ==
        "400 repeated_parameter: parameter 'SAMLResponse' given more than once");
  CHECK(refusal("/saml/sp/acs?RelayState=q", "SAMLResponse=a&RelayState=r") ==
        "400 repeated_parameter: parameter 'RelayState' given more than once");  // query and body
  CHECK(refusal("/x?" + std::string(60, 'n') + "=1&" + std::string(60, 'n') + "=2")
            .find(std::string(40, 'n') + "...'") != std::string::npos);  // a bounded name
  CHECK(refusal("/x?%0A=1&%0A=2") ==
        "400 repeated_parameter: parameter '?' given more than once");  // printable in the log
  CHECK(refusal("/demo/?garde_bind=1", "", "garde_bind=AAAA; x=1; garde_bind=BBBB") ==
        "400 repeated_cookie: cookie 'garde_bind' sent more than once");

  CHECK(refusal("/launch/x?ent=ENTTEST1&uai=0561534N") == "accepted");
  CHECK(refusal("/saml/sp/acs?a=1", "SAMLResponse=a&RelayState=r") == "accepted");
  CHECK(refusal("/", "", "theirs=1; theirs=2; garde_bind=A") == "accepted");  // not our cookie
}
