"""Stock SAML software from Debian 12 around garde, for tests/e2e/test_stock_*.py.

    ENT IdP:      SimpleSAMLphp 1.19 (`simplesamlphp`, mod_php), its saml20-idp-hosted on its
                  default NameID settings (transient), an exampleauth:UserPass authsource with the
                  demo directory's people, garde's SP metadata read from an XML file.
    Publisher A:  Shibboleth SP 3.4 (`libapache2-mod-shib` + `shibd`): shibboleth2.xml with garde's
                  IdP metadata as a local MetadataProvider (signature checked with garde's
                  certificate), attribute-map.xml for garde's attribute Names, relayState ss:mem.
    Publisher B:  mod_auth_mellon 0.18 (`libapache2-mod-auth-mellon`): MellonIdPMetadataFile,
                  MellonSPMetadataFile made by mellon_create_metadata, MellonEndpointPath /mellon.

One Apache 2.4 (prefork, mod_php) serves the three on their own virtual host and port on
127.0.0.1, from an httpd.conf of ours (`apache2 -f <conf> -DFOREGROUND`, own ServerRoot, PidFile,
logs); shibd runs in the foreground with its own shibboleth2.xml, socket and logs. Everything lives
in the suite's work directory: nothing under /etc is written. Each publisher protects /resource, a
PHP page that prints, as JSON, every server variable it was given with its value as hex of the
bytes (so that a test compares values byte for byte); /login starts the publisher's own login
handler (the login URL the demo data registers for a bounce launch).

Order of the start-up (each side needs the other's metadata):
 1. keys; SP metadata of Shibboleth (shib-metagen) and mellon (mellon_create_metadata), written
    before anything runs; Apache started (SimpleSAMLphp reads its remote metadata per request);
 2. SimpleSAMLphp's IdP metadata fetched from its metadata URL;
 3. garde seeded with these three and started (e2e_common.Broker);
 4. garde's SP and IdP metadata fetched, checked with `garde metadata verify --cert`, and written
    where SimpleSAMLphp, shibd and mellon read them; then shibd is started and its /Status polled.

Stopping: Peers.close() sends SIGTERM to shibd and Apache (SIGKILL after 15 s), as e2e_common's
Harness does for the broker. A missing package is a failure naming it, never a skip.
"""

import base64
import html
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET

from garde_harness import LOOPBACK, NS_SAML, CheckFailed, Credential, expect, free_port, run, tail, write
from e2e_common import HTTP_TIMEOUT, Broker, _die_with_parent, forms, requests, saml_form

# ---- What the tests need installed --------------------------------------------------------------

APACHE = "/usr/sbin/apache2"
SHIBD = "/usr/sbin/shibd"
SHIB_METAGEN = "/usr/bin/shib-metagen"
MELLON_CREATE_METADATA = "/usr/sbin/mellon_create_metadata"
SSP_ROOT = "/usr/share/simplesamlphp"
MODULES = "/usr/lib/apache2/modules"
SHIB_DEFAULTS = "/etc/shibboleth"  # read only: protocols.xml, security-policy.xml, the templates

# (file that must exist, Debian package that provides it)
REQUIRED = [
    (APACHE, "apache2"),
    (f"{MODULES}/libphp8.2.so", "libapache2-mod-php"),
    ("/usr/lib/php/20220829/dom.so", "php-xml"),
    ("/usr/lib/php/20220829/mbstring.so", "php-mbstring"),
    (f"{SSP_ROOT}/www/saml2/idp/SSOService.php", "simplesamlphp"),
    (f"{MODULES}/mod_shib.so", "libapache2-mod-shib"),
    (SHIBD, "shibboleth-sp-utils"),
    (SHIB_METAGEN, "shibboleth-sp-utils"),
    (f"{MODULES}/mod_auth_mellon.so", "libapache2-mod-auth-mellon"),
    (MELLON_CREATE_METADATA, "libapache2-mod-auth-mellon"),
]


def require_packages():
    """Fails (never skips) when a stock peer is not installed, naming the Debian package."""
    missing = sorted({pkg for path, pkg in REQUIRED if not os.path.exists(path)})
    expect(not missing, "stock SAML peers not installed: " + " ".join(missing)
           + " (run scripts/bootstrap, which installs them from Debian's packages)")


# ---- The people of the demo directory, as the ENT knows them ------------------------------------

PASSWORD = "motdepasse"

# What the ENT's authsource releases for each account: `uid` = the identifier garde's directory
# knows the person by (store/demo_data.cpp), and what an ENT sends besides. ENT_USERS also holds a
# person the directory does not know.
ENT_USERS = {
    "elv-0001": {"givenName": "Léa", "sn": "Martin", "profile": "National_elv"},
    "elv-0002": {"givenName": "Hugo", "sn": "Bernard", "profile": "National_elv"},
    "elv-0003": {"givenName": "Chloé", "sn": "Petit", "profile": "National_elv"},
    "elv-0004": {"givenName": "Maïté-Françoise", "sn": "Lefèvre-Côté", "profile": "National_elv"},
    "ens-0001": {"givenName": "Paul", "sn": "Durand", "profile": "National_ens",
                 "mail": "paul.durand@ent.demo.test"},
    "inconnu-9999": {"givenName": "Inconnu", "sn": "Personne", "profile": "National_elv"},
}
UAI = "0561534N"


