#include "saml/encryption.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/file.h"
#include "core/random.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "support/constants.h"
#include "support/credentials.h"
#include "support/fixtures.h"
#include "support/temp_dir.h"

using garde::core::ErrorCode;
using garde::test::kNow;
using garde::test::loadFixture;
using namespace garde::saml;

namespace {

const Credential& recipient() {
  static const Credential cred = garde::test::makeCredential("test sp", KeyType::kRsa, kNow);
  return cred;
}

const Credential& otherRecipient() {
  static const Credential cred = garde::test::makeCredential("another sp", KeyType::kRsa, kNow);
  return cred;
}

const Credential& idp() {
  static const Credential cred = garde::test::makeCredential("test idp", KeyType::kRsa, kNow);
  return cred;
}

// The committed key the xmlsec1-made fixtures are encrypted for.
const PrivateKey& fixtureKey() {
  static const PrivateKey key = garde::test::fixtureKey("saml/encryption/recipient.key.pem");
  return key;
}

constexpr const char* kResponse =
    R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
    R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" )"
    R"(xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_resp1" Version="2.0" )"
    R"(IssueInstant="2026-11-23T18:00:00Z"><saml:Issuer>https://idp.example/</saml:Issuer>)"
    R"(<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>)"
    R"(<saml:Assertion ID="_a1" Version="2.0" IssueInstant="2026-11-23T18:00:00Z">)"
    R"(<saml:Issuer>https://idp.example/</saml:Issuer><saml:Subject><saml:NameID>pupil-42</saml:NameID>)"
    R"(</saml:Subject><saml:AttributeStatement><saml:Attribute Name="uid">)"
    R"(<saml:AttributeValue xsi:type="xs:string">pupil-42</saml:AttributeValue></saml:Attribute>)"
    R"(</saml:AttributeStatement></saml:Assertion></samlp:Response>)";

xmlNode* findElement(xmlNode* node, const char* ns_uri, const char* name) {
  for (; node != nullptr; node = node->next) {
    if (isElement(node, ns_uri, name)) {
      return node;
    }
    if (xmlNode* found = findElement(node->children, ns_uri, name); found != nullptr) {
      return found;
    }
  }
  return nullptr;
}

xmlNode* find(const XmlDoc& doc, const char* ns_uri, const char* name) {
  return findElement(xmlDocGetRootElement(doc.get()), ns_uri, name);
}

std::string canonical(const XmlDoc& doc, xmlNode* node) {
  return canonicalize(doc.get(), node).value();
}

// Builds the test Response, optionally signs its assertion, encrypts it for `to` and returns the
// serialized Response, as it would travel.
std::string encryptedResponse(const Certificate& to, bool sign = false) {
  auto doc = parseOwn(kResponse).value();
  xmlNode* assertion = find(doc, ns::kAssertion, "Assertion");
  if (sign) {
    REQUIRE(signElement(assertion, idp()).has_value());
  }
  auto encrypted = encryptAssertion(assertion, to, garde::core::systemRandom());
  REQUIRE(encrypted.has_value());
  return serialize(doc.get());
}

// The CipherValue of the EncryptedData itself (not the EncryptedKey's).
xmlNode* contentCipherValue(const XmlDoc& doc) {
  xmlNode* data = find(doc, ns::kXenc, "EncryptedData");
  return firstChildElement(firstChildElement(data, ns::kXenc, "CipherData"), ns::kXenc,
                           "CipherValue");
}

void flipByte(xmlNode* cipher_value, std::size_t from_end) {
  std::string bytes = garde::core::base64Decode(textContent(cipher_value)).value();
  REQUIRE(bytes.size() > from_end);
  bytes[bytes.size() - 1 - from_end] ^= 0x01;
  xmlNodeSetContent(cipher_value, BAD_CAST garde::core::base64Encode(bytes).c_str());
}

std::string expectedAssertion() {
  auto doc = parseOwn(kResponse).value();
  return canonical(doc, find(doc, ns::kAssertion, "Assertion"));
}

}  // namespace

