#include "core/log.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

std::vector<std::string> g_lines;
void capture(std::string_view line) { g_lines.emplace_back(line); }

struct CapturedLog {
  garde::core::LogLevel before = garde::core::logLevel();
  CapturedLog() {
    g_lines.clear();
    garde::core::setLogSink(&capture);
    garde::core::setLogLevel(garde::core::LogLevel::kInfo);
  }
  ~CapturedLog() {
    garde::core::setLogSink(nullptr);
    garde::core::setLogLevel(before);
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
};

}  // namespace

TEST_CASE("JSON escaping keeps plain text and escapes quotes, backslashes and controls",
          "[core][log]") {
  auto esc = [](std::string_view in) {
    std::string out;
    garde::core::appendJsonEscaped(out, in);
    return out;
  };
  CHECK(esc("") == "");
  CHECK(esc("plain text é") == "plain text é");
  CHECK(esc("a\"b") == "a\\\"b");
  CHECK(esc("\\") == "\\\\");
  CHECK(esc("line\nnext\r\t") == "line\\nnext\\r\\t");
  CHECK(esc(std::string("\x01x\x1f", 3)) == "\\u0001x\\u001f");
  CHECK(esc(std::string("\0", 1)) == "\\u0000");
  CHECK(esc("\"\"x\\") == "\\\"\\\"x\\\\");
  // Backspace and form feed: \u00xx for the log and the audit, short for boost::json's manner.
  CHECK(esc("\b\f") == "\\u0008\\u000c");
  std::string boost_like;
  garde::core::appendJsonEscaped(boost_like, "\b\f\x01", garde::core::JsonEscapes::kBoostJson);
  CHECK(boost_like == "\\b\\f\\u0001");
}

TEST_CASE("A log line is one JSON object with its category, message and fields", "[core][log]") {
  CapturedLog log;
  garde::core::Logger("test.cat").info("said \"hi\"", {{"k", "v\nw"}});
  garde::core::Logger("test.cat").debug("below the level", {});
  REQUIRE(g_lines.size() == 1);
  const std::string& line = g_lines.front();
  CHECK(line.rfind("{\"ts\":\"", 0) == 0);
  CHECK(line.find("\",\"level\":\"info\",\"cat\":\"test.cat\",\"msg\":\"said \\\"hi\\\"\","
                  "\"k\":\"v\\nw\"}\n") != std::string::npos);
  CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("Gathered fields follow a line's own fields, escaped the same way", "[core][log]") {
  CapturedLog log;
  const garde::core::OwnedLogFields more = {{"decision", "released"}, {"id", "a\"b"}};
  garde::core::Logger("test.cat")
      .log(garde::core::LogLevel::kInfo, "request", {{"status", "200"}}, more);
  garde::core::Logger("test.cat").log(garde::core::LogLevel::kDebug, "hidden", {}, more);
  REQUIRE(g_lines.size() == 1);
  CHECK(g_lines.front().find("\"msg\":\"request\",\"status\":\"200\",\"decision\":\"released\","
                             "\"id\":\"a\\\"b\"}\n") != std::string::npos);
}