def _php(value):
    """A PHP single-quoted string literal (UTF-8 bytes kept as they are)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ---- The page each publisher protects -----------------------------------------------------------

WHOAMI_PHP = r"""<?php
// Every server variable this request was given (attributes, NameID, session variables), each
// value as hex of its bytes, so that a test compares what the SP received byte for byte.
header('Content-Type: application/json');
header('Cache-Control: no-store');
$vars = [];
foreach ($_SERVER as $name => $value) {
    if (is_string($value)) {
        $vars[$name] = bin2hex($value);
    }
}
echo json_encode(['sp' => $SP_NAME, 'vars' => $vars]);
"""


def whoami_page(path, sp_name):
    return write(path, WHOAMI_PHP.replace("$SP_NAME", _php(sp_name)))


def decode_vars(resp):
    """The variables printed by the whoami page, values decoded as UTF-8 (strict)."""
    expect(resp.headers.get("Content-Type", "").startswith("application/json"),
           f"not the publisher's page: HTTP {resp.status_code} {resp.url} "
           f"({resp.headers.get('Content-Type')}):\n{tail(resp.text, 12)}")
    body = json.loads(resp.text)
    out = {}
    for name, hexvalue in body["vars"].items():
        raw = bytes.fromhex(hexvalue)
        try:
            out[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckFailed(f"{body['sp']}: the value of {name} is not UTF-8: {raw!r}")
    return out


# ---- Apache -------------------------------------------------------------------------------------


def _www_data():
    """(uid, gid) the Apache children run as when we are root, else None (they run as us)."""
    if os.geteuid() != 0:
        return None
    pw = pwd.getpwnam("www-data")
    return pw.pw_uid, pw.pw_gid


def make_readable(path, writable=()):
    """Lets the Apache children (www-data when we are root) read `path` (a tree) and write the
    directories in `writable`; the work directory above stays private to other users except
    for traversal."""
    owner = _www_data()
    if owner is None:
        return
    writable = [os.path.abspath(d) for d in writable]
    for dirpath, dirnames, filenames in os.walk(path):
        if os.path.abspath(dirpath) in writable:  # theirs: what they wrote there stays theirs
            dirnames[:] = []
            continue
        os.chmod(dirpath, 0o750)
        os.chown(dirpath, 0, owner[1])
        for f in filenames:
            p = os.path.join(dirpath, f)
            os.chmod(p, 0o640)
            os.chown(p, 0, owner[1])
    for d in writable:
        os.makedirs(d, exist_ok=True)
        os.chown(d, owner[0], owner[1])
        os.chmod(d, 0o770)


class Apache:
    """One Apache 2.4 (prefork + mod_php + mod_shib + mod_auth_mellon) from our own httpd.conf."""

    def __init__(self, root, ports, vhosts, server_level=""):
        self.root = root
        self.ports = ports
        os.makedirs(os.path.join(root, "run"), exist_ok=True)
        self.conf = os.path.join(root, "httpd.conf")
        self.error_log = os.path.join(root, "error.log")
        self.access_log = os.path.join(root, "access.log")
        self.proc = None
        self._out = None
        owner = _www_data()
        user = "User www-data\nGroup www-data\n" if owner else ""
        listens = "".join(f"Listen {LOOPBACK}:{p}\n" for p in ports)
        modules = "".join(f"LoadModule {name} {MODULES}/{so}\n" for name, so in (
            ("mpm_prefork_module", "mod_mpm_prefork.so"),
            ("authn_core_module", "mod_authn_core.so"),
            ("authz_core_module", "mod_authz_core.so"),
            ("authz_user_module", "mod_authz_user.so"),
            ("alias_module", "mod_alias.so"),
            ("dir_module", "mod_dir.so"),
            ("env_module", "mod_env.so"),
            ("mime_module", "mod_mime.so"),
            ("php_module", "libphp8.2.so"),
            ("mod_shib", "mod_shib.so"),
            ("auth_mellon_module", "mod_auth_mellon.so")))
        write(self.conf, f"""# written by tests/e2e/stock_peers.py
ServerRoot "{root}"
PidFile "{root}/run/httpd.pid"
DefaultRuntimeDir "{root}/run"
Mutex file:{root}/run default
ServerName {LOOPBACK}
{user}{listens}{modules}
StartServers 2
MinSpareServers 2
MaxSpareServers 4
# Each browser of a test keeps its connections alive, and a prefork child serves one connection:
# enough children for all the browsers of a run, idle connections closed soon.
MaxRequestWorkers 64
MaxConnectionsPerChild 0
Timeout 30
KeepAlive On
KeepAliveTimeout 2
ErrorLog "{self.error_log}"
LogLevel warn
LogFormat "%h %t \\"%r\\" %>s %b %D" timed
CustomLog "{self.access_log}" timed
TypesConfig /etc/mime.types
DirectoryIndex index.php
<Directory />
    AllowOverride None
    Require all denied
