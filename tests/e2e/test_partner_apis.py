#!/usr/bin/python3
"""`garde serve` with the subscription web service on both listeners, over real HTTPS with client
certificates made by the openssl CLI: the publisher registered with `garde publisher add --cert`
creates and lists its subscriptions at the root of the service's own listener and under
/abonnements/ on the main one; no certificate, an unregistered one, an ENT project's: 403; a
certificate added or removed with `garde publisher add` while the server runs is in force at the
next request, without a restart.

Run: GARDE_BIN=build/relwithdebinfo/broker/garde /usr/bin/python3 tests/e2e/test_partner_apis.py
"""

import ctypes
import os
import signal
import subprocess
import sys
import time

import requests
import urllib3

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]

from garde_harness import (LOOPBACK, CheckFailed, Suite, expect, free_port, garde_bin, run,  # noqa: E402
                           tail, write)

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

PUB_A = "123456789_0000000000000001"  # the demo data's publisher A (store/demo_data.h)
RESOURCE_A = "ark:/49591/demo.manuel.a"
NS = "http://www.atosworldline.com/wsabonnement/v1.0/"


def abonnement(id_, uai=True):
    return f"""<abonnement xmlns="{NS}">
  <idAbonnement>{id_}</idAbonnement>
  <idDistributeurCom>{PUB_A}</idDistributeurCom>
  <idRessource>{RESOURCE_A}</idRessource>
  <typeIdRessource>ark</typeIdRessource>
  <libelleRessource>Manuel</libelleRessource>
  <debutValidite>2025-09-01T00:00:00</debutValidite>
  <anneeFinValidite>2026-2027</anneeFinValidite>
  {"<uaiEtab>0561534N</uaiEtab>" if uai else ""}
  <categorieAffectation>transferable</categorieAffectation>
  <typeAffectation>ETABL</typeAffectation>
  <nbLicenceGlobale>ILLIMITE</nbLicenceGlobale>
  <publicCible>ELEVE</publicCible>
</abonnement>"""


