#!/usr/bin/env python3
"""`garde assign` on a real database made by `garde store seed-demo`: an operator assigns,
lists and removes licences with the establishment API's rules, and names assignment managers;
every change is in the audit table (docs/assignments.md)."""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "python"))
from garde_harness import Suite, expect, garde_bin  # noqa: E402

UAI = "0561534N"
suite = Suite("garde assign")
db = os.path.join(suite.workdir, "garde.db")
garde = garde_bin()


def run(*args, code=0):
    p = subprocess.run([garde, *args], capture_output=True, text=True, timeout=60)
    expect(p.returncode == code, f"garde {' '.join(args)}: exit {p.returncode}, expected {code}\n"
                                 f"{p.stdout}{p.stderr}")
    return p


def seeded():
    run("store", "seed-demo", "--database", db)


suite.check("set-up: garde store seed-demo", seeded)
state = {}


def add_list_remove():
    out = run("assign", "add", "--database", db, "--uai", UAI, "--subscription",
              "DEMO_A_0561534N", "--person", "elv-0003", "--actor", "alice").stdout
    expect(out.startswith("assignment "), out)
    state["id"] = out.split()[1].rstrip(":")
    listed = run("assign", "list", "--database", db, "--uai", UAI, "--subscription",
                 "DEMO_A_0561534N").stdout
    expect(f"{state['id']}\tDEMO_A_0561534N\tperson\telv-0003\toperator:alice" in listed, listed)
    run("assign", "remove", "--database", db, "--uai", UAI, "--id", state["id"])
    listed = run("assign", "list", "--database", db, "--uai", UAI).stdout
    expect("elv-0003" not in listed, listed)


suite.check("assign add, list, remove: elv-0003 given resource A, then taken off", add_list_remove)


def refusals():
    p = run("assign", "add", "--database", db, "--uai", UAI, "--subscription", "DEMO_B_0561534N",
            "--person", "elv-0003", code=1)
    expect("ETABL" in p.stderr, p.stderr)
    p = run("assign", "add", "--database", db, "--uai", UAI, "--subscription", "DEMO_A_0561534N",
            "--person", "elv-0003", "--class", "3A", code=2)
    expect("exactly one" in p.stderr, p.stderr)
    p = run("assign", "add", "--database", db, "--uai", UAI, "--subscription", "DEMO_A_0561534N",
            "--person", "elv-9999", code=1)
    expect("no such person" in p.stderr, p.stderr)
    run("assign", "list", "--database", os.path.join(suite.workdir, "absent.db"), "--uai", UAI,
        code=1)
    expect(not os.path.exists(os.path.join(suite.workdir, "absent.db")), "a database was created")


suite.check("refused: an ETABL subscription, two targets (usage), an unknown person, a missing "
            "database (not created)", refusals)


def managers_and_audit():
    # The demo feed's RespAff names ens-0001 for this establishment (and ens-0002 for the lycée).
    query = ("SELECT m.ent_person_id FROM assignment_managers m JOIN "
             "assignment_manager_establishments e ON e.manager_id = m.id WHERE e.uai = ? "
             "ORDER BY m.ent_person_id")
    with sqlite3.connect(db) as c:
        before = c.execute(query, (UAI,)).fetchall()
    expect(before == [("ens-0001",)], f"managers from the feed: {before}")
    run("assign", "manager", "--database", db, "--uai", UAI, "--ent", "ENTTEST1", "--person",
        "doc-0001")
    with sqlite3.connect(db) as c:
        rows = c.execute(query, (UAI,)).fetchall()
        expect(rows == [("doc-0001",), ("ens-0001",)], f"managers: {rows}")
        audit = c.execute("SELECT reason, outcome, actor FROM audit WHERE kind = 'admin' "
                          "ORDER BY id").fetchall()
    reasons = [(r, o) for r, o, _ in audit]
    expect(("assign person", "done") in reasons and ("assign person", "failed") in reasons
           and ("manager add ENTTEST1", "done") in reasons
           and any(r.startswith("unassign") for r, _ in reasons), f"audit: {audit}")


suite.check("assign manager; every change (done or failed) in the audit table", managers_and_audit)
suite.finish()
