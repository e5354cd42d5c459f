"""Secure conversation over loopback HTTP: wsHttpBinding TransportWithMessageCredential with
establishSecurityContext (its default), customBinding SecureConversation, and seed 003's farm rows.

The client is tests/sctclient.py; every call asserts the node that served it, the outcome and the code."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from lxml import etree

from mockwcf import ns
from tests import sctclient, wss
from tests.conftest import CERTS, SCENARIOS

USERS = {"userNameAuthentication": {"users": {"alice": "p@ssw0rd"}}}


def ws_http(binding: str = "wsHttpBinding", credential: str = "UserName", **farm: Any) -> dict[str, Any]:
    scenario: dict[str, Any] = {
        "binding": {
            "type": binding,
            "security": {
                "mode": "TransportWithMessageCredential",
                "clientCredentialType": credential,
                "allowInsecureTransport": True,
            },
        },
        "credentials": dict(USERS),
    }
    if farm:
        scenario["farm"] = farm
    return scenario


def custom(bootstrap: str, require_cancellation: bool = True, **farm: Any) -> dict[str, Any]:
    scenario: dict[str, Any] = {
        "binding": {
            "type": "customBinding",
            "messageVersion": "Soap12WSAddressing10",
            "security": {
                "authenticationMode": "SecureConversation",
                "secureConversationBootstrap": bootstrap,
                "requireCancellation": require_cancellation,
                "allowInsecureTransport": True,
            },
        },
        "credentials": {
            **USERS,
            "clientCertificate": {"trustedCertificates": [str(CERTS / "ca.pem")]},
            "serviceCertificate": {
                "certificate": str(CERTS / "service.pem"),
                "privateKey": str(CERTS / "service.key"),
            },
        },
    }
    if farm:
        scenario["farm"] = farm
    return scenario


def post(server, message: str, action: str = wss.ACTION) -> requests.Response:
    return wss.post(server.url, message, soap12=True, action=action)


def issue(server, version: str = "feb2005", rst: tuple[str, bytes | None] | None = None) -> sctclient.Session:
    request, entropy = rst or sctclient.rst(version)
    trust_ns = sctclient.VERSIONS[version][0]
    resp = post(server, request, f"{trust_ns}/RST/SCT")
    assert resp.status_code == 200, resp.text
    root = etree.fromstring(resp.content)
    assert root.findtext(f".//{{{ns.WSA10}}}Action") == f"{trust_ns}/RSTR/SCT"
    body = root.find(f"{{{ns.SOAP12}}}Body")[0]
    return sctclient.read_rstr(etree.tostring(body), version, entropy or b"")


def outcome(server) -> tuple[int, str, str | None]:
    e = server.last()
    return e.node, e.verdict, e.resource_code


def test_wshttp_establish_security_context_full_conversation(mockwcf_server):
    mockwcf_server.load(ws_http())
    s = issue(mockwcf_server)
    assert outcome(mockwcf_server) == (1, "accepted", None)
    for _ in range(3):
        resp = post(mockwcf_server, sctclient.call(s))
        assert resp.status_code == 200 and b"<EchoResult>hi</EchoResult>" in resp.content
        assert outcome(mockwcf_server) == (1, "accepted", None)
    sessions = mockwcf_server.admin("GET", "sessions")
    assert [(x["id"], x["calls"]) for x in sessions["1"]] == [(s.context_id, 3)]
    resp = post(mockwcf_server, sctclient.cancel(s), f"{ns.WST}/RST/SCT/Cancel")
    assert resp.status_code == 200 and b"RequestedTokenCancelled" in resp.content
    assert mockwcf_server.admin("GET", "sessions") == {"1": []}
    resp = post(mockwcf_server, sctclient.call(s))
    assert resp.status_code == 500
    root = etree.fromstring(resp.content)
    assert root.find(f".//{{{ns.SOAP12}}}Subcode/{{{ns.SOAP12}}}Value").text == "a:BadContextToken"
    assert f"the action '{wss.ACTION}' is incorrect" in root.findtext(f".//{{{ns.SOAP12}}}Text")
    assert outcome(mockwcf_server) == (1, "rejected", "CannotFindSecuritySession")


def test_a_plain_username_client_at_an_establish_security_context_endpoint(mockwcf_server):
    """What zeep-style clients see at a default wsHttpBinding TWMC endpoint: the demux fault."""
    mockwcf_server.load(ws_http())
    doc = wss.envelope(
        wss.addressing() + wss.security(wss.timestamp(), wss.username_token(), soap12=True), soap12=True
    )
    assert post(mockwcf_server, doc).status_code == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession")


def test_bootstrap_credentials_are_checked_on_the_rst(mockwcf_server):
    mockwcf_server.load(ws_http())
    request, _ = sctclient.rst(user="mallory")
    assert post(mockwcf_server, request, f"{ns.WST}/RST/SCT").status_code == 500
    mockwcf_server.assert_fault("UserNameAuthenticationFailed")


def test_ws2007_issues_an_rstr_collection_with_wssx_13(mockwcf_server):
    mockwcf_server.load(ws_http("ws2007HttpBinding"))
    s = issue(mockwcf_server, "1.3")
    collection = s.rstr.getparent()  # WS-Trust 1.3 wraps the issue reply in a collection (WSTrustDec2005)
    assert collection is not None
    assert etree.QName(collection).localname == "RequestSecurityTokenResponseCollection"
    assert etree.QName(collection).namespace == etree.QName(s.rstr).namespace == ns.WST13
    assert post(mockwcf_server, sctclient.call(s)).status_code == 200
    resp = post(mockwcf_server, sctclient.cancel(s), f"{ns.WST13}/RST/SCT/Cancel")
    assert b"RequestSecurityTokenResponseCollection" in resp.content


def test_custom_binding_certificate_over_transport_bootstrap(mockwcf_server):
    mockwcf_server.load(custom("CertificateOverTransport"))
    request, entropy = sctclient.rst(user=None)
    signed = wss.sign(
        request.replace("</wsu:Timestamp>", "</wsu:Timestamp>" + wss.bst(CERTS / "client.pem"), 1),
        CERTS / "client.key",
        CERTS / "client.pem",
        ["_0", "_1"],
    )
    s = issue(mockwcf_server, rst=(signed, entropy))
    assert "CN=" in mockwcf_server.admin("GET", "sessions")["1"][0]["identity"]
    assert post(mockwcf_server, sctclient.call(s)).status_code == 200


OK, GONE, UNDECODABLE = None, "CannotFindSecuritySession", "SecurityStateEncoderDecodingFailure"
# scenario -> per call after the RST: (same node as the issuer?, expected code), for call 1-3, Cancel, call 4
SEED_003 = {
    "seed003-session-round-robin": [(False, GONE), (True, OK), (False, GONE), (True, OK), (False, GONE)],
    "seed003-session-sticky": [(True, OK)] * 4 + [(True, GONE)],
    "seed003-cookie-per-node": [(False, UNDECODABLE), (True, OK), (False, UNDECODABLE)],
    "seed003-cookie-shared-key": [(False, OK), (True, OK), (False, OK)],
    "seed003-cookie-certificate": [(False, OK), (True, OK), (False, OK)],
}


@pytest.mark.parametrize("name", sorted(SEED_003))
def test_seed_003_scenarios(mockwcf_server, name):
    """Each scenario's conversation: issue, three calls, then (session SCTs) Cancel and a call after it."""
    mockwcf_server.load(SCENARIOS / f"{name}.yaml")
    s = issue(mockwcf_server)
    issuer = mockwcf_server.last().node
    steps = [sctclient.call(s)] * 3 + [sctclient.cancel(s), sctclient.call(s)]
    for i, (same_node, code) in enumerate(SEED_003[name]):
        action = f"{ns.WST}/RST/SCT/Cancel" if i == 3 else wss.ACTION
        resp = post(mockwcf_server, steps[i], action)
        node, verdict, got = outcome(mockwcf_server)
        assert (node == issuer, got) == (same_node, code), f"call {i + 1} of {name}"
        assert resp.status_code == (200 if code is None else 500) and verdict == (
            "accepted" if code is None else "rejected"
        )


