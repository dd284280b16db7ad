#include "support/counting_random.h"

namespace garde::test {

std::string CountingRandom::bytes(std::size_t n) {
  std::string out(n, '\0');
  for (char& c : out) {
    c = static_cast<char>(counter_++ & 0xff);
  }
  return out;
}

}  // namespace garde::test
