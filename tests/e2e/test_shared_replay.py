"""End to end, over HTTPS: two garde nodes behind HAProxy (Debian's, TCP mode: TLS passes through to
the nodes, which check the partners' client certificates themselves; round robin per connection,
/readyz checks over TLS) share their replay caches in a real redis-server (started here, on a Unix
socket, with an append-only file), as docs/deployment.md describes; the nodes share the state key,
the secrets, the signing key and, here, one SQLite file (a store shared by several hosts is
PostgreSQL's job; on one host SQLite's WAL serves both).

Checks: a launch begun on node 1 finishes on node 2 (the SSO transaction is a sealed token); the
ENT's Response, consumed on node 2, replayed on node 1 is refused as a replay; a contract suspended
through node 1's admin API is refused by node 2 from its next launch; Redis stopped, a
launch is refused with a clear page and reason (fail closed), /readyz says not ready on both nodes
(and HAProxy has no node) and garde_redis_up is 0; Redis started again, both nodes are ready and
launch again with no restart, and the Response consumed before the restart is still refused. Under
a load of four browsers through HAProxy (a failed page and the user clicks again): Redis stopped
for 3 s, launches are refused while it is down and all go through after, each received once, no
replay let through; node 1 killed with SIGKILL, node 2 finishes every launch, no replay, the
database intact; node 1 back, a feed posted to node 2's feed API with the ENT project's client
certificate is seen by node 1 at its next launch; both nodes stop cleanly. GARDE_E2E_STORE=postgresql:
the same on a PostgreSQL the test starts.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import LOOPBACK, expect, free_port, run, tail, write  # noqa: E402
from e2e_common import (  # noqa: E402
    ENT_ID, HTTP_TIMEOUT, PUPIL, RESOURCE_B, Broker, Browser, Credential, EntIdp, PublisherSp,
    Suite, _die_with_parent, expect_refusal, feed_archive, launch_url, partner_certificates,
    requests)

# GARDE_E2E_STORE=postgresql (CTest's e2e.test_shared_replay_postgresql): the nodes' store is a
# PostgreSQL started here (scripts/postgresql) rather than one SQLite file.
STORE = os.environ.get("GARDE_E2E_STORE", "sqlite")
suite = Suite(f"e2e shared replay caches (two nodes, Redis, {STORE})")
w = suite.workdir
SOURCE = os.environ.get("GARDE_SOURCE_DIR", os.path.join(HERE, os.pardir, os.pardir))


class Redis:
    """redis-server on a Unix socket in the work directory, persistent (appendfsync always)."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.socket = os.path.join(self.dir, "redis.sock")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700",
             "--dir", self.dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    def cli(self, *args):
        rc, out = run(["redis-cli", "-s", self.socket, *args])
        return out if rc == 0 else ""

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
            self.proc = None