TEST_CASE("An encrypted assertion decrypts to the same assertion, whose signature still verifies",
          "[saml][encryption]") {
  const std::string wire = encryptedResponse(recipient().cert, /*sign=*/true);
  CHECK(wire.find("pupil-42") == std::string::npos);

  auto doc = parseUntrusted(wire).value();
  xmlNode* encrypted = find(doc, ns::kAssertion, "EncryptedAssertion");
  REQUIRE(encrypted != nullptr);
  CHECK(find(doc, ns::kAssertion, "Assertion") == nullptr);
  xmlNode* data = firstChildElement(encrypted, ns::kXenc, "EncryptedData");
  REQUIRE(data != nullptr);
  CHECK(attribute(data, "Type") == "http://www.w3.org/2001/04/xmlenc#Element");
  CHECK(attribute(firstChildElement(data, ns::kXenc, "EncryptionMethod"), "Algorithm") ==
        "http://www.w3.org/2009/xmlenc11#aes256-gcm");
  xmlNode* key =
      firstChildElement(firstChildElement(data, ns::kDsig, "KeyInfo"), ns::kXenc, "EncryptedKey");
  REQUIRE(key != nullptr);
  CHECK(attribute(firstChildElement(key, ns::kXenc, "EncryptionMethod"), "Algorithm") ==
        "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p");
  CHECK(textContent(find(doc, ns::kDsig, "X509Certificate")) == recipient().cert.base64Der());

  auto decrypted = decryptAssertion(encrypted, {recipient().key});
  REQUIRE(decrypted.has_value());
  CHECK(isElement(*decrypted, ns::kAssertion, "Assertion"));
  CHECK(elementById(doc.get(), "_a1") == *decrypted);
  CHECK(find(doc, ns::kAssertion, "EncryptedAssertion") == nullptr);
  // Decrypt-then-verify on the same tree.
  auto verified = verifyEnvelopedSignature(*decrypted, {idp().cert});
  REQUIRE(verified.has_value());
  CHECK(*verified == *decrypted);
  // The xsi:type QName keeps its binding after the graft.
  xmlNode* value = find(doc, ns::kAssertion, "AttributeValue");
  XmlString resolved(xmlGetNsProp(value, BAD_CAST "type", BAD_CAST ns::kXsi));
  REQUIRE(resolved);
  const xmlNs* xs = xmlSearchNs(doc.get(), value, BAD_CAST "xs");
  REQUIRE(xs != nullptr);
  CHECK(std::string(reinterpret_cast<const char*>(xs->href)) == ns::kXs);
}

TEST_CASE("Unsigned assertion round-trips byte for byte after canonicalization",
          "[saml][encryption]") {
  auto doc = parseUntrusted(encryptedResponse(recipient().cert)).value();
  auto decrypted =
      decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {recipient().key});
  REQUIRE(decrypted.has_value());
  CHECK(canonical(doc, *decrypted) == expectedAssertion());
}

TEST_CASE("Each encryption draws a fresh content key and nonce", "[saml][encryption]") {
  auto a = parseUntrusted(encryptedResponse(recipient().cert)).value();
  auto b = parseUntrusted(encryptedResponse(recipient().cert)).value();
  CHECK(textContent(contentCipherValue(a)) != textContent(contentCipherValue(b)));
}

// Hands out bytes from a counter, and keeps each draw.
class RecordingRandom final : public garde::core::Random {
 public:
  std::string bytes(std::size_t n) override {
    std::string out(n, '\0');
    for (char& c : out) {
      c = static_cast<char>(next_++);
    }
    draws.push_back(out);
    return out;
  }
  std::vector<std::string> draws;

 private:
  unsigned char next_ = 1;
};

