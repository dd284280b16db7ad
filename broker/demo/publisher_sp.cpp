// The demo publishers: SAML SPs whose pages show exactly what garde released to them. Publisher A
// is launched by bounce (its /login sends an AuthnRequest) and publishes an encryption key;
// publisher B is launched directly (it accepts unsolicited Responses).

#include <libxml/tree.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "broker/demo/demo_users.h"
#include "broker/demo/html.h"
#include "broker/demo/peers.h"
#include "core/log.h"
#include "core/random.h"
#include "core/time.h"
#include "saml/binding/post.h"
#include "saml/binding/redirect.h"
#include "saml/messages.h"
#include "saml/metadata.h"
#include "saml/replay_cache.h"
#include "saml/signature.h"
#include "saml/validate.h"
#include "saml/xml.h"

namespace garde::broker::demo {
namespace {

constexpr core::Logger kLog("broker.demo.publisher");
constexpr std::size_t kMaxSessions = 1000;
constexpr std::int64_t kRequestCookieLifetime = 600;

/// What a publisher received in one validated Response: the whole of it, for its page.
struct Received {
  std::string name_id;
  std::string name_id_format;
  std::vector<saml::Attribute> attributes;
  std::string issuer;
  std::optional<std::string> in_response_to;
  std::string relay_state;
  bool response_signed = false;
  bool assertion_signed = false;
  bool assertion_encrypted = false;
};

/// Demo SP sessions, in memory, bounded (the oldest is forgotten first). Thread-safe.
class Sessions {
 public:
  std::string add(Received received) {
    std::string id = core::systemRandom().newId();
    std::lock_guard lock(mutex_);
    if (order_.size() >= kMaxSessions) {
      sessions_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(id);
    sessions_.emplace(id, std::make_shared<const Received>(std::move(received)));
    return id;
  }
  std::shared_ptr<const Received> find(std::string_view id) const {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Received>, std::less<>> sessions_;
  std::deque<std::string> order_;
};

std::string yesNo(bool v) {
  return v ? "<span class=\"ok\">yes</span>" : "<span class=\"muted\">no</span>";
}

class PublisherSp {
 public:
  PublisherSp(const DemoSettings& settings, PublisherKind kind, saml::Credential credential)
      : settings_(settings),
        kind_(kind),
        credential_(std::move(credential)),
        path_(kind == PublisherKind::kA ? kPublisherAPath : kPublisherBPath),
        base_url_(settings.base_url + path_),
        entity_id_(base_url_ + "/metadata"),
        acs_url_(base_url_ + "/acs"),
        resource_url_(base_url_ + "/resource"),
        name_(kind == PublisherKind::kA ? "Éditions Démo A" : "Outils Démo B"),
        request_cookie_(kind == PublisherKind::kA ? "garde_demo_pa_request"
                                                  : "garde_demo_pb_request"),
        session_cookie_(kind == PublisherKind::kA ? "garde_demo_pa" : "garde_demo_pb"),
        metadata_xml_(makeMetadata()) {}

  const std::string& path() const { return path_; }
  MountedPeer mounted() const { return {entity_id_, metadata_xml_, base_url_}; }

  /// Publisher-initiated SSO: an AuthnRequest (Redirect binding, signed) to the broker's IdP, with
  /// RelayState = the resource URL; the request ID is kept in a cookie for the ACS.
  Response login(const Request&) const {
    saml::AuthnRequest request;
    request.id = core::systemRandom().newId();
    request.issue_instant = core::systemNow();
    const std::string sso_url = settings_.base_url + "/saml/idp/sso";
    request.destination = sso_url;
    request.issuer = entity_id_;
    request.assertion_consumer_service_url = acs_url_;
    request.protocol_binding = std::string(saml::binding::kHttpPost);
    auto doc = saml::buildAuthnRequest(request);
    if (!doc) {
      throw std::runtime_error("demo publisher: building an AuthnRequest: " +
                               doc.error().describe());
    }
    auto location = saml::encodeRedirect(saml::serialize(doc->get()), sso_url, resource_url_, true,
                                         &credential_, saml::defaultAlgorithm(credential_.key));
    if (!location) {
      throw std::runtime_error("demo publisher: encoding an AuthnRequest: " +
                               location.error().describe());
    }
    Response res = Response::redirect(std::move(location).value());
    res.cookies.push_back(cookie(request_cookie_, request.id, kRequestCookieLifetime));
    return res;
  }

  Response acs(const Request& req) const {
    auto message = saml::decodePostBody(req.body);
    if (!message) {
      return rejected(message.error());
    }
    if (message->is_request) {
      return rejected({core::ErrorCode::kBadRequest, "expected a SAMLResponse"});
    }
    auto doc = saml::parseUntrusted(message->xml);
    if (!doc) {
      return rejected(doc.error());
    }
    saml::ResponseExpectation expect;
    expect.trusted_certificates = {settings_.broker_signing_cert};
    expect.idp_entity_id = settings_.broker_idp_entity_id;
    expect.sp_entity_id = entity_id_;
    expect.acs_url = acs_url_;
    if (const std::string* id = req.cookie(request_cookie_)) {
      expect.request_id = *id;
    }
    // Publisher B is launched directly: garde posts Responses nobody asked for (IdP-initiated).
    expect.allow_unsolicited = kind_ == PublisherKind::kB;
    expect.now = core::systemNow();
    expect.decryption_keys = {credential_.key};
    expect.replay_cache = &replay_cache_;
    // A direct launch after a /login that was never answered: the stale request id must not make
    // the unsolicited Response fail.
    auto validated = saml::validateResponse(doc->get(), expect);
    if (!validated && expect.request_id && expect.allow_unsolicited &&
        validated.error().code == core::ErrorCode::kInResponseToMismatch) {
      expect.request_id.reset();
      validated = saml::validateResponse(doc->get(), expect);
    }
    if (!validated) {
      if (validated.error().code == core::ErrorCode::kStatusNotSuccess &&
          !signedByBroker(xmlDocGetRootElement(doc->get()))) {
        // validateResponse reads the status before any assertion check; an error status is news
        // from garde only when garde signed it (as it does: there is no signed assertion then).
        return rejected({core::ErrorCode::kSignatureMissing,
                         "an error status in a Response garde did not sign is not trusted"});
      }
      return rejected(validated.error());
    }

    Received r;
    const auto& a = validated->assertion;
    if (a.subject && a.subject->name_id) {
      r.name_id = a.subject->name_id->value;
      r.name_id_format = a.subject->name_id->format;
    }
    r.attributes = a.attributes;
    r.issuer = a.issuer;
    r.in_response_to = validated->response.in_response_to;
    r.relay_state = message->relay_state.value_or("");
    r.response_signed = validated->response_signed;
    r.assertion_signed = validated->assertion_signed;
    r.assertion_encrypted = validated->assertion_encrypted;
    kLog.info("accepted a Response", {{"sp", entity_id_}, {"response_id", validated->response.id}});

    std::string body =
        "<p class=\"card\">Signed in at <strong>" + htmlEscape(name_) +
        "</strong>. garde sent this publisher exactly what follows, and nothing else about "
        "you.</p>\n";
    body += receivedHtml(r);
    body += "<p><a id=\"continue\" href=\"" + htmlEscape(resource_url_) +
            "\">Continue to the resource</a> · <a href=\"" + settings_.base_url + kEntPath +
            "/\">Back to the ENT's médiacentre</a></p>";
    Response res = htmlPage(200, site(), "What " + name_ + " received", body);
    res.cookies.push_back(cookie(session_cookie_, sessions_.add(std::move(r)), std::nullopt));
    if (expect.request_id) {
      res.cookies.push_back(cookie(request_cookie_, "", 0));
    }
    return res;
  }

  Response resource(const Request& req) const {
    std::shared_ptr<const Received> r;
    if (const std::string* id = req.cookie(session_cookie_)) {
      r = sessions_.find(*id);
    }
    if (!r) {
      return htmlPage(
          200, site(), name_ + ": the resource",
          "<p class=\"card\" id=\"signed-out\">Not signed in.</p>\n<p>Open this resource from "
          "the <a href=\"" +
              settings_.base_url + kEntPath + "/\">ENT's médiacentre</a>, or <a href=\"" + path_ +
              "/login\">sign in through garde</a>.</p>");
    }
    std::string body = "<p class=\"card\" id=\"signed-in\">Signed in as <code>" +
                       htmlEscape(r->name_id) +
                       "</code>: the pseudonym garde gives you at this publisher.</p>\n";
    body += receivedHtml(*r);
    body += "<p><a href=\"" + settings_.base_url + kEntPath +
            "/\">Back to the ENT's médiacentre</a></p>";
    return htmlPage(200, site(), name_ + ": the resource", body);
  }

  Response metadata(const Request&) const {
    Response res = Response::text(200, metadata_xml_);
    res.setHeader("Content-Type", "text/xml; charset=utf-8");
    res.setHeader("Cache-Control", "no-cache");
    return res;
  }

 private:
  bool signedByBroker(xmlNode* root) const {
    return saml::findSignature(root) != nullptr &&
           saml::verifyEnvelopedSignature(root, {settings_.broker_signing_cert}).has_value();
  }

  Site site() const { return kind_ == PublisherKind::kA ? Site::kPublisherA : Site::kPublisherB; }

  std::string makeMetadata() const {
    saml::EntityDescriptor e;
    e.entity_id = entity_id_;
    saml::SpSsoDescriptor sp;
    sp.keys.push_back({saml::KeyUse::kSigning, credential_.cert, {}});
    if (kind_ == PublisherKind::kA) {
      // So the demo shows encrypted assertions too (docs/adr/0003).
      sp.keys.push_back({saml::KeyUse::kEncryption, credential_.cert, {}});
    }
    sp.name_id_formats = {std::string(saml::name_id_format::kPersistent)};
    sp.authn_requests_signed = true;
    sp.want_assertions_signed = true;
    sp.acs.push_back({std::string(saml::binding::kHttpPost), acs_url_, "", 0, true});
    e.sp = std::move(sp);
    auto doc = saml::generateMetadata(e);
    if (!doc) {
      throw std::runtime_error("demo publisher metadata: " + doc.error().describe());
    }
    return saml::serialize(doc->get());
  }

  SetCookie cookie(std::string name, std::string value, std::optional<std::int64_t> max_age) const {
    SetCookie c;
    c.name = std::move(name);
    c.value = std::move(value);
    c.path = path_;
    c.max_age = max_age;
    return c;
  }

  std::string receivedHtml(const Received& r) const {
    std::string h =
        "<h2>Identifier (NameID)</h2>\n<table>\n<tr><th>NameID</th><td><code id=\"nameid\">" +
        htmlEscape(r.name_id) + "</code></td></tr>\n<tr><th>Format</th><td><code>" +
        htmlEscape(r.name_id_format) + "</code></td></tr>\n</table>\n";
    h += "<p class=\"muted\">A pseudonym: stable at this publisher, different at every other one, "
         "and not the identifier the ENT knows you by.</p>\n";
    h += "<h2>Attributes received (" + std::to_string(r.attributes.size()) +
         ")</h2>\n<table "
         "id=\"attributes\">\n<tr><th>Name</th><th>Meaning</th><th>Values</th></tr>\n";
    for (const auto& attr : r.attributes) {
      h += "<tr data-attribute=\"" + htmlEscape(attr.name) + "\"><td><code>" +
           htmlEscape(attr.name) + "</code></td><td>" + htmlEscape(attributeMeaning(attr.name)) +
           "</td><td>";
      for (std::size_t i = 0; i < attr.values.size(); ++i) {
        h += (i == 0 ? "" : "<br>") + std::string("<code class=\"value\">") +
             htmlEscape(attr.values[i]) + "</code>";
      }
      h += "</td></tr>\n";
    }
    h += "</table>\n<h2>Not received</h2>\n<p id=\"not-received\">";
    bool any_missing = false;
    for (const CatalogueAttribute& c : catalogue()) {
      const bool got = std::any_of(r.attributes.begin(), r.attributes.end(),
                                   [&](const saml::Attribute& a) { return a.name == c.code; });
      if (!got) {
        any_missing = true;
        h += "<span class=\"chip not\" data-missing=\"" + htmlEscape(c.code) + "\" title=\"" +
             htmlEscape(c.meaning) + "\">" + htmlEscape(c.code) + "</span> ";
      }
    }
    if (!any_missing) {
      h += "Every attribute of the catalogue was received.";
    }
    h += "</p>\n<p class=\"muted\">Attributes of the ministry's catalogue that garde did not "
         "release: not declared in this publisher's contract for your profile, or above the "
         "ministry's ceiling.</p>\n";
    h += "<h2>How it arrived</h2>\n<table>\n<tr><th>Issuer</th><td><code>" + htmlEscape(r.issuer) +
         "</code></td></tr>\n<tr><th>Launch</th><td>" +
         (r.in_response_to ? "answer to this publisher's AuthnRequest <code>" +
                                 htmlEscape(*r.in_response_to) + "</code>"
                           : std::string("unsolicited (direct launch)")) +
         "</td></tr>\n<tr><th>Assertion signed</th><td>" + yesNo(r.assertion_signed) +
         "</td></tr>\n<tr><th>Response signed</th><td>" + yesNo(r.response_signed) +
         "</td></tr>\n<tr><th>Assertion encrypted</th><td id=\"encrypted\">" +
         yesNo(r.assertion_encrypted) + "</td></tr>\n<tr><th>RelayState</th><td><code>" +
         htmlEscape(r.relay_state) + "</code></td></tr>\n</table>\n";
    return h;
  }

  Response rejected(const core::Error& error) const {
    kLog.warn("rejected a Response",
              {{"sp", entity_id_}, {"reason", core::errorCodeName(error.code)}});
    const bool refused = error.code == core::ErrorCode::kStatusNotSuccess;
    std::string body =
        refused ? "<p class=\"card\" id=\"refused\">garde answered with an error status: access "
                  "was refused, and nothing about you was sent.</p>\n"
                : "<p class=\"card\" id=\"rejected\">This publisher could not accept the "
                  "Response it received.</p>\n";
    body += "<p><code>" + htmlEscape(error.describe()) + "</code></p>\n<p><a href=\"" +
            settings_.base_url + kEntPath + "/\">Back to the ENT's médiacentre</a></p>";
    return htmlPage(refused ? 403 : 400, site(),
                    refused ? name_ + ": access refused" : name_ + ": Response rejected", body);
  }

  DemoSettings settings_;
  PublisherKind kind_;
  saml::Credential credential_;
  std::string path_;
  std::string base_url_;
  std::string entity_id_;
  std::string acs_url_;
  std::string resource_url_;
  std::string name_;
  std::string request_cookie_;
  std::string session_cookie_;
  std::string metadata_xml_;
  mutable saml::InMemoryReplayCache replay_cache_{10'000};
  mutable Sessions sessions_;
};

}  // namespace

MountedPeer mountPublisherSp(Router& router, const DemoSettings& settings, PublisherKind kind,
                             saml::Credential credential) {
  auto sp = std::make_shared<const PublisherSp>(settings, kind, std::move(credential));
  const std::string& p = sp->path();
  router.get(p, CallerAuth::kNone,
             [sp](const Request&) { return Response::redirect(sp->path() + "/resource"); });
  router.get(p + "/login", CallerAuth::kNone, [sp](const Request& r) { return sp->login(r); });
  router.post(p + "/acs", CallerAuth::kNone, [sp](const Request& r) { return sp->acs(r); });
  router.get(p + "/resource", CallerAuth::kNone,
             [sp](const Request& r) { return sp->resource(r); });
  router.get(p + "/metadata", CallerAuth::kNone,
             [sp](const Request& r) { return sp->metadata(r); });
  return sp->mounted();
}

}  // namespace garde::broker::demo
