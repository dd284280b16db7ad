#!/usr/bin/python3
"""Peers' metadata from sources, end to end over real HTTP (docs/metadata-sources.md), between the
pysaml2 peers of tests/e2e/e2e_common.py and a federation the test runs itself:

- the federation: an HTTP server thread on 127.0.0.1 serving /fed.xml with an ETag (304 to a
  matching If-None-Match), whose answer the test switches (a document, a 500, a tampered copy);
  its aggregate (md:EntitiesDescriptor with ID, validUntil 10 days ahead, cacheDuration) holds
  publisher A's SP metadata as the harness makes it plus another entity, signed by the test's
  federation key with the xmlsec1 command line (enveloped, exclusive c14n, RSA-SHA256);
- garde: `[federation] check_period = "1s"`, `retry_after = "1s"`; `garde metadata source add`
  (aggregate, `--refresh 1s`), `garde metadata bind --publisher A`; `garde serve` refreshes on its
  own, and every step is awaited (bounded) through `garde metadata status --json` and /metrics.

Checks, in order: A bound to a source without a good copy is not served (no fallback to its
inline metadata); the aggregate fetched by serve puts A in force and launches succeed (A signs its
AuthnRequests, receives encrypted assertions); conditional GETs are answered 304; A's key rollover
through the aggregate (both keys: garde verifies either signing key and encrypts to the new key at
once; the old one removed: an AuthnRequest signed with it is refused); a tampered aggregate and a
500 keep the last good copy (status failures, `garde_metadata_source_up 0`, the log line), also
across a restart of serve on the same database; a 304 after the failures puts the source up again;
garde's own rollover (broker.next_signing_*): both certificates in its metadata, then the keys
swapped, and pysaml2 and lasso peers that fetched the metadata during the overlap still verify
garde's signatures, while those holding a copy from before the overlap do not; a copy that reaches its
validUntil (expiring first, then A no longer served until a fresh copy verifies); the source's
removal refused while A is bound to it. About 35 s.

Run: GARDE_BIN=build/relwithdebinfo/broker/garde /usr/bin/python3 tests/e2e/test_metadata_refresh.py
(GARDE_E2E_KEEP=1 keeps the work directory: config, database, logs, every aggregate served).
"""

import base64
import calendar
import hashlib
import json
import os
import re
import sys
import threading
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import CheckFailed, Credential, expect, free_port, run, tail, write  # noqa: E402
from e2e_common import (  # noqa: E402
    HTTP_TIMEOUT, PUPIL, RESOURCE_A, RESOURCE_B, Broker, Browser, EntIdp, Harness, PeerServer,
    PublisherSp, Reply, Saml2Client, Suite, expect_refusal, launch_url, requests)

PUB_A = "123456789_0000000000000001"  # the demo data's publisher A (store/demo_data.h)
SOURCE = "fed"
WAIT = 30  # seconds: the longest a change may take to show (check_period 1 s, registries 2 s)
VALID_DAYS = 10  # the aggregate's validUntil: ahead of federation.expiry_warning (5 days)
NS_DS = "http://www.w3.org/2000/09/xmldsig#"

suite = Suite("e2e metadata sources")
w = suite.workdir
h = Harness(w)
suite.harness = h
state = {}


def path(name):
    return os.path.join(w, name)


def garde(*args, ok=True):
    rc, out = run([h.broker.bin, *args])
    if ok:
        expect(rc == 0, f"garde {' '.join(args[:3])} failed (exit {rc}):\n{tail(out)}")
    return rc, out


def fingerprint(cred):
    """SHA-256 of the certificate's DER, lowercase hex (as `garde metadata status` shows it)."""
    return hashlib.sha256(base64.b64decode(cred.cert_b64)).hexdigest()


def wait_until(what, fn, timeout=WAIT):
    """Polls fn() until it returns a true value; CheckFailed naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    value = None
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"{what}: not so after {timeout}s; last seen: {value!r}")
        time.sleep(0.25)


def when(fn, pred):
    """For wait_until: fn()'s value when pred holds for it, else None."""
    def probe():
        value = fn()
        return value if pred(value) else None
    return probe


# ---- The federation -----------------------------------------------------------------------------


class MetadataServer:
    """The federation's web server: GET /fed.xml answers the current document with its ETag (304
    when If-None-Match names it), or the status set by fail(). Records (If-None-Match, status) of
    every request."""

    def __init__(self, port):
        self._lock = threading.Lock()
        self._answer = ("status", 503, None)
        self.requests = []
        self.http = PeerServer("federation", port, {("GET", "/fed.xml"): self._get})
        self.url = f"{self.http.base}/fed.xml"

    def serve(self, body):
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
        with self._lock:
            self._answer = ("document", body, etag)
        return etag

    def fail(self, status=500):
        with self._lock:
            self._answer = ("status", status, None)

    def _get(self, req):
        conditional = req.headers.get("If-None-Match")
        with self._lock:
            kind, body, etag = self._answer
        if kind == "status":
            reply = Reply(body, "federation: temporarily unavailable\n", "text/plain")
        elif conditional == etag:
            reply = Reply(304, "", "application/samlmetadata+xml", headers=[("ETag", etag)])
        else:
            reply = Reply(200, body, "application/samlmetadata+xml", headers=[("ETag", etag)])
        with self._lock:
            self.requests.append((conditional, reply.status))
        return reply

    def seen(self):
        with self._lock:
            return list(self.requests)


