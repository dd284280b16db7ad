#include "core/random.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "core/encoding.h"

namespace garde::core {

std::string Random::newId() { return "_" + hexEncode(bytes(20)); }

std::string SystemRandom::bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

Random& systemRandom() {
  static SystemRandom instance;
  return instance;
}

}  // namespace garde::core
