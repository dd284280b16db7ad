// The subscription web service's formats: <abonnement> and <filtres> read from untrusted XML,
// every rule of an abonnement checked with plain values (each problem naming its field), and the
// answers written back.
#include "connectors/subscriptions/abonnement.h"

#include <catch2/catch.hpp>

#include "saml/xml.h"

using namespace garde;
using namespace garde::connectors::subscriptions;
using core::ErrorCode;

namespace {

constexpr const char* kPub = "123456789_0000000000000001";
constexpr const char* kOtherPub = "987654321_0000000000000002";

const char* kDocument = R"(<?xml version="1.0" encoding="UTF-8"?>
<abonnement xmlns="http://www.atosworldline.com/wsabonnement/v1.0/">
  <idAbonnement>ABO_1</idAbonnement>
  <commentaireAbonnement>Abonnement de test</commentaireAbonnement>
  <idDistributeurCom>123456789_0000000000000001</idDistributeurCom>
  <idRessource>ark:/49591/r1</idRessource>
  <typeIdRessource>ark</typeIdRessource>
  <libelleRessource>Ressource 1</libelleRessource>
  <debutValidite>2025-09-01T00:00:00</debutValidite>
  <finValidite>2026-07-14T23:59:59</finValidite>
  <uaiEtab>0561534N</uaiEtab>
  <uaiEtab>0350000A</uaiEtab>
  <categorieAffectation>transferable</categorieAffectation>
  <typeAffectation>INDIV</typeAffectation>
  <nbLicenceGlobale>ILLIMITE</nbLicenceGlobale>
  <publicCible>ELEVE</publicCible>
  <publicCible>ENSEIGNANT</publicCible>
  <codeProjetRessource>PRJ1</codeProjetRessource>
</abonnement>)";

AbonnementFields valid() {
  AbonnementFields f;
  f.id = "ABO_1";
  f.publisher_id = kPub;
  f.resource_id = "ark:/49591/r1";
  f.resource_type = "ark";
  f.resource_label = "Ressource 1";
  f.valid_from = "2025-09-01";
  f.valid_until = "2026-07-14";
  f.uais = {"0561534N"};
  f.category = "transferable";
  f.assignment_type = "INDIV";
  f.licences_global = "30";
  f.audiences = {"ELEVE", "ENSEIGNANT"};
  return f;
}

AbonnementContext context() {
  AbonnementContext c;
  c.path_id = "ABO_1";
  c.caller_id = kPub;
  c.resource_publisher = kPub;
  return c;
}

/// The fields named by the problems of checking `f`.
std::vector<std::string> problemFields(const AbonnementFields& f,
                                       const AbonnementContext& c = context()) {
  const AbonnementCheck check = checkAbonnement(f, c);
  CHECK(check.record.has_value() == check.problems.empty());
  std::vector<std::string> out;
  for (const auto& p : check.problems) {
    out.push_back(p.field);
  }
  return out;
}

using Fields = std::vector<std::string>;

}  // namespace

TEST_CASE("An abonnement document is read field by field", "[connectors][subscriptions]") {
  const auto f = parseAbonnement(kDocument);
  REQUIRE(f.has_value());
  CHECK(f->id == "ABO_1");
  CHECK(f->valid_from == "2025-09-01T00:00:00");
  CHECK(f->uais == std::vector<std::string>{"0561534N", "0350000A"});
  CHECK(f->audiences == std::vector<std::string>{"ELEVE", "ENSEIGNANT"});
  CHECK(f->licences_global == "ILLIMITE");
  CHECK_FALSE(f->end_school_year.has_value());
  AbonnementContext c = context();
  const auto check = checkAbonnement(*f, c);
  REQUIRE(check.problems.empty());
  CHECK(check.record->licences_unlimited);
  CHECK(check.record->valid_until.format() == "2026-07-14");
  CHECK(check.record->project_code == "PRJ1");
}