class Federation:
    """The federation's signing key and its aggregates, signed with the xmlsec1 command line."""

    OTHER = ('<md:EntityDescriptor entityID="https://autre-editeur.example/sp">'
             '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
             '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
             'Location="https://autre-editeur.example/acs" index="1"/>'
             '</md:SPSSODescriptor></md:EntityDescriptor>')

    def __init__(self, workdir):
        self.workdir = workdir
        self.cred = Credential(workdir, "federation-signer")
        self.count = 0

    def aggregate(self, entities, valid_seconds=VALID_DAYS * 86400, cache="PT1H"):
        """A signed md:EntitiesDescriptor of `entities` (EntityDescriptor texts) and another
        publisher; its validUntil `valid_seconds` ahead."""
        self.count += 1
        doc_id = f"_federation{self.count:04d}"
        valid_until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + valid_seconds))
        template = (
            f'<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="{doc_id}" '
            f'Name="urn:garde:e2e:federation" validUntil="{valid_until}" cacheDuration="{cache}">'
            f'<ds:Signature xmlns:ds="{NS_DS}"><ds:SignedInfo>'
            '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
            f'<ds:Reference URI="#{doc_id}"><ds:Transforms>'
            f'<ds:Transform Algorithm="{NS_DS}enveloped-signature"/>'
            '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
            '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
            '<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/>'
            '<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>'
            + "".join(entities) + self.OTHER + '</md:EntitiesDescriptor>\n')
        unsigned = write(os.path.join(self.workdir, f"fed-{self.count}-template.xml"), template)
        signed = os.path.join(self.workdir, f"fed-{self.count}.xml")
        rc, out = run(["xmlsec1", "--sign", "--privkey-pem", f"{self.cred.key},{self.cred.cert}",
                       "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor",
                       "--output", signed, unsigned])
        expect(rc == 0, f"xmlsec1 --sign failed:\n{tail(out)}")
        with open(signed) as f:
            return f.read(), signed, valid_until


fed = None
md = None


def sp_metadata(sp, keys):
    """`sp`'s SP metadata as the harness made it, with its KeyDescriptors (signing, encryption)
    repeated for each credential of `keys` instead of its own certificate."""
    xml = sp.metadata_xml
    m = re.search(r"<(\w+):KeyDescriptor\b.*</\1:KeyDescriptor>", xml, re.S)
    expect(m, f"{sp.name}'s metadata has no KeyDescriptor:\n{xml[:400]}")
    block = m.group(0)
    own = re.search(r"<\w+:X509Certificate>(.*?)</\w+:X509Certificate>", block, re.S).group(1)
    expect(all(c == own for c in re.findall(r"<\w+:X509Certificate>(.*?)</\w+:X509Certificate>",
                                            block, re.S)), "the harness's KeyDescriptors differ")
    return xml.replace(block, "".join(block.replace(own, k.cert_b64) for k in keys))


# ---- garde's view ------------------------------------------------------------------------------


def status():
    """`garde metadata status --json` (with the config: its database and [federation])."""
    rc, out = run([h.broker.bin, "metadata", "status", "--json", "--config", h.broker.config_file])
    expect(rc == 0, f"garde metadata status --json failed (exit {rc}):\n{tail(out)}")
    data = json.loads(out)
    sources = [s for s in data.get("sources", []) if s.get("source") == SOURCE]
    expect(len(sources) == 1, f"metadata status lists no source {SOURCE!r}: {out[:600]}")
    return sources[0]


def peer_a(src):
    peers = [p for p in src.get("peers", []) if p.get("id") == PUB_A]
    expect(len(peers) == 1, f"metadata status lists no peer {PUB_A} under {SOURCE}: {src}")
    return peers[0]


def a_keys(src):
    return {(k["use"], k["sha256"].lower().replace(":", "")) for k in peer_a(src)["keys"]}


def gauges():
    """The garde_metadata_source_* gauges of the source, {suffix: value}."""
    out = {}
    for (name, labels), value in h.broker.metrics().items():
        if name.startswith("garde_metadata_source_") and dict(labels).get("source") == SOURCE:
            out[name[len("garde_metadata_source_"):]] = value
    return out


def log_records():
    out = []
    for line in h.broker.broker_log().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def log_mark():
    return len(log_records())


def in_force(since, what):
    """Waits until serve has stored a new copy (log `metadata updated from its source`) and its
    registries were loaded again, both after log record `since`."""
    def seen(msg):
        return [r for r in log_records()[since:] if r.get("msg") == msg]
    wait_until(f"{what}: serve logs `metadata updated from its source`",
               lambda: [r for r in seen("metadata updated from its source") if r.get("source") == SOURCE])
    wait_until(f"{what}: serve loads its registries again", lambda: seen("registries reloaded"))


