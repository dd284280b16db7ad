"""End to end, over HTTP: SAML single logout (front channel) through garde between a pysaml2 ENT
IdP and two pysaml2 publisher SPs (tests/e2e/e2e_common.py sets them up; here each peer also
declares a SingleLogoutService, HTTP-Redirect, at its /slo, served with pysaml2).

pysaml2 7.0.1 does not check the query signature of a Redirect-binding logout message itself, so
each peer's /slo checks it with sigver.verify_redirect_signature against the sender's certificate
from the metadata it loaded (as the ENT's /sso of e2e_common does), and refuses (403) on failure;
a check shows that a tampered signature is refused there.

- ENT-initiated: the user is logged into A then B through garde; the ENT's signed LogoutRequest
  (Redirect, query signature) to /saml/sp/slo makes garde send A, then B, a signed LogoutRequest
  naming the NameID and SessionIndex garde gave each; both answer a signed LogoutResponse and end
  their local session (pysaml2 identity cache); the ENT gets garde's signed LogoutResponse, Success;
  garde_session is cleared.
- Publisher-initiated: B's pysaml2 global_logout; A gets a LogoutRequest, the ENT gets one from
  garde's SP entity naming the NameID and SessionIndex it issued, and B gets garde's Success.
- A publisher without SingleLogoutService (B re-registered with metadata without it): the end page
  says in French that B does not support single logout, and its "Continuer" link brings the ENT a
  LogoutResponse with the PartialLogout sub-status.
- An unsigned (and a badly signed) LogoutRequest from the ENT is refused with the "Accès impossible"
  page, the log says why, and nothing reaches the publishers.
"""

import base64
import html
import json
import os
import re
import sys
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import b64, expect, free_port, tail, unb64, write  # noqa: E402
from e2e_common import (  # noqa: E402
    BINDING_HTTP_REDIRECT, PUPIL, RESOURCE_A, RESOURCE_B, Broker, Browser, EntIdp, Harness,
    PublisherSp, Reply, Suite, expect_refusal, forms, launch_url, redirect, redirect_params,
    saml2_metadata, sigver, xmldsig)
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID  # noqa: E402
from saml2.s_utils import status_message_factory  # noqa: E402
from saml2.samlp import STATUS_PARTIAL_LOGOUT, STATUS_SUCCESS, STATUS_UNKNOWN_PRINCIPAL  # noqa: E402

SHA256 = xmldsig.SIG_RSA_SHA256
DIGEST = xmldsig.DIGEST_SHA256
EVENTS = []  # (peer name, "request" | "response") for every message reaching a peer's /slo
_events_lock = threading.Lock()


def note(name, kind):
    with _events_lock:
        EVENTS.append((name, kind))


def cert_values(certs):
    return [c[1] if isinstance(c, tuple) else c for c in certs]


