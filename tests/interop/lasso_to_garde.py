"""Interop, lasso -> garde: a lasso IdP (Entr'ouvert's C library, Debian python3-lasso) signs and
encrypts Responses for garde's SP; `garde saml inspect` must accept them and reject them when
tampered with or addressed to someone else. The lasso IdP's metadata (signed with the xmlsec1
command line, since lasso has no metadata signer) must pass `garde metadata verify`.
"""

import base64
import datetime
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, os.pardir, "support", "python")]  # garde_harness
from garde_harness import NS_SAMLP, Credential, b64, expect, import_peer, tail  # noqa: E402
from interop_common import (  # noqa: E402
    ATTR_MAIL, ATTR_UID, BINDING_POST, MAIL_VALUE, SP_ACS, SP_ENTITY_ID, UID_VALUE, URI_FORMAT,
    Garde, Suite, count_signatures, idp_metadata, iso, now_utc, post_body, sp_metadata,
    tamper_value, xmlsec1_sign_metadata, xmlsec1_verify)

LASSO_IDP = "https://lasso-idp.interop.test/idp"
LASSO_SSO = "https://lasso-idp.interop.test/sso"
REQUEST_ID = "_lasso0interop0request0000000000000001"

suite = Suite("interop lasso -> garde")

lasso = import_peer("lasso")
W = suite.workdir
garde = suite.setup("garde binary present (GARDE_BIN)", Garde, W)
idp = Credential(W, "lasso-idp")
sp = Credential(W, "garde-sp")          # garde's SP signing and encryption key
other = Credential(W, "someone-else")   # an untrusted key
NOW = now_utc()

IDP_MD = idp_metadata(LASSO_IDP, LASSO_SSO, idp, valid_until=NOW + datetime.timedelta(days=7))
SP_MD = sp_metadata(SP_ENTITY_ID, SP_ACS, sp, enc_cred=sp)


def authn_request_xml(request_id):
    """garde's AuthnRequest as the lasso IdP receives it (unsigned here: the SP->IdP direction is
    covered by garde_to_lasso.py)."""
    return (f'<samlp:AuthnRequest xmlns:samlp="{NS_SAMLP}" '
            f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{request_id}" Version="2.0" '
            f'IssueInstant="{iso(NOW)}" Destination="{LASSO_SSO}" AssertionConsumerServiceURL="{SP_ACS}" '
            f'ProtocolBinding="{BINDING_POST}"><saml:Issuer>{SP_ENTITY_ID}</saml:Issuer>'
            f'</samlp:AuthnRequest>')


def text_value(text):
    value = lasso.Saml2AttributeValue()
    node = lasso.MiscTextNode.newWithString(text)
    node.textChild = True
    value.any = [node]
    return value


def attribute(name, friendly, values):
    attr = lasso.Saml2Attribute()
    attr.name = name
    attr.nameFormat = URI_FORMAT
    attr.friendlyName = friendly
    attr.attributeValue = [text_value(v) for v in values]
    return attr


def lasso_response(sign_response=True, encrypt=False, request_id=REQUEST_ID):
    """Runs a lasso IdP through processAuthnRequestMsg / buildAssertion / buildAuthnResponseMsg and
    returns the Response XML (the assertion is always signed by lasso; the Response when asked)."""
    server = lasso.Server.newFromBuffers(IDP_MD, idp.key_pem, None, idp.cert_pem)
    server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA256
    server.addProviderFromBuffer(lasso.PROVIDER_ROLE_SP, SP_MD)
    if encrypt:
        provider = server.getProvider(SP_ENTITY_ID)
        provider.setEncryptionMode(lasso.ENCRYPTION_MODE_ASSERTION)
        provider.setEncryptionSymKeyType(lasso.ENCRYPTION_SYM_KEY_TYPE_AES_256)
        provider.setKeyEncryptionMethod(lasso.KEY_ENCRYPTION_METHOD_OAEP)
    login = lasso.Login(server)
    login.setSignatureVerifyHint(lasso.PROFILE_SIGNATURE_VERIFY_HINT_IGNORE)
    login.processAuthnRequestMsg(b64(authn_request_xml(request_id)))
    login.validateRequestMsg(True, True)
    if not sign_response:
        login.setSignatureHint(lasso.PROFILE_SIGNATURE_HINT_FORBID)
    login.buildAssertion(lasso.SAML2_AUTHN_CONTEXT_PASSWORD_PROTECTED_TRANSPORT, iso(NOW), None,
                         iso(NOW - datetime.timedelta(minutes=1)), iso(NOW + datetime.timedelta(minutes=5)))
    statement = lasso.Saml2AttributeStatement()
    statement.attribute = [attribute(ATTR_UID, "uid", [UID_VALUE]),
                           attribute(ATTR_MAIL, "mail", [MAIL_VALUE])]
    login.assertion.attributeStatement = [statement]
    login.buildAuthnResponseMsg()
    expect(login.msgUrl == SP_ACS, f"lasso posts to {login.msgUrl}, not to garde's ACS {SP_ACS}")
    return base64.b64decode(login.msgBody).decode()


def check_rsa_sha256(xml):
    expect("xmldsig-more#rsa-sha256" in xml and "xmlenc#sha256" in xml and "#sha1" not in xml,
           "lasso did not sign with RSA-SHA256 / SHA-256 digests")


# ---- Messages ---------------------------------------------------------------------------------------
both = suite.setup("lasso IdP builds a Response (Response and Assertion signed)", lasso_response)
assertion_only = suite.setup("lasso IdP builds a Response (only the Assertion signed)",
                             lasso_response, sign_response=False)
encrypted = suite.setup("lasso IdP builds a Response with an EncryptedAssertion (AES-256-CBC, RSA-OAEP)",
                        lasso_response, sign_response=True, encrypt=True)


