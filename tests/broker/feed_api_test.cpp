// The ENT projects' feed API (broker/api/feeds.h), with plain Request values: the upload of an
// archive with its checksum, the report read back by its owner only, and the callers refused.
#include <catch2/catch.hpp>

#include "broker/api/feeds.h"
#include "connectors/feed_test_support.h"
#include "core/crypto.h"

namespace garde::broker {
namespace {

using test::FeedDb;

class FixedClock final : public core::Clock {
 public:
  core::UnixTime now() const override { return test::kFeedNow; }
};

struct ApiWorld {
  FeedDb f;
  flows::DbPool pool{f.path()};
  FixedClock clock;
  api::FeedApiDeps deps{pool, clock, {}, {}};
  std::string tgz = test::tarGz(
      test::membersOf(test::writeFeedFiles(test::sampleSnapshot(), f.feedDir("files"))));

  Request upload(Caller::Kind kind = Caller::Kind::kEntProject, std::string id = "ENTTEST1") {
    Request req;
    req.method = "POST";
    req.path = req.target = "/api/v1/ent/feeds";
    req.body = tgz;
    req.headers.emplace("x-feed-md5", core::md5Hex(tgz));
    req.headers.emplace("content-type", "application/gzip");
    req.caller = Caller{std::move(id), kind};
    return req;
  }
  Request report(const std::string& id, std::string ent = "ENTTEST1") {
    Request req;
    req.method = "GET";
    req.path = req.target = "/api/v1/ent/feeds/" + id;
    req.path_params.emplace("id", id);
    req.caller = Caller{std::move(ent), Caller::Kind::kEntProject};
    return req;
  }
};

TEST_CASE("An ENT uploads its snapshot archive and reads the report back", "[broker][api][feed]") {
  ApiWorld w;
  const Response r = api::handleFeedUpload(w.upload(), w.deps);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("\"status\":\"imported\"") != std::string::npos);
  CHECK(r.body.find("\"people\":{\"added\":6,\"changed\":0,\"removed\":0}") != std::string::npos);
  const std::string* location = r.header("Location");
  REQUIRE(location != nullptr);
  const std::string id = location->substr(location->rfind('/') + 1);
  const Response again = api::handleFeedReport(w.report(id), w.deps);
  CHECK(again.status == 200);
  CHECK(again.body == r.body);
  // Another ENT cannot read it, and an id that is not a number is no feed.
  CHECK(api::handleFeedReport(w.report(id, "ENTOTHER"), w.deps).status == 404);
  CHECK(api::handleFeedReport(w.report("1 OR 1=1"), w.deps).status == 404);
  CHECK(api::handleFeedReport(w.report("999"), w.deps).status == 404);
}

TEST_CASE("The feed API refuses a bad or missing checksum with a report kept for the ENT",
          "[broker][api][feed]") {
  ApiWorld w;
  Request req = w.upload();
  SECTION("bad") { req.headers.find("x-feed-md5")->second = std::string(32, 'a'); }
  SECTION("missing") { req.headers.erase("x-feed-md5"); }
  const Response r = api::handleFeedUpload(req, w.deps);
  CHECK(r.status == 422);
  CHECK(r.body.find("\"status\":\"refused\"") != std::string::npos);
  CHECK(r.body.find("md5") != std::string::npos);
  const std::string* location = r.header("Location");
  REQUIRE(location != nullptr);
  CHECK(
      api::handleFeedReport(w.report(location->substr(location->rfind('/') + 1)), w.deps).status ==
      200);
  CHECK(test::queryInt(w.f.db(), "SELECT count(*) FROM people") == 0);
}

TEST_CASE("The feed API serves ENT projects only, each for its own snapshot",
          "[broker][api][feed]") {
  ApiWorld w;
  CHECK(api::handleFeedUpload(w.upload(Caller::Kind::kPublisher, "ENTTEST1"), w.deps).status ==
        403);
  Request none = w.upload();
  none.caller.reset();
  CHECK(api::handleFeedUpload(none, w.deps).status == 403);
  Request report = w.report("1");
  report.caller->kind = Caller::Kind::kOperator;
  CHECK(api::handleFeedReport(report, w.deps).status == 403);
  // ENTOTHER's certificate cannot load ENTTEST1's files.
  const Response other =
      api::handleFeedUpload(w.upload(Caller::Kind::kEntProject, "ENTOTHER"), w.deps);
  CHECK(other.status == 422);
  CHECK(other.body.find("names ENT ENTTEST1, not ENTOTHER") != std::string::npos);
  Request empty = w.upload();
  empty.body.clear();
  CHECK(api::handleFeedUpload(empty, w.deps).status == 400);
}

TEST_CASE("The feed routes are mounted behind client certificates", "[broker][api][feed]") {
  ApiWorld w;
  CallerAuthenticators auth;
  auth.client_certificates = [](const PeerIdentity& peer) -> std::optional<Caller> {
    if (peer.sha256_fingerprint == "ab") return Caller{"ENTTEST1", Caller::Kind::kEntProject};
    return std::nullopt;
  };
  Router router(auth);
  api::mountFeedApi(router, w.deps);
  Request req = w.upload();
  req.caller.reset();
  Request anonymous = req;
  CHECK(router.dispatch(anonymous).status == 403);
  req.client_cert.sha256_fingerprint = "ab";
  req.client_cert.chain_der = {"der"};
  CHECK(router.dispatch(req).status == 200);
}

}  // namespace
}  // namespace garde::broker
