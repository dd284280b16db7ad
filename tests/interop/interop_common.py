"""Shared helpers for the interop tests (peers: lasso, pysaml2, the xmlsec1 command line).

Each test script builds its peers at run time in a temporary directory (keys from the openssl CLI,
metadata, messages), runs checks with `Suite.check`, and exits 0 only if every check passed. A peer
library that cannot be imported is a failure, not a skip: scripts/bootstrap installs them. What the
e2e tests share with these (checks, commands, keys, encodings) is tests/support/python/garde_harness.py.

Run a script directly with /usr/bin/python3 (Debian's python3-lasso and python3-pysaml2 live
there), with GARDE_BIN and GARDE_INTEROP_VECTORS set, or through `ctest -R interop`.
"""

import datetime
import os
import re
import urllib.parse

from garde_harness import NS_MD, NS_SAMLP, expect, require_executable, run, show, tail
from garde_harness import Suite as _Suite
from garde_harness import b64, garde_bin

SP_ENTITY_ID = "https://garde.test/sp"
SP_ACS = "https://garde.test/saml/sp/acs"
IDP_ENTITY_ID = "https://garde.test/idp"
IDP_SSO = "https://garde.test/saml/idp/sso"

BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

# Attributes every peer releases: (OID name, friendly name, value). The tamper checks change "jdoe".
ATTR_UID = "urn:oid:0.9.2342.19200300.100.1.1"
ATTR_MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
UID_VALUE = "jdoe"
MAIL_VALUE = "jdoe@example.org"


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def vectors_bin():
    return require_executable("GARDE_INTEROP_VECTORS", "tests/interop/garde_interop_vectors")


def key_descriptor(cred, use):
    return (f'<md:KeyDescriptor use="{use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
            f"{cred.cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>")


def sp_metadata(entity_id, acs, cred, enc_cred=None, authn_requests_signed=True, valid_until=None):
    """Hand-written SPSSODescriptor metadata: what a peer IdP is told about an SP."""
    vu = f' validUntil="{iso(valid_until)}"' if valid_until else ""
    enc = key_descriptor(enc_cred, "encryption") if enc_cred else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="{NS_MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'ID="_sp_metadata" entityID="{entity_id}"{vu}>'
        f'<md:SPSSODescriptor protocolSupportEnumeration="{NS_SAMLP}" '
        f'AuthnRequestsSigned="{"true" if authn_requests_signed else "false"}" WantAssertionsSigned="true">'
        f'{key_descriptor(cred, "signing")}{enc}'
        f'<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>'
        f'<md:AssertionConsumerService index="0" isDefault="true" Binding="{BINDING_POST}" '
        f'Location="{acs}"/></md:SPSSODescriptor></md:EntityDescriptor>\n')


def idp_metadata(entity_id, sso, cred, valid_until=None, md_id="_idp_metadata"):
    """Hand-written IDPSSODescriptor metadata, with an ID so that it can be signed."""
    vu = f' validUntil="{iso(valid_until)}"' if valid_until else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="{NS_MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'ID="{md_id}" entityID="{entity_id}"{vu}>'
        f'<md:IDPSSODescriptor protocolSupportEnumeration="{NS_SAMLP}" WantAuthnRequestsSigned="false">'
        f'{key_descriptor(cred, "signing")}'
        f'<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>'
        f'<md:SingleSignOnService Binding="{BINDING_REDIRECT}" Location="{sso}"/>'
        f'</md:IDPSSODescriptor></md:EntityDescriptor>\n')


