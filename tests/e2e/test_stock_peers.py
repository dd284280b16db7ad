"""End to end, over HTTP: garde between stock SAML software from Debian 12 (tests/e2e/stock_peers.py
sets it up): SimpleSAMLphp 1.19 as the ENT's IdP on its default NameID settings (transient),
Shibboleth SP 3.4 as publisher A (resource A, bounce launch), mod_auth_mellon 0.18 as publisher B
(resource B, direct launch), all behind one Apache 2.4 on 127.0.0.1.

- SimpleSAMLphp's transient NameID names nobody: with garde's default registration of the ENT
  (persistent NameID) the launch is refused as unknown_user; once the registration names the
  identifier source (`seed-demo --ent-identifier attribute:uid`), the same ENT works;
- each publisher, publisher-initiated (its own login handler) and ENT-initiated (garde's /launch:
  A through its login URL, B unsolicited), receives exactly its contract's attributes for the
  profile (store/demo_data.cpp), values as garde's directory holds them, byte for byte, under its
  own pseudonym (IDO and NameID); SSO to the second publisher needs no second ENT login;
- the NameID follows the publisher's NameIDPolicy (mellon asks transient, Shibboleth no format);
- with Shibboleth's opaque RelayState, a teacher entitled to one of A's resources goes straight
  through, a pupil entitled to both chooses on a garde page, a pupil entitled to none is refused;
- elv-0003 (not assigned A) is refused A with a page and nothing released, the way back gives
  Shibboleth a RequestDenied error, and B still works for them;
- with the roles swapped (a new database), Shibboleth takes garde's unsolicited Response of a
  direct launch and mellon does the bounce launch through its login URL;
- shibd refuses garde's metadata altered after signing.
"""

import os
import re
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import NS_SAML, NS_SAMLP, expect, inflate_b64, tail, unb64, write  # noqa: E402
from e2e_common import (  # noqa: E402
    RESOURCE_A, RESOURCE_B, Browser, Suite, expect_refusal, forms, launch_url, saml_form)
from stock_peers import (  # noqa: E402
    NAMEID_FORMATS, UAI, MellonSp, Peers, Walk, decode_vars, page_text)

started = time.monotonic()
suite = Suite("e2e stock peers (SimpleSAMLphp, Shibboleth, mellon)")


class _Logs:
    """What the suite prints on failure and stops at the end: the stock peers and garde."""

    def __init__(self, peers):
        self.peers = peers

    def broker_log(self):
        return self.peers.logs(12)

    def close(self):
        self.peers.close()


peers = Peers(suite.workdir)
suite.harness = _Logs(peers)

RESOURCE_A2 = "ark:/49591/demo.cahier.a"  # publisher A's second resource, class 3A only
PUPIL_A = {"IDO", "PRO", "UAI", "DIV"}
TEACHER_A = {"IDO", "PRO", "UAI", "NOM", "PRE", "P_MEL"}
ALL_B = {"IDO", "PRO"}
PERSISTENT, TRANSIENT = NAMEID_FORMATS["persistent"], NAMEID_FORMATS["transient"]

# What garde's directory holds for each person (store/demo_data.cpp), per attribute code.
DIRECTORY = {
    "elv-0001": {"PRO": ["National_elv"], "UAI": [UAI], "DIV": ["3A"], "NOM": ["Martin"],
                 "PRE": ["Léa"]},
    "elv-0003": {"PRO": ["National_elv"], "UAI": [UAI], "DIV": ["4B"], "NOM": ["Petit"],
                 "PRE": ["Chloé"]},
    "elv-0004": {"PRO": ["National_elv"], "UAI": [UAI], "DIV": ["3A"], "NOM": ["Lefèvre-Côté"],
                 "PRE": ["Maïté-Françoise"]},
    "ens-0001": {"PRO": ["National_ens"], "UAI": [UAI], "DIV": ["3A", "4B"], "NOM": ["Durand"],
                 "PRE": ["Paul"], "P_MEL": ["paul.durand@ent.demo.test"]},
}
seen = {}  # what the launches gave, for the comparisons between checks


# ---- Reading a walk -----------------------------------------------------------------------------