# ---- Launches ----------------------------------------------------------------------------------


def launch(sp, resource):
    """The pupil launches `resource`: (final response, what `sp` received or None, refused text or
    None), the ENT leg checked (the broker's AuthnRequest signature verified by the ENT)."""
    h.ent.user = PUPIL
    received, refused = sp.count()
    ent_before = len(h.ent.requests)
    b = Browser()
    resp, _ = b.launch(launch_url(h.broker, resource))
    n, r = sp.count()
    got = sp.received[-1] if n > received else None
    why = sp.refused[-1] if r > refused else None
    if got is not None:
        expect(resp.status_code == 200, f"launch ended with HTTP {resp.status_code} at {resp.url}")
        reqs = h.ent.requests[ent_before:]
        expect(reqs and reqs[-1]["signature_ok"],
               f"the ENT did not verify the broker's AuthnRequest: {reqs[-1:] or 'no request'}")
        got["trail"] = b.trail
    return resp, got, why


def encrypted_to(xml):
    """The certificate (base64 DER) named in the EncryptedKey of a Response, or None."""
    m = re.search(r"<(?:\w+:)?EncryptedKey\b.*?<(?:\w+:)?X509Certificate>(.*?)</", xml or "", re.S)
    return re.sub(r"\s", "", m.group(1)) if m else None


def key_name(b64):
    for name in ("a_old", "a_new"):
        if name in state and re.sub(r"\s", "", state[name].cert_b64) == b64:
            return name
    return "another key" if b64 else "no key named"


def launch_ok(sp, resource, what, encrypted_for=None):
    """A launch that must succeed; with `encrypted_for` ("a_old", "a_new"), the EncryptedKey must
    name that certificate of A."""
    resp, got, why = launch(sp, resource)
    expect(got is not None, f"{what}: {sp.name} received no Response (HTTP {resp.status_code} at "
           f"{resp.url}; {sp.name} refused: {why}):\n{tail(resp.text, 8)}\nbroker log:\n"
           f"{tail(h.broker_log(), 8)}")
    expect(got["ava"], f"{what}: {sp.name} could not read the assertion (encrypted to "
           f"{key_name(encrypted_to(got['xml']))}, {sp.name} decrypting with "
           f"{[k['cert_file'] for k in sp.client.config.encryption_keypairs or []]})")
    expect(set(got["ava"]) == ({"IDO", "PRO", "UAI", "DIV"} if sp is h.pub_a else {"IDO", "PRO"}),
           f"{what}: {sp.name} received {sorted(got['ava'])}")
    if sp is h.pub_a:
        expect(got["encrypted"], f"{what}: A's assertion was not encrypted")
        expect(got["in_response_to"] in h.pub_a.sent, f"{what}: InResponseTo {got['in_response_to']}")
    if encrypted_for:
        to = key_name(encrypted_to(got["xml"]))
        expect(to == encrypted_for, f"{what}: the assertion was encrypted to {to}, not {encrypted_for}")
    return got


def a_uses(sign, decrypt):
    """Publisher A's pysaml2 SP signs its AuthnRequests with `sign` and decrypts with the keys of
    `decrypt` only (a fresh Saml2Client; its copy of the broker's metadata fetched again)."""
    pub = h.pub_a
    pub.cred = sign
    conf = pub._config(h.broker)
    conf.encryption_keypairs = [{"key_file": c.key, "cert_file": c.cert} for c in decrypt]
    pub.client = Saml2Client(config=conf)


def publish(entities, **kw):
    """The federation serves a new aggregate; returns (etag, signed file)."""
    xml, signed, valid_until = fed.aggregate(entities, **kw)
    state["valid_until"] = valid_until
    state["served"] = xml
    return md.serve(xml), signed


# ---- Set-up ------------------------------------------------------------------------------------

FEDERATION = """
[federation]
check_period = "1s"
retry_after = "1s"
fetch_timeout = "5s"
"""


def set_up():
    global fed, md
    h.ent = EntIdp(w, free_port())
    h.peers.append(h.ent.http)
    # A: bounce launch, signed AuthnRequests, encrypted assertions; bound to the federation below.
    h.pub_a = PublisherSp(w, "publisher-a", free_port(), sign_requests=True, encrypt=True)
    h.peers.append(h.pub_a.http)
    h.pub_b = PublisherSp(w, "publisher-b", free_port(), sign_requests=False, unsolicited=True)
    h.peers.append(h.pub_b.http)
    md = MetadataServer(free_port())
    h.peers.append(md.http)
    fed = Federation(w)
    state["a_old"] = h.pub_a.cred
    h.broker = Broker(w, free_port())
    with open(h.broker.config_file, "a") as f:
        f.write(FEDERATION)
    h.broker.seed(h.ent, h.pub_a, h.pub_b)
    md.fail(500)  # no good copy yet
    garde("metadata", "source", "add", SOURCE, "--kind", "aggregate", "--url", md.url,
          "--signer", fed.cred.cert, "--refresh", "1s", "--database", h.broker.database)
    garde("metadata", "bind", "--publisher", PUB_A, "--source", SOURCE,
          "--database", h.broker.database)
    h.broker.start()
    h.connect_peers()


