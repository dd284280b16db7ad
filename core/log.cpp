#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "core/time.h"

namespace garde::core {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
// Taken only around a custom sink (tests): the default writes each line with write(2) on fd 2,
// which the kernel keeps whole for files and for pipe writes up to PIPE_BUF (log lines are
// shorter), so that I/O threads do not queue behind each other's writes.
std::mutex g_mutex;
std::atomic<LogSink> g_sink{nullptr};  // nullptr: stderr

/// False when stderr refused part of the line (there is nowhere to report that but the caller).
bool writeStderr(std::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    line.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}

std::string formatLine(std::string_view level, std::string_view category, std::string_view message,
                       std::initializer_list<LogField> fields, const OwnedLogFields& more) {
  std::string line;
  line.reserve(more.empty() ? 128 : 384);
  line += "{\"ts\":\"";
  line += formatIso8601(systemNow());
  line += "\",\"level\":\"";
  line += level;
  line += "\",\"cat\":\"";
  appendJsonEscaped(line, category);
  line += "\",\"msg\":\"";
  appendJsonEscaped(line, message);
  line += '"';
  auto field = [&line](std::string_view key, std::string_view value) {
    line += ",\"";
    appendJsonEscaped(line, key);
    line += "\":\"";
    appendJsonEscaped(line, value);
    line += '"';
  };
  for (const auto& [key, value] : fields) {
    field(key, value);
  }
  for (const auto& [key, value] : more) {
    field(key, value);
  }
  line += "}\n";
  return line;
}

bool emit(const std::string& line) {
  if (g_sink.load(std::memory_order_acquire) == nullptr) {
    return writeStderr(line);
  }
  // Read again under the lock: once setLogSink returns, the sink it replaced is never called.
  std::lock_guard lock(g_mutex);
  if (LogSink sink = g_sink.load(std::memory_order_relaxed)) {
    sink(line);
    return true;
  }
  return writeStderr(line);
}

}  // namespace

void setLogLevel(LogLevel level) noexcept { g_level.store(static_cast<int>(level)); }
LogLevel logLevel() noexcept { return static_cast<LogLevel>(g_level.load()); }

bool parseLogLevel(std::string_view text, LogLevel& out) noexcept {
  for (auto l :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError, LogLevel::kOff}) {
    if (text == levelName(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void setLogSink(LogSink sink) noexcept {
  std::lock_guard lock(g_mutex);
  g_sink.store(sink, std::memory_order_release);
}

void appendJsonEscaped(std::string& out, std::string_view text, JsonEscapes escapes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the pending run of characters copied as they are
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
      case '\f':
        if (escapes == JsonEscapes::kBoostJson) {
          out += c == '\b' ? "\\b" : "\\f";
          break;
        }
        [[fallthrough]];
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + run, text.size() - run);
}

void Logger::log(LogLevel level, std::string_view message,
                 std::initializer_list<LogField> fields) const {
  static const OwnedLogFields kNone;
  log(level, message, fields, kNone);
}

void Logger::log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields,
                 const OwnedLogFields& more) const {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) {
    return;
  }
  (void)emit(formatLine(levelName(level), category_, message, fields, more));
}

bool Logger::record(std::string_view message, std::initializer_list<LogField> fields) const {
  static const OwnedLogFields kNone;
  return emit(formatLine("audit", category_, message, fields, kNone));
}

}  // namespace garde::core
