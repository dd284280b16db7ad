// The médiacentre's list written as text (broker::api::writeResourceList) against the boost::json
// objects it replaced: the same bytes for every input, hostile strings included.

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/api/mediacentre.h"

namespace {

namespace api = garde::broker::api;

/// What handleResourceList built before writeResourceList (the code as it was, kept here as the
/// reference).
std::string reference(const std::vector<api::ResourceListing>& listings) {
  boost::json::array resources;
  for (const auto& r : listings) {
    std::string_view code = "MUL";
    std::string_view label = "ressources d'enseignement multimédias";
    if (r.category == "manuel") {
      code = "MAN";
      label = "manuels numériques";
    } else if (r.category == "dictionnaire") {
      code = "DIC";
      label = "dictionnaires et ouvrages de référence";
    }
    boost::json::object o;
    o["idRessource"] = r.id;
    o["idType"] = "ark";
    o["nomRessource"] = r.name;
    o["idEditeur"] = r.publisher_id;
    o["nomEditeur"] = r.publisher_name;
    o["urlVignette"] = r.logo_url;
    o["typePresentation"] = {{"code", code}, {"nom", label}};
    o["typePedagogique"] = boost::json::array();
    o["typologieDocument"] = boost::json::array();
    o["niveauEducatif"] = boost::json::array();
    o["domaineEnseignement"] = boost::json::array();
    o["urlAccesRessource"] = r.launch_url;
    o["nomSourceEtiquetteGar"] = "garde";
    o["distributeurTech"] = r.publisher_id;
    o["validateurTech"] = r.publisher_id;
    o["description"] = "";
    resources.push_back(std::move(o));
  }
  boost::json::object list;
  list["ressource"] = std::move(resources);
  boost::json::object root;
  root["listeRessources"] = std::move(list);
  return boost::json::serialize(root);
}

/// One listing whose seven fields are all `s` (the category too: an unknown one is MUL).
api::ResourceListing allFields(const std::string& s) { return {s, s, s, s, s, s, s}; }

}  // namespace

TEST_CASE("The médiacentre list is written as boost::json serialized it", "[broker][mediacentre]") {
  SECTION("no resource") {
    CHECK(api::writeResourceList({}) == reference({}));
    CHECK(api::writeResourceList({}) == R"({"listeRessources":{"ressource":[]}})");
  }
  SECTION("the demo's kind of entries, every category") {
    const std::vector<api::ResourceListing> listings = {
        {"ark:/49591/demo.manuel.a", "Manuel de mathématiques 3e", "123456789_0000000000000001",
         "Éditions Démo", "manuel",
         "https://garde.test/domaineGar?idENT=RU5UVEVTVDE%3D&idEtab=MDU2MTUzNE4%3D&idRessource="
         "ark%3A%2F49591%2Fdemo.manuel.a"},
        {"ark:/49591/demo.dico", "Dictionnaire", "123456789_0000000000000002", "Lexique",
         "dictionnaire", "https://garde.test/x"},
        {"ark:/49591/demo.multi", "Atelier", "123456789_0000000000000002", "Lexique", "autre",
         "https://garde.test/y"},
        {"", "", "", "", "", ""},
    };
    CHECK(api::writeResourceList(listings) == reference(listings));
  }
  SECTION("every byte value, alone and amid text") {
    for (int b = 0; b < 256; ++b) {
      const std::string alone(1, static_cast<char>(b));
      const std::string amid = "a" + alone + "b" + alone + alone + "\"\\/";
      const std::vector<api::ResourceListing> listings = {allFields(alone), allFields(amid)};
      INFO("byte " << b);
      CHECK(api::writeResourceList(listings) == reference(listings));
    }
  }
  SECTION("hostile strings") {
    for (const std::string& s : {
             std::string("\"},{\"idRessource\":\"injected"),
             std::string("\\\\\\\""),
             std::string("</script><script>alert(1)</script>"),
             std::string("\xe2\x80\xa8\xe2\x80\xa9"),
             std::string("\xff\xfe\xc3(\xed\xa0\x80"),  // invalid UTF-8 and a lone surrogate
             std::string("\0\0nul", 5),
             std::string("\b\f\n\r\t\x0b\x1f\x7f"),
             std::string(5000, '"'),
             std::string("manuel\n"),
         }) {
      const std::vector<api::ResourceListing> listings = {allFields(s)};
      CHECK(api::writeResourceList(listings) == reference(listings));
    }
  }
  SECTION("random bytes") {
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;  // xorshift64: the same strings every run
    auto next = [&state] {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    for (int round = 0; round < 300; ++round) {
      std::vector<std::string> strings(6 * 3);
      for (auto& s : strings) {
        s.resize(next() % 40);
        for (auto& c : s) {
          c = static_cast<char>(next() & 0xff);
        }
      }
      std::vector<api::ResourceListing> listings;
      for (std::size_t i = 0; i < strings.size(); i += 6) {
        listings.push_back({strings[i], strings[i + 1], strings[i + 2], strings[i + 3],
                            strings[i + 4], strings[i + 5]});
      }
      CHECK(api::writeResourceList(listings) == reference(listings));
    }
  }
}
