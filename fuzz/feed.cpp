// connectors::feed::parseFeedBytes(): one GAR-ENT file of an ENT's directory feed, streamed and
// validated against the schema of its namespace (connectors/feed/parser.h), with the default caps
// and with tight ones (so the byte, depth, text and record caps are reached). Every record it
// hands out is read, so a field left dangling would show under ASan.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "connectors/feed/parser.h"
#include "fuzz_world.h"

using namespace garde;

namespace {

std::size_t touch(const store::FeedRecord& record) {
  return std::visit(
      [](const auto& r) {
        std::size_t n = sizeof r;
        if constexpr (requires { r.id; }) n += r.id.size();
        if constexpr (requires { r.uai; }) n += r.uai.size();
        if constexpr (requires { r.profiles; }) {
          for (const auto& [uai, code] : r.profiles) n += uai.size() + code.size();
        }
        return n;
      },
      record);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  const std::string_view text = fuzz::asText(data, size);
  std::size_t seen = 0;
  const connectors::feed::FeedRecordSink sink = [&](const store::FeedRecord& r,
                                                    std::uint32_t line) -> core::Status {
    seen += touch(r) + line;
    return {};
  };
  std::vector<store::FeedProblem> problems;
  (void)connectors::feed::parseFeedBytes("fuzz.xml", text, sink, problems);
  connectors::feed::FeedLimits tight;
  tight.max_file_bytes = 2048;
  tight.max_depth = 4;
  tight.max_text = 64;
  tight.max_records = 3;
  tight.max_problems = 2;
  tight.max_prolog = 256;
  problems.clear();
  (void)connectors::feed::parseFeedBytes("fuzz.xml", text, sink, problems, tight);
  return seen == 0xFFFFFFFF ? 1 : 0;
}
