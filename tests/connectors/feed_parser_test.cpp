// The GAR-ENT parser (connectors/feed/parser.h): records read as they stream, and every refusal
// of untrusted input with its code and line.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "connectors/feed/parser.h"
#include "support/feed_builder.h"

namespace garde::test {
namespace {

using connectors::feed::FeedFileSummary;
using connectors::feed::FeedKind;
using connectors::feed::parseFeedBytes;

constexpr const char* kHead2D =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<GAR-ENT-Eleve xmlns=\"http://data.education.fr/ns/gar\" Version=\"1.7\">\n";

struct Parsed {
  FeedFileSummary summary;
  std::vector<store::FeedRecord> records;
  std::vector<store::FeedProblem> problems;
  bool hasProblem(const std::string& code, const std::string& text) const {
    for (const auto& p : problems) {
      if (p.code == code && p.message.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

Parsed parse(const std::string& xml, const connectors::feed::FeedLimits& limits = {}) {
  Parsed out;
  auto summary = parseFeedBytes(
      "ENTTEST1_GAR-ENT_Complet_20260901_2D_Eleve_0000.xml", xml,
      [&](const store::FeedRecord& r, std::uint32_t) -> core::Status {
        out.records.push_back(r);
        return {};
      },
      out.problems, limits);
  REQUIRE(summary.has_value());
  out.summary = *summary;
  return out;
}

std::string pupil(const std::string& id, const std::string& last = "Dupré") {
  FeedTestPerson p;
  p.id = id;
  p.last_name = last;
  p.first_name = "Léa";
  p.profiles = {{"0750001A", "National_elv"}};
  return personElement(p, false);
}

TEST_CASE("An Eleve file streams its pupils, MEFs and subjects as typed records",
          "[connectors][feed][parser]") {
  const std::string xml = std::string(kHead2D) + pupil("elv-1") + "\n" + pupil("elv-2") + "\n" +
                          personMefElement("0750001A", "elv-1", "10010012110", false) + "\n" +
                          pupilSubjectElement("0750001A", "elv-1", "030201") +
                          "\n</GAR-ENT-Eleve>\n";
  const Parsed p = parse(xml);
  INFO((p.problems.empty() ? "" : p.problems[0].message));
  REQUIRE(p.summary.ok);
  CHECK(p.summary.kind == FeedKind::kEleve);
  CHECK(p.summary.degree == connectors::feed::Degree::kSecond);
  REQUIRE(p.records.size() == 4);
  const auto& first = std::get<store::FeedPerson>(p.records[0]);
  CHECK(first.id == "elv-1");
  CHECK(first.last_name == "Dupré");
  CHECK_FALSE(first.teacher);
  REQUIRE(first.profiles.size() == 1);
  CHECK(first.profiles[0] == std::pair<std::string, std::string>{"0750001A", "National_elv"});
  CHECK(first.establishments == std::vector<std::string>{"0750001A"});
  CHECK(std::get<store::FeedPersonMef>(p.records[2]).code == "10010012110");
  CHECK(std::get<store::FeedPupilSubject>(p.records[3]).code == "030201");
}

TEST_CASE("A file that is not well-formed is refused with its line", "[connectors][feed][parser]") {
  const std::string xml = std::string(kHead2D) + pupil("elv-1") + "\n<GAREleve><oops>\n";
  const Parsed p = parse(xml);
  CHECK_FALSE(p.summary.ok);
  REQUIRE_FALSE(p.problems.empty());
  CHECK(p.problems[0].code == "malformed_message");
  CHECK(p.problems[0].at.line >= 3);
  CHECK(p.records.empty());  // nothing of a broken file reaches the import
}

TEST_CASE("A DOCTYPE is refused before any declaration is read (XXE, billion laughs)",
          "[connectors][feed][parser]") {
  SECTION("an external entity") {
    const Parsed p = parse(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE GAR-ENT-Eleve [<!ENTITY xxe SYSTEM "
        "\"file:///etc/passwd\">]>\n<GAR-ENT-Eleve xmlns=\"http://data.education.fr/ns/gar\" "
        "Version=\"1.7\"><GAREleve><GARPersonIdentifiant>&xxe;</GARPersonIdentifiant></GAREleve>"
        "</GAR-ENT-Eleve>");
    CHECK_FALSE(p.summary.ok);
    CHECK(p.hasProblem("forbidden_xml", "DOCTYPE"));
    CHECK(p.records.empty());
  }
  SECTION("entity expansion") {
    const Parsed p = parse(
        "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
        "<GAR-ENT-Eleve xmlns=\"http://data.education.fr/ns/gar\" Version=\"1.7\"/>");
    CHECK(p.hasProblem("forbidden_xml", "DOCTYPE"));
  }
  SECTION("hidden after a comment") {
    const Parsed p = parse(
        "<!-- <GAR-ENT-Eleve> --><!DOCTYPE x SYSTEM \"http://attacker.example/x.dtd\">"
        "<GAR-ENT-Eleve xmlns=\"http://data.education.fr/ns/gar\" Version=\"1.7\"/>");
    CHECK(p.hasProblem("forbidden_xml", "DOCTYPE"));
  }
  SECTION("an undeclared entity reference in the content") {
    const Parsed p = parse(std::string(kHead2D) +
                           "<GAREleve><GARPersonIdentifiant>&ent;</GARPersonIdentifiant>"
                           "</GAREleve></GAR-ENT-Eleve>");
    CHECK_FALSE(p.summary.ok);
    CHECK(p.records.empty());
  }
  SECTION("a processing instruction") {
    const Parsed p = parse(
        "<?xml-stylesheet href=\"http://attacker.example/x.xsl\"?>"
        "<GAR-ENT-Eleve xmlns=\"http://data.education.fr/ns/gar\" Version=\"1.7\"/>");
    CHECK(p.hasProblem("forbidden_xml", "processing instruction"));
  }
}

TEST_CASE("A schema violation is refused with the line of the element",
          "[connectors][feed][parser]") {
  SECTION("a missing required element") {
    // Line 4: a GAREleve without GARPersonNom.
    const std::string xml = std::string(kHead2D) + pupil("elv-1") +
                            "\n\n<GAREleve><GARPersonIdentifiant>elv-2</GARPersonIdentifiant>"
                            "<GARPersonProfils><GARStructureUAI>0750001A</GARStructureUAI>"
                            "<GARPersonProfil>National_elv</GARPersonProfil></GARPersonProfils>"
                            "<GARPersonPrenom>Léa</GARPersonPrenom></GAREleve>\n</GAR-ENT-Eleve>\n";
    const Parsed p = parse(xml);
    CHECK_FALSE(p.summary.ok);
    REQUIRE_FALSE(p.problems.empty());
    CHECK(p.problems[0].code == "malformed_message");
    CHECK(p.problems[0].message.find("schema:") == 0);
    CHECK(p.problems[0].at.line == 5);
  }
  SECTION("a name longer than the schema's 500 characters") {
    const Parsed p = parse(std::string(kHead2D) + "\n" + pupil("elv-1", std::string(501, 'a')) +
                           "\n</GAR-ENT-Eleve>\n");
    CHECK_FALSE(p.summary.ok);
    REQUIRE_FALSE(p.problems.empty());
    CHECK(p.problems[0].message.find("maxLength") != std::string::npos);
    CHECK(p.problems[0].at.line == 4);
  }
  SECTION("a key the schema says is unique, twice in one file") {
    const Parsed p = parse(std::string(kHead2D) + pupil("elv-1") + "\n" + pupil("elv-1") +
                           "\n</GAR-ENT-Eleve>\n");
    CHECK_FALSE(p.summary.ok);
    CHECK(p.hasProblem("malformed_message", "schema:"));
  }
  SECTION("a second-degree element in a primary file") {
    const Parsed p =
        parse("<GAR-ENT-Eleve xmlns=\"http://data.education.fr/ns/gar/1d\" Version=\"1.4\">" +
              pupilSubjectElement("0750001A", "elv-1", "030201") + "</GAR-ENT-Eleve>");
    CHECK_FALSE(p.summary.ok);
    CHECK(p.hasProblem("malformed_message", "schema:"));
  }
  SECTION("a root element outside the GAR-ENT namespaces") {
    const Parsed p = parse("<GAR-ENT-Eleve xmlns=\"urn:other\" Version=\"1.7\"/>");
    CHECK(p.hasProblem("malformed_message", "not in a GAR-ENT namespace"));
  }
}

TEST_CASE("What the schema allows but garde cannot store is refused with its line",
          "[connectors][feed][parser]") {
  SECTION("an unknown profile") {
    FeedTestPerson t;
    t.id = "x";
    t.last_name = "X";
    t.first_name = "Y";
    t.profiles = {{"0750001A", "National_xyz"}};
    const Parsed p = parse(std::string(kHead2D) + personElement(t, false) + "</GAR-ENT-Eleve>");
    CHECK(p.hasProblem("malformed_message", "unknown profile 'National_xyz'"));
    CHECK(p.records.empty());
  }
  SECTION("a group status other than DIVISION or GROUPE") {
    const Parsed p = parse(
        "<GAR-ENT-Groupe xmlns=\"http://data.education.fr/ns/gar\" Version=\"1.7\">\n"
        "<GARGroupe><GARGroupeCode>3A</GARGroupeCode><GARStructureUAI>0750001A</GARStructureUAI>"
        "<GARGroupeLibelle>3e A</GARGroupeLibelle><GARGroupeStatut>CLASSE</GARGroupeStatut>"
        "</GARGroupe></GAR-ENT-Groupe>");
    CHECK(p.hasProblem("malformed_message", "DIVISION or GROUPE"));
    CHECK(p.problems[0].at.line == 2);
  }
}

TEST_CASE("The parser's caps refuse oversized input", "[connectors][feed][parser]") {
  const std::string xml = std::string(kHead2D) + pupil("elv-1") + "\n" + pupil("elv-2") + "\n" +
                          pupil("elv-3") + "\n</GAR-ENT-Eleve>\n";
  SECTION("bytes") {
    connectors::feed::FeedLimits limits;
    limits.max_file_bytes = 300;
    const Parsed p = parse(xml, limits);
    CHECK(p.hasProblem("limit_exceeded", "larger than 300 bytes"));
  }
  SECTION("records") {
    connectors::feed::FeedLimits limits;
    limits.max_records = 2;
    const Parsed p = parse(xml, limits);
    CHECK(p.hasProblem("limit_exceeded", "more than 2 records"));
  }
  SECTION("depth") {
    connectors::feed::FeedLimits limits;
    limits.max_depth = 2;
    const Parsed p = parse(xml, limits);
    CHECK(p.hasProblem("limit_exceeded", "nested deeper"));
  }
}

}  // namespace
}  // namespace garde::test
