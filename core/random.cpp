#include "core/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

#include "core/encoding.h"

namespace garde::core {
namespace {

// Small draws (IDs, request ids, nonces: a dozen per launch) come from a per-thread block of
// CSPRNG output instead of one RAND_bytes call each: each call takes the DRBG's lock, checks for a
// fork with getpid(2) and runs AES-CTR for a few bytes. Larger draws (keys, secrets) always go
// straight to RAND_bytes.
constexpr std::size_t kBufferedMax = 32;
constexpr std::size_t kBlock = 4096;

// Bumped in a forked child, so that no thread of the child hands out bytes its parent already
// holds (the parent would hand out the same ones).
std::atomic<unsigned> g_fork_generation{0};
void afterForkInChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

void fill(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

struct Block {
  unsigned char bytes[kBlock];
  std::size_t used = kBlock;  // nothing left: the first draw fills it
  unsigned generation = 0;
  Block() = default;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() { OPENSSL_cleanse(bytes, sizeof bytes); }
};

}  // namespace

std::string Random::newId() { return "_" + hexEncode(bytes(20)); }

std::string SystemRandom::bytes(std::size_t n) {
  std::string out(n, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (n == 0) {
    return out;
  }
  if (n > kBufferedMax) {
    fill(dst, n);
    return out;
  }
  [[maybe_unused]] static const int registered =
      pthread_atfork(nullptr, nullptr, &afterForkInChild);
  thread_local Block block;
  const unsigned generation = g_fork_generation.load(std::memory_order_relaxed);
  if (block.generation != generation || kBlock - block.used < n) {
    fill(block.bytes, kBlock);
    block.used = 0;
    block.generation = generation;
  }
  std::memcpy(dst, block.bytes + block.used, n);
  OPENSSL_cleanse(block.bytes + block.used, n);  // bytes handed out are not kept
  block.used += n;
  return out;
}

Random& systemRandom() {
  static SystemRandom instance;
  return instance;
}

}  // namespace garde::core
