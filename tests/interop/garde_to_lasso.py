"""Interop, garde -> lasso: a lasso SP, configured with garde's signed IdP metadata (checked by lasso's
loadMetadata against garde's certificate), sends an AuthnRequest, and accepts garde's signed (and
encrypted) Response with processAuthnResponseMsg + acceptSso; tampered or foreign-signed Responses
are refused. In the other direction a lasso IdP, configured with garde's SP metadata, verifies
garde's signed HTTP-Redirect AuthnRequest (signature verify hint FORCE).
"""

import datetime
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import Credential, b64, expect, import_peer  # noqa: E402
from interop_common import (  # noqa: E402
    ATTR_MAIL, ATTR_UID, IDP_ENTITY_ID, IDP_SSO, MAIL_VALUE, SP_ACS, SP_ENTITY_ID, UID_VALUE,
    Suite, Vectors, idp_metadata, now_utc, sp_metadata, tamper_value)

LASSO_SP = "https://lasso-sp.interop.test/sp"
LASSO_ACS = "https://lasso-sp.interop.test/acs"
LASSO_IDP = "https://lasso-idp.interop.test/idp"
LASSO_SSO = "https://lasso-idp.interop.test/sso"
GARDE_REQUEST_ID = "_garde0to0lasso0request000000000000001"

suite = Suite("interop garde -> lasso")
lasso = import_peer("lasso")
W = suite.workdir
vectors = suite.setup("vector tool present (GARDE_INTEROP_VECTORS)", Vectors, W)
garde_idp = Credential(W, "garde-idp")
garde_sp = Credential(W, "garde-sp")
lasso_sp = Credential(W, "lasso-sp")
lasso_idp = Credential(W, "lasso-idp")
other = Credential(W, "someone-else")
NOW = now_utc()
ATTRS = [(ATTR_UID, UID_VALUE), (ATTR_MAIL, MAIL_VALUE)]

LASSO_SP_MD = sp_metadata(LASSO_SP, LASSO_ACS, lasso_sp, enc_cred=lasso_sp)
garde_idp_md = suite.setup("garde signs its IdP metadata", vectors.metadata, "idp", garde_idp,
                           IDP_ENTITY_ID, IDP_SSO, NOW, valid_until=NOW + datetime.timedelta(days=7))
garde_sp_md = suite.setup("garde signs its SP metadata", vectors.metadata, "sp", garde_sp,
                          SP_ENTITY_ID, SP_ACS, NOW, valid_until=NOW + datetime.timedelta(days=7))


