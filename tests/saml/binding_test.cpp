#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "core/encoding.h"
#include "saml/binding/decode_any.h"
#include "saml/binding/deflate.h"
#include "saml/binding/post.h"
#include "saml/binding/redirect.h"
#include "saml/signature.h"
#include "support/credentials.h"
#include "support/fixtures.h"

using garde::core::ErrorCode;
using garde::test::loadFixture;
using namespace garde::saml;

namespace {

using garde::test::kNow;

const Credential& spCredential() {
  static const Credential cred = garde::test::makeCredential("test sp", KeyType::kRsa, kNow);
  return cred;
}

const Credential& ecCredential() {
  static const Credential cred = garde::test::makeCredential("test ec sp", KeyType::kEc, kNow);
  return cred;
}

const Credential& otherCredential() {
  static const Credential cred = garde::test::makeCredential("someone else", KeyType::kRsa, kNow);
  return cred;
}

std::string fixture(const std::string& name) {
  std::string s = loadFixture("saml/binding/" + name);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

std::string requestXml() { return fixture("authn_request.xml"); }

// The query part of a URL built by encodeRedirect().
std::string queryOf(const std::string& url) { return url.substr(url.find('?') + 1); }

template <class T>
ErrorCode codeOf(const garde::core::Result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

ErrorCode codeOf(const garde::core::Status& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

std::string param(const std::string& query, const std::string& name) {
  for (const RawParam& p : splitQuery(query)) {
    if (p.name == name) {
      return std::string(p.value);
    }
  }
  return {};
}

void replaceFirst(std::string& s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
}

}  // namespace

// ---- DEFLATE ------------------------------------------------------------------------------------

TEST_CASE("Raw DEFLATE round-trips and refuses a zlib wrapper", "[saml][binding][deflate]") {
  const std::string xml = requestXml();
  const auto inflated = inflateRaw(deflateRaw(xml), 1 << 20);
  REQUIRE(inflated.has_value());
  CHECK(*inflated == xml);
  CHECK(inflateRaw(deflateRaw(""), 16).value().empty());
  CHECK(codeOf(inflateRaw("not deflate at all", 1024)) == ErrorCode::kBadEncoding);
  CHECK(codeOf(inflateRaw(deflateRaw(xml) + "trailing", 1 << 20)) == ErrorCode::kBadEncoding);
}

TEST_CASE("DEFLATE compresses messages and still takes long inputs", "[saml][binding][deflate]") {
  // A message garde sends compresses (fixed Huffman codes: to about 370 of 591 bytes here, where
  // zlib's dynamic trees reach 330).
  const std::string xml = requestXml();
  CHECK(deflateRaw(xml).size() < xml.size() * 2 / 3);
  // An input far longer than the 32 KB window, with repeats further back than the window reaches:
  // every byte comes back.
  std::string long_input;
  for (int i = 0; long_input.size() < 200000; ++i) {
    long_input += "<saml:Attribute Name=\"n" + std::to_string(i * 7919 % 10007) + "\">";
  }
  const auto back = inflateRaw(deflateRaw(long_input), 1 << 20);
  REQUIRE(back.has_value());
  CHECK(*back == long_input);
  CHECK(deflateRaw(long_input).size() < long_input.size() / 4);
}

TEST_CASE("Every DEFLATE stream garde writes inflates with zlib to its input",
          "[saml][binding][deflate]") {
  std::mt19937 rng(20261124);
  auto check = [](const std::string& data) {
    const auto back = inflateRaw(deflateRaw(data), data.size() + 1);
    REQUIRE(back.has_value());
    REQUIRE(*back == data);
  };
  // Every length of match (3..258 and longer runs), overlapping copies, all byte values.
  for (std::size_t run = 1; run < 600; ++run) {
    check("x" + std::string(run, 'a') + "y" + std::string(run, 'a'));
  }
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) {
    all_bytes += static_cast<char>(b);
  }
  check(all_bytes + all_bytes + all_bytes);
  // Repeats exactly at the window's reach and one byte beyond it.
  for (std::size_t gap : {32768 - 8, 32768 - 7, 32768 - 6, 32768, 32769, 40000}) {
    std::string data = "0123456789";
    std::uniform_int_distribution<int> byte(0, 255);
    while (data.size() < gap + 2) {
      data += static_cast<char>(byte(rng));
    }
    check(data.substr(0, gap) + "0123456789" + data.substr(0, 100));
  }
  // Random inputs over small and large alphabets, with and without long runs.
  for (int round = 0; round < 400; ++round) {
    const std::size_t size = rng() % 3000;
    const int alphabet = 1 + static_cast<int>(rng() % 256);
    std::string data;
    for (std::size_t k = 0; k < size; ++k) {
      data += static_cast<char>(rng() % alphabet);
    }
    if (round % 3 == 0) {
      data.insert(data.size() / 2, std::string(rng() % 1000, 'z'));
    }
    check(data);
  }
}

TEST_CASE("Inflating stops at the cap, exactly", "[saml][binding][deflate]") {
  const std::string data(100000, 'a');
  const std::string deflated = deflateRaw(data);
  CHECK(inflateRaw(deflated, data.size()).has_value());
  CHECK(codeOf(inflateRaw(deflated, data.size() - 1)) == ErrorCode::kLimitExceeded);
}

// ---- HTTP-Redirect ------------------------------------------------------------------------------

TEST_CASE("Redirect round trip without signature", "[saml][binding][redirect]") {
  const std::string xml = requestXml();
  auto url =
      encodeRedirect(xml, "https://garde.example.fr/saml/sso", "https://ent.example.fr/x?a=1&b=2",
                     true, nullptr, SignatureAlgorithm::kRsaSha256);
  REQUIRE(url.has_value());
  CHECK(url->rfind("https://garde.example.fr/saml/sso?SAMLRequest=", 0) == 0);
  CHECK(url->find("SigAlg=") == std::string::npos);

  auto msg = decodeRedirect(queryOf(*url));
  REQUIRE(msg.has_value());
  CHECK(msg->binding == BindingType::kRedirect);
  CHECK(msg->is_request);
  CHECK(msg->xml == xml);
  CHECK(msg->relay_state == "https://ent.example.fr/x?a=1&b=2");
  CHECK_FALSE(msg->hasRedirectSignature());
  CHECK(msg->signed_query.empty());
  CHECK(codeOf(verifyRedirectSignature(*msg, {spCredential().cert})) ==
        ErrorCode::kSignatureMissing);
}

TEST_CASE("Redirect keeps the endpoint's own query parameters", "[saml][binding][redirect]") {
  auto url = encodeRedirect("<x/>", "https://sp.example/acs?tenant=7", "", false, &spCredential(),
                            SignatureAlgorithm::kRsaSha256);
  REQUIRE(url.has_value());
  CHECK(url->rfind("https://sp.example/acs?tenant=7&SAMLResponse=", 0) == 0);
  CHECK(url->find("RelayState") == std::string::npos);
  auto msg = decodeRedirect(queryOf(*url));
  REQUIRE(msg.has_value());
  CHECK_FALSE(msg->is_request);
  CHECK_FALSE(msg->relay_state.has_value());
  CHECK(msg->signed_query.find("tenant") == std::string::npos);
  CHECK(verifyRedirectSignature(*msg, {spCredential().cert}).has_value());
}

TEST_CASE("Redirect signature verifies over the exact query bytes", "[saml][binding][redirect]") {
  const Credential& cred = GENERATE(spCredential(), ecCredential());
  const auto alg = defaultAlgorithm(cred.key);
  auto url = encodeRedirect(requestXml(), "https://garde.example.fr/saml/sso", "état 42 / ok", true,
                            &cred, alg);
  REQUIRE(url.has_value());
  const std::string query = queryOf(*url);
  auto msg = decodeRedirect(query);
  REQUIRE(msg.has_value());
  REQUIRE(msg->hasRedirectSignature());
  CHECK(msg->sig_alg == std::string(algorithmUri(alg)));
  CHECK(msg->relay_state == "état 42 / ok");
  CHECK(msg->signed_query == query.substr(0, query.find("&Signature=")));
  CHECK(verifyRedirectSignature(*msg, {otherCredential().cert, cred.cert}).has_value());

  SECTION("with a key that did not sign") {
    CHECK(codeOf(verifyRedirectSignature(*msg, {otherCredential().cert})) ==
          ErrorCode::kSignatureInvalid);
  }
  SECTION("with no trusted key") {
    CHECK(codeOf(verifyRedirectSignature(*msg, {})) == ErrorCode::kNoTrustedKey);
  }
  SECTION("parameters in another order still verify") {
    const std::string reordered =
        "Signature=" + param(query, "Signature") + "&SigAlg=" + param(query, "SigAlg") +
        "&RelayState=" + param(query, "RelayState") + "&SAMLRequest=" + param(query, "SAMLRequest");
    auto again = decodeRedirect(reordered);
    REQUIRE(again.has_value());
    CHECK(again->signed_query == msg->signed_query);
    CHECK(verifyRedirectSignature(*again, {cred.cert}).has_value());
  }
  SECTION("a tampered RelayState fails") {
    std::string tampered = query;
    replaceFirst(tampered, "RelayState=%C3%A9tat", "RelayState=%C3%A9tas");
    auto bad = decodeRedirect(tampered);
    REQUIRE(bad.has_value());
    CHECK(codeOf(verifyRedirectSignature(*bad, {cred.cert})) == ErrorCode::kSignatureInvalid);
  }
  SECTION("a re-encoded but equivalent RelayState fails: the signed bytes are the received ones") {
    std::string reencoded = query;
    replaceFirst(reencoded, "%2F", "/");
    auto bad = decodeRedirect(reencoded);
    REQUIRE(bad.has_value());
    CHECK(bad->relay_state == msg->relay_state);
    CHECK(codeOf(verifyRedirectSignature(*bad, {cred.cert})) == ErrorCode::kSignatureInvalid);
  }
  SECTION("a removed RelayState fails") {
    std::string stripped = query;
    replaceFirst(stripped, "&RelayState=" + param(query, "RelayState"), "");
    auto bad = decodeRedirect(stripped);
    REQUIRE(bad.has_value());
    CHECK(codeOf(verifyRedirectSignature(*bad, {cred.cert})) == ErrorCode::kSignatureInvalid);
  }
  SECTION("a swapped message fails") {
    auto other =
        encodeRedirect("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>",
                       "https://x/", "", true, nullptr, alg);
    REQUIRE(other.has_value());
    std::string swapped = query;
    replaceFirst(swapped, param(query, "SAMLRequest"), param(queryOf(*other), "SAMLRequest"));
    auto bad = decodeRedirect(swapped);
    REQUIRE(bad.has_value());
    CHECK(codeOf(verifyRedirectSignature(*bad, {cred.cert})) == ErrorCode::kSignatureInvalid);
  }
  SECTION("a downgraded SigAlg is refused") {
    std::string downgraded = query;
    replaceFirst(downgraded, param(query, "SigAlg"),
                 garde::core::urlEncode(alg == SignatureAlgorithm::kRsaSha256
                                            ? "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
                                            : "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"));
    auto bad = decodeRedirect(downgraded);
    REQUIRE(bad.has_value());
    CHECK(codeOf(verifyRedirectSignature(*bad, {cred.cert})) == ErrorCode::kAlgorithmForbidden);
  }
}

TEST_CASE("Redirect signing refuses an algorithm that does not fit the key",
          "[saml][binding][redirect]") {
  CHECK(codeOf(encodeRedirect("<x/>", "https://x/", "", true, &spCredential(),
                              SignatureAlgorithm::kEcdsaSha256)) == ErrorCode::kAlgorithmForbidden);
}

TEST_CASE("Redirect SHA-1 SigAlg is rejected", "[saml][binding][redirect]") {
  auto msg = decodeRedirect(fixture("sha1_signed.query"));
  REQUIRE(msg.has_value());
  CHECK(msg->relay_state == "https://ent.example.fr/portail");
  CHECK(codeOf(verifyRedirectSignature(*msg, {spCredential().cert})) ==
        ErrorCode::kAlgorithmForbidden);
}

TEST_CASE("Redirect rejects a DEFLATE bomb without inflating it", "[saml][binding][redirect]") {
  // 10 MiB of zeros, 10 KiB on the wire.
  const std::string query = fixture("bomb.query");
  CHECK(codeOf(decodeRedirect(query)) == ErrorCode::kLimitExceeded);
  CHECK(codeOf(decodeRedirect(query, {.max_inflated = 65536})) == ErrorCode::kLimitExceeded);
  CHECK(codeOf(decodeAny(query)) == ErrorCode::kLimitExceeded);
}

TEST_CASE("Redirect rejects malformed encodings", "[saml][binding][redirect]") {
  SECTION("base64") {
    CHECK(codeOf(decodeRedirect(fixture("bad_base64.query"))) == ErrorCode::kBadEncoding);
  }
  SECTION("truncated DEFLATE") {
    CHECK(codeOf(decodeRedirect(fixture("truncated_deflate.query"))) == ErrorCode::kBadEncoding);
  }
  SECTION("zlib wrapper instead of raw DEFLATE") {
    CHECK(codeOf(decodeRedirect(fixture("zlib_wrapped.query"))) == ErrorCode::kBadEncoding);
  }
  SECTION("percent escape") {
    CHECK(codeOf(decodeRedirect("SAMLRequest=abc%2")) == ErrorCode::kBadEncoding);
    CHECK(codeOf(decodeRedirect("SAMLRequest=fZA%ZZ")) == ErrorCode::kBadEncoding);
  }
  SECTION("RelayState escape") {
    auto url =
        encodeRedirect("<x/>", "https://x/", "", true, nullptr, SignatureAlgorithm::kRsaSha256);
    CHECK(codeOf(decodeRedirect(queryOf(*url) + "&RelayState=%G1")) == ErrorCode::kBadEncoding);
  }
}

TEST_CASE("Redirect rejects ambiguous or incomplete parameters", "[saml][binding][redirect]") {
  auto url = encodeRedirect(requestXml(), "https://x/", "rs", true, &spCredential(),
                            SignatureAlgorithm::kRsaSha256);
  REQUIRE(url.has_value());
  const std::string query = queryOf(*url);
  const std::string msg_param = "SAMLRequest=" + param(query, "SAMLRequest");

  CHECK(codeOf(decodeRedirect("")) == ErrorCode::kBadRequest);
  CHECK(codeOf(decodeRedirect("RelayState=abc")) == ErrorCode::kBadRequest);
  CHECK(codeOf(decodeRedirect("SAMLRequest=")) == ErrorCode::kBadRequest);
  SECTION("duplicates") {
    CHECK(codeOf(decodeRedirect(query + "&" + msg_param)) == ErrorCode::kBadRequest);
    CHECK(codeOf(decodeRedirect(query + "&RelayState=other")) == ErrorCode::kBadRequest);
    CHECK(codeOf(decodeRedirect(query + "&SigAlg=x")) == ErrorCode::kBadRequest);
    CHECK(codeOf(decodeRedirect(query + "&Signature=AAAA")) == ErrorCode::kBadRequest);
  }
  SECTION("both SAMLRequest and SAMLResponse") {
    CHECK(codeOf(decodeRedirect(msg_param + "&SAMLResponse=" + param(query, "SAMLRequest"))) ==
          ErrorCode::kBadRequest);
  }
  SECTION("Signature without SigAlg, SigAlg without Signature") {
    CHECK(codeOf(decodeRedirect(msg_param + "&Signature=" + param(query, "Signature"))) ==
          ErrorCode::kBadRequest);
    CHECK(codeOf(decodeRedirect(msg_param + "&SigAlg=" + param(query, "SigAlg"))) ==
          ErrorCode::kBadRequest);
  }
  SECTION("unsupported SAMLEncoding") {
    CHECK(decodeRedirect(msg_param + "&SAMLEncoding=urn%3Aoasis%3Anames%3Atc%3ASAML%3A2.0%"
                                     "3Abindings%3AURL-Encoding%3ADEFLATE")
              .has_value());
    CHECK(codeOf(decodeRedirect(msg_param + "&SAMLEncoding=gzip")) == ErrorCode::kBadRequest);
  }
  SECTION("unrelated parameters are ignored and never signed") {
    auto m = decodeRedirect("foo=bar&" + query + "&x");
    REQUIRE(m.has_value());
    CHECK(verifyRedirectSignature(*m, {spCredential().cert}).has_value());
  }
  SECTION("a leading '?' is accepted") { CHECK(decodeRedirect("?" + query).has_value()); }
}

TEST_CASE("Redirect size caps", "[saml][binding][redirect]") {
  SECTION("oversized query") {
    const std::string big = "SAMLRequest=" + std::string(600 * 1024, 'A');
    CHECK(codeOf(decodeRedirect(big)) == ErrorCode::kLimitExceeded);
    CHECK(codeOf(decodeRedirect("SAMLRequest=AAAA", {.max_encoded = 8})) ==
          ErrorCode::kLimitExceeded);
  }
  SECTION("inflated XML over the cap") {
    auto url = encodeRedirect(requestXml(), "https://x/", "", true, nullptr,
                              SignatureAlgorithm::kRsaSha256);
    CHECK(codeOf(decodeRedirect(queryOf(*url), {.max_inflated = 100})) ==
          ErrorCode::kLimitExceeded);
  }
  SECTION("RelayState: 80 bytes is advisory, 1024 is the limit") {
    const std::string ok(1024, 'r');
    auto url =
        encodeRedirect("<x/>", "https://x/", ok, true, nullptr, SignatureAlgorithm::kRsaSha256);
    auto m = decodeRedirect(queryOf(*url));
    REQUIRE(m.has_value());
    CHECK(m->relay_state == ok);
    auto too_long = encodeRedirect("<x/>", "https://x/", ok + "r", true, nullptr,
                                   SignatureAlgorithm::kRsaSha256);
    CHECK(codeOf(decodeRedirect(queryOf(*too_long))) == ErrorCode::kLimitExceeded);
  }
}

TEST_CASE("Redirect decodes '+' in base64 literally and in RelayState as a space",
          "[saml][binding][redirect]") {
  auto url =
      encodeRedirect(requestXml(), "https://x/", "", true, nullptr, SignatureAlgorithm::kRsaSha256);
  std::string query = queryOf(*url);
  // Some senders leave '+' unescaped in the base64 value.
  for (auto pos = query.find("%2B"); pos != std::string::npos; pos = query.find("%2B")) {
    query.replace(pos, 3, "+");
  }
  auto m = decodeRedirect(query + "&RelayState=a+b");
  REQUIRE(m.has_value());
  CHECK(m->xml == requestXml());
  CHECK(m->relay_state == "a b");
}

// ---- HTTP-POST ----------------------------------------------------------------------------------

TEST_CASE("POST form round trip", "[saml][binding][post]") {
  const std::string xml = requestXml();
  const std::string html =
      renderPostForm(xml, "https://sp.example/acs", "rs-1", false, "bm9uY2U0Mg==");
  CHECK(html.find("action=\"https://sp.example/acs\"") != std::string::npos);
  CHECK(html.find("name=\"SAMLResponse\" value=\"" + garde::core::base64Encode(xml) + "\"") !=
        std::string::npos);
  CHECK(html.find("<script nonce=\"bm9uY2U0Mg==\">") != std::string::npos);
  CHECK(html.find("<noscript>") < html.find("<button type=\"submit\">"));
  CHECK(html.find("<button type=\"submit\">") < html.find("</noscript>"));
  CHECK(postFormCsp("bm9uY2U0Mg==") ==
        "default-src 'none'; script-src 'nonce-bm9uY2U0Mg=='; base-uri 'none'; frame-ancestors "
        "'none'");

  FormFields fields{{"SAMLResponse", garde::core::base64Encode(xml)}, {"RelayState", "rs-1"}};
  auto m = decodePost(fields);
  REQUIRE(m.has_value());
  CHECK(m->binding == BindingType::kPost);
  CHECK_FALSE(m->is_request);
  CHECK(m->xml == xml);
  CHECK(m->relay_state == "rs-1");
  CHECK_FALSE(m->hasRedirectSignature());
}

TEST_CASE("POST form keeps a hostile RelayState and action inert", "[saml][binding][post]") {
  const std::string relay = R"("><script>alert(1)</script><input name='x' value=")";
  const std::string action = R"(https://sp.example/acs?a=1&b="x"<y>)";
  const std::string html = renderPostForm("<x/>", action, relay, true, "abc123");
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("alert(1)</script>") == std::string::npos);
  CHECK(html.find("name='x'") == std::string::npos);
  CHECK(html.find("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;input "
                  "name=&#39;x&#39; value=&quot;\"") != std::string::npos);
  CHECK(html.find("action=\"https://sp.example/acs?a=1&amp;b=&quot;x&quot;&lt;y&gt;\"") !=
        std::string::npos);
  // Exactly one script element: ours.
  CHECK(html.find("<script") == html.rfind("<script"));
  CHECK(html.find("name=\"SAMLRequest\"") != std::string::npos);
}

TEST_CASE("POST decoding rejects bad fields", "[saml][binding][post]") {
  const std::string b64 = garde::core::base64Encode(requestXml());
  CHECK(codeOf(decodePost({})) == ErrorCode::kBadRequest);
  CHECK(codeOf(decodePost({{"SAMLRequest", b64}, {"SAMLResponse", b64}})) ==
        ErrorCode::kBadRequest);
  CHECK(codeOf(decodePost({{"SAMLRequest", ""}})) == ErrorCode::kBadRequest);
  CHECK(codeOf(decodePost({{"SAMLRequest", "abc*"}})) == ErrorCode::kBadEncoding);
  CHECK(codeOf(decodePost({{"SAMLRequest", "abcde"}})) == ErrorCode::kBadEncoding);
  CHECK(codeOf(decodePost({{"SAMLRequest", b64}}, {.max_encoded = 100})) ==
        ErrorCode::kLimitExceeded);
  CHECK(codeOf(decodePost({{"SAMLRequest", b64}}, {.max_inflated = 100})) ==
        ErrorCode::kLimitExceeded);
  CHECK(codeOf(decodePost({{"SAMLRequest", b64}, {"RelayState", std::string(1025, 'r')}})) ==
        ErrorCode::kLimitExceeded);
  SECTION("line-wrapped base64 is accepted") {
    std::string wrapped = b64;
    wrapped.insert(64, "\r\n");
    auto m = decodePost({{"SAMLRequest", wrapped}});
    REQUIRE(m.has_value());
    CHECK(m->xml == requestXml());
  }
}

TEST_CASE("POST body decoding rejects duplicated fields", "[saml][binding][post]") {
  const std::string value = garde::core::urlEncode(garde::core::base64Encode(requestXml()));
  auto m = decodePostBody("SAMLRequest=" + value + "&RelayState=a+b%26c&other=1");
  REQUIRE(m.has_value());
  CHECK(m->relay_state == "a b&c");
  CHECK(m->xml == requestXml());
  CHECK(codeOf(decodePostBody("SAMLRequest=" + value + "&SAMLRequest=" + value)) ==
        ErrorCode::kBadRequest);
  CHECK(codeOf(decodePostBody("SAMLRequest=" + value + "&RelayState=1&RelayState=2")) ==
        ErrorCode::kBadRequest);
  CHECK(codeOf(decodePostBody("SAMLRequest=%zz")) == ErrorCode::kBadEncoding);
}

// ---- decodeAny ----------------------------------------------------------------------------------

TEST_CASE("decodeAny detects every form an operator may paste", "[saml][binding][decode_any]") {
  const std::string xml = requestXml();
  const std::string b64 = garde::core::base64Encode(xml);
  const std::string b64_deflate = garde::core::base64Encode(deflateRaw(xml));
  auto url = encodeRedirect(xml, "https://garde.example.fr/saml/sso", "rs", true, &spCredential(),
                            SignatureAlgorithm::kRsaSha256);
  REQUIRE(url.has_value());

  SECTION("raw XML") {
    auto d = decodeAny("  \n" + xml + "\n");
    REQUIRE(d.has_value());
    CHECK(d->form == InputForm::kXml);
    CHECK(d->xml == xml);
    CHECK_FALSE(d->binding.has_value());
  }
  SECTION("base64") {
    auto d = decodeAny(b64);
    REQUIRE(d.has_value());
    CHECK(d->form == InputForm::kBase64);
    CHECK(d->xml == xml);
    CHECK(d->binding == BindingType::kPost);
  }
  SECTION("base64 + DEFLATE, percent-encoded") {
    auto d = decodeAny(garde::core::urlEncode(b64_deflate));
    REQUIRE(d.has_value());
    CHECK(d->form == InputForm::kBase64Deflate);
    CHECK(inputFormName(d->form) == "base64+deflate");
    CHECK(d->xml == xml);
  }
  SECTION("a whole signed Redirect URL") {
    auto d = decodeAny(*url + "#fragment");
    REQUIRE(d.has_value());
    CHECK(d->form == InputForm::kRedirectUrl);
    CHECK(d->binding == BindingType::kRedirect);
    CHECK(d->is_request == true);
    CHECK(d->xml == xml);
    CHECK(d->relay_state == "rs");
    CHECK(d->sig_alg == std::string(algorithmUri(SignatureAlgorithm::kRsaSha256)));
    CHECK(verifyRedirectSignature(d->asInbound(), {spCredential().cert}).has_value());
  }
  SECTION("a query string") {
    auto d = decodeAny(queryOf(*url));
    REQUIRE(d.has_value());
    CHECK(d->form == InputForm::kQueryString);
    CHECK(d->xml == xml);
  }
  SECTION("a POST body") {
    auto d = decodeAny("RelayState=rs&SAMLResponse=" + garde::core::urlEncode(b64));
    REQUIRE(d.has_value());
    CHECK(d->form == InputForm::kPostBody);
    CHECK(d->binding == BindingType::kPost);
    CHECK(d->is_request == false);
    CHECK(d->relay_state == "rs");
    CHECK(d->xml == xml);
  }
  SECTION("garbage") {
    CHECK(codeOf(decodeAny("")) == ErrorCode::kBadEncoding);
    CHECK(codeOf(decodeAny("hello world!")) == ErrorCode::kBadEncoding);
    CHECK(codeOf(decodeAny(garde::core::base64Encode("not xml"))) == ErrorCode::kBadEncoding);
    CHECK_FALSE(decodeAny("https://example.org/no-query").has_value());
  }
}
