#include "broker/flows/pages.h"

namespace garde::broker::flows {
namespace {

constexpr std::string_view kHead =
    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<meta name=\"referrer\" content=\"no-referrer\"><title>";
constexpr std::string_view kStyle =
    "</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;"
    "padding:0 1rem;line-height:1.5;color:#222}.id{font-family:monospace;color:#555}"
    "button{font-size:1rem;padding:.5rem 1rem}label{display:block;margin:.3rem 0}</style></head>"
    "<body>";

}  // namespace

std::string renderRefusal(const RefusalPage& p) {
  std::string out(kHead);
  out += "Accès impossible";
  out += kStyle;
  out += "<h1>Accès impossible</h1><p>";
  out += htmlEscape(p.message);
  out += "</p>";
  for (const auto& [lang, text] : p.notes) {
    out += "<p class=\"note\" lang=\"";
    out += htmlEscape(lang);
    out += "\">";
    out += htmlEscape(text);
    out += "</p>";
  }
  out += "<p>Si le problème persiste, contactez ";
  out += htmlEscape(p.contact);
  out += " en indiquant ce numéro de suivi :</p><p class=\"id\">";
  out += htmlEscape(p.correlation_id);
  out += "</p>";
  if (p.return_token) {
    out +=
        "<form method=\"post\" action=\"/saml/idp/return\"><input type=\"hidden\" name=\"t\" "
        "value=\"";
    out += htmlEscape(*p.return_token);
    out += "\"><button type=\"submit\">Revenir au site de la ressource</button></form>";
  }
  out += "</body></html>\n";
  return out;
}

std::string renderDiscovery(const DiscoveryPage& p) {
  std::string out(kHead);
  out += "Choisissez votre ENT";
  out += kStyle;
  out +=
      "<h1>Choisissez votre ENT</h1><p>Pour accéder à la ressource, indiquez l'espace numérique "
      "de travail par lequel vous vous connectez.</p>"
      "<form method=\"post\" action=\"/discovery\"><input type=\"hidden\" name=\"t\" value=\"";
  out += htmlEscape(p.pending_token);
  out += "\">";
  bool first = true;
  for (const auto& [id, name] : p.ents) {
    out += "<label><input type=\"radio\" name=\"ent\" value=\"";
    out += htmlEscape(id);
    out += first ? "\" checked> " : "\"> ";
    out += htmlEscape(name.empty() ? id : name);
    out += "</label>";
    first = false;
  }
  out +=
      "<label><input type=\"checkbox\" name=\"remember\" value=\"1\" checked> Se souvenir de mon "
      "choix sur cet appareil</label><p><button type=\"submit\">Continuer</button></p></form>"
      "<p class=\"id\">";
  out += htmlEscape(p.correlation_id);
  out += "</p></body></html>\n";
  return out;
}

std::string renderResourceChoice(const ResourceChoicePage& p) {
  std::string out(kHead);
  out += "Choisissez la ressource";
  out += kStyle;
  out += "<h1>Choisissez la ressource</h1><p>";
  out += htmlEscape(p.publisher_name);
  out +=
      " propose plusieurs ressources auxquelles vous avez accès. Laquelle voulez-vous ouvrir ?</p>"
      "<form method=\"post\" action=\"/saml/idp/choose\"><input type=\"hidden\" name=\"t\" "
      "value=\"";
  out += htmlEscape(p.choice_token);
  out += "\">";
  bool first = true;
  for (const auto& [id, title] : p.resources) {
    out += "<label><input type=\"radio\" name=\"resource\" value=\"";
    out += htmlEscape(id);
    out += first ? "\" checked> " : "\"> ";
    out += htmlEscape(title.empty() ? id : title);
    out += "</label>";
    first = false;
  }
  out +=
      "<p><button type=\"submit\">Ouvrir</button></p></form>"
      "<form method=\"post\" action=\"/saml/idp/return\"><input type=\"hidden\" name=\"t\" "
      "value=\"";
  out += htmlEscape(p.return_token);
  out += "\"><button type=\"submit\">Annuler et revenir au site</button></form><p class=\"id\">";
  out += htmlEscape(p.correlation_id);
  out += "</p></body></html>\n";
  return out;
}

namespace {

void nameList(std::string& out, const std::vector<std::string>& names) {
  out += "<ul>";
  for (const std::string& n : names) {
    out += "<li>";
    out += htmlEscape(n);
    out += "</li>";
  }
  out += "</ul>";
}

}  // namespace

std::string renderLogoutEnd(const LogoutEndPage& p) {
  std::string out(kHead);
  out += "Déconnexion";
  out += kStyle;
  out += "<h1>Déconnexion</h1>";
  if (!p.logged_out.empty()) {
    out += "<p>Vous êtes déconnecté·e de :</p>";
    nameList(out, p.logged_out);
  }
  if (!p.skipped.empty()) {
    out +=
        "<p><strong>Ces sites ne permettent pas la déconnexion unique : vous y êtes peut-être "
        "encore connecté·e. Fermez votre navigateur pour terminer votre session.</strong></p>";
    nameList(out, p.skipped);
    out +=
        "<p lang=\"en\">These sites do not support single logout: you may still be signed in "
        "there. Close your browser to end your session.</p>";
  }
  if (!p.failed.empty()) {
    out +=
        "<p><strong>La déconnexion de ces sites a échoué : fermez votre navigateur pour terminer "
        "votre session.</strong></p>";
    nameList(out, p.failed);
    out +=
        "<p lang=\"en\">Logging out of these sites failed: close your browser to end your "
        "session.</p>";
  }
  if (!p.continue_url.empty()) {
    out += "<p><a href=\"";
    out += htmlEscape(p.continue_url);
    out += "\">Continuer</a></p>";
  } else if (!p.form_action.empty()) {
    out += "<form method=\"post\" action=\"";
    out += htmlEscape(p.form_action);
    out += "\"><input type=\"hidden\" name=\"";
    out += htmlEscape(p.form_field);
    out += "\" value=\"";
    out += htmlEscape(p.form_value);
    out += "\">";
    if (!p.form_relay_state.empty()) {
      out += "<input type=\"hidden\" name=\"RelayState\" value=\"";
      out += htmlEscape(p.form_relay_state);
      out += "\">";
    }
    out += "<button type=\"submit\">Continuer</button></form>";
  }
  out += "<p class=\"id\">";
  out += htmlEscape(p.correlation_id);
  out += "</p></body></html>\n";
  return out;
}

}  // namespace garde::broker::flows
