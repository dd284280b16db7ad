#include "saml/binding/deflate.h"

#include <zlib.h>

#include <array>
#include <limits>
#include <new>

namespace garde::saml {
namespace {

using core::ErrorCode;
using core::fail;

constexpr int kRawWindowBits = -15;  // negative: raw DEFLATE, no zlib header or checksum
constexpr std::size_t kChunk = 16 * 1024;

struct InflateStream {
  z_stream z{};
  bool ok = false;
  InflateStream() { ok = inflateInit2(&z, kRawWindowBits) == Z_OK; }
  ~InflateStream() {
    if (ok) {
      inflateEnd(&z);
    }
  }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
};

// What garde deflates are its own AuthnRequests and LogoutRequests: under 2 KB. A 4 KB window and
// a 2 048-entry hash table compress them exactly as well as zlib's defaults (32 KB window, 32 768
// entries), and deflateReset clears the hash table before every message: 4 KB to clear instead of
// 64 KB, which the launch profile showed as a third of the redirect binding's cost. Longer inputs
// still compress, only with matches limited to 4 KB back. Any raw inflater reads the result (the
// window size only bounds how far back a match reaches).
constexpr int kRawDeflateWindowBits = -12;
constexpr int kDeflateMemLevel = 4;  // 2^(4+7) hash entries

// One compressor per thread, reset between messages: allocating and returning zlib's tables per
// message (the redirect binding deflates every AuthnRequest garde sends) showed in the launch
// profile as malloc, heap trimming and TLB shoot-downs.
struct DeflateStream {
  z_stream z{};
  bool ok = false;
  DeflateStream() {
    ok = deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kRawDeflateWindowBits,
                      kDeflateMemLevel, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~DeflateStream() {
    if (ok) {
      deflateEnd(&z);
    }
  }
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;
};

}  // namespace

std::string deflateRaw(std::string_view data) {
  thread_local DeflateStream stream;
  if (!stream.ok || data.size() > std::numeric_limits<uInt>::max()) {
    throw std::bad_alloc();
  }
  z_stream& z = stream.z;
  if (deflateReset(&z) != Z_OK) {
    throw std::bad_alloc();
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  // deflateBound guarantees room for a single Z_FINISH call; anything else is memory exhaustion.
  if (rc != Z_STREAM_END) {
    throw std::bad_alloc();
  }
  return out;
}

core::Result<std::string> inflateRaw(std::string_view data, std::size_t max_inflated) {
  if (data.size() > std::numeric_limits<uInt>::max()) {
    return fail(ErrorCode::kLimitExceeded, "deflate: input too large");
  }
  InflateStream stream;
  if (!stream.ok) {
    return fail(ErrorCode::kInternal, "deflate: cannot initialise zlib");
  }
  z_stream& z = stream.z;
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
