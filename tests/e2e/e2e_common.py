"""The end-to-end tests' set-up: garde over real HTTP on 127.0.0.1, between independent
pysaml2 peers (an ENT IdP, two publisher SPs), driven by a cookie-keeping browser.

    Broker:   `$GARDE_BIN store seed-demo` (the demo directory, pointing at the peers' metadata),
              then `$GARDE_BIN serve --config garde.toml` (plain HTTP on loopback), /readyz polled.
    ENT IdP:  saml2.server.Server behind a small HTTP server thread; /sso parses the broker's
              Redirect AuthnRequest, checks its query signature with the certificate of the broker's
              SP metadata, and answers a signed Response for `ent.user` as pysaml2's auto-POST form.
    SPs:      saml2.client.Saml2Client behind an HTTP server thread each; /login sends an
              AuthnRequest to the broker (Redirect), /acs parses the broker's Response with
              parse_authn_request_response and records what it received for the test.
    Browser:  requests.Session following redirects and submitting the SAML auto-POST forms.

Every process and thread started here is stopped by Harness.close() (called when the Suite closes:
finish, a failed set-up, an exception outside a check, SIGTERM); every wait is bounded. Checks,
commands, keys and encodings come from tests/support/python/garde_harness.py, shared with the
interop tests. Run a script directly with /usr/bin/python3 (Debian's python3-pysaml2 and
python3-requests) and GARDE_BIN set, or through `ctest -R e2e.test_pysaml2` (docs/testing.md).
GARDE_E2E_KEEP=1 keeps the work directory (config, database, logs, metadata).
"""

import ctypes
import hashlib
import html.parser
import io
import http.server
import os
import re
import signal
import ssl
import subprocess
import tarfile
import threading
import time
import traceback
import urllib.parse

from garde_harness import LOOPBACK, NS_MD, PPT, CheckFailed, Credential, expect, free_port
from garde_harness import Suite as _Suite
from garde_harness import b64, garde_bin, import_peer, run, tail, unb64, write

ENT_ID = "ENTTEST1"
UAI = "0561534N"
RESOURCE_A = "ark:/49591/demo.manuel.a"
RESOURCE_B = "ark:/49591/demo.outil.b"
PUPIL = "elv-0001"
UNASSIGNED_PUPIL = "elv-0003"
TEACHER = "ens-0001"

HTTP_TIMEOUT = 20  # seconds, every HTTP request of the harness


requests = import_peer("requests")
saml2 = import_peer("saml2")
import logging  # noqa: E402

# pysaml2 logs each refused message at ERROR with xmlsec1's output; the checks report instead.
logging.getLogger("saml2").setLevel(logging.CRITICAL)
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, config, server, sigver, xmldsig  # noqa: E402
from saml2 import metadata as saml2_metadata  # noqa: E402
from saml2.client import Saml2Client  # noqa: E402
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID  # noqa: E402


# ---- The suite ----------------------------------------------------------------------------------


class Suite(_Suite):
    """garde_harness.Suite with the work directory `garde-e2e-*` (kept with GARDE_E2E_KEEP=1) and
    the Harness set as `suite.harness`: closing the suite stops the broker and the peer servers,
    after printing the tail of the broker's log if a check failed."""

    def __init__(self, title):
        super().__init__(title, prefix="garde-e2e-", keep_env="GARDE_E2E_KEEP")
        self.harness = None

    def on_close(self):
        if self.harness is not None:
            if self.failures:
                print("---- broker log (tail) ----")
                print(tail(self.harness.broker_log(), 40))
            self.harness.close()
            self.harness = None


# ---- HTTP peers ---------------------------------------------------------------------------------


class Reply:
    def __init__(self, status=200, body="", content_type="text/html; charset=utf-8", headers=()):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = [("Content-Type", content_type)] + list(headers)


def redirect(location):
    return Reply(302, "", headers=[("Location", location)])


