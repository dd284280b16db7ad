#pragma once
/// @file A small blocking HTTP/1.1 client for what garde fetches itself, off the request path:
/// peers' metadata (docs/metadata-sources.md). GET only, http:// and https:// (TLS 1.2+, the
/// server's certificate verified against the system's CAs or `ca_file`, host name checked), one
/// request per connection, no redirect followed, no cookie, a deadline for the whole exchange and a
/// cap on the body. Light header: Beast and Asio stay in client.cpp.

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace garde::broker::http {

struct FetchRequest {
  std::string url;  ///< http://host[:port]/path?query or https://...; no user info, no fragment
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra request headers
  std::chrono::milliseconds timeout{15'000};  ///< for the whole exchange, connect included
  std::size_t max_body = 64u * 1024 * 1024;
  std::string ca_file;  ///< PEM CAs for https; empty: the system's default paths
};

struct FetchResponse {
  int status = 0;
  std::string body;
  std::string etag;           ///< ETag, as sent
  std::string last_modified;  ///< Last-Modified, as sent
  std::string content_type;
};

/// Performs the GET. Any status is a response (the caller judges it). Errors: kBadRequest (a URL
/// garde does not fetch), kUnavailable (resolution, connection, TLS, timeout, a malformed answer),
/// kLimitExceeded (the body is larger than max_body). Details name the host, never a query string.
core::Result<FetchResponse> fetch(const FetchRequest& request);

/// The parts of a URL fetch() accepts. kBadRequest otherwise.
struct ParsedUrl {
  bool tls = false;
  std::string host;  ///< without brackets for IPv6
  std::string port;
  std::string target;  ///< path and query, at least "/"
};
core::Result<ParsedUrl> parseFetchUrl(std::string_view url);

}  // namespace garde::broker::http
