#!/usr/bin/python3
"""The ministry's admin API over real HTTP, against the real `garde serve` between pysaml2 peers
(tests/e2e/e2e_common.py):

- `garde admin create-user` makes a ministry admin and an auditor (password on stdin);
- POST /api/v1/admin/login: a wrong password is refused, then throttled (429 + Retry-After) after
  five, even with the right one; the auditor signs in and gets a session of its role;
- a change without the CSRF token is refused; without a session the API is closed;
- pupils launch resources through the ENT; the auditor's search finds the releases by publisher
  and attribute, CSV without formulas; the subject-access export of one pupil holds exactly that
  pupil's launches, and `garde audit export` (the CLI, with the config's secret) agrees;
- the audit rows carry the pupil's digest, never the identifier; `garde audit purge` keeps them
  when they are recent.

Run: GARDE_BIN=build/relwithdebinfo/broker/garde /usr/bin/python3 tests/e2e/test_admin_api.py
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
    ENT_ID, HTTP_TIMEOUT, PUPIL, RESOURCE_B, TEACHER, Browser, Harness, Suite, launch_url,
    requests)

suite = Suite("e2e admin API")
h = Harness(suite.workdir)
suite.harness = h

PASSWORD = "un mot de passe assez long"
OTHER_PUPIL = "elv-0002"
session = {}


def garde(*args, stdin=None):
    rc, out = run([h.broker.bin, *args], stdin=stdin)
    expect(rc == 0, f"garde {' '.join(args[:3])} failed (exit {rc}):\n{tail(out)}")
    return out


def set_up():
    h.start()
    for name, role in (("ministre@education.gouv.fr", "ministry-admin"),
                       ("dpo@education.gouv.fr", "auditor")):
        out = garde("admin", "create-user", name, "--role", role, "--database", h.broker.database,
                    stdin=PASSWORD + "\n")
        expect("created" in out, out)


suite.setup("set-up: pysaml2 peers, seeded database, `garde serve`, two local accounts made with "
            "`garde admin create-user`", set_up)


def login(user, password, client=None):
    client = client or requests.Session()
    r = client.post(f"{h.broker.base}/api/v1/admin/login", timeout=HTTP_TIMEOUT,
                    json={"username": user, "password": password})
    return client, r


def throttled():
    user = "ministre@education.gouv.fr"
    for i in range(4):
        _, r = login(user, f"guess {i}")
        expect(r.status_code == 401, f"wrong password {i}: {r.status_code} {r.text}")
        expect(r.json()["error"] == "wrong username, password or one-time code", r.text)
    _, r = login(user, "guess 4")
    expect(r.status_code == 429 and r.headers.get("Retry-After"),
           f"fifth wrong password: {r.status_code} {r.headers}")
    _, r = login(user, PASSWORD)
    expect(r.status_code == 429, f"the right password while locked: {r.status_code}")
    _, r = login("nobody@example.org", PASSWORD)
    expect(r.status_code == 401 and r.json()["error"] == "wrong username, password or one-time code",
           f"an unknown name: {r.status_code} {r.text}")


suite.check("wrong passwords are refused with one answer, then throttled (429, Retry-After) even "
            "for the right password", throttled)


def auditor_signs_in():
    closed = requests.get(f"{h.broker.base}/api/v1/admin/audit", timeout=HTTP_TIMEOUT)
    expect(closed.status_code == 403, f"the audit API without a session: {closed.status_code}")
    client, r = login("dpo@education.gouv.fr", PASSWORD)
    expect(r.status_code == 200, f"auditor sign-in: {r.status_code} {r.text}")
    expect(r.json()["role"] == "auditor", r.text)
    expect("garde_admin" in client.cookies, "no session cookie")
    s = client.get(f"{h.broker.base}/api/v1/admin/session", timeout=HTTP_TIMEOUT)
    expect(s.status_code == 200 and s.json()["username"] == "dpo@education.gouv.fr", s.text)
    r = client.post(f"{h.broker.base}/api/v1/admin/logout", timeout=HTTP_TIMEOUT)
    expect(r.status_code == 403, f"sign-out without the CSRF token: {r.status_code}")
    session.update(client=client, csrf=s.json()["csrf"])


suite.check("the auditor signs in; the session says its role; a change without CSRF is refused",
            auditor_signs_in)


def launch(user):
    h.ent.user = user
    before, _ = h.pub_b.count()
    resp, _ = Browser().launch(launch_url(h.broker, RESOURCE_B))
    n, _ = h.pub_b.count()
    expect(resp.status_code == 200 and n == before + 1,
           f"{user}'s launch of B: HTTP {resp.status_code}, B received {n - before}")


def launches():
    for user in (PUPIL, TEACHER, PUPIL, OTHER_PUPIL):
        launch(user)


suite.check("two pupils and a teacher launch resource B through the ENT", launches)


def get(path, **params):
    return session["client"].get(f"{h.broker.base}{path}", params=params, timeout=HTTP_TIMEOUT)


def search():
    # Audit rows reach the table in batches off the request path (the file first): a moment.
    deadline = time.monotonic() + 10
    while True:
        r = get("/api/v1/admin/audit", kind="launch", resource=RESOURCE_B)
        expect(r.status_code == 200, f"search: {r.status_code} {r.text[:300]}")
        rows = r.json()["records"]
        if len(rows) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect(len(rows) == 4, f"{len(rows)} releases of B found, 4 made")
    expect(all(row["released"] == ["IDO", "PRO"] for row in rows), rows)
    expect(PUPIL not in r.text and TEACHER not in r.text, "the audit names a person")
    r = get("/api/v1/admin/audit", kind="launch", profile="National_ens")
    expect(len(r.json()["records"]) == 1, r.text[:300])
    r = get("/api/v1/admin/audit", kind="launch", format="csv")
    expect(r.status_code == 200 and r.text.startswith("at,kind,correlation_id"), r.text[:200])
    expect(len(r.text.strip().splitlines()) == 5, r.text)
    r = get("/api/v1/admin/audit", limit="0")
    expect(r.status_code == 400 and "limit" in r.json()["error"], r.text)


suite.check("the auditor's search finds the releases by resource and profile, in JSON and CSV; a "
            "bad limit is refused naming it", search)


def subject_export():
    r = get("/api/v1/admin/audit/subject", ent=ENT_ID, person=PUPIL)
    expect(r.status_code == 200, f"export: {r.status_code} {r.text[:300]}")
    expect("attachment" in r.headers.get("Content-Disposition", ""), r.headers)
    doc = r.json()
    launches_of = [row for row in doc["records"] if row["kind"] == "launch"]
    expect(len(launches_of) == 2, f"{len(launches_of)} launches exported for {PUPIL}, 2 made")
    expect(all(row["profile"] == "National_elv" for row in launches_of), launches_of)
    digest = launches_of[0]["subject"]
    other = get("/api/v1/admin/audit/subject", ent=ENT_ID, person=OTHER_PUPIL).json()["records"]
    expect(len([x for x in other if x["kind"] == "launch"]) == 1 and other[0]["subject"] != digest,
           f"the other pupil's export: {other}")
    # The CLI, with the deployment's config (its database and [audit] secret), agrees.
    out = garde("audit", "export", "--config", h.broker.config_file, "--ent", ENT_ID,
                "--person", PUPIL)
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    expect(len([x for x in lines if x["kind"] == "launch"]) == 2, out)
    # The database holds digests, not identifiers.
    with sqlite3.connect(h.broker.database) as db:
        people = db.execute("SELECT count(*) FROM audit WHERE subject = ?", (digest,)).fetchone()[0]
        leaks = db.execute("SELECT count(*) FROM audit WHERE subject LIKE 'elv-%' OR actor LIKE "
                           "'elv-%'").fetchone()[0]
    expect(people >= 2 and leaks == 0, f"rows of the digest {people}, rows naming a pupil {leaks}")


suite.check("the subject-access export holds exactly that pupil's launches; `garde audit export` "
            "agrees; the database holds digests only", subject_export)


def cli_query_and_purge():
    out = garde("audit", "query", "--database", h.broker.database, "--kind", "launch", "--csv")
    expect(out.startswith("at,kind,correlation_id") and len(out.strip().splitlines()) == 5, out)
    out = garde("audit", "purge", "--database", h.broker.database, "--older-than-days", "30")
    expect("deleted 0 row(s)" in out, out)
    r = get("/api/v1/admin/audit", kind="launch")
    expect(len(r.json()["records"]) == 4, "recent rows were purged")


suite.check("`garde audit query --csv` and `garde audit purge` (recent rows kept)",
            cli_query_and_purge)
suite.check("the broker stops cleanly on SIGTERM", h.broker.check_clean_exit)
suite.finish()