def xmlsec1_sign_metadata(workdir, xml, cred, md_id):
    """Signs an EntityDescriptor with the xmlsec1 command line: a SAML-profile enveloped signature
    template (exc-c14n, RSA-SHA256, SHA-256) is inserted as the first child, then filled by xmlsec1."""
    template = (
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        f'<ds:Reference URI="#{md_id}"><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        '<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/>'
        '<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>')
    # Signature goes first in an EntityDescriptor (SAML2 Metadata 2.3.2 schema order).
    xml = re.sub(r"(<md:EntityDescriptor[^>]*>)", lambda m: m.group(1) + template, xml, count=1)
    src = os.path.join(workdir, f"{md_id}.template.xml")
    with open(src, "w") as f:
        f.write(xml)
    rc, out = run(["xmlsec1", "--sign", "--privkey-pem", f"{cred.key},{cred.cert}",
                   "--id-attr:ID", f"{NS_MD}:EntityDescriptor", src])
    expect(rc == 0, f"xmlsec1 --sign failed on the metadata template:\n{tail(out)}")
    return out[out.index("<?xml"):] if "<?xml" in out else out


def xmlsec1_verify(workdir, xml, cert_file, id_attr, node_xpath=None, name="message"):
    """xmlsec1 --verify with the key from `cert_file` only; returns (ok, output)."""
    path = os.path.join(workdir, f"xmlsec1-{name}.xml")
    with open(path, "w") as f:
        f.write(xml)
    cmd = ["xmlsec1", "--verify", "--pubkey-cert-pem", cert_file]
    for attr in id_attr if isinstance(id_attr, (list, tuple)) else [id_attr]:
        cmd += ["--id-attr:ID", attr]
    if node_xpath:
        cmd += ["--node-xpath", node_xpath]
    rc, out = run(cmd + [path])
    return rc == 0, out


def count_signatures(xml):
    """Number of ds:Signature elements, whatever their prefix."""
    return len(re.findall(r"<(?:[A-Za-z0-9_.-]+:)?Signature[\s>]", xml))


def tamper_value(xml, old=UID_VALUE, new="jroe"):
    """Changes one attribute value (`>jdoe<` -> `>jroe<`), leaving the signatures as they were."""
    needle = f">{old}<"
    expect(xml.count(needle) == 1, f"expected exactly one '{needle}' in the message to tamper with")
    return xml.replace(needle, f">{new}<")


class Garde:
    """The garde binary's operator commands (their contract is fixed in docs/operations)."""

    def __init__(self, workdir):
        self.bin = garde_bin()
        self.workdir = workdir

    def inspect(self, message, metadata_xml=None, audience=SP_ENTITY_ID, acs=SP_ACS,
                destination=SP_ACS, request_id=None, unsolicited=False, now=None,
                decrypt_key=None, extra=()):
        cmd = [self.bin, "saml", "inspect"]
        if metadata_xml is not None:
            md = os.path.join(self.workdir, "inspect-metadata.xml")
            with open(md, "w") as f:
                f.write(metadata_xml)
            cmd += ["--metadata", md]
            if audience:
                cmd += ["--audience", audience]
            if acs:
                cmd += ["--acs", acs]
            if destination:
                cmd += ["--destination", destination]
            if request_id:
                cmd += ["--request-id", request_id]
            elif unsolicited:
                cmd += ["--unsolicited"]
            if now:
                cmd += ["--now", iso(now)]
            if decrypt_key:
                cmd += ["--decrypt-key", decrypt_key]
        cmd += list(extra) + ["-"]
        rc, out = run(cmd, stdin=message)
        return rc, out, cmd

    def metadata_verify(self, metadata_xml, cert_file=None, name="metadata"):
        path = os.path.join(self.workdir, f"verify-{name}.xml")
        with open(path, "w") as f:
            f.write(metadata_xml)
        cmd = [self.bin, "metadata", "verify", path]
        if cert_file:
            cmd += ["--cert", cert_file]
        rc, out = run(cmd)
        return rc, out, cmd

    def accepts(self, what, *args, **kwargs):
        rc, out, cmd = self.inspect(*args, **kwargs)
        expect(rc == 0, f"garde rejected {what} (exit {rc}); `{show(cmd)}` said:\n{tail(out)}")
        return out

    def rejects(self, what, *args, **kwargs):
        rc, out, cmd = self.inspect(*args, **kwargs)
        expect(rc != 0, f"garde accepted {what}, which it must reject; `{show(cmd)}` said:\n{tail(out)}")
        expect(rc < 128 and "Segmentation" not in out and "AddressSanitizer" not in out,
               f"garde crashed on {what} (exit {rc}):\n{tail(out)}")
        return out


