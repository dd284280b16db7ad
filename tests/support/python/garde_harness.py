"""The harness shared by garde's scripted tests (tests/e2e, tests/interop): checks and their report,
the work directory, commands, keys made with the openssl CLI, encodings, and the peer libraries.

What is particular to one suite stays in its own module: tests/e2e/e2e_common.py (the running
broker between pysaml2 peers over HTTP), tests/e2e/browser_support.py (the demo in chromium),
tests/interop/interop_common.py (garde's operator commands, the vector tool, hand-written metadata).
The scripts put this folder on sys.path first:

    HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]

Run with Debian's /usr/bin/python3 (python3-pysaml2, python3-lasso, python3-requests and
python3-selenium are installed for it); see docs/testing.md.
"""

import atexit
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
import zlib

LOOPBACK = "127.0.0.1"

NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

# The Debian package of a peer library, for the hint of import_peer (default python3-<module>).
_DEBIAN_PACKAGES = {"saml2": "python3-pysaml2"}


# ---- Checks -------------------------------------------------------------------------------------


class CheckFailed(Exception):
    """A check's expectation was not met; the message says what and why."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


class WorkDir:
    """A fresh temporary directory (`<tmp>/<prefix>XXXXXXXX`), removed by close() or at exit
    unless the environment variable `keep_env` is set: then it stays and its path is printed."""

    def __init__(self, prefix="garde-test-", keep_env=None):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.keep_env = keep_env
        self._closed = False
        atexit.register(self.close)

    def keep(self):
        return bool(self.keep_env and os.environ.get(self.keep_env))

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self.keep():
            print(f"(work files kept in {self.path})", flush=True)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


class Suite:
    """Runs named checks in order, prints one line each (`ok   name`, or `FAIL name` and the
    reason), and on finish() a summary (`<title>: all N checks passed`, or `<title>: F of N checks
    FAILED: names`) and a last line `P passed, F failed`; exits non-zero if any check failed.

    `workdir` is a WorkDir's path (kept when `keep_env` is set). Whatever ends the script (finish(),
    a failed setup, an exception outside a check, SIGTERM from a CTest timeout), close() runs once:
    subclasses stop what they started there."""

    def __init__(self, title, prefix="garde-test-", keep_env=None):
        self.title = title
        self.failures = []
        self.passed = 0
        self._workdir = WorkDir(prefix, keep_env)
        self.workdir = self._workdir.path
        self._closed = False
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def close(self):
        """Stops what the suite started; called once, before the work directory goes."""
        if not self._closed:
            self._closed = True
            self.on_close()
            self._workdir.close()

    def on_close(self):
        """What a subclass stops (processes, servers); the failures are known by then."""

    def check(self, name, fn, *args, **kwargs):
        try:
            fn(*args, **kwargs)
        except CheckFailed as e:
            self.failures.append(name)
            print(f"FAIL {name}\n     {str(e).replace(chr(10), chr(10) + '     ')}", flush=True)
            return False
        except Exception:  # a peer library or the harness raising is a failed check
            self.failures.append(name)
            print(f"FAIL {name} (exception)\n{traceback.format_exc()}", flush=True)
            return False
        self.passed += 1
        print(f"ok   {name}", flush=True)
        return True

    def setup(self, name, fn, *args, **kwargs):
        """Like check, but a failure ends the suite (later checks depend on it)."""
        result = {}

        def wrapper():
            result["value"] = fn(*args, **kwargs)

        if not self.check(name, wrapper):
            self.finish()
        return result["value"]

    def finish(self):
        self.close()
        total = self.passed + len(self.failures)
        if self.failures:
            print(f"{self.title}: {len(self.failures)} of {total} checks FAILED: "
                  + ", ".join(self.failures))
        else:
            print(f"{self.title}: all {total} checks passed")
        print(f"{self.passed} passed, {len(self.failures)} failed", flush=True)
        sys.exit(1 if self.failures else 0)


# ---- Commands and the environment ---------------------------------------------------------------


def run(cmd, stdin=None, timeout=120):
    """Runs a command; returns (exit code, stdout + stderr as text)."""
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def show(cmd):
    """A command line for a message, long arguments shortened."""
    return " ".join(a if len(a) < 120 else a[:60] + "..." for a in cmd)


def tail(text, lines=25):
    return "\n".join((text or "").strip().splitlines()[-lines:])


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def env_path(name):
    """An environment variable CTest sets (GARDE_BUILD_DIR, GARDE_SOURCE_DIR...)."""
    value = os.environ.get(name, "")
    expect(value, f"{name} is not set; run the test through ctest or set it")
    return value


def require_executable(env_name, what):
    """The absolute path of the executable named by an environment variable."""
    path = os.environ.get(env_name, "")
    expect(path, f"{env_name} is not set (the path of {what}); run through ctest or set it")
    expect(os.path.isfile(path) and os.access(path, os.X_OK),
           f"{env_name}={path} is not an executable file ({what}); build it first")
    return os.path.abspath(path)


def garde_bin():
    return require_executable("GARDE_BIN", "the garde binary")


def free_port():
    """A TCP port free on 127.0.0.1 at the time of the call (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def import_peer(module):
    """Imports a peer library; missing is a failure with a hint, never a skip."""
    try:
        return __import__(module)
    except ImportError as e:
        package = _DEBIAN_PACKAGES.get(module, f"python3-{module}")
        print(f"FAIL cannot import {module} with {sys.executable}: {e}\n"
              f"     install Debian's {package} (scripts/bootstrap) and run the test with "
              "/usr/bin/python3")
        print("0 passed, 1 failed")
        sys.exit(1)


# ---- Keys and encodings -------------------------------------------------------------------------


class Credential:
    """An RSA-2048 key and a self-signed SHA-256 certificate made with the openssl CLI, as
    `<workdir>/<name>.key` and `.crt` (CN `<name>.garde.test`)."""

    def __init__(self, workdir, name, days=30, san=None):
        self.name = name
        self.key = os.path.join(workdir, f"{name}.key")
        self.cert = os.path.join(workdir, f"{name}.crt")
        extra = ["-addext", f"subjectAltName={san}"] if san else []
        rc, out = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
                       "-days", str(days), "-subj", f"/CN={name}.garde.test",
                       "-keyout", self.key, "-out", self.cert, *extra])
        expect(rc == 0, f"openssl could not make a key and certificate for {name}:\n{out}")

    @property
    def key_pem(self):
        with open(self.key) as f:
            return f.read()

    @property
    def cert_pem(self):
        with open(self.cert) as f:
            return f.read()

    @property
    def cert_b64(self):
        """The certificate's base64 DER, as in a ds:X509Certificate."""
        return "".join(l.strip() for l in self.cert_pem.splitlines() if not l.startswith("-----"))


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text).decode()


def deflate_b64(xml):
    """Redirect binding encoding (SAML2 Bindings 3.4.4.1): raw DEFLATE, then base64."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return b64(comp.compress(xml.encode()) + comp.flush())


def inflate_b64(text):
    return zlib.decompress(base64.b64decode(text), -15).decode()
