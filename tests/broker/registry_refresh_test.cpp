// The peer registries follow the store without a restart (flows::refreshRegistries, Live<R>,
// RegistryRefresher): an ENT that loses its establishments, or a publisher its SP metadata, is
// gone from the next launch once the registries are reloaded, and what a request in flight holds
// stays valid.

#include <sched.h>
#include <sys/resource.h>

#include <chrono>
#include <thread>

#include "store/directory.h"
#include "store/publishers.h"
#include "support/flows_world.h"

namespace {

namespace flows = garde::broker::flows;

const std::string kEnt2Tile = std::string(kResourceBPath) + "?ent=ENTTEST2&uai=0999999Z";

void dropEnt2AndPublisherB(Flows& f) {
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  REQUIRE(lease->db().execScript("DELETE FROM establishments WHERE uai = '0999999Z'").has_value());
  auto b = store::findPublisher(lease->db(), store::demo::kPublisherB);
  REQUIRE(b.has_value());
  b->sp_metadata_xml.reset();
  REQUIRE(store::upsertPublisher(lease->db(), *b).has_value());
}

}  // namespace

TEST_CASE("A change of peers in the store is in force after a refresh, without a restart",
          "[broker][flows][registry]") {
  Flows f({}, 1'000'000, {FlowRoute::kLaunch});
  auto lease = f.services().db.acquire();
  REQUIRE(lease.has_value());
  CHECK_FALSE(*flows::refreshRegistries(f.services(), lease->db()));  // nothing changed
  CHECK(f.get(kEnt2Tile).status == 302);                              // to ENT2's SSO
  const connectors::ent::EntPeer* held = f.services().ents->findByEntId("ENTTEST2");
  REQUIRE(held != nullptr);

  dropEnt2AndPublisherB(f);
  // Until the refresh, the registries in force stay (they are not read from the store per request).
  CHECK(f.services().ents->findByEntId("ENTTEST2") != nullptr);
  CHECK(*flows::refreshRegistries(f.services(), lease->db()));
  requireRefusalPage(f.get(kEnt2Tile), 404, f.lastRequestId());
  CHECK(f.decisions("refused", "unknown_ent") == 1);
  // Publisher B has no SP metadata any more: its resource cannot be launched.
  requireRefusalPage(f.get(std::string(kResourceBPath) + kTileQuery), 404, f.lastRequestId());
  CHECK(f.decisions("refused", "unknown_publisher") == 1);
  // What a request in flight held is still readable (kept for Live::kRetention).
  CHECK(held->ent_id == "ENTTEST2");
  CHECK(f.services().ents->findByEntId("ENTTEST1") != nullptr);
  CHECK_FALSE(*flows::refreshRegistries(f.services(), lease->db()));
}

TEST_CASE("The registry refresher picks a change up on its own", "[broker][flows][registry]") {
  Flows f({}, 1'000'000, {FlowRoute::kLaunch});
  flows::RegistryRefresher refresher(f.services(), f.services().db.path(),
                                     std::chrono::milliseconds(20));
  dropEnt2AndPublisherB(f);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.services().ents->findByEntId("ENTTEST2") != nullptr &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(f.services().ents->findByEntId("ENTTEST2") == nullptr);
  CHECK(f.services().publishers->findByPublisherId(store::demo::kPublisherB) == nullptr);
}

TEST_CASE("Live keeps a replaced registry while requests may hold it",
          "[broker][flows][registry]") {
  flows::Live<std::vector<int>> live(std::vector<int>{1, 2, 3});
  const std::vector<int>* before = &live.get();
  live.replace({4});
  CHECK(live->size() == 1);
  CHECK(before->size() == 3);  // not freed: replaced just now
  for (int i = 0; i < 100; ++i) {
    live.replace({i});
  }
  CHECK(live->front() == 99);
}

TEST_CASE("Background work runs at the lowest priority, the thread calling it alone",
          "[broker][flows][registry]") {
  const int caller_policy = ::sched_getscheduler(0);
  std::string got;
  int policy = -1;
  int nice = 0;
  std::thread worker([&] {
    got = flows::lowerThreadPriority();
    policy = ::sched_getscheduler(0);
    errno = 0;
    nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  });
  worker.join();
  REQUIRE_FALSE(got.empty());
  if (got == "idle") {
    CHECK(policy == SCHED_IDLE);
  } else {
    CHECK(got == "nice");
    CHECK(nice == flows::kBackgroundNice);
  }
  // The other threads (the I/O threads) keep theirs.
  CHECK(::sched_getscheduler(0) == caller_policy);
  CHECK(caller_policy != SCHED_IDLE);
}