def redirect_signature_ok(params, certs):
    """The Redirect binding's query signature (SAML2 Bindings 3.4.4.1) verifies with one of
    `certs` (pysaml2's verify_redirect_signature); False when absent or wrong."""
    sig = {k: v for k, v in params.items()
           if k in ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature")}
    if "Signature" not in sig or "SigAlg" not in sig:
        return False
    for cert in certs:
        try:
            if sigver.verify_redirect_signature(sig, sigver.RSACrypto(None), cert=cert):
                return True
        except Exception:  # a bad base64 or key: not verified
            pass
    return False


def status_of(status):
    """(top-level StatusCode, second-level StatusCode or None) of a samlp.Status."""
    top = status.status_code
    return top.value, (top.status_code.value if top.status_code is not None else None)


def tampered(query):
    """The same Redirect query with one bit of its Signature flipped."""
    params = redirect_params(query)
    raw = bytearray(base64.b64decode(params["Signature"]))
    raw[len(raw) // 2] ^= 0x01
    params["Signature"] = b64(bytes(raw))
    return urllib.parse.urlencode(params)


# ---- Peers with a SingleLogoutService ----------------------------------------------------------


class SloPublisher(PublisherSp):
    """PublisherSp whose metadata declares a SingleLogoutService (HTTP-Redirect) at /slo (unless
    `slo` is False when the metadata is made), signing its logout messages (RSA-SHA256) and
    checking garde's. Records `slo_hits`: one dict per message reaching /slo."""

    def __init__(self, workdir, name, port, **kw):
        self.slo = True
        super().__init__(workdir, name, port, **kw)
        self.slo_url = f"{self.base}/slo"
        self.slo_hits = []
        self.http.routes[("GET", "/slo")] = self._slo

    def _config(self, broker=None):
        c = super()._config(broker)
        if self.slo:
            c._sp_endpoints["single_logout_service"] = [(f"{self.base}/slo", BINDING_HTTP_REDIRECT)]
        c._sp_logout_requests_signed = True
        c._sp_logout_responses_signed = True
        return c

    def _acs(self, req):
        reply = super()._acs(req)
        if reply.status == 200:
            with self._lock:
                rec = self.received[-1]
            nid = self.subject(rec["name_id"])
            rec["name_id_obj"] = nid
            info = self.client.users.get_info_from(nid, self._broker.idp_entity_id, False) if nid else None
            rec["session_index"] = (info or {}).get("session_index")
        return reply

    def subject(self, name_id_text):
        """The NameID of the pysaml2 identity cache for this value (None: no local session)."""
        for nid in self.client.users.subjects():
            if nid.text == name_id_text:
                return nid
        return None

    def broker_certs(self):
        return cert_values(self.client.metadata.certs(self._broker.idp_entity_id, "idpsso", "signing"))

    def _slo(self, req):
        params = redirect_params(req.query)
        kind = "request" if "SAMLRequest" in params else "response"
        hit = {"kind": kind, "query": req.query, "sig_alg": params.get("SigAlg"),
               "relay_state": params.get("RelayState"),
               "signature_ok": redirect_signature_ok(params, self.broker_certs())}
        with self._lock:
            self.slo_hits.append(hit)
        note(self.name, kind)
        if not hit["signature_ok"]:
            return Reply(403, f"{self.name}: the logout message's signature does not verify", "text/plain")
        if kind == "request":
            msg = self.client.parse_logout_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT).message
            hit.update(id=msg.id, issuer=msg.issuer.text if msg.issuer else None,
                       destination=msg.destination, name_id=msg.name_id.text,
                       name_id_format=msg.name_id.format,
                       session_indexes=[s.text for s in msg.session_index])
            local = self.subject(msg.name_id.text)
            hit["had_session"] = local is not None
            info = self.client.handle_logout_request(
                params["SAMLRequest"], local, BINDING_HTTP_REDIRECT, sign=True, sign_alg=SHA256,
                digest_alg=DIGEST, relay_state=params.get("RelayState", ""))
            hit["still_logged_in"] = self.subject(msg.name_id.text) is not None
            location = dict(info["headers"])["Location"]
            hit["answer"] = location
            return redirect(location)
        resp = self.client.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
        hit.update(issuer=resp.issuer(), in_response_to=resp.in_response_to,
                   destination=resp.response.destination, status=status_of(resp.response.status))
        if hit["status"][0] == STATUS_SUCCESS:
            self.client.handle_logout_response(resp)  # ends the local session
        return Reply(200, f"<html><body>{self.name}: logged out</body></html>")


class SloEnt(EntIdp):
    """EntIdp whose metadata declares a SingleLogoutService (HTTP-Redirect) at /slo. Records the
    SessionIndex of each Response it issues (`issued`) and every message reaching /slo
    (`slo_hits`); answers garde's LogoutRequests with a query-signed LogoutResponse."""

    def __init__(self, workdir, port):
        super().__init__(workdir, port)
        self.slo_url = f"{self.base}/slo"
        self.issued = []
        self.slo_hits = []
        self.http.routes[("GET", "/slo")] = self._slo

    def _config(self, broker=None, signer=None, lifetime_minutes=5):
        c = super()._config(broker, signer, lifetime_minutes)
        c._idp_endpoints["single_logout_service"] = [(f"{self.base}/slo", BINDING_HTTP_REDIRECT)]
        return c

    def _sso(self, req):
        reply = super()._sso(req)
        if reply.status == 200:
            fields = [f.fields for f in forms(reply.body.decode()) if "SAMLResponse" in f.fields]
            xml = unb64(fields[0]["SAMLResponse"]) if fields else ""
            m = re.search(r'SessionIndex="([^"]+)"', xml)
            with self._lock:
                self.issued.append({"user": self.user, "session_index": m.group(1) if m else None})
        return reply

    def broker_certs(self):
        return cert_values(self.server.metadata.certs(self.broker_sp_entity_id, "spsso", "signing"))

    def logout_location(self, user, session_index, sign=True, destination=None, relay_state="ent-rs"):
        """A LogoutRequest for `user` to garde's SP SingleLogoutService (from its metadata),
        Redirect binding, query-signed when `sign`: (its ID, the URL the browser goes to)."""
        slo = self.server.metadata.single_logout_service(self.broker_sp_entity_id, BINDING_HTTP_REDIRECT, "spsso")
        expect(slo, f"garde's SP metadata has no HTTP-Redirect SingleLogoutService: {slo}")
        url = slo[0]["location"]
        req_id, request = self.server.create_logout_request(
            destination or url, self.broker_sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user),
            session_indexes=[session_index] if session_index else None, sign=False)
        info = self.server.apply_binding(BINDING_HTTP_REDIRECT, str(request), url, relay_state,
                                         sign=sign, sigalg=SHA256)
        return req_id, dict(info["headers"])["Location"]

    def _slo(self, req):
        params = redirect_params(req.query)
        kind = "request" if "SAMLRequest" in params else "response"
        hit = {"kind": kind, "query": req.query, "sig_alg": params.get("SigAlg"),
               "relay_state": params.get("RelayState"),
               "signature_ok": redirect_signature_ok(params, self.broker_certs())}
        with self._lock:
            self.slo_hits.append(hit)
            issued = list(self.issued)
        note("ent", kind)
        if not hit["signature_ok"]:
            return Reply(403, "ENT IdP: the logout message's signature does not verify", "text/plain")
        if kind == "response":
            resp = self.server.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
            hit.update(issuer=resp.issuer(), in_response_to=resp.in_response_to,
                       destination=resp.response.destination, status=status_of(resp.response.status))
            return Reply(200, "<html><body>ENT: logout complete</body></html>")
        msg = self.server.parse_logout_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        hit.update(id=msg.id, issuer=msg.issuer.text if msg.issuer else None,
                   destination=msg.destination, name_id=msg.name_id.text,
                   name_id_format=msg.name_id.format,
                   session_indexes=[s.text for s in msg.session_index])
        ours = any(i["user"] == msg.name_id.text and i["session_index"] in hit["session_indexes"]
                   for i in issued)
        status = None if ours else status_message_factory("Unknown session", STATUS_UNKNOWN_PRINCIPAL)
        response = self.server.create_logout_response(msg, [BINDING_HTTP_REDIRECT], status=status, sign=False)
        info = self.server.apply_binding(BINDING_HTTP_REDIRECT, str(response), response.destination,
                                         params.get("RelayState", ""), response=True, sign=True,
                                         sigalg=SHA256)
        location = dict(info["headers"])["Location"]
        hit["answer"] = location
        return redirect(location)