def write(name, text):
    path = os.path.join(W, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sp_server(idp_md_xml, check_signature_with=None):
    """A lasso SP; garde's IdP metadata loaded with loadMetadata, its signature checked against
    `check_signature_with` (a certificate file) when given."""
    server = lasso.Server.newFromBuffers(LASSO_SP_MD, lasso_sp.key_pem, None, lasso_sp.cert_pem)
    server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA256
    md_file = write("garde-idp-for-lasso.xml", idp_md_xml)
    if check_signature_with:
        server.loadMetadata(lasso.PROVIDER_ROLE_IDP, md_file, check_signature_with, None,
                            lasso.SERVER_LOAD_METADATA_FLAG_CHECK_ENTITY_DESCRIPTOR_SIGNATURE)
    else:
        server.addProviderFromBuffer(lasso.PROVIDER_ROLE_IDP, idp_md_xml)
    expect(server.getProvider(IDP_ENTITY_ID) is not None, "lasso did not load garde's IdP metadata")
    return server


def metadata_signature_checked():
    sp_server(garde_idp_md, garde_idp.cert)


def metadata_foreign_signature_refused():
    try:
        server = sp_server(garde_idp_md, other.cert)
    except (lasso.Error, CheckFailedType, SystemError):
        # python3-lasso 2.8.1's binding turns this lasso error into a bare SystemError.
        return
    expect(server.getProvider(IDP_ENTITY_ID) is None,
           "lasso loaded garde's metadata although its signature was checked against another certificate")


from garde_harness import CheckFailed as CheckFailedType  # noqa: E402

suite.check("lasso loadMetadata verifies the signature of garde's IdP metadata", metadata_signature_checked)
suite.check("lasso loadMetadata refuses garde's IdP metadata against another certificate",
            metadata_foreign_signature_refused)


def start_login():
    """The lasso SP sends an AuthnRequest to garde's IdP; returns (login, request id)."""
    server = sp_server(garde_idp_md, garde_idp.cert)
    login = lasso.Login(server)
    login.initAuthnRequest(IDP_ENTITY_ID, lasso.HTTP_METHOD_REDIRECT)
    login.request.protocolBinding = lasso.SAML2_METADATA_BINDING_POST
    login.buildAuthnRequestMsg()
    expect(login.msgUrl.startswith(IDP_SSO), f"lasso sends its AuthnRequest to {login.msgUrl}")
    return login, login.request.iD


def sso(sign_assertion=True, sign_response=True, encrypt=False, signer=None, mutate=None):
    login, request_id = start_login()
    xml = vectors.response(signer or garde_idp, IDP_ENTITY_ID, LASSO_SP, LASSO_ACS, request_id, NOW,
                           ATTRS, sign_assertion=sign_assertion, sign_response=sign_response,
                           encrypt_for=lasso_sp.cert if encrypt else None)
    if mutate:
        xml = mutate(xml)
    login.processAuthnResponseMsg(b64(xml))
    login.acceptSso()
    values = {}
    for statement in login.assertion.attributeStatement or []:
        for attr in statement.attribute or []:
            values[attr.name] = [v.any[0].content if hasattr(v.any[0], "content") else str(v.any[0])
                                 for v in attr.attributeValue]
    expect(login.assertion.issuer.content == IDP_ENTITY_ID, "lasso read another Issuer")
    expect(any(UID_VALUE in str(v) for v in values.get(ATTR_UID, [])),
           f"lasso did not read the uid attribute; it read {values}")
    return login


def refused(**kwargs):
    try:
        sso(**kwargs)
    except lasso.Error:
        return
    raise CheckFailedType("lasso accepted it")


suite.check("lasso SP accepts garde's Response (Response and Assertion signed)", sso)
suite.check("lasso SP accepts garde's Response (only the Assertion signed)",
            sso, sign_assertion=True, sign_response=False)
suite.check("lasso SP accepts garde's Response (only the Response signed)",
            sso, sign_assertion=False, sign_response=True)
suite.check("lasso SP decrypts and accepts garde's EncryptedAssertion (AES-256-GCM, RSA-OAEP)",
            sso, encrypt=True)
suite.check("lasso SP refuses garde's Response with one attribute value changed",
            refused, mutate=tamper_value)
suite.check("lasso SP refuses a Response signed by a key not in garde's metadata",
            refused, signer=other)

# ---- garde SP -> lasso IdP --------------------------------------------------------------------------


def idp_server(sp_md_xml):
    server = lasso.Server.newFromBuffers(idp_metadata(LASSO_IDP, LASSO_SSO, lasso_idp),
                                         lasso_idp.key_pem, None, lasso_idp.cert_pem)
    server.addProviderFromBuffer(lasso.PROVIDER_ROLE_SP, sp_md_xml)
    return server


def process_request(url):
    login = lasso.Login(idp_server(garde_sp_md))
    login.setSignatureVerifyHint(lasso.PROFILE_SIGNATURE_VERIFY_HINT_FORCE)
    login.processAuthnRequestMsg(url.partition("?")[2])
    login.validateRequestMsg(True, True)
    return login


def request_accepted():
    url = vectors.authn_request(garde_sp, SP_ENTITY_ID, LASSO_SSO, SP_ACS, GARDE_REQUEST_ID, NOW,
                                relay_state="state/42 ok")
    login = process_request(url)
    expect(login.request.iD == GARDE_REQUEST_ID, f"lasso read request id {login.request.iD}")
    expect(login.remoteProviderId == SP_ENTITY_ID, f"lasso read issuer {login.remoteProviderId}")
    expect(login.msgRelayState == "state/42 ok", f"lasso read RelayState {login.msgRelayState!r}")


def request_refused(mutate, signer=garde_sp, signed=True):
    url = vectors.authn_request(signer, SP_ENTITY_ID, LASSO_SSO, SP_ACS, GARDE_REQUEST_ID, NOW,
                                relay_state="state/42 ok", signed=signed)
    try:
        process_request(mutate(url))
    except lasso.Error:
        return
    raise CheckFailedType("lasso IdP accepted it")


suite.check("lasso IdP verifies garde's signed Redirect AuthnRequest", request_accepted)
suite.check("lasso IdP refuses it with a changed RelayState",
            request_refused, lambda u: u.replace("RelayState=state", "RelayState=xstate"))
suite.check("lasso IdP refuses it signed by a key not in garde's SP metadata",
            request_refused, lambda u: u, signer=other)
suite.check("lasso IdP refuses it unsigned (hint FORCE)", request_refused, lambda u: u, signed=False)

suite.finish()