class PeerServer:
    """A threaded HTTP server on 127.0.0.1:port; `routes` maps (method, path) to fn(request) ->
    Reply, where request has .method, .path, .query (raw string), .params, .form, .headers."""

    class Request:
        pass

    def __init__(self, name, port, routes, tls=None):
        """`tls`: a Credential whose certificate names 127.0.0.1 to serve HTTPS with."""
        self.name = name
        self.port = port
        self.base = f"{'https' if tls else 'http'}://{LOOPBACK}:{port}"
        self.routes = routes
        self.errors = []
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: the checks say what happened
                pass

            def _handle(self, method):
                path, _, query = self.path.partition("?")
                req = PeerServer.Request()
                req.method, req.path, req.query = method, path, query
                req.params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
                req.headers = self.headers
                req.form = {}
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    body = self.rfile.read(length).decode()
                    req.form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                fn = peer.routes.get((method, path))
                try:
                    reply = fn(req) if fn else Reply(404, f"{peer.name}: no route {method} {path}")
                except Exception:
                    peer.errors.append(traceback.format_exc())
                    reply = Reply(500, f"{peer.name}: handler failed\n{traceback.format_exc()}",
                                  "text/plain; charset=utf-8")
                self.send_response(reply.status)
                for k, v in reply.headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.httpd = http.server.ThreadingHTTPServer((LOOPBACK, port), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert, tls.key)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=name, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def redirect_params(query):
    """The Redirect binding's parameters, decoded (values exactly as the peer sent them)."""
    return {k: v for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)}


