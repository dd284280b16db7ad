"""Interop, garde -> pysaml2: a pysaml2 SP (saml2.client.Saml2Client) configured with garde's signed IdP
metadata accepts garde's signed (and encrypted) Responses to its own AuthnRequest with
parse_authn_request_response, and refuses tampered or foreign-signed ones; pysaml2's security
context verifies the metadata signature. In the other direction a pysaml2 IdP parses garde's
Redirect AuthnRequest and pysaml2's verify_redirect_signature checks its query signature.
"""

import datetime
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import NS_MD, CheckFailed, Credential, b64, expect, import_peer  # noqa: E402
from interop_common import (  # noqa: E402
    ATTR_MAIL, ATTR_UID, IDP_ENTITY_ID, IDP_SSO, MAIL_VALUE, SP_ACS, SP_ENTITY_ID, UID_VALUE,
    Suite, Vectors, now_utc, split_redirect, tamper_value)

PY_SP = "https://pysaml2-sp.interop.test/sp"
PY_ACS = "https://pysaml2-sp.interop.test/acs"
PY_IDP = "https://pysaml2-idp.interop.test/idp"
PY_SSO = "https://pysaml2-idp.interop.test/sso"
GARDE_REQUEST_ID = "_garde0to0pysaml20request0000000000001"

suite = Suite("interop garde -> pysaml2")
saml2 = import_peer("saml2")
import logging  # noqa: E402

# pysaml2 logs every refused signature (with xmlsec1's output) at ERROR; our checks report instead.
logging.getLogger("saml2").setLevel(logging.CRITICAL)
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, config, server, sigver, xmldsig  # noqa: E402
from saml2.client import Saml2Client  # noqa: E402
from saml2.saml import NAMEID_FORMAT_TRANSIENT  # noqa: E402

W = suite.workdir
vectors = suite.setup("vector tool present (GARDE_INTEROP_VECTORS)", Vectors, W)
garde_idp = Credential(W, "garde-idp")
garde_sp = Credential(W, "garde-sp")
py_sp = Credential(W, "pysaml2-sp")
py_idp = Credential(W, "pysaml2-idp")
other = Credential(W, "someone-else")
NOW = now_utc()
ATTRS = [(ATTR_UID, UID_VALUE), (ATTR_MAIL, MAIL_VALUE)]


def write(name, text):
    path = os.path.join(W, name)
    with open(path, "w") as f:
        f.write(text)
    return path


garde_idp_md = suite.setup("garde signs its IdP metadata", vectors.metadata, "idp", garde_idp,
                           IDP_ENTITY_ID, IDP_SSO, NOW, valid_until=NOW + datetime.timedelta(days=7))
garde_sp_md = suite.setup("garde signs its SP metadata", vectors.metadata, "sp", garde_sp,
                          SP_ENTITY_ID, SP_ACS, NOW, valid_until=NOW + datetime.timedelta(days=7))
IDP_MD_FILE = write("garde-idp-metadata.xml", garde_idp_md)
SP_MD_FILE = write("garde-sp-metadata.xml", garde_sp_md)


def sp_client():
    conf = {
        "entityid": PY_SP,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": py_sp.key,
        "cert_file": py_sp.cert,
        "encryption_keypairs": [{"key_file": py_sp.key, "cert_file": py_sp.cert}],
        "metadata": {"local": [IDP_MD_FILE]},
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(PY_ACS, BINDING_HTTP_POST)]},
            "want_response_signed": False,
            "want_assertions_signed": False,
            "want_assertions_or_response_signed": True,
            "allow_unsolicited": False,
            "authn_requests_signed": False,
            "signing_algorithm": xmldsig.SIG_RSA_SHA256,
            "digest_algorithm": xmldsig.DIGEST_SHA256,
        }},
    }
    c = config.SPConfig()
    c.load(conf)
    return Saml2Client(config=c)


def metadata_signature():
    client = sp_client()
    ok = client.sec.verify_signature(garde_idp_md, garde_idp.cert, node_name=f"{NS_MD}:EntityDescriptor")
    expect(ok, "pysaml2 does not verify the signature of garde's IdP metadata")
    try:
        bad = client.sec.verify_signature(garde_idp_md, other.cert, node_name=f"{NS_MD}:EntityDescriptor")
    except sigver.SignatureError:
        bad = False
    expect(not bad, "pysaml2 verified garde's metadata with another certificate")
    sso = client.metadata.single_sign_on_service(IDP_ENTITY_ID, BINDING_HTTP_REDIRECT)
    expect(sso and sso[0]["location"] == IDP_SSO, f"pysaml2 read SSO endpoints {sso}")


suite.check("pysaml2 verifies the signature of garde's IdP metadata and reads it", metadata_signature)


