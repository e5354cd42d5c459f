"""The service body: contracts, SOAP 1.1/1.2, WSDL, actions, the admin API and hostile input."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
import warnings

import pytest
import requests
import zeep
from lxml import etree
from zeep.wsse.username import UsernameToken

from mockwcf import ns
from tests import wss
from tests.conftest import SCENARIOS

ALL_TYPES = {
    "s": "string",
    "i": "int",
    "l": "long",
    "b": "boolean",
    "d": "decimal",
    "f": "double",
    "t": "dateTime",
    "bin": "base64Binary",
    "li": "int[]",
    "ls": "string[]",
}
TYPED = {
    "name": "typed",
    "binding": {"type": "basicHttpBinding"},
    "service": {
        "name": "TypesService",
        "operations": [
            {
                "name": "Echo",
                "input": {"text": "string"},
                "output": {"EchoResult": "string"},
                "reply": {"EchoResult": "you said {text}"},
            },
            {
                "name": "AllTypes",
                "input": ALL_TYPES,
                "output": ALL_TYPES,
                "reply": {
                    "s": "{s}",
                    "i": "{i}",
                    "l": "{l}",
                    "b": "{b}",
                    "d": "{d}",
                    "f": "{f}",
                    "t": "{t}",
                    "bin": "{bin}",
                    "li": "{li}",
                    "ls": "{ls}",
                },
            },
            {
                "name": "Canned",
                "input": {},
                "output": {"n": "int", "words": "string[]"},
                "reply": {"n": 7, "words": ["a", "b"]},
            },
        ],
    },
}


@pytest.mark.mockwcf_scenario(TYPED)
def test_typed_operations_round_trip_through_zeep(mockwcf_server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = zeep.Client(mockwcf_server.wsdl_url)
    assert client.service.Echo(text="hi") == "you said hi"
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    res = client.service.AllTypes(
        s="x",
        i=5,
        l=2**40,
        b=True,
        d=decimal.Decimal("1.25"),
        f=2.5,
        t=when,
        bin=b"\x00\x01",
        li={"int": [1, 2]},
        ls={"string": ["p", "q"]},
    )
    assert (res.s, res.i, res.l, res.b, res.d, res.f) == ("x", 5, 2**40, True, decimal.Decimal("1.25"), 2.5)
    assert res.t == when and res.bin == b"\x00\x01"
    assert res.li.int == [1, 2] and res.ls.string == ["p", "q"]
    canned = client.service.Canned()
    assert canned.n == 7 and canned.words.string == ["a", "b"]


@pytest.mark.mockwcf_scenario(TYPED)
def test_wsdl_uses_wcf_actions_and_single_wsdl(mockwcf_server):
    for query in ("wsdl", "singleWsdl"):
        resp = requests.get(f"{mockwcf_server.url}?{query}", timeout=5)
        assert resp.status_code == 200
        root = etree.fromstring(resp.content)
        actions = {
            op.get("soapAction") for op in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}operation")
        }
        assert "http://tempuri.org/ITypesService/Echo" in actions
        addr = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
        assert addr.get("location") == mockwcf_server.url


def _soap12_username_request(action: str) -> tuple[str, str]:
    """A SOAP 1.2 request with a UsernameToken, wsa:Action and a fresh wsa:MessageID (returned too)."""
    msg_id = f"urn:uuid:{uuid.uuid4()}"
    body = wss.envelope(
        wss.security(wss.username_token(), soap12=True)
        + f'<a:Action xmlns:a="{ns.WSA10}">{action}</a:Action>'
        + f'<a:MessageID xmlns:a="{ns.WSA10}">{msg_id}</a:MessageID>',
        soap12=True,
    )
    return msg_id, body


@pytest.mark.mockwcf_scenario(SCENARIOS / "wshttp-username-transport.yaml")
def test_soap12_wshttp_with_addressing_and_relates_to(mockwcf_server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = zeep.Client(mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "p@ssw0rd"))
    assert client.service.Echo(text="soap12") == "soap12"
    entry = mockwcf_server.assert_accepted()
    assert entry.action == "http://tempuri.org/IEchoService/Echo"
    msg_id, body = _soap12_username_request("http://tempuri.org/IEchoService/Echo")
    resp = wss.post(mockwcf_server.url, body, soap12=True)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == ns.CONTENT_TYPE_12
    root = etree.fromstring(resp.content)
    assert root.find(f".//{{{ns.WSA10}}}RelatesTo").text == msg_id
    assert root.find(f".//{{{ns.WSA10}}}Action").text == "http://tempuri.org/IEchoService/EchoResponse"
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    assert sec.get(f"{{{ns.SOAP12}}}mustUnderstand") == "1"
    assert [etree.QName(c).localname for c in sec] == ["Timestamp"]


@pytest.mark.mockwcf_scenario(SCENARIOS / "wshttp-username-transport.yaml")
def test_wrong_action_gets_action_not_supported_with_relates_to(mockwcf_server):
    msg_id, body = _soap12_username_request("http://tempuri.org/IEchoService/Nope")
    resp = wss.post(mockwcf_server.url, body, soap12=True, action="http://tempuri.org/IEchoService/Nope")
    assert resp.status_code == 500
    root = etree.fromstring(resp.content)
    assert root.find(f".//{{{ns.SOAP12}}}Subcode/{{{ns.SOAP12}}}Value").text == "a:ActionNotSupported"
    assert "ContractFilter mismatch" in root.find(f".//{{{ns.SOAP12}}}Text").text
    assert root.find(f".//{{{ns.WSA10}}}Action").text == "http://www.w3.org/2005/08/addressing/fault"
    assert root.find(f".//{{{ns.WSA10}}}RelatesTo").text == msg_id
    mockwcf_server.assert_fault("SFxNoEndpointMatchingContract")


@pytest.mark.mockwcf_scenario(SCENARIOS / "unsecured.yaml")
def test_soap11_wrong_soapaction(mockwcf_server):
    resp = wss.post(mockwcf_server.url, wss.envelope(), action="Echo")
    assert resp.status_code == 500
    fault = etree.fromstring(resp.content).find(".//faultcode")
    assert fault.text == "a:ActionNotSupported" and fault.nsmap["a"] == ns.WSA_NONE


@pytest.mark.mockwcf_scenario(SCENARIOS / "unsecured.yaml")
@pytest.mark.parametrize(
    "body,content_type,status,code",
    [
        (b"<s:Envelope", None, 400, "MalformedMessage"),
        (b"<notsoap/>", None, 400, "MalformedMessage"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', None, 400, "MalformedMessage"),
        (b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>', None, 400, "MalformedMessage"),
        (wss.envelope(soap12=True).encode(), None, 400, "EncoderEnvelopeVersionMismatch"),
        (wss.envelope().encode(), "application/soap+xml; charset=utf-8", 415, "ContentTypeMismatch"),
        (wss.envelope().encode(), "application/json", 415, "ContentTypeMismatch"),
        (wss.envelope(text="x" * 70000).encode(), None, 413, "MaxReceivedMessageSizeExceeded"),
    ],
)
def test_hostile_input_is_answered_like_wcf(mockwcf_server, body, content_type, status, code):
    resp = wss.post(mockwcf_server.url, body, content_type=content_type)
    assert resp.status_code == status
    assert resp.headers["X-MockWcf-Resource-Code"] == code
    assert "Traceback" not in resp.text
    mockwcf_server.assert_fault(code)


@pytest.mark.mockwcf_scenario(SCENARIOS / "unsecured.yaml")
def test_unknown_operation_and_bad_values(mockwcf_server):
    resp = wss.post(
        mockwcf_server.url,
        wss.envelope(body='<Nope xmlns="http://tempuri.org/"/>'),
        action="http://tempuri.org/IEchoService/Nope",
    )
    assert resp.status_code == 500
    mockwcf_server.assert_fault("SFxNoEndpointMatchingContract")
    resp = wss.post(
        mockwcf_server.url,
        wss.envelope(body='<Add xmlns="http://tempuri.org/"><a>one</a></Add>'),
        action="http://tempuri.org/IEchoService/Add",
    )
    assert resp.status_code == 500 and "DeserializationFailed" in resp.text
    mockwcf_server.assert_fault("SFxDeserializationFailed1")


def test_admin_api_round_trip(mockwcf_server):
    mockwcf_server.load(SCENARIOS / "unsecured.yaml")
    assert mockwcf_server.admin("GET", "health") == {
        "status": "ok",
        "scenario": "unsecured",
        "endpoints": [{"path": "/EchoService.svc", "scenario": "unsecured", "binding": "basicHttpBinding"}],
    }
    zeep.Client(mockwcf_server.wsdl_url).service.Echo(text="journal me")
    exchanges = mockwcf_server.admin("GET", "exchanges")
    assert exchanges[-1]["verdict"] == "accepted" and exchanges[-1]["operation"] == "Echo"
    one = mockwcf_server.admin("GET", f"exchanges/{exchanges[-1]['id']}")
    assert "journal me" in one["request"] and "journal me" in one["response"]
    assert mockwcf_server.admin("POST", "clock", json.dumps({"offset": "+00:07:00"}).encode()) == {
        "offset": "+00:07:00"
    }
    assert mockwcf_server.admin("GET", "clock") == {"offset": "+00:07:00"}
    frozen = mockwcf_server.admin("POST", "clock", json.dumps({"frozenAt": "2026-01-01T00:00:00Z"}).encode())
    assert frozen == {"frozenAt": "2026-01-01T00:00:00Z"}
    assert mockwcf_server.admin("POST", "reset") == {"status": "reset"}
    assert mockwcf_server.admin("GET", "exchanges") == []
    yaml_text = (SCENARIOS / "username-over-http.yaml").read_text()
    assert mockwcf_server.admin("PUT", "scenario", yaml_text.encode()) == {
        "status": "ok",
        "scenario": "username-over-http",
        "replaced": ["/EchoService.svc"],
    }
    assert mockwcf_server.admin("GET", "health")["scenario"] == "username-over-http"
    resp = requests.put(
        f"{mockwcf_server.base_url}/_mockwcf/scenario", data=b"binding: {type: nope}", timeout=5
    )
    assert resp.status_code == 400
    assert resp.json()["problems"][0].startswith("<PUT /_mockwcf/scenario>:1: binding.type:")
    assert requests.get(f"{mockwcf_server.base_url}/_mockwcf/exchanges/999999", timeout=5).status_code == 404


def test_journal_is_bounded(mockwcf_server):
    mockwcf_server.load({"binding": {"type": "basicHttpBinding"}, "journal": {"maxEntries": 3}})
    for i in range(5):
        wss.post(mockwcf_server.url, wss.envelope(text=str(i)))
    entries = mockwcf_server.journal
    assert len(entries) == 3 and [e.id for e in entries] == sorted(e.id for e in entries)
    assert b">4<" in entries[-1].request


@pytest.mark.mockwcf_scenario(SCENARIOS / "unsecured.yaml")
@pytest.mark.parametrize(
    "body,found",
    [
        ('<Add xmlns="http://tempuri.org/"><a>1</a></Add>', "node type 'Element' with name 'Add'"),
        ('<Echo xmlns="http://example.org/"><text>x</text></Echo>', "namespace 'http://example.org/'"),
        ("just text", "node type 'Text'"),
    ],
)
def test_body_without_the_operations_wrapper_is_wcfs_invalid_message_body(mockwcf_server, body, found):
    """OperationFormatter: the action picks Echo, so the Body must start with tns:Echo (SFxInvalidMessageBody,
    a SerializationException the client sees as the generic InternalServiceFault)."""
    resp = wss.post(
        mockwcf_server.url, wss.envelope(body=body), action="http://tempuri.org/IEchoService/Echo"
    )
    assert resp.status_code == 500
    assert "InternalServiceFault" in resp.text
    mockwcf_server.assert_fault("SFxInvalidMessageBody")
    assert found in mockwcf_server.last().reason


@pytest.mark.mockwcf_scenario(SCENARIOS / "unsecured.yaml")
def test_empty_body_gives_default_parameters_as_message_is_empty_does(mockwcf_server):
    resp = wss.post(mockwcf_server.url, wss.envelope(body=" "), action="http://tempuri.org/IEchoService/Echo")
    assert resp.status_code == 200, resp.text


FLAT_OPERATIONS = [
    {
        "name": "Mixed",
        "input": {"text": "string", "n": "int"},
        "output": {"same": "string", "said": "string", "fixed": "int", "none": "string", "when": "dateTime"},
        "reply": {"same": "{text}", "said": "a<{text}>", "fixed": 42, "when": "2026-01-02T03:04:05Z"},
    },
    {"name": "Broken", "input": {"text": "string"}, "output": {"n": "int"}, "reply": {"n": "1{text}"}},
]
FLAT = dict(
    TYPED, name="flat", service=dict(TYPED["service"], name="FlatService", operations=FLAT_OPERATIONS)
)


def test_flat_operations_read_and_write_with_fields_prepared_at_load():
    """Constant outputs are written once at load; templates, nil and bad filled-in values behave per request
    (a constant that cannot be written is a load error: tests/test_scenario.py)."""
    from mockwcf.faults import Rejection
    from mockwcf.scenario import load_dict
    from mockwcf.service import Contract

    scenario = load_dict(FLAT)
    contract = Contract(scenario)
    mixed, broken = scenario.service.operations
    payload = etree.fromstring('<Mixed xmlns="http://tempuri.org/"><text>x&amp;y</text><n>3</n></Mixed>')
    assert contract.dispatch(mixed, payload) == (
        b'<MixedResponse xmlns="http://tempuri.org/"><same>x&amp;y</same><said>a&lt;x&amp;y&gt;</said>'
        b'<fixed>42</fixed><none xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true"></none>'
        b"<when>2026-01-02T03:04:05Z</when></MixedResponse>"  # a UTC DateTime, as WCF writes it
    )
    assert contract.bound["Mixed"].outputs[2].fixed == "<fixed>42</fixed>"  # written once, at load
    bad = etree.fromstring('<Mixed xmlns="http://tempuri.org/"><n>three</n></Mixed>')
    with pytest.raises(Rejection) as info:
        contract.dispatch(mixed, bad)
    assert info.value.code == "SFxDeserializationFailed1"
    payload = etree.fromstring('<Broken xmlns="http://tempuri.org/"><text>x</text></Broken>')
    with pytest.raises(Rejection) as info:  # a template that fills in a value the type cannot hold
        contract.dispatch(broken, payload)
    assert info.value.code == "SFxDeserializationFailed1" and "'1x'" in info.value.message
