#pragma once
/// @file Base64 (RFC 4648, strict) and URL percent-encoding. Pure.

#include <string>
#include <string_view>

#include "core/result.h"

namespace garde::core {

std::string base64Encode(std::string_view data);
/// Appends the standard base64 of `data` to `out` (one copy less where the text goes into a page).
void appendBase64(std::string& out, std::string_view data);

/// Strict base64 decode: ASCII whitespace (as in XML and line-wrapped POST bodies) is skipped;
/// any other character outside the alphabet, bad padding or a truncated quantum is kBadEncoding.
/// `max_decoded` caps the output (kLimitExceeded past it).
Result<std::string> base64Decode(std::string_view text, std::size_t max_decoded = 1 << 24);

/// base64url without padding (RFC 4648 section 5), for tokens and cookies.
std::string base64UrlEncode(std::string_view data);
Result<std::string> base64UrlDecode(std::string_view text);

/// Percent-encodes everything but RFC 3986 unreserved characters. With `space_as_plus`, a space
/// becomes '+' (application/x-www-form-urlencoded, as most SAML stacks re-encode RelayState).
std::string urlEncode(std::string_view text, bool space_as_plus = false);
/// Decodes %XX and, in form mode, '+' as space. Malformed escapes are kBadEncoding.
Result<std::string> urlDecode(std::string_view text, bool form_mode = true);

/// Escapes text for an HTML or XML text node or a quoted attribute value (&, <, >, ", ').
std::string htmlEscape(std::string_view text);

/// Lower-case hex of bytes.
std::string hexEncode(std::string_view data);

/// Appends `value` as one quoted CSV cell (RFC 4180: quotes doubled). A value that a spreadsheet
/// would read as a formula (starting with = + - @ tab or CR) is prefixed with a quote, so an export
/// opened in a spreadsheet never runs what a partner wrote.
void appendCsvCell(std::string& out, std::string_view value);

}  // namespace garde::core
