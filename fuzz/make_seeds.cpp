// Writes the generated seeds of the fuzz targets: valid messages signed (and encrypted) with the
// fuzz world's key, which the committed seeds cannot hold without going stale, and sealed tokens.
// scripts/fuzz runs it into the scratch corpus; nothing here is committed.
//   make_seeds OUT_DIR      -> OUT_DIR/<target>/gen-<name>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "connectors/logout/logout.h"
#include "core/encoding.h"
#include "core/sealed_token.h"
#include "fuzz_world.h"
#include "saml/binding/deflate.h"
#include "saml/binding/redirect.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "support/constants.h"
#include "support/counting_random.h"
#include "support/saml_builders.h"

using namespace garde;
namespace fs = std::filesystem;

namespace {

fs::path g_out;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_out / target;
  fs::create_directories(dir);
  std::ofstream(dir / ("gen-" + name), std::ios::binary) << bytes;
}

template <typename T>
T must(core::Result<T> result, const char* what) {
  if (!result.has_value()) {
    throw std::runtime_error(std::string(what) + ": " + result.error().detail);
  }
  return std::move(result).value();
}

std::string signedXml(saml::XmlDoc doc) {
  auto status = saml::signElement(xmlDocGetRootElement(doc.get()), fuzz::credential());
  if (!status.has_value()) {
    throw std::runtime_error("signing: " + status.error().detail);
  }
  return saml::serialize(doc.get());
}

