"""The web console (docs/console.md), clicked through in chromium headless against `garde serve
--demo`, one browser profile per person:

- alice (ministry admin) opens the contract waiting for review, sees its impact before the
  approve button even works, approves it; the pupil's next launch of the manual releases the new
  attribute (E_MEF) to publisher A;
- alice proposes a widening of the ceilings and cannot approve it herself; bruno (a second
  admin) previews and approves it, and it is in force;
- dpo (auditor) finds that launch in the audit trail, downloads the pupil's subject-access export
  as a file, and is offered no decision;
- ens-0001 (the collège's assignment manager) signs in through the demo ENT and assigns the
  manual to class 4B: the médiacentre of elv-0003 (class 4B) now shows it; ens-0002 (the lycée's
  manager) sees only the lycée and is refused the collège;
- a page of another site posting to garde in alice's browser is refused, and changes nothing;
- every console page loads with no console error and no request to any host but garde, and
  axe-core (tests/e2e/js, pinned) finds no serious or critical accessibility violation.

Screenshots of each main page go to $GARDE_BUILD_DIR/browser-console/ and, with
GARDE_UPDATE_SCREENSHOTS=1, to docs/console/ (the ones docs/console.md shows).
"""

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import CheckFailed, Suite, env_path, expect, free_port  # noqa: E402
from browser_support import DemoServer, make_driver, page_text, wait_for_any  # noqa: E402

AXE = os.path.join(HERE, "js", "node_modules", "axe-core", "axe.min.js")
RESOURCE_A = "ark:/49591/demo.manuel.a"
SERIOUS = ("serious", "critical")

state = {"drivers": {}}


class ConsoleSuite(Suite):
    def on_close(self):
        if self.failures and "server" in state:
            print("garde output (last lines):\n" + state["server"].output(), file=sys.stderr)
        for d in state["drivers"].values():
            try:
                d.quit()
            except Exception:
                pass
        if "server" in state:
            state["server"].stop()


suite = ConsoleSuite("e2e browser console", prefix="garde-console-")