class Node:
    """One garde node: the shared config (same base_url, keys, secrets, database) on its own
    listening and metrics ports, its own log and audit file."""

    def __init__(self, shared, name):
        self.name = name
        self.bin = shared.bin
        self.workdir = shared.workdir
        self.port = free_port()
        self.base = f"https://{LOOPBACK}:{self.port}"
        self.metrics_port = free_port()
        self.metrics_base = f"http://{LOOPBACK}:{self.metrics_port}"
        self.config_file = os.path.join(self.workdir, f"garde-{name}.toml")
        self.log_file = os.path.join(self.workdir, f"garde-{name}.log")
        with open(shared.config_file) as f:
            text = f.read()
        text = re.sub(r"(?m)^port = %d$" % shared.port, f"port = {self.port}", text)
        text = re.sub(r"(?m)^port = %d$" % shared.metrics_port, f"port = {self.metrics_port}", text)
        text = text.replace('audit_file = "audit.jsonl"', f'audit_file = "audit-{name}.jsonl"')
        write(self.config_file, text)
        self.proc = None
        self._log = None

    def start(self):
        self._log = open(self.log_file, "a")
        self.proc = subprocess.Popen([self.bin, "serve", "--config", self.config_file],
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        wait_ready(self, True, 30)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        rc, self.proc = self.proc.returncode, None
        self._log.close()
        return rc

    def broker_log(self):
        with open(self.log_file, errors="replace") as f:
            return f.read()


class LoadBalancer:
    """HAProxy (Debian's) on the public port as docs/deployment.md has it: TCP mode (TLS ends on
    the nodes), round robin per connection over the nodes whose /readyz answers 200 over TLS, a
    failed connect tried on another node."""

    def __init__(self, workdir, port, nodes, tls):
        self.cfg = os.path.join(workdir, "haproxy.cfg")
        servers = "".join(f"    server {n.name} {LOOPBACK}:{n.port} check check-ssl verify required "
                          f"ca-file {tls.cert} inter 500ms fall 1 rise 2\n" for n in nodes)
        write(self.cfg, f"""global
    log stdout format raw local0 warning
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
frontend garde
    bind {LOOPBACK}:{port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
{servers}""")
        self.log = open(os.path.join(workdir, "haproxy.log"), "w")
        self.proc = subprocess.Popen(["haproxy", "-f", self.cfg, "-db"], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_die_with_parent)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def readyz(node):
    try:
        return requests.get(f"{node.base}/readyz", timeout=HTTP_TIMEOUT).status_code
    except requests.RequestException:
        return None


def wait_ready(node, want, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (readyz(node) == 200) == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"{node.base}/readyz did not become {'ready' if want else 'not ready'} "
                         f"in {seconds} s:\n{tail(node.broker_log(), 10)}")


def metric(node, name, labels=""):
    text = requests.get(f"{node.metrics_base}/metrics", timeout=HTTP_TIMEOUT).text
    m = re.search(r"(?m)^" + re.escape(name + labels) + r" (\S+)$", text)
    return float(m.group(1)) if m else None


def refusals(node, reason):
    return metric(node, "garde_decisions_total", '{outcome="refused",reason="%s"}' % reason) or 0


redis = Redis(w)
redis.start()
# A new Redis, put in service with a persistent file: nothing predates it (docs/deployment.md).
redis.cli("SET", "garde:epoch", "0")

# The nodes serve HTTPS with one certificate and ask for client certificates from the partners' CA
# (the feed API below); HAProxy passes TLS through and checks that certificate in its /readyz probes.
partner_certificates(w, ("ent-client",))
tls = Credential(w, "garde-tls", san="IP:127.0.0.1")
os.environ["REQUESTS_CA_BUNDLE"] = tls.cert
ent = EntIdp(w, free_port())
pub_a = PublisherSp(w, "publisher-a", free_port(), sign_requests=True, encrypt=True)
pub_b = PublisherSp(w, "publisher-b", free_port(), sign_requests=False, unsolicited=True)
# The public URL (the load balancer's): the shared config, the seeded database. Never started
# itself: the nodes run its config on ports of their own.
public = Broker(w, free_port(), tls_cert=tls, client_ca=os.path.join(w, "partners-ca.pem"))
with open(public.config_file, "a") as f:
    f.write(f'\n[redis]\naddress = "unix:{redis.socket}"\ntimeout = "200ms"\n')
pg_dir = None
if STORE == "postgresql":
    # Beside the work directory, not in it: the server runs as another user when the test is root
    # (scripts/postgresql), who may not enter the work directory.
    pg_dir = tempfile.mkdtemp(prefix="garde-e2e-pg-")
    rc, url = run([os.path.join(SOURCE, "scripts", "postgresql"), "start", pg_dir])
    expect(rc == 0, f"scripts/postgresql start: {url}")
    public.database = url.strip().splitlines()[-1]
    with open(public.config_file) as f:
        text = f.read()
    write(public.config_file, text.replace(
        '[store]\ndatabase = "garde.db"', f'[store]\nengine = "postgresql"\nurl = "{public.database}"'))
public.seed(ent, pub_a, pub_b)
# A ministry admin, and publisher B's contract as an approved submission (written in the store: a
# submission through the publisher API needs an HTTPS ACS, which this test's plain-HTTP publishers
# lack), so that the suspension below goes through node 1's admin API.
ADMIN, ADMIN_PASSWORD = "alice@education.gouv.fr", "un mot de passe assez long"
PUB_B = "987654321_0000000000000002"
rc, out = run([public.bin, "admin", "create-user", ADMIN, "--role", "ministry-admin",
               "--database", public.database], stdin=ADMIN_PASSWORD + "\n")
expect(rc == 0, f"garde admin create-user: {tail(out)}")
# The ENT project's client certificate, registered as the data-plane test does.
rc, out = run([public.bin, "ent", "add", ENT_ID, "--cert", os.path.join(w, "ent-client.pem"),
               "--database", public.database])
expect(rc == 0, f"garde ent add --cert: {tail(out)}")
node1, node2 = Node(public, "node1"), Node(public, "node2")
node1.start()
node2.start()
lb = LoadBalancer(w, public.port, (node1, node2), tls)
wait_ready(public, True, 10)
for peer in (ent, pub_a, pub_b):
    peer.connect(public)
peers = [ent.http, pub_a.http, pub_b.http]
saved = {}


def on_node(url, node):
    """`url` (on the public base URL) sent to `node` itself, as the load balancer may."""
    return url.replace(public.base, node.base, 1)


def ent_response(start_node):
    """A launch of B begun on `start_node`, up to the ENT's auto-POST form for garde's ACS."""
    ent.user = PUPIL
    b = Browser()
    resp, form = b.launch(on_node(launch_url(public, RESOURCE_B), start_node),
                          stop=lambda f: f.action.endswith("/saml/sp/acs"))
    expect(form is not None, f"no ENT Response form; ended at HTTP {resp.status_code} {resp.url}:\n"
           f"{tail(resp.text, 8)}\ntrail: {b.trail}")
    return b, form


def finish(b, form, node):
    before, _ = pub_b.count()
    resp = b.post(on_node(form.action, node), form.fields)
    resp, _ = b.follow(resp)
    return resp, pub_b.count()[0] - before


def across_nodes():
    b, form = ent_response(node1)
    saved["form"], saved["browser"] = form, b
    resp, received = finish(b, form, node2)
    expect(resp.status_code == 200 and received == 1,
           f"the launch begun on node 1 did not finish on node 2 (HTTP {resp.status_code}, B got "
           f"{received}):\n{tail(resp.text, 8)}\nnode 2 log:\n{tail(node2.broker_log(), 8)}")


suite.check("a launch begun on node 1 finishes on node 2: publisher B gets its assertion",
            across_nodes)


def replay_on_other_node():
    # The same browser (its binding cookie: another browser is refused before the replay check).
    before = refusals(node1, "replayed")
    resp, received = finish(saved["browser"], saved["form"], node1)
    expect_refusal(resp, "the ENT Response replayed on node 1")
    expect(received == 0, f"publisher B got {received} Responses from the replay")
    expect(refusals(node1, "replayed") == before + 1,
           f"node 1 did not count the replay as 'replayed': {refusals(node1, 'replayed')}")


suite.check("the ENT Response consumed on node 2, replayed on node 1: refused as a replay, nothing "
            "reaches the publisher", replay_on_other_node)


def store_sql(sql):
    """Runs `sql` on the nodes' shared store, as another node or `garde` on another host would."""
    if STORE == "postgresql":
        rc, out = run(["psql", public.database, "-v", "ON_ERROR_STOP=1", "-qtAc", sql])
    else:
        rc, out = run(["sqlite3", public.database, sql])
    expect(rc == 0, f"{sql}: {out}")
    return out


def sql_text(value):
    return "'" + value.replace("'", "''") + "'"


def contract_suspended_through_node1():
    # B launches on node 2; a ministry admin suspends B's contract through node 1's admin API:
    # node 2 refuses B from its next launch (the store's registry generation moved with it).
    resp, received = finish(*ent_response(node2), node2)
    expect(received == 1, f"B does not launch on node 2 before the suspension: {resp.status_code}")
    document = json.dumps({
        "publisher": {"id": PUB_B, "name": "Outils Démo B"},
        "sp_metadata": pub_b.metadata_xml,
        "resources": [{"id": RESOURCE_B, "title": "Outil de démonstration B", "category": "outil",
                       # https, as the document's parser wants (never used: no reinstatement
                       # writes this document back)
                       "url": "https://publisher-b.example/resource", "launch_mode": "direct",
                       "logo": "https://publisher-b.example/logo.png",
                       "needs": {"National_elv": [{"attribute": "IDO",
                                                   "justification": "the pupil's account"}]}}]})
    submission = int(store_sql(
        "INSERT INTO contract_submissions(publisher_id, revision, status, document, submitted_by, "
        f"submitted_at) VALUES ('{PUB_B}', 1, 'approved', {sql_text(document)}, 'e2e', "
        "'2026-12-07T00:00:00Z') RETURNING id").strip().splitlines()[-1])
    admin = requests.Session()
    r = admin.post(f"{node1.base}/api/v1/admin/login", timeout=HTTP_TIMEOUT,
                   json={"username": ADMIN, "password": ADMIN_PASSWORD})
    expect(r.status_code == 200, f"the admin's sign-in on node 1: {r.status_code} {r.text[:300]}")
    r = admin.post(f"{node1.base}/api/v1/admin/contracts/{submission}/suspend", timeout=HTTP_TIMEOUT,
                   json={"reason": "complaint under review"},
                   headers={"X-CSRF-Token": r.json()["csrf"]})
    expect(r.status_code == 200, f"the suspension through node 1: {r.status_code} {r.text[:300]}")
    suspended_at = time.monotonic()
    resp, received = finish(*ent_response(node2), node2)
    delay = time.monotonic() - suspended_at
    expect(received == 0, "node 2 released to B after its contract was suspended through node 1")
    expect_refusal(resp, "node 2's launch of B, its contract suspended")
    # Back as it was for the checks below (in the store: a reinstatement would write the
    # contract from this test's document).
    store_sql(f"UPDATE contracts SET status = 'approved' WHERE resource_id = '{RESOURCE_B}'; "
              f"DELETE FROM contract_submissions WHERE id = {submission}")
    resp, received = finish(*ent_response(node1), node1)
    expect(received == 1, f"B does not launch on node 1 once reinstated: {resp.status_code}")
    print(f"     refused on node 2 at its next launch, {delay:.2f} s after the suspension")


suite.check("a contract suspended through node 1's admin API stops releases on node 2 at its next "
            "launch (docs/deployment.md); reinstated, node 1 releases again",
            contract_suspended_through_node1)


def redis_down():
    expect(metric(node1, "garde_redis_up") == 1, "garde_redis_up is not 1 while Redis answers")
    redis.stop()
    b, form = ent_response(node1)
    before = refusals(node2, "replay_cache_unavailable")
    resp, received = finish(b, form, node2)
    expect(resp.status_code == 503, f"with Redis down the ACS answered {resp.status_code} "
           f"(expected 503):\n{tail(resp.text, 8)}")
    expect("indisponible" in resp.text, "the refusal page does not say the service is unavailable")
    expect(received == 0, "publisher B got an assertion while Redis was down")
    expect(refusals(node2, "replay_cache_unavailable") == before + 1,
           "the refusal is not counted as replay_cache_unavailable")
    for node in (node1, node2, public):
        wait_ready(node, False, 5)
    expect(metric(node2, "garde_redis_up") == 0, "garde_redis_up is not 0 while Redis is down")
    expect((metric(node2, "garde_redis_failures_total") or 0) >= 1, "no Redis failure counted")
    expect("Redis does not answer" in node2.broker_log(), "node 2 logged nothing of Redis' absence")


suite.check("Redis stopped: the launch is refused (503, 'indisponible', replay_cache_unavailable), "
            "both nodes not ready, garde_redis_up 0", redis_down)


def redis_back():
    pids = (node1.proc.pid, node2.proc.pid)
    redis.start()
    for node in (node1, node2, public):
        wait_ready(node, True, 10)
    b, form = ent_response(node2)
    resp, received = finish(b, form, node1)
    expect(resp.status_code == 200 and received == 1,
           f"after Redis came back the launch failed (HTTP {resp.status_code}, B got {received})")
    expect((node1.proc.pid, node2.proc.pid) == pids, "a node was restarted")
    expect(metric(node1, "garde_redis_up") == 1, "garde_redis_up is not back to 1")
    # What was consumed before the restart is still remembered (append-only file).
    before = refusals(node2, "replayed")
    resp, received = finish(saved["browser"], saved["form"], node2)
    expect_refusal(resp, "the first launch's ENT Response replayed after Redis' restart")
    expect(refusals(node2, "replayed") == before + 1, "not refused as a replay")
    expect(received == 0, "a Response consumed before Redis' restart was accepted after it")


suite.check("Redis started again: both nodes ready and launching with no restart; a Response "
            "consumed before the restart is still refused", redis_back)


LOAD_BROWSERS = 4
LOAD_SECONDS = 12


def one_launch(stats):
    """One pupil's launch of B through the load balancer, as a browser and its user do it: a page
    that fails (a node gone, 503 while Redis is away) and the user clicks the tile again, up to
    30 s. Returns the ENT form and the browser of the launch that went through."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stats["attempts"] += 1
        b = Browser()
        try:
            resp, form = b.launch(launch_url(public, RESOURCE_B),
                                  stop=lambda f: f.action.endswith("/saml/sp/acs"))
            if form is not None:
                resp = b.post(form.action, form.fields)
                resp, _ = b.follow(resp)
                if resp.status_code == 200 and "Welcome" in resp.text:
                    stats["done"] += 1
                    return form, b
            stats[f"http {resp.status_code}"] = stats.get(f"http {resp.status_code}", 0) + 1
        except requests.RequestException:
            stats["connection errors"] += 1
        time.sleep(0.3)
    stats["given up"] += 1
    return None, None


def load(during, seconds=LOAD_SECONDS):
    """LOAD_BROWSERS browsers launching for `seconds`; `during()` runs in the middle. Returns the
    counts and the (form, browser) of every launch that went through."""
    import threading
    stats = {"attempts": 0, "done": 0, "connection errors": 0, "given up": 0}
    lock = threading.Lock()
    consumed = []
    stop_at = time.monotonic() + seconds

    def browser_loop():
        local = {"attempts": 0, "done": 0, "connection errors": 0, "given up": 0}
        while time.monotonic() < stop_at:
            form, b = one_launch(local)
            if form is not None:
                with lock:
                    consumed.append((form, b))
        with lock:
            for k, v in local.items():
                stats[k] = stats.get(k, 0) + v

    threads = [threading.Thread(target=browser_loop) for _ in range(LOAD_BROWSERS)]
    for t in threads:
        t.start()
    time.sleep(seconds / 3)
    during()
    for t in threads:
        t.join(timeout=90)
    return stats, consumed


def replays_refused(consumed, what):
    """Every consumed ENT Response, posted again from its own browser: none reaches B."""
    before = pub_b.count()[0]
    for form, b in consumed[:8]:
        resp = b.post(form.action, form.fields)
        expect(resp.status_code in (403, 400), f"{what}: a replayed ENT Response got HTTP "
               f"{resp.status_code}:\n{tail(resp.text, 6)}")
    expect(pub_b.count()[0] == before, f"{what}: a replayed Response reached publisher B")


def redis_outage_under_load():
    received_before = pub_b.count()[0]
    unavailable_before = sum(refusals(n, "replay_cache_unavailable") for n in (node1, node2))

    def outage():
        redis.stop()
        time.sleep(3)
        redis.start()

    stats, consumed = load(outage)
    unavailable = sum(refusals(n, "replay_cache_unavailable") for n in (node1, node2)) - unavailable_before
    expect(stats["given up"] == 0, f"launches given up: {stats}")
    expect(stats["done"] == len(consumed) and stats["done"] >= LOAD_BROWSERS, f"too few launches: {stats}")
    expect(unavailable + stats["connection errors"] + stats.get("http 503", 0) > 0,
           f"no launch was refused while Redis was down: {stats}")
    expect(pub_b.count()[0] - received_before == stats["done"],
           f"publisher B received {pub_b.count()[0] - received_before} Responses for {stats['done']} "
           f"launches: {stats}")
    replays_refused(consumed, "after the Redis outage")
    print(f"     Redis outage: {stats}, replay_cache_unavailable refusals {unavailable:.0f}")


suite.check("Redis stopped for 3 s under a load of 4 browsers through HAProxy: launches refused "
            "while it is down, every launch through after, no replay let through",
            redis_outage_under_load)


def node_killed_under_load():
    received_before = pub_b.count()[0]
    stats, consumed = load(lambda: node1.stop(signal.SIGKILL))
    expect(stats["given up"] == 0, f"launches given up after node 1 was killed: {stats}")
    expect(stats["done"] >= LOAD_BROWSERS, f"too few launches: {stats}")
    expect(pub_b.count()[0] - received_before == stats["done"],
           f"publisher B received {pub_b.count()[0] - received_before} Responses for "
           f"{stats['done']} launches: {stats}")
    replays_refused(consumed, "after node 1 was killed")
    print(f"     node 1 killed: {stats}")
    if STORE == "postgresql":
        # A client killed mid-transaction: the server rolled its work back; the store answers and
        # holds every launch's audit row once.
        rc, out = run(["psql", public.database, "-tAc",
                       "SELECT count(*), count(DISTINCT correlation_id) FROM audit "
                       "WHERE kind = 'launch'"])
        expect(rc == 0, f"the database after the kill: {out}")
        total, distinct = (int(x) for x in out.strip().split("|"))
        expect(total == distinct and total > 0, f"audit rows after the kill: {out.strip()}")
    else:
        rc, out = run(["sqlite3", public.database, "PRAGMA integrity_check;"])
        expect(rc == 0 and out.strip() == "ok", f"the database after the kill: {out}")


suite.check("node 1 killed (SIGKILL) under load: node 2 finishes every launch (the browsers retry), "
            "no replay, the database intact", node_killed_under_load)


def feed_seen_across_nodes():
    # Node 1 back (it was killed above); a new snapshot of the ENT posted to node 2's feed API
    # with the ENT project's certificate, as gar-connector packs it (.tar.gz and its MD5): it no
    # longer lists the demo pupil, and node 1 refuses the pupil from its next launch (the
    # directory is read per launch from the store the nodes share).
    node1.start()
    resp, received = finish(*ent_response(node1), node1)
    expect(received == 1, f"the pupil does not launch B on node 1 before the feed: {resp.status_code}")
    feed_gen = os.environ.get("GARDE_FEED_GEN") or os.path.join(os.environ["GARDE_BUILD_DIR"],
                                                                 "bench", "feed_gen")
    expect(os.access(feed_gen, os.X_OK), f"{feed_gen} was not built (target feed_gen)")
    feed_dir = os.path.join(w, "feed")
    rc, out = run([feed_gen, "--out", feed_dir, "--people", "20", "--ent", ENT_ID])
    expect(rc == 0, f"feed_gen: {out}")
    files = {}
    for name in sorted(os.listdir(feed_dir)):
        with open(os.path.join(feed_dir, name), "rb") as f:
            files[name] = f.read()
    archive, md5 = feed_archive(files)
    cert = (os.path.join(w, "ent-client.pem"), os.path.join(w, "ent-client.key"))
    r = requests.post(f"{node2.base}/api/v1/ent/feeds?name={ENT_ID}_GAR-ENT_Complet_20260901.tar.gz",
                      data=archive, cert=cert, timeout=60,
                      headers={"Content-Type": "application/gzip",
                               "X-Feed-MD5": md5})
    expect(r.status_code == 200, f"node 2's feed API: {r.status_code} {r.text[:600]}")
    report = r.json()
    expect(report.get("status") == "imported" and report["counts"]["people"]["removed"] >= 1,
           f"the import report: {r.text[:600]}")
    resp, received = finish(*ent_response(node1), node1)
    expect(received == 0, "node 1 released to a pupil the imported snapshot no longer lists")
    expect_refusal(resp, "node 1's launch for a pupil the feed removed")


suite.check("a feed posted to node 2's feed API (the ENT project's certificate) is seen by node 1: "
            "the pupil it no longer lists is refused from node 1's next launch", feed_seen_across_nodes)


def clean_stop():
    expect(node2.stop() == 0, "node 2 did not exit 0 on SIGTERM")
    expect(node1.stop() in (0, None), "node 1 did not exit 0 on SIGTERM")


suite.check("both nodes stop cleanly on SIGTERM", clean_stop)
lb.stop()
for p in peers:
    p.stop()
redis.stop()
if pg_dir:
    run([os.path.join(SOURCE, "scripts", "postgresql"), "stop", pg_dir])
    shutil.rmtree(pg_dir, ignore_errors=True)
suite.finish()
