#include "core/totp.h"

#include "core/crypto.h"
#include "core/encoding.h"

namespace garde::core {
namespace {

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

}  // namespace

std::string base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += kBase32[(buffer << (5 - bits)) & 31];
  }
  return out;
}

std::optional<std::string> base32Decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == ' ') {
      continue;
    }
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
    const auto at = kBase32.find(c);
    if (at == std::string_view::npos) {
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<std::uint32_t>(at);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::int64_t totpStep(UnixTime t) noexcept {
  return t >= 0 ? t / kTotpStepSeconds : (t - kTotpStepSeconds + 1) / kTotpStepSeconds;
}

std::string totpCode(std::string_view secret, std::int64_t step, int digits) {
  std::string counter(8, '\0');
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<std::size_t>(i)] = static_cast<char>(step & 0xff);
    step >>= 8;
  }
  const auto mac = HmacSha256(secret).mac(counter);
  if (!mac) {
    return {};
  }
  const auto& h = *mac;
  const std::size_t offset = static_cast<unsigned char>(h.back()) & 0x0f;
  const std::uint32_t binary = ((static_cast<unsigned char>(h[offset]) & 0x7fU) << 24) |
                               (static_cast<unsigned char>(h[offset + 1]) << 16) |
                               (static_cast<unsigned char>(h[offset + 2]) << 8) |
                               static_cast<unsigned char>(h[offset + 3]);
  std::uint32_t modulo = 1;
  for (int i = 0; i < digits; ++i) {
    modulo *= 10;
  }
  std::string code = std::to_string(binary % modulo);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::optional<std::int64_t> verifyTotp(std::string_view secret, std::string_view code, UnixTime now,
                                       std::int64_t last_used_step) {
  if (code.size() != static_cast<std::size_t>(kTotpDigits) || secret.empty()) {
    return std::nullopt;
  }
  const std::int64_t current = totpStep(now);
  std::optional<std::int64_t> matched;
  for (std::int64_t step = current - 1; step <= current + 1; ++step) {
    // Every candidate is computed and compared, so the time does not say which step matched.
    if (constantTimeEqual(totpCode(secret, step), code) && step > last_used_step) {
      matched = step;
    }
  }
  return matched;
}

std::string totpUri(std::string_view account, std::string_view secret) {
  return "otpauth://totp/garde:" + urlEncode(account) + "?secret=" + base32Encode(secret) +
         "&issuer=garde&algorithm=SHA256&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpStepSeconds);
}

}  // namespace garde::core
