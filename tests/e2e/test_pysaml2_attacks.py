"""End to end, over HTTP: the SAML core's checks hold through garde's endpoints. A pysaml2 ENT IdP
answers the broker's AuthnRequests; the browser stops before posting the ENT's Response to
/saml/sp/acs, changes it (or the IdP is told to misbehave), posts it, and expects a 4xx refusal page
with a correlation id, nothing reaching the publisher, and the broker still serving.

Refused: an attribute or the NameID changed after signing, the same Response posted twice, a
Response for another audience, an expired one, one signed by a key not in the ENT's metadata, an
unsigned one, one with a DOCTYPE, malformed base64, a forged or missing RelayState. Accepted
(interop): the Response signed only on the Response, or only on the Assertion. Each refusal is
counted in garde_decisions_total with the reason of the check that caught it.

The publisher leg too: publisher A's AuthnRequest with its Redirect signature stripped or its
RelayState changed, and an AuthnRequest from an SP the broker does not know, are refused before the
ENT is asked.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import Credential, b64, expect, tail, unb64  # noqa: E402
from e2e_common import (  # noqa: E402
    HTTP_TIMEOUT, PUPIL, RESOURCE_B, Browser, Harness, Suite, expect_refusal, launch_url, requests)

suite = Suite("e2e pysaml2 attacks on the ENT leg")
h = Harness(suite.workdir)
suite.harness = h

suite.setup("set-up: keys, pysaml2 peers, `garde store seed-demo`, `garde serve` ready", h.start)
OTHER = Credential(suite.workdir, "not-the-ent")


def intercept(user=PUPIL, **mode):
    """Launches B for `user` and stops before the ENT's form reaches the broker's ACS.
    Returns (browser, form). `mode` configures the ENT IdP for this one Response."""
    h.ent.user, h.ent.mode = user, mode
    try:
        b = Browser()
        resp, form = b.launch(launch_url(h.broker, RESOURCE_B),
                              stop=lambda f: f.action == h.broker.acs_url)
    finally:
        h.ent.mode = {}
    expect(form is not None, f"the ENT did not answer with a form to the broker's ACS: HTTP "
           f"{resp.status_code} at {resp.url}:\n{tail(resp.text, 8)}\ntrail: {b.trail}")
    expect("SAMLResponse" in form.fields and "RelayState" in form.fields, f"ENT form fields {form}")
    return b, form


def post_to_acs(b, fields):
    resp = b.post(h.broker.acs_url, fields)
    return b.follow(resp)[0]


def healthy(what):
    r = requests.get(f"{h.broker.base}/healthz", timeout=HTTP_TIMEOUT)
    expect(r.status_code == 200 and h.broker.alive(), f"after {what}: /healthz HTTP {r.status_code}")


def accepted(what, **mode):
    before = h.pub_b.count()[0]
    b, form = intercept(**mode)
    resp = post_to_acs(b, form.fields)
    expect(resp.status_code == 200 and h.pub_b.count()[0] == before + 1,
           f"{what}: not accepted (HTTP {resp.status_code} at {resp.url}); B refused "
           f"{h.pub_b.refused[-2:]}:\n{tail(resp.text, 8)}\nbroker log:\n{tail(h.broker_log(), 8)}")
    got = h.pub_b.received[-1]
    expect(set(got["ava"]) == {"IDO", "PRO"}, f"{what}: B received {sorted(got['ava'])}")
    return got


def refusal_counted(before, reason, what, n=1):
    """garde_decisions_total{outcome="refused",reason=`reason`} went up by n since `before`."""
    after = h.broker.decisions()
    delta = after.get(("refused", reason), 0) - before.get(("refused", reason), 0)
    changed = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    expect(delta == n, f"{what}: expected {n} refusal(s) counted with reason {reason!r}, "
           f"garde_decisions_total changed by {changed}; broker log:\n{tail(h.broker_log(), 4)}")


def refused(what, fields_fn=None, statuses=range(400, 500), reason=None, **mode):
    """Intercepts the ENT's Response, lets `fields_fn(fields)` change it, posts it, expects a
    refusal page, nothing reaching B, the refusal counted with `reason` in /metrics, and the
    broker still serving."""
    before = h.pub_b.count()
    b, form = intercept(**mode)
    fields = dict(form.fields)
    if fields_fn:
        fields = fields_fn(fields)
    decisions = h.broker.decisions()
    resp = post_to_acs(b, fields)
    cid = expect_refusal(resp, what, statuses)
    expect(h.pub_b.count() == before, f"{what}: something reached publisher B")
    if reason:
        refusal_counted(decisions, reason, what)
    healthy(what)
    return resp, cid


def xml_edit(fn):
    """A fields_fn that decodes SAMLResponse, applies fn(xml) -> xml, and re-encodes it."""
    def edit(fields):
        xml = unb64(fields["SAMLResponse"])
        changed = fn(xml)
        expect(changed != xml, "the edit changed nothing")
        fields["SAMLResponse"] = b64(changed)
        return fields
    return edit


def sanity():
    got = accepted("the ENT's Response, Response and Assertion signed")
    expect(got["ava"]["PRO"] == ["National_elv"], f"PRO {got['ava']['PRO']}")
    b, form = intercept()
    xml = unb64(form.fields["SAMLResponse"])
    n = len(re.findall(r"<(?:\w+:)?SignatureValue[\s>]", xml))
    expect(n == 2, f"pysaml2 made {n} signatures, expected 2 (Response and Assertion)")
    expect("rsa-sha256" in xml and "rsa-sha1\"" not in xml, "pysaml2 did not sign with RSA-SHA256")


suite.check("baseline: the intercepted ENT Response, posted as is, is accepted (B gets IDO, PRO)", sanity)
suite.check("accepted: ENT Response signed only on the Response (SAML2 Profiles 4.1.4.2)",
            accepted, "a Response-signed Response", sign_response=True, sign_assertion=False)
suite.check("accepted: ENT Response signed only on the Assertion",
            accepted, "an Assertion-signed Response", sign_response=False, sign_assertion=True)


def change_attribute(xml):
    # Profile escalation in the ENT's attribute, signatures left as they were.
    return xml.replace(">National_elv<", ">National_ens<", 1)


def change_name_id(xml):
    # Another real person of the directory, signatures left as they were.
    return re.sub(r"(<(?:\w+:)?NameID\b[^>]*>)elv-0001(<)", r"\1elv-0002\2", xml, count=1)


suite.check("refused: ENT Response with an attribute value changed after signing",
            refused, "tampered attribute", xml_edit(change_attribute), reason="signature_invalid")
suite.check("refused: ENT Response with the NameID changed after signing",
            refused, "tampered NameID", xml_edit(change_name_id), reason="signature_invalid")
suite.check("refused: ENT Response (Response-signed only) with the NameID changed after signing",
            refused, "tampered NameID, Response-signed", xml_edit(change_name_id),
            reason="signature_invalid", sign_response=True, sign_assertion=False)


def replay():
    before = h.pub_b.count()[0]
    b, form = intercept()
    first = post_to_acs(b, form.fields)
    expect(first.status_code == 200 and h.pub_b.count()[0] == before + 1,
           f"the first post was not accepted (HTTP {first.status_code}):\n{tail(first.text, 6)}")
    count = h.pub_b.count()
    decisions = h.broker.decisions()
    again = post_to_acs(b, form.fields)
    expect_refusal(again, "replayed ENT Response")
    expect(h.pub_b.count() == count, "the replayed Response reached publisher B")
    # And from another browser (no cookies at all): refused before the replay cache is consulted.
    other = post_to_acs(Browser(), form.fields)
    expect_refusal(other, "replayed ENT Response from another browser")
    expect(h.pub_b.count() == count, "the replayed Response reached publisher B")
    refusal_counted(decisions, "replayed", "replayed ENT Response", n=1)
    refusal_counted(decisions, "browser_mismatch", "ENT Response from another browser", n=1)
    healthy("a replay")


def login_csrf():
    # A user's own valid Response and RelayState, posted from a victim's browser, must not sign the
    # victim in as that user; the browser that started the flow can still finish it.
    before = h.pub_b.count()[0]
    b, form = intercept()
    decisions = h.broker.decisions()
    victim = post_to_acs(Browser(), form.fields)
    expect_refusal(victim, "ENT Response posted from another browser")
    expect(h.pub_b.count()[0] == before, "the Response posted from another browser reached publisher B")
    refusal_counted(decisions, "browser_mismatch", "ENT Response from another browser", n=1)
    own = post_to_acs(b, form.fields)
    expect(own.status_code == 200 and h.pub_b.count()[0] == before + 1,
           f"the browser that started the flow could not finish it (HTTP {own.status_code})")


suite.check("refused: the same ENT Response posted twice (replay), also from another browser", replay)
suite.check("refused: an ENT Response posted from another browser than the one that started the "
            "flow (login CSRF)", login_csrf)
suite.check("refused: ENT Response for another audience (another SP of the ENT's, signed)",
            lambda: refused("wrong audience", reason="audience_mismatch",
                            audience=h.ent.other_sp_entity_id))
suite.check("refused: expired ENT Response (NotOnOrAfter an hour ago, signed)",
            refused, "expired Response", reason="expired", lifetime_minutes=-60)
suite.check("refused: ENT Response signed by a key not in the ENT's metadata",
            refused, "unknown signing key", reason="signature_invalid", signer=OTHER)
suite.check("refused: unsigned ENT Response",
            refused, "unsigned Response", reason="signature_missing", sign_response=False,
            sign_assertion=False)


def add_doctype(xml):
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)
    return ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x "elv-0002">]>\n' + body)


suite.check("refused: ENT Response with a DOCTYPE (entity declaration)",
            refused, "DOCTYPE", xml_edit(add_doctype), reason="forbidden_xml")


def bad_base64(fields):
    fields["SAMLResponse"] = "%%%not*base64%%%"
    return fields


suite.check("refused: malformed base64 in SAMLResponse",
            refused, "malformed base64", bad_base64, reason="bad_encoding")


def forged_relay_state(fields):
    rs = fields["RelayState"]
    fields["RelayState"] = rs[:-4] + ("AAAA" if not rs.endswith("AAAA") else "BBBB")
    return fields


suite.check("refused: ENT Response with a forged RelayState (sealed transaction)",
            refused, "forged RelayState", forged_relay_state)


def no_relay_state(fields):
    del fields["RelayState"]
    return fields


suite.check("refused: ENT Response without RelayState", refused, "no RelayState", no_relay_state)


def get_acs():
    r = requests.get(h.broker.acs_url, timeout=HTTP_TIMEOUT)
    expect(400 <= r.status_code < 500, f"GET /saml/sp/acs: HTTP {r.status_code}")
    healthy("GET /saml/sp/acs")


suite.check("GET /saml/sp/acs is refused (4xx), not a crash", get_acs)


# ---- The publisher leg: AuthnRequests at /saml/idp/sso ------------------------------------------


def a_request_url():
    """Publisher A's signed Redirect AuthnRequest to the broker (not followed)."""
    r = Browser().get(h.pub_a.login_url, allow_redirects=False)
    expect(r.status_code in (302, 303) and r.headers.get("Location", "").startswith(h.broker.idp_sso_url),
           f"A's /login did not redirect to the broker's SSO: HTTP {r.status_code} {r.headers.get('Location')}")
    return r.headers["Location"]