class Got:
    """What a publisher showed on its protected page at the end of a walk."""

    def __init__(self, sp, walk, name_id, name_id_format, attributes, response_xml):
        self.sp, self.walk = sp, walk
        self.name_id, self.name_id_format = name_id, name_id_format
        self.attributes = attributes
        self.response_xml = response_xml  # the Response garde posted to the publisher

    @property
    def ido(self):
        return (self.attributes.get("IDO") or [None])[0]

    def response(self):
        return ET.fromstring(self.response_xml)


def posted(walk, acs_url):
    """The SAMLResponse (XML) of the last auto-POST form the browser sent to `acs_url`."""
    found = [f for f in walk.saw_forms if f.action == acs_url and "SAMLResponse" in f.fields]
    return unb64(found[-1].fields["SAMLResponse"]) if found else None


def sso_requests(walk, url_prefix):
    """The Redirect-binding requests the browser carried to `url_prefix`: [(params, XML)]."""
    out = []
    for url in walk.visited(url_prefix):
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query, keep_blank_values=True))
        if "SAMLRequest" in params:
            out.append((params, inflate_b64(params["SAMLRequest"])))
    return out


def name_id_policy(xml):
    policy = ET.fromstring(xml).find(f"{{{NS_SAMLP}}}NameIDPolicy")
    return None if policy is None else policy.get("Format")


def ended_at(walk, url, what):
    r = walk.final
    expect(r is not None and r.status_code == 200 and r.url == url,
           f"{what}: ended with HTTP {r.status_code if r is not None else '-'} at "
           f"{r.url if r is not None else '-'}, not at {url}:\n{page_text(r)[:600] if r is not None else ''}\n"
           f"trail: {walk.short_trail()}\n{peers.logs(8)}")
    return decode_vars(r)


def at_shibboleth(walk, what):
    v = ended_at(walk, peers.shib.resource_url, what)
    expect(v.get("Shib-Identity-Provider") == peers.broker.idp_entity_id,
           f"{what}: Shibboleth's session is from {v.get('Shib-Identity-Provider')!r}")
    nameids, attributes = peers.shib.received(v)
    expect(len(nameids) == 1, f"{what}: Shibboleth decoded NameIDs {nameids}")
    (short, value), = nameids.items()
    xml = posted(walk, peers.shib.acs_url)
    expect(xml is not None, f"{what}: no Response posted to Shibboleth's ACS {peers.shib.acs_url}")
    return Got("shibboleth", walk, value, NAMEID_FORMATS[short], attributes, xml)


def at_mellon(walk, what):
    v = ended_at(walk, peers.mellon.resource_url, what)
    name_id, attributes = peers.mellon.received(v)
    nid = MellonSp.assertion(v).find(f"{{{NS_SAML}}}Subject/{{{NS_SAML}}}NameID")
    expect(nid is not None and nid.text == name_id,
           f"{what}: mellon's NameID {name_id!r} is not the assertion's {None if nid is None else nid.text!r}")
    return Got("mellon", walk, name_id, nid.get("Format"), attributes, MellonSp.response(v))


def release_is(got, user, expected, what):
    """Exactly the contract's attributes, each with the directory's values byte for byte, IDO
    one opaque value; the assertion encrypted (both publishers' metadata carry a key)."""
    expect(set(got.attributes) == expected,
           f"{what}: {got.sp} received {sorted(got.attributes)}, the contract says {sorted(expected)}")
    for code, values in got.attributes.items():
        if code == "IDO":
            expect(len(values) == 1 and values[0] and user not in values[0],
                   f"{what}: IDO {values} (one pseudonym, not the ENT identifier)")
            continue
        want = DIRECTORY[user][code]
        expect(sorted(v.encode() for v in values) == sorted(w.encode() for w in want),
               f"{what}: {code} = {values!r}, the directory holds {want!r}")
    expect("EncryptedAssertion" in got.response_xml and "<saml:Assertion" not in got.response_xml,
           f"{what}: the assertion to {got.sp} is not encrypted although its metadata has a key")
    expect(user not in got.response_xml and (got.name_id or "") != user,
           f"{what}: the ENT identifier {user} reached {got.sp}")