// AES-256-GCM decryption of a CipherValue's octets (nonce, ciphertext, tag); nullopt if the tag
// does not verify.
std::optional<std::string> gcmDecrypt(const std::string& key, const std::string& octets) {
  REQUIRE(octets.size() > 28);
  const std::string nonce = octets.substr(0, 12);
  std::string tag = octets.substr(octets.size() - 16);
  const std::string cipher = octets.substr(12, octets.size() - 28);
  std::string out(cipher.size(), '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  REQUIRE(ctx != nullptr);
  int len = 0;
  int final_len = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                        reinterpret_cast<const unsigned char*>(cipher.data()),
                        static_cast<int>(cipher.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + len, &final_len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    return std::nullopt;
  }
  return out;
}

TEST_CASE("The content key and nonce come from the caller's Random", "[saml][encryption]") {
  RecordingRandom random;
  auto doc = parseOwn(kResponse).value();
  REQUIRE(encryptAssertion(find(doc, ns::kAssertion, "Assertion"), recipient().cert, random)
              .has_value());
  REQUIRE(random.draws.size() == 2);
  const std::string& key = random.draws[0];
  const std::string& nonce = random.draws[1];
  CHECK(key.size() == 32);
  CHECK(nonce.size() == 12);
  const auto octets = garde::core::base64Decode(textContent(contentCipherValue(doc)));
  REQUIRE(octets.has_value());
  CHECK(octets->substr(0, 12) == nonce);
  const auto plaintext = gcmDecrypt(key, *octets);
  REQUIRE(plaintext.has_value());
  CHECK(plaintext->find("ID=\"_a1\"") != std::string::npos);
  // The same draws give the same content encryption (the key transport's OAEP seed is OpenSSL's).
  RecordingRandom again;
  auto second = parseOwn(kResponse).value();
  REQUIRE(encryptAssertion(find(second, ns::kAssertion, "Assertion"), recipient().cert, again)
              .has_value());
  CHECK(textContent(contentCipherValue(second)) == textContent(contentCipherValue(doc)));
}

TEST_CASE("Decryption with a key the assertion was not encrypted for fails", "[saml][encryption]") {
  auto doc = parseUntrusted(encryptedResponse(recipient().cert)).value();
  auto result =
      decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {otherRecipient().key});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kDecryptionFailed);
  CHECK(find(doc, ns::kAssertion, "EncryptedAssertion") != nullptr);
}

TEST_CASE("Decryption with no key at all fails", "[saml][encryption]") {
  auto doc = parseUntrusted(encryptedResponse(recipient().cert)).value();
  auto result = decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kDecryptionFailed);
}

TEST_CASE("During a key rollover any of the keys decrypts", "[saml][encryption]") {
  auto doc = parseUntrusted(encryptedResponse(recipient().cert)).value();
  auto result = decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"),
                                 {otherRecipient().key, recipient().key});
  REQUIRE(result.has_value());
  CHECK(canonical(doc, *result) == expectedAssertion());
}

TEST_CASE("A tampered AES-GCM ciphertext or tag is rejected", "[saml][encryption]") {
  auto doc = parseUntrusted(encryptedResponse(recipient().cert)).value();
  const std::size_t from_end = GENERATE(0u, 20u);  // in the tag, in the ciphertext
  flipByte(contentCipherValue(doc), from_end);
  auto result =
      decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {recipient().key});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kDecryptionFailed);
}

TEST_CASE("A tampered wrapped key is rejected", "[saml][encryption]") {
  auto doc = parseUntrusted(encryptedResponse(recipient().cert)).value();
  xmlNode* key = find(doc, ns::kXenc, "EncryptedKey");
  flipByte(findElement(key->children, ns::kXenc, "CipherValue"), 5);
  auto result =
      decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {recipient().key});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kDecryptionFailed);
}

TEST_CASE("A decrypted assertion reusing an ID of the document is rejected", "[saml][encryption]") {
  auto built = parseOwn(kResponse).value();
  REQUIRE(encryptAssertion(find(built, ns::kAssertion, "Assertion"), recipient().cert,
                           garde::core::systemRandom())
              .has_value());
  // The Response now claims the assertion's ID: after decryption two elements would carry it.
  xmlSetProp(xmlDocGetRootElement(built.get()), BAD_CAST "ID", BAD_CAST "_a1");
  auto doc = parseUntrusted(serialize(built.get())).value();
  auto result =
      decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {recipient().key});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kDuplicateId);
}

TEST_CASE("Only a saml:Assertion can be encrypted, and only for an RSA key", "[saml][encryption]") {
  auto doc = parseOwn(kResponse).value();
  CHECK(encryptAssertion(xmlDocGetRootElement(doc.get()), recipient().cert,
                         garde::core::systemRandom())
            .error()
            .code == ErrorCode::kMalformedMessage);
  const auto ec = garde::test::makeCredential("ec sp", KeyType::kEc, kNow);
  auto result = encryptAssertion(find(doc, ns::kAssertion, "Assertion"), ec.cert,
                                 garde::core::systemRandom());
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kAlgorithmForbidden);
  CHECK(find(doc, ns::kAssertion, "Assertion") != nullptr);
}