def test_establish_security_context_false_works_on_every_node(mockwcf_server):
    mockwcf_server.load(SCENARIOS / "seed003-no-security-context.yaml")
    doc = wss.envelope(
        wss.addressing() + wss.security(wss.timestamp(), wss.username_token(), soap12=True), soap12=True
    )
    nodes = set()
    for _ in range(2):
        assert post(mockwcf_server, doc).status_code == 200
        nodes.add(mockwcf_server.last().node)
    assert nodes == {1, 2}


def test_node_restart_loses_sessions_and_the_node_key(mockwcf_server):
    mockwcf_server.load(ws_http())
    s = issue(mockwcf_server)
    assert post(mockwcf_server, sctclient.call(s)).status_code == 200
    assert mockwcf_server.admin("POST", "nodes/1/restart") == {"status": "restarted", "node": 1}
    assert post(mockwcf_server, sctclient.call(s)).status_code == 500
    assert outcome(mockwcf_server) == (1, "rejected", "CannotFindSecuritySession")
    mockwcf_server.load(custom("UserNameOverTransport", False))
    c = issue(mockwcf_server)
    assert post(mockwcf_server, sctclient.call(c)).status_code == 200
    mockwcf_server.admin("POST", "nodes/1/restart")
    assert post(mockwcf_server, sctclient.call(c)).status_code == 500
    assert outcome(mockwcf_server) == (1, "rejected", "SecurityStateEncoderDecodingFailure")