class EntIdp:
    """The ENT's IdP: pysaml2's saml2.server.Server. Until `connect(broker)`, only its metadata
    exists; afterwards /sso answers the broker's AuthnRequests.

    Test controls: `user` (the NameID value, i.e. the person's identifier at the ENT), `mode`
    (a dict of variations for the next Responses: sign_response, sign_assertion, audience,
    lifetime_minutes, signer (a Credential not in the metadata); audience: another SP the ENT
    knows, `other_sp_entity_id`). Records: `requests` (one dict
    per AuthnRequest: id, issuer, acs, relay_state, signature_ok, sig_alg)."""

    def __init__(self, workdir, port):
        self.workdir = workdir
        self.port = port
        self.base = f"http://{LOOPBACK}:{port}"
        self.entity_id = f"{self.base}/idp/metadata"
        self.sso_url = f"{self.base}/sso"
        self.cred = Credential(workdir, "ent-idp")
        self.user = PUPIL
        self.mode = {}
        self.requests = []
        self.broker_sp_entity_id = None
        self.broker_cert_file = None
        self._lock = threading.Lock()
        self.metadata_xml = str(saml2_metadata.entity_descriptor(self._config()))
        self.metadata_file = write(os.path.join(workdir, "ent-idp-metadata.xml"), self.metadata_xml)
        # Another SP the ENT knows, so that a test can have a Response addressed to it (audience).
        self.other_sp_entity_id = f"{self.base}/other-sp/metadata"
        other = config.SPConfig()
        other.load({"entityid": self.other_sp_entity_id, "key_file": self.cred.key,
                    "cert_file": self.cred.cert, "metadata_key_usage": "signing",
                    "service": {"sp": {"endpoints": {"assertion_consumer_service": [
                        (f"{self.base}/other-sp/acs", BINDING_HTTP_POST)]}}}})
        self.other_sp_metadata_file = write(os.path.join(workdir, "ent-other-sp-metadata.xml"),
                                            str(saml2_metadata.entity_descriptor(other)))
        self.server = None
        self.http = PeerServer("ent-idp", port, {("GET", "/sso"): self._sso,
                                                  ("GET", "/idp/metadata"): self._metadata})

    def _config(self, broker=None, signer=None, lifetime_minutes=5):
        signer = signer or self.cred
        conf = {
            "entityid": self.entity_id,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": signer.key,
            "cert_file": signer.cert,
            "valid_for": 24,
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                # pysaml2 7.0.1 would demand an enveloped XML signature on the Redirect binding;
                # the query signature is checked below with verify_redirect_signature instead.
                "want_authn_requests_signed": False,
                "signing_algorithm": xmldsig.SIG_RSA_SHA256,
                "digest_algorithm": xmldsig.DIGEST_SHA256,
                "policy": {"default": {"lifetime": {"minutes": lifetime_minutes},
                                       "attribute_restrictions": None,
                                       "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}},
            }},
        }
        if broker is not None:
            # The broker's SP metadata, fetched from it and checked against its certificate.
            conf["metadata"] = {"remote": [{"url": broker.sp_metadata_url, "cert": broker.cert.cert,
                                             "node_name": f"{NS_MD}:EntityDescriptor"}],
                                "local": [self.other_sp_metadata_file]}
        c = config.IdPConfig()
        c.load(conf)
        return c

    def connect(self, broker):
        """Loads the broker's SP metadata (pysaml2 verifies its signature with the broker's cert)."""
        self.broker_sp_entity_id = broker.sp_entity_id
        self.broker_cert_file = broker.cert.cert
        self._broker = broker
        self.server = server.Server(config=self._config(broker))
        try:
            certs = self.server.metadata.certs(broker.sp_entity_id, "spsso", "signing")
        except KeyError:
            certs = []
        expect(certs, f"pysaml2 ENT IdP did not load the broker's SP metadata ({broker.sp_metadata_url})")

    def _metadata(self, req):
        return Reply(200, self.metadata_xml, "application/samlmetadata+xml")

    def _sso(self, req):
        if self.server is None:
            return Reply(503, "ENT IdP not connected to the broker yet", "text/plain")
        params = redirect_params(req.query)
        record = {"relay_state": params.get("RelayState"), "sig_alg": params.get("SigAlg")}
        parsed = self.server.parse_authn_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)
        msg = parsed.message
        record.update(id=msg.id, issuer=msg.issuer.text if msg.issuer else None,
                      acs=msg.assertion_consumer_service_url, destination=msg.destination)
        certs = [c[1] if isinstance(c, tuple) else c
                 for c in self.server.metadata.certs(record["issuer"], "spsso", "signing")]
        sig = {k: v for k, v in params.items() if k in ("SAMLRequest", "RelayState", "SigAlg", "Signature")}
        record["signature_ok"] = bool(certs) and "Signature" in params and any(
            sigver.verify_redirect_signature(sig, sigver.RSACrypto(None), cert=c) for c in certs)
        with self._lock:
            self.requests.append(record)
            user, mode = self.user, dict(self.mode)
        if not record["signature_ok"]:
            return Reply(403, "ENT IdP: the AuthnRequest's Redirect signature does not verify", "text/plain")
        args = self.server.response_args(msg, [BINDING_HTTP_POST])
        srv = self.server
        if mode.get("signer") or mode.get("lifetime_minutes") is not None:
            srv = server.Server(config=self._config(self._broker, signer=mode.get("signer"),
                                                    lifetime_minutes=mode.get("lifetime_minutes", 5)))
        resp = srv.create_authn_response(
            {"uid": [user], "ENTPersonProfils": ["National_elv" if user.startswith("elv") else "National_ens"]},
            args["in_response_to"], args["destination"],
            mode.get("audience", args["sp_entity_id"]),
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user),
            authn={"class_ref": PPT},
            sign_response=mode.get("sign_response", True),
            sign_assertion=mode.get("sign_assertion", True),
            sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
        info = srv.apply_binding(BINDING_HTTP_POST, str(resp), args["destination"],
                                 params.get("RelayState", ""), response=True)
        return Reply(200, info["data"])