TEST_CASE(
    "An assertion encrypted by xmlsec1 decrypts, with the saml prefix declared on the Response",
    "[saml][encryption][interop]") {
  const std::string fixture =
      GENERATE(std::string("response-xmlsec1-gcm.xml"), std::string("response-xmlsec1-cbc.xml"));
  auto doc = parseUntrusted(loadFixture("saml/encryption/" + fixture)).value();
  auto result = decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {fixtureKey()});
  REQUIRE(result.has_value());
  auto plain = parseOwn(loadFixture("saml/encryption/response-plain.xml")).value();
  CHECK(canonical(doc, *result) == canonical(plain, find(plain, ns::kAssertion, "Assertion")));
  CHECK(elementById(doc.get(), "_a7d1c0ffee") == *result);
}

TEST_CASE("Garde's encrypted assertion decrypts with xmlsec1", "[saml][encryption][interop]") {
  REQUIRE(std::system("xmlsec1 --version > /dev/null 2>&1") == 0);
  const garde::test::TempDir dir("garde-enc");
  const std::string key = dir.write("recipient.key.pem", recipient().key.pem());
  const std::string in = dir.write("encrypted.xml", encryptedResponse(recipient().cert));
  const std::string out = dir.file("decrypted.xml");
  const std::string cmd = "xmlsec1 --decrypt --privkey-pem " + key + " --output " + out + " " + in +
                          " > /dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto doc = parseUntrusted(garde::core::readFile(out).value()).value();
  xmlNode* assertion = find(doc, ns::kAssertion, "Assertion");
  REQUIRE(assertion != nullptr);
  CHECK(canonical(doc, assertion) == expectedAssertion());
}

TEST_CASE("RSA PKCS#1 v1.5 key transport is forbidden", "[saml][encryption]") {
  auto doc = parseUntrusted(loadFixture("saml/encryption/response-rsa15.xml")).value();
  auto result = decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {fixtureKey()});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kAlgorithmForbidden);
}

TEST_CASE("A DOCTYPE in the decrypted plaintext is refused", "[saml][encryption]") {
  auto doc = parseUntrusted(loadFixture("saml/encryption/encrypted-doctype.xml")).value();
  auto result = decryptAssertion(xmlDocGetRootElement(doc.get()), {fixtureKey()});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kForbiddenXml);
}

TEST_CASE("Decrypted content other than an Assertion is rejected", "[saml][encryption]") {
  auto doc = parseUntrusted(loadFixture("saml/encryption/encrypted-not-assertion.xml")).value();
  auto result = decryptAssertion(xmlDocGetRootElement(doc.get()), {fixtureKey()});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kMalformedMessage);
}

TEST_CASE("A tampered AES-CBC ciphertext fails the same way wherever the damage lands",
          "[saml][encryption]") {
  // Padding errors and plaintext parse errors must be indistinguishable (CBC padding oracle).
  std::string wrong_key_detail;
  {
    auto doc = parseUntrusted(loadFixture("saml/encryption/response-xmlsec1-cbc.xml")).value();
    auto result =
        decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {recipient().key});
    REQUIRE_FALSE(result.has_value());
    wrong_key_detail = result.error().detail;
  }
  // 16: last byte of the penultimate block (padding); large: first blocks (garbled XML).
  const std::size_t from_end = GENERATE(16u, 200u);
  auto doc = parseUntrusted(loadFixture("saml/encryption/response-xmlsec1-cbc.xml")).value();
  flipByte(contentCipherValue(doc), from_end);
  auto result = decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {fixtureKey()});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kDecryptionFailed);
  CHECK(result.error().detail == wrong_key_detail);
}

