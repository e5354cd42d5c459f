"""Secure conversation over the asymmetric WSS 1.0 MutualCertificate bootstrap (customBinding SecureConversation,
CreateSecureConversationBindingElement(CreateMutualCertificateBindingElement(WSS10))): the RST signed with the
client certificate and encrypted for the service's, the RSTR signed by the service and encrypted for the client
certificate, then application messages under the SCT's symmetric binding. The client is tests/sctmsgclient.py and
tests/test_asymmetric_encryption.py's reply opener (lxml + python-xmlsec), not mockwcf's code."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from mockwcf import ns
from tests import sctmsgclient as client
from tests.conftest import CERTS, SCENARIOS
from tests.test_asymmetric_encryption import open_reply
from tests.test_conversation_message import ECHO_RESULT, SERVICE_PEM, _post

SCENARIO = SCENARIOS / "secure-conversation-mutual-certificate-wss10.yaml"
WST = ns.WST


def _issue(server):
    message, entropy = client.issue_request_asymmetric(
        server.url, SERVICE_PEM, CERTS / "client.pem", CERTS / "client.key"
    )
    resp = _post(server.url, message, f"{WST}/RST/SCT")
    assert resp.status_code == 200, resp.text
    server.assert_accepted()
    opened = open_reply(resp.content)  # unwrapped with the client key, verified with the service certificate
    assert opened.findtext(f".//{{{ns.WSA10}}}Action") == f"{WST}/RSTR/SCT"
    assert opened.find(f".//{{{ns.WSSE11}}}SignatureConfirmation") is None  # WSS 1.0
    return client.read_rstr(opened, entropy)


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_issue_three_calls_cancel_and_a_call_after_cancel(mockwcf_server):
    session = _issue(mockwcf_server)
    steps = " ".join(s["detail"] for s in mockwcf_server.last().steps)
    assert "X509 'CN=" in steps, steps  # the session's identity is the bootstrap's client certificate
    for _ in range(3):
        resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
        assert resp.status_code == 200, resp.text
        mockwcf_server.assert_accepted()
        opened = client.open_reply(resp.content, session.key, client.names_context(session))
        assert opened.find(ECHO_RESULT).text == "hi"
    resp = _post(mockwcf_server.url, client.cancel(mockwcf_server.url, session), f"{WST}/RST/SCT/Cancel")
    assert resp.status_code == 200, resp.text  # an encrypted Body is accepted too; the RSTR is signed only
    opened = client.open_reply(resp.content, session.key, client.names_context(session), encrypted=False)
    assert opened.find(f".//{{{WST}}}RequestedTokenCancelled") is not None
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession")


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_an_rst_from_an_untrusted_certificate_is_refused(mockwcf_server):
    message, _ = client.issue_request_asymmetric(
        mockwcf_server.url, SERVICE_PEM, CERTS / "client-untrusted.pem", CERTS / "client.key"
    )
    resp = _post(mockwcf_server.url, message, f"{WST}/RST/SCT")
    assert resp.status_code == 500
    mockwcf_server.assert_fault("X509ChainBuildFail")
    assert b"Traceback" not in resp.content


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_the_wsdl_policy_names_the_asymmetric_bootstrap(mockwcf_server):
    wsdl = etree.fromstring(requests.get(mockwcf_server.wsdl_url, timeout=10).content)
    sp = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
    boot = wsdl.find(f".//{{{sp}}}SecureConversationToken//{{{sp}}}BootstrapPolicy")
    assert boot.find(f".//{{{sp}}}AsymmetricBinding//{{{sp}}}InitiatorToken") is not None
    assert boot.find(f".//{{{sp}}}Wss10") is not None


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_renew_over_the_asymmetric_bootstrap_then_the_new_generation(mockwcf_server):
    session = _issue(mockwcf_server)
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))  # only an established session
    assert resp.status_code == 200, resp.text  # renews (OnTokenRenewed -> FindSessionChannel)
    message, entropy = client.renew_request_asymmetric(
        mockwcf_server.url, SERVICE_PEM, CERTS / "client.pem", CERTS / "client.key", session
    )
    resp = _post(mockwcf_server.url, message, f"{WST}/RST/SCT/Renew")
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    opened = open_reply(resp.content)
    assert opened.findtext(f".//{{{ns.WSA10}}}Action") == f"{WST}/RSTR/SCT/Renew"
    renewed = client.read_rstr(opened, entropy)
    assert renewed.context_id == session.context_id and renewed.key != session.key
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, renewed))
    assert resp.status_code == 200, resp.text
    opened = client.open_reply(resp.content, renewed.key, client.names_context(renewed))
    assert opened.find(ECHO_RESULT).text == "hi"