class PublisherSp:
    """A publisher's SP: pysaml2's Saml2Client. /login sends an AuthnRequest to the broker's IdP
    (Redirect, signed when `sign_requests`), RelayState = base + "/resource"; /acs parses the
    Response and appends to `received` a dict: name_id, ava (attribute name -> values),
    in_response_to, relay_state, encrypted; or to `refused` the exception text."""

    def __init__(self, workdir, name, port, sign_requests=True, encrypt=False, unsolicited=False,
                 tls=None):
        """`tls`: a Credential naming 127.0.0.1 to serve HTTPS with (an ACS on https)."""
        self.workdir = workdir
        self.name = name
        self.port = port
        self.base = f"{'https' if tls else 'http'}://{LOOPBACK}:{port}"
        self.entity_id = f"{self.base}/sp/metadata"
        self.acs_url = f"{self.base}/acs"
        self.resource_url = f"{self.base}/resource"
        self.login_url = f"{self.base}/login"
        self.cred = Credential(workdir, name)
        self.sign_requests = sign_requests
        self.encrypt = encrypt
        self.unsolicited = unsolicited
        self.outstanding = {}
        self.sent = []
        self.received = []
        self.refused = []
        self._lock = threading.Lock()
        self.metadata_xml = str(saml2_metadata.entity_descriptor(self._config()))
        self.metadata_file = write(os.path.join(workdir, f"{name}-metadata.xml"), self.metadata_xml)
        self.client = None
        self._broker = None
        self.http = PeerServer(name, port, {("GET", "/login"): self._login,
                                             ("POST", "/acs"): self._acs,
                                             ("GET", "/resource"): self._resource,
                                             ("GET", "/sp/metadata"): self._metadata},
                               tls=tls)

    def _config(self, broker=None):
        conf = {
            "entityid": self.entity_id,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": self.cred.key,
            "cert_file": self.cred.cert,
            "allow_unknown_attributes": True,
            "valid_for": 24,
            "service": {"sp": {
                "endpoints": {"assertion_consumer_service": [(self.acs_url, BINDING_HTTP_POST)]},
                "want_response_signed": False,
                "want_assertions_signed": True,
                "allow_unsolicited": self.unsolicited,
                "authn_requests_signed": self.sign_requests,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "signing_algorithm": xmldsig.SIG_RSA_SHA256,
                "digest_algorithm": xmldsig.DIGEST_SHA256,
            }},
        }
        if self.encrypt:
            conf["encryption_keypairs"] = [{"key_file": self.cred.key, "cert_file": self.cred.cert}]
        else:
            conf["metadata_key_usage"] = "signing"
        if broker is not None:
            conf["metadata"] = {"remote": [{"url": broker.idp_metadata_url, "cert": broker.cert.cert,
                                             "node_name": f"{NS_MD}:EntityDescriptor"}]}
        c = config.SPConfig()
        c.load(conf)
        return c

    def connect(self, broker):
        self._broker = broker
        self.client = Saml2Client(config=self._config(broker))
        sso = self.client.metadata.single_sign_on_service(broker.idp_entity_id, BINDING_HTTP_REDIRECT)
        expect(sso and sso[0]["location"] == broker.idp_sso_url,
               f"{self.name}: pysaml2 read the broker's IdP SSO endpoints as {sso}")

    def _metadata(self, req):
        return Reply(200, self.metadata_xml, "application/samlmetadata+xml")

    def _login(self, req):
        if self.client is None:
            return Reply(503, f"{self.name} not connected to the broker yet", "text/plain")
        reqid, info = self.client.prepare_for_authenticate(
            entityid=self._broker.idp_entity_id, relay_state=self.resource_url,
            binding=BINDING_HTTP_REDIRECT, nameid_format=NAMEID_FORMAT_PERSISTENT,
            sign=self.sign_requests, sigalg=xmldsig.SIG_RSA_SHA256 if self.sign_requests else None)
        with self._lock:
            self.outstanding[reqid] = self.resource_url
            self.sent.append(reqid)
        location = dict(info["headers"])["Location"]
        return redirect(location)

    def _acs(self, req):
        saml_response = req.form.get("SAMLResponse", "")
        try:
            xml = unb64(saml_response)
        except Exception:
            xml = ""
        with self._lock:
            outstanding = dict(self.outstanding)
        try:
            resp = self.client.parse_authn_request_response(saml_response, BINDING_HTTP_POST,
                                                            outstanding=outstanding)
            expect(resp is not None, "pysaml2 returned no response")
            record = {
                "name_id": resp.name_id.text if resp.name_id is not None else None,
                "name_id_format": resp.name_id.format if resp.name_id is not None else None,
                "ava": resp.get_identity(),
                "in_response_to": resp.in_response_to,
                "relay_state": req.form.get("RelayState"),
                "issuer": resp.issuer(),
                "encrypted": "EncryptedAssertion" in xml,
                "xml": xml,
            }
        except Exception as e:  # pysaml2 refuses with assorted exception types
            with self._lock:
                self.refused.append(f"{type(e).__name__}: {e}")
            return Reply(403, f"{self.name}: refused the Response: {type(e).__name__}", "text/plain")
        with self._lock:
            self.received.append(record)
            if record["in_response_to"]:
                self.outstanding.pop(record["in_response_to"], None)
        return Reply(200, f"<html><body><h1>{self.name}</h1><p>Welcome</p></body></html>")

    def _resource(self, req):
        return Reply(200, f"<html><body>{self.name} resource</body></html>")

    def count(self):
        with self._lock:
            return len(self.received), len(self.refused)


