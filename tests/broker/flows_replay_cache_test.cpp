// A full assertion replay cache: the launch is refused (fail closed) with a reason of its own, not
// as a replay of the user's assertion.
#include "support/flows_world.h"

TEST_CASE("A full assertion replay cache refuses the launch as replay_cache_full",
          "[broker][flows][refusal]") {
  Flows f({}, 1, {FlowRoute::kLaunch, FlowRoute::kAcs});  // room for one assertion ID
  const Response first = f.entLeg(f.get(std::string(kResourceBPath) + kTileQuery),
                                  store::demo::kPupil);
  REQUIRE(first.status == 200);
  REQUIRE(first.body.find("SAMLResponse") != std::string::npos);

  const Response second = f.entLeg(f.get(std::string(kResourceBPath) + kTileQuery),
                                   store::demo::kPupil);
  requireRefusalPage(second, 503, f.lastRequestId());
  CHECK(second.body.find("trop de connexions") != std::string::npos);
  CHECK(f.decisions("refused", "replay_cache_full") == 1);
  CHECK(f.decisions("refused", "replayed") == 0);
}
