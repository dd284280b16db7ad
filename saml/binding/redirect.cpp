#include "saml/binding/redirect.h"

#include <array>

#include "core/encoding.h"
#include "saml/binding/deflate.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;

// SAML2 Bindings 3.4.4: the only encoding we (and every deployed peer) speak.
constexpr std::string_view kDeflateEncoding =
    "urn:oasis:names:tc:SAML:2.0:bindings:URL-Encoding:DEFLATE";

enum Slot {
  kSamlRequest,
  kSamlResponse,
  kRelayState,
  kSigAlg,
  kSignature,
  kSamlEncoding,
  kSlotCount
};
constexpr std::array<std::string_view, kSlotCount> kSlotNames = {
    "SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature", "SAMLEncoding"};

// Decodes a percent-encoded base64 value: '+' stays '+', since base64 never carries spaces.
core::Result<std::string> decodeBase64Param(std::string_view raw, std::string_view name,
                                            std::size_t max_decoded) {
  auto unescaped = core::urlDecode(raw, /*form_mode=*/false);
  if (!unescaped) {
    return fail(ErrorCode::kBadEncoding, std::string(name) + ": " + unescaped.error().detail);
  }
  auto bytes = core::base64Decode(*unescaped, max_decoded);
  if (!bytes) {
    return fail(bytes.error().code, std::string(name) + ": " + bytes.error().detail);
  }
  return std::move(bytes).value();
}

}  // namespace

std::string_view bindingUri(BindingType binding) noexcept {
  switch (binding) {
    case BindingType::kRedirect:
      return "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
    case BindingType::kPost:
      return "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
  }
  return {};
}

std::vector<RawParam> splitQuery(std::string_view query) {
  std::vector<RawParam> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) {
      end = query.size();
    }
    const std::string_view piece = query.substr(start, end - start);
    if (!piece.empty()) {
      const std::size_t eq = piece.find('=');
      RawParam p;
      p.whole = piece;
      p.name = piece.substr(0, eq);
      p.value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
      out.push_back(p);
    }
    start = end + 1;
  }
  return out;
}

core::Result<std::string> encodeRedirect(std::string_view xml, std::string_view endpoint_url,
                                         std::string_view relay_state, bool is_request,
                                         const Credential* signer, SignatureAlgorithm alg) {
  std::string query = is_request ? "SAMLRequest=" : "SAMLResponse=";
  query += core::urlEncode(core::base64Encode(deflateRaw(xml)));
  if (!relay_state.empty()) {
    query += "&RelayState=";
    // RFC 3986 percent-encoding (a space is %20), which every peer decodes alike (docs/interop.md).
    query += core::urlEncode(relay_state);
  }
  if (signer != nullptr) {
    query += "&SigAlg=";
    query += core::urlEncode(algorithmUri(alg));
    // Bindings 3.4.4.1: the signature covers these exact bytes, in this order.
    GARDE_ASSIGN_OR_RETURN(auto sig, signBytes(query, signer->key, alg));
    query += "&Signature=";
    query += core::urlEncode(core::base64Encode(sig));
  }
  std::string url(endpoint_url);
  if (url.find('?') == std::string::npos) {
    url += '?';
  } else if (url.back() != '?' && url.back() != '&') {
    url += '&';
  }
  url += query;
  return url;
}

