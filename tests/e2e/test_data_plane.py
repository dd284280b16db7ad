#!/usr/bin/python3
"""The GAR data plane from end to end, over real HTTPS with client certificates, between pysaml2
peers (an ENT IdP, two publisher SPs; tests/e2e/e2e_common.py):

1. the ENT project feeds its directory: a `.tar.gz` of GAR-ENT files and its MD5 posted to
   /api/v1/ent/feeds with the project's certificate (a publisher's is refused);
2. publisher A subscribes the establishment to its manual through the XML web service
   (`PUT /abonnements/{id}`, its certificate; the ENT's is refused);
3. subscribed but not assigned: not in the pupil's médiacentre, and the launch is refused;
4. the establishment's assignment manager, named by the RespAff file, signs in through the ENT
   (garde's SAML SP leg) and assigns the subscription to the pupil's class (JSON API, CSRF token);
5. the pupil's médiacentre (`GET /ressources/...`, the ENT's certificate) lists the resource; its
   `urlAccesRessource` launches it through the ENT to publisher A, which receives the pupil's
   class (DIV) and nothing its contract does not name; the publisher's assignment report counts it;
6. the assignment removed: the resource leaves the list and the launch is refused.

Run: GARDE_BIN=build/relwithdebinfo/broker/garde /usr/bin/python3 tests/e2e/test_data_plane.py
"""

import json
import os
import sys
import urllib.parse
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import b64, expect, tail  # noqa: E402
from e2e_common import (  # noqa: E402
    ENT_ID, HTTP_TIMEOUT, RESOURCE_A, UAI, Browser, Harness, Suite, expect_refusal, feed_archive)

PUB_A = "123456789_0000000000000001"  # the demo data's publisher A (store/demo_data.h)
PUPIL = "elv-9001"
MANAGER = "ens-9001"
CLASS = "5C"
SUBSCRIPTION = "ABO_DATAPLANE_1"
NS_GAR = "http://data.education.fr/ns/gar"
NS_ABO = "http://www.atosworldline.com/wsabonnement/v1.0/"

suite = Suite("e2e data plane over TLS")
w = suite.workdir


h = Harness(w)  # filled by set_up() below: the same peers, the broker on HTTPS
suite.harness = h


def path(name):
    return os.path.join(w, name)


def set_up():
    h.start_tls(("ent-client", "pub-client"),
                register=(("ent", "add", ENT_ID, "--cert", path("ent-client.pem")),
                          ("publisher", "add", PUB_A, "--cert", path("pub-client.pem"))))
    h.broker.start()
    h.connect_peers()


suite.setup("set-up: partner CA and client certificates, pysaml2 peers, `garde store seed-demo`, "
            "`garde ent add` / `garde publisher add --cert`, `garde serve` on HTTPS", set_up)


call = h.call


# ---- 1. The feed ----------------------------------------------------------------------------------


def leaf(name, value):
    return f"<{name}>{escape(value)}</{name}>"


def feed_file(kind, elements):
    body = "\n".join(elements)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<GAR-ENT-{kind} xmlns="{NS_GAR}" '
            f'Version="1.7">\n{body}\n</GAR-ENT-{kind}>\n').encode()


def person(tag, ident, profile, last, first, extra=""):
    return (f"<{tag}>{leaf('GARPersonIdentifiant', ident)}<GARPersonProfils>"
            f"{leaf('GARStructureUAI', UAI)}{leaf('GARPersonProfil', profile)}</GARPersonProfils>"
            f"{leaf('GARPersonNom', last)}{leaf('GARPersonPrenom', first)}"
            f"{leaf('GARPersonAutresPrenoms', first)}{extra}{leaf('GARPersonEtab', UAI)}</{tag}>")


def snapshot_archive():
    """The ENT's snapshot as gar-connector packs it (the archive and its MD5): the establishment,
    a pupil of class 5C, a teacher who is the establishment's assignment manager."""
    mail = "helene.garnier@ent.demo.test"
    files = {
        "Etab": [f"<GAREtab>{leaf('GARStructureUAI', UAI)}"
                 f"{leaf('GARStructureNomCourant', 'Collège de démonstration')}</GAREtab>"],
        "Eleve": [person("GAREleve", PUPIL, "National_elv", "Lefèvre", "Zoé")],
        "Enseignant": [person("GAREnseignant", MANAGER, "National_ens", "Garnier", "Hélène",
                              leaf("GARPersonCivilite", "Mme"))
                       .replace("</GAREnseignant>", leaf("GARPersonMail", mail) + "</GAREnseignant>")],
        "Groupe": [f"<GARGroupe>{leaf('GARGroupeCode', CLASS)}{leaf('GARStructureUAI', UAI)}"
                   f"{leaf('GARGroupeLibelle', 'Classe 5C')}{leaf('GARGroupeStatut', 'DIVISION')}"
                   "</GARGroupe>",
                   f"<GARPersonGroupe>{leaf('GARStructureUAI', UAI)}"
                   f"{leaf('GARPersonIdentifiant', PUPIL)}{leaf('GARGroupeCode', CLASS)}"
                   "</GARPersonGroupe>"],
        "RespAff": [f"<GARRespAff>{leaf('GARPersonIdentifiant', MANAGER)}"
                    f"{leaf('GARPersonNom', 'Garnier')}{leaf('GARPersonPrenom', 'Hélène')}"
                    f"{leaf('GARPersonMail', mail)}{leaf('GARRespAffEtab', UAI)}</GARRespAff>"],
    }
    return feed_archive({f"{ENT_ID}_GAR-ENT_Complet_20260902_2D_{kind}_0000.xml":
                         feed_file(kind, elements) for kind, elements in files.items()})


