#pragma once
// Captures garde's log lines while it lives (one at a time per process): tests assert that a
// refusal was logged, at which level and with which reason.

#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"

namespace garde::test {

class LogCapture {
 public:
  LogCapture() {
    {
      std::lock_guard lock(mutex());
      lines().clear();
    }
    // Not under mutex(): the sink is called under the log's mutex and takes mutex().
    core::setLogSink(capture);
  }
  ~LogCapture() { core::setLogSink(nullptr); }
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