def sso_refused(what, url, reason=None):
    ent_before = len(h.ent.requests)
    a_before = h.pub_a.count()
    decisions = h.broker.decisions()
    b = Browser()
    resp, _ = b.follow(b.get(url))
    expect_refusal(resp, what)
    expect(len(h.ent.requests) == ent_before, f"{what}: the broker still went to the ENT")
    expect(h.pub_a.count() == a_before, f"{what}: something reached publisher A")
    if reason:
        refusal_counted(decisions, reason, what)
    healthy(what)


def a_request_accepted():
    before = h.pub_a.count()[0]
    h.ent.user = PUPIL
    b = Browser()
    resp, _ = b.follow(b.get(a_request_url()))
    expect(resp.status_code == 200 and h.pub_a.count()[0] == before + 1,
           f"A's own AuthnRequest was not answered: HTTP {resp.status_code}:\n{tail(resp.text, 6)}")


def without_signature():
    url = a_request_url()
    stripped = re.sub(r"&(SigAlg|Signature)=[^&]*", "", url)
    expect("Signature=" not in stripped, "could not strip the signature")
    sso_refused("A's AuthnRequest without its signature", stripped, "signature_missing")


def relay_state_changed():
    url = a_request_url()
    changed = re.sub(r"(RelayState=)([^&]*)", lambda m: m.group(1) + m.group(2) + "%3Fevil%3D1", url, count=1)
    expect(changed != url, "no RelayState to change")
    sso_refused("A's AuthnRequest with its RelayState changed after signing", changed, "signature_invalid")