core::Result<InboundMessage> decodeRedirect(std::string_view raw_query,
                                            const DecodeLimits& limits) {
  if (!raw_query.empty() && raw_query.front() == '?') {
    raw_query.remove_prefix(1);
  }
  if (raw_query.size() > limits.max_encoded) {
    return fail(ErrorCode::kLimitExceeded,
                "redirect: query exceeds " + std::to_string(limits.max_encoded) + " bytes");
  }
  std::array<std::optional<RawParam>, kSlotCount> slots;
  for (const RawParam& p : splitQuery(raw_query)) {
    for (std::size_t i = 0; i < kSlotCount; ++i) {
      if (p.name == kSlotNames[i]) {
        // A duplicated parameter is ambiguous: which copy was signed, which one is read?
        if (slots[i]) {
          return fail(ErrorCode::kBadRequest,
                      "redirect: duplicate " + std::string(p.name) + " parameter");
        }
        slots[i] = p;
      }
    }
  }
  if (slots[kSamlRequest] && slots[kSamlResponse]) {
    return fail(ErrorCode::kBadRequest, "redirect: both SAMLRequest and SAMLResponse");
  }
  if (!slots[kSamlRequest] && !slots[kSamlResponse]) {
    return fail(ErrorCode::kBadRequest, "redirect: no SAMLRequest or SAMLResponse parameter");
  }
  if (slots[kSignature].has_value() != slots[kSigAlg].has_value()) {
    return fail(ErrorCode::kBadRequest, slots[kSignature] ? "redirect: Signature without SigAlg"
                                                          : "redirect: SigAlg without Signature");
  }
  if (slots[kSamlEncoding]) {
    auto enc = core::urlDecode(slots[kSamlEncoding]->value, false);
    if (!enc || *enc != kDeflateEncoding) {
      return fail(ErrorCode::kBadRequest, "redirect: unsupported SAMLEncoding");
    }
  }

  InboundMessage msg;
  msg.binding = BindingType::kRedirect;
  msg.is_request = slots[kSamlRequest].has_value();
  const RawParam& payload = msg.is_request ? *slots[kSamlRequest] : *slots[kSamlResponse];
  if (payload.value.empty()) {
    return fail(ErrorCode::kBadRequest, "redirect: empty " + std::string(payload.name));
  }
  GARDE_ASSIGN_OR_RETURN(auto deflated,
                         decodeBase64Param(payload.value, payload.name, limits.max_encoded));
  auto xml = inflateRaw(deflated, limits.max_inflated);
  if (!xml) {
    return fail(xml.error().code, "redirect: " + xml.error().detail);
  }
  msg.xml = std::move(xml).value();

  if (slots[kRelayState]) {
    auto relay = core::urlDecode(slots[kRelayState]->value, /*form_mode=*/true);
    if (!relay) {
      return fail(ErrorCode::kBadEncoding, "redirect: RelayState: " + relay.error().detail);
    }
    if (relay->size() > limits.max_relay_state) {
      return fail(ErrorCode::kLimitExceeded, "redirect: RelayState exceeds " +
                                                 std::to_string(limits.max_relay_state) + " bytes");
    }
    msg.relay_state = std::move(relay).value();
  }

  if (slots[kSignature]) {
    auto alg = core::urlDecode(slots[kSigAlg]->value, false);
    if (!alg) {
      return fail(ErrorCode::kBadEncoding, "redirect: SigAlg: " + alg.error().detail);
    }
    GARDE_ASSIGN_OR_RETURN(auto sig,
                           decodeBase64Param(slots[kSignature]->value, "Signature", 16 * 1024));
    if (sig.empty()) {
      return fail(ErrorCode::kBadRequest, "redirect: empty Signature");
    }
    msg.sig_alg = std::move(alg).value();
    msg.signature = std::move(sig);
    // Bindings 3.4.4.1: the signed octets are the parameters as received, in this fixed order,
    // whatever order they arrived in. Never re-encode: senders differ in what they escape.
    msg.signed_query = std::string(payload.whole);
    if (slots[kRelayState]) {
      msg.signed_query += '&';
      msg.signed_query += slots[kRelayState]->whole;
    }
    msg.signed_query += '&';
    msg.signed_query += slots[kSigAlg]->whole;
  }
  return msg;
}

core::Status verifyRedirectSignature(const InboundMessage& message,
                                     const std::vector<Certificate>& trusted,
                                     AlgorithmExceptions* exceptions) {
  if (message.binding != BindingType::kRedirect || !message.signature || !message.sig_alg) {
    return fail(ErrorCode::kSignatureMissing, "redirect: the query carries no Signature");
  }
  return verifyBytes(message.signed_query, *message.signature, *message.sig_alg, trusted,
                     exceptions);
}

}  // namespace garde::saml
