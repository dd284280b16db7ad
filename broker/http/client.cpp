#include "broker/http/client.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <optional>

namespace garde::broker::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

core::Failure unavailable(const std::string& host, const std::string& what) {
  return core::fail(core::ErrorCode::kUnavailable, host + ": " + what);
}

bool hostCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == ':';
}

template <class Stream>
asio::awaitable<void> exchange(Stream& stream, const ParsedUrl& url, const FetchRequest& request,
                               FetchResponse& out, beast::error_code& failure,
                               std::string& stage) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, url.target, 11};
  const bool default_port = url.port == (url.tls ? "443" : "80");
  const std::string host_header =
      (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) +
      (default_port ? "" : ":" + url.port);
  req.set(bhttp::field::host, host_header);
  req.set(bhttp::field::user_agent, "garde");
  req.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : request.headers) {
    req.set(name, value);
  }
  stage = "send";
  auto [write_error, written] =
      co_await bhttp::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  (void)written;
  if (write_error) {
    failure = write_error;
    co_return;
  }
  stage = "read";
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(request.max_body);
  auto [read_error, read] =
      co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  (void)read;
  if (read_error) {
    failure = read_error;
    co_return;
  }
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.etag = std::string(res[bhttp::field::etag]);
  out.last_modified = std::string(res[bhttp::field::last_modified]);
  out.content_type = std::string(res[bhttp::field::content_type]);
  out.body = std::move(parser.release().body());
}

}  // namespace

core::Result<ParsedUrl> parseFetchUrl(std::string_view url) {
  ParsedUrl out;
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return core::fail(core::ErrorCode::kBadRequest, "only http:// and https:// URLs are fetched");
  }
  if (url.size() > 4096 || url.find('#') != std::string_view::npos) {
    return core::fail(core::ErrorCode::kBadRequest, "a URL too long or with a fragment");
  }
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?') {
    out.target.insert(0, "/");
  }
  for (const char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return core::fail(core::ErrorCode::kBadRequest, "the URL's path must be percent-encoded");
    }
  }
  if (authority.find('@') != std::string_view::npos) {
    return core::fail(core::ErrorCode::kBadRequest, "a URL with user info is not fetched");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return core::fail(core::ErrorCode::kBadRequest, "an unterminated IPv6 address");
    }
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return core::fail(core::ErrorCode::kBadRequest, "a bad authority");
      }
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
    if (out.host.find(':') != std::string::npos) {
      return core::fail(core::ErrorCode::kBadRequest, "an IPv6 address goes in brackets");
    }
  }
  if (out.host.empty() || out.host.size() > 253 ||
      !std::all_of(out.host.begin(), out.host.end(), hostCharacter)) {
    return core::fail(core::ErrorCode::kBadRequest, "a bad host in the URL");
  }
  if (port.empty()) {
    out.port = out.tls ? "443" : "80";
  } else {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(),
                                        [](char c) { return c >= '0' && c <= '9'; })) {
      return core::fail(core::ErrorCode::kBadRequest, "a bad port in the URL");
    }
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) {
      return core::fail(core::ErrorCode::kBadRequest, "a bad port in the URL");
    }
    out.port = std::string(port);
  }
  return out;
}

core::Result<FetchResponse> fetch(const FetchRequest& request) {
  GARDE_ASSIGN_OR_RETURN(const ParsedUrl url, parseFetchUrl(request.url));
  asio::io_context ioc;
  std::optional<asio::ssl::context> tls;
  if (url.tls) {
    tls.emplace(asio::ssl::context::tls_client);
    tls->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                     asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    if (request.ca_file.empty()) {
      tls->set_default_verify_paths(ec);
    } else {
      tls->load_verify_file(request.ca_file, ec);
    }
    if (ec) {
      return unavailable(url.host, "cannot load the CA certificates: " + ec.message());
    }
    tls->set_verify_mode(asio::ssl::verify_peer);
  }

  FetchResponse out;
  beast::error_code failure;
  std::string stage = "resolve";
  bool done = false;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        tcp::resolver resolver(ioc);
        beast::tcp_stream tcp_stream(ioc);
        tcp_stream.expires_at(deadline);
        asio::steady_timer resolve_deadline(ioc, deadline);
        resolve_deadline.async_wait([&](beast::error_code e) {
          if (!e) {
            resolver.cancel();
          }
        });
        auto [resolve_error, endpoints] = co_await resolver.async_resolve(
            url.host, url.port, asio::as_tuple(asio::use_awaitable));
        resolve_deadline.cancel();
        if (resolve_error) {
          failure = resolve_error;
          co_return;
        }
        stage = "connect";
        auto [connect_error, endpoint] =
            co_await tcp_stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
        (void)endpoint;
        if (connect_error) {
          failure = connect_error;
          co_return;
        }
        if (!url.tls) {
          co_await exchange(tcp_stream, url, request, out, failure, stage);
        } else {
          beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
          stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
          if (SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
            failure = asio::error::invalid_argument;  // the host name cannot go in SNI
            co_return;
          }
          stage = "TLS handshake";
          auto [handshake_error] = co_await stream.async_handshake(
              asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
          if (handshake_error) {
            failure = handshake_error;
            co_return;
          }
          co_await exchange(stream, url, request, out, failure, stage);
        }
        if (!failure) {
          done = true;
        }
      },
      asio::detached);
  ioc.run();
  if (failure == bhttp::error::body_limit) {
    return core::fail(core::ErrorCode::kLimitExceeded,
                      url.host + ": the answer is larger than " +
                          std::to_string(request.max_body) + " bytes");
  }
  if (failure == beast::error::timeout || failure == asio::error::operation_aborted) {
    return unavailable(url.host, "no answer within the deadline (" + stage + ")");
  }
  if (failure) {
    return unavailable(url.host, stage + " failed: " + failure.message());
  }
  if (!done) {
    return unavailable(url.host, "the exchange did not complete (" + stage + ")");
  }
  return out;
}

}  // namespace garde::broker::http