def ent_leg(walk, what):
    """garde's AuthnRequest to SimpleSAMLphp: signed in the query (its metadata says
    WantAuthnRequestsSigned; SimpleSAMLphp checked it, validate.authnrequest), from garde's SP."""
    reqs = sso_requests(walk, peers.ent.sso_prefix)
    expect(reqs, f"{what}: the browser never reached SimpleSAMLphp's SSOService")
    params, xml = reqs[-1]
    expect("Signature" in params and params.get("SigAlg", "").endswith("rsa-sha256"),
           f"{what}: garde's AuthnRequest to the ENT is not signed RSA-SHA256: {sorted(params)} {params.get('SigAlg')}")
    issuer = ET.fromstring(xml).find(f"{{{NS_SAML}}}Issuer")
    expect(issuer is not None and issuer.text == peers.broker.sp_entity_id, f"{what}: Issuer of {xml[:300]}")
    return xml


def ent_answer(walk):
    """The Response SimpleSAMLphp posted to garde's ACS, as XML."""
    xml = posted(walk, peers.broker.acs_url)
    expect(xml is not None, "no Response from SimpleSAMLphp to garde's ACS")
    return xml


def decisions_delta(before):
    after = peers.broker.decisions()
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def released(before, n=1):
    delta = decisions_delta(before)
    got = sum(v for (outcome, _), v in delta.items() if outcome == "released")
    expect(got == n and all(o == "released" for o, _ in delta),
           f"garde_decisions_total changed by {delta}, expected {n} release(s)")


def walk(url, user, browser=None, login=True, what=""):
    w = Walk(browser or Browser())
    w.run(url, user)
    expect(w.logged_in == login,
           f"{what}: SimpleSAMLphp {'did not ask' if login else 'asked again'} for a login"
           + ("" if login else " (its session should give SSO)"))
    return w


# ---- Set-up --------------------------------------------------------------------------------------

suite.setup("stock peers installed; Apache (SimpleSAMLphp, Shibboleth, mellon), garde and shibd "
            "started, each with the others' metadata", peers.start)
print(f"     (set-up took {time.monotonic() - started:.0f} s)")


def ent_metadata():
    text = open(peers.ent.metadata_file).read()
    expect(TRANSIENT in text, "SimpleSAMLphp's metadata does not offer the transient NameID format")
    expect('WantAuthnRequestsSigned="true"' in text,
           "SimpleSAMLphp's metadata does not say WantAuthnRequestsSigned (validate.authnrequest)")


suite.check("SimpleSAMLphp's IdP metadata (its metadata URL): transient NameID format, "
            "WantAuthnRequestsSigned=\"true\"", ent_metadata)


def transient_without_source():
    before = peers.broker.decisions()
    acs_posts = peers.apache.count("POST /mellon/postResponse")
    w = walk(launch_url(peers.broker, RESOURCE_B), "elv-0001", what="direct launch of B")
    expect_refusal(w.final, "SimpleSAMLphp's transient NameID")
    expect(w.final.status_code == 403, f"HTTP {w.final.status_code}, expected 403")
    expect(decisions_delta(before) == {("refused", "unknown_user"): 1},
           f"garde_decisions_total changed by {decisions_delta(before)}, expected one unknown_user")
    expect(name_id_policy(ent_leg(w, "ENT leg")) == PERSISTENT,
           "garde's default registration should ask the ENT for a persistent NameID")
    nid = ET.fromstring(ent_answer(w)).find(f".//{{{NS_SAML}}}Subject/{{{NS_SAML}}}NameID")
    expect(nid is not None and nid.get("Format") == TRANSIENT,
           f"SimpleSAMLphp answered NameID {None if nid is None else nid.attrib}, expected transient")
    expect("Falling back to transient NameID" in peers.ent.log(),
           f"SimpleSAMLphp's log does not say it fell back to transient:\n{peers.ent.log_tail(5)}")
    expect(peers.apache.count("POST /mellon/postResponse") == acs_posts, "something was posted to mellon")
    line = [l for l in peers.broker.broker_log().splitlines() if "unknown_user" in l and "refused" in l]
    expect(line and "transient" in line[-1], f"garde's refusal line does not name the NameID format: {line[-1:]}")
    print(f"     (garde: {line[-1][:300]})")