# ---- The broker ---------------------------------------------------------------------------------


class Broker:
    """The garde binary: seeds a database, writes a config, runs `serve`, stops it."""

    def __init__(self, workdir, port, tls_cert=None, client_ca=None):
        """Plain HTTP on loopback by default; with `tls_cert` (a Credential whose certificate names
        127.0.0.1), HTTPS, asking for client certificates verified against `client_ca` if given."""
        self.bin = garde_bin()
        self.workdir = workdir
        self.port = port
        self.base = f"{'https' if tls_cert else 'http'}://{LOOPBACK}:{port}"
        # /metrics is served off the public listener, on a loopback listener of its own.
        self.metrics_port = free_port()
        self.metrics_base = f"http://{LOOPBACK}:{self.metrics_port}"
        self.sp_entity_id = f"{self.base}/saml/sp/metadata"
        self.idp_entity_id = f"{self.base}/saml/idp/metadata"
        self.sp_metadata_url = self.sp_entity_id
        self.idp_metadata_url = self.idp_entity_id
        self.idp_sso_url = f"{self.base}/saml/idp/sso"
        self.acs_url = f"{self.base}/saml/sp/acs"
        self.cert = Credential(workdir, "garde-signing")
        self.database = os.path.join(workdir, "garde.db")
        self.audit_file = os.path.join(workdir, "audit.jsonl")
        self.log_file = os.path.join(workdir, "garde.log")
        self.config_file = os.path.join(workdir, "garde.toml")
        self.proc = None
        self._log = None
        rc, key = run(["openssl", "rand", "-hex", "32"])
        expect(rc == 0, f"openssl rand failed: {key}")
        write(os.path.join(workdir, "state-key.hex"), key.strip() + "\n")
        rc, secret = run(["openssl", "rand", "-hex", "32"])
        expect(rc == 0, f"openssl rand failed: {secret}")
        write(os.path.join(workdir, "pseudonym-secret.hex"), secret.strip() + "\n")
        write(os.path.join(workdir, "audit-subject.hex"), os.urandom(32).hex() + "\n")
        for f in ("state-key.hex", "pseudonym-secret.hex", "audit-subject.hex", "garde-signing.key"):
            os.chmod(os.path.join(workdir, f), 0o600)
        if tls_cert is None:
            transport = "plain_http_loopback = true"
        else:
            transport = f'tls_cert_file = "{tls_cert.cert}"\ntls_key_file = "{tls_cert.key}"'
            os.chmod(tls_cert.key, 0o600)
            if client_ca:
                transport += f'\nclient_ca_file = "{client_ca}"'
        write(self.config_file, f"""# written by tests/e2e/e2e_common.py
[server]
listen_address = "{LOOPBACK}"
port = {port}
{transport}
threads = 2
shutdown_grace = "2s"

[broker]
base_url = "{self.base}"
signing_key_file = "garde-signing.key"
signing_cert_file = "garde-signing.crt"
# The attack suite also checks that a Response signed only on the Response is accepted (SAML2
# Profiles 4.1.4.2), which needs the default (assertions themselves signed) off; the default's
# refusal is tested in tests/broker/flows_launch_test.cpp.
want_assertions_signed = false

[store]
database = "garde.db"

[state]
token_key_file = "state-key.hex"

[pseudonym]
secret_file = "pseudonym-secret.hex"

[audit]
subject_secret_file = "audit-subject.hex"

[log]
level = "info"
audit_file = "audit.jsonl"

[metrics]
listener = "separate"
listen_address = "{LOOPBACK}"
port = {self.metrics_port}
""")

    def seed(self, ent, pub_a, pub_b, extra=(), ent_sign_requests="always"):
        """`garde store seed-demo` with these peers (`extra`: more seed-demo options)."""
        cmd = [self.bin, "store", "seed-demo", "--database", self.database,
               "--ent-idp-entity-id", ent.entity_id, "--ent-idp-metadata", ent.metadata_file,
               "--publisher-a-entity-id", pub_a.entity_id, "--publisher-a-metadata", pub_a.metadata_file,
               "--publisher-a-base-url", pub_a.base,
               "--publisher-b-entity-id", pub_b.entity_id, "--publisher-b-metadata", pub_b.metadata_file,
               "--publisher-b-base-url", pub_b.base,
               # The ENT checks the query signature but its metadata cannot say so (above):
               # its registration does.
               "--ent-sign-requests", ent_sign_requests, *extra]
        rc, out = run(cmd)
        expect(rc == 0, f"`garde store seed-demo` failed (exit {rc}):\n{tail(out)}")
        return out

    def start(self, timeout=30):
        self._log = open(self.log_file, "w")
        self.proc = subprocess.Popen([self.bin, "serve", "--config", self.config_file],
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed(f"garde serve exited with {self.proc.returncode}:\n{tail(self.broker_log())}")
            try:
                r = requests.get(f"{self.base}/readyz", timeout=2)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}"
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.2)
        raise CheckFailed(f"garde serve not ready after {timeout}s ({last}):\n{tail(self.broker_log())}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL after 15 s. Returns the exit code (None if it was not running)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        rc = self.proc.returncode
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        return rc

    def check_clean_exit(self):
        """Stops the broker and expects a graceful exit: code 0, no sanitizer report in its log."""
        rc = self.stop()
        log = self.broker_log()
        report = re.search(r"(ERROR: \w*Sanitizer.*|runtime error:.*)", log)
        expect(report is None, f"the broker's log has a sanitizer report: {report.group(0) if report else ''}\n"
               f"{tail(log[report.start():] if report else '', 30)}")
        expect(rc == 0, f"garde serve exited with {rc} on SIGTERM (expected 0):\n{tail(log, 15)}")

    def broker_log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def metrics(self):
        """/metrics as {(name, frozenset(labels)): value}."""
        r = requests.get(f"{self.metrics_base}/metrics", timeout=HTTP_TIMEOUT)
        expect(r.status_code == 200, f"/metrics answered {r.status_code}")
        out = {}
        for line in r.text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)', line)
            if not m:
                continue
            labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
        return out

    def decisions(self):
        """garde_decisions_total as {(outcome, reason): count}."""
        out = {}
        for (name, labels), value in self.metrics().items():
            if name == "garde_decisions_total":
                d = dict(labels)
                out[(d.get("outcome"), d.get("reason"))] = value
        return out