TEST_CASE("A malformed, foreign or hostile abonnement document is refused with its reason",
          "[connectors][subscriptions]") {
  SECTION("not well-formed") {
    CHECK(parseAbonnement("<abonnement").error().code == ErrorCode::kMalformedMessage);
  }
  SECTION("a DOCTYPE (XXE, billion laughs) stops the parser") {
    const auto r = parseAbonnement(
        "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<abonnement xmlns=\"http://www.atosworldline.com/wsabonnement/v1.0/\">"
        "<idAbonnement>&x;</idAbonnement></abonnement>");
    CHECK(r.error().code == ErrorCode::kForbiddenXml);
  }
  SECTION("another root or namespace") {
    CHECK_THAT(
        parseAbonnement("<abonnement><idAbonnement>A</idAbonnement></abonnement>").error().detail,
        Catch::Contains("root element"));
    CHECK(parseAbonnement("<filtres xmlns=\"http://www.atosworldline.com/wsabonnement/v1.0/\"/>")
              .error()
              .code == ErrorCode::kMalformedMessage);
  }
  SECTION("an unknown element, a nested one, a field twice") {
    const std::string open =
        "<abonnement xmlns=\"http://www.atosworldline.com/wsabonnement/v1.0/\">";
    CHECK_THAT(parseAbonnement(open + "<prix>3</prix></abonnement>").error().detail,
               Catch::Contains("<prix>"));
    CHECK_THAT(
        parseAbonnement(open + "<idAbonnement><b>x</b></idAbonnement></abonnement>").error().detail,
        Catch::Contains("text only"));
    CHECK_THAT(
        parseAbonnement(open + "<idAbonnement>a</idAbonnement><idAbonnement>b</idAbonnement>" +
                        "</abonnement>")
            .error()
            .detail,
        Catch::Contains("twice"));
    CHECK_THAT(parseAbonnement(open + "<x:idAbonnement xmlns:x=\"urn:other\">a</x:idAbonnement>" +
                               "</abonnement>")
                   .error()
                   .detail,
               Catch::Contains("namespace"));
  }
}

TEST_CASE("A valid abonnement becomes the record to store", "[connectors][subscriptions]") {
  const auto check = checkAbonnement(valid(), context());
  REQUIRE(check.problems.empty());
  const auto& r = *check.record;
  CHECK(r.id == "ABO_1");
  CHECK(r.publisher_id == kPub);
  CHECK(r.licences_global == 30);
  CHECK_FALSE(r.licences_unlimited);
  CHECK(r.uais == std::vector<std::string>{"0561534N"});
  CHECK(r.audiences.size() == 2);
}

