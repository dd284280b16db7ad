#include "core/encoding.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace garde::core {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> makeTable(const char* alphabet) {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) {
    v = -1;
  }
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr auto kTable = makeTable(kAlphabet);
constexpr auto kUrlTable = makeTable(kUrlAlphabet);

// Two output characters per 12 bits: pairs[2 * v], pairs[2 * v + 1] encode v (0..4095), so three
// input bytes take two table reads instead of four (the POST form's base64 of a publisher Response
// with an encrypted assertion is about 14 KB per launch).
using PairTable = std::array<char, 2 * 4096>;
constexpr PairTable makePairs(const char* alphabet) {
  PairTable t{};
  for (int v = 0; v < 4096; ++v) {
    t[static_cast<std::size_t>(2 * v)] = alphabet[v >> 6];
    t[static_cast<std::size_t>(2 * v + 1)] = alphabet[v & 63];
  }
  return t;
}
constexpr PairTable kPairs = makePairs(kAlphabet);
constexpr PairTable kUrlPairs = makePairs(kUrlAlphabet);

// Appends the encoding of `data` to `out`.
void encodeWith(std::string& out, std::string_view data, const char* alphabet,
                const PairTable& pairs, bool pad) {
  const std::size_t full = data.size() / 3;
  const std::size_t rest = data.size() % 3;
  const std::size_t size = full * 4 + (rest == 0 ? 0 : (pad ? 4 : rest + 1));
  const std::size_t start = out.size();
  out.resize(start + size);
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  char* o = out.data() + start;
  for (std::size_t i = 0; i < full; ++i, in += 3, o += 4) {
    const std::uint32_t n = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8) | in[2];
    std::memcpy(o, &pairs[2 * (n >> 12)], 2);
    std::memcpy(o + 2, &pairs[2 * (n & 4095)], 2);
  }
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{in[0]} << 16;
    if (rest == 2) {
      n |= std::uint32_t{in[1]} << 8;
    }
    o[0] = alphabet[(n >> 18) & 63];
    o[1] = alphabet[(n >> 12) & 63];
    if (rest == 2) {
      o[2] = alphabet[(n >> 6) & 63];
    } else if (pad) {
      o[2] = '=';
    }
    if (pad) {
      o[3] = '=';
    }
  }
}

bool isXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string base64Encode(std::string_view data) {
  std::string out;
  encodeWith(out, data, kAlphabet, kPairs, true);
  return out;
}
void appendBase64(std::string& out, std::string_view data) {
  encodeWith(out, data, kAlphabet, kPairs, true);
}
std::string base64UrlEncode(std::string_view data) {
  std::string out;
  encodeWith(out, data, kUrlAlphabet, kUrlPairs, false);
  return out;
}

Result<std::string> base64Decode(std::string_view text, std::size_t max_decoded) {
  // Sized once and written through an index: at most 3 bytes per 4 symbols (whitespace only makes
  // it smaller), and never more than the cap.
  const std::size_t bound = text.size() / 4 * 3 + 3;
  std::string out(std::min(bound, max_decoded), '\0');
  std::size_t n = 0;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t symbols = 0;
  std::size_t padding = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  for (;;) {
    // Four symbols of the alphabet in a row at a quantum boundary (the bulk of any input) give
    // three bytes at once; anything else (whitespace, padding, errors, the cap) takes the general
    // path below, one character at a time.
    while (bits == 0 && padding == 0 && i + 4 <= text.size() && n + 3 <= out.size()) {
      const int a = kTable[in[i]];
      const int b = kTable[in[i + 1]];
      const int c = kTable[in[i + 2]];
      const int d = kTable[in[i + 3]];
      if ((a | b | c | d) < 0) {
        break;
      }
      const auto v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
      out[n] = static_cast<char>(v >> 16);
      out[n + 1] = static_cast<char>((v >> 8) & 0xff);
      out[n + 2] = static_cast<char>(v & 0xff);
      n += 3;
      i += 4;
      symbols += 4;
    }
    if (i == text.size()) {
      break;
    }
    const char c = text[i++];
    if (isXmlSpace(c)) {
      continue;
    }
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    if (padding > 0) {
      return fail(ErrorCode::kBadEncoding, "base64: data after padding");
    }
    const auto v = kTable[static_cast<unsigned char>(c)];
    if (v < 0) {
      return fail(ErrorCode::kBadEncoding, "base64: character outside the alphabet");
    }
    ++symbols;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == max_decoded) {
        return fail(ErrorCode::kLimitExceeded,
                    "base64: decoded data exceeds " + std::to_string(max_decoded) + " bytes");
      }
      out[n++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (symbols % 4 != 0 || padding > 2) {
    return fail(ErrorCode::kBadEncoding, "base64: truncated input or bad padding");
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(ErrorCode::kBadEncoding, "base64: non-zero trailing bits");
  }
  out.resize(n);
  return out;
}

Result<std::string> base64UrlDecode(std::string_view text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const auto v = kUrlTable[static_cast<unsigned char>(c)];
    if (v < 0) {
      return fail(ErrorCode::kBadEncoding, "base64url: character outside the alphabet");
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (text.size() % 4 == 1) {
    return fail(ErrorCode::kBadEncoding, "base64url: truncated input");
  }
  return out;
}

std::string urlEncode(std::string_view text, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::string> urlDecode(std::string_view text, bool form_mode) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t run = i;  // characters copied as they are
    while (i < n && text[i] != '%' && (text[i] != '+' || !form_mode)) {
      ++i;
    }
    out.append(text.substr(run, i - run));
    if (i == n) {
      break;
    }
    if (text[i] == '+') {
      out += ' ';
      ++i;
      continue;
    }
    if (i + 2 >= n) {
      return fail(ErrorCode::kBadEncoding, "url: truncated percent escape");
    }
    const int hi = hex(text[i + 1]);
    const int lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) {
      return fail(ErrorCode::kBadEncoding, "url: invalid percent escape");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 3;
  }
  return out;
}

std::string htmlEscape(std::string_view text) {
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : std::string_view("&<>\"'")) {
      t[c] = true;
    }
    return t;
  }();
  std::string out;
  out.reserve(text.size() + 16);
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t run = i;  // characters copied as they are
    while (i < n && !kSpecial[static_cast<unsigned char>(text[i])]) {
      ++i;
    }
    out.append(text.substr(run, i - run));
    if (i == n) {
      break;
    }
    switch (text[i]) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += "&#39;";
        break;
    }
    ++i;
  }
  return out;
}

std::string hexEncode(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

void appendCsvCell(std::string& out, std::string_view value) {
  out += '"';
  if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) {
    out += '\'';  // CSV injection: never a formula in the reader's spreadsheet
  }
  for (const char c : value) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  out += '"';
}

}  // namespace garde::core
