#pragma once
// A deterministic core::Random for tests: bytes from a counter.

#include <cstdint>
#include <string>

#include "core/random.h"

namespace garde::test {

/// Each byte is the next value of a counter starting at 1 (mod 256): 01 02 ... ff 00 01 ...
/// Not thread-safe (core::Random's contract asks for it): one per thread.
class CountingRandom final : public core::Random {
 public:
  std::string bytes(std::size_t n) override;

 private:
  std::uint64_t counter_ = 1;
};

}  // namespace garde::test