class SloHarness(Harness):
    def start(self):
        w = self.workdir
        self.ent = SloEnt(w, free_port())
        # A: bounce launch, signed AuthnRequests, encrypted assertions. B: direct launch.
        self.pub_a = SloPublisher(w, "publisher-a", free_port(), sign_requests=True, encrypt=True)
        self.pub_b = SloPublisher(w, "publisher-b", free_port(), sign_requests=False, unsolicited=True)
        self.peers = [self.ent.http, self.pub_a.http, self.pub_b.http]
        self.broker = Broker(w, free_port())
        self.broker.seed(self.ent, self.pub_a, self.pub_b)
        self.broker.start()
        self.connect_peers()
        return self


suite = Suite("e2e single logout")
h = SloHarness(suite.workdir)
suite.harness = h
seen = {}


def set_up():
    h.start()
    for sp in (h.pub_a, h.pub_b):
        expect("SingleLogoutService" in sp.metadata_xml, f"{sp.name}'s metadata has no SingleLogoutService")
    expect("SingleLogoutService" in h.ent.metadata_xml, "the ENT's metadata has no SingleLogoutService")


suite.setup("set-up: pysaml2 ENT IdP and publishers A, B with a SingleLogoutService (Redirect), "
            "`garde store seed-demo`, `garde serve` ready, peers load garde's signed metadata", set_up)


