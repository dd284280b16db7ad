"""End to end, over HTTP: médiacentre launches through garde between a pysaml2 ENT IdP and two
pysaml2 publisher SPs with different contracts (tests/e2e/e2e_common.py sets them up).

- publisher A (bounce launch through its login URL, signed AuthnRequests, encrypted assertions)
  declares IDO, PRO, UAI, DIV for pupils and IDO, PRO, UAI, NOM, PRE, P_MEL for teachers;
- publisher B (direct launch, unsolicited Response) declares IDO, PRO.

Checks: each publisher receives exactly its contract's attributes, under its own pseudonym; a pupil
and a teacher get different sets from A; a publisher-initiated access gives the same release; the
unassigned pupil and an unknown user are refused with a page and a correlation id, nothing reaching
the publisher, and the refusal page's way back sends A a RequestDenied Response; the broker's
metadata verifies; audit lines name attributes, never values; /metrics counts the decisions by
outcome and reason.
"""

import json
import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import NS_MD, Credential, expect, run, tail, unb64, write  # noqa: E402
from e2e_common import (  # noqa: E402
    HTTP_TIMEOUT, PUPIL, RESOURCE_A, RESOURCE_B, TEACHER, UAI, UNASSIGNED_PUPIL, Browser, Harness,
    Suite, domaine_gar_url, expect_refusal, forms, launch_url, requests, saml_form, sigver)

suite = Suite("e2e pysaml2 launch")
h = Harness(suite.workdir)
suite.harness = h

PUPIL_A = {"IDO", "PRO", "UAI", "DIV"}
TEACHER_A = {"IDO", "PRO", "UAI", "NOM", "PRE", "P_MEL"}
ALL_B = {"IDO", "PRO"}
seen = {}  # what each launch gave, for the comparisons


def last(sp, before):
    n, _ = sp.count()
    expect(n == before + 1, f"{sp.name} received {n - before} Responses (expected 1); it refused "
           f"{sp.refused[-3:]}; broker log:\n{tail(h.broker_log(), 12)}")
    return sp.received[-1]


def ent_leg_ok(before):
    """The broker's AuthnRequest to the ENT was signed (its Redirect signature verified against the
    broker's SP metadata) and came from the broker's SP entityID with its ACS."""
    reqs = h.ent.requests[before:]
    expect(reqs, "the ENT IdP saw no AuthnRequest")
    r = reqs[-1]
    expect(r["signature_ok"], f"the broker's AuthnRequest to the ENT is not signed or does not verify: {r}")
    expect(r["issuer"] == h.broker.sp_entity_id, f"AuthnRequest Issuer {r['issuer']}")
    expect(r["acs"] in (None, h.broker.acs_url), f"AuthnRequest ACS {r['acs']}")
    expect("rsa-sha256" in (r["sig_alg"] or ""), f"AuthnRequest SigAlg {r['sig_alg']}")


def launch(sp, resource, user, url_fn=launch_url, **kw):
    """Runs one launch for `user`; returns what `sp` received."""
    h.ent.user = user
    before, _ = sp.count()
    ent_before = len(h.ent.requests)
    b = Browser()
    resp, _ = b.launch(url_fn(h.broker, resource, **kw))
    expect(resp.status_code == 200, f"launch ended with HTTP {resp.status_code} at {resp.url}:\n"
           f"{tail(resp.text, 10)}\ntrail: {b.trail}")
    got = last(sp, before)
    ent_leg_ok(ent_before)
    got["trail"] = b.trail
    return got


def attrs(got):
    return set(got["ava"].keys())


def common(got, sp, what):
    expect(got["issuer"] == h.broker.idp_entity_id, f"{what}: Issuer {got['issuer']}")
    expect(got["relay_state"] == sp.resource_url,
           f"{what}: RelayState {got['relay_state']!r}, expected the resource URL {sp.resource_url}")
    expect(got["name_id"], f"{what}: no NameID")
    expect(got["ava"].get("IDO") == [got["name_id"]],
           f"{what}: IDO {got['ava'].get('IDO')} is not the NameID {got['name_id']}")
    expect(PUPIL not in got["xml"] and TEACHER not in got["xml"],
           f"{what}: the ENT identifier of the person reached the publisher")


