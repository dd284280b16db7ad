#!/usr/bin/python3
"""Governance from end to end, over real HTTPS with client certificates, between pysaml2 peers
(tests/e2e/e2e_common.py; publisher B on HTTPS with an encryption key, as onboarding requires):

1. publisher B is onboarding: its contract is not approved, and its launch is refused;
2. its contract comes through POST /api/v1/publisher/contracts with its own certificate: publisher
   A's certificate is refused for it, no certificate is refused, a revision with an http ACS gets
   422 with the problem named and nothing stored;
3. an auditor cannot approve it, a ministry admin cannot without the CSRF token; with it, after
   the preview, the approval makes the next launch release exactly the declared attributes;
4. narrowing the ceiling is in force at the next launch; widening it back changes nothing until a
   second admin approves it (its proposer cannot);
5. the assignment manager of one establishment (signed in through the ENT) is refused another
   establishment and every ministry route;
6. the suspension stops the releases at once;
7. `garde policy explain` and GET /api/v1/admin/explain agree;
8. the subject-access export of the pupil holds exactly the launches released to them; the
   refused admin actions of the steps above are in the audit trail, under who tried them.

Run: GARDE_BIN=build/relwithdebinfo/broker/garde /usr/bin/python3 tests/e2e/test_governance.py
"""

import json
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import expect, run, tail  # noqa: E402
from e2e_common import (  # noqa: E402
    ENT_ID, HTTP_TIMEOUT, PUPIL, RESOURCE_B, TEACHER, UAI, Browser, Harness, Suite, expect_refusal,
    launch_url, requests)

PUB_A = "123456789_0000000000000001"  # the demo data's publishers (store/demo_data.h)
PUB_B = "987654321_0000000000000002"
OTHER_UAI = "0999999Z"
PASSWORD = "un mot de passe assez long"
ADMINS = ("alice@education.gouv.fr", "bruno@education.gouv.fr")
AUDITOR = "dpo@education.gouv.fr"

suite = Suite("e2e governance over TLS")
w = suite.workdir
h = Harness(w)
suite.harness = h
state = {"released": 0}


def path(name):
    return os.path.join(w, name)


def garde(*args, stdin=None, ok=True):
    rc, out = run([h.broker.bin, *args], stdin=stdin)
    if ok:
        expect(rc == 0, f"garde {' '.join(args[:3])} failed (exit {rc}):\n{tail(out)}")
    return rc, out


def set_up():
    h.start_tls(("pub-a-client", "pub-b-client"), publisher_b_tls=True,
                register=(("publisher", "add", PUB_A, "--cert", path("pub-a-client.pem")),
                          ("publisher", "add", PUB_B, "--cert", path("pub-b-client.pem"))))
    # Publisher B is onboarding: its contract is not approved yet.
    with sqlite3.connect(h.broker.database) as db:
        db.execute("UPDATE contracts SET status = 'submitted' WHERE resource_id = ?", (RESOURCE_B,))
    for name, role in ((ADMINS[0], "ministry-admin"), (ADMINS[1], "ministry-admin"),
                       (AUDITOR, "auditor")):
        garde("admin", "create-user", name, "--role", role, "--database", h.broker.database,
              stdin=PASSWORD + "\n")
    garde("assign", "manager", "--database", h.broker.database, "--uai", UAI, "--ent", ENT_ID,
          "--person", TEACHER)
    h.broker.start()
    h.connect_peers()


suite.setup("set-up: partner CA, publishers' client certificates, pysaml2 peers (B on HTTPS), "
            "`garde publisher add --cert`, two ministry admins and an auditor, `garde serve`",
            set_up)


class Admin:
    """A local account's session: cookie jar and CSRF token."""

    def __init__(self, user):
        self.user = user
        self.client = requests.Session()
        r = self.client.post(f"{h.broker.base}/api/v1/admin/login", timeout=HTTP_TIMEOUT,
                             json={"username": user, "password": PASSWORD})
        expect(r.status_code == 200, f"{user} sign-in: {r.status_code} {r.text[:300]}")
        self.csrf = r.json()["csrf"]

    def get(self, target, **params):
        return self.client.get(h.broker.base + target, params=params, timeout=HTTP_TIMEOUT)

    def post(self, target, body=None, csrf=True):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return self.client.post(h.broker.base + target, json=body if body is not None else {},
                                headers=headers, timeout=HTTP_TIMEOUT)