def setup():
    state["out"] = os.path.join(env_path("GARDE_BUILD_DIR"), "browser-console")
    os.makedirs(state["out"], exist_ok=True)
    expect(os.path.isfile(AXE), f"{AXE} is missing: run scripts/bootstrap (npm ci in tests/e2e/js)")
    with open(AXE) as f:
        state["axe"] = f.read()
    demo_dir = os.path.join(suite.workdir, "demo")
    state["server"] = DemoServer(env_path("GARDE_BIN"), demo_dir).start()
    state["base"] = state["server"].base_url
    passwords = {}
    with open(os.path.join(demo_dir, "console-accounts.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                user, _role, password = line.split()
                passwords[user] = password
    expect(set(passwords) == {"alice", "bruno", "dpo"}, f"demo accounts: {sorted(passwords)}")
    state["passwords"] = passwords
    # The demo prints the console's URL and its accounts.
    out = state["server"].output(200)
    expect("/admin/" in out and "alice" in out, f"the demo does not print the console:\n{out}")


def driver(name):
    """The browser profile of `name`, made on first use, with its console and network logged."""
    if name not in state["drivers"]:
        d = make_driver(os.path.join(suite.workdir, f"chromium-{name}"), logging=True,
                        extra_args=("--lang=fr-FR",))
        d.execute_cdp_cmd("Browser.setDownloadBehavior",
                          {"behavior": "allow", "downloadPath": os.path.join(suite.workdir, f"downloads-{name}")})
        state["drivers"][name] = d
    return state["drivers"][name]


def by(d, css):
    from selenium.webdriver.common.by import By
    return d.find_element(By.CSS_SELECTOR, css)


def all_by(d, css):
    from selenium.webdriver.common.by import By
    return d.find_elements(By.CSS_SELECTOR, css)


def wait_text(d, css, pattern, timeout=15):
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            els = all_by(d, css)
            last = " | ".join(e.text for e in els)
            if any(pattern in e.text for e in els):
                return last
        except Exception:
            pass
        time.sleep(0.1)
    raise CheckFailed(f"{css} never showed {pattern!r} (last: {last!r}) at {d.current_url}:\n"
                      f"{page_text(d)[:1500]}")


def settled(d, timeout=15):
    """Waits until the console has finished its API calls (main[aria-busy=false])."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if by(d, "main").get_attribute("aria-busy") == "false" and all_by(d, "main h1"):
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise CheckFailed(f"the console never settled at {d.current_url}")


def shot(d, name, element=None):
    """A screenshot of the top of the page, or of the part that shows `element` (CSS)."""
    if element:
        d.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", element)
    else:
        d.execute_script("window.scrollTo(0, 0);")
    time.sleep(0.1)
    path = os.path.join(state["out"], f"{name}.png")
    d.save_screenshot(path)
    if os.environ.get("GARDE_UPDATE_SCREENSHOTS") == "1":
        docs = os.path.join(env_path("GARDE_SOURCE_DIR"), "docs", "console")
        os.makedirs(docs, exist_ok=True)
        shutil.copy(path, os.path.join(docs, f"{name}.png"))


def page_clean(d, what, allow_refused=False):
    """No console error, no request to another host, no serious accessibility violation."""
    host = urllib.parse.urlsplit(state["base"]).netloc
    errors = []
    for e in d.get_log("browser"):
        if e["level"] != "SEVERE":
            continue
        if allow_refused and "status of 403" in e["message"]:
            continue
        errors.append(e["message"])
    expect(not errors, f"{what}: console errors {errors}")
    elsewhere = set()
    for e in d.get_log("performance"):
        msg = json.loads(e["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != host:
                elsewhere.add(url)
    expect(not elsewhere, f"{what}: requests to other hosts {sorted(elsewhere)}")
    result = d.execute_async_script(
        state["axe"] + "\n;const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help}))));")
    bad = [v for v in result if v["impact"] in SERIOUS]
    expect(not bad, f"{what}: accessibility violations {bad}")


def open_console(d, hash_=""):
    d.get(state["base"] + "/admin/" + hash_)
    settled(d)


def sign_in(name):
    d = driver(name)
    open_console(d)
    wait_for_any(d, ["#login-form"])
    by(d, "#login-form input[name=username]").send_keys(name)
    by(d, "#login-form input[name=password]").send_keys(state["passwords"][name])
    by(d, "#login-form button[type=submit]").click()
    wait_text(d, "#session-who", name)
    settled(d)
    return d


def sign_in_through_ent(person):
    """`person`'s browser signs in to the console through the demo ENT (an assignment manager)."""
    d = driver(person)
    open_console(d)
    by(d, "#ent-form input[name=ent]").send_keys("ENTTEST1")
    by(d, "#ent-form button[type=submit]").click()
    wait_for_any(d, [f"#user-{person}"])
    by(d, f"#user-{person}").click()
    wait_text(d, "#session-who", person, timeout=30)
    return d


def go(d, hash_):
    d.execute_script("location.hash = arguments[0];", hash_)
    time.sleep(0.2)
    settled(d)


def ent_launch(d, tile, user):
    """In `d`'s browser, the demo ENT's tile `tile` launched as `user`; the page it ends on."""
    d.get(state["base"] + "/demo/ent/")
    wait_for_any(d, [f"#launch-{tile}"])
    by(d, f"#launch-{tile}").click()
    found = wait_for_any(d, [f"#user-{user}", "#nameid", "#refused", "#rejected"],
                         text_pattern=r"(?i)num[ée]ro de suivi")
    if found == f"#user-{user}":
        by(d, f"#user-{user}").click()
        found = wait_for_any(d, ["#nameid", "#refused", "#rejected"],
                             text_pattern=r"(?i)num[ée]ro de suivi")
    return found


def received(d):
    return {row.get_attribute("data-attribute") for row in all_by(d, "tr[data-attribute]")}


# ---- The checks ---------------------------------------------------------------------------------


def signin_page():
    d = driver("alice")
    open_console(d)
    wait_for_any(d, ["#login-form", "#ent-form"])
    expect(d.execute_script("return document.documentElement.lang") == "fr",
           "the console is not in French first")
    shot(d, "01-connexion")
    page_clean(d, "the sign-in page")
    by(d, "#lang").click()
    wait_text(d, "main h1", "Sign in")
    expect(d.execute_script("return document.documentElement.lang") == "en", "no English")
    by(d, "#lang").click()
    wait_text(d, "main h1", "Connexion")


def approve_contract():
    d = sign_in("alice")
    shot(d, "02-accueil")
    page_clean(d, "the home page")
    go(d, "#/contrats")
    wait_for_any(d, ["a[href^='#/contrats/']"])
    shot(d, "03-contrats")
    page_clean(d, "the contract queue")
    link = by(d, "a[href^='#/contrats/']")
    state["contract"] = link.get_attribute("href").rsplit("/", 1)[-1]
    link.click()
    settled(d)
    wait_text(d, "main", "E_MEF")
    approve = by(d, "#contract-approve")
    expect(not approve.is_enabled(), "the approval works before the impact was seen")
    by(d, "#contract-preview").click()
    wait_text(d, "#contract-impact", "E_MEF")
    expect(approve.is_enabled(), "the approval stays disabled after the preview")
    shot(d, "04-contrat-impact", "#contract-impact")
    page_clean(d, "the contract and its impact")
    by(d, "#contract-reason").send_keys("niveau du manuel justifié")
    approve.click()
    wait_text(d, "#status", "Fait")
    wait_text(d, "main", "approuvé")
    # The pupil's next launch of the manual releases what the contract now declares.
    pupil = driver("pupil")
    deadline = time.monotonic() + 15
    got = set()
    while time.monotonic() < deadline:
        found = ent_launch(pupil, "a", "elv-0001")
        expect(found == "#nameid", f"the pupil's launch ended at {pupil.current_url}:\n"
               f"{page_text(pupil)[:800]}")
        got = received(pupil)
        if "E_MEF" in got:
            break
        time.sleep(1)
    expect("E_MEF" in got and "NOM" not in got, f"publisher A received {sorted(got)}")
    shot(pupil, "05-editeur-apres-approbation")


def four_eyes():
    d = driver("alice")
    go(d, "#/plafonds")
    wait_for_any(d, ["#ceilings-table"])
    box = by(d, "#ceilings-table input[data-profile='National_col'][data-attribute='PRE']")
    expect(not box.is_selected(), "National_col may already receive PRE")
    box.click()
    wait_text(d, "#ceilings-diff", "PRE")
    shot(d, "06-plafonds-proposition", "#ceilings-diff")
    page_clean(d, "the ceilings")
    by(d, "#ceilings-reason").send_keys("les collectivités affichent le prénom")
    by(d, "#ceilings-submit").click()
    wait_text(d, "#status", "Élargissement proposé")
    wait_for_any(d, ["#ceiling-proposals article"])
    proposal = by(d, "#ceiling-proposals article").get_attribute("id").split("-")[-1]
    expect(not all_by(d, f"#proposal-approve-{proposal}"), "the proposer is offered the approval")
    wait_text(d, f"#proposal-{proposal}", "autre administrateur")
    in_force = by(d, "main p").text
    b = sign_in("bruno")
    go(b, "#/plafonds")
    wait_for_any(b, [f"#proposal-preview-{proposal}"])
    by(b, f"#proposal-preview-{proposal}").click()
    wait_text(b, f"#proposal-{proposal}", "PRE")
    shot(b, "07-plafonds-approbation", f"#proposal-{proposal}")
    page_clean(b, "the proposal's preview")
    by(b, f"#proposal-approve-{proposal}").click()
    wait_text(b, "#status", "Fait")
    settled(b)
    box = by(b, "#ceilings-table input[data-profile='National_col'][data-attribute='PRE']")
    expect(box.is_selected(), "the approved widening is not in force")
    expect(by(b, "main p").text != in_force, "the version in force did not change")


def audit_and_export():
    d = sign_in("dpo")
    go(d, "#/journal?" + urllib.parse.urlencode({"kind": "launch", "resource": RESOURCE_A,
                                                 "attribute": "E_MEF"}))
    wait_text(d, "#audit-results", "E_MEF")
    shot(d, "08-journal")
    page_clean(d, "the audit search")
    expect(all_by(d, "#audit-csv"), "no CSV export")
    by(d, "#subject-ent").clear()
    by(d, "#subject-ent").send_keys("ENTTEST1")
    by(d, "#subject-person").send_keys("elv-0001")
    by(d, "#subject-form button[type=submit]").click()
    folder = os.path.join(suite.workdir, "downloads-dpo")
    deadline = time.monotonic() + 15
    files = []
    while time.monotonic() < deadline:
        files = [f for f in os.listdir(folder) if not f.endswith(".crdownload")] if os.path.isdir(folder) else []
        if files:
            break
        time.sleep(0.2)
    expect(files, "the subject export did not download")
    with open(os.path.join(folder, files[0])) as f:
        export = json.load(f)
    launches = [r for r in export["records"] if r["kind"] == "launch" and "E_MEF" in r.get("released", [])]
    expect(launches, f"the export holds no launch releasing E_MEF: {export['records'][:3]}")
    expect("elv-0001" not in json.dumps(export["records"]), "the export's rows name the pupil")
    # An auditor is offered no decision.
    go(d, f"#/contrats/{state['contract']}")
    wait_text(d, "main", "E_MEF")
    expect(not all_by(d, "#contract-approve, #contract-suspend, #contract-reject"),
           "an auditor is offered a decision")
    go(d, "#/usage")
    wait_for_any(d, ["#chart-per-day svg"])
    for chart in ("per-resource", "per-profile", "per-uai", "refusals", "attributes-0"):
        expect(all_by(d, f"#chart-{chart}"), f"no chart {chart}")
    shot(d, "09-usage")
    page_clean(d, "the usage charts")
    # Explain: what the manual would release to that pupil now, and why not the rest.
    go(d, "#/expliquer")
    by(d, "#explain-resource").send_keys(RESOURCE_A)
    by(d, "#mode-person").click()
    by(d, "#explain-ent").clear()
    by(d, "#explain-ent").send_keys("ENTTEST1")
    by(d, "#explain-person").send_keys("elv-0001")
    by(d, "#explain-uai").send_keys("0561534N")
    by(d, "#explain-form button[type=submit]").click()
    wait_text(d, "#explain-result", "E_MEF")
    wait_text(d, "#explain-result", "not_declared")
    page_clean(d, "explain")


def manager_assigns():
    pupil = driver("pupil-4b")
    # Before: elv-0003 (class 4B) has no manual in her médiacentre.
    ent_launch(pupil, "b", "elv-0003")
    pupil.get(state["base"] + "/demo/ent/")
    wait_for_any(pupil, ["#tile-b"])
    expect(not all_by(pupil, "#tile-a"), "elv-0003 already has the manual")
    m = sign_in_through_ent("ens-0001")
    settled(m)
    go(m, "#/affectations")
    wait_for_any(m, ["#assign-form"])
    wait_text(m, "main", "DEMO_A_0561534N")
    shot(m, "10-affectations")
    page_clean(m, "the assignments page")
    from selenium.webdriver.support.ui import Select
    Select(by(m, "#assign-subscription")).select_by_value("DEMO_A_0561534N")
    Select(by(m, "#assign-kind")).select_by_value("class")
    by(m, "#assign-search").send_keys("4B")
    wait_for_any(m, ["#assign-found button"])
    by(m, "#assign-found button").click()
    expect(by(m, "#assign-target").get_attribute("value") == "4B", "the directory pick did not fill 4B")
    by(m, "#assign-form button[type=submit]").click()
    wait_text(m, "#status", "Affecté")
    pupil.get(state["base"] + "/demo/ent/")
    wait_for_any(pupil, ["#tile-a"])
    shot(pupil, "11-mediacentre-apres-affectation")
    # The lycée's manager sees the lycée only.
    o = sign_in_through_ent("ens-0002")
    go(o, "#/affectations")
    wait_for_any(o, ["#assign-uai"])
    options = [e.get_attribute("value") for e in all_by(o, "#assign-uai option")]
    expect(options == ["0561641E"], f"the lycée's manager is offered {options}")
    expect("DEMO_A_0561534N" not in page_text(o), "the lycée's manager sees the collège's subscription")
    go(o, "#/affectations?uai=0561534N")
    wait_text(o, "#status", "Refusé")
    expect("DEMO_A_0561534N" not in page_text(o), "the collège's subscription shown to the lycée")
    page_clean(o, "the refused establishment", allow_refused=True)


def tablet_width():
    # A tablet in portrait: the pages fit the width (tables scroll inside their own region).
    d = driver("dpo")
    d.set_window_size(768, 1024)
    try:
        for hash_ in ("#/", "#/contrats", "#/plafonds", "#/journal?kind=launch", "#/usage"):
            go(d, hash_)
            wide = d.execute_script("return document.documentElement.scrollWidth")
            expect(wide <= 768, f"{hash_} is {wide}px wide at a tablet's 768px")
        shot(d, "12-tablette")
    finally:
        d.set_window_size(1100, 1000)


class Forger:
    """Another site, on another port: a page whose form posts to garde on load."""

    def __init__(self, target):
        page = (f"<!DOCTYPE html><html><body><form id=f method=post action='{target}' "
                "enctype='text/plain'><input name='{\"reason\":\"x\",\"y\":\"' value='\"}'></form>"
                "<script>document.getElementById('f').submit()</script></body></html>").encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


def forged_post():
    d = driver("alice")
    target = f"{state['base']}/api/v1/admin/contracts/{state['contract']}/suspend"
    forger = Forger(target)
    try:
        d.get(f"http://127.0.0.1:{forger.port}/")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "/api/v1/admin/contracts/" not in d.current_url:
            time.sleep(0.1)
        expect("/api/v1/admin/contracts/" in d.current_url, f"the forged form did not post: {d.current_url}")
        text = page_text(d)
        expect("admin_session_missing" in text or "403" in text or "Refus" in text,
               f"the forged POST was not refused: {text[:500]}")
    finally:
        forger.stop()
    d.get_log("browser")  # the refusal's own console line is the point of this check
    d.get_log("performance")
    open_console(d, f"#/contrats/{state['contract']}")
    wait_text(d, "main", "approuvé")


def federation():
    """An exception granted by the operator's CLI is shown to a ministry admin, with its reason
    and expiry; with no metadata source, the page says every partner uses its registered
    metadata."""
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 20 * 86400))
    database = os.path.join(suite.workdir, "demo", "garde.db")
    done = subprocess.run([env_path("GARDE_BIN"), "metadata", "exception", "grant", "--publisher",
                           "987654321_0000000000000002", "--algorithm", "rsa-sha1", "--reason",
                           "signe en SHA-1 jusqu'à sa mise à jour", "--expires", expires,
                           "--by", "ops", "--database", database],
                          capture_output=True, text=True, timeout=60)
    expect(done.returncode == 0, f"exception grant: {done.stdout}{done.stderr}")
    # A source whose server is down: its fetch fails and the page says so.
    signer = os.path.join(env_path("GARDE_SOURCE_DIR"), "tests", "data", "saml", "encryption",
                          "recipient.crt.pem")
    dead = f"http://127.0.0.1:{free_port()}/aggregate.xml"
    cli = lambda *args: subprocess.run([env_path("GARDE_BIN"), "metadata", *args,
                                        "--database", database],
                                       capture_output=True, text=True, timeout=60)
    done = cli("source", "add", "federation-test", "--kind", "aggregate", "--url", dead,
               "--signer", signer)
    expect(done.returncode == 0, f"source add: {done.stdout}{done.stderr}")
    done = cli("refresh", "--source", "federation-test")
    expect(done.returncode == 1, f"a refresh from a dead server succeeded: {done.stdout}")
    d = driver("alice")  # signed in since approve_contract, unless its session ended
    open_console(d, "#/federation")
    wait_for_any(d, ["#federation-exceptions", "#login-form"])
    if all_by(d, "#login-form"):
        d = sign_in("alice")
        go(d, "#/federation")
    wait_text(d, "#federation-exceptions", "rsa-sha1")
    text = by(d, "#federation-exceptions").text
    for part in ("987654321_0000000000000002", "signe en SHA-1 jusqu'à sa mise à jour",
                 expires[:10], "accordée"):
        expect(part in text, f"the exceptions table lacks {part!r}: {text}")
    wait_text(d, "#federation-sources", "federation-test")
    sources = by(d, "#federation-sources").text
    for part in ("en échec", dead, "jamais"):
        expect(part in sources, f"the sources lack {part!r}: {sources}")
    shot(d, "13-federation")
    page_clean(d, "the federation page")
    done = cli("source", "remove", "federation-test")
    expect(done.returncode == 0, f"source remove: {done.stdout}{done.stderr}")
    # Revoked, it is gone from the page.
    done = subprocess.run([env_path("GARDE_BIN"), "metadata", "exception", "revoke", "--publisher",
                           "987654321_0000000000000002", "--algorithm", "rsa-sha1",
                           "--database", database], capture_output=True, text=True, timeout=60)
    expect(done.returncode == 0, f"exception revoke: {done.stdout}{done.stderr}")
    d.refresh()
    settled(d)
    wait_text(d, "#federation-exceptions", "Aucune exception")
    wait_text(d, "#federation-sources", "Aucune source")


def main_checks():
    suite.setup("set-up: `garde serve --demo` (its console accounts printed), axe-core", setup)
    suite.check("the sign-in page: French first, English on request, clean", signin_page)
    suite.check("a ministry admin approves a contract after its preview; the next launch "
                "releases the new attribute", approve_contract)
    suite.check("four eyes: a widening proposed by one admin, refused to her, approved by another",
                four_eyes)
    suite.check("an auditor finds the launch, downloads the subject export, decides nothing; "
                "the usage charts", audit_and_export)
    suite.check("a collège manager assigns the manual to class 4B and the pupil's médiacentre "
                "shows it; the lycée's manager cannot see the collège", manager_assigns)
    suite.check("the federation page shows an algorithm exception the operator granted, and "
                "its revocation", federation)
    suite.check("a cross-site POST in a signed-in browser is refused and changes nothing",
                forged_post)
    suite.check("the pages fit a tablet's width", tablet_width)


if __name__ == "__main__":
    main_checks()
    suite.finish()
