#pragma once
/// @file Time points as seconds since the epoch (UTC), and xs:dateTime parsing/formatting.
///
/// SAML times are UTC xs:dateTime; second precision is what the checks need (fractions are parsed
/// and truncated). Pure functions; `systemNow()` is the one clock read, used only by broker/ and
/// logs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace garde::core {

/// Seconds since 1970-01-01T00:00:00Z.
using UnixTime = std::int64_t;

/// Parses xs:dateTime with a 'Z' or +hh:mm / -hh:mm offset (SAML2 Core 1.3.3 requires UTC; offsets
/// are normalised). Returns nullopt on anything malformed, including a missing time zone.
std::optional<UnixTime> parseIso8601(std::string_view text);

/// Formats as "YYYY-MM-DDThh:mm:ssZ".
std::string formatIso8601(UnixTime t);

/// A proleptic Gregorian calendar date.
struct CivilDate {
  std::int64_t year;
  unsigned month;  ///< 1..12
  unsigned day;    ///< 1..31
};

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil); no range check.
std::int64_t daysFromCivil(std::int64_t year, unsigned month, unsigned day) noexcept;
/// The civil date of a day count since 1970-01-01.
CivilDate civilFromDays(std::int64_t days) noexcept;
/// Days in `month` (1..12) of `year`.
unsigned daysInMonth(std::int64_t year, unsigned month) noexcept;
/// Reads `n` ASCII digits of `s` at `pos` into `out`; false if absent or not digits.
bool readDigits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept;

/// Reads the system clock. Only callers at the edge (broker, logs) use it; pure modules take `now`.
UnixTime systemNow() noexcept;

/// A clock interface, so flows can be tested with a fixed time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixTime now() const override { return systemNow(); }
};

}  // namespace garde::core
