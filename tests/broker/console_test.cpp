// The console's files as garde serves them (broker/console/console.h): the page with its strict
// Content-Security-Policy and no inline script, each file it names served with its type, ETags
// and 304s, nothing else under /admin/assets/, and no other host named in any of them.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>

#include "broker/console/console.h"
#include "broker/router.h"

using namespace garde;

namespace {

broker::Response get(const broker::Router& router, const std::string& path,
                     const std::string& if_none_match = {}) {
  broker::Request req;
  req.method = "GET";
  req.target = path;
  req.path = path;
  req.request_id = "console-test";
  if (!if_none_match.empty()) req.headers.emplace("if-none-match", if_none_match);
  return router.dispatch(req);
}

std::string header(const broker::Response& r, const char* name) {
  const std::string* v = r.header(name);
  return v != nullptr ? *v : std::string();
}

}  // namespace

TEST_CASE("The console page: strict CSP, no inline script, its files served",
          "[broker][console]") {
  broker::Router router;
  broker::console::mountConsole(router);
  const broker::Response page = get(router, "/admin/");
  REQUIRE(page.status == 200);
  CHECK(header(page, "Content-Type").rfind("text/html", 0) == 0);
  CHECK(header(page, "Content-Security-Policy") == broker::console::kConsoleCsp);
  CHECK(header(page, "Content-Security-Policy").find("unsafe") == std::string::npos);
  CHECK(header(page, "X-Frame-Options") == "DENY");
  CHECK(header(page, "X-Content-Type-Options") == "nosniff");

  // Every <script> has a src (nothing inline), and no element carries an inline handler or style.
  const std::regex script("<script([^>]*)>");
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), script);
       it != std::sregex_iterator(); ++it) {
    CHECK((*it)[1].str().find("src=\"/admin/assets/") != std::string::npos);
  }
  CHECK_FALSE(std::regex_search(page.body, std::regex("\\son[a-z]+=")));
  CHECK(page.body.find("style=") == std::string::npos);

  // Each file the page names is served, with its type.
  const std::regex asset("\"/admin/assets/([a-z.]+)\"");
  std::set<std::string> named;
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), asset);
       it != std::sregex_iterator(); ++it) {
    named.insert((*it)[1].str());
  }
  CHECK(named == std::set<std::string>{"console.css", "console.js", "garde.svg"});
  for (const auto& name : named) {
    INFO(name);
    const broker::Response r = get(router, "/admin/assets/" + name);
    CHECK(r.status == 200);
    CHECK_FALSE(header(r, "Content-Type").empty());
    CHECK(header(r, "X-Content-Type-Options") == "nosniff");
  }
  CHECK(header(get(router, "/admin/assets/console.js"), "Content-Type") ==
        "text/javascript; charset=utf-8");
}

TEST_CASE("Console files: ETags, 304, nothing else served", "[broker][console]") {
  broker::Router router;
  broker::console::mountConsole(router);
  const broker::Response js = get(router, "/admin/assets/console.js");
  const std::string etag = header(js, "ETag");
  REQUIRE(etag.size() > 10);
  CHECK(header(js, "Cache-Control") == "no-cache");
  const broker::Response again = get(router, "/admin/assets/console.js", etag);
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(get(router, "/admin/assets/console.js", "\"other\"").status == 200);
  CHECK(get(router, "/admin/", header(get(router, "/admin/"), "ETag")).status == 304);

  CHECK(get(router, "/admin/assets/nope.js").status == 404);
  CHECK(get(router, "/admin/assets/index.html").status == 404);
  CHECK(get(router, "/admin/assets/..%2Fconsole.h").status == 404);
  CHECK(get(router, "/admin/assets/%2E%2E").status == 404);
}

TEST_CASE("The console names no other host", "[broker][console][security]") {
  // Fonts, scripts and styles come from garde: the only URLs in the files are garde's own paths
  // and the SVG namespace.
  const std::regex url("https?://[^\"'\\s)]+");
  for (const auto& a : broker::console::embeddedAssets()) {
    const std::string body(a.body);
    for (auto it = std::sregex_iterator(body.begin(), body.end(), url);
         it != std::sregex_iterator(); ++it) {
      INFO(a.name << ": " << it->str());
      CHECK(it->str() == "http://www.w3.org/2000/svg");
    }
  }
}
