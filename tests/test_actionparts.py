"""An action the contract does not have, under Message security (security/actionparts.py): WCF's
MessageSecurityProtocol.ConfigureReceiveSecurityHeader asks MessageSecurityProtocolFactory.ExtractMessageParts for
the action's parts before it reads the header, and refuses with NoSignaturePartsSpecified and the fault that
exception carries (Sender, wsse:InvalidSecurity, SR.InvalidOrUnrecognizedAction). Over transport, or unsecured,
the dispatcher refuses it instead. Requests are signed by python-xmlsec."""

from __future__ import annotations

import pytest
from lxml import etree

from mockwcf import ns
from tests import wss
from tests.conftest import SCENARIOS
from tests.test_signature import signed
from tests.test_symmetric import _scenario, request

UNKNOWN = "http://tempuri.org/IEchoService/NoSuchOperation"
SEED001 = SCENARIOS / "seed001-mutual-certificate.yaml"
USERNAME_FOR_CERTIFICATE = _scenario(
    {
        "type": "customBinding",
        "messageVersion": "Soap12WSAddressing10",
        "security": {"authenticationMode": "UserNameForCertificate"},
    }
)
REASON = f"The message could not be processed because the action '{UNKNOWN}' is invalid or unrecognized."


def _reason(content: bytes) -> str:
    root = etree.fromstring(content)
    return "".join(root.find(".//{*}Reason").itertext() or root.find(".//faultstring").itertext())


def _subcode(content: bytes) -> str:
    root = etree.fromstring(content)
    value = root.find(".//{*}Subcode/{*}Value")
    text = value.text if value is not None else root.find(".//faultcode").text
    prefix, _, local = text.partition(":")
    return f"{{{(value if value is not None else root.find('.//faultcode')).nsmap[prefix]}}}{local}"


@pytest.mark.mockwcf_scenario(USERNAME_FOR_CERTIFICATE)
def test_symmetric_unknown_action_is_refused_before_the_header_is_read(mockwcf_server):
    # a well-formed request for an action the contract lacks
    sent = request(mockwcf_server.url, action=UNKNOWN)
    resp = wss.post(mockwcf_server.url, sent.body, soap12=True, action=UNKNOWN)
    wss.expect(mockwcf_server, resp, "NoSignaturePartsSpecified")
    assert _reason(resp.content) == REASON
    assert _subcode(resp.content) == f"{{{ns.WSSE}}}InvalidSecurity"
    # a header that could never verify gets the same answer: nothing of it is read first
    broken = request(mockwcf_server.url, action=UNKNOWN, password="wrong", wrap_alg=ns.RSA_15)
    resp = wss.post(mockwcf_server.url, broken.body, soap12=True, action=UNKNOWN)
    wss.expect(mockwcf_server, resp, "NoSignaturePartsSpecified")
    # the same request with the contract's action is served
    sent = request(mockwcf_server.url)
    wss.expect(mockwcf_server, wss.post(mockwcf_server.url, sent.body, soap12=True), None)


@pytest.mark.mockwcf_scenario(USERNAME_FOR_CERTIFICATE)
def test_a_missing_security_header_is_found_missing_first_and_an_empty_one_is_not(mockwcf_server):
    to = f'<a:To xmlns:a="{ns.WSA10}" s:mustUnderstand="1">{mockwcf_server.url}</a:To>'
    action = f'<a:Action xmlns:a="{ns.WSA10}" s:mustUnderstand="1">{UNKNOWN}</a:Action>'
    msgid = f'<a:MessageID xmlns:a="{ns.WSA10}">urn:uuid:1</a:MessageID>'
    bare = wss.envelope(action + msgid + to, soap12=True)
    resp = wss.post(mockwcf_server.url, bare, soap12=True, action=UNKNOWN)
    wss.expect(mockwcf_server, resp, "UnableToFindSecurityHeaderInMessage")
    empty = wss.envelope(action + msgid + to + wss.security(soap12=True), soap12=True)
    resp = wss.post(mockwcf_server.url, empty, soap12=True, action=UNKNOWN)
    wss.expect(mockwcf_server, resp, "NoSignaturePartsSpecified")  # before SecurityHeaderIsEmpty (Process)


@pytest.mark.mockwcf_scenario(SEED001)
def test_asymmetric_sign_only_unknown_action_soap11(mockwcf_server):
    """Seed 001 (MutualCertificate WSS 1.0, SOAP 1.1 without addressing: the action is the SOAPAction)."""
    doc = signed()
    resp = wss.post(mockwcf_server.url, doc, action=UNKNOWN)
    wss.expect(mockwcf_server, resp, "NoSignaturePartsSpecified", wire=REASON.encode())
    root = etree.fromstring(resp.content)
    assert root.find(".//faultcode").text.endswith(":InvalidSecurity")
    wss.expect(mockwcf_server, wss.post(mockwcf_server.url, doc), None)


@pytest.mark.mockwcf_scenario(SCENARIOS / "basichttp-username-transport.yaml")
def test_over_transport_the_dispatcher_refuses_an_unknown_action(mockwcf_server):
    """TransportSecurityProtocol asks for no message parts: the header is processed, then dispatch refuses."""
    doc = wss.envelope(wss.security(wss.timestamp(), wss.username_token()))
    resp = wss.post(mockwcf_server.url, doc, action=UNKNOWN)
    assert resp.status_code == 500
    assert mockwcf_server.last().resource_code not in (
        "NoSignaturePartsSpecified",
        "NoEncryptionPartsSpecified",
    )
    assert mockwcf_server.last().resource_code is not None