# ---- Set-up ------------------------------------------------------------------------------------

suite.setup("set-up: keys, pysaml2 peers, `garde store seed-demo`, `garde serve` ready, peers load "
            "the broker's signed metadata (pysaml2 remote metadata + broker cert)", h.start)


def metadata_checks():
    other = Credential(suite.workdir, "someone-else")
    for name, url, role in (("sp", h.broker.sp_metadata_url, "SPSSODescriptor"),
                            ("idp", h.broker.idp_metadata_url, "IDPSSODescriptor")):
        r = requests.get(url, timeout=HTTP_TIMEOUT)
        expect(r.status_code == 200, f"GET {url}: HTTP {r.status_code}")
        expect(role in r.text and f'entityID="{url}"' in r.text, f"{url} is not our {role} metadata")
        path = write(os.path.join(suite.workdir, f"broker-{name}-metadata.xml"), r.text)
        rc, out = run([h.broker.bin, "metadata", "verify", path, "--cert", h.broker.cert.cert])
        expect(rc == 0, f"`garde metadata verify --cert` rejects the broker's {name} metadata:\n{tail(out)}")
        rc, out = run([h.broker.bin, "metadata", "verify", path, "--cert", other.cert])
        expect(rc != 0 and rc < 128, f"`garde metadata verify` accepts the {name} metadata with another cert")
        sec = h.pub_b.client.sec
        expect(sec.verify_signature(r.text, h.broker.cert.cert, node_name=f"{NS_MD}:EntityDescriptor"),
               f"pysaml2 does not verify the broker's {name} metadata signature")
        try:
            bad = sec.verify_signature(r.text, other.cert, node_name=f"{NS_MD}:EntityDescriptor")
        except sigver.SignatureError:
            bad = False
        expect(not bad, f"pysaml2 verifies the broker's {name} metadata with another certificate")
    idp_sso = h.pub_a.client.metadata.single_sign_on_service(h.broker.idp_entity_id)
    expect(any(s["location"] == h.broker.idp_sso_url for s in idp_sso), f"IdP SSO endpoints {idp_sso}")
    acs = h.ent.server.metadata.assertion_consumer_service(h.broker.sp_entity_id)
    expect(any(a["location"] == h.broker.acs_url for a in acs), f"SP ACS endpoints {acs}")


suite.check("/saml/sp/metadata and /saml/idp/metadata: signed (garde metadata verify --cert, pysaml2 "
            "verify_signature), refused with another cert, endpoints under base_url", metadata_checks)

metrics_before = {}


def snapshot_metrics():
    metrics_before.update(h.broker.decisions())


suite.check("/metrics answers before the launches", snapshot_metrics)


def metrics_not_public():
    r = requests.get(f"{h.broker.base}/metrics", timeout=10)
    expect(r.status_code == 404, f"/metrics on the public listener answered {r.status_code}")


suite.check("/metrics is not served on the public listener (metrics.listener = separate)",
            metrics_not_public)

# ---- Releases ----------------------------------------------------------------------------------


def pupil_b():
    got = launch(h.pub_b, RESOURCE_B, PUPIL)
    common(got, h.pub_b, "B, pupil")
    expect(attrs(got) == ALL_B, f"B received {sorted(attrs(got))} for a pupil, its contract says {sorted(ALL_B)}")
    expect(got["ava"]["PRO"] == ["National_elv"], f"PRO {got['ava']['PRO']}")
    expect(got["in_response_to"] in (None, ""), f"direct launch: InResponseTo {got['in_response_to']}")
    expect(not got["encrypted"], "B has no encryption key, yet its assertion was encrypted")
    seen["b_pupil"] = got


suite.check("direct launch of B by a pupil: B gets exactly IDO, PRO (unsolicited, RelayState = resource URL)",
            pupil_b)