TEST_CASE("EncryptedAssertion structure and algorithms are checked before decrypting",
          "[saml][encryption]") {
  struct Case {
    std::string from;
    std::string to;
    ErrorCode code;
  };
  const auto c = GENERATE(
      Case{"xmlenc#Element\"", "xmlenc#Content\"", ErrorCode::kMalformedMessage},
      Case{"xmlenc11#aes256-gcm", "xmlenc11#aes192-gcm", ErrorCode::kAlgorithmForbidden},
      Case{"http://www.w3.org/2009/xmlenc11#aes256-gcm",
           "http://www.w3.org/2001/04/xmlenc#tripledes-cbc", ErrorCode::kAlgorithmForbidden},
      Case{"xmlenc#rsa-oaep-mgf1p", "xmlenc#kw-aes256", ErrorCode::kAlgorithmForbidden},
      Case{"xmldsig#sha1\"", "xmldsig#md5\"", ErrorCode::kAlgorithmForbidden},
      Case{"<xenc:CipherValue>",
           "<xenc:CipherReference URI=\"http://attacker.example/\"/><xenc:CipherValue>",
           ErrorCode::kMalformedMessage},
      Case{"<saml:Issuer>https://idp.example.org</saml:Issuer><samlp:Status>",
           "<saml:Issuer>https://idp.example.org</saml:Issuer><samlp:Status>",
           ErrorCode::kDecryptionFailed});
  std::string xml = loadFixture("saml/encryption/response-xmlsec1-gcm.xml");
  const auto at = xml.rfind(c.from);  // the last one: the EncryptedData's CipherValue
  REQUIRE(at != std::string::npos);
  xml.replace(at, c.from.size(), c.to);
  auto doc = parseUntrusted(xml).value();
  // A key that does not match, so that the unchanged control case fails only at decryption.
  auto result =
      decryptAssertion(find(doc, ns::kAssertion, "EncryptedAssertion"), {recipient().key});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == c.code);
}

TEST_CASE("XML Encryption 1.1 RSA-OAEP with SHA-256 and MGF1-SHA-256 is accepted",
          "[saml][encryption]") {
  auto doc = parseUntrusted(encryptedResponse(recipient().cert)).value();
  xmlNode* key = find(doc, ns::kXenc, "EncryptedKey");
  xmlNode* method = firstChildElement(key, ns::kXenc, "EncryptionMethod");
  xmlNode* value = findElement(key->children, ns::kXenc, "CipherValue");
  // Re-wrap the content key the way Shibboleth IdP 4+ can be configured to.
  const std::string wrapped = garde::core::base64Decode(textContent(value)).value();
  auto oaep = [&](bool encrypt, const EVP_MD* md, const std::string& in) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(recipient().key.get(), nullptr);
    REQUIRE((encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1);
    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md);
    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md);
    std::string out(512, '\0');
    std::size_t len = out.size();
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    const int rc = encrypt ? EVP_PKEY_encrypt(ctx, o, &len, p, in.size())
                           : EVP_PKEY_decrypt(ctx, o, &len, p, in.size());
    EVP_PKEY_CTX_free(ctx);
    REQUIRE(rc == 1);
    out.resize(len);
    return out;
  };
  const std::string content_key = oaep(false, EVP_sha1(), wrapped);
  xmlNodeSetContent(
      value, BAD_CAST garde::core::base64Encode(oaep(true, EVP_sha256(), content_key)).c_str());
  xmlSetProp(method, BAD_CAST "Algorithm", BAD_CAST "http://www.w3.org/2009/xmlenc11#rsa-oaep");
  xmlSetProp(firstChildElement(method, ns::kDsig, "DigestMethod"), BAD_CAST "Algorithm",
             BAD_CAST "http://www.w3.org/2001/04/xmlenc#sha256");
  xmlNs* xenc11 = xmlNewNs(method, BAD_CAST ns::kXenc11, BAD_CAST "xenc11");
  xmlNode* mgf = xmlNewChild(method, xenc11, BAD_CAST "MGF", nullptr);
  xmlSetProp(mgf, BAD_CAST "Algorithm", BAD_CAST "http://www.w3.org/2009/xmlenc11#mgf1sha256");

  auto reparsed = parseUntrusted(serialize(doc.get())).value();
  auto result =
      decryptAssertion(find(reparsed, ns::kAssertion, "EncryptedAssertion"), {recipient().key});
  REQUIRE(result.has_value());
  CHECK(canonical(reparsed, *result) == expectedAssertion());
}
