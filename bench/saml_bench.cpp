// Benchmarks of the SAML core's two hot paths, per launch:
//  - verify: the ENT (GAR-like) Response arriving at garde's SP: parseUntrusted + validateResponse,
//    and verifyEnvelopedSignature alone;
//  - build and sign: the Response garde's IdP role sends to a publisher: buildResponse +
//  signElement
//    + serialize + base64 (the POST form's payload), with variants (Response signed too,
//    encrypted).
// Keys, certificates and input messages are made before the timed loops; `now` is fixed, so the
// assertion stays valid whatever the wall clock says. Pure CPU: no files, no sockets, no clock
// reads.

#include <benchmark/benchmark.h>
#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/random.h"
#include "core/time.h"
#include "saml/binding/deflate.h"
#include "saml/encryption.h"
#include "saml/keys.h"
#include "saml/message_text.h"
#include "saml/messages.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"

namespace garde::bench {
namespace {

using saml::KeyType;

constexpr core::UnixTime kNow = 1795456800;  // 2026-11-23T18:00:00Z
constexpr const char* kIdpEntityId = "https://ent.example.org/idp";
constexpr const char* kSpEntityId = "https://garde.example.org/sp";
constexpr const char* kAcsUrl = "https://garde.example.org/sp/acs";
constexpr const char* kRequestId = "_req0123456789abcdef0123456789abcdef01234567";
constexpr const char* kResponseId = "_resp123456789abcdef0123456789abcdef0123456";
constexpr const char* kAssertionId = "_asrt123456789abcdef0123456789abcdef0123456";

saml::Credential makeCredential(KeyType type, const char* common_name) {
  auto key = type == KeyType::kRsa ? saml::PrivateKey::generateRsa(2048)
                                   : saml::PrivateKey::generateEcP256();
  auto cert = saml::selfSign(key, common_name, kNow - 86400, core::systemRandom());
  return saml::Credential{key, cert};
}

/// The signer's credential: RSA-2048 or ECDSA P-256, made once (after main() built the guard).
const saml::Credential& signer(KeyType type) {
  static const saml::Credential rsa = makeCredential(KeyType::kRsa, "bench idp rsa");
  static const saml::Credential ec = makeCredential(KeyType::kEc, "bench idp ec");
  return type == KeyType::kRsa ? rsa : ec;
}

/// The recipient's RSA-2048 credential, for assertion encryption.
const saml::Credential& recipient() {
  static const saml::Credential cred = makeCredential(KeyType::kRsa, "bench sp");
  return cred;
}

saml::Attribute basic(const char* name, std::vector<std::string> values) {
  return saml::Attribute{name, std::string(saml::attribute_name_format::kBasic), "",
                         std::move(values)};
}

/// A bearer assertion with the eight attributes the GAR sends for a pupil (values made up).
saml::Assertion garAssertion() {
  saml::Assertion a;
  a.id = kAssertionId;
  a.issue_instant = kNow;
  a.issuer = kIdpEntityId;
  saml::Subject subject;
  subject.name_id =
      saml::NameID{"f3a9c2e17b6d4e2a9c8b1d2e3f4a5b6c",
                   std::string(saml::name_id_format::kPersistent), kIdpEntityId, kSpEntityId};
  saml::SubjectConfirmation sc;
  sc.data = saml::SubjectConfirmationData{std::nullopt, kNow + 300, kAcsUrl, kRequestId};
  subject.confirmations.push_back(sc);
  a.subject = subject;
  saml::Conditions c;
  c.not_before = kNow - 60;
  c.not_on_or_after = kNow + 300;
  c.audience_restrictions = {{kSpEntityId}};
  a.conditions = c;
  a.authn_statements.push_back(
      saml::AuthnStatement{kNow - 10, "_session0123456789abcdef", kNow + 8 * 3600,
                           std::string(saml::authn_context::kPasswordProtectedTransport)});
  a.attributes = {
      basic("IDO", {"f3a9c2e17b6d4e2a9c8b1d2e3f4a5b6c0d1e2f3a"}),
      basic("PRO", {"National_ELV"}),
      basic("UAI", {"0750001A"}),
      basic("DIV", {"0750001A##3A##3EME A"}),
      basic("GRO", {"0750001A##3A-ANG1##ANGLAIS LV1 GROUPE 1",
                    "0750001A##3A-ESP2##ESPAGNOL LV2 GROUPE 2", "0750001A##3A-LAT##LATIN"}),
      basic("NOM", {"Dupont-Lefèvre"}),
      basic("PRE", {"Émilie"}),
      basic("P_MEL", {"emilie.dupont-lefevre@ac-paris.fr"}),
  };
  return a;
}

saml::Response goodResponse() {
  saml::Response r;
  r.id = kResponseId;
  r.in_response_to = kRequestId;
  r.issue_instant = kNow;
  r.destination = kAcsUrl;
  r.issuer = kIdpEntityId;
  return r;
}

saml::ResponseExpectation expectation(KeyType type) {
  saml::ResponseExpectation e;
  e.trusted_certificates = {signer(type).cert};
  e.idp_entity_id = kIdpEntityId;
  e.sp_entity_id = kSpEntityId;
  e.acs_url = kAcsUrl;
  e.request_id = kRequestId;
  e.now = kNow;
  e.decryption_keys = {recipient().key};
  return e;
}

struct BuildOptions {
  bool sign_response = false;
  bool encrypt_assertion = false;
};

/// What garde's IdP role does per launch once the attributes are decided: builds the Response with
/// one assertion, signs the assertion (encrypts it, signs the Response if asked), serializes, and
/// base64-encodes for the POST form. Returns the base64 (empty on failure).
std::string buildSignEncode(const saml::Response& response, const saml::Assertion& assertion,
                            const saml::Credential& credential, const BuildOptions& options) {
  auto doc = saml::buildResponse(response, {assertion});
  if (!doc) {
    return {};
  }
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* a = saml::firstChildElement(root, saml::ns::kAssertion, "Assertion");
  if (a == nullptr || !saml::signElement(a, credential)) {
    return {};
  }
  if (options.encrypt_assertion &&
      !saml::encryptAssertion(a, recipient().cert, core::systemRandom())) {
    return {};
  }
  if (options.sign_response && !saml::signElement(root, credential)) {
    return {};
  }
  return core::base64Encode(saml::serialize(doc->get()));
}

/// The signed Response XML as it arrives from the ENT (assertion signed, Response not).
std::string signedResponseXml(KeyType type) {
  auto doc = saml::buildResponse(goodResponse(), {garAssertion()});
  if (!doc) {
    return {};
  }
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* a = saml::firstChildElement(root, saml::ns::kAssertion, "Assertion");
  if (!saml::signElement(a, signer(type))) {
    return {};
  }
  return saml::serialize(doc->get());
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
  saml::AuthnRequest r;
  r.id = kRequestId;
  r.issue_instant = kNow;
  r.destination = "https://ent.example.org/idp/profile/SAML2/Redirect/SSO";
  r.issuer = kSpEntityId;
  r.assertion_consumer_service_url = kAcsUrl;
  r.protocol_binding = std::string(saml::binding::kHttpPost);
  auto xml = saml::writeAuthnRequest(r);
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
