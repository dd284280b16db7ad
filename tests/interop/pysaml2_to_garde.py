"""Interop, pysaml2 -> garde: a pysaml2 IdP (saml2.server.Server, Debian python3-pysaml2, xmlsec1
backend, RSA-SHA256 / SHA-256) signs and encrypts Responses for garde's SP and signs its own
metadata; `garde saml inspect` and `garde metadata verify` must accept them, and reject them when
tampered with, addressed elsewhere, or encrypted with 3DES (pysaml2's default content cipher).
"""

import datetime
import functools
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import (  # noqa: E402
    NS_MD, NS_SAMLP, PPT, Credential, b64, expect, import_peer, tail)
from interop_common import (  # noqa: E402
    ATTR_UID, MAIL_VALUE, SP_ACS, SP_ENTITY_ID, UID_VALUE, URI_FORMAT, Garde, Suite,
    count_signatures, idp_metadata, now_utc, post_body, sp_metadata, tamper_value, xmlsec1_verify)

PYSAML2_IDP = "https://pysaml2-idp.interop.test/idp"
PYSAML2_SSO = "https://pysaml2-idp.interop.test/sso"
REQUEST_ID = "_pysaml2interop0request00000000000001"

suite = Suite("interop pysaml2 -> garde")
saml2 = import_peer("saml2")
import logging  # noqa: E402

# pysaml2 logs every refused signature (with xmlsec1's output) at ERROR; our checks report instead.
logging.getLogger("saml2").setLevel(logging.CRITICAL)
from saml2 import BINDING_HTTP_REDIRECT, config, server  # noqa: E402
from saml2 import entity as saml2_entity  # noqa: E402
from saml2 import metadata as saml2_metadata  # noqa: E402
from saml2 import sigver, xmldsig  # noqa: E402
from saml2.saml import NAMEID_FORMAT_TRANSIENT  # noqa: E402

W = suite.workdir
garde = suite.setup("garde binary present (GARDE_BIN)", Garde, W)
idp = Credential(W, "pysaml2-idp")
sp = Credential(W, "garde-sp")
other = Credential(W, "someone-else")
NOW = now_utc()

SP_MD_FILE = os.path.join(W, "garde-sp-metadata.xml")
with open(SP_MD_FILE, "w") as f:
    f.write(sp_metadata(SP_ENTITY_ID, SP_ACS, sp, enc_cred=sp))


def idp_config():
    conf = {
        "entityid": PYSAML2_IDP,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": idp.key,
        "cert_file": idp.cert,
        "metadata": {"local": [SP_MD_FILE]},
        "valid_for": 24 * 7,  # hours: validUntil of the generated metadata
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(PYSAML2_SSO, BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_TRANSIENT],
            # pysaml2 7 reads these per role ("_idp_signing_algorithm"); the top-level keys are ignored.
            "signing_algorithm": xmldsig.SIG_RSA_SHA256,
            "digest_algorithm": xmldsig.DIGEST_SHA256,
            "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                   "name_form": URI_FORMAT}},
        }},
    }
    c = config.IdPConfig()
    c.load(conf)
    return c


IDP_CONFIG = idp_config()


def make_server():
    return server.Server(config=IDP_CONFIG)


