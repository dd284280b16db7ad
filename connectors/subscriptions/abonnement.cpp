#include "connectors/subscriptions/abonnement.h"

#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "policy/profile.h"
#include "saml/xml.h"

namespace garde::connectors::subscriptions {
namespace {

using core::ErrorCode;

// A listing of thousands of establishments stays well inside these; depth 3 is all the format has.
constexpr saml::ParseLimits kLimits{kMaxBodyBytes, 8, 200'000};

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

/// The root element of `xml` if it is {kNamespace}`root`.
core::Result<saml::XmlDoc> parseRoot(std::string_view xml, const char* root) {
  GARDE_ASSIGN_OR_RETURN(saml::XmlDoc doc, saml::parseUntrusted(xml, kLimits));
  const xmlNode* top = xmlDocGetRootElement(doc.get());
  if (!saml::isElement(top, kNamespace, root)) {
    return core::fail(ErrorCode::kMalformedMessage, std::string("the root element must be <") +
                                                        root + "> in the namespace " + kNamespace);
  }
  return doc;
}

/// The text of a leaf element; kMalformedMessage when it has child elements.
core::Result<std::string> leafText(const xmlNode* node) {
  if (!saml::childElements(node).empty()) {
    return core::fail(ErrorCode::kMalformedMessage,
                      "<" + std::string(saml::localName(node)) + "> must hold text only");
  }
  return trim(saml::textContent(node));
}

/// Each child of `parent` must be an element of the namespace: its local name.
core::Result<std::string> fieldName(const xmlNode* node) {
  if (node->ns == nullptr ||
      std::string_view(reinterpret_cast<const char*>(node->ns->href)) != kNamespace) {
    return core::fail(ErrorCode::kMalformedMessage, "<" + std::string(saml::localName(node)) +
                                                        "> is not in the namespace " + kNamespace);
  }
  return std::string(saml::localName(node));
}

bool allDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool isSirenIsni(std::string_view s) {
  return s.size() == 26 && s[9] == '_' && allDigits(s.substr(0, 9)) && allDigits(s.substr(10));
}

/// xs:date or xs:dateTime ("YYYY-MM-DD", "YYYY-MM-DDThh:mm:ss[.f+][Z|±hh:mm]"): the day.
std::optional<policy::Date> parseIsoDay(std::string_view s) {
  if (s.size() < 10) {
    return std::nullopt;
  }
  auto day = policy::Date::parse(s.substr(0, 10));
  if (!day || s.size() == 10) {
    return day;
  }
  std::string_view t = s.substr(10);
  const auto digitsAt = [&](std::size_t pos, std::size_t n) {
    return t.size() >= pos + n && allDigits(t.substr(pos, n));
  };
  if (t.size() < 9 || t[0] != 'T' || !digitsAt(1, 2) || t[3] != ':' || !digitsAt(4, 2) ||
      t[6] != ':' || !digitsAt(7, 2)) {
    return std::nullopt;
  }
  const int hh = (t[1] - '0') * 10 + (t[2] - '0');
  const int mm = (t[4] - '0') * 10 + (t[5] - '0');
  const int ss = (t[7] - '0') * 10 + (t[8] - '0');
  if (hh > 23 || mm > 59 || ss > 60) {
    return std::nullopt;
  }
  std::size_t pos = 9;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos])) != 0) {
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  const std::string_view zone = t.substr(pos);
  if (zone.empty() || zone == "Z") {
    return day;
  }
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && allDigits(zone.substr(1, 2)) &&
      zone[3] == ':' && allDigits(zone.substr(4, 2))) {
    return day;
  }
  return std::nullopt;
}

