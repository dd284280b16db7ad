#pragma once
// Captures garde's log lines while it lives (one at a time per process): tests assert that a
// refusal was logged, at which level and with which reason. Lines of level warn and above are
// captured whatever level an earlier test left set (restored afterwards); a test asserting an info
// line says so (LogCapture log(core::LogLevel::kInfo)).

#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"

namespace garde::test {

class LogCapture {
 public:
  explicit LogCapture(core::LogLevel from = core::LogLevel::kWarn)
      : saved_level_(core::logLevel()) {
    if (saved_level_ > from) {
      core::setLogLevel(from);
    }
    {
      std::lock_guard lock(mutex());
      lines().clear();
    }
    // Not under mutex(): the sink is called under the log's mutex and takes mutex().
    core::setLogSink(capture);
  }
  ~LogCapture() {
    core::setLogSink(nullptr);
    core::setLogLevel(saved_level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /// Whether one captured line contains every part.
  bool has(std::initializer_list<std::string_view> parts) const {
    std::lock_guard lock(mutex());
    for (const auto& line : lines()) {
      bool all = true;
      for (auto p : parts) {
        all = all && line.find(p) != std::string::npos;
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

 private:
  core::LogLevel saved_level_;
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<std::string>& lines() {
    static std::vector<std::string> l;
    return l;
  }
  static void capture(std::string_view line) {
    std::lock_guard lock(mutex());
    lines().emplace_back(line);
  }
};

}  // namespace garde::test
