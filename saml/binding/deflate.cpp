#include "saml/binding/deflate.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <new>

#include "core/c_handle.h"

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;

constexpr int kRawWindowBits = -15;  // negative: raw DEFLATE, no zlib header or checksum
constexpr std::size_t kChunk = 16 * 1024;

// Ends an initialised stream (the z_stream itself lives on the caller's stack).
using InflateEnd = core::CHandle<z_stream, inflateEnd>;

// ---- Compression
//
// What garde deflates are its own AuthnRequests and LogoutRequests: well under 2 KB, compressed
// once per launch. zlib spends most of its time on such inputs building dynamic Huffman trees and
// resetting its tables (about 7 µs per AuthnRequest on the benchmark machine). Here: one block with
// the fixed Huffman codes of RFC 1951 section 3.2.6 and greedy LZ77 matching through a small hash
// table (1.5 µs, bench/saml_bench BM_DeflateAuthnRequest). The output is about 15 % longer than
// zlib's for an AuthnRequest (335 bytes instead of 288 for a 502-byte one), some 60 more characters
// in the redirect URL. Any raw inflater reads it; the tests check every output against zlib's
// inflate.

constexpr std::size_t kWindow = 32768;  // the farthest a DEFLATE distance reaches
constexpr int kHashBits = 10;
constexpr std::size_t kMinMatch = 3;
constexpr std::size_t kMaxMatch = 258;

struct Code {
  std::uint16_t bits;  // bit-reversed: DEFLATE sends Huffman codes most significant bit first
  std::uint8_t length;
};

constexpr std::uint16_t reversed(unsigned code, int length) {
  unsigned r = 0;
  for (int i = 0; i < length; ++i) {
    r = (r << 1) | ((code >> i) & 1U);
  }
  return static_cast<std::uint16_t>(r);
}

// The fixed literal/length code (RFC 1951 3.2.6).
constexpr std::array<Code, 288> kLitLen = [] {
  std::array<Code, 288> t{};
  for (unsigned s = 0; s < 288; ++s) {
    unsigned code = 0;
    int length = 0;
    if (s < 144) {
      code = 0x30 + s;
      length = 8;
    } else if (s < 256) {
      code = 0x190 + (s - 144);
      length = 9;
    } else if (s < 280) {
      code = s - 256;
      length = 7;
    } else {
      code = 0xC0 + (s - 280);
      length = 8;
    }
    t[s] = Code{reversed(code, length), static_cast<std::uint8_t>(length)};
  }
  return t;
}();
constexpr unsigned kEndOfBlock = 256;

// Lengths 3..258 (codes 257..285) and distances 1..32768 (codes 0..29), RFC 1951 3.2.5.
constexpr std::uint16_t kLengthBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                           15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                           67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                           2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::uint16_t kDistanceBase[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::uint8_t kDistanceExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                             6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

// Bits are packed from the least significant bit of each byte (RFC 1951 3.1.1).
class BitWriter {
 public:
  explicit BitWriter(std::string& out) : out_(out) {}
  void put(std::uint32_t bits, int count) {
    pending_ |= static_cast<std::uint64_t>(bits) << used_;
    used_ += count;
    while (used_ >= 8) {
      out_.push_back(static_cast<char>(pending_ & 0xFF));
      pending_ >>= 8;
      used_ -= 8;
    }
  }
  void symbol(unsigned s) { put(kLitLen[s].bits, kLitLen[s].length); }
  void flush() {
    if (used_ > 0) {
      out_.push_back(static_cast<char>(pending_ & 0xFF));
    }
    pending_ = 0;
    used_ = 0;
  }

 private:
  std::string& out_;
  std::uint64_t pending_ = 0;
  int used_ = 0;
};

std::uint32_t hash3(const unsigned char* p) {
  const std::uint32_t v =
      p[0] | (static_cast<std::uint32_t>(p[1]) << 8) | (static_cast<std::uint32_t>(p[2]) << 16);
  return (v * 2654435761U) >> (32 - kHashBits);
}

void match(BitWriter& w, std::size_t length, std::size_t distance) {
  unsigned l = 28;
  while (kLengthBase[l] > length) {
    --l;
  }
  w.symbol(257 + l);
  w.put(static_cast<std::uint32_t>(length - kLengthBase[l]), kLengthExtra[l]);
  unsigned d = 29;
  while (kDistanceBase[d] > distance) {
    --d;
  }
  w.put(reversed(d, 5), 5);
  w.put(static_cast<std::uint32_t>(distance - kDistanceBase[d]), kDistanceExtra[d]);
}

}  // namespace