/// A licence count: 0..999999999.
std::optional<std::int64_t> parseCount(std::string_view s) {
  if (!allDigits(s) || s.size() > 9) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

struct Problems {
  std::vector<FieldProblem> list;
  void add(std::string field, std::string message) {
    list.push_back({std::move(field), std::move(message)});
  }
};

/// A text field's length rule (characters counted as UTF-8 code points).
std::size_t codePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

xmlNode* addText(xmlNode* parent, const char* name, const std::string& text) {
  return xmlNewTextChild(parent, nullptr, reinterpret_cast<const xmlChar*>(name),
                         reinterpret_cast<const xmlChar*>(text.c_str()));
}

/// A new document whose root is {kNamespace}`root`, the default namespace.
saml::XmlDoc newDocument(const char* root, xmlNode*& out_root) {
  saml::XmlDoc doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  out_root = xmlNewNode(nullptr, reinterpret_cast<const xmlChar*>(root));
  xmlNs* ns = xmlNewNs(out_root, reinterpret_cast<const xmlChar*>(kNamespace), nullptr);
  xmlSetNs(out_root, ns);
  xmlDocSetRootElement(doc.get(), out_root);
  return doc;
}

/// The fields of `r` as children of `a`, in the order of the format.
void fillAbonnement(xmlNode* a, const store::SubscriptionRecord& r) {
  addText(a, "idAbonnement", r.id);
  if (!r.comment.empty()) {
    addText(a, "commentaireAbonnement", r.comment);
  }
  addText(a, "idDistributeurCom", r.publisher_id);
  addText(a, "idRessource", r.resource_id);
  addText(a, "typeIdRessource", "ark");
  addText(a, "libelleRessource", r.resource_label);
  addText(a, "debutValidite", r.valid_from.format());
  if (r.end_school_year) {
    addText(a, "anneeFinValidite", *r.end_school_year);
  } else {
    addText(a, "finValidite", r.valid_until.format());
  }
  for (const auto& uai : r.uais) {
    addText(a, "uaiEtab", uai);
  }
  if (r.nature_code) {
    addText(a, "codeNatureUAI", *r.nature_code);
  }
  addText(a, "categorieAffectation", r.category);
  addText(a, "typeAffectation", std::string(policy::assignmentTypeCode(r.assignment_type)));
  if (r.licences_unlimited) {
    addText(a, "nbLicenceGlobale", "ILLIMITE");
  } else if (r.licences_global) {
    addText(a, "nbLicenceGlobale", std::to_string(*r.licences_global));
  }
  static constexpr std::pair<policy::Audience, const char*> kCounts[] = {
      {policy::Audience::kEnseignant, "nbLicenceEnseignant"},
      {policy::Audience::kEleve, "nbLicenceEleve"},
      {policy::Audience::kDocumentaliste, "nbLicenceProfDoc"},
      {policy::Audience::kAutrePersonnel, "nbLicenceAutrePersonnel"},
  };
  for (const auto& [audience, name] : kCounts) {
    if (auto it = r.audience_licences.find(audience); it != r.audience_licences.end()) {
      addText(a, name, std::to_string(it->second));
    }
  }
  for (policy::Audience audience : r.audiences) {
    addText(a, "publicCible", std::string(policy::audienceCode(audience)));
  }
  if (r.project_code) {
    addText(a, "codeProjetRessource", *r.project_code);
  }
}

void appendAbonnement(xmlNode* parent, const store::SubscriptionRecord& r) {
  fillAbonnement(
      xmlNewChild(parent, nullptr, reinterpret_cast<const xmlChar*>("abonnement"), nullptr), r);
}

}  // namespace

core::Result<AbonnementFields> parseAbonnement(std::string_view xml) {
  GARDE_ASSIGN_OR_RETURN(saml::XmlDoc doc, parseRoot(xml, "abonnement"));
  AbonnementFields f;
  const std::map<std::string_view, std::optional<std::string>*> single = {
      {"idAbonnement", &f.id},
      {"commentaireAbonnement", &f.comment},
      {"idDistributeurCom", &f.publisher_id},
      {"idRessource", &f.resource_id},
      {"typeIdRessource", &f.resource_type},
      {"libelleRessource", &f.resource_label},
      {"debutValidite", &f.valid_from},
      {"finValidite", &f.valid_until},
      {"anneeFinValidite", &f.end_school_year},
      {"codeNatureUAI", &f.nature_code},
      {"categorieAffectation", &f.category},
      {"typeAffectation", &f.assignment_type},
      {"nbLicenceGlobale", &f.licences_global},
      {"nbLicenceEnseignant", &f.licences_enseignant},
      {"nbLicenceEleve", &f.licences_eleve},
      {"nbLicenceProfDoc", &f.licences_prof_doc},
      {"nbLicenceAutrePersonnel", &f.licences_autre_personnel},
      {"codeProjetRessource", &f.project_code},
  };
  for (const xmlNode* child : saml::childElements(xmlDocGetRootElement(doc.get()))) {
    GARDE_ASSIGN_OR_RETURN(const std::string name, fieldName(child));
    GARDE_ASSIGN_OR_RETURN(std::string text, leafText(child));
    if (name == "uaiEtab") {
      f.uais.push_back(std::move(text));
    } else if (name == "publicCible") {
      f.audiences.push_back(std::move(text));
    } else if (auto it = single.find(name); it != single.end()) {
      if (it->second->has_value()) {
        return core::fail(ErrorCode::kMalformedMessage, "<" + name + "> is given twice");
      }
      *it->second = std::move(text);
    } else {
      return core::fail(ErrorCode::kMalformedMessage, "unknown element <" + name + ">");
    }
  }
  return f;
}

