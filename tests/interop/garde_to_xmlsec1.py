"""Interop, garde -> xmlsec1: what garde signs (Response, Assertion, metadata; Redirect query) must
verify with the xmlsec1 command line (aleksey's reference XML-DSig tool) given only the signer's
certificate, and with python3-cryptography / the openssl CLI for the Redirect binding's raw
signature over the query bytes. Tampered copies and other keys must fail.
"""

import base64
import datetime
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import (  # noqa: E402
    NS_MD, NS_SAML, NS_SAMLP, Credential, expect, import_peer, inflate_b64, tail)
from interop_common import (  # noqa: E402
    ATTR_MAIL, ATTR_UID, IDP_ENTITY_ID, IDP_SSO, MAIL_VALUE, SP_ACS, SP_ENTITY_ID, UID_VALUE,
    Suite, Vectors, count_signatures, now_utc, signed_redirect_bytes, split_redirect, tamper_value,
    xmlsec1_verify)

PEER_SP = "https://sp.interop.test/sp"
PEER_ACS = "https://sp.interop.test/acs"
PEER_SSO = "https://idp.interop.test/sso"
REQUEST_ID = "_xmlsec1interop0request0000000000000001"

suite = Suite("interop garde -> xmlsec1")
import_peer("cryptography")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

W = suite.workdir
vectors = suite.setup("vector tool present (GARDE_INTEROP_VECTORS)", Vectors, W)
idp = Credential(W, "garde-idp")
sp = Credential(W, "garde-sp")
other = Credential(W, "someone-else")
NOW = now_utc()
ATTRS = [(ATTR_UID, UID_VALUE), (ATTR_MAIL, MAIL_VALUE)]
RESPONSE_ID_ATTR = f"{NS_SAMLP}:Response"
ASSERTION_ID_ATTR = f"{NS_SAML}:Assertion"
ASSERTION_SIG = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"

# ---- Response --------------------------------------------------------------------------------------
both = suite.setup("garde signs a Response (Assertion, then Response)", vectors.response,
                   idp, IDP_ENTITY_ID, PEER_SP, PEER_ACS, REQUEST_ID, NOW, ATTRS)


def algorithms():
    expect(count_signatures(both) == 2, f"expected 2 signatures, got {count_signatures(both)}")
    expect("xmldsig-more#rsa-sha256" in both and "xmlenc#sha256" in both and "xml-exc-c14n" in both,
           "garde did not sign with RSA-SHA256 / SHA-256 / exclusive C14N")


def verifies(xml, cert, id_attr, what, node_xpath=None):
    ok, out = xmlsec1_verify(W, xml, cert, id_attr, node_xpath=node_xpath, name=what.replace(" ", "-"))
    expect(ok, f"xmlsec1 --verify failed on {what}:\n{tail(out)}")


def fails(xml, cert, id_attr, what, node_xpath=None):
    ok, out = xmlsec1_verify(W, xml, cert, id_attr, node_xpath=node_xpath, name=what.replace(" ", "-"))
    expect(not ok, f"xmlsec1 --verify accepted {what}:\n{tail(out)}")


suite.check("garde's signatures use RSA-SHA256, SHA-256 digests, exclusive C14N", algorithms)
suite.check("xmlsec1 verifies garde's Response signature",
            verifies, both, idp.cert, RESPONSE_ID_ATTR, "the Response")
suite.check("xmlsec1 verifies garde's Assertion signature (inside the Response)",
            verifies, both, idp.cert, [RESPONSE_ID_ATTR, ASSERTION_ID_ATTR], "the Assertion",
            ASSERTION_SIG)
suite.check("xmlsec1 rejects garde's Response with another certificate",
            fails, both, other.cert, RESPONSE_ID_ATTR, "a Response checked with another key")
suite.check("xmlsec1 rejects garde's Response with one attribute value changed",
            fails, tamper_value(both), idp.cert, RESPONSE_ID_ATTR, "a tampered Response")
suite.check("xmlsec1 rejects garde's Assertion with one attribute value changed",
            fails, tamper_value(both), idp.cert, [RESPONSE_ID_ATTR, ASSERTION_ID_ATTR],
            "a tampered Assertion", ASSERTION_SIG)

assertion_only = suite.setup("garde signs a Response (Assertion only)", vectors.response, idp,
                             IDP_ENTITY_ID, PEER_SP, PEER_ACS, REQUEST_ID, NOW, ATTRS,
                             sign_assertion=True, sign_response=False)
suite.check("xmlsec1 verifies garde's Assertion-only signature",
            verifies, assertion_only, idp.cert, [RESPONSE_ID_ATTR, ASSERTION_ID_ATTR],
            "the Assertion-only-signed Response", ASSERTION_SIG)

encrypted = suite.setup("garde encrypts a signed Assertion for the SP's certificate", vectors.response,
                        idp, IDP_ENTITY_ID, PEER_SP, PEER_ACS, REQUEST_ID, NOW, ATTRS,
                        encrypt_for=sp.cert)