def sanity():
    check_rsa_sha256(both)
    expect(count_signatures(both) == 2, "expected two signatures (Response, Assertion) from lasso")
    expect(count_signatures(assertion_only) == 1, "expected one signature (Assertion) from lasso")
    expect("EncryptedAssertion" in encrypted and "aes256-cbc" in encrypted
           and "rsa-oaep-mgf1p" in encrypted, "lasso did not encrypt with AES-256-CBC / RSA-OAEP")
    ok, out = xmlsec1_verify(W, both, idp.cert, f"{NS_SAMLP}:Response", name="both")
    expect(ok, f"xmlsec1 itself does not verify lasso's Response signature:\n{tail(out)}")


suite.check("lasso output uses the expected algorithms and verifies with xmlsec1", sanity)

expectation = dict(metadata_xml=IDP_MD, request_id=REQUEST_ID, now=NOW)
suite.check("garde accepts lasso's Response+Assertion-signed Response (POST body form)",
            lambda: garde.accepts("lasso's signed Response", post_body("SAMLResponse", both), **expectation))
suite.check("garde accepts lasso's Response as base64",
            lambda: garde.accepts("lasso's signed Response (base64)", b64(both), **expectation))
suite.check("garde accepts lasso's Response as raw XML",
            lambda: garde.accepts("lasso's signed Response (XML)", both, **expectation))
suite.check("garde accepts lasso's Assertion-only-signed Response",
            lambda: garde.accepts("lasso's Assertion-signed Response", b64(assertion_only), **expectation))


def accepts_encrypted():
    out = garde.accepts("lasso's encrypted assertion", b64(encrypted), decrypt_key=sp.key, **expectation)
    expect(UID_VALUE in out or ATTR_UID in out,
           f"garde accepted the encrypted assertion but printed none of its attributes:\n{tail(out)}")


suite.check("garde decrypts and accepts lasso's EncryptedAssertion (--decrypt-key)", accepts_encrypted)
suite.check("garde rejects lasso's EncryptedAssertion with the wrong --decrypt-key",
            lambda: garde.rejects("an assertion encrypted for another key", b64(encrypted),
                                  decrypt_key=other.key, **expectation))

# ---- Negative checks ---------------------------------------------------------------------------------
suite.check("garde rejects lasso's Response with one attribute value changed (both signed)",
            lambda: garde.rejects("a tampered Response", b64(tamper_value(both)), **expectation))
suite.check("garde rejects lasso's Assertion-signed Response with one attribute value changed",
            lambda: garde.rejects("a tampered Assertion", b64(tamper_value(assertion_only)), **expectation))
suite.check("garde rejects lasso's Response for the wrong --audience",
            lambda: garde.rejects("a Response for another audience", b64(both), **{
                **expectation, "audience": "https://other-sp.interop.test/sp"}))
suite.check("garde rejects lasso's Response for another --request-id",
            lambda: garde.rejects("a Response to another request", b64(both), **{
                **expectation, "request_id": "_another0request"}))
suite.check("garde rejects lasso's Response when the metadata names another key",
            lambda: garde.rejects("a Response signed by an untrusted key", b64(both), **{
                **expectation, "metadata_xml": idp_metadata(LASSO_IDP, LASSO_SSO, other)}))
suite.check("garde rejects lasso's Response after the assertion expired (--now + 1 hour)",
            lambda: garde.rejects("an expired Response", b64(both), **{
                **expectation, "now": NOW + datetime.timedelta(hours=1)}))

# ---- Metadata ------------------------------------------------------------------------------------------
signed_md = suite.setup("lasso IdP metadata signed (xmlsec1 --sign, RSA-SHA256)",
                        xmlsec1_sign_metadata, W, IDP_MD, idp, "_idp_metadata")


def md_accepted(xml, cert, what):
    rc, out, cmd = garde.metadata_verify(xml, cert, name=what.replace(" ", "-"))
    expect(rc == 0, f"garde metadata verify rejected {what} (exit {rc}):\n{tail(out)}")


def md_rejected(xml, cert, what):
    rc, out, cmd = garde.metadata_verify(xml, cert, name=what.replace(" ", "-"))
    expect(rc != 0 and rc < 128, f"garde metadata verify accepted {what} (exit {rc}):\n{tail(out)}")


def lasso_loads_metadata():
    server = lasso.Server.newFromBuffers(SP_MD, sp.key_pem, None, sp.cert_pem)
    server.addProviderFromBuffer(lasso.PROVIDER_ROLE_IDP, signed_md)
    expect(server.getProvider(LASSO_IDP) is not None, "lasso does not load its own signed metadata")


suite.check("lasso loads the signed IdP metadata", lasso_loads_metadata)
suite.check("garde metadata verify accepts the signed lasso IdP metadata (--cert)",
            md_accepted, signed_md, idp.cert, "signed lasso metadata")
suite.check("garde metadata verify rejects it with another --cert",
            md_rejected, signed_md, other.cert, "metadata checked against another certificate")
suite.check("garde metadata verify rejects it when tampered (SSO Location changed)",
            md_rejected, signed_md.replace(LASSO_SSO, "https://evil.interop.test/sso"), idp.cert,
            "tampered metadata")


def expired_md():
    stale = idp_metadata(LASSO_IDP, LASSO_SSO, idp, valid_until=NOW - datetime.timedelta(days=1),
                         md_id="_idp_metadata_stale")
    md_rejected(xmlsec1_sign_metadata(W, stale, idp, "_idp_metadata_stale"), idp.cert,
                "signed metadata whose validUntil has passed")


suite.check("garde metadata verify rejects signed metadata past its validUntil", expired_md)

suite.finish()
