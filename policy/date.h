#pragma once
/// @file A civil calendar day, the unit of subscription validity. Pure: "today" is always a
/// parameter.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace garde::policy {

/// A proleptic Gregorian day, stored as days since 1970-01-01. Which time zone turns a clock
/// reading into "today" is the caller's choice (the broker uses the deployment's zone, Europe/Paris
/// by default).
class Date {
 public:
  constexpr Date() = default;
  static constexpr Date fromDays(std::int64_t days_since_epoch) { return Date(days_since_epoch); }
  /// Builds a date from its parts; nullopt when the day does not exist (2025-02-29).
  static std::optional<Date> fromCivil(int year, int month, int day) noexcept;
  /// Parses "YYYY-MM-DD", optionally followed by "T..." (the time part of an xs:dateTime such as
  /// the subscription API's debutValidite is ignored). nullopt on anything else.
  static std::optional<Date> parse(std::string_view text) noexcept;

  /// "YYYY-MM-DD"; sorts like the date, so the store may compare the text.
  std::string format() const;
  constexpr std::int64_t daysSinceEpoch() const { return days_; }

  friend constexpr auto operator<=>(const Date&, const Date&) = default;

 private:
  constexpr explicit Date(std::int64_t days) : days_(days) {}
  std::int64_t days_ = 0;
};

}  // namespace garde::policy