def launch_b():
    """The pupil launches resource B; the attribute names publisher B received, or None."""
    h.ent.user = PUPIL
    before, _ = h.pub_b.count()
    resp, _ = Browser().launch(launch_url(h.broker, RESOURCE_B))
    n, _ = h.pub_b.count()
    if n == before:
        expect_refusal(resp, "a launch of B that released nothing")
        return None
    state["released"] += 1
    got = h.pub_b.received[-1]
    expect(got["encrypted"], "the assertion to B was not encrypted to its contract's key")
    return set(got["ava"])


def wait_for(what, fn, timeout=10):
    """The registry refresh puts store changes in force within seconds (docs/contracts.md)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value == what or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def contract(metadata, needs):
    return {"publisher": {"id": PUB_B, "name": "Outils Démo B"},
            "sp_metadata": metadata,
            "resources": [{"id": RESOURCE_B, "title": "Outil de démonstration B",
                           "category": "outil", "url": h.pub_b.resource_url,
                           "launch_mode": "direct", "logo": h.pub_b.base + "/logo.png",
                           "needs": {"National_elv": [{"attribute": a, "justification": j}
                                                      for a, j in needs]}}]}


NEEDS = (("IDO", "the pupil's account in the tool"), ("PRO", "pupil view"),
         ("UAI", "one licence pool per school"))


def onboarding_refused():
    expect(launch_b() is None, "a publisher whose contract is not approved received an assertion")


suite.check("publisher B, onboarding, is refused at launch (contract not approved)",
            onboarding_refused)


def submissions():
    r = h.call("GET", "/api/v1/publisher/contracts", "pub-b-client")
    expect(r.status_code == 200, f"B's own list: {r.status_code} {r.text[:300]}")
    return r.json()["contracts"]


def submit():
    target = "/api/v1/publisher/contracts"
    good = contract(h.pub_b.metadata_xml, NEEDS)
    r = h.call("POST", target, "pub-a-client", json=good)
    expect(r.status_code == 403, f"publisher A submitted B's contract: {r.status_code} {r.text[:300]}")
    r = h.call("POST", target, None, json=good)
    expect(r.status_code == 403, f"a contract without a certificate: {r.status_code}")
    expect(r.headers.get("Content-Type", "").startswith("application/json"),
           f"the API's refusal is not JSON: {r.headers.get('Content-Type')}")
    plain = h.pub_b.metadata_xml.replace(h.pub_b.base, h.pub_b.base.replace("https:", "http:"))
    r = h.call("POST", target, "pub-b-client", json=contract(plain, NEEDS))
    expect(r.status_code == 422, f"an http ACS: {r.status_code} {r.text[:300]}")
    codes = {p["code"] for p in r.json()["problems"]}
    expect("acs_not_https" in codes, f"the problems listed: {codes}")
    expect(submissions() == [], "a refused submission was stored")
    r = h.call("POST", target, "pub-b-client", json=good)
    expect(r.status_code == 201, f"B's contract: {r.status_code} {r.text[:500]}")
    state["contract"] = r.json()["id"]
    expect(len(submissions()) == 1, "B does not see its submission")
    expect(launch_b() is None, "a submitted contract released something before its approval")


suite.check("the contract comes with B's own certificate (A's and none: 403 in JSON; an http "
            "ACS: 422 naming it, nothing stored); submitted, it releases nothing", submit)


def approve():
    cid = state["contract"]
    dpo = Admin(AUDITOR)
    r = dpo.post(f"/api/v1/admin/contracts/{cid}/approve", {"reason": "looks fine"})
    expect(r.status_code == 403, f"an auditor approved a contract: {r.status_code}")
    alice = Admin(ADMINS[0])
    r = alice.post(f"/api/v1/admin/contracts/{cid}/approve", {"reason": "ok"}, csrf=False)
    expect(r.status_code == 403, f"an approval without the CSRF token: {r.status_code}")
    preview = alice.get(f"/api/v1/admin/contracts/{cid}/preview")
    expect(preview.status_code == 200, f"preview: {preview.status_code} {preview.text[:300]}")
    pupils = [i for i in preview.json()["impacts"]
              if i["resource"] == RESOURCE_B and i["profile"] == "National_elv"]
    expect(pupils and set(pupils[0]["start_flowing"]) == {"IDO", "PRO", "UAI"},
           f"the preview's impact on pupils: {pupils}")
    r = alice.post(f"/api/v1/admin/contracts/{cid}/approve", {"reason": "needs justified"})
    expect(r.status_code == 200 and r.json()["status"] == "approved", f"{r.status_code} {r.text}")
    got = wait_for({"IDO", "PRO", "UAI"}, launch_b)
    expect(got == {"IDO", "PRO", "UAI"}, f"after the approval B received {got}")
    state["alice"] = alice


suite.check("an auditor and an approval without CSRF are refused; after the preview, the approval "
            "releases exactly the declared attributes", approve)


def ceilings_without(rows, attribute):
    """The table without `attribute` for pupils in B's category (or in `*` when it has no rows)."""
    own = [r for r in rows if r["profile"] == "National_elv" and r["category"] == "outil"]
    category = "outil" if own else "*"
    return [r for r in rows if not (r["profile"] == "National_elv" and r["category"] == category
                                    and r["attribute"] == attribute)]


