#include "core/gzip.h"

#include <zlib.h>

#include <cctype>
#include <limits>
#include <stdexcept>

namespace garde::core {

std::string gzipCompress(std::string_view data) {
  if (data.size() > std::numeric_limits<uInt>::max()) {
    throw std::length_error("gzipCompress: input too large");
  }
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  // zlib's API takes non-const input; deflate never writes to it.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    throw std::runtime_error("gzipCompress: deflate did not finish");
  }
  out.resize(written);
  return out;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

/// q=0 (0, 0.0, 0.00, 0.000) refuses the coding.
bool refused(std::string_view params) {
  while (!params.empty()) {
    const std::size_t semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      std::string_view v = trim(p.substr(2));
      if (v.empty() || v[0] != '0') {
        return false;
      }
      v.remove_prefix(1);
      if (!v.empty() && v[0] == '.') {
        v.remove_prefix(1);
      }
      return v.find_first_not_of('0') == std::string_view::npos;
    }
  }
  return false;
}

}  // namespace

bool acceptsGzip(std::string_view header) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    const std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const std::size_t semi = item.find(';');
    const std::string_view coding = trim(item.substr(0, semi));
    const std::string_view params =
        semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
    if ((equalsIgnoreCase(coding, "gzip") || equalsIgnoreCase(coding, "x-gzip") || coding == "*") &&
        !refused(params)) {
      return true;
    }
  }
  return false;
}

}  // namespace garde::core