suite.setup("set-up: pysaml2 peers, the federation's server and signer, `garde store seed-demo`, "
            "`garde metadata source add --kind aggregate --refresh 1s`, `garde metadata bind "
            "--publisher A`, `garde serve` with [federation] check_period 1s", set_up)


def no_copy_not_served():
    src = wait_until("serve tried the source (status: a copy with failures)",
                     when(status, lambda s: s["copies"] and s["failures"] > 0))
    expect(not src["up"], f"the source is up without a good copy: {src}")
    problem = peer_a(src)["problem"]
    expect(problem, f"status gives A no problem without a good copy: {peer_a(src)}")
    expect("HTTP status 500" in src["copies"][0]["last_error"], f"last_error {src['copies'][0]}")
    resp, got, why = launch(h.pub_a, RESOURCE_A)
    expect(got is None and why is None, f"A bound to a source without a good copy was served: {got or why}")
    expect_refusal(resp, "A bound to a source without a good copy")
    launch_ok(h.pub_b, RESOURCE_B, "B (inline metadata)")
    print(f"     (status: {problem}; the launch: HTTP {resp.status_code})")


suite.check("A bound to a source that has no good copy yet (the federation answers 500) is not "
            "served, its inline metadata no fallback; B (inline) still is", no_copy_not_served)


def first_copy():
    since = log_mark()
    etag, signed = publish([sp_metadata(h.pub_a, [state["a_old"]])])
    rc, out = garde("metadata", "verify", signed, "--cert", fed.cred.cert, ok=False)
    expect(rc == 0, f"`garde metadata verify --cert` rejects the federation's aggregate:\n{tail(out)}")
    other = Credential(w, "not-the-federation")
    rc, out = garde("metadata", "verify", signed, "--cert", other.cert, ok=False)
    expect(rc != 0 and rc < 128,
           f"`garde metadata verify` accepts the aggregate with another cert:\n{tail(out)}")
    src = wait_until("status shows the source up", when(status, lambda s: s["up"]))
    expect(src["failures"] == 0 and len(src["copies"]) == 1, f"status {src}")
    copy = src["copies"][0]
    expect(copy["entities"] == 2, f"the copy holds {copy['entities']} entities, the aggregate 2")
    expect(src["valid_until"] == state["valid_until"],
           f"status validUntil {src['valid_until']}, the aggregate's {state['valid_until']}")
    expect(not src["expiring"], f"a copy valid {VALID_DAYS} days is said to expire soon: {src}")
    old = fingerprint(state["a_old"])
    expect(a_keys(src) == {("signing", old), ("encryption", old)} and not peer_a(src)["problem"],
           f"A's keys in status {peer_a(src)}, expected its certificate {old} for both uses")
    g = wait_until("/metrics shows the source up",
                   when(gauges, lambda g: g.get("up") == 1))
    expect(g.get("failures") == 0 and g.get("expiring") == 0, f"gauges {g}")
    expect(g.get("valid_until_timestamp_seconds")
           == calendar.timegm(time.strptime(state["valid_until"], "%Y-%m-%dT%H:%M:%SZ")),
           f"valid_until gauge {g.get('valid_until_timestamp_seconds')} for {state['valid_until']}")
    in_force(since, "the first copy")
    state["etag"] = etag


suite.check("the federation's signed aggregate (verified by `garde metadata verify --cert`, refused "
            "with another cert) is fetched by serve on its own: status up, 2 entities, its "
            "validUntil, A's certificate; /metrics up 1", first_copy)


def launches_through_source():
    got = launch_ok(h.pub_a, RESOURCE_A, "A from the source", "a_old")
    expect(any(url.startswith(h.pub_a.login_url) for _, url, _ in got["trail"]),
           "the bounce launch did not go through A's login URL")
    launch_ok(h.pub_b, RESOURCE_B, "B (inline)")


suite.check("launches to A's resource succeed end to end with A's metadata from the aggregate "
            "(signed AuthnRequest, encrypted assertion decrypted by A), and to B's", launches_through_source)


def conditional_get():
    before = len(md.seen())
    fetched = status()["copies"][0]["fetched_at"]
    wait_until("two conditional GETs answered 304",
               lambda: [r for r in md.seen()[before:] if r == (state["etag"], 304)][1:])
    copy = wait_until("status shows a check after the 304s",
                      when(lambda: status()["copies"][0], lambda c: c["checked_at"] > c["fetched_at"]))
    expect(copy["fetched_at"] == fetched, f"a 304 changed fetched_at: {fetched} -> {copy['fetched_at']}")
    unconditional = [r for r in md.seen()[before:] if r[0] != state["etag"]]
    expect(not unconditional, f"serve fetched without the copy's ETag: {unconditional}")


suite.check("serve fetches again every --refresh (1s, under cacheDuration PT1H) with If-None-Match: "
            "304, checked_at moves, fetched_at stays", conditional_get)

# ---- A's key rollover through the aggregate ----------------------------------------------------