def _die_with_parent():
    """In the child, before exec: SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


# ---- The browser --------------------------------------------------------------------------------


class Form:
    def __init__(self, action, method, fields):
        self.action = action
        self.method = method
        self.fields = fields

    def __repr__(self):
        return f"Form({self.method} {self.action}, {sorted(self.fields)})"


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = Form(a.get("action", ""), (a.get("method") or "get").lower(), {})
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and a.get("name"):
            if a.get("type", "text").lower() in ("hidden", "text") or "checked" in a:
                self._current.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def forms(page_html):
    p = _FormParser()
    p.feed(page_html)
    return p.forms


def saml_form(resp):
    """The SAML auto-POST form of an HTML answer (SAMLResponse or SAMLRequest), or None."""
    if "html" not in resp.headers.get("Content-Type", ""):
        return None
    for f in forms(resp.text):
        if f.method == "post" and ("SAMLResponse" in f.fields or "SAMLRequest" in f.fields):
            f.action = urllib.parse.urljoin(resp.url, f.action)
            return f
    return None


class Browser:
    """A cookie-keeping client that follows redirects and submits SAML auto-POST forms."""

    def __init__(self):
        self.session = requests.Session()
        self.trail = []  # every URL visited, in order, with its status

    def get(self, url, **kw):
        r = self.session.get(url, timeout=HTTP_TIMEOUT, **kw)
        self._note(r)
        return r

    def post(self, url, data, **kw):
        r = self.session.post(url, data=data, timeout=HTTP_TIMEOUT, **kw)
        self._note(r)
        return r

    def _note(self, r):
        for h in list(r.history) + [r]:
            self.trail.append((h.request.method, h.url, h.status_code))

    def follow(self, resp, stop=None, max_forms=6):
        """Submits SAML auto-POST forms until a page without one, or until `stop(form)` is true
        (then returns (resp, form) without posting it). Returns (final response, None)."""
        for _ in range(max_forms):
            f = saml_form(resp)
            if f is None:
                return resp, None
            if stop and stop(f):
                return resp, f
            resp = self.post(f.action, f.fields)
        raise CheckFailed(f"more than {max_forms} auto-POST forms in a row; trail: {self.trail[-10:]}")

    def launch(self, url, stop=None):
        return self.follow(self.get(url), stop=stop)


CORRELATION_RE = re.compile(r'class="id">([^<]+)<')


def refusal_id(resp):
    """The correlation id shown on a refusal page (None if not a refusal page)."""
    m = CORRELATION_RE.search(resp.text or "")
    return m.group(1).strip() if m else None


def expect_refusal(resp, what, statuses=range(400, 500)):
    expect(resp.status_code in statuses,
           f"{what}: expected a 4xx refusal page, got HTTP {resp.status_code} at {resp.url}:\n{tail(resp.text, 8)}")
    expect("html" in resp.headers.get("Content-Type", ""),
           f"{what}: the refusal is not an HTML page ({resp.headers.get('Content-Type')})")
    cid = refusal_id(resp)
    expect(cid, f"{what}: the refusal page shows no correlation id:\n{tail(resp.text, 8)}")
    rid = resp.headers.get("X-Request-Id")
    expect(rid is None or rid == cid,
           f"{what}: the page's correlation id {cid} is not the X-Request-Id {rid}")
    expect(saml_form(resp) is None, f"{what}: the refusal page carries a SAML form")
    return cid


# ---- The whole set-up ---------------------------------------------------------------------------


def launch_url(broker, resource, ent=ENT_ID, uai=UAI):
    return (f"{broker.base}/launch/{urllib.parse.quote(resource, safe='')}?"
            + urllib.parse.urlencode({"ent": ent, "uai": uai}))


def domaine_gar_url(broker, resource, ent=ENT_ID, uai=UAI):
    return (f"{broker.base}/domaineGar?idENT={urllib.parse.quote(b64(ent), safe='')}"
            f"&idEtab={urllib.parse.quote(b64(uai), safe='')}"
            f"&idRessource={urllib.parse.quote(resource, safe='')}")


def feed_archive(files):
    """A GAR-ENT snapshot as gar-connector sends it to /api/v1/ent/feeds: `files` (name -> bytes)
    packed as a .tar.gz, and the archive's MD5 in hex (the X-Feed-MD5 header)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    archive = buf.getvalue()
    return archive, hashlib.md5(archive).hexdigest()


