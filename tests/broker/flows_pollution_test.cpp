// Conflicting parameters at the launch endpoints (repeated ones are refused by the HTTP layer
// before any handler: tests/broker/wire_test.cpp).
#include "support/flows_world.h"

TEST_CASE("/domaineGar naming its resource both as idRessource and idSrc is refused",
          "[broker][flows][refusal][pollution]") {
  Flows f({}, 1'000'000, {FlowRoute::kLaunch});
  const std::string base = "/domaineGar?idENT=" + core::urlEncode(core::base64Encode("ENTTEST1")) +
                           "&idEtab=" + core::urlEncode(core::base64Encode("0561534N"));
  const std::string id_ressource = "&idRessource=" + core::urlEncode("ark:/49591/demo.outil.b");
  const std::string id_src = "&idSrc=" + core::urlEncode(core::base64Encode("ark:/49591/demo.manuel.a"));
  REQUIRE(f.get(base + id_ressource).status == 302);  // either alone launches
  REQUIRE(f.get(base + id_src).status == 302);
  requireRefusalPage(f.get(base + id_ressource + id_src), 400, f.lastRequestId());
  CHECK(f.decisions("refused", "conflicting_parameters") == 1);
}