def feed():
    archive, md5 = snapshot_archive()
    headers = {"Content-Type": "application/gzip", "X-Feed-MD5": md5}
    target = f"/api/v1/ent/feeds?name={ENT_ID}_GAR-ENT_Complet_20260902.tar.gz"
    r = call("POST", target, "pub-client", data=archive, headers=headers)
    expect(r.status_code == 403, f"a publisher's certificate fed a directory: {r.status_code}")
    r = call("POST", target, None, data=archive, headers=headers)
    expect(r.status_code == 403, f"no certificate fed a directory: {r.status_code}")
    r = call("POST", target, "ent-client", data=archive, headers=headers)
    expect(r.status_code == 200, f"the feed was refused: {r.status_code}\n{r.text[:800]}")
    report = r.json()
    location = r.headers.get("Location", "")
    expect(location.startswith("/api/v1/ent/feeds/"), f"no report location: {location!r}")
    kept = call("GET", location, "ent-client")
    expect(kept.status_code == 200 and kept.json() == report,
           f"the kept report differs: {kept.status_code} {kept.text[:300]}")
    text = json.dumps(report)
    expect(PUPIL not in text and "Lefèvre" not in text,
           "the import report names a person (it carries counts and file positions only)")


suite.check("the ENT project's certificate feeds the directory (.tar.gz + X-Feed-MD5 over TLS); "
            "a publisher's certificate and no certificate are refused (403); the report is kept",
            feed)


# ---- 2. The subscription ------------------------------------------------------------------------


def abonnement():
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<abonnement xmlns="{NS_ABO}">
  <idAbonnement>{SUBSCRIPTION}</idAbonnement>
  <idDistributeurCom>{PUB_A}</idDistributeurCom>
  <idRessource>{RESOURCE_A}</idRessource>
  <typeIdRessource>ark</typeIdRessource>
  <libelleRessource>Manuel de démonstration A</libelleRessource>
  <debutValidite>2025-09-01T00:00:00</debutValidite>
  <anneeFinValidite>2026-2027</anneeFinValidite>
  <uaiEtab>{UAI}</uaiEtab>
  <categorieAffectation>transferable</categorieAffectation>
  <typeAffectation>INDIV</typeAffectation>
  <nbLicenceEleve>30</nbLicenceEleve>
  <publicCible>ELEVE</publicCible>
</abonnement>""".encode()


def subscribe():
    headers = {"Content-Type": "application/xml"}
    r = call("PUT", f"/abonnements/{SUBSCRIPTION}", "ent-client", data=abonnement(), headers=headers)
    expect(r.status_code == 403, f"the ENT's certificate created a subscription: {r.status_code}")
    r = call("PUT", f"/abonnements/{SUBSCRIPTION}", "pub-client", data=abonnement(), headers=headers)
    expect(r.status_code == 201, f"the subscription was refused: {r.status_code}\n{r.text[:500]}")


suite.check("publisher A's certificate creates an INDIV subscription through the XML web service; "
            "the ENT's certificate is refused (403)", subscribe)


# ---- The médiacentre and the launch -------------------------------------------------------------


def mediacentre(person=PUPIL):
    r = call("GET", f"/ressources/{ENT_ID}/{UAI}/{person}", "ent-client",
             headers={"Accept-Encoding": "gzip"})
    expect(r.status_code == 200, f"médiacentre: {r.status_code} {r.text[:300]}")
    expect(r.headers.get("Content-Encoding") == "gzip", "the médiacentre answer is not gzip")
    return {x["idRessource"]: x for x in r.json()["listeRessources"]["ressource"]}


def domaine_gar_link():
    """/domaineGar for the pupil's establishment and resource A, as the médiacentre writes it."""
    return (f"{h.broker.base}/domaineGar?idENT={urllib.parse.quote(b64(ENT_ID), safe='')}"
            f"&idEtab={urllib.parse.quote(b64(UAI), safe='')}"
            f"&idRessource={urllib.parse.quote(RESOURCE_A, safe='')}")