def ceilings():
    alice = state["alice"]
    in_force = alice.get("/api/v1/admin/ceilings").json()["ceilings"]
    narrower = ceilings_without(in_force, "UAI")
    expect(len(narrower) == len(in_force) - 1, "no ceiling row lets UAI reach pupils of outils")
    r = alice.post("/api/v1/admin/ceilings", {"reason": "UAI not needed by tools",
                                              "ceilings": narrower})
    expect(r.status_code == 200 and r.json()["applied"], f"narrowing: {r.status_code} {r.text}")
    got = wait_for({"IDO", "PRO"}, launch_b)
    expect(got == {"IDO", "PRO"}, f"after the narrowing B received {got}")

    r = alice.post("/api/v1/admin/ceilings", {"reason": "licences per school",
                                              "ceilings": in_force})
    expect(r.status_code == 202 and not r.json()["applied"], f"widening: {r.status_code} {r.text}")
    proposal = r.json()["proposal"]
    got = launch_b()
    expect(got == {"IDO", "PRO"}, f"a widening not yet approved released {got}")
    r = alice.post(f"/api/v1/admin/ceilings/proposals/{proposal}/approve")
    expect(r.status_code == 403, f"the proposer approved their own widening: {r.status_code}")
    bruno = Admin(ADMINS[1])
    r = bruno.post(f"/api/v1/admin/ceilings/proposals/{proposal}/approve", csrf=False)
    expect(r.status_code == 403, f"a second approval without CSRF: {r.status_code}")
    r = bruno.post(f"/api/v1/admin/ceilings/proposals/{proposal}/approve")
    expect(r.status_code == 200, f"the second admin's approval: {r.status_code} {r.text}")
    got = wait_for({"IDO", "PRO", "UAI"}, launch_b)
    expect(got == {"IDO", "PRO", "UAI"}, f"after the second approval B received {got}")


suite.check("narrowing the ceiling releases less at once; widening waits for a second admin (not "
            "its proposer, not without CSRF), then releases more", ceilings)


def establishment_scope():
    b, session = h.manager_session(TEACHER)
    expect(session["establishments"] == [UAI], f"managed {session['establishments']}")
    own = b.get(f"{h.broker.base}/api/v1/establishment/{UAI}/subscriptions")
    expect(own.status_code == 200, f"the manager's own establishment: {own.status_code}")
    for target in (f"/api/v1/establishment/{OTHER_UAI}/subscriptions",
                   f"/api/v1/establishment/{OTHER_UAI}/directory",
                   "/api/v1/admin/ceilings", "/api/v1/admin/contracts", "/api/v1/admin/audit"):
        r = b.get(h.broker.base + target)
        expect(r.status_code == 403, f"the manager of {UAI} reached {target}: {r.status_code}")
    r = b.session.post(f"{h.broker.base}/api/v1/establishment/{OTHER_UAI}/assignments",
                       json={"subscription": "X", "kind": "person", "target": PUPIL},
                       headers={"X-CSRF-Token": session["csrf"]}, timeout=HTTP_TIMEOUT)
    expect(r.status_code == 403, f"an assignment in another establishment: {r.status_code}")