def broker_metadata_slo():
    b = h.broker
    for sp in (h.pub_a, h.pub_b):
        got = sp.client.metadata.single_logout_service(b.idp_entity_id, None, "idpsso") or {}
        expect(set(got) >= {BINDING_HTTP_REDIRECT, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"},
               f"{sp.name} reads garde's IdP SingleLogoutService bindings as {sorted(got)}")
        locations = {e["location"] for binding in got.values() for e in binding}
        expect(locations == {f"{b.base}/saml/idp/slo"}, f"garde's IdP SLO locations: {locations}")
    got = h.ent.server.metadata.single_logout_service(b.sp_entity_id, None, "spsso") or {}
    expect(set(got) >= {BINDING_HTTP_REDIRECT, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"},
           f"the ENT reads garde's SP SingleLogoutService bindings as {sorted(got)}")
    locations = {e["location"] for binding in got.values() for e in binding}
    expect(locations == {f"{b.base}/saml/sp/slo"}, f"garde's SP SLO locations: {locations}")


suite.check("garde's signed metadata, as pysaml2 reads it: SingleLogoutService Redirect and POST at "
            "/saml/idp/slo (IdP) and /saml/sp/slo (SP)", broker_metadata_slo)


# ---- Helpers -----------------------------------------------------------------------------------


def cookie(b, name):
    return b.session.cookies.get(name)


def login_both(b, pubs=None):
    """The pupil logs into A, then B, in browser `b`: {sp name: what the SP recorded}."""
    h.ent.user = PUPIL
    got = {}
    for sp, resource in pubs or ((h.pub_a, RESOURCE_A), (h.pub_b, RESOURCE_B)):
        before, _ = sp.count()
        resp, _ = b.launch(launch_url(h.broker, resource))
        expect(resp.status_code == 200, f"launch of {sp.name} ended with HTTP {resp.status_code} at "
               f"{resp.url}:\n{tail(resp.text, 8)}\ntrail: {b.trail[-8:]}")
        n, _ = sp.count()
        expect(n == before + 1, f"{sp.name} received {n - before} Responses; refused {sp.refused[-2:]}")
        rec = sp.received[-1]
        expect(rec["name_id_obj"] is not None, f"{sp.name}: no session in pysaml2's identity cache")
        expect(rec["session_index"], f"{sp.name}: garde's assertion carries no SessionIndex")
        got[sp.name] = rec
    expect(cookie(b, "garde_session"), "no garde_session cookie after the releases")
    expect(h.ent.issued, "the ENT issued no Response")
    return got


def hits_since(peer, mark):
    return peer.slo_hits[mark:]


def marks():
    return {"events": len(EVENTS), "a": len(h.pub_a.slo_hits), "b": len(h.pub_b.slo_hits),
            "ent": len(h.ent.slo_hits)}


def check_request_to_publisher(hit, sp, rec, what):
    expect(hit["kind"] == "request", f"{what}: {sp.name} got a {hit['kind']}, expected a LogoutRequest")
    expect(hit["signature_ok"], f"{what}: garde's LogoutRequest to {sp.name} does not verify (pysaml2, "
           f"garde's IdP certificate)")
    expect("rsa-sha256" in (hit["sig_alg"] or ""), f"{what}: SigAlg {hit['sig_alg']}")
    expect(hit["issuer"] == h.broker.idp_entity_id, f"{what}: LogoutRequest Issuer {hit['issuer']}")
    expect(hit["destination"] == sp.slo_url, f"{what}: Destination {hit['destination']}")
    expect(hit["name_id"] == rec["name_id"], f"{what}: LogoutRequest NameID {hit['name_id']!r}, "
           f"{sp.name} got {rec['name_id']!r} in its assertion")
    expect(hit["session_indexes"] == [rec["session_index"]],
           f"{what}: SessionIndex {hit['session_indexes']}, {sp.name}'s assertion said {rec['session_index']}")
    expect(hit["had_session"], f"{what}: {sp.name} had no session for that NameID")
    expect(not hit["still_logged_in"], f"{what}: {sp.name}'s pysaml2 kept the session (NameID did not "
           f"match the one of the assertion?)")
    expect(hit["answer"].startswith(f"{h.broker.base}/saml/idp/slo?"),
           f"{what}: {sp.name} answered at {hit['answer'][:120]}")
    expect(sp.subject(rec["name_id"]) is None, f"{what}: {sp.name} still has the session")


# ---- 2. ENT-initiated --------------------------------------------------------------------------


def ent_initiated():
    b = Browser()
    got = login_both(b)
    m = marks()
    session_index = h.ent.issued[-1]["session_index"]
    req_id, location = h.ent.logout_location(PUPIL, session_index, relay_state="ent-rs-1")
    expect(location.startswith(f"{h.broker.base}/saml/sp/slo?"), f"LogoutRequest sent to {location[:100]}")
    resp = b.get(location)
    order = EVENTS[m["events"]:]
    expect(order == [("publisher-a", "request"), ("publisher-b", "request"), ("ent", "response")],
           f"the chain went {order}; ended HTTP {resp.status_code} at {resp.url}:\n{tail(resp.text, 6)}"
           f"\ntrail: {[u.split('?')[0] for _, u, _ in b.trail[-8:]]}")
    for sp, key in ((h.pub_a, "a"), (h.pub_b, "b")):
        hits = hits_since(sp, m[key])
        check_request_to_publisher(hits[0], sp, got[sp.name], "ENT-initiated")
    ent = hits_since(h.ent, m["ent"])[0]
    expect(ent["signature_ok"], "garde's LogoutResponse to the ENT does not verify (garde's SP certificate)")
    expect("rsa-sha256" in (ent["sig_alg"] or ""), f"SigAlg {ent['sig_alg']}")
    expect(ent["issuer"] == h.broker.sp_entity_id, f"LogoutResponse Issuer {ent['issuer']}")
    expect(ent["in_response_to"] == req_id, f"InResponseTo {ent['in_response_to']}, the ENT's request was {req_id}")
    expect(ent["destination"] == h.ent.slo_url, f"Destination {ent['destination']}")
    expect(ent["status"] == (STATUS_SUCCESS, None), f"LogoutResponse status {ent['status']}")
    expect(ent["relay_state"] == "ent-rs-1", f"RelayState {ent['relay_state']!r} not echoed")
    expect(resp.status_code == 200 and resp.url.startswith(h.ent.slo_url),
           f"the browser ended at {resp.url} (HTTP {resp.status_code})")
    expect(not cookie(b, "garde_session"), "garde_session is still set after the logout")
    expect(not cookie(b, "garde_logout"), "garde_logout is still set after the logout")
    seen["ent_initiated"] = {"a": hits_since(h.pub_a, m["a"])[0], "ent": ent}


suite.check("ENT-initiated: A then B get garde's signed LogoutRequest (their NameID, SessionIndex), "
            "verify it, end their session and answer; the ENT gets a signed Success; garde_session "
            "cleared", ent_initiated)


def tampered_refused():
    prev = seen.get("ent_initiated")
    expect(prev, "needs the ENT-initiated logout above")
    for name, peer, hit, url in (("A", h.pub_a, prev["a"], h.pub_a.slo_url),
                                 ("the ENT", h.ent, prev["ent"], h.ent.slo_url)):
        before = len(peer.slo_hits)
        r = Browser().get(f"{url}?{tampered(hit['query'])}", allow_redirects=False)
        expect(r.status_code == 403, f"{name} accepted garde's message with a tampered signature: "
               f"HTTP {r.status_code} {r.text[:200]}")
        expect(not peer.slo_hits[before]["signature_ok"], f"{name}: tampered signature verified")
        expect(redirect_signature_ok(redirect_params(hit["query"]), peer.broker_certs()),
               f"{name}: the untampered message no longer verifies")


suite.check("pysaml2's check is real: the same messages with one bit of the signature flipped are "
            "refused by A and by the ENT", tampered_refused)


# ---- 3. Publisher-initiated --------------------------------------------------------------------


def publisher_initiated():
    b = Browser()
    got = login_both(b)
    m = marks()
    rec_b = got["publisher-b"]
    out = h.pub_b.client.global_logout(rec_b["name_id_obj"], reason="", sign=True, sign_alg=SHA256,
                                       digest_alg=DIGEST)
    expect(h.broker.idp_entity_id in out, f"B's pysaml2 global_logout did not address garde: {out}")
    binding, info = out[h.broker.idp_entity_id]
    expect(binding == BINDING_HTTP_REDIRECT, f"B's LogoutRequest binding {binding}")
    location = dict(info["headers"])["Location"]
    expect(location.startswith(f"{h.broker.base}/saml/idp/slo?") and "Signature=" in location,
           f"B's LogoutRequest goes to {location[:120]}")
    resp = b.get(location)
    order = EVENTS[m["events"]:]
    expect(order == [("publisher-a", "request"), ("ent", "request"), ("publisher-b", "response")],
           f"the chain went {order}; ended HTTP {resp.status_code} at {resp.url}:\n{tail(resp.text, 6)}")
    check_request_to_publisher(hits_since(h.pub_a, m["a"])[0], h.pub_a, got["publisher-a"],
                               "B-initiated")
    ent = hits_since(h.ent, m["ent"])[0]
    expect(ent["signature_ok"], "garde's LogoutRequest to the ENT does not verify (garde's SP certificate)")
    expect(ent["issuer"] == h.broker.sp_entity_id, f"LogoutRequest to the ENT: Issuer {ent['issuer']}")
    expect(ent["destination"] == h.ent.slo_url, f"LogoutRequest to the ENT: Destination {ent['destination']}")
    expect(ent["name_id"] == PUPIL and (ent["name_id_format"] or NAMEID_FORMAT_PERSISTENT) == NAMEID_FORMAT_PERSISTENT,
           f"LogoutRequest to the ENT names {ent['name_id']!r} ({ent['name_id_format']}), the ENT issued {PUPIL!r}")
    expect(ent["session_indexes"] == [h.ent.issued[-1]["session_index"]],
           f"LogoutRequest to the ENT: SessionIndex {ent['session_indexes']}, the ENT issued "
           f"{h.ent.issued[-1]['session_index']}")
    expect(ent["answer"].startswith(f"{h.broker.base}/saml/sp/slo?"), f"the ENT answered at {ent['answer'][:100]}")
    back = hits_since(h.pub_b, m["b"])[0]
    expect(back["signature_ok"], "garde's LogoutResponse to B does not verify (garde's IdP certificate)")
    expect("rsa-sha256" in (back["sig_alg"] or ""), f"SigAlg {back['sig_alg']}")
    expect(back["issuer"] == h.broker.idp_entity_id, f"LogoutResponse to B: Issuer {back['issuer']}")
    expect(back["destination"] == h.pub_b.slo_url, f"LogoutResponse to B: Destination {back['destination']}")
    expect(back["status"] == (STATUS_SUCCESS, None), f"LogoutResponse to B: status {back['status']}")
    sent = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
    expect(back["relay_state"] == sent.get("RelayState", [None])[0],
           f"RelayState {back['relay_state']!r}, B sent {sent.get('RelayState')}")
    expect(h.pub_b.subject(rec_b["name_id"]) is None, "B's pysaml2 kept its session after garde's Success")
    expect(resp.status_code == 200 and resp.url.startswith(h.pub_b.slo_url),
           f"the browser ended at {resp.url} (HTTP {resp.status_code})")
    expect(not cookie(b, "garde_session"), "garde_session is still set after the logout")


suite.check("publisher-initiated (B, pysaml2 global_logout): A logged out, the ENT gets garde's SP "
            "LogoutRequest for the NameID and SessionIndex it issued, B gets a signed Success",
            publisher_initiated)


# ---- 5. Refusals -------------------------------------------------------------------------------


def log_records():
    out = []
    for line in h.broker.broker_log().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def refused_logout(b, location, what, why):
    """`location` (a LogoutRequest to garde) is refused with a page; the log line of the refusal
    (by its correlation id) says `why`; nothing reaches the publishers."""
    m = marks()
    r = b.get(location)
    cid = expect_refusal(r, what)
    expect("Accès impossible" in r.text, f"{what}: the refusal page does not say 'Accès impossible'")
    expect(EVENTS[m["events"]:] == [], f"{what}: logout messages still went out: {EVENTS[m['events']:]}")
    lines = [rec for rec in log_records() if rec.get("request_id") == cid and rec.get("msg") == "refused"]
    expect(lines, f"{what}: no 'refused' log line for request {cid}:\n{tail(h.broker.broker_log(), 6)}")
    expect(re.search(why, json.dumps(lines[0], ensure_ascii=False), re.I),
           f"{what}: the log line does not say /{why}/: {lines[0]}")
    expect(lines[0].get("reason") == "bad_logout", f"{what}: refusal reason {lines[0].get('reason')}")
    return r


def bad_requests():
    b = Browser()
    got = login_both(b, ((h.pub_a, RESOURCE_A),))
    session_index = h.ent.issued[-1]["session_index"]
    _, unsigned = h.ent.logout_location(PUPIL, session_index, sign=False)
    expect("Signature=" not in unsigned, "the unsigned request has a Signature")
    refused_logout(b, unsigned, "unsigned LogoutRequest", r"unsigned|signature")
    _, signed = h.ent.logout_location(PUPIL, session_index)
    query = signed.partition("?")[2]
    refused_logout(b, f"{h.broker.base}/saml/sp/slo?{tampered(query)}", "badly signed LogoutRequest",
                   r"signature")
    _, elsewhere = h.ent.logout_location(PUPIL, session_index, destination=f"{h.broker.base}/saml/idp/slo")
    refused_logout(b, elsewhere, "LogoutRequest with another Destination", r"destination")
    expect(cookie(b, "garde_session"), "a refused LogoutRequest cleared garde_session")
    expect(h.pub_a.subject(got["publisher-a"]["name_id"]) is not None, "A lost its session")
    # The same session still logs out with a good request (A, then the ENT's answer).
    m = marks()
    _, good = h.ent.logout_location(PUPIL, session_index)
    b.get(good)
    expect(EVENTS[m["events"]:] == [("publisher-a", "request"), ("ent", "response")],
           f"after the refusals, the good request went {EVENTS[m['events']:]}")


suite.check("unsigned, badly signed and misaddressed LogoutRequests from the ENT: 'Accès impossible' "
            "page (4xx, correlation id), the log says why, no publisher contacted, session kept",
            bad_requests)


# ---- 4. A publisher without single logout ------------------------------------------------------


def reconfigure_b():
    rc = h.broker.stop()
    expect(rc == 0, f"garde serve exited with {rc} on SIGTERM:\n{tail(h.broker.broker_log())}")
    h.pub_b.slo = False
    xml = str(saml2_metadata.entity_descriptor(h.pub_b._config()))
    expect("SingleLogoutService" not in xml, "B's new metadata still has a SingleLogoutService")
    h.pub_b.metadata_file = write(os.path.join(suite.workdir, "publisher-b-no-slo-metadata.xml"), xml)
    h.broker.seed(h.ent, h.pub_a, h.pub_b)
    h.broker.log_file = os.path.join(suite.workdir, "garde-2.log")
    h.broker.start()


suite.check("B re-registered (`garde store seed-demo`) with metadata without SingleLogoutService, "
            "garde restarted", reconfigure_b)


def partial_logout():
    b = Browser()
    got = login_both(b)
    m = marks()
    req_id, location = h.ent.logout_location(PUPIL, h.ent.issued[-1]["session_index"], relay_state="ent-rs-4")
    page = b.get(location)
    order = EVENTS[m["events"]:]
    expect(order == [("publisher-a", "request")], f"the chain went {order} (expected A only, then the "
           f"end page); ended HTTP {page.status_code} at {page.url}")
    check_request_to_publisher(hits_since(h.pub_a, m["a"])[0], h.pub_a, got["publisher-a"], "B without SLO")
    expect(page.status_code == 200 and page.url.startswith(f"{h.broker.base}/saml/"),
           f"no end page: HTTP {page.status_code} at {page.url}:\n{tail(page.text, 6)}")
    text = page.text
    expect("ne permettent pas la déconnexion unique" in text,
           f"the end page does not say that B does not support single logout:\n{tail(text, 12)}")
    expect("do not support single logout" in text, "the end page has no English paragraph")
    expect(text.find("ne permettent pas") < text.find("do not support single logout"), "French does not come first")
    skipped = text[text.find("ne permettent pas"):]
    expect("Outils Démo B" in skipped[:skipped.find("</ul>")], f"B is not listed as without single logout:\n{text}")
    expect("Éditions Démo A" in text[:text.find("ne permettent pas")], f"A is not listed as logged out:\n{text}")
    links = re.findall(r'<a href="([^"]+)">\s*Continuer\s*</a>', text)
    expect(len(links) == 1, f"the end page has no single 'Continuer' link:\n{tail(text, 8)}")
    target = html.unescape(links[0])
    expect(target.startswith(h.ent.slo_url + "?") and "SAMLResponse=" in target,
           f"'Continuer' goes to {target[:120]}")
    expect(not cookie(b, "garde_session"), "garde_session is still set after the logout")
    resp = b.get(target)
    expect(resp.status_code == 200, f"the ENT answered HTTP {resp.status_code}: {resp.text[:200]}")
    ent = hits_since(h.ent, m["ent"])
    expect(len(ent) == 1 and ent[0]["kind"] == "response", f"the ENT got {ent}")
    ent = ent[0]
    expect(ent["signature_ok"], "garde's LogoutResponse to the ENT does not verify")
    expect(ent["in_response_to"] == req_id, f"InResponseTo {ent['in_response_to']}")
    expect(ent["status"] == (STATUS_SUCCESS, STATUS_PARTIAL_LOGOUT),
           f"LogoutResponse status {ent['status']}, expected Success / PartialLogout")
    expect(ent["relay_state"] == "ent-rs-4", f"RelayState {ent['relay_state']!r}")


suite.check("A and B (no SLO), ENT-initiated: A logged out; the end page says in French that B does "
            "not support single logout; 'Continuer' brings the ENT a signed Success/PartialLogout",
            partial_logout)


def healthy():
    expect(h.broker.alive(), "the broker process exited")
    expect(not h.peer_errors(), "a peer handler failed:\n" + "\n".join(h.peer_errors())[-3000:])


suite.check("the broker keeps serving and no peer handler failed", healthy)
suite.check("the broker stops cleanly on SIGTERM (exit 0, no sanitizer report in its log)",
            h.broker.check_clean_exit)
suite.finish()
