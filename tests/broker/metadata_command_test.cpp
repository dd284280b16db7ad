// `garde metadata source|bind|refresh|status|exception` as the binary runs them, on a real
// database: a source registered and bound, a refresh that fails (nothing listens) and keeps
// nothing, the status that says so (text and JSON), an exception granted and listed, and the
// refusals (unknown source, no signer, a bound source removed, an exception without a date).
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "cli_test_support.h"
#include "core/time.h"
#include "support/credentials.h"
#include "support/temp_dir.h"

namespace {

namespace json = boost::json;
constexpr const char* kPub = "123456789_0000000000000001";

struct Cli {
  garde::test::TempDir dir{"garde-md-cli"};
  std::string db = dir.file("garde.db");
  std::string out;
  std::string err;

  int run(std::vector<std::string> args) {
    args.push_back("--database");
    args.push_back(db);
    out.clear();
    err.clear();
    return cli_test::runGarde(std::move(args), &out, &err);
  }
};

std::string isoDate(garde::core::UnixTime t) { return garde::core::formatIso8601(t).substr(0, 10); }

}  // namespace

TEST_CASE("garde metadata: a source bound, a failed refresh, its status and an exception",
          "[broker][cli][metadata]") {
  Cli c;
  REQUIRE(c.run({"publisher", "add", kPub, "--name", "Éditions A"}) == 0);
  const std::string signer =
      c.dir.write("signer.pem", garde::test::makeCredential("federation").cert.pem());

  CHECK(c.run({"metadata", "source", "add", "fed", "--kind", "aggregate", "--url",
               "http://127.0.0.1:1/federation.xml", "--signer", c.dir.write("x.pem", "nope")}) ==
        2);
  CHECK(c.run({"metadata", "source", "add", "fed", "--url", "ftp://x/y", "--signer", signer}) ==
        2);
  REQUIRE(c.run({"metadata", "source", "add", "fed", "--kind", "aggregate", "--url",
                 "http://127.0.0.1:1/federation.xml", "--signer", signer}) == 0);
  CHECK(c.run({"metadata", "source", "add", "fed", "--url", "http://127.0.0.1:1/x",
               "--signer", signer}) == 1);  // the name is taken
  CHECK(c.run({"metadata", "bind", "--publisher", kPub, "--source", "nope"}) == 1);
  REQUIRE(c.run({"metadata", "bind", "--publisher", kPub, "--source", "fed"}) == 0);

  CHECK(c.run({"metadata", "refresh"}) == 1);
  CHECK(c.out.find("fed: failed") != std::string::npos);

  const garde::core::UnixTime now = garde::core::systemNow();
  CHECK(c.run({"metadata", "exception", "grant", "--publisher", kPub, "--algorithm", "md5",
               "--reason", "r", "--expires", isoDate(now + 30 * 86400)}) == 2);
  CHECK(c.run({"metadata", "exception", "grant", "--publisher", kPub, "--algorithm", "rsa-sha1",
               "--reason", "r", "--expires", isoDate(now + 400 * 86400)}) == 2);
  REQUIRE(c.run({"metadata", "exception", "grant", "--publisher", kPub, "--algorithm", "rsa-sha1",
                 "--reason", "pysaml2 defaults", "--expires", isoDate(now + 30 * 86400), "--by",
                 "ops"}) == 0);

  REQUIRE(c.run({"metadata", "status", "--json"}) == 0);
  const json::value status = json::parse(c.out);
  const json::object& fed = status.at("sources").as_array().at(0).as_object();
  CHECK(fed.at("source").as_string() == "fed");
  CHECK(fed.at("kind").as_string() == "aggregate");
  CHECK_FALSE(fed.at("up").as_bool());
  CHECK(fed.at("expiring").as_bool());
  CHECK(fed.at("failures").as_int64() == 1);
  const std::string last_error(
      fed.at("copies").as_array().at(0).as_object().at("last_error").as_string());
  CHECK(last_error.find("unavailable") != std::string::npos);
  const json::object& peer = fed.at("peers").as_array().at(0).as_object();
  CHECK(peer.at("id").as_string() == kPub);
  CHECK_FALSE(peer.at("problem").as_string().empty());  // no entityID, no good copy: not served
  const json::object& granted = status.at("algorithm_exceptions").as_array().at(0).as_object();
  CHECK(granted.at("algorithm").as_string() == "rsa-sha1");
  CHECK(granted.at("reason").as_string() == "pysaml2 defaults");
  CHECK(granted.at("granted_by").as_string() == "ops");
  CHECK_FALSE(granted.at("expired").as_bool());

  REQUIRE(c.run({"metadata", "status"}) == 0);
  CHECK(c.out.find("DOWN") != std::string::npos);
  CHECK(c.out.find("NOT SERVED") != std::string::npos);
  CHECK(c.out.find("may use rsa-sha1 until") != std::string::npos);

  CHECK(c.run({"metadata", "source", "remove", "fed"}) == 1);  // still bound
  REQUIRE(c.run({"metadata", "bind", "--publisher", kPub, "--inline"}) == 0);
  REQUIRE(c.run({"metadata", "source", "remove", "fed"}) == 0);
  REQUIRE(c.run({"metadata", "exception", "revoke", "--publisher", kPub, "--algorithm",
                 "rsa-sha1"}) == 0);
  REQUIRE(c.run({"metadata", "status"}) == 0);
  CHECK(c.out.find("no metadata source") != std::string::npos);
}