def both_keys():
    time.sleep(1.1)  # the next certificate's notBefore after the old one's (garde's "newest")
    state["a_new"] = new = Credential(w, "publisher-a-next")
    since = log_mark()
    publish([sp_metadata(h.pub_a, [state["a_old"], new])])
    want = {(u, fingerprint(c)) for u in ("signing", "encryption") for c in (state["a_old"], new)}
    wait_until("status shows A's two keys", lambda: a_keys(status()) == want)
    in_force(since, "both keys")
    # A still signs with the old key, and holds both for decryption.
    a_uses(state["a_old"], [state["a_old"], new])
    launch_ok(h.pub_a, RESOURCE_A, "both keys, A signing with the old one", "a_new")
    # A signs with the new key and decrypts with it alone: garde verified it and encrypted to it.
    a_uses(new, [new])
    launch_ok(h.pub_a, RESOURCE_A, "both keys, A signing with the new one, decrypting with it alone",
              "a_new")


suite.check("A's rollover, step 1: the aggregate publishes both keys; once status shows them, A's "
            "AuthnRequests signed with either verify, and the assertion is encrypted to the new key "
            "(decrypted by an SP holding only the new key)", both_keys)


def newest_encryption_key():
    a_uses(state["a_new"], [state["a_old"]])
    try:
        resp, got, why = launch(h.pub_a, RESOURCE_A)
    finally:
        a_uses(state["a_new"], [state["a_new"]])
    # pysaml2 7.0.1 takes a Response whose EncryptedAssertion it cannot decrypt as one without an
    # assertion (no NameID, no attributes) rather than refusing it.
    expect(why or (got is not None and not got["ava"] and got["name_id"] is None),
           f"an SP holding only the old key read the assertion: {got and got['ava']}")
    if got is not None:
        to = key_name(encrypted_to(got["xml"]))
        expect(to == "a_new", f"the EncryptedKey names {to}, not A's new key")
    print(f"     (A with only the old key: {why[:110] if why else 'no assertion readable'})")


suite.check("garde encrypts to the newest encryption key at once: an SP holding only the old key "
            "cannot decrypt (docs/key-rollover.md)", newest_encryption_key)


def new_key_only():
    new = state["a_new"]
    since = log_mark()
    publish([sp_metadata(h.pub_a, [new])])
    want = {("signing", fingerprint(new)), ("encryption", fingerprint(new))}
    wait_until("status shows A's new key alone", lambda: a_keys(status()) == want)
    in_force(since, "the new key alone")
    launch_ok(h.pub_a, RESOURCE_A, "new key alone", "a_new")
    # An AuthnRequest signed with the retired key is refused by garde, before the ENT.
    a_uses(state["a_old"], [new])
    ent_before = len(h.ent.requests)
    try:
        resp, got, why = launch(h.pub_a, RESOURCE_A)
    finally:
        a_uses(new, [new])
    expect(got is None and why is None, f"A's retired key still signs for A: {got or why}")
    expect_refusal(resp, "an AuthnRequest signed with A's retired key")
    expect(len(h.ent.requests) == ent_before, "garde went to the ENT with a badly signed AuthnRequest")


suite.check("A's rollover, step 2: the old key removed from the aggregate; once status shows it, "
            "launches succeed with the new key and an AuthnRequest signed with the old one is refused",
            new_key_only)

# ---- Failures keep the last good copy ----------------------------------------------------------


def failed(expect_error, since_failures=0):
    def probe():
        s = status()
        copy = s["copies"][0]
        return s if (s["failures"] > since_failures and expect_error in copy["last_error"]) else None
    src = wait_until(f"status shows a failure `{expect_error}`", probe)
    expect(not src["up"], f"status up after a failed fetch: {src}")
    expect(a_keys(src) == {("signing", fingerprint(state["a_new"])),
                           ("encryption", fingerprint(state["a_new"]))},
           f"the last good copy does not stand in status: {peer_a(src)}")
    g = wait_until("/metrics shows the source down",
                   when(gauges, lambda g: g.get("up") == 0 and g.get("failures", 0) >= 1))
    launch_ok(h.pub_a, RESOURCE_A, f"after `{expect_error}`")
    return src, g


def tampered():
    good = state["served"]
    acs = h.pub_a.acs_url
    expect(good.count(acs) == 1, "A's ACS is not in the aggregate once")
    state["good"] = good
    since = log_mark()
    md.serve(good.replace(acs, "http://127.0.0.1:9/stolen-acs"))
    src, g = failed("signature")
    updates = [r for r in log_records()[since:] if r.get("msg") == "metadata updated from its source"]
    expect(not updates, f"serve stored the tampered aggregate: {updates}")
    state["failures"] = src["failures"]
    print(f"     (last_error: {src['copies'][0]['last_error'][:100]}; gauges {g})")


suite.check("a tampered aggregate (A's ACS changed, signature kept) is refused: status failures > 0 "
            "and the signature error, /metrics up 0; A's launch still goes to its own ACS", tampered)