def decrypts():
    from garde_harness import run
    path = os.path.join(W, "encrypted.xml")
    with open(path, "w") as f:
        f.write(encrypted)
    expect("EncryptedAssertion" in encrypted and f">{UID_VALUE}<" not in encrypted,
           "the Assertion is not encrypted")
    decrypted = os.path.join(W, "decrypted.xml")
    rc, out = run(["xmlsec1", "--decrypt", "--privkey-pem", sp.key, "--output", decrypted, path])
    expect(rc == 0, f"xmlsec1 --decrypt failed on garde's EncryptedAssertion:\n{tail(out)}")
    with open(decrypted) as f:
        plain = f.read()
    expect(f">{UID_VALUE}<" in plain and "Assertion" in plain,
           f"xmlsec1 decrypted something without the assertion's attributes:\n{tail(plain)}")
    ok, vout = xmlsec1_verify(W, plain, idp.cert, [RESPONSE_ID_ATTR, ASSERTION_ID_ATTR],
                              node_xpath="//*[local-name()='Assertion']/*[local-name()='Signature']",
                              name="decrypted")
    expect(ok, f"xmlsec1 does not verify the decrypted Assertion's signature:\n{tail(vout)}")
    rc, out = run(["xmlsec1", "--decrypt", "--privkey-pem", other.key, "--output",
                   os.path.join(W, "decrypted-other.xml"), path])
    expect(rc != 0, "xmlsec1 decrypted garde's EncryptedAssertion with another key")


suite.check("xmlsec1 --decrypt opens garde's EncryptedAssertion; its signature then verifies", decrypts)

# ---- Redirect AuthnRequest --------------------------------------------------------------------------
url = suite.setup("garde signs an AuthnRequest for the Redirect binding", vectors.authn_request,
                  sp, SP_ENTITY_ID, PEER_SSO, SP_ACS, REQUEST_ID, NOW, relay_state="state/42 ok")


def redirect_structure():
    endpoint, query, params = split_redirect(url)
    expect(endpoint == PEER_SSO, f"the Redirect goes to {endpoint}, not {PEER_SSO}")
    expect(list(params)[:4] == ["SAMLRequest", "RelayState", "SigAlg", "Signature"],
           f"unexpected query parameters/order: {list(params)}")
    expect(params["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
           f"unexpected SigAlg {params['SigAlg']}")
    expect(params["RelayState"] == "state/42 ok", f"RelayState came back as {params['RelayState']!r}")
    xml = inflate_b64(params["SAMLRequest"])
    expect(f'ID="{REQUEST_ID}"' in xml and "AuthnRequest" in xml and SP_ENTITY_ID in xml,
           f"the inflated SAMLRequest is not the AuthnRequest asked for:\n{xml}")
    expect(count_signatures(xml) == 0, "a Redirect message must not carry an enveloped signature")


def raw_signature_ok(query, cert):
    _, _, params = split_redirect("x?" + query)
    key = x509.load_pem_x509_certificate(open(cert, "rb").read()).public_key()
    try:
        key.verify(base64.b64decode(params["Signature"]), signed_redirect_bytes(query),
                   padding.PKCS1v15(), hashes.SHA256())
        return True
    except Exception:
        return False


def redirect_signature():
    query = url.partition("?")[2]
    expect(raw_signature_ok(query, sp.cert),
           "python3-cryptography does not verify garde's Redirect signature over the query bytes")
    expect(not raw_signature_ok(query, other.cert), "the Redirect signature verifies with another key")
    tampered = query.replace("RelayState=", "RelayState=x", 1)
    expect(not raw_signature_ok(tampered, sp.cert), "the Redirect signature survives a changed RelayState")


def redirect_signature_openssl():
    query = url.partition("?")[2]
    _, _, params = split_redirect(url)
    data, sig, pub = (os.path.join(W, n) for n in ("redirect.data", "redirect.sig", "sp.pub"))
    with open(data, "wb") as f:
        f.write(signed_redirect_bytes(query))
    with open(sig, "wb") as f:
        f.write(base64.b64decode(params["Signature"]))
    from garde_harness import run
    rc, out = run(["openssl", "x509", "-in", sp.cert, "-pubkey", "-noout", "-out", pub])
    expect(rc == 0, out)
    rc, out = run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, data])
    expect(rc == 0 and "Verified OK" in out, f"openssl dgst does not verify the Redirect signature:\n{out}")


suite.check("garde's Redirect URL has the binding's parameters and an inflatable AuthnRequest",
            redirect_structure)
suite.check("python3-cryptography verifies garde's Redirect signature (and not a tampered one)",
            redirect_signature)
suite.check("openssl dgst verifies garde's Redirect signature", redirect_signature_openssl)

# ---- Metadata ------------------------------------------------------------------------------------------
for role, cred, entity, location in (("idp", idp, IDP_ENTITY_ID, IDP_SSO), ("sp", sp, SP_ENTITY_ID, SP_ACS)):
    md = None

    def build(role=role, cred=cred, entity=entity, location=location):
        global md
        md = vectors.metadata(role, cred, entity, location, NOW,
                              valid_until=NOW + datetime.timedelta(days=7), md_id=f"_garde_{role}_md")

    if suite.check(f"garde signs its {role.upper()} metadata", build):
        suite.check(f"xmlsec1 verifies garde's signed {role.upper()} metadata",
                    verifies, md, cred.cert, f"{NS_MD}:EntityDescriptor", f"{role} metadata")
        suite.check(f"xmlsec1 rejects garde's {role.upper()} metadata with another certificate",
                    fails, md, other.cert, f"{NS_MD}:EntityDescriptor", f"{role} metadata, other key")
        suite.check(f"xmlsec1 rejects garde's {role.upper()} metadata when tampered",
                    fails, md.replace(location, "https://evil.interop.test/x"), cred.cert,
                    f"{NS_MD}:EntityDescriptor", f"tampered {role} metadata")

suite.finish()