bool isPrimaryNature(std::string_view nature_code) noexcept {
  return nature_code.size() == 3 && nature_code[0] == '1';
}

int schoolYearOf(policy::Date day) noexcept {
  const core::CivilDate c = core::civilFromDays(day.daysSinceEpoch());
  return static_cast<int>(c.month >= 9 ? c.year : c.year - 1);
}

AbonnementCheck checkAbonnement(const AbonnementFields& f, const AbonnementContext& ctx) {
  Problems p;
  store::SubscriptionRecord r;
  const bool update = ctx.operation == AbonnementOperation::kUpdate;

  // idAbonnement
  if (!f.id) {
    p.add("idAbonnement", "required");
  } else if (f.id->empty() || codePoints(*f.id) > 45) {
    p.add("idAbonnement", "must be 1 to 45 characters");
  } else if ((*f.id)[0] == '_') {
    p.add("idAbonnement", "must not start with '_'");
  } else if (*f.id == kReservedId) {
    p.add("idAbonnement", "abonnements is reserved (it is the path of the listing)");
  } else if (*f.id != ctx.path_id) {
    p.add("idAbonnement", "must be the idAbonnement of the URL");
  } else {
    r.id = *f.id;
  }
  // commentaireAbonnement
  if (f.comment && codePoints(*f.comment) > 255) {
    p.add("commentaireAbonnement", "must be at most 255 characters");
  }
  r.comment = f.comment.value_or("");
  // idDistributeurCom
  if (!f.publisher_id) {
    p.add("idDistributeurCom", "required");
  } else if (!isSirenIsni(*f.publisher_id)) {
    p.add("idDistributeurCom", "must be a SIREN_ISNI, [0-9]{9}_[0-9]{16}");
  } else if (*f.publisher_id != ctx.caller_id) {
    p.add("idDistributeurCom", "must be the calling publisher's SIREN_ISNI");
  } else {
    r.publisher_id = *f.publisher_id;
  }
  // idRessource, typeIdRessource, libelleRessource
  if (!f.resource_id || f.resource_id->empty()) {
    p.add("idRessource", "required");
  } else if (codePoints(*f.resource_id) > 1024) {
    p.add("idRessource", "must be at most 1024 characters");
  } else if (ctx.resource_publisher != ctx.caller_id) {
    // The same answer whether the resource is unknown or another publisher's.
    p.add("idRessource", "is not a resource of the calling publisher");
  } else {
    r.resource_id = *f.resource_id;
  }
  if (!f.resource_type) {
    p.add("typeIdRessource", "required");
  } else if (*f.resource_type != "ark") {
    p.add("typeIdRessource", "must be ark");
  }
  if (f.resource_label && codePoints(*f.resource_label) > 255) {
    p.add("libelleRessource", "must be at most 255 characters");
  }
  r.resource_label = f.resource_label.value_or("");

  // debutValidite, finValidite xor anneeFinValidite
  std::optional<policy::Date> from;
  if (!f.valid_from) {
    p.add("debutValidite", "required");
  } else if (!(from = parseIsoDay(*f.valid_from))) {
    p.add("debutValidite", "must be an ISO 8601 date or date-time");
  }
  if (f.valid_until && f.end_school_year) {
    p.add("finValidite", "give finValidite or anneeFinValidite, not both");
  } else if (!f.valid_until && !f.end_school_year) {
    p.add("finValidite", "required (or anneeFinValidite)");
  } else if (f.valid_until) {
    const auto until = parseIsoDay(*f.valid_until);
    if (!until) {
      p.add("finValidite", "must be an ISO 8601 date or date-time");
    } else if (from && *until < *from) {
      p.add("finValidite", "must not be before debutValidite");
    } else {
      r.valid_until = *until;
    }
  } else {
    const std::string& y = *f.end_school_year;
    int first = 0;
    int second = 0;
    if (y.size() != 9 || y[4] != '-' || !allDigits(y.substr(0, 4)) || !allDigits(y.substr(5))) {
      p.add("anneeFinValidite", "must be a school year YYYY-YYYY");
    } else if (std::from_chars(y.data(), y.data() + 4, first),
               std::from_chars(y.data() + 5, y.data() + 9, second), second != first + 1) {
      p.add("anneeFinValidite", "must be two consecutive years, e.g. 2025-2026");
    } else if (const auto end = policy::Date::fromCivil(second, 8, 31); !end) {
      p.add("anneeFinValidite", "must be a school year YYYY-YYYY");
    } else if (from && first < schoolYearOf(*from)) {
      p.add("anneeFinValidite", "must not end before debutValidite's school year");
    } else if (from && first - schoolYearOf(*from) + 1 > 10) {
      p.add("anneeFinValidite", "must be at most 10 school years from debutValidite");
    } else {
      r.valid_until = *end;
      r.end_school_year = y;
    }
  }
  if (from) {
    r.valid_from = *from;
  }

  // publicCible
  std::set<policy::Audience> audiences;
  if (f.audiences.empty()) {
    p.add("publicCible", "at least one audience is required");
  }
  for (const auto& code : f.audiences) {
    const auto a = policy::parseAudience(code);
    if (!a) {
      p.add("publicCible", "must be ENSEIGNANT, ELEVE, DOCUMENTALISTE or AUTRE PERSONNEL");
    } else if (!audiences.insert(*a).second) {
      p.add("publicCible", "an audience is given twice");
    } else {
      r.audiences.push_back(*a);
    }
  }

  // uaiEtab xor codeNatureUAI (kept on update)
  if (update) {
    if (!f.uais.empty()) {
      p.add("uaiEtab", "the establishments of a subscription cannot change: leave uaiEtab out");
    }
    if (f.nature_code) {
      p.add("codeNatureUAI",
            "the establishments of a subscription cannot change: leave codeNatureUAI out");
    }
    if (ctx.existing != nullptr) {
      r.uais = ctx.existing->uais;
      r.nature_code = ctx.existing->nature_code;
    }
  } else if (!f.uais.empty() && f.nature_code) {
    p.add("uaiEtab", "give uaiEtab or codeNatureUAI, not both");
  } else if (f.uais.empty() && !f.nature_code) {
    p.add("uaiEtab", "required (or codeNatureUAI)");
  } else if (f.nature_code) {
    if (f.nature_code->size() != 3 || !allDigits(*f.nature_code)) {
      p.add("codeNatureUAI", "must be a nature code of 3 digits");
    } else {
      r.nature_code = *f.nature_code;
    }
  } else {
    std::set<std::string_view> seen;
    for (const auto& uai : f.uais) {
      if (uai.empty() || codePoints(uai) > 45) {
        p.add("uaiEtab", "must be 1 to 45 characters");
      } else if (!seen.insert(uai).second) {
        p.add("uaiEtab", "an establishment is given twice: " + uai);
      } else {
        r.uais.push_back(uai);
      }
    }
  }
  if (audiences.count(policy::Audience::kDocumentaliste) != 0) {
    if (r.nature_code && isPrimaryNature(*r.nature_code)) {
      p.add("publicCible", "a primary school (codeNatureUAI " + *r.nature_code +
                               ") cannot be targeted for DOCUMENTALISTE");
    }
    for (const auto& uai : r.uais) {
      auto it = ctx.known_natures.find(uai);
      if (it != ctx.known_natures.end() && it->second && isPrimaryNature(*it->second)) {
        p.add("publicCible",
              "the primary school " + uai + " cannot be targeted for DOCUMENTALISTE");
      }
    }
  }

  // categorieAffectation, typeAffectation
  if (!f.category) {
    p.add("categorieAffectation", "required");
  } else if (*f.category != "transferable" && *f.category != "non transferable") {
    p.add("categorieAffectation", "must be transferable or non transferable");
  } else {
    r.category = *f.category;
  }
  std::optional<policy::AssignmentType> type;
  if (!f.assignment_type) {
    p.add("typeAffectation", "required");
  } else if (!(type = policy::parseAssignmentType(*f.assignment_type))) {
    p.add("typeAffectation", "must be INDIV or ETABL");
  } else {
    r.assignment_type = *type;
  }

  // nbLicenceGlobale xor per-audience counts
  const std::pair<const std::optional<std::string>*, std::pair<const char*, policy::Audience>>
      per_audience[] = {
          {&f.licences_enseignant, {"nbLicenceEnseignant", policy::Audience::kEnseignant}},
          {&f.licences_eleve, {"nbLicenceEleve", policy::Audience::kEleve}},
          {&f.licences_prof_doc, {"nbLicenceProfDoc", policy::Audience::kDocumentaliste}},
          {&f.licences_autre_personnel,
           {"nbLicenceAutrePersonnel", policy::Audience::kAutrePersonnel}},
      };
  const bool any_audience_count = std::any_of(std::begin(per_audience), std::end(per_audience),
                                              [](const auto& e) { return e.first->has_value(); });
  if (f.licences_global && any_audience_count) {
    p.add("nbLicenceGlobale", "give nbLicenceGlobale or per-audience counts, not both");
  } else if (!f.licences_global && !any_audience_count) {
    p.add("nbLicenceGlobale", "required (or per-audience counts)");
  } else if (f.licences_global) {
    if (*f.licences_global == "ILLIMITE") {
      r.licences_unlimited = true;
    } else if (const auto n = parseCount(*f.licences_global)) {
      r.licences_global = *n;
    } else {
      p.add("nbLicenceGlobale", "must be a whole number or ILLIMITE");
    }
  } else {
    if (type == policy::AssignmentType::kEtabl) {
      p.add("typeAffectation", "ETABL takes nbLicenceGlobale only, not per-audience counts");
    }
    for (const auto& [value, what] : per_audience) {
      if (!value->has_value()) {
        continue;
      }
      const auto& [name, audience] = what;
      const auto n = parseCount(**value);
      if (!n) {
        p.add(name, "must be a whole number");
      } else if (audiences.count(audience) == 0) {
        p.add(name, "needs publicCible " + std::string(policy::audienceCode(audience)));
      } else {
        r.audience_licences[audience] = *n;
      }
    }
  }

  if (f.project_code) {
    if (f.project_code->empty() || codePoints(*f.project_code) > 255) {
      p.add("codeProjetRessource", "must be 1 to 255 characters");
    } else {
      r.project_code = *f.project_code;
    }
  }

  AbonnementCheck out;
  out.problems = std::move(p.list);
  if (out.problems.empty()) {
    out.record = std::move(r);
  }
  return out;
}

