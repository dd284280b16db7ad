#pragma once
/// @file The logging facade: JSON lines on stderr, one logger per dotted category.
///
/// Never pass attribute values, assertions or names of people: ordinary logs hold no personal data.
/// Thread-safe: each line is written whole, with one write(2) to stderr (or one call of a custom
/// sink, under a mutex).

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace garde::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

/// A structured field of a log line: key and already-formatted value.
using LogField = std::pair<std::string_view, std::string_view>;
/// Fields gathered along the way, owned, appended after a line's own (see Logger::log).
using OwnedLogFields = std::vector<std::pair<std::string, std::string>>;

/// Sets the minimum level written (default kInfo). Read once per call, atomically.
void setLogLevel(LogLevel level) noexcept;
LogLevel logLevel() noexcept;
/// Parses "debug", "info", "warn", "error", "off"; returns false when unknown.
bool parseLogLevel(std::string_view text, LogLevel& out) noexcept;

/// Where lines go; nullptr (the default) is stderr. A custom sink is called under the log mutex;
/// once this returns, the sink it replaced is no longer called.
using LogSink = void (*)(std::string_view line);
void setLogSink(LogSink sink) noexcept;

/// A named logger, e.g. Logger("saml.signature"). Cheap to copy; holds only the category.
class Logger {
 public:
  explicit constexpr Logger(std::string_view category) : category_(category) {}

  void log(LogLevel level, std::string_view message,
           std::initializer_list<LogField> fields = {}) const;
  /// The same line with `more` after `fields`.
  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields,
           const OwnedLogFields& more) const;
  void debug(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kDebug, m, f);
  }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kInfo, m, f);
  }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kWarn, m, f);
  }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) const {
    log(LogLevel::kError, m, f);
  }

  /// A record of account (the audit trail when it has no file of its own), not a diagnostic: the
  /// line (level "audit") is written whatever the log level, even "off", and the caller learns
  /// whether it was: false when the write to stderr failed (the caller must then not go on with
  /// what it cannot account for). A custom sink always counts as written.
  [[nodiscard]] bool record(std::string_view message,
                            std::initializer_list<LogField> fields = {}) const;

 private:
  std::string_view category_;
};

/// Which escapes appendJsonEscaped writes for backspace and form feed.
enum class JsonEscapes {
  kLog,        ///< \u0008 and \u000c, as the log and the audit have always written them
  kBoostJson,  ///< \b and \f, as boost::json::serialize does (the médiacentre's answers)
};

/// Appends `text` to `out` as the inside of a JSON string (quotes not included): `"` and `\` and
/// the bytes below 0x20 escaped (\n \r \t, the others as \u00xx in lower case), every other
/// byte, UTF-8 or not, as it is.
void appendJsonEscaped(std::string& out, std::string_view text,
                       JsonEscapes escapes = JsonEscapes::kLog);

}  // namespace garde::core