</Directory>
{server_level}
{"".join(vhosts)}
""")

    def check_config(self):
        rc, out = run([APACHE, "-f", self.conf, "-t"], timeout=60)
        expect(rc == 0, f"apache2 -t refuses {self.conf}:\n{tail(out)}")

    def start(self, timeout=30):
        self.check_config()
        self._out = open(os.path.join(self.root, "apache.out"), "w")
        env = dict(os.environ, LANG="C.UTF-8")
        self.proc = subprocess.Popen([APACHE, "-f", self.conf, "-DFOREGROUND"], stdout=self._out,
                                     stderr=subprocess.STDOUT, cwd=self.root, env=env,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        waiting = list(self.ports)
        while waiting and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed(f"apache2 exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                requests.get(f"http://{LOOPBACK}:{waiting[0]}/", timeout=2)
                waiting.pop(0)
            except requests.RequestException:
                time.sleep(0.1)
        expect(not waiting, f"apache2 does not answer on {waiting} after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines=25):
        try:
            with open(self.error_log, errors="replace") as f:
                return tail(f.read(), lines)
        except OSError:
            return "(no error log)"

    def count(self, request_line):
        """How many requests of the access log start with `request_line` ("POST /path")."""
        try:
            with open(self.access_log, errors="replace") as f:
                return sum(1 for line in f if f'"{request_line}' in line)
        except OSError:
            return 0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        _stop(self.proc)
        self.proc = None
        if self._out:
            self._out.close()
            self._out = None


def _stop(proc, grace=15):
    """SIGTERM to the process, SIGKILL after `grace` seconds; returns its exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


# ---- SimpleSAMLphp, the ENT's IdP ---------------------------------------------------------------


