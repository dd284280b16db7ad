// The federation's state in the admin API (broker/api/admin_metadata.h): a source that failed is
// shown down with its error and its peer not served, algorithm exceptions with their expiry, the
// same document as `garde metadata status --json`; ministry sessions only.

#include <boost/json.hpp>

#include "admin_test_support.h"
#include "broker/api/admin_metadata.h"
#include "store/algorithm_exceptions.h"
#include "store/demo_data.h"
#include "store/metadata_sources.h"
#include "support/credentials.h"
#include "support/flows_world.h"

namespace {

namespace json = boost::json;
using garde::core::UnixTime;

const UnixTime kGranted = garde::core::systemNow();

void seed(store::Db& db) {
  admin_test::addAccount(db, "auditeur", store::AdminRole::kAuditor, "mot de passe");
  store::MetadataSource fed;
  fed.name = "fed";
  fed.kind = store::MetadataSourceKind::kAggregate;
  fed.url = "https://federation.example.org/aggregate.xml";
  fed.signer_pem = test::makeCredential("federation signer").cert.pem();
  fed.added_at = kGranted;
  REQUIRE(store::addMetadataSource(db, fed).has_value());
  REQUIRE(store::bindPeerMetadata(db, store::CallerKind::kPublisher, store::demo::kPublisherB,
                                  "fed")
              .has_value());
  REQUIRE(store::recordMetadataFailure(db, "fed", "", kGranted, "HTTP 503 from the federation")
              .has_value());
  REQUIRE(store::grantAlgorithmException(
              db, {store::CallerKind::kPublisher, store::demo::kPublisherA, "rsa-sha1",
                   "signs with SHA-1 on its defaults", kGranted + 30 * 86400, "ops", kGranted})
              .has_value());
}

struct World {
  Flows f{{}, 1'000'000, allFlowRoutes(), {}, seed};
  Response status(std::vector<std::pair<std::string, std::string>> params = {}) {
    return admin_test::getWithQuery(f, "/api/v1/admin/metadata", params);
  }
};

}  // namespace

TEST_CASE("The admin API shows each metadata source's state and the exceptions granted",
          "[broker][admin][metadata]") {
  World w;
  admin_test::signIn(w.f, "auditeur", "mot de passe");
  const Response r = w.status();
  REQUIRE(r.status == 200);
  const json::value v = json::parse(r.body);

  const json::array& sources = v.at("sources").as_array();
  REQUIRE(sources.size() == 1);
  const json::object& fed = sources.at(0).as_object();
  CHECK(fed.at("source").as_string() == "fed");
  CHECK(fed.at("kind").as_string() == "aggregate");
  CHECK_FALSE(fed.at("up").as_bool());
  CHECK(fed.at("expiring").as_bool());
  CHECK(fed.at("failures").as_int64() == 1);
  CHECK(fed.at("last_success").is_null());  // never fetched: null, not a placeholder
  const json::object& copy = fed.at("copies").as_array().at(0).as_object();
  CHECK(copy.at("last_error").as_string() == "HTTP 503 from the federation");
  CHECK(copy.at("fetched_at").is_null());
  const json::object& peer = fed.at("peers").as_array().at(0).as_object();
  CHECK(peer.at("id").as_string() == store::demo::kPublisherB);
  CHECK_FALSE(peer.at("problem").as_string().empty());

  const json::array& exceptions = v.at("algorithm_exceptions").as_array();
  REQUIRE(exceptions.size() == 1);
  const json::object& e = exceptions.at(0).as_object();
  CHECK(e.at("peer").as_string() == store::demo::kPublisherA);
  CHECK(e.at("algorithm").as_string() == "rsa-sha1");
  CHECK(e.at("reason").as_string() == "signs with SHA-1 on its defaults");
  CHECK(e.at("expires").as_string() == core::formatIso8601(kGranted + 30 * 86400));
  CHECK_FALSE(e.at("expired").as_bool());

  CHECK(w.status({{"peers", "0"}}).status == 400);
}

TEST_CASE("An exception past its expiry is shown expired", "[broker][admin][metadata]") {
  const std::vector<store::AlgorithmException> granted{
      {store::CallerKind::kEnt, "ENT1", "rsa-sha1", "old IdP", 1000, "ops", 10},
      {store::CallerKind::kPublisher, "P1", "rsa-sha1", "old SP", 3000, "ops", 10}};
  const json::object o = broker::api::metadataStatusJson({}, granted, 2000);
  const json::array& a = o.at("algorithm_exceptions").as_array();
  REQUIRE(a.size() == 2);
  CHECK(a.at(0).at("kind").as_string() == "ent");
  CHECK(a.at(0).at("expired").as_bool());
  CHECK_FALSE(a.at(1).at("expired").as_bool());
  CHECK(o.at("sources").as_array().empty());
}

TEST_CASE("The federation's state is for ministry sessions only",
          "[broker][admin][metadata][security]") {
  World w;
  CHECK(w.status().status == 403);
}