def die_with_parent():
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class PartnerSuite(Suite):
    def __init__(self):
        super().__init__("partner APIs", prefix="garde-partners-", keep_env="GARDE_E2E_KEEP")
        self.bin = garde_bin()
        self.proc = None
        self.port = free_port()
        self.sub_port = free_port()
        self.database = os.path.join(self.workdir, "garde.db")

    def on_close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def path(self, name):
        return os.path.join(self.workdir, name)

    def openssl(self, *args):
        rc, out = run(["openssl", *args])
        expect(rc == 0, f"openssl {' '.join(args[:2])} failed:\n{tail(out)}")

    def make_keys(self):
        p = self.path
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "30",
                     "-subj", "/CN=garde e2e partners CA",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("tls.key"),
                     "-out", p("tls.pem"), "-days", "30", "-subj", "/CN=localhost",
                     "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
        self.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("signing.key"),
                     "-out", p("signing.pem"), "-days", "30", "-subj", "/CN=garde e2e signing")
        write(p("ext.cnf"), "extendedKeyUsage=clientAuth\n")
        for name in ("pub", "pub2", "ent"):
            self.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", p(f"{name}.key"), "-out", p(f"{name}.csr"),
                         "-subj", "/CN=Publisher A")  # one subject for all three: never the key
            self.openssl("x509", "-req", "-in", p(f"{name}.csr"), "-CA", p("ca.pem"), "-CAkey",
                         p("ca.key"), "-CAcreateserial", "-days", "10", "-extfile", p("ext.cnf"),
                         "-out", p(f"{name}.pem"))
        for f in ("state.hex", "pseudonym.hex", "audit-subject.hex"):
            write(p(f), os.urandom(32).hex() + "\n")
        for f in ("tls.key", "signing.key", "state.hex", "pseudonym.hex", "audit-subject.hex"):
            os.chmod(p(f), 0o600)
        write(p("garde.toml"), f"""[server]
listen_address = "{LOOPBACK}"
port = {self.port}
tls_cert_file = "tls.pem"
tls_key_file = "tls.key"
client_ca_file = "ca.pem"
threads = 2
shutdown_grace = "2s"

[broker]
base_url = "https://localhost:{self.port}"
signing_key_file = "signing.key"
signing_cert_file = "signing.pem"

[store]
database = "garde.db"

[state]
token_key_file = "state.hex"

[pseudonym]
secret_file = "pseudonym.hex"

[audit]
subject_secret_file = "audit-subject.hex"

[metrics]
listener = "off"

[subscriptions]
listener = "separate"
listen_address = "{LOOPBACK}"
port = {self.sub_port}
""")

    def garde(self, *args):
        rc, out = run([self.bin, *args, "--database", self.database])
        expect(rc == 0, f"garde {' '.join(args)} failed (exit {rc}):\n{tail(out)}")
        return out

    def fingerprint(self, name):
        rc, out = run(["openssl", "x509", "-in", self.path(f"{name}.pem"), "-noout",
                       "-fingerprint", "-sha256"])
        expect(rc == 0, out)
        return out.strip().split("=", 1)[1].replace(":", "").lower()

    def register(self):
        self.garde("store", "seed-demo")
        out = self.garde("publisher", "add", PUB_A, "--cert", self.path("pub.pem"))
        expect("added certificate" in out, out)
        self.garde("ent", "add", "ENTTEST1", "--cert", self.path("ent.pem"))

    def start(self):
        log = open(self.path("garde.log"), "w")
        self.proc = subprocess.Popen([self.bin, "serve", "--config", self.path("garde.toml")],
                                     stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                     start_new_session=True, preexec_fn=die_with_parent)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed(f"garde serve exited:\n{tail(open(self.path('garde.log')).read())}")
            try:
                if requests.get(f"https://{LOOPBACK}:{self.sub_port}/readyz", verify=False,
                                timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise CheckFailed("garde serve not ready after 30 s")

    def call(self, method, listener, path, cert=None, body=None):
        port = self.sub_port if listener == "separate" else self.port
        kwargs = {"verify": False, "timeout": 10}
        if cert:
            kwargs["cert"] = (self.path(f"{cert}.pem"), self.path(f"{cert}.key"))
        if body is not None:
            kwargs["data"] = body.encode()
            kwargs["headers"] = {"Content-Type": "application/xml"}
        return requests.request(method, f"https://{LOOPBACK}:{port}{path}", **kwargs)

    def create_on_both(self):
        r = self.call("PUT", "separate", "/ABO_E2E_1", "pub", abonnement("ABO_E2E_1"))
        expect(r.status_code == 201, f"PUT on the separate listener: {r.status_code} {r.text}")
        r = self.call("PUT", "main", "/abonnements/ABO_E2E_2", "pub", abonnement("ABO_E2E_2"))
        expect(r.status_code == 201, f"PUT on the main listener: {r.status_code} {r.text}")
        r = self.call("PUT", "main", "/abonnements/ABO_E2E_2", "pub", abonnement("ABO_E2E_2"))
        expect(r.status_code == 409, f"PUT again: {r.status_code}")
        for listener, path in (("separate", "/abonnements"), ("main", "/abonnements")):
            r = self.call("POST", listener, path, "pub", "")
            expect(r.status_code == 200 and "ABO_E2E_1" in r.text and "ABO_E2E_2" in r.text,
                   f"listing on {listener}: {r.status_code} {r.text[:300]}")
        r = self.call("POST", "separate", "/ABO_E2E_1", "pub", abonnement("ABO_E2E_1", uai=False))
        expect(r.status_code == 200 and "<uaiEtab>0561534N</uaiEtab>" in r.text,
               f"update: {r.status_code} {r.text[:300]}")

    def refusals(self):
        for listener, path in (("separate", "/ABO_X"), ("main", "/abonnements/ABO_X")):
            for cert in (None, "pub2"):
                r = self.call("PUT", listener, path, cert, abonnement("ABO_X"))
                expect(r.status_code == 403, f"{cert or 'no certificate'} on {listener}: {r.status_code}")
        r = self.call("PUT", "separate", "/ABO_X", "ent", abonnement("ABO_X"))
        expect(r.status_code == 403 and "acces_refuse" in r.text, f"ENT certificate: {r.status_code}")
        r = self.call("PUT", "separate", "/ABO_X", "pub",
                      '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + abonnement("&x;"))
        expect(r.status_code == 400 and "xml_interdit" in r.text and "root:" not in r.text,
               f"DOCTYPE: {r.status_code} {r.text[:200]}")
        log = open(self.path("garde.log")).read()
        expect(self.fingerprint("pub2") in log and "fingerprint not registered" in log,
               "the refusal of the unregistered certificate is not logged with its fingerprint")

    def rollover_without_restart(self):
        self.garde("publisher", "add", PUB_A, "--cert", self.path("pub2.pem"))
        r = self.call("POST", "separate", "/abonnements", "pub2", "")
        expect(r.status_code == 200, f"the new certificate: {r.status_code}")
        self.garde("publisher", "add", PUB_A, "--remove-cert", self.fingerprint("pub"))
        r = self.call("POST", "main", "/abonnements", "pub", "")
        expect(r.status_code == 403, f"the removed certificate: {r.status_code}")
        r = self.call("DELETE", "main", "/abonnements/ABO_E2E_2", "pub2")
        expect(r.status_code == 204, f"DELETE with the new certificate: {r.status_code}")
        expect(self.proc.poll() is None, "garde serve stopped")


def main():
    suite = PartnerSuite()
    suite.setup("keys, certificates and config (openssl CLI)", suite.make_keys)
    suite.setup("garde store seed-demo, garde publisher add --cert, garde ent add --cert",
                suite.register)
    suite.setup("garde serve: main and subscription listeners ready", suite.start)
    suite.check("a publisher creates, lists and updates on both listeners", suite.create_on_both)
    suite.check("no, unregistered and ENT certificates refused; DOCTYPE refused", suite.refusals)
    suite.check("a certificate added and one removed while serving, no restart",
                suite.rollover_without_restart)
    suite.finish()


if __name__ == "__main__":
    main()