std::string deflateRaw(std::string_view data) {
  if (data.size() >= std::numeric_limits<std::uint32_t>::max()) {
    throw std::bad_alloc();  // positions are kept in 32 bits
  }
  std::string out;
  out.reserve(data.size() + data.size() / 8 + 16);  // 9 bits per literal at worst
  BitWriter w(out);
  w.put(1, 1);                                                    // BFINAL: the only block
  w.put(1, 2);                                                    // BTYPE 01: fixed Huffman codes
  std::array<std::uint32_t, std::size_t{1} << kHashBits> last{};  // position + 1; 0: none yet
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t length = 0;
    std::size_t distance = 0;
    if (i + kMinMatch <= n) {
      std::uint32_t& slot = last[hash3(p + i)];
      const std::size_t candidate = slot;
      slot = static_cast<std::uint32_t>(i + 1);
      if (candidate != 0 && i - (candidate - 1) <= kWindow) {
        const std::size_t from = candidate - 1;
        const std::size_t limit = std::min(kMaxMatch, n - i);
        std::size_t k = 0;
        while (k < limit && p[from + k] == p[i + k]) {
          ++k;
        }
        if (k >= kMinMatch) {
          length = k;
          distance = i - from;
        }
      }
    }
    if (length == 0) {
      w.symbol(p[i]);
      ++i;
      continue;
    }
    match(w, length, distance);
    // The positions inside the match go into the table too, for the matches after it.
    for (std::size_t k = i + 1; k < i + length && k + kMinMatch <= n; ++k) {
      last[hash3(p + k)] = static_cast<std::uint32_t>(k + 1);
    }
    i += length;
  }
  w.symbol(kEndOfBlock);
  w.flush();
  return out;
}

core::Result<std::string> inflateRaw(std::string_view data, std::size_t max_inflated) {
  if (data.size() > std::numeric_limits<uInt>::max()) {
    return fail(ErrorCode::kLimitExceeded, "deflate: input too large");
  }
  z_stream z{};
  if (inflateInit2(&z, kRawWindowBits) != Z_OK) {
    return fail(ErrorCode::kInternal, "deflate: cannot initialise zlib");
  }
  const InflateEnd end_stream(&z);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  std::array<unsigned char, kChunk> chunk{};
  for (;;) {
    z.next_out = chunk.data();
    z.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = chunk.size() - z.avail_out;
    // Check before appending: the output string never holds more than the cap.
    if (out.size() + produced > max_inflated) {
      return fail(ErrorCode::kLimitExceeded,
                  "deflate: inflated data exceeds " + std::to_string(max_inflated) + " bytes");
    }
    out.append(reinterpret_cast<const char*>(chunk.data()), produced);
    if (rc == Z_STREAM_END) {
      break;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      return fail(ErrorCode::kBadEncoding, "deflate: truncated stream");
    }
    if (rc != Z_OK) {
      return fail(ErrorCode::kBadEncoding, "deflate: corrupt stream");
    }
  }
  if (z.avail_in != 0) {
    return fail(ErrorCode::kBadEncoding, "deflate: data after the end of the stream");
  }
  return out;
}

}  // namespace garde::saml
