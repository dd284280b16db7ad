#pragma once
/// @file Raw DEFLATE (RFC 1951, no zlib or gzip wrapper), as the HTTP-Redirect binding uses it
/// (SAML2 Bindings 3.4.4.1). Pure; thread-safe (no shared state).

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace garde::saml {

/// Compresses `data` as a raw DEFLATE stream (one block with the fixed Huffman codes, any raw
/// inflater reads it). Throws std::bad_alloc only.
std::string deflateRaw(std::string_view data);

/// Inflates a raw DEFLATE stream, incrementally: output never grows past `max_inflated` bytes, so a
/// DEFLATE bomb costs at most `max_inflated` (plus one 16 KiB chunk) of memory.
/// Errors: kLimitExceeded past `max_inflated`; kBadEncoding for a corrupt, truncated or
/// zlib-wrapped stream, or data after the end of the stream.
core::Result<std::string> inflateRaw(std::string_view data, std::size_t max_inflated);

}  // namespace garde::saml
