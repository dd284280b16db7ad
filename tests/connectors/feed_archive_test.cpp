// Snapshots in .tar.gz archives with their .md5 (connectors/feed/archive.h): the checksum, the
// members that would escape the import, and the caps. Each refusal leaves the directory as it was.
#include <algorithm>
#include <fstream>

#include "core/crypto.h"
#include "feed_test_support.h"

namespace garde::test {
namespace {

using connectors::feed::FeedImportOptions;
using connectors::feed::FeedInput;
using connectors::feed::FeedReport;

FeedInput archiveInput(const std::string& bytes, std::optional<std::string> md5) {
  FeedInput in;
  in.type = FeedInput::Type::kArchiveBytes;
  in.name = "ENTTEST1_GAR-ENT_Complet_20260901.tar.gz";
  in.bytes = bytes;
  in.md5 = std::move(md5);
  return in;
}

FeedReport importArchive(FeedDb& f, const std::string& bytes, std::optional<std::string> md5,
                         FeedImportOptions options = {}) {
  auto r = connectors::feed::importFeed(f.db(), {archiveInput(bytes, std::move(md5))}, options,
                                        kFeedNow);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

std::vector<TarMember> sampleMembers(FeedDb& f) {
  return membersOf(writeFeedFiles(sampleSnapshot(), f.feedDir("files"), 2));
}

TEST_CASE("An archive with its .md5 is imported, from memory and from files beside each other",
          "[connectors][feed][archive]") {
  FeedDb f;
  auto members = sampleMembers(f);
  TarMember dir;
  dir.path = "export";
  dir.type = TarMember::Type::kDirectory;
  members.insert(members.begin(), dir);
  members[1].path = "export/" + members[1].path;  // a member in a folder is fine
  const std::string tgz = tarGz(members);
  SECTION("in memory, the checksum as '<hex>  <name>'") {
    const FeedReport r = importArchive(f, tgz, core::md5Hex(tgz) + "  feed.tar.gz\n");
    INFO(connectors::feed::reportText(r));
    REQUIRE(r.imported);
    CHECK(r.counts.people.added == 6);
    CHECK(r.files[0].kind == "archive");
  }
  SECTION("from the command line's paths: X.tar.gz and X.md5") {
    const std::string path = f.dir().write("ENTTEST1_GAR-ENT_Complet_20260901.tar.gz", tgz);
    f.dir().write("ENTTEST1_GAR-ENT_Complet_20260901.md5", core::md5Hex(tgz));
    auto inputs = connectors::feed::inputsFromPaths({path});
    REQUIRE(inputs.has_value());
    REQUIRE(inputs->size() == 1);
    auto r = connectors::feed::importFeed(f.db(), *inputs, {}, kFeedNow);
    REQUIRE(r.has_value());
    CHECK(r->imported);
  }
}

TEST_CASE("A wrong or missing checksum refuses the archive", "[connectors][feed][archive]") {
  FeedDb f;
  const std::string tgz = tarGz(sampleMembers(f));
  SECTION("wrong") {
    const FeedReport r = importArchive(f, tgz, std::string(32, '0'));
    CHECK_FALSE(r.imported);
    CHECK(hasProblem(r, "signature_invalid", "MD5 is not the one"));
    // The archive's name says its ENT: the refusal is kept for it, though no member was read.
    REQUIRE(r.feed_id.has_value());
    CHECK(store::findFeed(f.db(), "ENTTEST1", *r.feed_id)->status == "failed");
  }
  SECTION("one byte changed") {
    std::string damaged = tgz;
    damaged[damaged.size() / 2] ^= 0x01;
    const FeedReport r = importArchive(f, damaged, core::md5Hex(tgz));
    CHECK(hasProblem(r, "signature_invalid", "MD5 is not the one"));
  }
  SECTION("unreadable") {
    const FeedReport r = importArchive(f, tgz, "not a checksum");
    CHECK(hasProblem(r, "signature_invalid", "unreadable"));
  }
  SECTION("missing") {
    const FeedReport r = importArchive(f, tgz, std::nullopt);
    CHECK(hasProblem(r, "signature_missing", "without its .md5"));
    const std::string path = f.dir().write("ENTTEST1_GAR-ENT_Complet_20260901.tar.gz", tgz);
    auto inputs = connectors::feed::inputsFromPaths({path});
    REQUIRE(inputs.has_value());
    CHECK_FALSE((*inputs)[0].md5.has_value());
  }
  CHECK(queryInt(f.db(), "SELECT count(*) FROM people") == 0);
}

TEST_CASE("Archive members that would escape the import are refused",
          "[connectors][feed][archive]") {
  FeedDb f;
  auto members = sampleMembers(f);
  TarMember bad;
  bad.content = "<x/>";
  std::string expected;
  SECTION("a '..' segment") {
    bad.path = "export/../../etc/ENTTEST1_GAR-ENT_Complet_20260901_2D_Eleve_0009.xml";
    expected = "escapes the import";
  }
  SECTION("an absolute path") {
    bad.path = "/tmp/ENTTEST1_GAR-ENT_Complet_20260901_2D_Eleve_0009.xml";
    expected = "escapes the import";
  }
  SECTION("a symbolic link") {
    bad.path = "ENTTEST1_GAR-ENT_Complet_20260901_2D_Eleve_0009.xml";
    bad.type = TarMember::Type::kSymlink;
    bad.link_target = "/etc/passwd";
    expected = "a link";
  }
  SECTION("a hard link") {
    bad.path = "ENTTEST1_GAR-ENT_Complet_20260901_2D_Eleve_0009.xml";
    bad.type = TarMember::Type::kHardlink;
    bad.link_target = members[0].path;
    expected = "a link";
  }
  SECTION("a FIFO") {
    bad.path = "fifo";
    bad.type = TarMember::Type::kFifo;
    expected = "not a regular file";
  }
  SECTION("a file that is not a GAR-ENT .xml") {
    bad.path = "README.txt";
    expected = "not a GAR-ENT .xml file";
  }
  members.push_back(bad);
  const std::string tgz = tarGz(members);
  const FeedReport r = importArchive(f, tgz, core::md5Hex(tgz));
  INFO(connectors::feed::reportText(r));
  CHECK_FALSE(r.imported);
  CHECK(std::any_of(r.problems.begin(), r.problems.end(), [&](const auto& p) {
    return (p.code == "forbidden" || p.code == "bad_request") &&
           p.message.find(expected) != std::string::npos;
  }));
  CHECK(queryInt(f.db(), "SELECT count(*) FROM people") == 0);
}

TEST_CASE("An archive expanding past the cap, or with too many members, is refused",
          "[connectors][feed][archive]") {
  FeedDb f;
  auto members = sampleMembers(f);
  // Highly compressible: 8 MiB of spaces inside an element compress to a few KiB.
  TarMember bomb;
  bomb.path = "ENTTEST1_GAR-ENT_Complet_20260901_2D_Eleve_0099.xml";
  bomb.content = "<GAR-ENT-Eleve xmlns=\"http://data.education.fr/ns/gar\" Version=\"1.7\">" +
                 std::string(8 << 20, ' ') + "</GAR-ENT-Eleve>";
  members.push_back(bomb);
  const std::string tgz = tarGz(members);
  REQUIRE(tgz.size() < 200'000);
  FeedImportOptions options;
  SECTION("expanded bytes") {
    options.archive_limits.max_expanded_bytes = 1 << 20;
    const FeedReport r = importArchive(f, tgz, core::md5Hex(tgz), options);
    CHECK_FALSE(r.imported);
    CHECK(hasProblem(r, "limit_exceeded", "expands to more than 1048576 bytes"));
  }
  SECTION("members") {
    options.archive_limits.max_members = 3;
    const FeedReport r = importArchive(f, tgz, core::md5Hex(tgz), options);
    CHECK(hasProblem(r, "limit_exceeded", "more than 3 archive members"));
  }
  CHECK(queryInt(f.db(), "SELECT count(*) FROM people") == 0);
}

TEST_CASE("A damaged or foreign archive is refused", "[connectors][feed][archive]") {
  FeedDb f;
  const std::string junk = "this is not a tar.gz at all";
  const FeedReport r = importArchive(f, junk, core::md5Hex(junk));
  CHECK_FALSE(r.imported);
  CHECK(hasProblem(r, "malformed_message", ""));
}

}  // namespace
}  // namespace garde::test
