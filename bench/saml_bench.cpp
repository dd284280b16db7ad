// Benchmarks of the SAML core's two hot paths, per launch:
//  - verify: the ENT (GAR-like) Response arriving at garde's SP: parseUntrusted + validateResponse,
//    and verifyEnvelopedSignature alone;
//  - build and sign: the Response garde's IdP role sends to a publisher: buildResponse +
//  signElement
//    + serialize + base64 (the POST form's payload), with variants (Response signed too,
//    encrypted).
// Keys, certificates and input messages are made before the timed loops, with the tests' builders
// (tests/support, garde_test_support); `now` is fixed, so the assertion stays valid whatever the
// wall clock says. Pure CPU: no files, no sockets, no clock
// reads.

#include <benchmark/benchmark.h>
#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/time.h"
#include "saml/binding/deflate.h"
#include "saml/keys.h"
#include "saml/message_text.h"
#include "saml/messages.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"
#include "support/saml_builders.h"

namespace garde::bench {
namespace {

using saml::KeyType;
using test::goodResponse;

struct BuildOptions {
  bool sign_response = false;
  bool encrypt_assertion = false;
};

/// The signer's credential: RSA-2048 or ECDSA P-256 (tests/support, made once after main() built
/// the guard).
const saml::Credential& signer(KeyType type) {
  return type == KeyType::kRsa ? test::testIdpCredential() : test::testEcCredential();
}

/// A bearer assertion with the eight attributes the GAR sends for a pupil (values made up).
saml::Assertion garAssertion() {
  return test::bearerAssertion({.name_id = "f3a9c2e17b6d4e2a9c8b1d2e3f4a5b6c",
                                .session_index = "_session0123456789abcdef",
                                .attributes = test::garPupilAttributes()});
}

/// What garde's SP expects of it; decrypts with the recipient's key (test::testSpCredential()).
saml::ResponseExpectation expectation(KeyType type) {
  return test::expectationFor(signer(type).cert, test::testSpCredential().key);
}

/// What garde's IdP role does per launch once the attributes are decided: builds the Response with
/// one assertion, signs the assertion (encrypts it, signs the Response if asked), serializes, and
/// base64-encodes for the POST form. Returns the base64 (empty on failure).
std::string buildSignEncode(const saml::Response& response, const saml::Assertion& assertion,
                            const saml::Credential& credential, const BuildOptions& options) {
  auto doc = test::buildSignedResponse(response, {assertion},
                                       {.sign_response = options.sign_response,
                                        .encrypt_assertion = options.encrypt_assertion,
                                        .signer = &credential});
  return doc ? core::base64Encode(saml::serialize(doc->get())) : std::string();
}

/// The signed Response XML as it arrives from the ENT (assertion signed, Response not).
std::string signedResponseXml(KeyType type) {
  auto doc = test::buildSignedResponse(goodResponse(), {garAssertion()},
                                       {.sign_response = false, .signer = &signer(type)});
  return doc ? saml::serialize(doc->get()) : std::string();
}

// ---- verify

void BM_VerifyResponse(benchmark::State& state, KeyType type) {
  const std::string xml = signedResponseXml(type);
  const saml::ResponseExpectation e = expectation(type);
  {
    auto doc = saml::parseUntrusted(xml);
    if (!doc || !saml::validateResponse(doc->get(), e)) {
      state.SkipWithError("the prepared Response does not validate");
      return;
    }
  }
  for (auto _ : state) {
    auto doc = saml::parseUntrusted(xml);
    auto validated = saml::validateResponse(doc->get(), e);
    if (!validated) {
      state.SkipWithError("validation failed in the loop");
      break;
    }
    benchmark::DoNotOptimize(validated);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(xml.size());
}
BENCHMARK_CAPTURE(BM_VerifyResponse, rsa2048, KeyType::kRsa);
BENCHMARK_CAPTURE(BM_VerifyResponse, ecdsa_p256, KeyType::kEc);

void BM_VerifyEnvelopedSignature(benchmark::State& state, KeyType type) {
  const std::string xml = signedResponseXml(type);
  auto doc = saml::parseUntrusted(xml);
  if (!doc) {
    state.SkipWithError("the prepared Response does not parse");
    return;
  }
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* assertion = saml::firstChildElement(root, saml::ns::kAssertion, "Assertion");
  const std::vector<saml::Certificate> trusted = {signer(type).cert};
  for (auto _ : state) {
    auto verified = saml::verifyEnvelopedSignature(assertion, trusted);
    if (!verified) {
      state.SkipWithError("verification failed");
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_VerifyEnvelopedSignature, rsa2048, KeyType::kRsa);
BENCHMARK_CAPTURE(BM_VerifyEnvelopedSignature, ecdsa_p256, KeyType::kEc);

/// parseUntrusted alone, to split BM_VerifyResponse.
void BM_ParseUntrusted(benchmark::State& state) {
  const std::string xml = signedResponseXml(KeyType::kRsa);
  for (auto _ : state) {
    auto doc = saml::parseUntrusted(xml);
    benchmark::DoNotOptimize(doc);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseUntrusted);

// ---- build and sign

void BM_BuildSignResponse(benchmark::State& state, KeyType type, BuildOptions options) {
  const saml::Response response = goodResponse();
  const saml::Assertion assertion = garAssertion();
  const saml::Credential& credential = signer(type);
  std::size_t size = 0;
  for (auto _ : state) {
    std::string b64 = buildSignEncode(response, assertion, credential, options);
    if (b64.empty()) {
      state.SkipWithError("build or sign failed");
      break;
    }
    size = b64.size();
    benchmark::DoNotOptimize(b64);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["b64_bytes"] = static_cast<double>(size);
}
BENCHMARK_CAPTURE(BM_BuildSignResponse, rsa2048, KeyType::kRsa, BuildOptions{});
BENCHMARK_CAPTURE(BM_BuildSignResponse, ecdsa_p256, KeyType::kEc, BuildOptions{});
BENCHMARK_CAPTURE(BM_BuildSignResponse, rsa2048_response_signed_too, KeyType::kRsa,
                  BuildOptions{.sign_response = true});
BENCHMARK_CAPTURE(BM_BuildSignResponse, ecdsa_p256_response_signed_too, KeyType::kEc,
                  BuildOptions{.sign_response = true});
BENCHMARK_CAPTURE(BM_BuildSignResponse, rsa2048_encrypted, KeyType::kRsa,
                  BuildOptions{.encrypt_assertion = true});

/// buildResponse + serialize + base64 without any signature: the XML share of BM_BuildSignResponse.
void BM_BuildResponseUnsigned(benchmark::State& state) {
  const saml::Response response = goodResponse();
  const saml::Assertion assertion = garAssertion();
  for (auto _ : state) {
    auto doc = saml::buildResponse(response, {assertion});
    std::string b64 = core::base64Encode(saml::serialize(doc->get()));
    benchmark::DoNotOptimize(b64);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildResponseUnsigned);

/// What the broker does instead of BM_BuildSignResponse for an unencrypted assertion: the Response
/// written as text with the assertion in canonical form and signed (saml/message_text.h), then the
/// base64 of the POST form.
void BM_WriteSignedResponseText(benchmark::State& state, KeyType type) {
  const saml::Response response = goodResponse();
  const saml::Assertion assertion = garAssertion();
  const saml::Credential& credential = signer(type);
  std::size_t size = 0;
  for (auto _ : state) {
    auto xml = saml::writeResponseWithSignedAssertion(response, assertion, credential);
    if (!xml) {
      state.SkipWithError("write or sign failed");
      break;
    }
    std::string b64 = core::base64Encode(*xml);
    size = b64.size();
    benchmark::DoNotOptimize(b64);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["b64_bytes"] = static_cast<double>(size);
}
BENCHMARK_CAPTURE(BM_WriteSignedResponseText, rsa2048, KeyType::kRsa);
BENCHMARK_CAPTURE(BM_WriteSignedResponseText, ecdsa_p256, KeyType::kEc);

/// The AuthnRequest garde sends an ENT, as text.
std::string entAuthnRequest() {
  auto xml = saml::writeAuthnRequest(test::authnRequest(
      {.destination = "https://ent.example.org/idp/profile/SAML2/Redirect/SSO"}));
  return xml ? *xml : std::string();
}

/// The Redirect binding's DEFLATE of that AuthnRequest (fixed Huffman codes,
/// saml/binding/deflate.h).
void BM_DeflateAuthnRequest(benchmark::State& state) {
  const std::string xml = entAuthnRequest();
  std::size_t size = 0;
  for (auto _ : state) {
    std::string out = saml::deflateRaw(xml);
    size = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["in_bytes"] = static_cast<double>(xml.size());
  state.counters["out_bytes"] = static_cast<double>(size);
}
BENCHMARK(BM_DeflateAuthnRequest);

// ---- where signElement's non-crypto time goes: floors for a cheaper implementation

/// Exclusive C14N of the signed assertion minus its ds:Signature (what the enveloped transform
/// yields), straight through libxml2 with an ancestry check per node, then SHA-256 of the bytes:
/// the digest half of an enveloped signature without xmlsec's transform chain and node sets.
int visibleForDigest(void* signature, xmlNode* node, xmlNode* parent) {
  const auto* sig = static_cast<const xmlNode*>(signature);
  bool inside_signed = false;
  for (const xmlNode* n = node->type == XML_NAMESPACE_DECL ? parent : node; n != nullptr;
       n = n->parent) {
    if (n == sig) {
      return 0;
    }
    if (n == sig->parent) {
      inside_signed = true;
    }
  }
  return inside_signed ? 1 : 0;
}

void BM_C14nDigestFloor(benchmark::State& state) {
  const std::string xml = signedResponseXml(KeyType::kRsa);
  auto doc = saml::parseUntrusted(xml);
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* assertion = saml::firstChildElement(root, saml::ns::kAssertion, "Assertion");
  xmlNode* signature = saml::findSignature(assertion);
  xmlChar* xs = BAD_CAST "xs";
  xmlChar* inclusive[] = {xs, nullptr};
  const auto digest = [&]() -> std::string {
    xmlOutputBuffer* out = xmlAllocOutputBuffer(nullptr);
    const int rc = xmlC14NExecute(doc->get(), visibleForDigest, signature, XML_C14N_EXCLUSIVE_1_0,
                                  inclusive, 0, out);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_Digest(xmlOutputBufferGetContent(out), xmlOutputBufferGetSize(out), md, &md_len,
               EVP_sha256(), nullptr);
    xmlOutputBufferClose(out);
    return rc < 0 ? std::string() : std::string(reinterpret_cast<char*>(md), md_len);
  };
  // The floor is only meaningful if it computes the very DigestValue xmlsec wrote.
  xmlNode* signed_info = saml::firstChildElement(signature, saml::ns::kDsig, "SignedInfo");
  xmlNode* reference = saml::firstChildElement(signed_info, saml::ns::kDsig, "Reference");
  xmlNode* digest_value = saml::firstChildElement(reference, saml::ns::kDsig, "DigestValue");
  if (core::base64Encode(digest()) != saml::textContent(digest_value)) {
    state.SkipWithError("the floor's digest differs from the signature's DigestValue");
    return;
  }
  for (auto _ : state) {
    std::string md = digest();
    benchmark::DoNotOptimize(md);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_C14nDigestFloor);

/// core::base64Encode (a character at a time) vs OpenSSL's EVP_EncodeBlock on the Response's XML.
void BM_Base64(benchmark::State& state, bool openssl) {
  const std::string xml = signedResponseXml(KeyType::kRsa);
  for (auto _ : state) {
    std::string b64;
    if (openssl) {
      b64.resize((xml.size() + 2) / 3 * 4 + 1);
      const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                    reinterpret_cast<const unsigned char*>(xml.data()),
                                    static_cast<int>(xml.size()));
      b64.resize(static_cast<std::size_t>(n));
    } else {
      b64 = core::base64Encode(xml);
    }
    benchmark::DoNotOptimize(b64);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_Base64, core_base64Encode, false);
BENCHMARK_CAPTURE(BM_Base64, EVP_EncodeBlock, true);

/// serialize() of the built Response alone.
void BM_Serialize(benchmark::State& state) {
  auto doc = saml::buildResponse(goodResponse(), {garAssertion()});
  for (auto _ : state) {
    std::string xml = saml::serialize(doc->get());
    benchmark::DoNotOptimize(xml);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Serialize);

}  // namespace
}  // namespace garde::bench