def sso(sign_assertion=True, sign_response=True, encrypt=False, signer=None, mutate=None):
    client = sp_client()
    request_id, _ = client.create_authn_request(IDP_SSO, binding=BINDING_HTTP_POST)
    xml = vectors.response(signer or garde_idp, IDP_ENTITY_ID, PY_SP, PY_ACS, request_id, NOW, ATTRS,
                           sign_assertion=sign_assertion, sign_response=sign_response,
                           encrypt_for=py_sp.cert if encrypt else None)
    if mutate:
        xml = mutate(xml)
    resp = client.parse_authn_request_response(b64(xml), BINDING_HTTP_POST,
                                               outstanding={request_id: "/"})
    expect(resp is not None, "pysaml2 returned no response object")
    ava = resp.get_identity()
    expect(ava.get("uid") == [UID_VALUE] and ava.get("mail") == [MAIL_VALUE],
           f"pysaml2 read attributes {ava}")
    expect(resp.in_response_to == request_id, f"pysaml2 read InResponseTo {resp.in_response_to}")


def refused(**kwargs):
    try:
        sso(**kwargs)
    except CheckFailed:
        raise
    except Exception as e:  # pysaml2 signals refusals with assorted exception types
        print(f"     (pysaml2 refused: {type(e).__name__}: {str(e)[:150]})")
        return
    raise CheckFailed("pysaml2 accepted it")


suite.check("pysaml2 SP accepts garde's Response (Response and Assertion signed)", sso)
suite.check("pysaml2 SP accepts garde's Response (only the Assertion signed)",
            sso, sign_assertion=True, sign_response=False)
suite.check("pysaml2 SP accepts garde's Response (only the Response signed)",
            sso, sign_assertion=False, sign_response=True)
suite.check("pysaml2 SP decrypts and accepts garde's EncryptedAssertion (AES-256-GCM, RSA-OAEP)",
            sso, encrypt=True)
suite.check("pysaml2 SP refuses garde's Response with one attribute value changed",
            refused, mutate=tamper_value)
suite.check("pysaml2 SP refuses a Response signed by a key not in garde's metadata",
            refused, signer=other)

# ---- garde SP -> pysaml2 IdP ------------------------------------------------------------------------


def idp_server():
    conf = {
        "entityid": PY_IDP,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": py_idp.key,
        "cert_file": py_idp.cert,
        "metadata": {"local": [SP_MD_FILE]},
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(PY_SSO, BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_TRANSIENT],
            # pysaml2 7.0.1 would then demand an enveloped XML signature even on the Redirect
            # binding, where the signature is on the query: the query signature is checked below
            # with its verify_redirect_signature, as a pysaml2 IdP front end does.
            "want_authn_requests_signed": False,
        }},
    }
    c = config.IdPConfig()
    c.load(conf)
    return server.Server(config=c)


def redirect_signature_ok(params, cert):
    msg = {k: v for k, v in params.items() if k in ("SAMLRequest", "RelayState", "SigAlg", "Signature")}
    return sigver.verify_redirect_signature(msg, sigver.RSACrypto(None), cert=cert.cert_b64)


def request_accepted(relay_state):
    url = vectors.authn_request(garde_sp, SP_ENTITY_ID, PY_SSO, SP_ACS, GARDE_REQUEST_ID, NOW,
                                relay_state=relay_state)
    _, _, params = split_redirect(url)
    expect(params["RelayState"] == relay_state, f"RelayState came back as {params['RelayState']!r}")
    srv = idp_server()
    req = srv.parse_authn_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)
    expect(req.message.id == GARDE_REQUEST_ID, f"pysaml2 read request id {req.message.id}")
    expect(req.message.issuer.text == SP_ENTITY_ID, f"pysaml2 read issuer {req.message.issuer.text}")
    expect(req.message.assertion_consumer_service_url == SP_ACS,
           f"pysaml2 read ACS {req.message.assertion_consumer_service_url}")
    certs = srv.metadata.certs(SP_ENTITY_ID, "spsso", "signing")
    expect(certs, "pysaml2 found no signing certificate in garde's SP metadata")
    # pysaml2 does not keep the raw query: it re-encodes the decoded parameters with
    # urllib.parse.urlencode (quote_plus) and verifies over that, so the check only passes when
    # garde's percent-encoding matches quote_plus byte for byte.
    expect(redirect_signature_ok(params, garde_sp),
           "pysaml2 does not verify garde's Redirect signature: pysaml2 re-encodes the query with "
           "quote_plus (space as '+'), garde sent " + url.partition("RelayState=")[2].partition("&")[0])
    expect(not redirect_signature_ok(params, other), "pysaml2 verified the Redirect signature with another key")
    params["RelayState"] = relay_state + "x"
    expect(not redirect_signature_ok(params, garde_sp), "pysaml2 verified a Redirect with a changed RelayState")


suite.check("pysaml2 IdP parses garde's Redirect AuthnRequest and verifies its query signature",
            request_accepted, "state/42-ok")
suite.check("... also with a RelayState shaped like a resource URL",
            request_accepted, "https://ressource.example/lecon?id=42&mode=eleve")

suite.finish()
