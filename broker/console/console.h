#pragma once
/// @file The web console (docs/console.md): its page at GET /admin/ and its script, style sheet
/// and icon at GET /admin/assets/{name}, compiled into the binary from broker/console/assets/ (no
/// file is read at run time, no other host is ever named). The page is the same for everyone and
/// holds no data: everything it shows comes from the JSON APIs, with the caller's own session.

#include <span>
#include <string_view>

#include "broker/router.h"

namespace garde::broker::console {

struct Asset {
  std::string_view name;          ///< "console.js": the file's name under assets/
  std::string_view content_type;  ///< from its extension
  std::string_view body;
};

/// Every file of broker/console/assets/, embedded at build time (broker/CMakeLists.txt).
std::span<const Asset> embeddedAssets() noexcept;

/// The page's Content-Security-Policy: scripts, styles, images and API calls from garde only; no
/// inline script or style, no plugin, no framing, forms only to garde.
inline constexpr std::string_view kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// GET /admin/ (index.html) and GET /admin/assets/{name}, CallerAuth::kNone: the page is public,
/// the APIs it calls are not. Each answer has an ETag (If-None-Match gives 304).
void mountConsole(Router& router);

}  // namespace garde::broker::console