std::string queryOf(const std::string& url) { return url.substr(url.find('?') + 1); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds OUT_DIR\n";
    return 2;
  }
  g_out = argv[1];
  fuzz::initOnce();
  const saml::Credential& cred = fuzz::credential();
  const auto alg = saml::defaultAlgorithm(cred.key);

  // AuthnRequests, as the fuzz world's publisher sends them to garde's IdP.
  const std::string request =
      saml::serialize(must(saml::buildAuthnRequest(test::authnRequest()), "AuthnRequest").get());
  const std::string signed_request =
      signedXml(must(saml::buildAuthnRequest(test::authnRequest()), "AuthnRequest"));
  const std::string signed_query = queryOf(must(
      saml::encodeRedirect(request, test::kIdpSsoUrl, "relay-1", true, &cred, alg), "Redirect"));
  const std::string unsigned_query = queryOf(must(
      saml::encodeRedirect(request, test::kIdpSsoUrl, "", true, nullptr, alg), "Redirect"));
  write("authn_request", "post", std::string(1, '\0') + request);
  write("authn_request", "post-signed", std::string(1, '\0') + signed_request);
  write("authn_request", "redirect-signed", "\x01" + signed_query);
  write("authn_request", "redirect", "\x01" + unsigned_query);
  write("redirect_decode", "signed", signed_query);
  write("redirect_decode", "unsigned", unsigned_query);
  write("inflate", "authn-request", saml::deflateRaw(request));
  write("xml_parse", "authn-request-signed", signed_request);

  // Responses, as the fuzz world's ENT posts them to garde's SP.
  test::SignOptions both{.signer = &cred, .recipient = &cred.cert};
  test::SignOptions encrypted{.encrypt_assertion = true, .signer = &cred, .recipient = &cred.cert};
  test::SignOptions assertion_only{
      .sign_response = false, .signer = &cred, .recipient = &cred.cert};
  const std::string response =
      test::signedResponseXml(test::goodResponse(), test::goodAssertion(), both);
  write("response", "signed", response);
  write("response", "signed-encrypted",
        test::signedResponseXml(test::goodResponse(), test::goodAssertion(), encrypted));
  write("response", "assertion-signed",
        test::signedResponseXml(test::goodResponse(), test::goodAssertion(), assertion_only));
  write("xml_parse", "response-signed", response);
  write("post_decode", "response-signed",
        "SAMLResponse=" + core::urlEncode(core::base64Encode(response), true) +
            "&RelayState=relay-1");

  // Metadata of the fuzz world's peers, signed.
  write("metadata", "ent-idp-signed",
        signedXml(must(saml::generateMetadata(fuzz::entPeer().metadata, test::kNow + 86400),
                       "metadata")));
  write("metadata", "publisher-sp-signed",
        signedXml(must(saml::generateMetadata(
                           fuzz::publisherRegistry().findByPublisherId("pub-fuzz")->metadata,
                           test::kNow + 86400),
                       "metadata")));

  // Logout messages, signed, as the fuzz world's peers send them to garde's SLO endpoint (the
  // Destination fuzz/logout.cpp expects).
  {
    const std::string slo = "https://garde.example.org/idp/slo";
    const saml::Endpoint redirect{std::string(saml::binding::kHttpRedirect), slo, "", {}, {}};
    const saml::Endpoint post{std::string(saml::binding::kHttpPost), slo, "", {}, {}};
    saml::LogoutRequest lr;
    lr.id = "_lr0123456789abcdef0123456789abcdef";
    lr.issue_instant = test::kNow;
    lr.issuer = test::kSpEntityId;
    lr.not_on_or_after = test::kNow + 300;
    lr.name_id.value = "pseudonym-1";
    lr.name_id.format = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    lr.session_indexes.push_back("_session-1");
    const auto out_get = must(connectors::logout::encodeLogoutRequest(lr, redirect, cred, "relay-1", "n"),
                              "LogoutRequest (Redirect)");
    write("logout", "request-redirect", "\x01" + queryOf(out_get.location));
    const auto out_post =
        must(connectors::logout::encodeLogoutRequest(lr, post, cred, "", "n"), "LogoutRequest (POST)");
    write("logout", "request-post",
          std::string(1, '\0') + must(core::base64Decode(out_post.form_value), "base64"));
    saml::LogoutResponse resp;
    resp.id = "_lresp123456789abcdef0123456789abcd";
    resp.in_response_to = "_lr-garde-0123456789abcdef";
    resp.issue_instant = test::kNow;
    resp.issuer = test::kIdpEntityId;
    const auto resp_get = must(connectors::logout::encodeLogoutResponse(resp, redirect, cred, "", "n"),
                               "LogoutResponse (Redirect)");
    write("logout", "response-redirect", "\x01" + queryOf(resp_get.location));
    const auto resp_post = must(connectors::logout::encodeLogoutResponse(resp, post, cred, "", "n"),
                                "LogoutResponse (POST)");
    write("logout", "response-post",
          "\x02" + must(core::base64Decode(resp_post.form_value), "base64"));
    // The seeds must pass the reader, or the target would explore its refusals only.
    connectors::logout::Expectation expect;
    expect.destination = slo;
    expect.keys_for = [&](std::string_view) {
      return std::optional<std::vector<saml::Certificate>>(std::vector{cred.cert});
    };
    must(connectors::logout::readLogoutMessage("GET", queryOf(out_get.location), {}, expect,
                                               test::kNow),
         "reading the LogoutRequest seed");
    must(connectors::logout::readLogoutMessage(
             "POST", {}, {{"SAMLResponse", resp_post.form_value}}, expect, test::kNow),
         "reading the LogoutResponse seed");
  }

  // Sealed tokens of the fixed key: even first byte unseals, odd seals then unseals.
  test::CountingRandom random;
  const core::TokenSealer sealer(fuzz::tokenKey(), 1, random);
  write("sealed_token", "sso", std::string(1, '\0') +
                                   sealer.seal("sso", "transaction-1", test::kNow + 600));
  write("sealed_token", "launch", std::string(1, '\0') +
                                      sealer.seal("launch", "resource-a", test::kNow + 600));
  write("sealed_token", "expired", std::string(1, '\0') +
                                       sealer.seal("sso", "transaction-1", test::kNow - 1));
  write("sealed_token", "roundtrip",
        std::string("\x01\x00\x00\x00\x00\x6b\x04\x00\x00payload", 16));
  return 0;
}
