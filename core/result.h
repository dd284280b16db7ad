#pragma once
/// @file A small Result<T> (value or core::Error), shaped like std::expected so it can become one.

#include <cassert>
#include <utility>
#include <variant>

#include "core/error.h"

namespace garde::core {

/// Tag to build a failed Result: `return fail(ErrorCode::kExpired, "NotOnOrAfter passed");`
struct Failure {
  Error error;
};

inline Failure fail(ErrorCode code, std::string detail) {
  return Failure{Error{code, std::move(detail)}};
}
inline Failure fail(Error error) { return Failure{std::move(error)}; }

/// Holds a T or an Error. Accessing the wrong alternative is a programmer error (asserted).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Failure f)
      : v_(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation with no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure f)
      : error_(std::move(f.error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace garde::core

/// Propagate a failed Result from an expression of type Result<void>.
#define GARDE_TRY(expr)                                                 \
  do {                                                                  \
    auto garde_try_result_ = (expr);                                    \
    if (!garde_try_result_) {                                           \
      return ::garde::core::fail(std::move(garde_try_result_).error()); \
    }                                                                   \
  } while (false)