def server_error():
    md.fail(500)
    src, _ = failed("HTTP status 500", since_failures=state.get("failures", 0))
    state["failures"] = src["failures"]
    lines = [r for r in log_records() if r.get("msg") == "metadata refresh failed; the last good copy stands"
             and r.get("source") == SOURCE]
    expect(lines, "no log line `metadata refresh failed; the last good copy stands`:\n"
           + tail(h.broker_log(), 6))
    expect(any("signature" in r.get("error", "") for r in lines)
           and any("500" in r.get("error", "") for r in lines),
           f"the log lines do not say both errors: {[r.get('error') for r in lines][-4:]}")
    expect(all(r.get("level") in ("warn", "warning") for r in lines), f"log level {lines[-1]}")
    expect(lines[-1].get("last_good") not in (None, "", "none"), f"last_good {lines[-1]}")
    rc, out = garde("metadata", "refresh", "--source", SOURCE, "--config", h.broker.config_file, ok=False)
    expect(rc == 1 and "failed" in out and "HTTP status 500" in out,
           f"`garde metadata refresh` against a 500: exit {rc} (expected 1):\n{tail(out)}")
    state["failures"] = status()["failures"]


suite.check("a 500 from the federation: failures go on, /metrics up 0, launches succeed, and the log "
            "says `metadata refresh failed; the last good copy stands` (warn, source, error, last good)",
            server_error)


def restart_under_500():
    h.broker.stop()
    h.broker.log_file = path("garde-2.log")  # the first log stays for GARDE_E2E_KEEP
    h.broker.start()
    launch_ok(h.pub_a, RESOURCE_A, "after a restart, the federation answering 500")
    launch_ok(h.pub_b, RESOURCE_B, "B after the restart")
    wait_until("/metrics of the new process shows the source down",
               when(gauges, lambda g: g.get("up") == 0))
    src = wait_until("the new process records failures",
                     when(status, lambda s: s["failures"] > state.get("failures", 0)))
    wait_until("the restarted serve logs a failed refresh",
               lambda: [r for r in log_records()
                        if r.get("msg") == "metadata refresh failed; the last good copy stands"])
    print(f"     (failures now {src['failures']})")


suite.check("garde serve restarted on the same database while the federation answers 500: A is "
            "served from the stored last good copy", restart_under_500)


def recovers():
    md.serve(state["good"])  # the same bytes, the same ETag: a 304 confirms the copy
    before = len(md.seen())
    wait_until("a 304 after the failures", lambda: [r for r in md.seen()[before:] if r[1] == 304])
    src = wait_until("status up again", when(status, lambda s: s["up"]))
    expect(src["failures"] == 0, f"failures {src['failures']} after the 304")
    wait_until("/metrics shows the source up again",
               when(gauges, lambda g: g.get("up") == 1 and g.get("failures") == 0))
    launch_ok(h.pub_a, RESOURCE_A, "after the recovery")
    rc, out = garde("metadata", "refresh", "--config", h.broker.config_file, ok=False)
    expect(rc == 0 and f"{SOURCE}: not_modified" in out,
           f"`garde metadata refresh` of an unchanged source: exit {rc}:\n{tail(out)}")


suite.check("the federation back with the last good copy's bytes: a 304 puts the source up again "
            "(status up, failures 0, /metrics up 1); `garde metadata refresh` says not_modified, exit 0 "
            "(exit 1 against the 500 above)", recovers)

# ---- garde's own rollover, checked by pysaml2 and lasso peers that refresh garde's metadata -----


def idp_metadata_certs():
    r = requests.get(h.broker.idp_metadata_url, timeout=HTTP_TIMEOUT)
    expect(r.status_code == 200, f"GET {h.broker.idp_metadata_url}: HTTP {r.status_code}")
    body = r.text
    sig = re.search(r"<(\w+:)?Signature\b.*?</(\w+:)?Signature>", body, re.S)
    outside = body.replace(sig.group(0), "") if sig else body
    certs = {re.sub(r"\s", "", c) for c in
             re.findall(r"<(?:\w+:)?X509Certificate>(.*?)</(?:\w+:)?X509Certificate>", outside, re.S)}
    return body, certs


def verifies(xml_text, cert, name):
    p = write(path(f"{name}.xml"), xml_text)
    rc, _ = garde("metadata", "verify", p, "--cert", cert, ok=False)
    return rc == 0