class SimpleSamlIdp:
    """SimpleSAMLphp 1.19 as the ENT's IdP, configured as its IdP QuickStart says: enable.saml20-idp,
    the exampleauth module, an exampleauth:UserPass authsource, a saml20-idp-hosted entry with its
    key and certificate, and the SP (garde) from its XML metadata (metadata.sources type xml).
    Everything else is SimpleSAMLphp's default: a transient NameID, RSA-SHA256 signatures on the
    Assertion, attributes with NameFormat basic. validate.authnrequest is on, so its metadata says
    WantAuthnRequestsSigned="true" and it refuses an AuthnRequest without a valid signature."""

    def __init__(self, root, port):
        self.root = root
        self.port = port
        self.base = f"http://{LOOPBACK}:{port}"
        self.metadata_url = f"{self.base}/simplesaml/saml2/idp/metadata.php"
        self.entity_id = self.metadata_url  # SimpleSAMLphp's default for __DYNAMIC:1__
        self.sso_prefix = f"{self.base}/simplesaml/saml2/idp/SSOService.php"
        self.config_dir = os.path.join(root, "config")
        self.metadata_dir = os.path.join(root, "metadata")
        self.cert_dir = os.path.join(root, "cert")
        self.log_dir = os.path.join(root, "log")
        self.state_dirs = [os.path.join(root, d) for d in ("log", "tmp", "data", "sessions")]
        self.sp_metadata_file = os.path.join(self.metadata_dir, "garde-sp.xml")
        self.metadata_file = os.path.join(root, "ent-idp-metadata.xml")
        for d in (self.config_dir, self.metadata_dir, self.cert_dir, os.path.join(root, "www"),
                  *self.state_dirs):
            os.makedirs(d, exist_ok=True)
        self.cred = Credential(self.cert_dir, "ent-idp")
        self._write_config()

    def _write_config(self):
        r = self.root
        write(os.path.join(self.config_dir, "config.php"), f"""<?php
// written by tests/e2e/stock_peers.py: SimpleSAMLphp 1.19 as the ENT's IdP
$config = [
    'baseurlpath' => '{self.base}/simplesaml/',
    'certdir' => '{self.cert_dir}/',
    'loggingdir' => '{self.log_dir}/',
    'datadir' => '{r}/data/',
    'tempdir' => '{r}/tmp',
    'metadatadir' => '{self.metadata_dir}/',
    'attributenamemapdir' => '/etc/simplesamlphp/attributemap/',
    'technicalcontact_name' => 'ENT de démonstration',
    'technicalcontact_email' => 'ent@ent.demo.test',
    'timezone' => 'Europe/Paris',
    'secretsalt' => '{os.urandom(16).hex()}',
    'auth.adminpassword' => '{os.urandom(16).hex()}',
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,
    'trusted.url.domains' => [],
    'showerrors' => true,
    'errorreporting' => false,
    'debug' => ['saml' => false, 'backtraces' => true, 'validatexml' => false],
    'logging.level' => SimpleSAML\\Logger::INFO,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'enable.saml20-idp' => true,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => '{r}/sessions',
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'language.cookie.secure' => false,
    'metadata.sources' => [
        ['type' => 'flatfile'],
        ['type' => 'xml', 'file' => '{self.sp_metadata_file}'],
    ],
];
""")
        users = []
        for uid, p in ENT_USERS.items():
            attrs = {"uid": uid, "givenName": p["givenName"], "sn": p["sn"],
                     "displayName": f"{p['givenName']} {p['sn']}", "ENTPersonProfils": p["profile"],
                     "ENTPersonStructRattach": UAI}
            if "mail" in p:
                attrs["mail"] = p["mail"]
            body = ", ".join(f"{_php(k)} => [{_php(v)}]" for k, v in attrs.items())
            users.append(f"        {_php(uid + ':' + PASSWORD)} => [{body}],")
        write(os.path.join(self.config_dir, "authsources.php"), """<?php
// written by tests/e2e/stock_peers.py: the ENT's accounts (uid = the directory's identifier)
$config = [
    'admin' => ['core:AdminPassword'],
    'ent-userpass' => [
        'exampleauth:UserPass',
%s
    ],
];
""" % "\n".join(users))
        write(os.path.join(self.metadata_dir, "saml20-idp-hosted.php"), """<?php
// written by tests/e2e/stock_peers.py: the ENT's IdP, SimpleSAMLphp's defaults otherwise
$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'ent-idp.key',
    'certificate' => 'ent-idp.crt',
    'auth' => 'ent-userpass',
    'validate.authnrequest' => true,
];
""")
        # An empty placeholder until garde's SP metadata is known (SimpleSAMLphp reads it per request).
        write(self.sp_metadata_file, '<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>\n')

    def vhost(self):
        return f"""
<VirtualHost {LOOPBACK}:{self.port}>
    ServerName {self.base}
    UseCanonicalName On
    DocumentRoot {self.root}/www
    <Directory {self.root}/www>
        Require all granted
    </Directory>
    SetEnv SIMPLESAMLPHP_CONFIG_DIR {self.config_dir}
    Alias /simplesaml {SSP_ROOT}/www
    <Directory {SSP_ROOT}/www>
        Require all granted
        <FilesMatch "\\.php$">
            SetHandler application/x-httpd-php
        </FilesMatch>
    </Directory>
</VirtualHost>
"""

    def fetch_metadata(self):
        r = requests.get(self.metadata_url, timeout=HTTP_TIMEOUT)
        expect(r.status_code == 200 and "IDPSSODescriptor" in r.text,
               f"SimpleSAMLphp's IdP metadata at {self.metadata_url}: HTTP {r.status_code}:\n"
               f"{tail(r.text, 15)}\n{self.log_tail()}")
        expect(f'entityID="{self.entity_id}"' in r.text,
               f"SimpleSAMLphp's IdP metadata names another entityID:\n{r.text[:400]}")
        return write(self.metadata_file, r.text)

    def set_sp_metadata(self, xml):
        write(self.sp_metadata_file, xml)

    def log(self):
        try:
            with open(os.path.join(self.log_dir, "simplesamlphp.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=15):
        return tail(self.log(), lines)


def is_ent_login(resp):
    return any("AuthState" in f.fields and "username" in f.fields for f in forms(resp.text or ""))


def ent_login(browser, resp, user, password=PASSWORD):
    """Fills SimpleSAMLphp's login form (username, password, AuthState) and posts it."""
    for f in forms(resp.text):
        if "AuthState" in f.fields and "username" in f.fields:
            fields = dict(f.fields, username=user, password=password)
            return browser.post(urllib.parse.urljoin(resp.url, f.action or resp.url), fields)
    raise CheckFailed(f"no SimpleSAMLphp login form at {resp.url} (HTTP {resp.status_code}):\n"
                      f"{tail(resp.text, 10)}")


# ---- Shibboleth SP, publisher A -----------------------------------------------------------------

# garde's attribute codes (store/demo_data.cpp's catalogue), as SAML Attribute Names, NameFormat
# basic: each mapped to a variable of the same name.
GARDE_ATTRIBUTES = ["IDO", "PRO", "UAI", "PRE", "NOM", "CIV", "DIV", "GRO", "P_MEL", "E_MEF",
                    "E_MAT", "P_MAT"]
BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
NAMEID_FORMATS = {
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
}


class ShibbolethSp:
    """Shibboleth SP 3.4 as publisher A: shibboleth2.xml after Debian's, with http on loopback
    (handlerSSL="false", cookieProps="http"), SSO to garde's IdP entityID, garde's IdP metadata
    from a local file with its signature checked against garde's certificate, attribute-map.xml
    mapping garde's attribute Names (basic) and the NameID formats to variables; the signing and
    encryption key in the SP metadata made by shib-metagen (so garde encrypts its assertions)."""

    def __init__(self, root, port):
        self.name = "shibboleth"
        self.root = root
        self.port = port
        self.base = f"http://{LOOPBACK}:{port}"
        self.entity_id = f"{self.base}/shibboleth"
        self.resource_url = f"{self.base}/resource"
        self.login_url = f"{self.base}/login"
        self.handler = f"{self.base}/Shibboleth.sso"
        self.acs_url = f"{self.handler}/SAML2/POST"
        self.config = os.path.join(root, "shibboleth2.xml")
        self.socket = os.path.join(root, "run", "shibd.sock")
        self.pid_file = os.path.join(root, "run", "shibd.pid")
        self.log_dir = os.path.join(root, "log")
        self.www = os.path.join(root, "www")
        self.idp_metadata_file = os.path.join(root, "garde-idp-metadata.xml")
        self.metadata_file = os.path.join(root, "shibboleth-sp-metadata.xml")
        for d in (self.log_dir, self.www, os.path.join(root, "run")):
            os.makedirs(d, exist_ok=True)
        self.cred = Credential(root, "shibboleth-sp")
        self.proc = None
        self._out = None
        whoami_page(os.path.join(self.www, "whoami.php"), self.name)

    def write_config(self, broker):
        """shibboleth2.xml and the files it names; the SP metadata (shib-metagen: SAML 2 only,
        http endpoints on this host and port, the key for signing and encryption)."""
        r = self.root
        for f in ("protocols.xml", "security-policy.xml"):
            shutil.copy(os.path.join(SHIB_DEFAULTS, f), os.path.join(r, f))
        maps = "\n".join(
            f'    <Attribute name="{a}" nameFormat="{BASIC}" id="{a}"/>' for a in GARDE_ATTRIBUTES)
        nameids = "\n".join(
            f'    <Attribute name="{uri}" id="nameid-{short}">\n'
            f'        <AttributeDecoder xsi:type="NameIDAttributeDecoder" formatter="$Name"/>\n'
            f'    </Attribute>' for short, uri in NAMEID_FORMATS.items())
        write(os.path.join(r, "attribute-map.xml"), f"""<Attributes xmlns="urn:mace:shibboleth:2.0:attribute-map"
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <!-- written by tests/e2e/stock_peers.py: garde's attribute codes, NameFormat basic -->
{maps}
{nameids}
</Attributes>
""")
        write(os.path.join(r, "attribute-policy.xml"), """<AttributeFilterPolicyGroup xmlns="urn:mace:shibboleth:2.0:afp"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <!-- written by tests/e2e/stock_peers.py: every mapped attribute passes -->
    <AttributeFilterPolicy>
        <PolicyRequirementRule xsi:type="ANY"/>
        <AttributeRule attributeID="*" permitAny="true"/>
    </AttributeFilterPolicy>
</AttributeFilterPolicyGroup>
""")
        logger = """log4j.rootCategory=INFO, main
log4j.category.Shibboleth-TRANSACTION=INFO, tran
log4j.additivity.Shibboleth-TRANSACTION=false
log4j.appender.main=org.apache.log4j.FileAppender
log4j.appender.main.fileName={log}
log4j.appender.main.layout=org.apache.log4j.PatternLayout
log4j.appender.main.layout.ConversionPattern=%d{{%Y-%m-%d %H:%M:%S}} %p %c %x: %m%n
log4j.appender.tran=org.apache.log4j.FileAppender
log4j.appender.tran.fileName={tran}
log4j.appender.tran.layout=org.apache.log4j.PatternLayout
log4j.appender.tran.layout.ConversionPattern=%d{{%Y-%m-%d %H:%M:%S}}|%c|%m%n
"""
        write(os.path.join(r, "shibd.logger"), logger.format(
            log=os.path.join(self.log_dir, "shibd.log"), tran=os.path.join(self.log_dir, "transaction.log")))
        write(os.path.join(r, "native.logger"), logger.format(
            log=os.path.join(self.log_dir, "native.log"), tran=os.path.join(self.log_dir, "native-transaction.log"))
              .replace("rootCategory=INFO", "rootCategory=WARN"))
        write(self.config, f"""<SPConfig xmlns="urn:mace:shibboleth:3.0:native:sp:config"
    xmlns:conf="urn:mace:shibboleth:3.0:native:sp:config"
    clockSkew="180">
    <!-- written by tests/e2e/stock_peers.py, after Debian's /etc/shibboleth/shibboleth2.xml -->
    <OutOfProcess logger="{r}/shibd.logger"
        tranLogFormat="%u|%s|%IDP|%i|%ac|%t|%attr|%n|%b|%E|%S|%SS|%L|%UA|%a"/>
    <InProcess logger="{r}/native.logger"/>
    <UnixListener address="{self.socket}"/>

    <ApplicationDefaults entityID="{self.entity_id}"
        REMOTE_USER="IDO persistent-id"
        cipherSuites="DEFAULT:!EXP:!LOW:!aNULL:!eNULL:!DES:!IDEA:!SEED:!RC4:!3DES:!kRSA:!SSLv2:!SSLv3:!TLSv1:!TLSv1.1">
        <Sessions lifetime="28800" timeout="3600" relayState="ss:mem"
                  checkAddress="false" handlerSSL="false" cookieProps="http"
                  redirectLimit="exact">
            <SSO entityID="{broker.idp_entity_id}">SAML2</SSO>
            <Logout>SAML2 Local</Logout>
            <Handler type="MetadataGenerator" Location="/Metadata" signing="false"/>
            <Handler type="Status" Location="/Status" acl="127.0.0.1 ::1"/>
            <Handler type="Session" Location="/Session" showAttributeValues="true"/>
        </Sessions>

        <Errors supportContact="root@localhost" helpLocation="/about.html"
            styleSheet="/shibboleth-sp/main.css"/>

        <MetadataProvider type="XML" validate="true" path="{self.idp_metadata_file}">
            <MetadataFilter type="Signature" certificate="{broker.cert.cert}" verifyBackup="false"/>
        </MetadataProvider>

        <AttributeExtractor type="XML" validate="true" reloadChanges="false" path="{r}/attribute-map.xml"/>
        <AttributeFilter type="XML" validate="true" path="{r}/attribute-policy.xml"/>
        <CredentialResolver type="File" key="{self.cred.key}" certificate="{self.cred.cert}"/>
    </ApplicationDefaults>

    <SecurityPolicyProvider type="XML" validate="true" path="{r}/security-policy.xml"/>
    <ProtocolProvider type="XML" validate="true" reloadChanges="false" path="{r}/protocols.xml"/>
</SPConfig>
""")
        rc, out = run([SHIB_METAGEN, "-2", "-c", self.cred.cert, "-n", f"{LOOPBACK}:{self.port}",
                       "-e", self.entity_id])
        expect(rc == 0 and "SPSSODescriptor" in out, f"shib-metagen failed (exit {rc}):\n{tail(out)}")
        write(self.metadata_file, out)

    def vhost(self):
        target = urllib.parse.quote(self.resource_url, safe="")
        return f"""
<VirtualHost {LOOPBACK}:{self.port}>
    ServerName {self.base}
    UseCanonicalName On
    DocumentRoot {self.www}
    <Directory {self.www}>
        Require all granted
    </Directory>
    <Location /Shibboleth.sso>
        SetHandler shib
    </Location>
    Alias /resource {self.www}/whoami.php
    <Location /resource>
        AuthType shibboleth
        ShibRequestSetting requireSession 1
        Require shib-session
        SetHandler application/x-httpd-php
    </Location>
    Redirect 302 /login {self.handler}/Login?target={target}
</VirtualHost>
"""

    def server_level(self):
        # mod_shib registers its own `Require valid-user`; Off (its default) makes it demand a
        # Shibboleth session everywhere, so mellon's `Require valid-user` would answer 401 on the
        # same Apache. On: satisfied by any authenticated user, as mod_authz_user's.
        return f"ShibConfig {self.config}\nShibCompatValidUser On\n"

    def check_config(self):
        rc, out = run([SHIBD, "-t", "-c", self.config], timeout=60)
        expect(rc == 0 and "overall configuration is loadable" in out,
               f"shibd -t refuses {self.config} (exit {rc}):\n{tail(out)}")

    def start(self, timeout=60):
        self.check_config()
        self._out = open(os.path.join(self.log_dir, "shibd.out"), "w")
        self.proc = subprocess.Popen([SHIBD, "-F", "-f", "-c", self.config, "-p", self.pid_file],
                                     stdout=self._out, stderr=subprocess.STDOUT, cwd=self.root,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed(f"shibd exited with {self.proc.returncode}:\n{self.log_tail()}")
            if os.path.exists(self.socket):
                try:
                    r = requests.get(f"{self.handler}/Status", timeout=5)
                    if r.status_code == 200 and "<OK" in r.text:
                        return
                    last = f"HTTP {r.status_code}: {r.text[:200]}"
                except requests.RequestException as e:
                    last = type(e).__name__
            time.sleep(0.2)
        raise CheckFailed(f"shibd not ready after {timeout}s ({last}):\n{self.log_tail()}")

    def log(self):
        try:
            with open(os.path.join(self.log_dir, "shibd.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=20):
        return tail(self.log(), lines)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        _stop(self.proc)
        self.proc = None
        if self._out:
            self._out.close()
            self._out = None

    def received(self, vars_):
        """(NameID {format: value}, {attribute: [values]}) from the page's variables. Shibboleth
        joins several values with ';' (a ';' inside a value escaped as '\\;')."""
        attributes = {}
        for a in GARDE_ATTRIBUTES:
            if a in vars_:
                attributes[a] = [v.replace("\\;", ";") for v in re.split(r"(?<!\\);", vars_[a])]
        nameids = {short: vars_[f"nameid-{short}"] for short in NAMEID_FORMATS if f"nameid-{short}" in vars_}
        return nameids, attributes


# ---- mod_auth_mellon, publisher B ---------------------------------------------------------------

# What mellon adds to the MELLON_ variables besides the attributes it received.
MELLON_OWN = {"NAME_ID", "ASSERTION_ID", "IDP", "SAML_RESPONSE", "SESSION"}


class MellonSp:
    """mod_auth_mellon 0.18 as publisher B, configured as its README says: MellonEndpointPath
    /mellon, the SP metadata, key and certificate made by mellon_create_metadata (its
    AuthnRequests are signed, its assertions encrypted), garde's IdP metadata as
    MellonIdPMetadataFile. MellonSamlResponseDump On puts the Response in MELLON_SAML_RESPONSE."""

    def __init__(self, root, port):
        self.name = "mellon"
        self.root = root
        self.port = port
        self.base = f"http://{LOOPBACK}:{port}"
        self.endpoint = f"{self.base}/mellon"
        self.entity_id = f"{self.endpoint}/metadata"
        self.acs_url = f"{self.endpoint}/postResponse"
        self.resource_url = f"{self.base}/resource"
        self.login_url = f"{self.base}/login"
        self.www = os.path.join(root, "www")
        self.idp_metadata_file = os.path.join(root, "garde-idp-metadata.xml")
        os.makedirs(self.www, exist_ok=True)
        os.makedirs(os.path.join(root, "post"), exist_ok=True)
        whoami_page(os.path.join(self.www, "whoami.php"), self.name)
        # mellon_create_metadata writes <entityID, non-alphanumerics as _>.{key,cert,xml} in its
        # current directory.
        stem = re.sub(r"_+", "_", re.sub(r"[^0-9A-Za-z.]", "_", self.entity_id))
        rc, out = run(["sh", "-c", f'cd "{root}" && "{MELLON_CREATE_METADATA}" "$0" "$1"',
                       self.entity_id, self.endpoint], timeout=60)
        expect(rc == 0, f"mellon_create_metadata failed (exit {rc}):\n{tail(out)}")
        self.key = os.path.join(root, stem + ".key")
        self.cert = os.path.join(root, stem + ".cert")
        self.metadata_file = os.path.join(root, stem + ".xml")
        for p in (self.key, self.cert, self.metadata_file):
            expect(os.path.exists(p), f"mellon_create_metadata did not write {p}:\n{tail(out)}")
        write(self.idp_metadata_file, "")

    def vhost(self):
        target = urllib.parse.quote(self.resource_url, safe="")
        return f"""
<VirtualHost {LOOPBACK}:{self.port}>
    ServerName {self.base}
    UseCanonicalName On
    DocumentRoot {self.www}
    <Directory {self.www}>
        Require all granted
    </Directory>
    <Location />
        MellonEnable info
        MellonEndpointPath /mellon
        MellonSPMetadataFile {self.metadata_file}
        MellonSPPrivateKeyFile {self.key}
        MellonSPCertFile {self.cert}
        MellonIdPMetadataFile {self.idp_metadata_file}
        MellonSecureCookie Off
        MellonSamlResponseDump On
        MellonSessionDump On
    </Location>
    Alias /resource {self.www}/whoami.php
    <Location /resource>
        AuthType Mellon
        MellonEnable auth
        Require valid-user
        SetHandler application/x-httpd-php
    </Location>
    Redirect 302 /login {self.endpoint}/login?ReturnTo={target}
</VirtualHost>
"""

    def server_level(self):
        return (f"MellonLockFile {self.root}/mellon.lock\n"
                f"MellonPostDirectory {self.root}/post\n")

    def received(self, vars_):
        """(NameID, {attribute: [values]}): MELLON_<name>_<n> for each value, MELLON_<name> the
        first; mellon's own variables (NAME_ID, IDP, ...) apart."""
        attributes = {}
        for k, v in vars_.items():
            m = re.fullmatch(r"MELLON_(.+)_(\d+)", k)
            if m and m.group(1) not in MELLON_OWN:
                attributes.setdefault(m.group(1), []).append((int(m.group(2)), v))
        for k in list(attributes):
            attributes[k] = [v for _, v in sorted(attributes[k])]
        singles = {k[len("MELLON_"):] for k in vars_ if k.startswith("MELLON_")
                   and not re.fullmatch(r"MELLON_.+_\d+", k)}
        counts = {f"{a}_N" for a in attributes}  # MellonEnvVarsSetCount: MELLON_<name>_N
        for name in singles - MELLON_OWN - set(attributes) - counts:
            attributes[name] = [vars_["MELLON_" + name]]
        return vars_.get("MELLON_NAME_ID"), attributes

    @staticmethod
    def response(vars_):
        """What mellon was posted (MellonSamlResponseDump): the Response's XML."""
        expect("MELLON_SAML_RESPONSE" in vars_, "mellon did not dump the Response (MellonSamlResponseDump)")
        return base64.b64decode(vars_["MELLON_SAML_RESPONSE"]).decode()

    @staticmethod
    def assertion(vars_):
        """The assertion as mellon decrypted and kept it (MellonSessionDump: lasso's session)."""
        expect("MELLON_SESSION" in vars_, "mellon did not dump its session (MellonSessionDump)")
        session = ET.fromstring(base64.b64decode(vars_["MELLON_SESSION"]))
        found = session.find(f".//{{{NS_SAML}}}Assertion")
        expect(found is not None, "mellon's session holds no Assertion")
        return found


# ---- The whole deployment -----------------------------------------------------------------------


class Peers:
    """SimpleSAMLphp (ENT), Shibboleth (publisher A), mellon (publisher B) and garde, started in
    the order of the module's docstring; close() stops them all."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.root = os.path.join(workdir, "stock")
        os.makedirs(self.root, exist_ok=True)
        self.apache = None
        self.broker = None
        self.ent = None
        self.shib = None
        self.mellon = None

    def start(self, seed_args=()):
        require_packages()
        r = self.root
        self.ent = SimpleSamlIdp(os.path.join(r, "ssp"), free_port())
        self.shib = ShibbolethSp(os.path.join(r, "shibboleth"), free_port())
        self.mellon = MellonSp(os.path.join(r, "mellon"), free_port())
        self.broker = Broker(self.workdir, free_port())
        self.shib.write_config(self.broker)
        owner = _www_data()
        if owner:  # the Apache children (www-data) go through the work directory, no more
            os.chmod(self.workdir, 0o711)
        make_readable(r, self.writable())
        self.apache = Apache(os.path.join(r, "apache"), [self.ent.port, self.shib.port, self.mellon.port],
                             [self.ent.vhost(), self.shib.vhost(), self.mellon.vhost()],
                             self.shib.server_level() + self.mellon.server_level())
        make_readable(r, self.writable())
        self.apache.start()
        self.ent.fetch_metadata()
        self.seed(seed_args)
        self.broker.start()
        self.connect()
        self.shib.start()
        return self

    def seed(self, seed_args=(), swap=False):
        """Shibboleth as publisher A and mellon as B, or the other way round with `swap`."""
        a, b = (self.mellon, self.shib) if swap else (self.shib, self.mellon)
        # SimpleSAMLphp's metadata says WantAuthnRequestsSigned: the registration's default
        # (metadata) signs because of it.
        self.broker.seed(self.ent, a, b, extra=list(seed_args), ent_sign_requests="metadata")

    def restart_broker(self, seed_args=(), swap=False):
        """Re-seeds the database (the same peers, other options or roles) and restarts garde; its
        entity IDs, key and metadata stay the same, so the peers keep theirs."""
        rc = self.broker.stop()
        expect(rc == 0, f"garde serve exited with {rc} on SIGTERM:\n{tail(self.broker.broker_log())}")
        if swap:
            # seed-demo updates publishers A and B in turn, and an SP entityID is unique: A cannot
            # take B's while B still has it. A new database (the same pseudonym secret, so the
            # same pseudonyms).
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.broker.database + suffix):
                    os.remove(self.broker.database + suffix)
        self.seed(seed_args, swap)
        self.broker.start()

    def connect(self):
        """garde's metadata, checked with its certificate, where the peers read it."""
        b = self.broker
        for url, role in ((b.sp_metadata_url, "SPSSODescriptor"), (b.idp_metadata_url, "IDPSSODescriptor")):
            resp = requests.get(url, timeout=HTTP_TIMEOUT)
            expect(resp.status_code == 200 and role in resp.text, f"GET {url}: HTTP {resp.status_code}")
            path = write(os.path.join(self.workdir, f"broker-{role[:3].lower()}-metadata.xml"), resp.text)
            rc, out = run([b.bin, "metadata", "verify", path, "--cert", b.cert.cert])
            expect(rc == 0, f"`garde metadata verify --cert` rejects {url}:\n{tail(out)}")
            if role == "SPSSODescriptor":
                self.ent.set_sp_metadata(resp.text)
            else:
                write(self.shib.idp_metadata_file, resp.text)
                write(self.mellon.idp_metadata_file, resp.text)
        make_readable(self.root, self.writable())

    def writable(self):
        """The directories the Apache children write: SimpleSAMLphp's sessions, logs and cache,
        Apache's run directory, mellon's POST store, mod_shib's in-process log."""
        return self.ent.state_dirs + [os.path.join(self.root, "apache", "run"),
                                      os.path.join(self.root, "mellon", "post"), self.shib.log_dir]

    def logs(self, lines=15):
        parts = []
        if self.broker:
            parts.append("---- garde (tail) ----\n" + tail(self.broker.broker_log(), lines))
        if self.apache:
            parts.append("---- apache error.log (tail) ----\n" + self.apache.log_tail(lines))
        if self.ent:
            parts.append("---- simplesamlphp.log (tail) ----\n" + self.ent.log_tail(lines))
        if self.shib:
            parts.append("---- shibd.log (tail) ----\n" + self.shib.log_tail(lines))
        return "\n".join(parts)

    def close(self):
        for part in (self.shib, self.apache, self.broker):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    pass


# ---- The browser's walk through a launch --------------------------------------------------------


class Walk:
    """One browser's way through a launch: the response at each step, whether SimpleSAMLphp asked
    for a login, the publisher's final page and the variables on it."""

    def __init__(self, browser):
        self.browser = browser
        self.start = len(browser.trail)  # the browser's trail before this walk
        self.logged_in = False
        self.final = None
        self.saw_forms = []

    def trail(self):
        """[(method, url, status)] of this walk only."""
        return self.browser.trail[self.start:]

    def visited(self, prefix):
        return [url for _, url, _ in self.trail() if url.startswith(prefix)]

    def short_trail(self, n=10):
        return [f"{m} {u[:90]} {s}" for m, u, s in self.trail()[-n:]]

    def run(self, url, user=None, max_steps=8):
        """GET url, then: SimpleSAMLphp's login form -> filled for `user`; a SAML auto-POST form
        -> posted; anything else ends the walk (the publisher's page, a garde page, an error)."""
        resp = self.browser.get(url)
        for _ in range(max_steps):
            if is_ent_login(resp):
                expect(user is not None, f"SimpleSAMLphp asked for a login at {resp.url}, none expected")
                expect(not self.logged_in, "SimpleSAMLphp asked for a second login in the same walk")
                self.logged_in = True
                resp = ent_login(self.browser, resp, user)
                continue
            form = saml_form(resp)
            if form is None:
                self.final = resp
                return resp
            self.saw_forms.append(form)
            resp = self.browser.post(form.action, form.fields)
        raise CheckFailed(f"more than {max_steps} steps; trail: {self.short_trail()}")


def page_text(resp):
    """The visible text of an HTML page, for messages."""
    text = re.sub(r"(?s)<(script|style).*?</\1>", " ", resp.text or "")
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))).strip()
