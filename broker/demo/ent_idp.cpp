// The demo ENT: a SAML IdP with a login page listing the demo accounts, and a médiacentre portal
// whose tiles start launches at the broker. It plays the school's portal so that the demo runs with
// nothing but the garde binary.

#include <libxml/tree.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <stdexcept>

#include "broker/demo/demo_data.h"
#include "broker/demo/demo_users.h"
#include "broker/demo/html.h"
#include "broker/demo/peers.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/random.h"
#include "core/time.h"
#include "saml/binding/redirect.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/signature.h"
#include "saml/xml.h"
#include "store/demo_data.h"

namespace garde::broker::demo {
namespace {

constexpr core::Logger kLog("broker.demo.ent");

/// The ENT session: the chosen account's identifier (checked against the demo accounts on read).
constexpr const char* kSessionCookie = "garde_demo_ent";
constexpr std::int64_t kAssertionLifetime = 300;
constexpr std::int64_t kSessionLifetime = 8 * 3600;
/// The ENT's metadata says WantAuthnRequestsSigned="true", so an unsigned request is refused, as a
/// real ENT configured that way would.
constexpr bool kRequireSignedRequests = true;

/// A checked AuthnRequest from the broker, and what the answer needs.
struct PendingRequest {
  saml::AuthnRequest request;
  std::string relay_state;
  std::string acs_url;
  bool signed_request = false;
};

std::string_view rawQuery(const Request& req) {
  const auto q = req.target.find('?');
  return q == std::string::npos ? std::string_view() : std::string_view(req.target).substr(q + 1);
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// One resource of the médiacentre, as the broker's GAR JSON gives it.
struct Tile {
  std::string ark;
  std::string title;
  std::string publisher;
  std::string presentation;  ///< typePresentation.nom
  std::string gar_url;       ///< urlAccesRessource (the broker's /domaineGar link)
};

/// The tile's id on the page: "a", "a2", "b" for the demo's resources (the browser test clicks
/// them), "r<N>" for any other.
std::string tileKey(std::string_view ark, std::size_t index) {
  if (ark == store::demo::kResourceA) return "a";
  if (ark == store::demo::kResourceA2) return "a2";
  if (ark == store::demo::kResourceB) return "b";
  return "r" + std::to_string(index);
}

std::string jsonString(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

class EntIdp {
 public:
  EntIdp(const Router& router, const DemoSettings& settings, saml::Credential credential)
      : router_(router),
        settings_(settings),
        credential_(std::move(credential)),
        entity_id_(settings.base_url + kEntPath + "/idp"),
        sso_url_(settings.base_url + kEntPath + "/sso"),
        metadata_xml_(makeMetadata()) {}

  const std::string& entityId() const { return entity_id_; }
  const std::string& metadataXml() const { return metadata_xml_; }

  Response portal(const Request& req) const {
    std::string body;
    if (const DemoUser* user = sessionUser(req)) {
      body += "<p class=\"card\">Signed in at the ENT as <strong id=\"current-user\">" +
              htmlEscape(user->name) + "</strong> (" + htmlEscape(user->profile) + ", <code>" +
              htmlEscape(user->id) + "</code>). <a id=\"switch-user\" href=\"" + kEntPath +
              "/logout\">Switch user</a></p>\n";
    } else {
      body +=
          "<p class=\"card\">Not signed in yet: the ENT will ask who you are when you open a "
          "resource.</p>\n";
    }
    // The tiles are what the broker's médiacentre endpoint answers, asked as the ENT project:
    // for the signed-in account, or before sign-in for every demo account (what the school has).
    std::map<std::string, Tile> tiles;
    std::string failure;
    if (const DemoUser* user = sessionUser(req)) {
      failure = resourcesOf(user->id, tiles);
    } else {
      for (const DemoUser& u : demoUsers()) {
        if (failure.empty()) {
          failure = resourcesOf(u.id, tiles);
        }
      }
    }
    body +=
        "<p>Your médiacentre: the resources garde's médiacentre endpoint (<code>GET "
        "/ressources/" +
        std::string(store::demo::kEnt) + "/" + store::demo::kUai + "/{id}</code>) lists " +
        (sessionUser(req) != nullptr ? "for you" : "for the accounts of this school") +
        ". Each tile opens the resource through garde, which asks this ENT who you are and then "
        "tells the publisher only what its contract needs.</p>\n";
    if (!failure.empty()) {
      body +=
          "<p class=\"card\" id=\"mediacentre-error\">The médiacentre endpoint refused: <code>" +
          htmlEscape(failure) + "</code></p>\n";
    }
    body += "<div class=\"tiles\">\n";
    std::size_t index = 0;
    for (const auto& [ark, t] : tiles) {
      body += tile(tileKey(ark, ++index), t);
    }
    body += "</div>\n<p class=\"muted\"><a href=\"" + std::string(kDemoPath) +
            "/\">About this demo</a> · <a href=\"" + std::string(kEntPath) +
            "/idp\">ENT IdP metadata</a></p>";
    return htmlPage(200, Site::kEnt, "Médiacentre", body);
  }

  Response metadata(const Request&) const {
    Response res = Response::text(200, metadata_xml_);
    res.setHeader("Content-Type", "text/xml; charset=utf-8");
    res.setHeader("Cache-Control", "no-cache");
    return res;
  }

  Response sso(const Request& req) const {
    auto pending = readRequest(rawQuery(req));
    if (!pending) {
      return requestError(pending.error());
    }
    const DemoUser* user = sessionUser(req);
    if (user != nullptr && !pending->request.force_authn) {
      // The ENT already knows the user: answer at once, so the launch is invisible.
      return answer(*pending, *user, false);
    }
    if (pending->request.is_passive) {
      return passiveFailure(*pending);
    }
    return loginPage(*pending, rawQuery(req));
  }

  Response login(const Request& req) const {
    const std::string* query = req.formField("saml_query");
    const std::string* user_id = req.formField("user");
    if (query == nullptr || user_id == nullptr) {
      return htmlPage(400, Site::kEnt, "Nothing to sign in to",
                      "<p>This form needs a pending request from the broker. Start from the <a "
                      "href=\"" +
                          std::string(kEntPath) + "/\">médiacentre</a>.</p>");
    }
    auto pending = readRequest(*query);
    if (!pending) {
      return requestError(pending.error());
    }
    const DemoUser* user = findDemoUser(*user_id);
    if (user == nullptr) {
      return htmlPage(400, Site::kEnt, "Unknown account",
                      "<p>Pick one of the demo accounts listed on the login page.</p>");
    }
    return answer(*pending, *user, true);
  }

  Response logout(const Request&) const {
    Response res = Response::redirect(std::string(kEntPath) + "/");
    res.cookies.push_back(sessionCookie("", 0));
    return res;
  }

 private:
  std::string makeMetadata() const {
    saml::EntityDescriptor e;
    e.entity_id = entity_id_;
    saml::IdpSsoDescriptor idp;
    idp.keys.push_back({saml::KeyUse::kSigning, credential_.cert, {}});
    idp.name_id_formats = {std::string(saml::name_id_format::kPersistent),
                           std::string(saml::name_id_format::kUnspecified)};
    idp.want_authn_requests_signed = kRequireSignedRequests;
    idp.sso.push_back({std::string(saml::binding::kHttpRedirect), sso_url_, "", {}, {}});
    e.idp = std::move(idp);
    auto doc = saml::generateMetadata(e);
    if (!doc) {
      throw std::runtime_error("demo ENT metadata: " + doc.error().describe());
    }
    return saml::serialize(doc->get());
  }

  SetCookie sessionCookie(std::string value, std::int64_t max_age) const {
    SetCookie c;
    c.name = kSessionCookie;
    c.value = std::move(value);
    c.path = kEntPath;
    c.max_age = max_age;
    return c;
  }

  const DemoUser* sessionUser(const Request& req) const {
    const std::string* id = req.cookie(kSessionCookie);
    return id == nullptr ? nullptr : findDemoUser(*id);
  }

  /// Adds the resources the broker's médiacentre lists for `id` to `tiles`; "" or what failed.
  std::string resourcesOf(std::string_view id, std::map<std::string, Tile>& tiles) const {
    if (!settings_.ent_client_cert) {
      return "no client certificate for the ENT project";
    }
    Request req = partnerRequest(*settings_.ent_client_cert, "GET",
                                 std::string("/ressources/") + store::demo::kEnt + "/" +
                                     store::demo::kUai + "/" + core::urlEncode(id));
    req.headers.emplace("accept", "application/json");
    req.request_id = "demo-ent-mediacentre";
    const Response answer = router_.dispatch(req);
    if (answer.status != 200) {
      return "HTTP " + std::to_string(answer.status);
    }
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(answer.body, ec);
    const boost::json::value* list = nullptr;
    if (!ec && doc.is_object()) {
      if (const auto* l = doc.as_object().if_contains("listeRessources"); l && l->is_object()) {
        list = l->as_object().if_contains("ressource");
      }
    }
    if (list == nullptr || !list->is_array()) {
      return "an answer that is not the GAR's JSON";
    }
    for (const auto& entry : list->as_array()) {
      if (!entry.is_object()) {
        continue;
      }
      const auto& o = entry.as_object();
      Tile t;
      t.ark = jsonString(o, "idRessource");
      t.title = jsonString(o, "nomRessource");
      t.publisher = jsonString(o, "nomEditeur");
      t.gar_url = jsonString(o, "urlAccesRessource");
      if (const auto* p = o.if_contains("typePresentation"); p && p->is_object()) {
        t.presentation = jsonString(p->as_object(), "nom");
      }
      if (!t.ark.empty()) {
        tiles.emplace(t.ark, std::move(t));
      }
    }
    return {};
  }

  std::string tile(const std::string& k, const Tile& t) const {
    const std::string launch = settings_.base_url + "/launch/" + core::urlEncode(t.ark) +
                               "?ent=" + store::demo::kEnt + "&uai=" + store::demo::kUai;
    return "<section class=\"card tile\" id=\"tile-" + k + "\">\n<h2><a id=\"launch-" + k +
           "\" href=\"" + htmlEscape(launch) + "\">" + htmlEscape(t.title) +
           "</a></h2>\n<p class=\"muted\">" + htmlEscape(t.publisher) + " · <code>" +
           htmlEscape(t.ark) + "</code></p>\n<p>" + htmlEscape(t.presentation) +
           "</p>\n<p class=\"muted\">Same launch through the GAR's form: <a id=\"gar-" + k +
           "\" href=\"" + htmlEscape(t.gar_url) + "\">/domaineGar</a></p>\n</section>\n";
  }

  /// Decodes and checks the broker's AuthnRequest: query signature with the broker's key, Issuer
  /// = the broker's SP, Destination = our SSO URL, ACS on the broker's own origin.
  core::Result<PendingRequest> readRequest(std::string_view raw_query) const {
    auto message = saml::decodeRedirect(raw_query);
    if (!message) {
      return core::fail(std::move(message).error());
    }
    if (!message->is_request) {
      return core::fail(core::ErrorCode::kBadRequest, "expected a SAMLRequest, got a SAMLResponse");
    }
    PendingRequest out;
    if (message->hasRedirectSignature()) {
      GARDE_TRY(saml::verifyRedirectSignature(*message, {settings_.broker_signing_cert}));
      out.signed_request = true;
    } else if (kRequireSignedRequests) {
      return core::fail(core::ErrorCode::kSignatureMissing,
                        "the AuthnRequest is not signed (this ENT's metadata says "
                        "WantAuthnRequestsSigned=\"true\")");
    }
    auto doc = saml::parseUntrusted(message->xml);
    if (!doc) {
      return core::fail(std::move(doc).error());
    }
    auto request = saml::parseAuthnRequest(xmlDocGetRootElement(doc->get()));
    if (!request) {
      return core::fail(std::move(request).error());
    }
    if (request->issuer != settings_.broker_sp_entity_id) {
      return core::fail(core::ErrorCode::kUnknownPeer,
                        "the AuthnRequest's Issuer is not the broker's SP entity id");
    }
    if (request->destination && *request->destination != sso_url_) {
      return core::fail(core::ErrorCode::kDestinationMismatch,
                        "the AuthnRequest's Destination is not this ENT's SSO URL");
    }
    if (!request->protocol_binding.empty() &&
        request->protocol_binding != saml::binding::kHttpPost) {
      return core::fail(core::ErrorCode::kBadRequest, "only the HTTP-POST binding is answered");
    }
    // A real IdP takes the ACS from the SP's metadata; the demo knows the broker is on this origin.
    out.acs_url = request->assertion_consumer_service_url.empty()
                      ? settings_.base_url + "/saml/sp/acs"
                      : request->assertion_consumer_service_url;
    if (!startsWith(out.acs_url, settings_.base_url + "/")) {
      return core::fail(core::ErrorCode::kBadRequest,
                        "the AssertionConsumerServiceURL is not on the broker's origin");
    }
    out.relay_state = message->relay_state.value_or("");
    out.request = std::move(request).value();
    return out;
  }

  Response requestError(const core::Error& error) const {
    kLog.warn("refused an AuthnRequest", {{"reason", core::errorCodeName(error.code)}});
    return htmlPage(400, Site::kEnt, "The ENT refused this request",
                    "<p>The demo ENT could not accept the broker's AuthnRequest.</p>\n<p><code>" +
                        htmlEscape(error.describe()) + "</code></p>\n<p><a href=\"" +
                        std::string(kEntPath) + "/\">Back to the médiacentre</a></p>");
  }

  Response loginPage(const PendingRequest& pending, std::string_view raw_query) const {
    std::string body =
        "<p>garde is asking this ENT who you are, on behalf of a resource. Pick a demo account "
        "(no password in the demo); the ENT will remember it for the next launches.</p>\n";
    body +=
        "<p class=\"muted\">AuthnRequest <code>" + htmlEscape(pending.request.id) +
        "</code> from <code>" + htmlEscape(pending.request.issuer) + "</code>, " +
        (pending.signed_request ? "query signature verified with the broker's key" : "unsigned") +
        ".</p>\n";
    body += "<form method=\"post\" action=\"" + std::string(kEntPath) +
            "/login\">\n<input type=\"hidden\" name=\"saml_query\" value=\"" +
            htmlEscape(raw_query) + "\">\n<div class=\"users\">\n";
    for (const DemoUser& u : demoUsers()) {
      body += "<button type=\"submit\" name=\"user\" value=\"" + htmlEscape(u.id) +
              "\" id=\"user-" + htmlEscape(u.id) + "\"><strong>" + htmlEscape(u.name) +
              "</strong> · " + htmlEscape(u.profile) + "<small><code>" + htmlEscape(u.id) +
              "</code> · " + htmlEscape(u.note) + "</small></button>\n";
    }
    body += "</div>\n</form>";
    return htmlPage(200, Site::kEnt, "Sign in to the ENT", body);
  }

  /// Signs a Response for `user` (the Assertion signed, SAML2 Profiles 4.1.3.5) and answers with
  /// the POST form to the broker's ACS.
  Response answer(const PendingRequest& pending, const DemoUser& user, bool set_session) const {
    const core::UnixTime now = core::systemNow();
    core::Random& random = core::systemRandom();
    const auto& request = pending.request;

    saml::Assertion a;
    a.id = random.newId();
    a.issue_instant = now;
    a.issuer = entity_id_;
    saml::NameID name_id;
    name_id.value = std::string(user.id);
    const bool persistent = request.name_id_policy &&
                            request.name_id_policy->format == saml::name_id_format::kPersistent;
    name_id.format = std::string(persistent ? saml::name_id_format::kPersistent
                                            : saml::name_id_format::kUnspecified);
    saml::SubjectConfirmationData scd;
    scd.not_on_or_after = now + kAssertionLifetime;
    scd.recipient = pending.acs_url;
    scd.in_response_to = request.id;
    saml::SubjectConfirmation confirmation;
    confirmation.data = scd;
    a.subject = saml::Subject{name_id, {confirmation}};
    saml::Conditions conditions;
    conditions.not_before = now - 60;
    conditions.not_on_or_after = now + kAssertionLifetime;
    conditions.audience_restrictions = {{request.issuer}};
    a.conditions = conditions;
    saml::AuthnStatement statement;
    statement.authn_instant = now;
    statement.session_index = random.newId();
    statement.authn_context_class_ref =
        std::string(saml::authn_context::kPasswordProtectedTransport);
    a.authn_statements.push_back(statement);

    saml::Response r;
    r.id = random.newId();
    r.in_response_to = request.id;
    r.issue_instant = now;
    r.destination = pending.acs_url;
    r.issuer = entity_id_;

    auto doc = saml::buildResponse(r, {a});
    if (!doc) {
      throw std::runtime_error("demo ENT: building a Response: " + doc.error().describe());
    }
    xmlNode* root = xmlDocGetRootElement(doc->get());
    const auto assertions = saml::childElements(root, saml::ns::kAssertion, "Assertion");
    if (auto signed_ok = saml::signElement(assertions.at(0), credential_); !signed_ok) {
      throw std::runtime_error("demo ENT: signing: " + signed_ok.error().describe());
    }
    kLog.info("answered an AuthnRequest", {{"request_id", request.id}});
    Response res =
        postFormResponse(saml::serialize(doc->get()), pending.acs_url, pending.relay_state, false);
    if (set_session) {
      res.cookies.push_back(sessionCookie(std::string(user.id), kSessionLifetime));
    }
    return res;
  }

  /// IsPassive and nobody signed in: a signed Response with Responder/NoPassive (SAML2 Core 3.4.1).
  Response passiveFailure(const PendingRequest& pending) const {
    core::Random& random = core::systemRandom();
    saml::Response r;
    r.id = random.newId();
    r.in_response_to = pending.request.id;
    r.issue_instant = core::systemNow();
    r.destination = pending.acs_url;
    r.issuer = entity_id_;
    r.status.code = std::string(saml::status_code::kResponder);
    r.status.sub_code = std::string(saml::status_code::kNoPassive);
    auto doc = saml::buildResponse(r);
    if (!doc) {
      throw std::runtime_error("demo ENT: building a Response: " + doc.error().describe());
    }
    if (auto s = saml::signElement(xmlDocGetRootElement(doc->get()), credential_); !s) {
      throw std::runtime_error("demo ENT: signing: " + s.error().describe());
    }
    return postFormResponse(saml::serialize(doc->get()), pending.acs_url, pending.relay_state,
                            false);
  }

  const Router& router_;
  DemoSettings settings_;
  saml::Credential credential_;
  std::string entity_id_;
  std::string sso_url_;
  std::string metadata_xml_;
};

}  // namespace

MountedPeer mountEntIdp(Router& router, const DemoSettings& settings, saml::Credential credential) {
  auto idp = std::make_shared<const EntIdp>(router, settings, std::move(credential));
  const std::string p = kEntPath;
  router.get(p, CallerAuth::kNone,
             [](const Request&) { return Response::redirect(std::string(kEntPath) + "/"); });
  router.get(p + "/", CallerAuth::kNone, [idp](const Request& r) { return idp->portal(r); });
  router.get(p + "/idp", CallerAuth::kNone, [idp](const Request& r) { return idp->metadata(r); });
  router.get(p + "/sso", CallerAuth::kNone, [idp](const Request& r) { return idp->sso(r); });
  router.post(p + "/login", CallerAuth::kNone, [idp](const Request& r) { return idp->login(r); });
  router.get(p + "/logout", CallerAuth::kNone, [idp](const Request& r) { return idp->logout(r); });
  return {idp->entityId(), idp->metadataXml(), settings.base_url + kEntPath};
}

}  // namespace garde::broker::demo
