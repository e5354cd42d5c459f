"""Secure conversation over Message security (wsHttpBinding Message UserName, establishSecurityContext=true):
a full conversation over loopback from tests/sctmsgclient.py (lxml + python-xmlsec + OpenSSL, not mockwcf's
code), and the mistakes with the codes WCF raises."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from mockwcf import ns
from tests import sctclient, wss
from tests import sctmsgclient as client
from tests.conftest import CERTS, SCENARIOS
from tests.test_symmetric import _endorse, request

SCENARIO = SCENARIOS / "wshttp-message-session.yaml"
SERVICE_PEM = CERTS / "service.pem"
ECHO_RESULT = f".//{{{ns.SOAP12}}}Body//{{http://tempuri.org/}}EchoResult"


def _post(url: str, body: bytes, action: str = wss.ACTION):
    return wss.post(url, body, soap12=True, action=action)


def _session(server, certificate: bool = False, version: str = "feb2005"):
    t, sc = sctclient.VERSIONS[version]
    message, boot, entropy = client.issue_request(
        server.url,
        SERVICE_PEM,
        client_cert=(wss.bst(CERTS / "client.pem"), _endorse) if certificate else None,
        version=version,
    )
    resp = _post(server.url, message, f"{t}/RST/SCT")
    assert resp.status_code == 200, resp.text
    server.assert_accepted()
    opened = client.open_reply(resp.content, boot.key, client.names_encrypted_key(boot), sc)
    assert opened.findtext(f".//{{{ns.WSA10}}}Action") == f"{t}/RSTR/SCT"
    confirmations = list(opened.iter(f"{{{ns.WSSE11}}}SignatureConfirmation"))
    assert len(confirmations) == (2 if certificate else 0)  # the MutualCertificate bootstrap confirms both
    return client.read_rstr(opened, entropy, version)


CUSTOM = {
    "binding": {
        "type": "customBinding",
        "messageVersion": "Soap12WSAddressing10",
        "security": {
            "authenticationMode": "SecureConversation",
            "secureConversationBootstrap": "UserNameForCertificate",
        },
    },
    "credentials": {
        "serviceCertificate": {"certificate": str(SERVICE_PEM), "privateKey": str(CERTS / "service.key")},
        "userNameAuthentication": {"users": {"alice": "p@ssw0rd"}},
    },
}


WS2007 = {
    "binding": {
        "type": "ws2007HttpBinding",
        "security": {
            "mode": "Message",
            "clientCredentialType": "UserName",
            "negotiateServiceCredential": False,
        },
    },
    "credentials": CUSTOM["credentials"],
}


@pytest.mark.parametrize(
    "mockwcf_scenario,version",
    [(SCENARIO, "feb2005"), (CUSTOM, "feb2005"), (WS2007, "1.3")],
    ids=["wsHttpBinding", "customBinding", "ws2007HttpBinding"],
)
def test_issue_three_calls_cancel_and_a_call_after_cancel(mockwcf_server, version):
    t, sc = sctclient.VERSIONS[version]
    session = _session(mockwcf_server, version=version)
    assert len(session.key) == 32 and session.context_id.startswith("urn:uuid:")
    for _ in range(3):
        resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
        assert resp.status_code == 200, resp.text
        mockwcf_server.assert_accepted()
        opened = client.open_reply(resp.content, session.key, client.names_context(session), sc)
        assert opened.find(ECHO_RESULT).text == "hi"
        steps = " ".join(s["detail"] for s in mockwcf_server.last().steps)
        assert "SecurityContextToken" in steps and "Body decrypted" in steps, steps
    # WCF's client signs the Cancel's Body without encrypting it, and the RSTR comes back the same way
    # (SecuritySessionClientSettings / SecuritySessionServerSettings: NoParts encrypted for Close and CloseResponse)
    cancel = client.cancel(mockwcf_server.url, session, encrypt_body=False)
    resp = _post(mockwcf_server.url, cancel, f"{t}/RST/SCT/Cancel")
    assert resp.status_code == 200, resp.text
    opened = client.open_reply(resp.content, session.key, client.names_context(session), sc, encrypted=False)
    assert opened.find(f".//{{{t}}}RequestedTokenCancelled") is not None
    assert opened.findtext(f".//{{{ns.WSA10}}}Action") == f"{t}/RSTR/SCT/Cancel"
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession")
    assert b"BadContextToken" in resp.content and sc.encode() in resp.content


def _forged_sct(session) -> dict:
    return {
        "sct_xml": session.sct_xml.replace(
            session.context_id, f"urn:uuid:{'0' * 8}-0000-0000-0000-{'0' * 12}"
        )
    }


@pytest.mark.mockwcf_scenario(SCENARIO)
@pytest.mark.parametrize(
    "mistake,code,wire",
    [
        # an SCT this node never issued: the session demux fails first (SecuritySessionFilter)
        (_forged_sct, "CannotFindSecuritySession", b"BadContextToken"),
        # a DKT naming an unknown context id: DerivedKeySecurityTokenStub under Strict layout
        (
            lambda s: {"dkt_uri": "urn:uuid:11111111-2222-3333-4444-555555555555"},
            "UnableToResolveKeyInfoClauseInDerivedKeyToken",
            b"InvalidSecurity",
        ),
        # the SCT's own key where RequireDerivedKeys is on (ReceiveSecurityHeader.Process)
        (
            lambda s: {"base_key_signature": True},
            "PrimarySignatureWasNotSignedByDerivedKey",
            b"InvalidSecurity",
        ),
    ],
    ids=["unknown-sct", "dkt-unknown-sct", "base-key-signature"],
)
def test_steady_state_mistakes_get_wcfs_codes(mockwcf_server, mistake, code, wire):
    session = _session(mockwcf_server)
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session, **mistake(session)))
    assert resp.status_code == 500
    mockwcf_server.assert_fault(code)
    assert wire in resp.content


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_a_one_shot_request_without_the_sct_finds_no_session(mockwcf_server):
    resp = _post(mockwcf_server.url, request(mockwcf_server.url).body)
    assert resp.status_code == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession")


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_the_rst_needs_the_bootstrap_credentials(mockwcf_server):
    message, _, _ = client.issue_request(mockwcf_server.url, SERVICE_PEM, user="mallory")
    resp = _post(mockwcf_server.url, message, f"{ns.WST}/RST/SCT")
    assert resp.status_code == 500
    mockwcf_server.assert_fault("UserNameAuthenticationFailed")
    assert etree.fromstring(resp.content) is not None


CERTIFICATE = {
    "binding": {
        "type": "wsHttpBinding",
        "security": {
            "mode": "Message",
            "clientCredentialType": "Certificate",
            "negotiateServiceCredential": False,
        },
    },
    "credentials": {
        "serviceCertificate": {"certificate": str(SERVICE_PEM), "privateKey": str(CERTS / "service.key")},
        "clientCertificate": {
            "certificateValidationMode": "ChainTrust",
            "trustedCertificates": [str(CERTS / "ca.pem")],
        },
    },
}


@pytest.mark.mockwcf_scenario(CERTIFICATE)
def test_a_certificate_bootstrap_confirms_its_signatures_and_the_session_works(mockwcf_server):
    """wsHttpBinding Message Certificate: the MutualCertificate bootstrap (WSS 1.1, RequireSignatureConfirmation)
    answers the RST with SignatureConfirmation; the steady state (RequireSignatureConfirmation false) does not."""
    session = _session(mockwcf_server, certificate=True)
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 200, resp.text
    opened = client.open_reply(resp.content, session.key, client.names_context(session))
    assert opened.find(f".//{{{ns.WSSE11}}}SignatureConfirmation") is None
    steps = " ".join(s["detail"] for s in mockwcf_server.last().steps)
    assert "X509 'CN=" in steps, steps  # the session's identity is the bootstrap's client certificate


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_the_wsdl_policy_names_the_sct_and_its_symmetric_bootstrap(mockwcf_server):
    wsdl = etree.fromstring(requests.get(mockwcf_server.wsdl_url, timeout=10).content)
    sp = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
    token = wsdl.find(f".//{{{sp}}}ProtectionToken//{{{sp}}}SecureConversationToken")
    assert token is not None and token.find(f".//{{{sp}}}RequireDerivedKeys") is not None
    boot = token.find(f".//{{{sp}}}BootstrapPolicy")
    assert boot.find(f".//{{{sp}}}SymmetricBinding//{{{sp}}}X509Token") is not None
    assert boot.find(f".//{{{sp}}}SignedEncryptedSupportingTokens//{{{sp}}}UsernameToken") is not None
    assert wsdl.find(f".//{{{sp}}}Trust10") is not None


COOKIE = {
    "binding": {
        **CUSTOM["binding"],
        "security": {**CUSTOM["binding"]["security"], "requireCancellation": False},
    },
    "credentials": CUSTOM["credentials"],
}


@pytest.mark.mockwcf_scenario(COOKIE)
def test_a_cookie_sct_works_until_the_node_loses_its_key(mockwcf_server):
    """requireCancellation false: no session demux, the SCT's dnse:Cookie carries the state; a restart loses the
    per-node key (DPAPI's effect), so the same cookie can no longer be decoded (seed 003 over Message security)."""
    session = _session(mockwcf_server)
    assert "Cookie" in session.sct_xml
    for _ in range(2):
        resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
        assert resp.status_code == 200, resp.text
        client.open_reply(resp.content, session.key, client.names_context(session))
    mockwcf_server.admin("POST", "nodes/1/restart")
    resp = _post(mockwcf_server.url, client.call(mockwcf_server.url, session))
    assert resp.status_code == 500 and b"InvalidSecurity" in resp.content
    mockwcf_server.assert_fault("SecurityStateEncoderDecodingFailure")
