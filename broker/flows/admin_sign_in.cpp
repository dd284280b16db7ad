// GET /admin/login?ent=: an establishment's assignment manager signs in to garde through their ENT
// (garde is already the ENT's SP). The ACS, seeing an admin_login transaction, opens an admin
// session for the person when the directory names them an assignment manager somewhere
// (docs/admin-session.md), then goes on to the console at /admin/ (broker/console/). POST
// /admin/logout ends any admin session.

#include "broker/flows/admin_sign_in.h"

#include "broker/flows/internal.h"
#include "broker/flows/pages.h"
#include "store/assignments.h"

namespace garde::broker::flows {
namespace {

constexpr core::Logger kLog("flows.admin");

Response page(int status, const std::string& title, const std::string& body_html,
              const std::string& refresh_to = {}) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
      "<meta name=\"referrer\" content=\"no-referrer\">";
  if (!refresh_to.empty()) {
    // A navigation of our own page, so that the SameSite=Strict session cookie goes with it (the
    // redirect chain of the ENT's cross-site POST would not carry it).
    out += "<meta http-equiv=\"refresh\" content=\"0;url=" + htmlEscape(refresh_to) + "\">";
  }
  out += "<title>" + htmlEscape(title) +
         "</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;"
         "padding:0 1rem;line-height:1.5}</style></head><body><h1>" +
         htmlEscape(title) + "</h1>" + body_html + "</body></html>\n";
  Response r = Response::html(status, std::move(out));
  r.setHeader("Content-Security-Policy", std::string(kPageCsp));
  r.setHeader("Cache-Control", "no-store");
  return r;
}

void auditAdmin(AuditSink& audit, const Request& req, const std::string& actor,
                std::string_view action, std::string_view outcome, const std::string& ent_id,
                core::UnixTime now) {
  store::AuditRecord r;
  r.at = now;
  r.kind = "admin";
  r.correlation_id = req.request_id;
  r.ent_id = ent_id;
  r.outcome = std::string(outcome);
  r.reason = std::string(action);
  r.actor = actor;
  if (auto w = audit.write(r); !w) {
    kLog.error("audit record not written",
               {{"request_id", req.request_id}, {"error", w.error().describe()}});
  }
}

}  // namespace

std::string managerId(std::string_view ent_id, std::string_view person_id) {
  return std::string(ent_id) + " " + std::string(person_id);
}

std::optional<std::pair<std::string, std::string>> splitManagerId(std::string_view id) {
  const std::size_t space = id.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == id.size()) {
    return std::nullopt;
  }
  return std::pair{std::string(id.substr(0, space)), std::string(id.substr(space + 1))};
}

Response handleAdminLogin(const Request& req, const AdminLoginDeps& deps) {
  std::string ent_id;
  if (auto it = req.query.find("ent"); it != req.query.end()) {
    ent_id = it->second;
  } else if (deps.ent_leg.ents->all().size() == 1) {
    ent_id = deps.ent_leg.ents->all().front().ent_id;
  }
  if (ent_id.empty()) {
    std::string list = "<p>Connectez-vous par l'ENT de votre établissement :</p><ul>";
    for (const auto& ent : deps.ent_leg.ents->all()) {
      list += "<li><a href=\"/admin/login?ent=" + htmlEscape(core::urlEncode(ent.ent_id, true)) +
              "\">" + htmlEscape(ent.name.empty() ? ent.ent_id : ent.name) + "</a></li>";
    }
    return page(200, "Connexion à garde", list + "</ul>");
  }
  SsoTransaction tx;
  tx.ent_id = ent_id;
  tx.admin_login = true;
  return detail::startEntLeg(req, deps.refusals, deps.ent_leg, std::move(tx));
}

Response finishAdminSignIn(const Request& req, const AcsDeps& deps, const SsoTransaction& tx,
                           const core::Result<connectors::ent::EntIdentity>& identity,
                           core::UnixTime now) {
  if (!identity) {
    return detail::refuse(req, deps.refusals, kLog, identity.error());
  }
  std::vector<std::string> managed;
  {
    auto lease = deps.db.acquire();
    if (!lease) {
      return detail::refuse(req, deps.refusals, kLog, lease.error());
    }
    auto found = store::managedEstablishments(lease->db(), tx.ent_id, identity->person_id);
    if (!found) {
      return detail::refuse(req, deps.refusals, kLog, found.error());
    }
    managed = std::move(found).value();
  }
  const std::string id = managerId(tx.ent_id, identity->person_id);
  if (managed.empty() || deps.admin_sessions == nullptr) {
    auditAdmin(deps.audit, req, id, "sign_in", "failed", tx.ent_id, now);
    deps.metrics.decision("refused", "not_assignment_manager");
    kLog.warn("admin sign-in refused: not an assignment manager",
              {{"request_id", req.request_id}, {"ent", tx.ent_id}});
    return page(403, "Accès impossible",
                "<p>Votre ENT vous a bien authentifié, mais vous n'êtes responsable d'affectation "
                "d'aucun établissement dans l'annuaire transmis par votre ENT.</p><p>Numéro de "
                "suivi : " +
                    htmlEscape(req.request_id) + "</p>");
  }
  auto [cookie, session] =
      deps.admin_sessions->open(req, Caller{id, Caller::Kind::kAssignmentManager});
  auditAdmin(deps.audit, req, id, "sign_in", "done", tx.ent_id, now);
  kLog.info("admin session opened", {{"request_id", req.request_id},
                                     {"ent", tx.ent_id},
                                     {"establishments", std::to_string(managed.size())}});
  Response r =
      page(200, "Connexion réussie",
           "<p><a href=\"/admin/\">Continuer vers l'espace d'affectation</a></p>", "/admin/");
  r.cookies.push_back(std::move(cookie));
  return r;
}

Response handleAdminLogout(const Request& req, const AdminHomeDeps& deps) {
  Response r = page(200, "Déconnecté", "<p>Vous êtes déconnecté.</p>");
  r.cookies.push_back(deps.sessions.closing(req));
  return r;
}

void mountAdminSignIn(Router& router, const AdminLoginDeps& login, const AdminHomeDeps& home) {
  router.get("/admin/login", CallerAuth::kNone,
             [login](const Request& r) { return handleAdminLogin(r, login); });
  router.post("/admin/logout", CallerAuth::kAdminSession,
              [home](const Request& r) { return handleAdminLogout(r, home); });
}

}  // namespace garde::broker::flows