def launch(url):
    """The pupil opens `url`; returns (final response, what publisher A received or None)."""
    h.ent.user = PUPIL
    before, _ = h.pub_a.count()
    resp, _ = Browser().launch(url)
    n, _ = h.pub_a.count()
    return resp, (h.pub_a.received[-1] if n > before else None)


def not_yet_assigned():
    expect(RESOURCE_A not in mediacentre(), "an INDIV subscription listed before any assignment")
    resp, got = launch(domaine_gar_link())
    expect(got is None, "publisher A received an assertion for an unassigned pupil")
    expect_refusal(resp, "the unassigned pupil's launch")


suite.check("subscribed but not assigned: not in the pupil's médiacentre, launch refused with a page",
            not_yet_assigned)

manager = {}


def sign_in():
    b, session = h.manager_session(MANAGER)
    cookie = b.session.cookies.get("garde_admin")
    expect(cookie, f"no admin session cookie after the sign-in; trail: {b.trail}")
    expect(MANAGER not in cookie, "the session cookie carries the manager's identifier in clear")
    expect(session["establishments"] == [UAI], f"managed establishments {session['establishments']}")
    manager.update(browser=b, csrf=session["csrf"])


suite.check("the RespAff manager signs in through the ENT (SAML over TLS): an admin session for "
            "exactly their establishment", sign_in)


def assign():
    b, base = manager["browser"], f"{h.broker.base}/api/v1/establishment/{UAI}/assignments"
    body = {"subscription": SUBSCRIPTION, "kind": "class", "target": CLASS}
    r = b.session.post(base, json=body, timeout=HTTP_TIMEOUT)
    expect(r.status_code == 403, f"an assignment without the CSRF token: {r.status_code}")
    r = b.session.post(base, json=body, headers={"X-CSRF-Token": manager["csrf"]},
                       timeout=HTTP_TIMEOUT)
    expect(r.status_code == 201, f"assignment refused: {r.status_code} {r.text[:300]}")
    manager["assignment"] = r.json()["id"]


suite.check("the manager assigns the subscription to class 5C (CSRF token required)", assign)


def listed_and_launched():
    listed = mediacentre()
    expect(RESOURCE_A in listed, f"resource A not in the pupil's médiacentre: {sorted(listed)}")
    url = listed[RESOURCE_A]["urlAccesRessource"]
    expect(url == domaine_gar_link(), f"urlAccesRessource {url}")
    resp, got = launch(url)
    expect(got is not None, f"publisher A received nothing (HTTP {resp.status_code} at {resp.url}); "
           f"it refused {h.pub_a.refused[-2:]}; broker log:\n{tail(h.broker_log(), 10)}")
    expect(got["encrypted"], "publisher A's assertion was not encrypted")
    expect(got["ava"].get("DIV") == [CLASS], f"DIV {got['ava'].get('DIV')}")
    expect(set(got["ava"]) == {"IDO", "PRO", "UAI", "DIV"},
           f"publisher A received {sorted(got['ava'])}, not its contract's pupil attributes")
    expect(PUPIL not in got["xml"] and "Lefèvre" not in got["xml"],
           "the pupil's ENT identifier or name reached the publisher")
    r = call("GET", "/abonnements/rapports/affectations.xml", "pub-client")
    expect(r.status_code == 200 and SUBSCRIPTION in r.text,
           f"the assignment report: {r.status_code} {r.text[:300]}")


suite.check("the pupil's médiacentre lists resource A; its link launches it through the ENT and "
            "publisher A receives the pupil's class (DIV) and only its contract's attributes",
            listed_and_launched)


def unassigned():
    b = manager["browser"]
    r = b.session.delete(
        f"{h.broker.base}/api/v1/establishment/{UAI}/assignments/{manager['assignment']}",
        headers={"X-CSRF-Token": manager["csrf"]}, timeout=HTTP_TIMEOUT)
    expect(r.status_code == 204, f"removing the assignment: {r.status_code} {r.text[:300]}")
    expect(RESOURCE_A not in mediacentre(), "resource A still listed after the assignment left")
    resp, got = launch(domaine_gar_link())
    expect(got is None, "publisher A received an assertion after the assignment was removed")
    expect_refusal(resp, "the launch after the assignment was removed")


suite.check("the assignment removed: the resource leaves the médiacentre and the launch is refused",
            unassigned)


def clean_exit():
    expect(not h.peer_errors(), f"peer errors: {h.peer_errors()[:3]}")
    h.broker.check_clean_exit()


suite.check("no peer error; garde exits cleanly on SIGTERM", clean_exit)
suite.finish()
