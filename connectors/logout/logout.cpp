#include "connectors/logout/logout.h"

#include <libxml/tree.h>

#include <string>
#include <utility>

#include "connectors/publisher/publisher_side.h"
#include "core/encoding.h"
#include "saml/binding/post.h"
#include "saml/signature.h"
#include "saml/xml.h"

namespace garde::connectors::logout {
namespace {

using core::ErrorCode;
using core::fail;

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 256;
  return s.size() <= kMax ? "\"" + std::string(s) + "\""
                          : "\"" + std::string(s.substr(0, kMax)) + "\"...";
}

core::Result<saml::InboundMessage> decodeBinding(std::string_view method,
                                                 std::string_view raw_query, const FormFields& form,
                                                 const saml::DecodeLimits& limits) {
  if (method == "GET") {
    return saml::decodeRedirect(raw_query, limits);
  }
  if (method == "POST") {
    return saml::decodePost(form, limits);
  }
  return fail(ErrorCode::kBadRequest,
              "SLO endpoint accepts GET and POST only, not " + quoted(method.substr(0, 16)));
}

/// The checks a LogoutRequest and a LogoutResponse share, on the fields read after verification.
core::Status checkCommon(std::string_view what, const std::string& id,
                         const std::optional<std::string>& destination,
                         core::UnixTime issue_instant, const Expectation& expect,
                         core::UnixTime now) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return fail(ErrorCode::kMalformedMessage, std::string(what) + " ID empty or longer than " +
                                                  std::to_string(kMaxIdLength) + " characters");
  }
  // SAML2 Bindings 3.4.5.2 / 3.5.5.2: a signed message names the endpoint that received it.
  if (!destination) {
    return fail(ErrorCode::kDestinationMismatch,
                "signed " + std::string(what) + " has no Destination (SAML2 Bindings 3.4.5.2)");
  }
  if (*destination != expect.destination) {
    return fail(ErrorCode::kDestinationMismatch, std::string(what) + " Destination " +
                                                     quoted(*destination) + " is not our SLO URL " +
                                                     quoted(expect.destination));
  }
  if (issue_instant > now + expect.skew_seconds) {
    return fail(ErrorCode::kNotYetValid, std::string(what) + " IssueInstant " +
                                             core::formatIso8601(issue_instant) +
                                             " is in the future");
  }
  if (issue_instant < now - expect.max_age_seconds - expect.skew_seconds) {
    return fail(ErrorCode::kExpired, std::string(what) + " IssueInstant " +
                                         core::formatIso8601(issue_instant) + " is older than " +
                                         std::to_string(expect.max_age_seconds) + "s");
  }
  return {};
}

core::Result<Outbound> encode(saml::XmlDoc doc, const std::string& id,
                              const saml::Endpoint& endpoint, const std::string& url,
                              bool is_request, const saml::Credential& signer,
                              std::string_view relay_state, std::string_view csp_nonce) {
  Outbound out;
  out.message_id = id;
  if (endpoint.binding == saml::binding::kHttpRedirect) {
    // The query carries the signature (SAML2 Bindings 3.4.4.1): no enveloped one.
    GARDE_ASSIGN_OR_RETURN(
        out.location, saml::encodeRedirect(saml::serialize(doc.get()), url, relay_state,
                                           is_request, &signer, saml::defaultAlgorithm(signer.key)));
    return out;
  }
  GARDE_TRY(saml::signElement(xmlDocGetRootElement(doc.get()), signer));
  const std::string xml = saml::serialize(doc.get());
  out.html = saml::renderPostForm(xml, url, relay_state, is_request, csp_nonce);
  out.content_security_policy = saml::postFormCsp(csp_nonce);
  out.form_action = url;
  out.form_field = is_request ? "SAMLRequest" : "SAMLResponse";
  out.form_value = core::base64Encode(xml);
  out.form_relay_state = std::string(relay_state);
  return out;
}

core::Status checkEndpoint(const saml::Endpoint& endpoint, bool is_response) {
  if (endpoint.binding != saml::binding::kHttpRedirect &&
      endpoint.binding != saml::binding::kHttpPost) {
    return fail(ErrorCode::kBadRequest,
                "SingleLogoutService binding " + quoted(endpoint.binding) + " is not supported");
  }
  if (!publisher::isAcceptableAcsUrl(endpointUrl(endpoint, is_response))) {
    return fail(ErrorCode::kBadRequest, "SingleLogoutService URL " +
                                            quoted(endpointUrl(endpoint, is_response)) +
                                            " is neither HTTPS nor loopback HTTP");
  }
  return {};
}

}  // namespace