def unknown_sp():
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, config as s2config
    from saml2.client import Saml2Client
    cred = Credential(suite.workdir, "unknown-sp")
    base = "http://127.0.0.1:9"
    c = s2config.SPConfig()
    c.load({"entityid": f"{base}/sp/metadata", "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": cred.key, "cert_file": cred.cert,
            "metadata": {"local": [os.path.join(suite.workdir, "broker-idp-metadata.xml")]},
            "service": {"sp": {"endpoints": {"assertion_consumer_service": [(f"{base}/acs", BINDING_HTTP_POST)]}}}})
    _, info = Saml2Client(config=c).prepare_for_authenticate(
        entityid=h.broker.idp_entity_id, relay_state=f"{base}/resource", binding=BINDING_HTTP_REDIRECT)
    sso_refused("an AuthnRequest from an SP the broker does not know", dict(info["headers"])["Location"],
                "unknown_peer")


def fetch_idp_metadata():
    r = requests.get(h.broker.idp_metadata_url, timeout=HTTP_TIMEOUT)
    expect(r.status_code == 200, f"IdP metadata: HTTP {r.status_code}")
    with open(os.path.join(suite.workdir, "broker-idp-metadata.xml"), "w") as f:
        f.write(r.text)


suite.check("publisher leg: A's own signed AuthnRequest is answered (baseline)", a_request_accepted)
suite.check("publisher leg refused: A's AuthnRequest with its Redirect signature stripped (A's "
            "metadata says AuthnRequestsSigned)", without_signature)
suite.check("publisher leg refused: A's AuthnRequest with RelayState changed after signing",
            relay_state_changed)
suite.check("publisher leg refused: an AuthnRequest from an SP the broker does not know",
            lambda: (fetch_idp_metadata(), unknown_sp()))


def metrics():
    d = h.broker.decisions()
    refusals = sum(v for (outcome, _), v in d.items() if outcome == "refused")
    released = sum(v for (outcome, _), v in d.items() if outcome == "released")
    expect(released >= 4, f"released decisions {released}, expected at least 4: {d}")
    expect(refusals >= 12, f"refused decisions {refusals}, expected at least 12: {d}")
    reasons = {reason for (outcome, reason), v in d.items() if outcome == "refused" and v > 0}
    expect(len(reasons) >= 3, f"refusals are not told apart by reason: {d}")
    expect(not h.peer_errors(), "a peer handler failed:\n" + "\n".join(h.peer_errors())[-3000:])


suite.check("/metrics counts the refusals by reason; no peer handler failed", metrics)
suite.check("the broker stops cleanly on SIGTERM (exit 0, no sanitizer report in its log)",
            h.broker.check_clean_exit)
suite.finish()