suite.check("an establishment's assignment manager is refused another establishment and the "
            "ministry's routes", establishment_scope)


def explain_agrees():
    alice = state["alice"]
    api = alice.get("/api/v1/admin/explain", resource=RESOURCE_B, ent=ENT_ID, person=PUPIL,
                    uai=UAI)
    expect(api.status_code == 200, f"explain: {api.status_code} {api.text[:300]}")
    _, out = garde("policy", "explain", "--config", h.broker.config_file, "--resource", RESOURCE_B,
                   "--ent", ENT_ID, "--person", PUPIL, "--uai", UAI, "--json", "--as", ADMINS[0])
    answers = [line for line in out.splitlines() if line.startswith('{"resource"')]
    expect(len(answers) == 1, f"garde policy explain printed:\n{tail(out)}")
    cli = json.loads(answers[0])
    expect(cli == api.json(), f"the CLI says {cli}, the API {api.json()}")
    expect({r["attribute"] for r in cli["released"]} == {"IDO", "PRO", "UAI"}, cli)
    rc, out = garde("policy", "explain", "--config", h.broker.config_file, "--resource", RESOURCE_B,
                    "--profile", "National_elv", "--person", PUPIL, ok=False)
    expect(rc == 2, f"a profile and a person together: exit {rc}\n{out}")


suite.check("`garde policy explain` says what GET /api/v1/admin/explain says", explain_agrees)


def suspend():
    alice = state["alice"]
    r = alice.post(f"/api/v1/admin/contracts/{state['contract']}/suspend",
                   {"reason": "complaint under review"})
    expect(r.status_code == 200, f"suspend: {r.status_code} {r.text}")
    expect(wait_for(None, launch_b) is None, "a suspended contract still releases")


suite.check("the suspension stops releases at the next launch", suspend)


def export_and_audit():
    dpo = Admin(AUDITOR)
    r = dpo.get("/api/v1/admin/audit/subject", ent=ENT_ID, person=PUPIL)
    expect(r.status_code == 200, f"export: {r.status_code} {r.text[:300]}")
    released = [x for x in r.json()["records"]
                if x["kind"] == "launch" and x["outcome"] == "released"]
    expect(len(released) == state["released"],
           f"{len(released)} releases exported, {state['released']} received by B")
    expect(all(x["resource"] == RESOURCE_B for x in released), released)
    # Audit rows reach the table in batches off the request path: a moment.
    wanted = (
        ("the auditor's approval", lambda a, r: a == AUDITOR
         and r.startswith("caller_refused:admin_role_refused POST /api/v1/admin/contracts/")),
        ("the approval without CSRF", lambda a, r: a == ""
         and r.startswith("caller_refused:admin_session_missing POST /api/v1/admin/contracts/")),
        ("the contract without a certificate", lambda a, r:
         r == "caller_refused:client_certificate_missing POST /api/v1/publisher/contracts"),
        ("the manager on a ministry route", lambda a, r: a.endswith(TEACHER)
         and r.startswith("caller_refused:admin_role_refused GET /api/v1/admin/")),
        ("the manager in another establishment", lambda a, r: a.endswith(TEACHER)
         and r.startswith("scope_refused ")),
    )
    deadline = time.monotonic() + 10
    while True:
        rows = dpo.get("/api/v1/admin/audit", kind="admin", outcome="failed",
                       limit="1000").json()["records"]
        missing = [what for what, match in wanted
                   if not any(match(x.get("actor", ""), x["reason"]) for x in rows)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect(not missing, f"not in the audit trail: {missing}; failed admin actions: "
           f"{[(x.get('actor'), x['reason']) for x in rows]}")
    scoped = [x for x in rows if x["reason"].startswith("scope_refused ")]
    expect(all(x["uai"] == OTHER_UAI for x in scoped), f"scope refusals: {scoped}")
    expect(PUPIL not in json.dumps(rows), "an admin record names the pupil")


suite.check("the pupil's export holds exactly the launches B received; the refused admin actions "
            "are audited under who tried them", export_and_audit)
suite.check("the broker stops cleanly on SIGTERM", h.broker.check_clean_exit)
suite.finish()