suite.check("SimpleSAMLphp on its defaults answers a transient NameID (it cannot make the persistent "
            "one garde asks): with garde's default ENT registration the launch is refused as "
            "unknown_user, nothing posted to mellon", transient_without_source)

suite.setup("garde's registration of the ENT names the identifier source "
            "(seed-demo --ent-identifier attribute:uid), garde restarted",
            peers.restart_broker, ["--ent-identifier", "attribute:uid"])

# ---- Publisher-initiated, then SSO to the other publisher -----------------------------------------

teacher_browser = Browser()


def teacher_at_shibboleth():
    before = peers.broker.decisions()
    w = walk(peers.shib.resource_url, "ens-0001", teacher_browser, what="Shibboleth first")
    got = at_shibboleth(w, "teacher at Shibboleth")
    release_is(got, "ens-0001", TEACHER_A, "teacher at Shibboleth")
    (params, request), = sso_requests(w, peers.broker.idp_sso_url)
    expect(params.get("RelayState", "").startswith("ss:mem:"),
           f"Shibboleth's RelayState {params.get('RelayState')!r} is not its opaque ss:mem handle")
    expect(name_id_policy(request) is None, f"Shibboleth asked a NameID format: {request[:400]}")
    expect(got.name_id_format == PERSISTENT and got.name_id == got.ido,
           f"NameID {got.name_id_format} {got.name_id!r}: with no format asked, the persistent "
           f"pseudonym (IDO {got.ido!r})")
    expect(got.response().get("InResponseTo") == ET.fromstring(request).get("ID"),
           "the Response does not answer Shibboleth's AuthnRequest")
    expect(name_id_policy(ent_leg(w, "ENT leg")) is None,
           "with an attribute as identifier source garde should ask the ENT no NameID format")
    released(before)
    seen["teacher_a"] = got


suite.check("publisher-initiated at Shibboleth (A), teacher ens-0001: /resource -> Shibboleth's "
            "SessionInitiator (RelayState ss:mem) -> garde -> SimpleSAMLphp login -> Shibboleth's ACS: "
            "exactly IDO, PRO, UAI, NOM, PRE, P_MEL, NameID persistent = IDO", teacher_at_shibboleth)


def teacher_at_mellon():
    before = peers.broker.decisions()
    w = walk(peers.mellon.resource_url, "ens-0001", teacher_browser, login=False, what="mellon second")
    got = at_mellon(w, "teacher at mellon")
    release_is(got, "ens-0001", ALL_B, "teacher at mellon")
    (params, request), = sso_requests(w, peers.broker.idp_sso_url)
    expect(params.get("RelayState") == peers.mellon.resource_url, f"mellon's RelayState {params.get('RelayState')!r}")
    expect("Signature" in params, "mellon's AuthnRequest is not signed (its metadata says AuthnRequestsSigned)")
    expect(name_id_policy(request) == TRANSIENT, f"mellon's NameIDPolicy: {request[:400]}")
    expect(got.response().get("InResponseTo") == ET.fromstring(request).get("ID"),
           "the Response does not answer mellon's AuthnRequest")
    a = seen.get("teacher_a")
    expect(a is not None, "needs the check above")
    expect(got.ido != a.ido, f"Shibboleth and mellon got the same IDO {got.ido!r} for the teacher")
    released(before)
    seen["teacher_b"] = got


suite.check("then mellon (B) in the same browser: SSO at SimpleSAMLphp (no second login), mellon's "
            "signed AuthnRequest (NameIDPolicy transient): exactly IDO, PRO, another pseudonym than "
            "Shibboleth's", teacher_at_mellon)


def transient_for_mellon():
    got = seen.get("teacher_b")
    expect(got is not None, "needs the check above")
    expect(got.name_id_format == TRANSIENT,
           f"mellon asked a transient NameID and got {got.name_id_format}")
    expect(got.name_id != got.ido and got.name_id != seen["teacher_a"].name_id,
           f"the transient NameID {got.name_id!r} is a pseudonym (IDO {got.ido!r})")