def pysaml2_response(sign_response, sign_assertion, encrypt=None, request_id=REQUEST_ID):
    """create_authn_response for garde's SP. encrypt: None, "aes256" (AES-256-CBC content key via
    pysaml2's own pre_encryption_part template) or "default" (pysaml2's default, 3DES-CBC)."""
    srv = make_server()
    kwargs = {}
    if encrypt:
        kwargs = dict(encrypt_assertion=True, encrypt_cert_assertion=None,
                      encrypt_assertion_self_contained=True)
    original = saml2_entity.pre_encryption_part
    if encrypt == "aes256":
        # pysaml2 7.0.1 hard-codes the 3DES-CBC template and session key in Entity._encrypt_assertion;
        # select AES-256-CBC (with RSA-OAEP, its default key transport) through its own parameters.
        saml2_entity.pre_encryption_part = functools.partial(
            sigver.pre_encryption_part, msg_enc="http://www.w3.org/2001/04/xmlenc#aes256-cbc")
        srv.sec.encrypt_assertion = functools.partial(srv.sec.encrypt_assertion, key_type="aes-256")
    try:
        resp = srv.create_authn_response(
            {"uid": [UID_VALUE], "mail": [MAIL_VALUE]}, request_id, SP_ACS, SP_ENTITY_ID,
            userid=UID_VALUE, authn={"class_ref": PPT}, sign_response=sign_response,
            sign_assertion=sign_assertion, sign_alg=xmldsig.SIG_RSA_SHA256,
            digest_alg=xmldsig.DIGEST_SHA256, **kwargs)
    finally:
        saml2_entity.pre_encryption_part = original
    return str(resp)


def signed_metadata():
    """pysaml2's own metadata for the IdP, signed by sign_entity_descriptor (RSA-SHA256, SHA-256)."""
    ed = saml2_metadata.entity_descriptor(IDP_CONFIG)
    secc = sigver.security_context(IDP_CONFIG)
    _, xml = saml2_metadata.sign_entity_descriptor(ed, "_pysaml2_idp_metadata", secc,
                                                   xmldsig.SIG_RSA_SHA256, xmldsig.DIGEST_SHA256)
    return xml if isinstance(xml, str) else xml.decode()


# ---- Messages ---------------------------------------------------------------------------------------
both = suite.setup("pysaml2 IdP builds a Response (Response and Assertion signed)",
                   pysaml2_response, True, True)
assertion_only = suite.setup("pysaml2 IdP builds a Response (only the Assertion signed)",
                             pysaml2_response, False, True)
response_only = suite.setup("pysaml2 IdP builds a Response (only the Response signed)",
                            pysaml2_response, True, False)
encrypted = suite.setup("pysaml2 IdP builds a Response with an EncryptedAssertion (AES-256-CBC)",
                        pysaml2_response, True, True, "aes256")
encrypted_3des = suite.setup("pysaml2 IdP builds a Response with its default 3DES EncryptedAssertion",
                             pysaml2_response, True, True, "default")
md = suite.setup("pysaml2 IdP signs its metadata (sign_entity_descriptor)", signed_metadata)


def sanity():
    for xml, n in ((both, 2), (assertion_only, 1), (response_only, 1)):
        expect("xmldsig-more#rsa-sha256" in xml and "xmldsig#rsa-sha1" not in xml,
               "pysaml2 did not sign with RSA-SHA256")
        expect(count_signatures(xml) == n, f"expected {n} signature(s) from pysaml2, got {count_signatures(xml)}")
    expect("aes256-cbc" in encrypted and "EncryptedAssertion" in encrypted,
           "pysaml2 did not encrypt with AES-256-CBC")
    expect("tripledes-cbc" in encrypted_3des, "pysaml2's default encryption is no longer 3DES-CBC")
    ok, out = xmlsec1_verify(W, both, idp.cert, f"{NS_SAMLP}:Response", name="both")
    expect(ok, f"xmlsec1 does not verify pysaml2's Response signature:\n{tail(out)}")
    ok, out = xmlsec1_verify(W, md, idp.cert, f"{NS_MD}:EntityDescriptor", name="md")
    expect(ok, f"xmlsec1 does not verify pysaml2's metadata signature:\n{tail(out)}")
    expect("validUntil" in md, "pysaml2's metadata has no validUntil")


suite.check("pysaml2 output uses the expected algorithms and verifies with xmlsec1", sanity)

expectation = dict(metadata_xml=md, request_id=REQUEST_ID, now=NOW)
suite.check("garde accepts pysaml2's Response+Assertion-signed Response (raw XML)",
            lambda: garde.accepts("pysaml2's signed Response", both, **expectation))