def lasso_accepts(idp_md, pinned_cert, response_xml):
    """A lasso SP with publisher B's entity and keys loads `idp_md` (garde's IdP metadata as it
    fetched it, its signature checked against `pinned_cert`) and processes `response_xml` as B's
    ACS would: (True, "") when it accepts it, else (False, why). Loading fails when the metadata is
    not signed by `pinned_cert`."""
    import lasso
    with open(h.pub_b.cred.key) as f:
        key_pem = f.read()
    with open(h.pub_b.cred.cert) as f:
        cert_pem = f.read()
    server = lasso.Server.newFromBuffers(h.pub_b.metadata_xml, key_pem, None, cert_pem)
    md_file = write(path(f"lasso-idp-md-{len(state.setdefault('lasso_runs', []))}.xml"), idp_md)
    state["lasso_runs"].append(md_file)
    try:
        server.loadMetadata(lasso.PROVIDER_ROLE_IDP, md_file, pinned_cert, None,
                            lasso.SERVER_LOAD_METADATA_FLAG_CHECK_ENTITY_DESCRIPTOR_SIGNATURE)
    except (lasso.Error, SystemError) as e:  # python3-lasso 2.8 raises a bare SystemError here
        return False, f"metadata not loaded: {type(e).__name__}: {e}"
    if server.getProvider(h.broker.idp_entity_id) is None:
        return False, "metadata not loaded (its signature does not verify with the pinned certificate)"
    # lasso's default hint: the Response's signature if there is one, the assertion's always
    # (garde signs B's assertions, as B's metadata asks); the copy from before the overlap must
    # fail on it.
    login = lasso.Login(server)
    try:
        login.processAuthnResponseMsg(base64.b64encode(response_xml.encode()).decode())
        login.acceptSso()
    except lasso.Error as e:
        return False, f"{type(e).__name__}: {e}"
    if login.assertion is None or login.assertion.issuer.content != h.broker.idp_entity_id:
        return False, "no assertion from garde's IdP"
    return True, ""


def broker_keys(signing, next_):
    """Writes garde.toml with broker.signing_* = `signing` and broker.next_signing_* = `next_`."""
    text = state["config"]
    block = 'signing_key_file = "garde-signing.key"\nsigning_cert_file = "garde-signing.crt"\n'
    expect(block in text, "the harness's config no longer names garde-signing.key/.crt")
    keys = f'signing_key_file = "{signing.key}"\nsigning_cert_file = "{signing.cert}"\n'
    if next_ is not None:
        keys += f'next_signing_key_file = "{next_.key}"\nnext_signing_cert_file = "{next_.cert}"\n'
    write(h.broker.config_file, text.replace(block, keys))


def restart(log):
    h.broker.stop()
    h.broker.log_file = path(log)
    h.broker.start()


def publish_next_key():
    with open(h.broker.config_file) as f:
        state["config"] = f.read()
    old = types.SimpleNamespace(key=h.broker.cert.key, cert=h.broker.cert.cert,
                                cert_b64=h.broker.cert.cert_b64)
    nxt = types.SimpleNamespace(key=path("garde-next.key"), cert=path("garde-next.crt"))
    garde("keys", "generate", "--key", nxt.key, "--cert", nxt.cert, "--rsa-bits", "2048",
          "--cn", "garde e2e next signing")
    with open(nxt.cert) as f:
        nxt.cert_b64 = "".join(l.strip() for l in f if not l.startswith("-----"))
    state["garde_old"], state["garde_next"] = old, nxt
    state["md_before"], _ = idp_metadata_certs()  # what a peer holds from before the overlap
    broker_keys(old, nxt)
    restart("garde-3.log")
    _, out = garde("keys", "show", "--config", h.broker.config_file)
    expect("next" in out, f"`garde keys show` shows no next key:\n{out}")
    body, certs = idp_metadata_certs()
    expect(certs == {old.cert_b64, nxt.cert_b64},
           f"/saml/idp/metadata publishes {len(certs)} certificates, expected the signing and the next")
    expect(verifies(body, old.cert, "idp-md-overlap"), "the IdP metadata is not signed by the signing key")
    expect(not verifies(body, nxt.cert, "idp-md-overlap-next"), "the IdP metadata verifies with the next key")
    # The ENT and A fetch garde's metadata again (checked against the signing certificate).
    h.ent.connect(h.broker)
    a_uses(state["a_new"], [state["a_new"]])
    n = len(h.pub_a.client.metadata.certs(h.broker.idp_entity_id, "idpsso", "signing"))
    expect(n == 2, f"A's pysaml2 SP read {n} signing certificates from garde's IdP metadata")
    launch_ok(h.pub_a, RESOURCE_A, "garde's next key published")
    # A lasso SP refreshes garde's metadata during the overlap (checked against the signing
    # certificate) and accepts what garde signs with the current key.
    state["md_overlap"] = body
    got = launch_ok(h.pub_b, RESOURCE_B, "garde's next key published (B)")
    ok, why = lasso_accepts(body, old.cert, got["xml"])
    expect(ok, f"lasso, with garde's metadata of the overlap, refused a Response signed by the "
           f"current key: {why}")


suite.check("garde's rollover, publish: with broker.next_signing_* (`garde keys generate`) "
            "/saml/idp/metadata carries both certificates, signed by the signing key; the ENT and A "
            "fetch it again; launches succeed; a lasso SP that loads it accepts garde's Response",
            publish_next_key)


