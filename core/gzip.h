#pragma once
/// @file gzip (RFC 1952) compression of HTTP bodies, for clients that send
/// `Accept-Encoding: gzip`. Compression only: garde never inflates gzip from a client.

#include <string>
#include <string_view>

namespace garde::core {

/// `data` as one gzip member (zlib's default level). Never fails for inputs below 4 GiB; throws
/// std::bad_alloc like any allocation.
std::string gzipCompress(std::string_view data);

/// Whether an Accept-Encoding header value admits gzip (a `gzip` or `x-gzip` coding, or `*`,
/// whose q-value is not 0; RFC 9110 section 12.5.3).
bool acceptsGzip(std::string_view accept_encoding);

}  // namespace garde::core