suite.check("garde honours mellon's NameIDPolicy: a transient NameID, not the pseudonym",
            transient_for_mellon)

# ---- ENT-initiated launches ----------------------------------------------------------------------

pupil_browser = Browser()


def pupil_bounce_a():
    before = peers.broker.decisions()
    w = walk(launch_url(peers.broker, RESOURCE_A), "elv-0001", pupil_browser, what="bounce launch of A")
    expect(w.visited(peers.shib.login_url) and w.visited(peers.shib.handler + "/Login"),
           "the bounce launch did not go through A's login URL and Shibboleth's Login handler")
    got = at_shibboleth(w, "pupil, bounce launch of A")
    release_is(got, "elv-0001", PUPIL_A, "pupil at Shibboleth")
    expect(got.name_id_format == PERSISTENT and got.name_id == got.ido, f"NameID {got.name_id_format}")
    ent_leg(w, "ENT leg")
    released(before)
    seen["pupil_a"] = got


suite.check("ENT-initiated bounce launch of A (garde /launch -> A's login URL -> Shibboleth's Login "
            "handler -> garde), pupil elv-0001: exactly IDO, PRO, UAI, DIV (3A)", pupil_bounce_a)


def pupil_direct_b():
    before = peers.broker.decisions()
    w = walk(launch_url(peers.broker, RESOURCE_B), "elv-0001", pupil_browser, login=False,
             what="direct launch of B")
    got = at_mellon(w, "pupil, direct launch of B")
    release_is(got, "elv-0001", ALL_B, "pupil at mellon")
    expect(not sso_requests(w, peers.broker.idp_sso_url), "mellon sent an AuthnRequest in a direct launch")
    expect(got.response().get("InResponseTo") is None, "the direct launch's Response has an InResponseTo")
    expect(got.ido != seen["pupil_a"].ido, "Shibboleth and mellon got the same IDO for the pupil")
    released(before)
    seen["pupil_b"] = got


suite.check("ENT-initiated direct launch of B in the same browser (SSO): mellon accepts garde's "
            "unsolicited Response (no InResponseTo, RelayState = its resource URL): exactly IDO, PRO, "
            "another pseudonym", pupil_direct_b)


def stable_pseudonyms():
    w = walk(launch_url(peers.broker, RESOURCE_A), "elv-0001", pupil_browser, login=False, what="again")
    again = at_shibboleth(w, "pupil, second launch of A")
    expect(again.ido == seen["pupil_a"].ido, f"A's pseudonym changed: {seen['pupil_a'].ido} -> {again.ido}")
    w = walk(peers.mellon.resource_url, "elv-0001", Browser(), what="B, another browser")
    b = at_mellon(w, "pupil at mellon, publisher-initiated")
    expect(b.ido == seen["pupil_b"].ido, f"B's pseudonym changed: {seen['pupil_b'].ido} -> {b.ido}")
    teacher = seen.get("teacher_a")
    expect(teacher is None or teacher.ido != again.ido, "the pupil and the teacher share A's pseudonym")


suite.check("pseudonyms are stable per publisher (A again by SSO, B publisher-initiated in another "
            "browser) and differ between people", stable_pseudonyms)


def non_ascii():
    """elv-0004's names reach the publishers as garde's directory holds them, byte for byte,
    wherever a contract releases them; some contract of the demo must release one of them."""
    b = Browser()
    w = walk(launch_url(peers.broker, RESOURCE_A), "elv-0004", b, what="elv-0004, A")
    got = [at_shibboleth(w, "elv-0004 at Shibboleth")]
    release_is(got[0], "elv-0004", PUPIL_A, "elv-0004 at Shibboleth")
    w = walk(launch_url(peers.broker, RESOURCE_A2), "elv-0004", b, login=False, what="elv-0004, A's cahier")
    got.append(at_shibboleth(w, "elv-0004 at Shibboleth, cahier"))
    for g in got[1:]:
        for code, values in g.attributes.items():
            if code != "IDO":
                expect([v.encode() for v in values] == [x.encode() for x in DIRECTORY["elv-0004"][code]],
                       f"{code} = {values!r}, the directory holds {DIRECTORY['elv-0004'][code]!r}")
    w = walk(launch_url(peers.broker, RESOURCE_B), "elv-0004", b, login=False, what="elv-0004, B")
    got.append(at_mellon(w, "elv-0004 at mellon"))
    names = [v for g in got for c in ("NOM", "PRE") for v in g.attributes.get(c, [])]
    expect(names, "no contract of the demo releases NOM or PRE to a pupil: nothing non-ASCII reached "
           "a publisher to compare")
    expect(any(re.search(r"[^\x00-\x7f]", v) for v in names), f"released names {names} are all ASCII")