def test_renew_over_the_wire_then_the_new_generation(mockwcf_server):
    mockwcf_server.load(ws_http())
    s = issue(mockwcf_server)
    assert post(mockwcf_server, sctclient.call(s)).status_code == 200
    message, entropy = sctclient.renew(s)
    resp = post(mockwcf_server, message, f"{ns.WST}/RST/SCT/Renew")
    assert resp.status_code == 200, resp.text
    assert etree.fromstring(resp.content).findtext(f".//{{{ns.WSA10}}}Action") == f"{ns.WST}/RSTR/SCT/Renew"
    body = etree.fromstring(resp.content).find(f"{{{ns.SOAP12}}}Body")[0]
    s2 = sctclient.read_rstr(etree.tostring(body), "feb2005", entropy)
    assert s2.context_id == s.context_id and s2.key != s.key
    assert post(mockwcf_server, sctclient.call(s2)).status_code == 200
    assert outcome(mockwcf_server) == (1, "accepted", None)
    assert post(mockwcf_server, sctclient.cancel(s2), f"{ns.WST}/RST/SCT/Cancel").status_code == 200


def test_wsdl_exports_the_secure_conversation_token_and_its_bootstrap(mockwcf_server):
    mockwcf_server.load(SCENARIOS / "seed003-cookie-per-node.yaml")
    root = etree.fromstring(requests.get(mockwcf_server.wsdl_url, timeout=10).content)
    sp = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
    sct = root.find(f".//{{{sp}}}EndorsingSupportingTokens//{{{sp}}}SecureConversationToken")
    assert sct is not None and sct.find(f".//{{{sp}}}MustNotSendCancel") is not None
    assert sct.find(f".//{{{sp}}}BootstrapPolicy//{{{sp}}}UsernameToken") is not None
    assert root.find(f".//{{{sp}}}Trust10/*/{{{sp}}}RequireClientEntropy") is not None


@pytest.mark.parametrize(
    "extra,code",
    [
        (wss.username_token(), "UnableToFindTokenAuthenticator"),
        ('<x:Junk xmlns:x="urn:junk"/>', "CannotReadToken"),
    ],
)
def test_steady_state_header_elements_go_through_read_token(mockwcf_server, extra, code):
    """Over transport the steady state's only token authenticator is the SCT's: another token in the header
    has no authenticator (ReceiveSecurityHeader.ReadToken), an unknown element cannot be read."""
    mockwcf_server.load(ws_http())
    s = issue(mockwcf_server)
    resp = post(mockwcf_server, sctclient.call(s, sct_xml=s.sct_xml + extra))
    assert resp.status_code == 500
    mockwcf_server.assert_fault(code, nth=-1)


@pytest.mark.mockwcf_scenario(
    {**ws_http(), "localServiceSettings": {"maxStatefulNegotiations": 1, "maxPendingSessions": 3}}
)
def test_max_stateful_negotiations_does_not_limit_sct_issuance(mockwcf_server):
    """WCF applies MaxStatefulNegotiations to multi-leg negotiation state (NegotiationTokenAuthenticatorStateCache,
    never filled by a one-leg RST/SCT) and to the issuer's throttle, which queues: three SCTs are issued with a
    limit of one; the fourth pending session is refused by maxPendingSessions (SecuritySessionLimitReached)."""
    for _ in range(3):
        issue(mockwcf_server)
        mockwcf_server.assert_accepted()
    request, _ = sctclient.rst()
    resp = post(mockwcf_server, request, f"{ns.WST}/RST/SCT")
    assert resp.status_code == 500 and b"ServerTooBusy" in resp.content
    mockwcf_server.assert_fault("SecuritySessionLimitReached")


@pytest.mark.mockwcf_scenario({**ws_http(), "localServiceSettings": {"maxClockSkew": "00:30:00"}})
def test_an_idle_session_is_dropped_without_a_session_aborted_fault(mockwcf_server):
    """WCF's server never sends dnse:SecuritySessionAborted (ServerSecuritySessionChannel builds the code, no path
    sends it): an established session idle past the receive timeout (10 minutes) is aborted, and its next message
    fails the demux with wsc:BadContextToken."""
    mockwcf_server.set_clock(offset="-00:11:00")
    s = issue(mockwcf_server)
    assert post(mockwcf_server, sctclient.call(s)).status_code == 200
    mockwcf_server.set_clock()
    resp = post(mockwcf_server, sctclient.call(s))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("CannotFindSecuritySession")
    assert b"BadContextToken" in resp.content and b"SecuritySessionAborted" not in resp.content
