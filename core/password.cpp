#include "core/password.h"

#include <argon2.h>

#include <vector>

namespace garde::core {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

}  // namespace

Result<std::string> hashPassword(std::string_view password, Random& random,
                                 const PasswordCost& cost) {
  if (password.empty()) {
    return fail(ErrorCode::kBadRequest, "the password is empty");
  }
  if (password.size() > kMaxPasswordBytes) {
    return fail(ErrorCode::kBadRequest, "the password is longer than " +
                                            std::to_string(kMaxPasswordBytes) + " bytes");
  }
  const std::string salt = random.bytes(kSaltBytes);
  const std::size_t length = argon2_encodedlen(cost.passes, cost.memory_kib, cost.lanes,
                                               kSaltBytes, kHashBytes, Argon2_id);
  std::vector<char> encoded(length);
  const int rc = argon2id_hash_encoded(cost.passes, cost.memory_kib, cost.lanes, password.data(),
                                       password.size(), salt.data(), salt.size(), kHashBytes,
                                       encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return fail(ErrorCode::kInternal, std::string("argon2id: ") + argon2_error_message(rc));
  }
  return std::string(encoded.data());
}

bool verifyPassword(std::string_view encoded, std::string_view password) {
  if (encoded.substr(0, 10) != "$argon2id$" || password.size() > kMaxPasswordBytes) {
    return false;
  }
  const std::string z(encoded);  // libargon2 wants a NUL-terminated string
  return argon2id_verify(z.c_str(), password.data(), password.size()) == ARGON2_OK;
}

const std::string& decoyPasswordHash() {
  static const std::string decoy = [] {
    auto h = hashPassword(systemRandom().bytes(32), systemRandom());
    return h ? *h : std::string();
  }();
  return decoy;
}

}  // namespace garde::core