def pupil_a():
    got = launch(h.pub_a, RESOURCE_A, PUPIL)
    common(got, h.pub_a, "A, pupil")
    expect(any(url.startswith(h.pub_a.login_url) for _, url, _ in got["trail"]),
           f"the bounce launch did not go through A's login URL: {got['trail']}")
    expect(attrs(got) == PUPIL_A, f"A received {sorted(attrs(got))} for a pupil, its contract says {sorted(PUPIL_A)}")
    expect(got["ava"]["PRO"] == ["National_elv"] and got["ava"]["UAI"] == [UAI],
           f"PRO/UAI {got['ava']['PRO']} {got['ava']['UAI']}")
    expect(got["ava"]["DIV"] == ["3A"], f"DIV {got['ava']['DIV']} (the pupil is in class 3A)")
    expect(got["in_response_to"] in h.pub_a.sent, f"InResponseTo {got['in_response_to']} is not A's request")
    expect(got["encrypted"], "A's metadata has an encryption key, yet its assertion was not encrypted")
    seen["a_pupil"] = got


suite.check("bounce launch of A by a pupil: through A's login URL and its signed AuthnRequest, A gets "
            "exactly IDO, PRO, UAI, DIV (encrypted assertion)", pupil_a)


def pseudonyms():
    a, b = seen.get("a_pupil"), seen.get("b_pupil")
    expect(a and b, "needs the two launches above")
    expect(attrs(a) != attrs(b), "A and B received the same attribute set")
    expect(a["name_id"] != b["name_id"], f"A and B got the same pseudonym {a['name_id']}")
    again = launch(h.pub_a, RESOURCE_A, PUPIL)
    expect(again["name_id"] == a["name_id"], f"A's pseudonym changed between launches: {a['name_id']} -> {again['name_id']}")
    expect(a["name_id_format"] and a["name_id_format"].endswith("persistent"), f"NameID Format {a['name_id_format']}")


suite.check("same pupil: A and B get different attribute sets and different pseudonyms (stable for A)",
            pseudonyms)


def teacher_a():
    got = launch(h.pub_a, RESOURCE_A, TEACHER)
    common(got, h.pub_a, "A, teacher")
    expect(attrs(got) == TEACHER_A, f"A received {sorted(attrs(got))} for a teacher, its contract says {sorted(TEACHER_A)}")
    v = got["ava"]
    expect(v["PRO"] == ["National_ens"] and v["NOM"] == ["Durand"] and v["PRE"] == ["Paul"]
           and v["P_MEL"] == ["paul.durand@ent.demo.test"] and v["UAI"] == [UAI], f"teacher values {v}")
    pupil = seen.get("a_pupil")
    expect(pupil and attrs(pupil) != attrs(got), "a pupil and a teacher got the same set from A")
    expect(pupil and pupil["name_id"] != got["name_id"], "a pupil and a teacher got the same pseudonym")


suite.check("bounce launch of A by a teacher: IDO, PRO, UAI, NOM, PRE, P_MEL (not the pupil's set)", teacher_a)


def domaine_gar():
    got = launch(h.pub_b, RESOURCE_B, TEACHER, url_fn=domaine_gar_url)
    common(got, h.pub_b, "B via /domaineGar, teacher")
    expect(attrs(got) == ALL_B, f"B received {sorted(attrs(got))}")
    expect(got["ava"]["PRO"] == ["National_ens"], f"PRO {got['ava']['PRO']}")
    b_pupil = seen.get("b_pupil")
    expect(b_pupil and b_pupil["name_id"] != got["name_id"], "the teacher has the pupil's pseudonym at B")


suite.check("/domaineGar?idENT=<b64>&idEtab=<b64>&idRessource=<ARK>: the GAR's form launches B for a teacher",
            domaine_gar)



