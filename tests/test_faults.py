"""Faults on the wire: golden envelopes, and every catalog code through a scenario rule with zeep."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import zeep
from lxml import etree
from zeep.wsse.username import UsernameToken

from mockwcf import catalog, exceptiondetail, ns
from mockwcf.faults import WIRE_FAULTS, FaultSettings, Rejection, render
from tests import wss

GOLDEN = Path(__file__).parent / "golden"
RELATES = "urn:uuid:6a5f1c1e-0000-4000-8000-000000000001"


def _canon(data: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    return etree.tostring(etree.fromstring(data, parser), method="c14n")


@pytest.mark.parametrize("soap12", [False, True])
@pytest.mark.parametrize("diagnostics", [False, True])
def test_golden_fault_envelopes(soap12, diagnostics):
    rej = Rejection("TimeStampHasExpiryTimeInPast", "golden specifics", step="timestamp")
    fs = FaultSettings(soap12=soap12, addressing=soap12, diagnostics=diagnostics, relates_to=RELATES)
    reply = render(rej, fs)
    name = f"soap{'12' if soap12 else '11'}-{'diagnostics' if diagnostics else 'bare'}.xml"
    assert _canon(reply.body) == _canon((GOLDEN / name).read_bytes())
    assert reply.status == 500
    headers = dict(reply.headers)
    assert headers["Content-Type"] == (ns.CONTENT_TYPE_12 if soap12 else ns.CONTENT_TYPE_11)
    assert ("X-MockWcf-Resource-Code" in headers) is diagnostics


def test_bare_mode_has_no_trace_of_mockwcf():
    reply = render(Rejection("X509ChainBuildFail", "chain"), FaultSettings(False, False, False))
    assert b"mockwcf" not in reply.body and b"X509ChainBuildFail" not in reply.body
    assert b"a:FailedAuthentication" in reply.body


SEED_CODES = [e.code for e in catalog.entries() if e.origin == "seed"]


def _rules_scenario() -> dict:
    rules = [
        {
            "match": {"xpath": f"//*[local-name()='text']='{code}'"},
            "fault": code,
            "message": f"rule for {code}",
        }
        for code in SEED_CODES
    ]
    return {
        "name": "every-code",
        "binding": {
            "type": "basicHttpBinding",
            "security": {"mode": "TransportWithMessageCredential", "allowInsecureTransport": True},
        },
        "credentials": {"userNameAuthentication": {"users": {"alice": "p@ssw0rd"}}},
        "rules": rules,
    }


def test_every_seed_code_through_a_rule_reaches_zeep_as_wcf_fault(mockwcf_server):
    mockwcf_server.load(_rules_scenario())
    client = zeep.Client(mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "p@ssw0rd"))
    for code in SEED_CODES:
        wire = WIRE_FAULTS[catalog.get(code).fault]
        with pytest.raises(zeep.exceptions.Fault) as err:
            client.service.Echo(text=code)
        assert err.value.code == f"a:{wire.subcode}", code  # SOAP 1.1: the subcode is the faultcode
        expected_reason = wire.reason.format(
            action="http://tempuri.org/IEchoService/Echo", message="", header="", header_ns=""
        )
        assert err.value.message == expected_reason, code
        diagnosis = exceptiondetail.parse(err.value.detail)
        assert (diagnosis.code, diagnosis.specifics) == (code, f"rule for {code}")
        assert diagnosis.cause == catalog.get(code).string
        assert diagnosis.type == exceptiondetail.TYPES[wire.name][0]
        entry = mockwcf_server.assert_fault(code)
        assert entry.rule == SEED_CODES.index(code)
        assert entry.wire_code == wire.subcode and entry.reason == f"rule for {code}"


def test_diagnostics_header_names_the_code(mockwcf_server):
    mockwcf_server.load(_rules_scenario())
    body = wss.envelope(wss.security(wss.username_token()), text="SecuritySessionLimitReached")
    resp = wss.post(mockwcf_server.url, body)
    assert resp.status_code == 500
    assert resp.headers["X-MockWcf-Resource-Code"] == "SecuritySessionLimitReached"
    root = etree.fromstring(resp.content)
    assert root.find(".//faultcode").text == "a:ServerTooBusy"


def _scenario(rules: list[dict], **extra) -> dict:
    base = {
        "binding": {"type": "basicHttpBinding"},
        "service": {
            "operations": [
                {"name": "Echo", "input": {"text": "string"}, "output": {"EchoResult": "string"}},
                {
                    "name": "Ping",
                    "input": {},
                    "output": {"PingResult": "string"},
                    "reply": {"PingResult": "pong"},
                },
            ]
        },
        "rules": rules,
    }
    base.update(extra)
    return base


def test_call_every_and_operation_matching(mockwcf_server):
    mockwcf_server.load(
        _scenario(
            [
                {"match": {"operation": "Echo", "call": 2}, "fault": "InvalidOrReplayedNonce"},
                {"match": {"operation": "Ping", "every": 2}, "httpStatus": {"status": 503, "body": "busy"}},
            ]
        )
    )
    client = zeep.Client(mockwcf_server.wsdl_url)
    assert client.service.Echo(text="1") == "1"
    with pytest.raises(zeep.exceptions.Fault):
        client.service.Echo(text="2")
    assert client.service.Echo(text="3") == "3"
    assert client.service.Ping() == "pong"
    resp = wss.post(
        mockwcf_server.url,
        wss.envelope(body='<Ping xmlns="http://tempuri.org/"/>'),
        action="http://tempuri.org/IEchoService/Ping",
    )
    assert resp.status_code == 503 and resp.text == "busy"
    assert [e.rule for e in mockwcf_server.journal] == [None, 0, None, None, 1]


def test_custom_fault_and_phase_receive_beats_security(mockwcf_server):
    mockwcf_server.load(
        _scenario(
            [
                {
                    "phase": "receive",
                    "match": {"xpath": "//*[local-name()='text']='boom'"},
                    "customFault": {
                        "code": "Receiver",
                        "subcode": "{urn:app}Boom",
                        "reason": "custom reason",
                        "detail": "<x:Why xmlns:x='urn:app'>because</x:Why>",
                    },
                }
            ],
            binding={
                "type": "basicHttpBinding",
                "security": {"mode": "TransportWithMessageCredential", "allowInsecureTransport": True},
            },
            credentials={"userNameAuthentication": {"users": {"alice": "p@ssw0rd"}}},
        )
    )
    client = zeep.Client(mockwcf_server.wsdl_url)  # no credentials: security would reject it
    with pytest.raises(zeep.exceptions.Fault) as err:
        client.service.Echo(text="boom")
    assert err.value.message == "custom reason" and err.value.code == "a:Boom"
    assert err.value.detail.find("{urn:app}Why").text == "because"
    with pytest.raises(zeep.exceptions.Fault):
        client.service.Echo(text="other")
    mockwcf_server.assert_fault("UnableToFindSecurityHeaderInMessage")


def test_delay_and_dropped_connection(mockwcf_server):
    mockwcf_server.load(
        _scenario(
            [
                {"match": {"xpath": "//*[local-name()='text']='slow'"}, "delay": "00:00:00.3"},
                {"match": {"xpath": "//*[local-name()='text']='drop'"}, "drop": True},
            ]
        )
    )
    client = zeep.Client(mockwcf_server.wsdl_url)
    start = time.monotonic()
    assert client.service.Echo(text="slow") == "slow"
    assert time.monotonic() - start >= 0.3
    with pytest.raises(requests.exceptions.ConnectionError):
        client.service.Echo(text="drop")
    assert mockwcf_server.journal[-1].rule == 1


def test_rule_matching_by_node(mockwcf_server):
    data = _scenario([{"match": {"node": 2}, "fault": "BadContextTokenFaultReason"}])
    data["farm"] = {"nodes": 2}
    mockwcf_server.load(data)
    codes = [wss.post(mockwcf_server.url, wss.envelope(text=str(i))).status_code for i in range(4)]
    assert codes == [200, 500, 200, 500]
    assert [(e.node, e.resource_code) for e in mockwcf_server.journal] == [
        (1, None),
        (2, "BadContextTokenFaultReason"),
        (1, None),
        (2, "BadContextTokenFaultReason"),
    ]
    body = mockwcf_server.journal[1].response
    assert b"a:BadContextToken" in body and ns.WSC.encode() in body


def test_injected_fault_with_delay(mockwcf_server):
    mockwcf_server.load(_scenario([{"fault": "SecuritySessionAbortedFaultReason", "delay": "00:00:00.2"}]))
    start = time.monotonic()
    resp = wss.post(mockwcf_server.url, wss.envelope())
    assert time.monotonic() - start >= 0.2
    assert (
        resp.status_code == 500
        and resp.headers["X-MockWcf-Resource-Code"] == "SecuritySessionAbortedFaultReason"
    )
    assert mockwcf_server.journal[-1].rule == 0


@pytest.mark.parametrize(
    "code", ["UserNameAuthenticationFailed", "X509ChainBuildFail", "AnonymousLogonsAreNotAllowed"]
)
def test_detail_is_wcfs_exception_detail_data_contract(code):
    """Member names, order and nil marks as DataContractSerializer writes System.ServiceModel.ExceptionDetail;
    the detail holds that one element (a second one makes .NET's FaultFormatter throw)."""
    reply = render(Rejection(code, "specifics", step="username"), FaultSettings(False, False, True))
    detail = etree.fromstring(reply.body).find(".//detail")
    assert len(detail) == 1
    (ed,) = detail
    members = ["HelpLink", "InnerException", "Message", "StackTrace", "Type"]
    assert ed.tag == f"{{{exceptiondetail.NS}}}ExceptionDetail"
    assert [etree.QName(c).localname for c in ed] == members
    inner = ed.find(f"{{{exceptiondetail.NS}}}InnerException")
    assert [etree.QName(c).localname for c in inner] == members
    nil = f"{{{exceptiondetail.XSI}}}nil"
    assert inner.find(f"{{{exceptiondetail.NS}}}InnerException").get(nil) == "true"
    diagnosis = exceptiondetail.parse(detail)
    entry = catalog.get(code)
    assert diagnosis.code == code and diagnosis.specifics == "specifics" and diagnosis.hint == entry.hint
    assert diagnosis.cause == entry.string
    assert diagnosis.type == "System.ServiceModel.Security.MessageSecurityException"
    assert "CustomUserNameSecurityTokenAuthenticator.ValidateUserNamePasswordCore" in diagnosis.stack_trace
    assert diagnosis.help_link == (f"docs/troubleshooting.md#{code}" if entry.receive_path else None)


@pytest.mark.parametrize(
    "code,subcode",
    [
        ("SecuritySessionAbortedFaultReason", f"{{{ns.DNSE}}}SecuritySessionAborted"),
        ("SecurityRenewFaultReason", f"{{{ns.WSC}}}RenewNeeded"),
    ],
)
def test_session_channel_faults_carry_the_secure_conversation_fault_action(code, subcode):
    """SecuritySessionClientSettings acts on RenewNeeded / SecuritySessionAborted only when the fault's action is
    DotNetSecurityStrings.SecuritySessionFaultAction (ServerSecuritySessionChannel.SendRenewFault sends it)."""
    reply = render(Rejection(code, "rule"), FaultSettings(True, True, False))
    root = etree.fromstring(reply.body)
    assert root.findtext(f".//{{{ns.WSA10}}}Action") == ns.SECURITY_SESSION_FAULT_ACTION
    sub = root.find(f".//{{{ns.SOAP12}}}Subcode/{{{ns.SOAP12}}}Value")
    prefix, local = sub.text.split(":")
    assert f"{{{sub.nsmap[prefix]}}}{local}" == subcode