core::Result<std::vector<Filter>> parseFiltres(std::string_view xml) {
  std::vector<Filter> out;
  if (trim(std::string(xml)).empty()) {
    return out;
  }
  GARDE_ASSIGN_OR_RETURN(saml::XmlDoc doc, parseRoot(xml, "filtres"));
  for (const xmlNode* filtre : saml::childElements(xmlDocGetRootElement(doc.get()))) {
    GARDE_ASSIGN_OR_RETURN(const std::string name, fieldName(filtre));
    if (name != "filtre") {
      return core::fail(ErrorCode::kMalformedMessage, "unknown element <" + name + ">");
    }
    std::optional<std::string> filter_name;
    std::optional<std::string> filter_value;
    for (const xmlNode* part : saml::childElements(filtre)) {
      GARDE_ASSIGN_OR_RETURN(const std::string part_name, fieldName(part));
      GARDE_ASSIGN_OR_RETURN(std::string text, leafText(part));
      std::optional<std::string>* slot = part_name == "filtreNom"      ? &filter_name
                                         : part_name == "filtreValeur" ? &filter_value
                                                                       : nullptr;
      if (slot == nullptr) {
        return core::fail(ErrorCode::kMalformedMessage, "unknown element <" + part_name + ">");
      }
      if (slot->has_value()) {
        return core::fail(ErrorCode::kMalformedMessage, "<" + part_name + "> is given twice");
      }
      *slot = std::move(text);
    }
    if (!filter_name || !filter_value) {
      return core::fail(ErrorCode::kMalformedMessage,
                        "each <filtre> needs a <filtreNom> and a <filtreValeur>");
    }
    out.push_back({std::move(*filter_name), std::move(*filter_value)});
  }
  return out;
}

