"""Helpers for the browser tests: run `garde serve --demo` on a free port and drive Debian's
chromium headless through selenium (python3-selenium, chromium, chromium-driver).

Used by tests/e2e/test_browser_*.py, which CTest runs with /usr/bin/python3 and GARDE_BIN,
GARDE_SOURCE_DIR and GARDE_BUILD_DIR in the environment. Checks, the suite and its work directory
come from tests/support/python/garde_harness.py.
"""

import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

from garde_harness import CheckFailed, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _insecure_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the demo's certificate is self-signed
    return ctx


def http_get(url, timeout=5):
    """(status, body) of a GET, following no redirects; raises OSError when unreachable."""
    req = urllib.request.Request(url, method="GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=_insecure_context()) as res:
            return res.status, res.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


class DemoServer:
    """`garde serve --demo` in a temporary directory, on a free port when the binary lets us
    choose one (else on the demo's default port, which must then be free)."""

    def __init__(self, garde_bin, demo_dir):
        self.garde_bin = garde_bin
        self.demo_dir = demo_dir
        self.process = None
        self.lines = []
        self.base_url = None
        self._reader = None

    def _port_option(self):
        help_text = subprocess.run([self.garde_bin, "serve", "--help"], capture_output=True,
                                   text=True, timeout=30).stdout
        for option in ("--demo-port", "--port"):
            if re.search(rf"(^|[\s,]){re.escape(option)}\b", help_text):
                return option
        return None

    def start(self, timeout=60):
        args = [self.garde_bin, "serve", "--demo", "--demo-dir", self.demo_dir]
        option = self._port_option()
        port = None
        if option:
            port = free_port()
            args += [option, str(port)]
        elif not port_is_free(8443):
            raise CheckFailed("`garde serve` has no port option and the demo's port 8443 is in use")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CheckFailed(f"garde exited with {self.process.returncode}:\n{self.output()}")
            if self.base_url is None:
                self.base_url = self._printed_base_url(port)
            if self.base_url:
                try:
                    status, _ = http_get(self.base_url + "/readyz", timeout=2)
                    if status == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.2)
        raise CheckFailed(f"garde was not ready within {timeout}s:\n{self.output()}")

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def _printed_base_url(self, port):
        # The demo prints its URLs; the first https URL ending in /demo/ or /healthz names the base.
        for line in list(self.lines):
            m = re.search(r"(https://[^\s/]+)/(demo/|healthz)", line)
            if m:
                return m.group(1)
        return None

    def output(self, last=60):
        return "".join(self.lines[-last:])

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def make_driver(user_data_dir, logging=False, extra_args=()):
    """Chromium headless through chromedriver; with `logging`, the page's console and the network
    events are kept for driver.get_log("browser") and get_log("performance")."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    if logging:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--ignore-certificate-errors", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1100,1000",
                f"--user-data-dir={user_data_dir}", *extra_args):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_for_any(driver, css_selectors, timeout=30, text_pattern=None):
    """Waits until one of the selectors matches an element on the current page (following
    auto-submitted forms on the way), or the page's text matches `text_pattern`; returns the
    selector that matched, or "text" for the pattern."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for selector in css_selectors:
                if driver.find_elements(By.CSS_SELECTOR, selector):
                    return selector
            if text_pattern and re.search(text_pattern, page_text(driver)):
                return "text"
        except Exception:  # the page is being replaced by a form submission; try again
            pass
        time.sleep(0.1)
    raise CheckFailed(f"none of {css_selectors} appeared within {timeout}s; at {driver.current_url}:\n"
                  f"{page_text(driver)[:2000]}")


def page_text(driver):
    from selenium.webdriver.common.by import By

    try:
        return driver.find_element(By.TAG_NAME, "body").text
    except Exception:
        return driver.page_source
