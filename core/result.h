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

/// Propagates a failed Result: `GARDE_TRY(check(x));` returns its Error from the enclosing
/// function (whose return type is any Result<U>) and discards a value when there is one.
#define GARDE_TRY(expr)                                                 \
  do {                                                                  \
    auto garde_try_result_ = (expr);                                    \
    if (!garde_try_result_) {                                           \
      return ::garde::core::fail(std::move(garde_try_result_).error()); \
    }                                                                   \
  } while (false)

#define GARDE_RESULT_CONCAT_INNER_(a, b) a##b
#define GARDE_RESULT_CONCAT_(a, b) GARDE_RESULT_CONCAT_INNER_(a, b)
#define GARDE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)       \
  auto tmp = (expr);                                       \
  if (!tmp) {                                              \
    return ::garde::core::fail(std::move(tmp).error());    \
  }                                                        \
  lhs = std::move(tmp).value()

/// Evaluates `expr` (a Result<T>); on failure returns its Error from the enclosing function
/// (whose return type is any Result<U>), else moves the value into `lhs`, which may declare a
/// variable: `GARDE_ASSIGN_OR_RETURN(auto doc, parseUntrusted(xml, limits));`. One statement; not
/// for the body of an unbraced if/else.
#define GARDE_ASSIGN_OR_RETURN(lhs, expr) \
  GARDE_ASSIGN_OR_RETURN_IMPL_(GARDE_RESULT_CONCAT_(garde_result_, __LINE__), lhs, expr)