def swap_keys():
    old, nxt = state["garde_old"], state["garde_next"]
    broker_keys(nxt, old)
    restart("garde-4.log")
    body, certs = idp_metadata_certs()
    expect(certs == {old.cert_b64, nxt.cert_b64}, "after the swap the IdP metadata lost a certificate")
    expect(verifies(body, nxt.cert, "idp-md-swapped"), "the IdP metadata is not signed by the new key")
    expect(not verifies(body, old.cert, "idp-md-swapped-old"),
           "the IdP metadata still verifies with the old key")
    # A and the ENT hold the copies fetched during the overlap: garde's new signatures verify.
    launch_ok(h.pub_a, RESOURCE_A, "garde signing with its new key, A's copy from the overlap")
    # B's copy is from before the overlap (the old key alone): it must refuse.
    resp, got, why = launch(h.pub_b, RESOURCE_B)
    expect(got is None and why, f"B, with a copy from before the overlap, accepted the new signature: {got}")
    print(f"     (B with the old copy: {why[:110]})")
    # B fetches garde's metadata again, now checked against the new certificate.
    h.broker.cert = nxt
    h.pub_b.connect(h.broker)
    got = launch_ok(h.pub_b, RESOURCE_B, "B after fetching garde's metadata again")
    # lasso: the copy fetched during the overlap verifies the new key's signatures; the copy from
    # before it does not; the metadata fetched now verifies against the new certificate.
    ok, why = lasso_accepts(state["md_overlap"], old.cert, got["xml"])
    expect(ok, f"lasso, with garde's metadata of the overlap, refused the new key's Response: {why}")
    ok, why = lasso_accepts(state["md_before"], old.cert, got["xml"])
    expect(not ok, "lasso, with garde's metadata from before the overlap, accepted the new key's "
           "Response")
    print(f"     (lasso with the copy from before the overlap: {why[:110]})")
    ok, why = lasso_accepts(body, nxt.cert, got["xml"])
    expect(ok, f"lasso, with garde's metadata after the switch, refused the new key's Response: {why}")


suite.check("garde's rollover, switch: signing and next swapped, restart; the metadata is signed by "
            "the new key and still carries both; A and the ENT (copies from the overlap) verify "
            "garde's new signatures; B (a copy from before) refuses until it fetches again; the same "
            "with lasso SPs holding each copy", swap_keys)


# ---- A copy that expires --------------------------------------------------------------------------


def expires():
    new = state["a_new"]
    since = log_mark()
    publish([sp_metadata(h.pub_a, [new])], valid_seconds=15)
    deadline = time.time() + 15
    in_force(since, "a copy valid 15 seconds")
    src = status()
    expect(src["expiring"] and src["valid_until"] == state["valid_until"], f"status {src}")
    wait_until("/metrics says the copy expires soon",
               when(gauges, lambda g: g.get("expiring") == 1))
    expect(any(r.get("msg") == "metadata expires soon" for r in log_records()[since:]),
           "no log line `metadata expires soon`")
    launch_ok(h.pub_a, RESOURCE_A, "a copy about to expire", "a_new")
    time.sleep(max(0, deadline - time.time()) + 1)
    wait_until("status shows A not served once the copy expired",
               lambda: peer_a(status())["problem"])
    wait_until("serve loads its registries again at the copy's validUntil",
               lambda: [r for r in log_records()[since:] if r.get("msg") == "registries reloaded"][1:])
    resp, got, why = launch(h.pub_a, RESOURCE_A)
    expect(got is None and why is None, f"A was served from an expired copy: {got or why}")
    expect_refusal(resp, "A with an expired copy")
    _, out = garde("metadata", "status", "--config", h.broker.config_file)
    expect("NOT SERVED" in out, f"`garde metadata status` does not say NOT SERVED:\n{out}")
    wait_until("serve logs `metadata expired`",
               lambda: [r for r in log_records()[since:] if r.get("msg", "").startswith("metadata expired")])
    print(f"     (status: {peer_a(status())['problem']}; the launch: HTTP {resp.status_code})")
    # A fresh copy from the federation: A is served again.
    since = log_mark()
    publish([sp_metadata(h.pub_a, [new])])
    in_force(since, "a fresh copy after the expiry")
    launch_ok(h.pub_a, RESOURCE_A, "a fresh copy after the expiry", "a_new")


suite.check("a copy that reaches its validUntil: `expiring` (status, /metrics, log) before, then A is "
            "no longer served (refused, NOT SERVED, `metadata expired`) until a fresh copy verifies",
            expires)


def remove_refused():
    rc, out = garde("metadata", "source", "remove", SOURCE, "--database", h.broker.database, ok=False)
    expect(rc != 0 and rc < 128, f"`garde metadata source remove` of a source A is bound to: exit {rc}")
    expect(status()["up"], "the source is gone or down after a refused removal")
    launch_ok(h.pub_a, RESOURCE_A, "after a refused removal")
    print(f"     ({tail(out, 1)[:120]})")


suite.check("`garde metadata source remove` is refused while A is bound to the source", remove_refused)


def healthy():
    expect(h.broker.alive(), "the broker process exited")
    errors = h.peer_errors()
    expect(not errors, "a peer handler failed:\n" + "\n".join(errors)[-3000:])


suite.check("the broker keeps serving and no peer handler failed", healthy)
suite.check("the broker stops cleanly on SIGTERM (exit 0, no sanitizer report in its log)",
            lambda: h.broker.check_clean_exit())
suite.finish()