def partner_certificates(workdir, names):
    """A CA of the partners (partners-ca.pem) and, under it, one client certificate per name
    (clientAuth, ECDSA P-256, `<name>.pem` and `<name>.key`), as an operator would receive them."""
    def openssl(*args):
        rc, out = run(["openssl", *args])
        expect(rc == 0, f"openssl {' '.join(args[:2])} failed:\n{tail(out)}")

    path = lambda name: os.path.join(workdir, name)  # noqa: E731
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path("partners-ca.key"), "-out", path("partners-ca.pem"), "-days", "30",
            "-subj", "/CN=garde e2e partners CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    write(path("client-ext.cnf"), "extendedKeyUsage=clientAuth\n")
    for name in names:
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", path(f"{name}.key"), "-out", path(f"{name}.csr"), "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", path(f"{name}.csr"), "-CA", path("partners-ca.pem"),
                "-CAkey", path("partners-ca.key"), "-CAcreateserial", "-days", "10",
                "-extfile", path("client-ext.cnf"), "-out", path(f"{name}.pem"))


class Harness:
    """Keys, peers, seeded database and a running broker. close() stops everything it started."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.peers = []
        self.broker = None
        self.ent = None
        self.pub_a = None
        self.pub_b = None

    def start(self):
        w = self.workdir
        self.ent = EntIdp(w, free_port())
        self.peers.append(self.ent.http)
        # A: bounce launch, signed AuthnRequests, encrypted assertions. B: direct launch.
        self.pub_a = PublisherSp(w, "publisher-a", free_port(), sign_requests=True, encrypt=True)
        self.peers.append(self.pub_a.http)
        self.pub_b = PublisherSp(w, "publisher-b", free_port(), sign_requests=False, unsolicited=True)
        self.peers.append(self.pub_b.http)
        self.broker = Broker(w, free_port())
        self.broker.seed(self.ent, self.pub_a, self.pub_b)
        self.broker.start()
        for peer in (self.ent, self.pub_a, self.pub_b):
            peer.connect(self.broker)
        return self

    def start_tls(self, clients, register=(), publisher_b_tls=False):
        """The same peers with the broker on HTTPS, asking for client certificates issued by a
        partners' CA (partners-ca.pem): `clients` names the certificates to issue
        (`<name>.pem`/`<name>.key` in the workdir); `register` the `garde ent|publisher add ...`
        argument lists run on the seeded database before the broker starts. With
        `publisher_b_tls`, publisher B serves HTTPS and has an encryption key, as a publisher
        onboarding by contract must (docs/contracts.md)."""
        w = self.workdir
        partner_certificates(w, clients)
        tls = Credential(w, "garde-tls", san="IP:127.0.0.1")
        # Every HTTPS client of this process (the browser, the peers fetching the broker's
        # metadata, the partner calls) verifies the broker's certificate against this one.
        os.environ["REQUESTS_CA_BUNDLE"] = tls.cert
        self.ent = EntIdp(w, free_port())
        self.pub_a = PublisherSp(w, "publisher-a", free_port(), sign_requests=True, encrypt=True)
        self.pub_b = PublisherSp(w, "publisher-b", free_port(), sign_requests=False, unsolicited=True,
                                 encrypt=publisher_b_tls, tls=tls if publisher_b_tls else None)
        self.peers = [self.ent.http, self.pub_a.http, self.pub_b.http]
        self.broker = Broker(w, free_port(), tls_cert=tls,
                             client_ca=os.path.join(w, "partners-ca.pem"))
        self.broker.seed(self.ent, self.pub_a, self.pub_b)
        for args in register:
            rc, out = run([self.broker.bin, *args, "--database", self.broker.database])
            expect(rc == 0, f"garde {' '.join(args[:3])} failed:\n{tail(out)}")

    def connect_peers(self):
        """After broker.start(): the peers load the broker's metadata."""
        for peer in (self.ent, self.pub_a, self.pub_b):
            peer.connect(self.broker)

    def call(self, method, target, cert=None, **kw):
        """A partner's call to the broker, with the client certificate `cert` (a name given to
        start_tls) or none."""
        if cert:
            kw["cert"] = (os.path.join(self.workdir, f"{cert}.pem"),
                          os.path.join(self.workdir, f"{cert}.key"))
        return requests.request(method, self.broker.base + target, timeout=HTTP_TIMEOUT, **kw)

    def manager_session(self, person, ent=ENT_ID):
        """`person` signs in through the ENT as an assignment manager (garde's SAML SP leg):
        (their Browser, the answer of GET /api/v1/establishment/session)."""
        self.ent.user = person
        b = Browser()
        resp, _ = b.launch(f"{self.broker.base}/admin/login?ent={ent}")
        expect(resp.status_code == 200, f"{person}'s sign-in ended with {resp.status_code} at "
               f"{resp.url}:\n{tail(resp.text, 8)}\ntrail: {b.trail}")
        r = b.get(f"{self.broker.base}/api/v1/establishment/session")
        expect(r.status_code == 200, f"{person}'s session: {r.status_code} {r.text[:300]}")
        return b, r.json()

    def broker_log(self):
        return self.broker.broker_log() if self.broker else ""

    def close(self):
        if self.broker is not None:
            self.broker.stop()
        for p in self.peers:
            try:
                p.stop()
            except Exception:
                pass
        self.peers = []

    def peer_errors(self):
        return [e for p in self.peers for e in p.errors]