suite.check("non-ASCII (elv-0004, Maïté-Françoise Lefèvre-Côté): released names intact byte for "
            "byte at Shibboleth and mellon", non_ascii)

# ---- Opaque RelayState: which of A's resources --------------------------------------------------


def choice_page():
    before = peers.broker.decisions()
    w = walk(peers.shib.resource_url, "elv-0001", Browser(), what="elv-0001 at Shibboleth")
    page = w.final
    choose = [f for f in forms(page.text or "") if f.action.endswith("/saml/idp/choose")]
    expect(page.url.startswith(peers.broker.base) and choose,
           f"elv-0001, entitled to both of A's resources, got no choice page from garde: HTTP "
           f"{page.status_code} at {page.url}: {page_text(page)[:400]}")
    options = re.findall(r'name="resource"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="resource"', page.text)
    options = {a or b for a, b in options}
    expect(options == {RESOURCE_A, RESOURCE_A2} and "t" in choose[0].fields,
           f"the choice page offers {options} (hidden t: {'t' in choose[0].fields})")
    resp = w.browser.post(urllib.parse.urljoin(page.url, choose[0].action),
                          dict(choose[0].fields, resource=RESOURCE_A2))
    w.final = None
    form = saml_form(resp)
    expect(form is not None and form.action == peers.shib.acs_url,
           f"choosing {RESOURCE_A2} did not answer Shibboleth: HTTP {resp.status_code}: {page_text(resp)[:300]}")
    w.saw_forms.append(form)
    w.final = w.browser.post(form.action, form.fields)
    got = at_shibboleth(w, "elv-0001 at Shibboleth, cahier")
    expect({"IDO", "PRO"} <= set(got.attributes), f"received {sorted(got.attributes)}")
    expect(got.ido == seen["pupil_a"].ido, "another pseudonym at the same publisher")
    released(before)
    audit = open(peers.broker.audit_file).read().splitlines()
    expect(audit and RESOURCE_A2 in audit[-1], f"the last audit line is not for {RESOURCE_A2}: {audit[-1:]}")


suite.check("publisher-initiated at Shibboleth (opaque RelayState), elv-0001 entitled to both of "
            "A's resources: a garde page to choose (/saml/idp/choose), the chosen one released",
            choice_page)


def none_entitled():
    before = peers.broker.decisions()
    posts = peers.apache.count("POST /Shibboleth.sso/SAML2/POST")
    w = walk(peers.shib.resource_url, "elv-0003", Browser(), what="elv-0003 at Shibboleth")
    expect_refusal(w.final, "elv-0003 at Shibboleth (opaque RelayState)")
    expect(peers.apache.count("POST /Shibboleth.sso/SAML2/POST") == posts, "something was posted to Shibboleth")
    delta = decisions_delta(before)
    expect(list(delta) and all(o == "refused" for o, _ in delta), f"garde_decisions_total changed by {delta}")


suite.check("publisher-initiated at Shibboleth (opaque RelayState), elv-0003 entitled to none of A's "
            "resources: garde's refusal page, nothing posted", none_entitled)

# ---- Refusal -------------------------------------------------------------------------------------