TEST_CASE("Every rule of an abonnement names its field", "[connectors][subscriptions]") {
  AbonnementFields f = valid();
  AbonnementContext c = context();
  SECTION("idAbonnement: 1..45 characters, not starting with '_', the URL's") {
    f.id = std::string(46, 'a');
    c.path_id = *f.id;
    CHECK(problemFields(f, c) == Fields{"idAbonnement"});
    f.id = "_A";
    c.path_id = "_A";
    CHECK(problemFields(f, c) == Fields{"idAbonnement"});
    f.id = "ABO_2";
    CHECK(problemFields(f) == Fields{"idAbonnement"});
    f.id.reset();
    CHECK(problemFields(f) == Fields{"idAbonnement"});
    f.id = std::string(45, 'a');
    c.path_id = *f.id;
    CHECK(problemFields(f, c).empty());
  }
  SECTION("commentaireAbonnement and libelleRessource: at most 255 characters") {
    f.comment = std::string(255, 'e');
    CHECK(problemFields(f).empty());
    f.comment = std::string(256, 'e');
    f.resource_label = std::string(256, 'l');
    CHECK(problemFields(f) == Fields{"commentaireAbonnement", "libelleRessource"});
    f.comment = "";
    f.resource_label.reset();
    for (int i = 0; i < 255; ++i) {
      *f.comment += "é";  // characters, not bytes
    }
    CHECK(problemFields(f).empty());
  }
  SECTION("idDistributeurCom: a SIREN_ISNI, the caller's") {
    f.publisher_id = "123456789-0000000000000001";
    CHECK(problemFields(f) == Fields{"idDistributeurCom"});
    f.publisher_id = kOtherPub;
    const auto check = checkAbonnement(f, c);
    REQUIRE(check.problems.size() == 1);
    CHECK_THAT(check.problems[0].message, Catch::Contains("calling publisher"));
  }
  SECTION("idRessource: at most 1024 characters, a resource of the caller's") {
    c.resource_publisher = kOtherPub;
    CHECK(problemFields(f, c) == Fields{"idRessource"});
    c.resource_publisher.reset();
    CHECK(problemFields(f, c) == Fields{"idRessource"});
    f.resource_id = std::string(1025, 'r');
    CHECK(problemFields(f) == Fields{"idRessource"});
  }
  SECTION("typeIdRessource: ark") {
    f.resource_type = "isbn";
    CHECK(problemFields(f) == Fields{"typeIdRessource"});
  }
  SECTION("debutValidite: ISO 8601") {
    for (const char* bad : {"01/09/2025", "2025-09-01Tmidi", "2025-13-01", "2025-09-01T25:00:00",
                            "2025-09-01T10:00:00+0200"}) {
      f.valid_from = bad;
      CHECK(problemFields(f) == Fields{"debutValidite"});
    }
    for (const char* good :
         {"2025-09-01", "2025-09-01T08:30:00Z", "2025-09-01T08:30:00.123+02:00"}) {
      f.valid_from = good;
      CHECK(problemFields(f).empty());
    }
  }
  SECTION("finValidite xor anneeFinValidite, after the start") {
    f.end_school_year = "2025-2026";
    CHECK(problemFields(f) == Fields{"finValidite"});
    f.valid_until.reset();
    f.end_school_year.reset();
    CHECK(problemFields(f) == Fields{"finValidite"});
    f.valid_until = "2025-08-31";
    CHECK(problemFields(f) == Fields{"finValidite"});
    f.valid_until = "2025-09-01";  // one day, both ends included
    CHECK(problemFields(f).empty());
  }
  SECTION("anneeFinValidite: YYYY-YYYY, consecutive, at most 10 school years") {
    f.valid_until.reset();
    f.end_school_year = "2026-2027";
    const auto check = checkAbonnement(f, c);
    REQUIRE(check.problems.empty());
    CHECK(check.record->valid_until.format() == "2027-08-31");
    CHECK(check.record->end_school_year == "2026-2027");
    for (const char* bad : {"2026/2027", "2026-2028", "26-27", "2024-2025", "2035-2036"}) {
      f.end_school_year = bad;
      CHECK(problemFields(f) == Fields{"anneeFinValidite"});
    }
    f.end_school_year = "2034-2035";  // 2025-2026 .. 2034-2035: ten school years
    CHECK(problemFields(f).empty());
    f.valid_from = "2025-06-30";  // in the school year 2024-2025: eleven
    CHECK(problemFields(f) == Fields{"anneeFinValidite"});
  }
  SECTION("uaiEtab xor codeNatureUAI") {
    f.nature_code = "300";
    CHECK(problemFields(f) == Fields{"uaiEtab"});
    f.uais.clear();
    CHECK(problemFields(f).empty());
    f.nature_code.reset();
    CHECK(problemFields(f) == Fields{"uaiEtab"});
    f.nature_code = "3A0";
    CHECK(problemFields(f) == Fields{"codeNatureUAI"});
    f.nature_code.reset();
    f.uais = {"0561534N", "0561534N"};
    CHECK(problemFields(f) == Fields{"uaiEtab"});
    f.uais = {std::string(46, 'U')};
    CHECK(problemFields(f) == Fields{"uaiEtab"});
  }
  SECTION("categorieAffectation, typeAffectation") {
    f.category = "cessible";
    f.assignment_type = "CLASSE";
    CHECK(problemFields(f) == Fields{"categorieAffectation", "typeAffectation"});
    f.category = "non transferable";
    f.assignment_type = "ETABL";
    CHECK(problemFields(f).empty());
  }
  SECTION("nbLicenceGlobale (a number or ILLIMITE) xor per-audience counts") {
    f.licences_global = "-3";
    CHECK(problemFields(f) == Fields{"nbLicenceGlobale"});
    f.licences_global = "illimite";
    CHECK(problemFields(f) == Fields{"nbLicenceGlobale"});
    f.licences_eleve = "10";
    f.licences_global = "3";
    CHECK(problemFields(f) == Fields{"nbLicenceGlobale"});
    f.licences_global.reset();
    const auto check = checkAbonnement(f, c);
    REQUIRE(check.problems.empty());
    CHECK(check.record->audience_licences.at(policy::Audience::kEleve) == 10);
    CHECK_FALSE(check.record->licences_global.has_value());
    f.licences_eleve.reset();
    CHECK(problemFields(f) == Fields{"nbLicenceGlobale"});
  }
  SECTION("each per-audience count needs its publicCible") {
    f.licences_global.reset();
    f.licences_prof_doc = "2";
    f.licences_autre_personnel = "1";
    f.licences_enseignant = "x";
    CHECK(problemFields(f) ==
          Fields{"nbLicenceEnseignant", "nbLicenceProfDoc", "nbLicenceAutrePersonnel"});
    f.audiences = {"ENSEIGNANT", "DOCUMENTALISTE", "AUTRE PERSONNEL"};
    f.licences_enseignant = "5";
    CHECK(problemFields(f).empty());
  }
  SECTION("ETABL takes a global count only") {
    f.assignment_type = "ETABL";
    f.licences_global.reset();
    f.licences_eleve = "10";
    CHECK(problemFields(f) == Fields{"typeAffectation"});
  }
  SECTION("publicCible: known words, each once, at least one") {
    f.audiences = {"ELEVES"};
    CHECK(problemFields(f) == Fields{"publicCible"});
    f.audiences = {"ELEVE", "ELEVE"};
    CHECK(problemFields(f) == Fields{"publicCible"});
    f.audiences.clear();
    CHECK(problemFields(f) == Fields{"publicCible"});
  }
  SECTION("a primary school may not be targeted for DOCUMENTALISTE") {
    f.audiences = {"DOCUMENTALISTE"};
    c.known_natures = {{"0561534N", "151"}};
    CHECK(problemFields(f, c) == Fields{"publicCible"});
    c.known_natures = {{"0561534N", "340"}};  // a collège
    CHECK(problemFields(f, c).empty());
    c.known_natures.clear();  // unknown yet: allowed
    CHECK(problemFields(f, c).empty());
    f.uais.clear();
    f.nature_code = "101";
    CHECK(problemFields(f, c) == Fields{"publicCible"});
  }
  SECTION("codeProjetRessource is optional") {
    f.project_code = "";
    CHECK(problemFields(f) == Fields{"codeProjetRessource"});
  }
  SECTION("every problem is reported, not only the first") {
    f.id = "_";
    f.resource_type = "isbn";
    f.category = "x";
    f.audiences = {"X"};
    CHECK(problemFields(f).size() == 4);
  }
}

