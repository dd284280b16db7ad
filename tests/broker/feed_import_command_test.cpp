// `garde feed import` (broker/commands/feed_import.cpp) through the CLI11 app the binary builds:
// an archive with its .md5 beside it imported, its JSON report written, and a refusal exiting 1
// with the directory unchanged.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include "broker/commands/commands.h"
#include "cli_test_support.h"
#include "connectors/feed_test_support.h"
#include "core/crypto.h"

namespace garde::broker {
namespace {

using cli_test::runGarde;

TEST_CASE("garde feed import imports an archive with its .md5 and writes the JSON report",
          "[broker][commands][feed]") {
  test::FeedDb f;
  const std::string tgz = test::tarGz(
      test::membersOf(test::writeFeedFiles(test::sampleSnapshot(), f.feedDir("files"))));
  const std::string archive = f.dir().write("ENTTEST1_GAR-ENT_Complet_20260901.tar.gz", tgz);
  f.dir().write("ENTTEST1_GAR-ENT_Complet_20260901.tar.gz.md5",
                core::md5Hex(tgz) + "  ENTTEST1_GAR-ENT_Complet_20260901.tar.gz\n");
  const std::string json = f.dir().file("report.json");
  CHECK(runGarde({"feed", "import", "--database", f.path(), "--json", json, "--no-json",
                  archive}) == commands::kExitOk);
  const std::string report = test::readWhole(json);
  CHECK(report.find("\"status\":\"imported\"") != std::string::npos);
  CHECK(test::queryInt(f.db(), "SELECT count(*) FROM people") == 6);

  SECTION("a damaged archive exits 1 and changes nothing") {
    const std::string before = test::directoryDump(f.db());
    std::string damaged = tgz;
    damaged[damaged.size() / 3] ^= 0x20;
    f.dir().write("ENTTEST1_GAR-ENT_Complet_20260901.tar.gz", damaged);
    CHECK(runGarde({"feed", "import", "--database", f.path(), "--json", json, "--no-json",
                    archive}) == commands::kExitFailure);
    CHECK(test::readWhole(json).find("\"status\":\"refused\"") != std::string::npos);
    CHECK(test::directoryDump(f.db()) == before);
  }
  SECTION("an archive without its .md5 exits 1") {
    std::filesystem::remove(f.dir().file("ENTTEST1_GAR-ENT_Complet_20260901.tar.gz.md5"));
    CHECK(runGarde({"feed", "import", "--database", f.path(), "--no-json", archive}) ==
          commands::kExitFailure);
  }
}

}  // namespace
}  // namespace garde::broker
