#include "saml/binding/post.h"

#include <cassert>

#include "core/encoding.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;
using core::htmlEscape;

bool isNonceChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=' || c == '-' || c == '_';
}

[[maybe_unused]] bool isValidNonce(std::string_view nonce) {
  if (nonce.empty()) {
    return false;
  }
  for (char c : nonce) {
    if (!isNonceChar(c)) {
      return false;
    }
  }
  return true;
}

bool isSamlField(std::string_view name) {
  return name == "SAMLRequest" || name == "SAMLResponse" || name == "RelayState";
}

}  // namespace

std::string renderPostForm(std::string_view xml, std::string_view action_url,
                           std::string_view relay_state, bool is_request,
                           std::string_view csp_nonce) {
  assert(isValidNonce(csp_nonce));
  std::string html;
  html.reserve(xml.size() * 4 / 3 + 1024);
  html +=
      "<!DOCTYPE html>\n"
      "<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n"
      "<title>Redirection en cours</title>\n</head>\n<body>\n"
      "<form id=\"saml-post\" method=\"post\" action=\"";
  html += htmlEscape(action_url);
  html += "\">\n<input type=\"hidden\" name=\"";
  html += is_request ? "SAMLRequest" : "SAMLResponse";
  html += "\" value=\"";
  core::appendBase64(html, xml);  // A-Z a-z 0-9 + / =: nothing to escape in an attribute value
  html += "\">\n";
  if (!relay_state.empty()) {
    html += "<input type=\"hidden\" name=\"RelayState\" value=\"";
    html += htmlEscape(relay_state);
    html += "\">\n";
  }
  html +=
      "<noscript>\n<p>JavaScript est désactivé : cliquez sur le bouton pour continuer. "
      "(JavaScript is disabled: press the button to continue.)</p>\n"
      "<button type=\"submit\">Continuer / Continue</button>\n</noscript>\n"
      "</form>\n<script nonce=\"";
  html += htmlEscape(csp_nonce);
  html += "\">document.getElementById(\"saml-post\").submit();</script>\n</body>\n</html>\n";
  return html;
}

std::string postFormCsp(std::string_view csp_nonce) {
  assert(isValidNonce(csp_nonce));
  std::string csp = "default-src 'none'; script-src 'nonce-";
  csp += csp_nonce;
  csp += "'; base-uri 'none'; frame-ancestors 'none'";
  return csp;
}

core::Result<InboundMessage> decodePost(const FormFields& fields, const DecodeLimits& limits) {
  const auto request = fields.find("SAMLRequest");
  const auto response = fields.find("SAMLResponse");
  if (request != fields.end() && response != fields.end()) {
    return fail(ErrorCode::kBadRequest, "post: both SAMLRequest and SAMLResponse");
  }
  if (request == fields.end() && response == fields.end()) {
    return fail(ErrorCode::kBadRequest, "post: no SAMLRequest or SAMLResponse field");
  }
  InboundMessage msg;
  msg.binding = BindingType::kPost;
  msg.is_request = request != fields.end();
  const auto& [name, value] = msg.is_request ? *request : *response;
  if (value.size() > limits.max_encoded) {
    return fail(ErrorCode::kLimitExceeded,
                "post: " + name + " exceeds " + std::to_string(limits.max_encoded) + " bytes");
  }
  if (value.empty()) {
    return fail(ErrorCode::kBadRequest, "post: empty " + name);
  }
  auto xml = core::base64Decode(value, limits.max_inflated);
  if (!xml) {
    return fail(xml.error().code, "post: " + name + ": " + xml.error().detail);
  }
  msg.xml = std::move(xml).value();
  if (const auto relay = fields.find("RelayState"); relay != fields.end()) {
    if (relay->second.size() > limits.max_relay_state) {
      return fail(ErrorCode::kLimitExceeded,
                  "post: RelayState exceeds " + std::to_string(limits.max_relay_state) + " bytes");
    }
    msg.relay_state = relay->second;
  }
  return msg;
}

core::Result<InboundMessage> decodePostBody(std::string_view body, const DecodeLimits& limits) {
  if (body.size() > 2 * limits.max_encoded) {
    return fail(ErrorCode::kLimitExceeded,
                "post: body exceeds " + std::to_string(2 * limits.max_encoded) + " bytes");
  }
  FormFields fields;
  for (const RawParam& p : splitQuery(body)) {
    if (!isSamlField(p.name)) {
      continue;
    }
    auto value = core::urlDecode(p.value, /*form_mode=*/true);
    if (!value) {
      return fail(ErrorCode::kBadEncoding,
                  "post: " + std::string(p.name) + ": " + value.error().detail);
    }
    if (!fields.emplace(std::string(p.name), std::move(value).value()).second) {
      return fail(ErrorCode::kBadRequest, "post: duplicate " + std::string(p.name) + " field");
    }
  }
  return decodePost(fields, limits);
}

}  // namespace garde::saml