TEST_CASE("An update keeps the establishments and refuses to change them",
          "[connectors][subscriptions]") {
  store::SubscriptionRecord existing;
  existing.uais = {"0561534N", "0350000A"};
  AbonnementContext c = context();
  c.operation = AbonnementOperation::kUpdate;
  c.existing = &existing;
  AbonnementFields f = valid();
  CHECK(problemFields(f, c) == Fields{"uaiEtab"});
  f.uais.clear();
  const auto check = checkAbonnement(f, c);
  REQUIRE(check.problems.empty());
  CHECK(check.record->uais == existing.uais);
  f.nature_code = "300";
  CHECK(problemFields(f, c) == Fields{"codeNatureUAI"});
}

TEST_CASE("Filters of a listing are read and limited to the caller",
          "[connectors][subscriptions]") {
  const auto filters =
      parseFiltres(R"(<filtres xmlns="http://www.atosworldline.com/wsabonnement/v1.0/">
    <filtre><filtreNom>idDistributeurCom</filtreNom><filtreValeur>123456789_0000000000000001</filtreValeur></filtre>
    <filtre><filtreNom>uaiEtab</filtreNom><filtreValeur>0561534N</filtreValeur></filtre>
    <filtre><filtreNom>debutValidite</filtreNom><filtreValeur>2025-09-01</filtreValeur></filtre>
  </filtres>)");
  REQUIRE(filters.has_value());
  REQUIRE(filters->size() == 3);
  const FilterCheck check = checkFilters(*filters, kPub);
  CHECK(check.problems.empty());
  CHECK(check.filter.publisher_id == kPub);
  CHECK(check.filter.uai == "0561534N");
  CHECK(check.filter.active_from->format() == "2025-09-01");

  CHECK(parseFiltres("").value().empty());
  CHECK(checkFilters({}, kPub).filter.publisher_id == kPub);
  const FilterCheck other = checkFilters({{"idDistributeurCom", kOtherPub}}, kPub);
  CHECK(other.forbidden);
  const FilterCheck bad = checkFilters({{"prix", "3"}, {"finValidite", "demain"}}, kPub);
  CHECK_FALSE(bad.forbidden);
  REQUIRE(bad.problems.size() == 2);
  CHECK(bad.problems[0].field == "prix");
  CHECK(bad.problems[1].field == "finValidite");
  CHECK(parseFiltres("<filtres xmlns=\"http://www.atosworldline.com/wsabonnement/v1.0/\">"
                     "<filtre><filtreNom>uaiEtab</filtreNom></filtre></filtres>")
            .error()
            .code == ErrorCode::kMalformedMessage);
  CHECK(parseFiltres("<!DOCTYPE f><filtres/>").error().code == ErrorCode::kForbiddenXml);
}

TEST_CASE("A stored subscription is written back and reads the same",
          "[connectors][subscriptions]") {
  auto record = *checkAbonnement(valid(), context()).record;
  record.comment = "a <b> & c";
  const std::string xml = writeAbonnement(record);
  const auto again = parseAbonnement(xml);
  REQUIRE(again.has_value());
  CHECK(again->comment == "a <b> & c");
  const auto check = checkAbonnement(*again, context());
  REQUIRE(check.problems.empty());
  CHECK(check.record->uais == record.uais);
  CHECK(check.record->valid_until == record.valid_until);
  CHECK(check.record->licences_global == record.licences_global);

  const std::string list = writeAbonnements({record, record});
  auto doc = saml::parseUntrusted(list);
  REQUIRE(doc.has_value());
  CHECK(saml::childElements(xmlDocGetRootElement(doc->get()), kNamespace, "abonnement").size() ==
        2);
  const std::string errors = writeErrors("champ_invalide", {{"idAbonnement", "required"}});
  CHECK_THAT(errors, Catch::Contains("<champ>idAbonnement</champ>"));
  CHECK_THAT(errors, Catch::Contains("<code>champ_invalide</code>"));
}