def publisher_initiated():
    """A's SP sends its AuthnRequest with no launch cookie (the user went to A first). With one ENT
    in the directory the broker asks no question (a discovery page would be submitted as is), the
    establishment comes from the directory, and A gets the same release under the same pseudonym."""
    h.ent.user = PUPIL
    before, _ = h.pub_a.count()
    b = Browser()
    resp = b.get(h.pub_a.login_url)
    discovery = [f for f in forms(resp.text) if f.action.endswith("/discovery")]
    if discovery:
        resp = b.post(urllib.parse.urljoin(resp.url, discovery[0].action), discovery[0].fields)
    resp, _ = b.follow(resp)
    expect(resp.status_code == 200, f"publisher-initiated access ended with HTTP {resp.status_code} at "
           f"{resp.url}:\n{tail(resp.text, 8)}")
    got = last(h.pub_a, before)
    common(got, h.pub_a, "A, publisher-initiated")
    expect(attrs(got) == PUPIL_A, f"A received {sorted(attrs(got))}")
    expect(got["ava"]["UAI"] == [UAI], f"UAI {got['ava']['UAI']}")
    expect(got["name_id"] == seen["a_pupil"]["name_id"], "publisher-initiated: another pseudonym")


suite.check("publisher-initiated access to A (no launch cookie, one ENT): the same release and "
            "pseudonym as the launch", publisher_initiated)


# ---- Refusals ----------------------------------------------------------------------------------


def refused(sp, resource, user, what, reason):
    """A launch refused after the ENT leg: a page, nothing reaching `sp`, the refusal counted
    with `reason` in garde_decisions_total."""
    h.ent.user = user
    before = sp.count()
    decisions = h.broker.decisions()
    b = Browser()
    resp, _ = b.launch(launch_url(h.broker, resource))
    cid = expect_refusal(resp, what)
    expect(sp.count() == before, f"{what}: something reached {sp.name}")
    after = h.broker.decisions()
    delta = {k: after[k] - decisions.get(k, 0) for k in after if after[k] != decisions.get(k, 0)}
    expect(delta == {("refused", reason): 1},
           f"{what}: garde_decisions_total changed by {delta}, expected one refusal {reason!r}")
    return resp, cid


def unassigned():
    resp, cid = refused(h.pub_a, RESOURCE_A, UNASSIGNED_PUPIL, "unassigned pupil, resource A",
                        "not_assigned")
    expect(resp.status_code == 403, f"HTTP {resp.status_code}, expected 403 (not entitled)")
    seen["a_refusal_page"] = resp
    # The same pupil may use B (subscribed for the whole establishment).
    got = launch(h.pub_b, RESOURCE_B, UNASSIGNED_PUPIL)
    expect(attrs(got) == ALL_B, f"B received {sorted(attrs(got))} for elv-0003")


suite.check("pupil elv-0003 (not assigned A) is refused A with a page and a correlation id, nothing "
            "posted to A; B (whole establishment) still works for them", unassigned)


def return_to_publisher():
    """The refusal page of a bounce launch offers a way back to A: a signed SAML error Response
    (no assertion), which A's pysaml2 SP parses as a refusal."""
    page = seen.get("a_refusal_page")
    expect(page is not None, "needs the refusal above")
    back = [f for f in forms(page.text) if f.action.endswith("/saml/idp/return")]
    expect(back, "the refusal page of a publisher-requested access has no way back to the publisher")
    b = Browser()
    b.session.cookies.update(page.cookies)
    received, refusals = h.pub_a.count()
    resp = b.post(urllib.parse.urljoin(page.url, back[0].action), back[0].fields)
    form = saml_form(resp)
    expect(form is not None and form.action == h.pub_a.acs_url,
           f"/saml/idp/return did not answer a form to A's ACS: HTTP {resp.status_code}:\n{tail(resp.text, 6)}")
    xml = unb64(form.fields["SAMLResponse"])
    expect("RequestDenied" in xml and "Assertion" not in xml.replace("AssertionConsumer", ""),
           f"the error Response is not a RequestDenied without assertion:\n{xml[:600]}")
    b.post(form.action, form.fields)
    expect(h.pub_a.count() == (received, refusals + 1), "A did not see exactly one refused Response")
    expect("RequestDenied" in h.pub_a.refused[-1],
           f"pysaml2 refused it for another reason: {h.pub_a.refused[-1]}")
    print(f"     (A's pysaml2 SP: {h.pub_a.refused[-1][:120]})")


suite.check("the refusal page's way back sends A a SAML error Response (RequestDenied, no assertion)",
            return_to_publisher)