def unassigned():
    before = peers.broker.decisions()
    posts = peers.apache.count("POST /Shibboleth.sso/SAML2/POST")
    b = Browser()
    w = walk(launch_url(peers.broker, RESOURCE_A), "elv-0003", b, what="elv-0003, A")
    expect_refusal(w.final, "elv-0003, resource A")
    expect(w.final.status_code == 403, f"HTTP {w.final.status_code}, expected 403")
    expect(decisions_delta(before) == {("refused", "not_assigned"): 1},
           f"garde_decisions_total changed by {decisions_delta(before)}, expected one not_assigned")
    expect(peers.apache.count("POST /Shibboleth.sso/SAML2/POST") == posts, "something was posted to Shibboleth")
    back = [f for f in forms(w.final.text) if f.action.endswith("/saml/idp/return")]
    expect(back, "the refusal page has no way back to the publisher")
    resp = b.post(urllib.parse.urljoin(w.final.url, back[0].action), back[0].fields)
    form = saml_form(resp)
    expect(form is not None and form.action == peers.shib.acs_url, f"the way back: HTTP {resp.status_code}")
    xml = unb64(form.fields["SAMLResponse"])
    expect("RequestDenied" in xml and "Assertion" not in xml.replace("AssertionConsumer", ""),
           f"not a RequestDenied without assertion:\n{xml[:500]}")
    resp = b.post(form.action, form.fields)
    text = page_text(resp)
    expect("RequestDenied" in text and peers.shib.acs_url in resp.url,
           f"Shibboleth did not report the RequestDenied: HTTP {resp.status_code} {resp.url}: {text[:400]}")
    print(f"     (Shibboleth, HTTP {resp.status_code}: {text[text.find('SAML response'):][:160]})")
    w = walk(launch_url(peers.broker, RESOURCE_B), "elv-0003", b, login=False, what="elv-0003, B")
    release_is(at_mellon(w, "elv-0003 at mellon"), "elv-0003", ALL_B, "elv-0003 at mellon")


suite.check("elv-0003 (not assigned A): garde's refusal page (403, correlation id, not_assigned), "
            "nothing posted to Shibboleth; the way back gives Shibboleth a RequestDenied error it "
            "reports; B still works for them", unassigned)


def invalid_name_id_policy():
    b = Browser()
    login = (f"{peers.shib.handler}/Login?" + urllib.parse.urlencode(
        {"target": peers.shib.resource_url,
         "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"}))
    w = Walk(b)
    w.run(login, "elv-0001")
    xml = posted(w, peers.shib.acs_url)
    expect(xml is not None and "InvalidNameIDPolicy" in xml and "Assertion" not in xml.replace("AssertionConsumer", ""),
           f"garde did not answer an InvalidNameIDPolicy error Response: {(xml or page_text(w.final))[:400]}")
    expect("InvalidNameIDPolicy" in page_text(w.final), f"Shibboleth's page: {page_text(w.final)[:300]}")


suite.check("Shibboleth asking a NameID format garde does not issue (emailAddress): an "
            "InvalidNameIDPolicy error Response, which Shibboleth reports", invalid_name_id_policy)


# ---- The other way round: Shibboleth unsolicited, mellon through its login URL -----------------

suite.setup("roles swapped (seed-demo: mellon as publisher A, bounce launch; Shibboleth as B, "
            "direct launch), garde restarted", peers.restart_broker,
            ["--ent-identifier", "attribute:uid"], True)
swapped_browser = Browser()


def shibboleth_unsolicited():
    before = peers.broker.decisions()
    w = walk(launch_url(peers.broker, RESOURCE_B), "elv-0001", swapped_browser, what="direct launch to Shibboleth")
    got = at_shibboleth(w, "pupil, direct launch of B at Shibboleth")
    release_is(got, "elv-0001", ALL_B, "pupil at Shibboleth as B")
    expect(not sso_requests(w, peers.broker.idp_sso_url), "Shibboleth sent an AuthnRequest in a direct launch")
    expect(got.response().get("InResponseTo") is None, "the direct launch's Response has an InResponseTo")
    expect(got.name_id_format == PERSISTENT and got.name_id == got.ido, f"NameID {got.name_id_format}")
    released(before)


suite.check("direct launch to Shibboleth (now B): it accepts garde's unsolicited Response and goes to "
            "the RelayState, its resource URL: exactly IDO, PRO", shibboleth_unsolicited)