class Suite(_Suite):
    """garde_harness.Suite with the work directory `garde-interop-*`, kept with GARDE_INTEROP_KEEP=1."""

    def __init__(self, title):
        super().__init__(title, prefix="garde-interop-", keep_env="GARDE_INTEROP_KEEP")


def post_body(field, xml, relay_state=None):
    """An HTTP-POST binding form body: field=base64(xml)[&RelayState=...], URL-encoded."""
    form = {field: b64(xml)}
    if relay_state:
        form["RelayState"] = relay_state
    return urllib.parse.urlencode(form)


class Vectors:
    """tests/interop/garde_interop_vectors: garde-signed messages and metadata (see vectors.cpp)."""

    def __init__(self, workdir):
        self.bin = vectors_bin()
        self.workdir = workdir

    def _run(self, what, args):
        cmd = [self.bin] + args
        rc, out = run(cmd)
        expect(rc == 0, f"garde_interop_vectors could not build {what} (exit {rc}); `{show(cmd)}`:\n{tail(out)}")
        return out

    def response(self, cred, issuer, audience, acs, request_id, now, attrs=(), sign_assertion=True,
                 sign_response=True, encrypt_for=None, name_id=None):
        args = ["response", "--key", cred.key, "--cert", cred.cert, "--issuer", issuer,
                "--audience", audience, "--acs", acs, "--request-id", request_id, "--now", iso(now)]
        for name, value in attrs:
            args += ["--attr", f"{name}={value}"]
        if sign_assertion:
            args.append("--sign-assertion")
        if sign_response:
            args.append("--sign-response")
        if encrypt_for:
            args += ["--encrypt-for", encrypt_for]
        if name_id:
            args += ["--name-id", name_id]
        return self._run("a Response", args)

    def authn_request(self, cred, issuer, destination, acs, request_id, now, relay_state=None,
                      signed=True):
        args = ["authn-request", "--key", cred.key, "--cert", cred.cert, "--issuer", issuer,
                "--destination", destination, "--acs", acs, "--id", request_id, "--now", iso(now)]
        if relay_state:
            args += ["--relay-state", relay_state]
        if not signed:
            args.append("--unsigned")
        return self._run("an AuthnRequest", args).strip()

    def metadata(self, role, cred, entity_id, location, now, valid_until=None, md_id=None,
                 signed=True, enc_cred=None):
        args = ["metadata", "--role", role, "--key", cred.key, "--cert", cred.cert,
                "--entity-id", entity_id, "--location", location, "--now", iso(now)]
        if valid_until:
            args += ["--valid-until", iso(valid_until)]
        if md_id:
            args += ["--id", md_id]
        if enc_cred:
            args += ["--encryption-cert", enc_cred.cert]
        if not signed:
            args.append("--unsigned")
        return self._run(f"{role} metadata", args)


def split_redirect(url):
    """A Redirect URL -> (endpoint, raw query, {name: decoded value})."""
    endpoint, _, query = url.partition("?")
    params = {}
    for piece in query.split("&"):
        name, _, value = piece.partition("=")
        params[name] = urllib.parse.unquote_plus(value)
    return endpoint, query, params


def signed_redirect_bytes(query):
    """The bytes a Redirect signature covers (SAML2 Bindings 3.4.4.1): the SAMLRequest|SAMLResponse,
    RelayState and SigAlg parameters exactly as they appear in the query, in that order."""
    pieces = {p.partition("=")[0]: p for p in query.split("&")}
    order = ["SAMLRequest", "SAMLResponse", "RelayState", "SigAlg"]
    return "&".join(pieces[k] for k in order if k in pieces).encode()