FilterCheck checkFilters(const std::vector<Filter>& filters, std::string_view caller_id) {
  FilterCheck out;
  out.filter.publisher_id = std::string(caller_id);
  std::set<std::string_view> seen;
  for (const auto& f : filters) {
    if (!seen.insert(f.name).second) {
      out.problems.push_back({f.name, "the filter is given twice"});
      continue;
    }
    if (f.name == "idDistributeurCom") {
      if (f.value != caller_id) {
        out.forbidden = true;
        out.problems.push_back({f.name, "a publisher lists only its own subscriptions"});
      }
    } else if (f.name == "uaiEtab") {
      out.filter.uai = f.value;
    } else if (f.name == "idAbonnement") {
      out.filter.id = f.value;
    } else if (f.name == "debutValidite" || f.name == "finValidite") {
      const auto day = parseIsoDay(f.value);
      if (!day) {
        out.problems.push_back({f.name, "must be an ISO 8601 date or date-time"});
      } else if (f.name == "debutValidite") {
        out.filter.active_from = *day;
      } else {
        out.filter.active_until = *day;
      }
    } else {
      out.problems.push_back(
          {f.name,
           "unknown filter: idDistributeurCom, uaiEtab, idAbonnement, debutValidite or "
           "finValidite"});
    }
  }
  return out;
}

