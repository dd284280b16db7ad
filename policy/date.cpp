#include "policy/date.h"

#include <cstdio>

#include "core/time.h"

namespace garde::policy {

using core::civilFromDays;
using core::daysFromCivil;

std::optional<Date> Date::fromCivil(int year, int month, int day) noexcept {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > static_cast<int>(core::daysInMonth(year, static_cast<unsigned>(month)))) {
    return std::nullopt;
  }
  return Date(daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)));
}

std::optional<Date> Date::parse(std::string_view text) noexcept {
  int y = 0, m = 0, d = 0;
  if (text.size() < 10 || !core::readDigits(text, 0, 4, y) || text[4] != '-' ||
      !core::readDigits(text, 5, 2, m) || text[7] != '-' || !core::readDigits(text, 8, 2, d)) {
    return std::nullopt;
  }
  if (text.size() > 10 && text[10] != 'T') {
    return std::nullopt;
  }
  return fromCivil(y, m, d);
}

std::string Date::format() const {
  const core::CivilDate c = civilFromDays(days_);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month,
                c.day);
  return buf;
}

}  // namespace garde::policy