def unknown_user():
    resp, _ = refused(h.pub_b, RESOURCE_B, "inconnu-9999", "unknown user at the ENT", "unknown_user")
    expect(resp.status_code == 403, f"HTTP {resp.status_code}, expected 403 (unknown principal)")


suite.check("a user the directory does not know (NameID inconnu-9999) is refused, nothing posted to B",
            unknown_user)


def unknown_launch_parameters():
    for what, url in (
            ("unknown resource", launch_url(h.broker, "ark:/49591/nope")),
            ("unknown ENT", launch_url(h.broker, RESOURCE_B, ent="NOPE")),
            ("unknown establishment", launch_url(h.broker, RESOURCE_B, uai="9999999X"))):
        before = len(h.ent.requests)
        resp = Browser().get(url)
        expect_refusal(resp, what)
        expect(len(h.ent.requests) == before, f"{what}: the broker still went to the ENT")


suite.check("launches naming an unknown resource, ENT or establishment: refusal page before the ENT leg",
            unknown_launch_parameters)

# ---- Audit and metrics -------------------------------------------------------------------------


def audit():
    path = h.broker.audit_file
    expect(os.path.exists(path), f"no audit file at {path}")
    with open(path) as f:
        text = f.read()
    lines = [l for l in text.splitlines() if l.strip()]
    expect(len(lines) >= 6, f"{len(lines)} audit lines for 6 releases and refusals:\n{tail(text, 5)}")
    for value in ("Durand", "Paul", "paul.durand@ent.demo.test", seen["a_pupil"]["name_id"]):
        expect(value not in text, f"the audit file holds a released value ({value!r})")
    expect("P_MEL" in text and "DIV" in text, "the audit lines do not name the released attributes")


suite.check("audit file: one JSON line per decision, attribute names, never values", audit)


def request_lines():
    records = []
    for line in h.broker.broker_log().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass  # a sanitizer or start-up line
    requests_seen = [r for r in records if r.get("msg") == "request"]
    acs = [r for r in requests_seen if r.get("route") == "/saml/sp/acs" and r.get("status") == "200"]
    expect(any(r.get("decision") == "released" and r.get("response_id") and r.get("ent_response_id")
               and r.get("policy_version") for r in acs),
           f"no ACS request line says what was released: {acs[-2:]}")
    legs = [r for r in requests_seen if r.get("authn_request_id")]
    expect(legs and all(r.get("status") == "302" for r in legs),
           f"no request line names the AuthnRequest sent to the ENT: {requests_seen[-3:]}")
    text = h.broker.broker_log()
    for value in ("Durand", "Paul", "paul.durand@ent.demo.test", seen["a_pupil"]["name_id"]):
        expect(value not in text, f"the broker log holds personal data ({value!r})")


suite.check("log: one line per request, saying what it did, no personal data", request_lines)


def metrics():
    after = h.broker.decisions()
    delta = {k: after.get(k, 0) - metrics_before.get(k, 0) for k in after}
    released = sum(v for (outcome, _), v in delta.items() if outcome == "released")
    refusals = sum(v for (outcome, _), v in delta.items() if outcome == "refused")
    expect(released == 7, f"released decisions +{released}, expected 7; garde_decisions_total: {after}")
    expect(refusals >= 5, f"refused decisions +{refusals}, expected at least 5; {after}")
    reasons = {reason for (outcome, reason), v in delta.items() if outcome == "refused" and v > 0}
    expect(len(reasons) >= 2, f"refusals are not told apart by reason: {after}")


suite.check("/metrics: garde_decisions_total counts releases and refusals by outcome and reason", metrics)


def healthy():
    r = requests.get(f"{h.broker.base}/healthz", timeout=HTTP_TIMEOUT)
    expect(r.status_code == 200, f"/healthz: HTTP {r.status_code}")
    expect(h.broker.alive(), "the broker process exited")
    expect(not h.peer_errors(), "a peer handler failed:\n" + "\n".join(h.peer_errors())[-3000:])


suite.check("the broker keeps serving (/healthz) and no peer handler failed", healthy)
suite.check("the broker stops cleanly on SIGTERM (exit 0, no sanitizer report in its log)",
            h.broker.check_clean_exit)
suite.finish()
