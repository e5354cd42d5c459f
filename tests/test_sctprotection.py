"""The SCT issuer's protection does not follow the contract's ProtectionLevel (sessionstep.issuer_protection):
at protectionLevel Sign the RST/SCT Body must arrive encrypted and the RSTR Body leaves encrypted, as
SecuritySessionSecurityTokenAuthenticator.BuildResponderChannelListener and AcceleratedTokenAuthenticator
.BuildNegotiationChannelListener force EncryptAndSign on the bootstrap protocol, while the session's application
messages keep the contract's Sign. Driven by tests/sctmsgclient.py (lxml + python-xmlsec + OpenSSL)."""

from __future__ import annotations

import pytest
from lxml import etree

from mockwcf import ns
from tests import sctclient
from tests import sctmsgclient as client
from tests.conftest import CERTS
from tests.test_asymmetric_encryption import open_reply
from tests.test_conversation_message import CUSTOM, ECHO_RESULT, SERVICE_PEM, _post

BODY = f"{{{ns.SOAP12}}}Body"
ENCRYPTED_DATA = f"{{{ns.XENC}}}EncryptedData"


def _signed_only(require_cancellation: bool) -> dict:
    security = {**CUSTOM["binding"]["security"], "protectionLevel": "Sign"}
    if not require_cancellation:
        security["requireCancellation"] = False
    return {**CUSTOM, "binding": {**CUSTOM["binding"], "security": security}}


@pytest.mark.parametrize(
    "mockwcf_scenario",
    [_signed_only(True), _signed_only(False)],
    ids=["session-sct", "cookie-sct"],
)
def test_at_sign_the_rstr_body_is_still_encrypted_and_calls_are_signed_only(mockwcf_server):
    t, sc = sctclient.VERSIONS["feb2005"]
    message, boot, entropy = client.issue_request(mockwcf_server.url, SERVICE_PEM)
    resp = _post(mockwcf_server.url, message, f"{t}/RST/SCT")
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    body = etree.fromstring(resp.content).find(BODY)
    assert len(body) == 1 and body[0].tag == ENCRYPTED_DATA, etree.tostring(body)
    opened = client.open_reply(
        resp.content, boot.key, client.names_encrypted_key(boot), sc
    )  # xmlsec decrypts
    session = client.read_rstr(opened, entropy)
    assert len(session.key) == 32
    # the session's own messages follow the contract: Body signed, not encrypted, both ways
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session, encrypt_body=False))
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    reply = etree.fromstring(resp.content)
    assert reply.find(f"{BODY}/{ENCRYPTED_DATA}") is None
    assert reply.find(ECHO_RESULT).text == "hi"


@pytest.mark.mockwcf_scenario(_signed_only(True))
def test_at_sign_an_rst_with_a_clear_body_is_refused(mockwcf_server):
    t = sctclient.VERSIONS["feb2005"][0]
    message, _, _ = client.issue_request(mockwcf_server.url, SERVICE_PEM, encrypt_body=False)
    resp = _post(mockwcf_server.url, message, f"{t}/RST/SCT")
    assert resp.status_code == 500, resp.text
    mockwcf_server.assert_fault("RequiredMessagePartNotEncryptedNs")


ASYMMETRIC_SIGN = {
    "binding": {
        "type": "customBinding",
        "messageVersion": "Soap12WSAddressing10",
        "security": {
            "authenticationMode": "SecureConversation",
            "secureConversationBootstrap": "MutualCertificate",
            "messageSecurityVersion": "WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005"
            "WSSecurityPolicy11BasicSecurityProfile10",
            "protectionLevel": "Sign",
        },
    },
    "credentials": {
        "serviceCertificate": CUSTOM["credentials"]["serviceCertificate"],
        "clientCertificate": {
            "certificateValidationMode": "ChainTrust",
            "trustedCertificates": [str(CERTS / "ca.pem")],
        },
    },
}


@pytest.mark.mockwcf_scenario(ASYMMETRIC_SIGN)
def test_at_sign_the_asymmetric_bootstraps_rstr_is_encrypted_for_the_client_certificate(mockwcf_server):
    t = sctclient.VERSIONS["feb2005"][0]
    message, entropy = client.issue_request_asymmetric(
        mockwcf_server.url, SERVICE_PEM, CERTS / "client.pem", CERTS / "client.key"
    )
    resp = _post(mockwcf_server.url, message, f"{t}/RST/SCT")
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    body = etree.fromstring(resp.content).find(BODY)
    assert len(body) == 1 and body[0].tag == ENCRYPTED_DATA, etree.tostring(body)
    opened = open_reply(
        resp.content
    )  # unwrapped with the client key (xmlsec), verified with the service cert
    session = client.read_rstr(opened, entropy)
    assert len(session.key) == 32


@pytest.mark.mockwcf_scenario(_signed_only(True))
def test_at_sign_the_renew_rstr_is_encrypted_too(mockwcf_server):
    """RST/SCT/Renew goes to the same issuer listener: its RSTR Body leaves encrypted at Sign as well."""
    t, sc = sctclient.VERSIONS["feb2005"]
    message, boot, entropy = client.issue_request(mockwcf_server.url, SERVICE_PEM)
    resp = _post(mockwcf_server.url, message, f"{t}/RST/SCT")
    session = client.read_rstr(
        client.open_reply(resp.content, boot.key, client.names_encrypted_key(boot), sc), entropy
    )
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session, encrypt_body=False))
    assert resp.status_code == 200, resp.text  # only an established session renews
    message, boot, entropy = client.renew_request(mockwcf_server.url, SERVICE_PEM, session)
    resp = _post(mockwcf_server.url, message, f"{t}/RST/SCT/Renew")
    assert resp.status_code == 200, resp.text
    assert mockwcf_server.last().operation == "SecureConversation.renew"
    body = etree.fromstring(resp.content).find(BODY)
    assert len(body) == 1 and body[0].tag == ENCRYPTED_DATA, etree.tostring(body)
    renewed = client.read_rstr(
        client.open_reply(resp.content, boot.key, client.names_encrypted_key(boot), sc), entropy
    )
    assert renewed.context_id == session.context_id and renewed.key != session.key