def mellon_bounce():
    before = peers.broker.decisions()
    w = walk(launch_url(peers.broker, RESOURCE_A), "elv-0001", swapped_browser, login=False,
             what="bounce launch through mellon")
    expect(w.visited(peers.mellon.login_url) and w.visited(peers.mellon.endpoint + "/login"),
           "the bounce launch did not go through mellon's login URL and its /mellon/login")
    got = at_mellon(w, "pupil, bounce launch of A at mellon")
    release_is(got, "elv-0001", PUPIL_A, "pupil at mellon as A")
    (params, request), = sso_requests(w, peers.broker.idp_sso_url)
    expect(params.get("RelayState") == peers.mellon.resource_url, f"mellon's RelayState {params.get('RelayState')!r}")
    expect(got.response().get("InResponseTo") == ET.fromstring(request).get("ID"),
           "the Response does not answer mellon's AuthnRequest")
    released(before)


suite.check("bounce launch of A through mellon's login URL (/mellon/login, RelayState its resource "
            "URL), SSO at SimpleSAMLphp: exactly IDO, PRO, UAI, DIV", mellon_bounce)


def shibboleth_checks_metadata():
    """garde's IdP metadata with one Location changed after signing: shibd's Signature filter
    refuses the reload and keeps what it had (the SSO still goes to garde's real endpoint)."""
    path = peers.shib.idp_metadata_file
    good = open(path).read()
    bad = good.replace(f'Location="{peers.broker.idp_sso_url}"', f'Location="{peers.broker.idp_sso_url}-x"', 1)
    expect(bad != good, "garde's IdP metadata names no SSO Location to change")
    logged = len(peers.shib.log())
    login = f"{peers.shib.handler}/Login?" + urllib.parse.urlencode({"target": peers.shib.resource_url})
    try:
        write(path, bad)
        stamp = time.time() + 2
        os.utime(path, (stamp, stamp))
        deadline = time.monotonic() + 20
        refused = ""
        while time.monotonic() < deadline and "failed signature check" not in refused:
            r = Browser().session.get(login, allow_redirects=False, timeout=10)  # shibd reads its metadata
            time.sleep(0.3)
            refused = peers.shib.log()[logged:]
        expect("failed signature check" in refused,
               f"shibd did not refuse the altered metadata within 20 s:\n{tail(refused, 8)}")
        expect(r.status_code == 302 and r.headers.get("Location", "").startswith(peers.broker.idp_sso_url + "?"),
               f"after the refused reload Shibboleth sends the browser to {r.headers.get('Location', '')[:120]}")
    finally:
        write(path, good)
        stamp = time.time() + 4
        os.utime(path, (stamp, stamp))


suite.check("Shibboleth checks garde's metadata signature (MetadataFilter Signature with garde's "
            "certificate): a Location changed after signing is refused, the signed copy kept",
            shibboleth_checks_metadata)

# ---- The peers and garde afterwards -------------------------------------------------------------


def peers_healthy():
    expect(peers.apache.alive() and peers.shib.alive() and peers.broker.alive(),
           "Apache, shibd or garde exited")
    log = open(peers.apache.error_log, errors="replace").read()
    # mod_shib logs the IdP errors it was sent (the RequestDenied and InvalidNameIDPolicy above).
    bad = [l for l in log.splitlines() if re.search(r"PHP (Fatal|Warning|Parse)|:error\]", l)
           and "SAML response reported an IdP error" not in l]
    expect(not bad, "Apache's error log:\n" + "\n".join(bad[-8:]))
    unmapped = [l for l in peers.shib.log().splitlines() if "skipping SAML 2.0 Attribute" in l]
    expect(not unmapped, "Shibboleth dropped attributes it has no mapping for:\n" + "\n".join(unmapped[-5:]))


suite.check("Apache, shibd and garde still running; no PHP, mellon or mod_shib error in Apache's "
            "log; Shibboleth received no attribute outside its map", peers_healthy)
suite.check("garde stops cleanly on SIGTERM (exit 0, no sanitizer report in its log)",
            peers.broker.check_clean_exit)
print(f"     (the suite took {time.monotonic() - started:.0f} s)")
suite.finish()
