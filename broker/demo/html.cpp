#include "broker/demo/html.h"

#include "core/encoding.h"
#include "core/random.h"
#include "saml/binding/post.h"

namespace garde::broker::demo {
namespace {

struct SiteStyle {
  const char* label;
  const char* colour;
};

SiteStyle siteStyle(Site site) {
  switch (site) {
    case Site::kEnt:
      return {"ENT de démonstration · demo school portal (identity provider)", "#1d4f91"};
    case Site::kPublisherA:
      return {"Éditions Démo A · demo publisher A (service provider)", "#1b6e3a"};
    case Site::kPublisherB:
      return {"Outils Démo B · demo publisher B (service provider)", "#8a4b08"};
    case Site::kLanding:
      break;
  }
  return {"garde · demo", "#444"};
}

// Kept short and readable; no external resources, so the page works offline.
constexpr std::string_view kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a1a1a;background:#f5f6f8}
header{color:#fff;padding:.7rem 1.5rem;font-weight:600}
main{max-width:52rem;margin:1.5rem auto;padding:0 1.5rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}
h2{font-size:1.15rem;margin:1.6rem 0 .6rem}
a{color:#1d4f91}
.card{background:#fff;border:1px solid #d9dce1;border-radius:8px;padding:1rem 1.2rem;margin:0 0 1rem}
.tiles{display:flex;flex-wrap:wrap;gap:1rem}
.tile{flex:1 1 18rem}
.tile h2{margin-top:0}
.muted{color:#5b6270;font-size:.92rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d9dce1;padding:.45rem .6rem;text-align:left;vertical-align:top}
th{background:#eef0f3}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem;word-break:break-all}
.chip{display:inline-block;border-radius:1rem;padding:.1rem .6rem;margin:.1rem;font-family:ui-monospace,monospace;font-size:.85rem}
.got{background:#d7f0de;color:#135c2b}
.not{background:#eceef1;color:#6b7280;text-decoration:line-through}
.users{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.6rem}
button{font:inherit;cursor:pointer;text-align:left;background:#fff;border:1px solid #b8bec8;border-radius:6px;padding:.6rem .8rem}
button:hover{border-color:#1d4f91;background:#eef3fb}
button small{display:block;color:#5b6270}
.ok{color:#135c2b;font-weight:600}
.bad{color:#9b1c1c;font-weight:600}
)";

}  // namespace

std::string newNonce() { return core::base64UrlEncode(core::systemRandom().bytes(16)); }

Response htmlPage(int status, Site site, std::string_view title, std::string_view body_html) {
  const std::string nonce = newNonce();
  const SiteStyle s = siteStyle(site);
  std::string html;
  html.reserve(body_html.size() + kStyle.size() + 1024);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta name=\"referrer\" content=\"no-referrer\">\n<title>";
  html += htmlEscape(title);
  html += "</title>\n<style nonce=\"" + nonce + "\">";
  html += kStyle;
  html += "header{background:";
  html += s.colour;
  html += "}</style>\n</head>\n<body>\n<header>";
  html += htmlEscape(s.label);
  html += "</header>\n<main>\n<h1>";
  html += htmlEscape(title);
  html += "</h1>\n";
  html += body_html;
  html += "\n</main>\n</body>\n</html>\n";
  Response res = Response::html(status, std::move(html));
  res.setHeader("Content-Security-Policy",
                "default-src 'none'; style-src 'nonce-" + nonce +
                    "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  return res;
}

Response postFormResponse(std::string_view xml, std::string_view action_url,
                          std::string_view relay_state, bool is_request) {
  const std::string nonce = newNonce();
  Response res =
      Response::html(200, saml::renderPostForm(xml, action_url, relay_state, is_request, nonce));
  res.setHeader("Content-Security-Policy", saml::postFormCsp(nonce));
  res.setHeader("Cache-Control", "no-cache, no-store");
  res.setHeader("Pragma", "no-cache");
  return res;
}

}  // namespace garde::broker::demo