std::string writeAbonnements(const std::vector<store::SubscriptionRecord>& records) {
  xmlNode* root = nullptr;
  saml::XmlDoc doc = newDocument("abonnements", root);
  for (const auto& r : records) {
    appendAbonnement(root, r);
  }
  return saml::serialize(doc.get());
}

std::string writeAbonnement(const store::SubscriptionRecord& record) {
  xmlNode* root = nullptr;
  saml::XmlDoc doc = newDocument("abonnement", root);
  fillAbonnement(root, record);
  return saml::serialize(doc.get());
}

std::string writeEtablissements(const std::vector<store::Establishment>& establishments) {
  xmlNode* root = nullptr;
  saml::XmlDoc doc = newDocument("etablissements", root);
  for (const auto& e : establishments) {
    xmlNode* n =
        xmlNewChild(root, nullptr, reinterpret_cast<const xmlChar*>("etablissement"), nullptr);
    addText(n, "uai", e.uai);
    addText(n, "nom", e.name);
    if (e.academy) {
      addText(n, "academie", *e.academy);
    }
    addText(n, "idENT", e.ent_id);
    if (e.nature_code) {
      addText(n, "codeNatureUAI", *e.nature_code);
    }
  }
  return saml::serialize(doc.get());
}

std::string writeAssignmentReport(const std::vector<store::AssignmentCount>& counts) {
  xmlNode* root = nullptr;
  saml::XmlDoc doc = newDocument("rapportAffectations", root);
  for (const auto& c : counts) {
    xmlNode* n =
        xmlNewChild(root, nullptr, reinterpret_cast<const xmlChar*>("affectation"), nullptr);
    addText(n, "idAbonnement", c.subscription_id);
    addText(n, "uaiEtab", c.uai);
    addText(n, "typeCible", std::string(policy::assignmentTargetKindCode(c.kind)));
    addText(n, "nombre", std::to_string(c.count));
  }
  return saml::serialize(doc.get());
}

std::string writeErrors(std::string_view code, const std::vector<FieldProblem>& problems) {
  xmlNode* root = nullptr;
  saml::XmlDoc doc = newDocument("erreurs", root);
  for (const auto& problem : problems) {
    xmlNode* n = xmlNewChild(root, nullptr, reinterpret_cast<const xmlChar*>("erreur"), nullptr);
    addText(n, "code", std::string(code));
    if (!problem.field.empty()) {
      addText(n, "champ", problem.field);
    }
    addText(n, "message", problem.message);
  }
  return saml::serialize(doc.get());
}

}  // namespace garde::connectors::subscriptions
