#include "broker/console/console.h"

#include <map>
#include <string>

#include "core/x509.h"

namespace garde::broker::console {
namespace {

struct Served {
  const Asset* asset;
  std::string etag;
};

/// The assets by name with their ETags, computed once.
const std::map<std::string_view, Served>& served() {
  static const std::map<std::string_view, Served> kServed = [] {
    std::map<std::string_view, Served> out;
    for (const Asset& a : embeddedAssets()) {
      out.emplace(a.name, Served{&a, "\"" + core::sha256Hex(a.body).substr(0, 32) + "\""});
    }
    return out;
  }();
  return kServed;
}

Response serve(const Request& req, const Served& s, bool page) {
  Response r;
  r.setHeader("ETag", s.etag);
  // Revalidated on every load: a new binary's console is used at once.
  r.setHeader("Cache-Control", "no-cache");
  r.setHeader("X-Content-Type-Options", "nosniff");
  r.setHeader("Referrer-Policy", "no-referrer");
  if (page) {
    r.setHeader("Content-Security-Policy", std::string(kConsoleCsp));
    r.setHeader("X-Frame-Options", "DENY");
  }
  const std::string* match = req.header("if-none-match");
  if (match != nullptr && *match == s.etag) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.setHeader("Content-Type", std::string(s.asset->content_type));
  r.body = std::string(s.asset->body);
  return r;
}

}  // namespace

void mountConsole(Router& router) {
  const auto& index = served().at("index.html");
  router.get("/admin/", CallerAuth::kNone,
             [&index](const Request& req) { return serve(req, index, true); });
  router.get("/admin/assets/{name}", CallerAuth::kNone, [](const Request& req) {
    const std::string* name = req.pathParam("name");
    const auto it = name != nullptr ? served().find(*name) : served().end();
    if (it == served().end() || it->first == "index.html") {
      Response r = Response::text(404, "no such file\n");
      r.setHeader("X-Content-Type-Options", "nosniff");
      return r;
    }
    return serve(req, it->second, false);
  });
}

}  // namespace garde::broker::console
