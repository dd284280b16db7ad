#pragma once
// The demo loaded into a test database as `garde serve --demo` loads it (broker/demo/demo_data.h):
// the partners registered, the feed files imported, the subscriptions through the service.

#include <catch2/catch.hpp>
#include <string>

#include "broker/demo/demo_data.h"
#include "core/time.h"
#include "store/demo_data.h"

namespace garde::test {

/// Loads the demo into the migrated database at `path`; the failure, if any.
inline core::Status loadDemo(const std::string& path, const store::DemoPeers& peers = {}) {
  static const broker::demo::DemoCallers callers = broker::demo::generateDemoCallers();
  const core::SystemClock clock;
  auto loaded = broker::demo::loadDemoData(path, peers, callers, clock);
  if (!loaded) {
    return core::fail(std::move(loaded).error());
  }
  return {};
}

}  // namespace garde::test