suite.check("garde accepts pysaml2's Response as a POST body",
            lambda: garde.accepts("pysaml2's signed Response (POST)", post_body("SAMLResponse", both,
                                                                               "relay-123"), **expectation))
suite.check("garde accepts pysaml2's Assertion-only-signed Response",
            lambda: garde.accepts("pysaml2's Assertion-signed Response", b64(assertion_only), **expectation))
suite.check("garde accepts pysaml2's Response-only-signed Response",
            lambda: garde.accepts("pysaml2's Response-signed Response", b64(response_only), **expectation))


def accepts_encrypted():
    out = garde.accepts("pysaml2's encrypted assertion", b64(encrypted), decrypt_key=sp.key, **expectation)
    expect(UID_VALUE in out or ATTR_UID in out,
           f"garde accepted the encrypted assertion but printed none of its attributes:\n{tail(out)}")


suite.check("garde decrypts and accepts pysaml2's AES-256-CBC EncryptedAssertion (--decrypt-key)",
            accepts_encrypted)
suite.check("garde rejects pysaml2's default 3DES-CBC EncryptedAssertion (algorithm not allowed)",
            lambda: garde.rejects("a 3DES-encrypted assertion", b64(encrypted_3des),
                                  decrypt_key=sp.key, **expectation))

# ---- Negative checks ---------------------------------------------------------------------------------
suite.check("garde rejects pysaml2's Response with one attribute value changed (both signed)",
            lambda: garde.rejects("a tampered Response", b64(tamper_value(both)), **expectation))
suite.check("garde rejects pysaml2's Assertion-signed Response with one attribute value changed",
            lambda: garde.rejects("a tampered Assertion", b64(tamper_value(assertion_only)), **expectation))
suite.check("garde rejects pysaml2's Response-signed Response with one attribute value changed",
            lambda: garde.rejects("a tampered Response", b64(tamper_value(response_only)), **expectation))
suite.check("garde rejects pysaml2's Response for the wrong --audience",
            lambda: garde.rejects("a Response for another audience", b64(both), **{
                **expectation, "audience": "https://other-sp.interop.test/sp"}))
suite.check("garde rejects pysaml2's Response for another --request-id",
            lambda: garde.rejects("a Response to another request", b64(both), **{
                **expectation, "request_id": "_another0request"}))
suite.check("garde rejects pysaml2's Response when the metadata names another key",
            lambda: garde.rejects("a Response signed by an untrusted key", b64(both), **{
                **expectation, "metadata_xml": idp_metadata(PYSAML2_IDP, PYSAML2_SSO, other)}))
suite.check("garde rejects pysaml2's Response after the assertion expired (--now + 1 hour)",
            lambda: garde.rejects("an expired Response", b64(both), **{
                **expectation, "now": NOW + datetime.timedelta(hours=1)}))

# ---- Metadata ------------------------------------------------------------------------------------------


def md_verify(xml, cert, what, want_ok):
    rc, out, cmd = garde.metadata_verify(xml, cert, name=what.replace(" ", "-"))
    if want_ok:
        expect(rc == 0, f"garde metadata verify rejected {what} (exit {rc}):\n{tail(out)}")
    else:
        expect(rc != 0 and rc < 128, f"garde metadata verify accepted {what} (exit {rc}):\n{tail(out)}")


suite.check("garde metadata verify accepts pysaml2's signed IdP metadata (--cert)",
            md_verify, md, idp.cert, "pysaml2 metadata", True)
suite.check("garde metadata verify rejects it with another --cert",
            md_verify, md, other.cert, "metadata checked against another certificate", False)
suite.check("garde metadata verify rejects it when tampered (SSO Location changed)",
            md_verify, md.replace(PYSAML2_SSO, "https://evil.interop.test/sso"), idp.cert,
            "tampered metadata", False)

suite.finish()
