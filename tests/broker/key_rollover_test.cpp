// garde's own key rollover (docs/key-rollover.md): the metadata as served carries validUntil and
// cacheDuration and is made again once its cacheDuration has passed (so a next key put in force
// is published without waiting for a restart of the document); `garde keys generate|show|
// rollover-plan` on real files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_test_support.h"
#include "core/random.h"
#include "saml/metadata.h"
#include "support/flows_world.h"
#include "support/temp_dir.h"

namespace {

std::vector<saml::Certificate> idpSigners(Flows& f) {
  const Response r = f.get("/saml/idp/metadata");
  REQUIRE(r.status == 200);
  saml::MetadataOptions o;
  o.trusted = {brokerCredential().cert};
  o.now = f.clock().now();
  auto parsed = saml::parseMetadata(r.body, o);
  REQUIRE(parsed.has_value());
  return parsed->front().idp->signingCertificates();
}

}  // namespace

TEST_CASE("garde's metadata: validUntil ahead, made again after its cacheDuration",
          "[broker][rollover][metadata]") {
  Flows f({}, 1'000'000, allFlowRoutes());
  const Response first = f.get("/saml/sp/metadata");
  REQUIRE(first.status == 200);
  CHECK(first.body.find("validUntil=\"" + core::formatIso8601(test::kNow + 7 * 86400) + "\"") !=
        std::string::npos);
  CHECK(first.body.find("cacheDuration=\"PT21600S\"") != std::string::npos);
  CHECK(idpSigners(f).size() == 1);

  // The next key comes into the settings (as serve puts broker.next_signing_* there).
  saml::PrivateKey key = saml::PrivateKey::generateRsa(2048);
  const saml::Credential next{key, saml::selfSign(key, "next", test::kNow, core::systemRandom())};
  f.services().idp.next_signing = next;
  f.services().sp.next_signing = next;
  f.clock().t += 3600;  // within the cacheDuration: the same document
  CHECK(f.get("/saml/sp/metadata").body == first.body);
  f.clock().t = test::kNow + 6 * 3600;  // past it: made again, with the next key, validUntil on
  const Response again = f.get("/saml/sp/metadata");
  CHECK(again.body != first.body);
  CHECK(again.body.find("validUntil=\"" +
                        core::formatIso8601(test::kNow + 6 * 3600 + 7 * 86400) + "\"") !=
        std::string::npos);
  CHECK(idpSigners(f) == std::vector<saml::Certificate>{brokerCredential().cert, next.cert});
  // The broker still signs with its current key (the metadata verifies with it above).
}

TEST_CASE("garde keys generate, show, rollover-plan", "[broker][rollover][cli]") {
  test::TempDir dir("garde-keys");
  const std::string key = dir.file("signing-key.pem");
  const std::string cert = dir.file("signing-cert.pem");
  std::string out;
  std::string err;
  REQUIRE(cli_test::runGarde({"keys", "generate", "--key", key, "--cert", cert, "--rsa-bits",
                              "2048"},
                             &out, &err) == 0);
  CHECK(out.find("sha256\t") != std::string::npos);
  CHECK((std::filesystem::status(key).permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
  // Never over an existing key.
  CHECK(cli_test::runGarde({"keys", "generate", "--key", key, "--cert", cert}, &out, &err) == 1);
  CHECK(err.find("never overwrites") != std::string::npos);
  CHECK(cli_test::runGarde({"keys", "generate", "--key", dir.file("k2"), "--cert",
                            dir.file("c2"), "--rsa-bits", "1024"},
                           &out, &err) == 2);

  const std::string config = dir.file("garde.toml");
  const auto write_config = [&](const std::string& extra) {
    std::ofstream(config) << "[server]\nlisten_address = \"127.0.0.1\"\nplain_http_loopback = "
                             "true\n[broker]\nbase_url = \"http://127.0.0.1:8080\"\n"
                             "signing_key_file = \"signing-key.pem\"\n"
                             "signing_cert_file = \"signing-cert.pem\"\n"
                          << extra << "[state]\ntoken_key = \"" << std::string(64, 'a') << "\"\n";
  };
  write_config("");
  REQUIRE(cli_test::runGarde({"keys", "show", "--config", config}, &out, &err) == 0);
  CHECK(out.find("signing\tsha256 ") != std::string::npos);
  CHECK(out.find("next\t(none") != std::string::npos);
  REQUIRE(cli_test::runGarde({"keys", "rollover-plan", "--config", config}, &out, &err) == 0);
  CHECK(out.find("1. garde keys generate") != std::string::npos);
  CHECK(out.find("7 day(s)") != std::string::npos);

  // With a next key newer than the signing one: when to switch.
  REQUIRE(cli_test::runGarde({"keys", "generate", "--key", dir.file("next-key.pem"), "--cert",
                              dir.file("next-cert.pem"), "--days", "1000", "--rsa-bits", "2048"},
                             &out, &err) == 0);
  write_config("next_signing_key_file = \"next-key.pem\"\nnext_signing_cert_file = "
               "\"next-cert.pem\"\n");
  REQUIRE(cli_test::runGarde({"keys", "show", "--config", config}, &out, &err) == 0);
  CHECK(out.find("next\tsha256 ") != std::string::npos);
  REQUIRE(cli_test::runGarde({"keys", "rollover-plan", "--config", config}, &out, &err) == 0);
  CHECK(out.find("Switch on or after") != std::string::npos);

  // The signing key given as its own next: refused, naming the key (main() prints it, exit 2).
  write_config("next_signing_key_file = \"signing-key.pem\"\nnext_signing_cert_file = "
               "\"signing-cert.pem\"\n");
  try {
    cli_test::runGarde({"keys", "show", "--config", config}, &out, &err);
    FAIL("the signing key was accepted as its own next key");
  } catch (const config::ConfigError& e) {
    CHECK(e.key() == "broker.next_signing_cert_file");
  }
}
