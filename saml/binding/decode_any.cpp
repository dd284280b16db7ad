#include "saml/binding/decode_any.h"

#include "core/encoding.h"
#include "saml/binding/deflate.h"
#include "saml/binding/post.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// True if `s` looks like XML: optional UTF-8 BOM and whitespace, then '<'.
bool looksLikeXml(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") {
    s.remove_prefix(3);
  }
  s = trim(s);
  return !s.empty() && s.front() == '<';
}

bool hasSamlParam(std::string_view s) {
  for (const RawParam& p : splitQuery(s)) {
    if (p.name == "SAMLRequest" || p.name == "SAMLResponse") {
      return true;
    }
  }
  return false;
}

DecodedMessage fromInbound(InboundMessage m, InputForm form) {
  DecodedMessage d;
  d.form = form;
  d.xml = std::move(m.xml);
  d.binding = m.binding;
  d.is_request = m.is_request;
  d.relay_state = std::move(m.relay_state);
  d.signed_query = std::move(m.signed_query);
  d.sig_alg = std::move(m.sig_alg);
  d.signature = std::move(m.signature);
  return d;
}

// A query string or form body: Redirect if the message inflates, else POST.
core::Result<DecodedMessage> decodeParams(std::string_view query, InputForm redirect_form,
                                          const DecodeLimits& limits) {
  auto redirect = decodeRedirect(query, limits);
  if (redirect && looksLikeXml(redirect->xml)) {
    return fromInbound(std::move(redirect).value(), redirect_form);
  }
  auto post = decodePostBody(query, limits);
  if (post && looksLikeXml(post->xml)) {
    return fromInbound(std::move(post).value(), InputForm::kPostBody);
  }
  // Neither fits. The Redirect error is the informative one (a DEFLATE bomb, a bad signature
  // parameter); a POST decoder failure only matters when the Redirect decoding went through.
  if (!redirect) {
    return fail(std::move(redirect).error());
  }
  if (!post) {
    return fail(std::move(post).error());
  }
  return fail(ErrorCode::kBadEncoding, "decoded message is not XML");
}

}  // namespace

std::string_view inputFormName(InputForm form) noexcept {
  switch (form) {
    case InputForm::kXml:
      return "xml";
    case InputForm::kBase64:
      return "base64";
    case InputForm::kBase64Deflate:
      return "base64+deflate";
    case InputForm::kRedirectUrl:
      return "redirect-url";
    case InputForm::kQueryString:
      return "query-string";
    case InputForm::kPostBody:
      return "post-body";
  }
  return "unknown";
}

InboundMessage DecodedMessage::asInbound() const {
  InboundMessage m;
  m.binding = binding.value_or(BindingType::kRedirect);
  m.is_request = is_request.value_or(true);
  m.xml = xml;
  m.relay_state = relay_state;
  m.signed_query = signed_query;
  m.sig_alg = sig_alg;
  m.signature = signature;
  return m;
}

core::Result<DecodedMessage> decodeAny(std::string_view text, const DecodeLimits& limits) {
  text = trim(text);
  if (text.empty()) {
    return fail(ErrorCode::kBadEncoding, "empty input");
  }
  if (looksLikeXml(text)) {
    DecodedMessage d;
    d.form = InputForm::kXml;
    d.xml = std::string(text);
    return d;
  }
  if (const std::size_t scheme = text.find("://"); scheme != std::string_view::npos) {
    const std::size_t q = text.find('?', scheme);
    if (q == std::string_view::npos) {
      return fail(ErrorCode::kBadRequest, "URL without a query string");
    }
    std::string_view query = text.substr(q + 1);
    query = query.substr(0, query.find('#'));
    return decodeParams(query, InputForm::kRedirectUrl, limits);
  }
  if (text.front() == '?' || hasSamlParam(text)) {
    return decodeParams(text, InputForm::kQueryString, limits);
  }
  // A bare parameter value, maybe still percent-encoded ('+' kept: it is base64's).
  std::string value(text);
  if (value.find('%') != std::string::npos) {
    GARDE_ASSIGN_OR_RETURN(value, core::urlDecode(value, /*form_mode=*/false));
  }
  GARDE_ASSIGN_OR_RETURN(auto bytes, core::base64Decode(value, limits.max_encoded));
  DecodedMessage d;
  if (looksLikeXml(bytes)) {
    d.form = InputForm::kBase64;
    d.binding = BindingType::kPost;
    d.xml = std::move(bytes);
    return d;
  }
  auto inflated = inflateRaw(bytes, limits.max_inflated);
  if (!inflated) {
    return fail(inflated.error().code,
                "neither base64 XML nor base64 DEFLATE: " + inflated.error().detail);
  }
  if (!looksLikeXml(*inflated)) {
    return fail(ErrorCode::kBadEncoding, "inflated data is not XML");
  }
  d.form = InputForm::kBase64Deflate;
  d.binding = BindingType::kRedirect;
  d.xml = std::move(inflated).value();
  return d;
}

}  // namespace garde::saml
