// The TOML config loader (config/config.h): parseConfig() of the text; a bad file is a
// ConfigError naming the key, anything else escaping is a finding.
#include <cstddef>
#include <cstdint>

#include "config/config.h"
#include "fuzz_world.h"

using namespace garde;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::initOnce();
  try {
    (void)config::parseConfig(fuzz::asText(data, size), "/fuzz");
  } catch (const config::ConfigError&) {
  }
  return 0;
}