core::Result<Inbound> readLogoutMessage(std::string_view method, std::string_view raw_query,
                                        const FormFields& form, const Expectation& expect,
                                        core::UnixTime now) {
  GARDE_ASSIGN_OR_RETURN(auto message, decodeBinding(method, raw_query, form, expect.limits));
  saml::ParseLimits parse_limits;
  parse_limits.max_bytes = expect.limits.max_inflated;
  GARDE_ASSIGN_OR_RETURN(auto doc, saml::parseUntrusted(message.xml, parse_limits));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  const bool is_request = saml::isElement(root, saml::ns::kProtocol, "LogoutRequest");
  const bool is_response = saml::isElement(root, saml::ns::kProtocol, "LogoutResponse");
  if (!is_request && !is_response) {
    return fail(ErrorCode::kMalformedMessage,
                "the SLO endpoint's message is neither samlp:LogoutRequest nor "
                "samlp:LogoutResponse");
  }
  if (is_request != message.is_request) {
    return fail(ErrorCode::kBadRequest, is_request ? "a LogoutRequest sent as SAMLResponse"
                                                   : "a LogoutResponse sent as SAMLRequest");
  }
  const std::string_view what = is_request ? "LogoutRequest" : "LogoutResponse";

  // The Issuer only chooses whose keys to verify with; everything is read again afterwards.
  const xmlNode* issuer_el = saml::firstChildElement(root, saml::ns::kAssertion, "Issuer");
  const std::string claimed_issuer = issuer_el != nullptr ? saml::textContent(issuer_el) : "";
  if (claimed_issuer.empty()) {
    return fail(ErrorCode::kMalformedMessage,
                std::string(what) + " has no Issuer (SAML2 Profiles 4.4.4.1)");
  }
  const std::optional<std::vector<saml::Certificate>> keys = expect.keys_for(claimed_issuer);
  if (!keys) {
    return fail(ErrorCode::kUnknownPeer, std::string(what) + " Issuer " + quoted(claimed_issuer) +
                                             " is not a peer of this endpoint");
  }
  bool verified_any = false;
  xmlNode* element = root;
  if (saml::findSignature(root) != nullptr) {
    auto verified = saml::verifyEnvelopedSignature(root, *keys);
    if (!verified) {
      core::Error e = std::move(verified).error();
      e.detail = std::string(what) + " XML signature of " + quoted(claimed_issuer) + ": " + e.detail;
      return fail(std::move(e));
    }
    element = *verified;
    verified_any = true;
  }
  if (message.hasRedirectSignature()) {
    if (auto ok = saml::verifyRedirectSignature(message, *keys); !ok) {
      core::Error e = std::move(ok).error();
      e.detail =
          std::string(what) + " Redirect signature of " + quoted(claimed_issuer) + ": " + e.detail;
      return fail(std::move(e));
    }
    verified_any = true;
  }
  if (!verified_any) {
    return fail(ErrorCode::kSignatureMissing,
                std::string(what) + " from " + quoted(claimed_issuer) +
                    " is unsigned: logout messages must be signed (SAML2 Profiles 4.4.4.1)");
  }

  Inbound out;
  out.relay_state = std::move(message.relay_state);
  out.binding = message.binding;
  if (is_request) {
    GARDE_ASSIGN_OR_RETURN(auto request, saml::parseLogoutRequest(element));
    if (request.issuer != claimed_issuer) {
      return fail(ErrorCode::kIssuerMismatch, "LogoutRequest Issuer changed after verification");
    }
    GARDE_TRY(checkCommon(what, request.id, request.destination, request.issue_instant, expect,
                          now));
    if (request.not_on_or_after && now >= *request.not_on_or_after + expect.skew_seconds) {
      return fail(ErrorCode::kExpired, "LogoutRequest NotOnOrAfter " +
                                           core::formatIso8601(*request.not_on_or_after) +
                                           " has passed");
    }
    if (request.name_id.value.empty()) {
      return fail(ErrorCode::kMalformedMessage, "LogoutRequest has an empty NameID");
    }
    out.request = std::move(request);
    return out;
  }
  GARDE_ASSIGN_OR_RETURN(auto response, saml::parseLogoutResponse(element));
  if (response.issuer != claimed_issuer) {
    return fail(ErrorCode::kIssuerMismatch, "LogoutResponse Issuer changed after verification");
  }
  GARDE_TRY(
      checkCommon(what, response.id, response.destination, response.issue_instant, expect, now));
  if (!response.in_response_to || response.in_response_to->empty() ||
      response.in_response_to->size() > kMaxIdLength) {
    return fail(ErrorCode::kMalformedMessage,
                "LogoutResponse without InResponseTo, or one longer than " +
                    std::to_string(kMaxIdLength) + " characters");
  }
  out.response = std::move(response);
  return out;
}

const std::string& endpointUrl(const saml::Endpoint& endpoint, bool is_response) {
  return is_response && !endpoint.response_location.empty() ? endpoint.response_location
                                                            : endpoint.location;
}

const saml::Endpoint* logoutEndpoint(const saml::SsoDescriptor& role) {
  for (const std::string_view binding : {saml::binding::kHttpRedirect, saml::binding::kHttpPost}) {
    for (const saml::Endpoint& e : role.slo) {
      if (e.binding == binding && publisher::isAcceptableAcsUrl(e.location) &&
          publisher::isAcceptableAcsUrl(endpointUrl(e, true))) {
        return &e;
      }
    }
  }
  return nullptr;
}

core::Result<Outbound> encodeLogoutRequest(saml::LogoutRequest request,
                                           const saml::Endpoint& endpoint,
                                           const saml::Credential& signer,
                                           std::string_view relay_state,
                                           std::string_view csp_nonce) {
  GARDE_TRY(checkEndpoint(endpoint, false));
  request.destination = endpointUrl(endpoint, false);
  GARDE_ASSIGN_OR_RETURN(auto doc, saml::buildLogoutRequest(request));
  return encode(std::move(doc), request.id, endpoint, *request.destination, true, signer,
                relay_state, csp_nonce);
}

core::Result<Outbound> encodeLogoutResponse(saml::LogoutResponse response,
                                            const saml::Endpoint& endpoint,
                                            const saml::Credential& signer,
                                            std::string_view relay_state,
                                            std::string_view csp_nonce) {
  GARDE_TRY(checkEndpoint(endpoint, true));
  response.destination = endpointUrl(endpoint, true);
  GARDE_ASSIGN_OR_RETURN(auto doc, saml::buildLogoutResponse(response));
  return encode(std::move(doc), response.id, endpoint, *response.destination, false, signer,
                relay_state, csp_nonce);
}

}  // namespace garde::connectors::logout
