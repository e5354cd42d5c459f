"""Locating SOAP headers the way WCF does: actors, several wsse:Security headers, mustUnderstand values (issue 14).

RS SM/EnvelopeVersion.cs (UltimateDestinationActorValues), SM/Channels/MessageHeader.cs GetHeaderAttributes and
ToBoolean, SM/Channels/MessageHeaders.cs FindHeader and GetHeadersNotUnderstood, SM/Security/SecurityVersion.cs
TryCreateReceiveSecurityHeader, SM/Dispatcher/DispatchOperationRuntime.cs ValidateMustUnderstand.
"""

from __future__ import annotations

import random

import pytest
from lxml import etree

from mockwcf import ns, soapheaders, xmlread
from tests import shapes, wss
from tests.conftest import SCENARIOS

HTTP_USERNAME = SCENARIOS / "username-over-http.yaml"  # SOAP 1.1
WSHTTP_USERNAME = SCENARIOS / "wshttp-username-transport.yaml"  # SOAP 1.2 + WS-Addressing
UNSECURED = SCENARIOS / "unsecured.yaml"
NEXT_11 = "http://schemas.xmlsoap.org/soap/actor/next"
ULTIMATE_12 = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
NEXT_12 = "http://www.w3.org/2003/05/soap-envelope/role/next"


def _security(
    actor: str | None = None, mu: str | None = "1", soap12: bool = False, items: str | None = None
) -> str:
    env = ns.SOAP12 if soap12 else ns.SOAP11
    attrs = f' s:mustUnderstand="{mu}"' if mu is not None else ""
    if actor is not None:
        attrs += f' s:{"role" if soap12 else "actor"}="{actor}"'
    inner = items if items is not None else wss.timestamp() + wss.username_token()
    return f'<wsse:Security xmlns:wsse="{ns.WSSE}" xmlns:s="{env}"{attrs}>{inner}</wsse:Security>'


def _post11(server, headers: str):
    return wss.post(server.url, wss.envelope(headers))


def _post12(server, headers: str):
    return wss.post(server.url, wss.envelope(wss.addressing(ids=False) + headers, soap12=True), soap12=True)


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize("actor", [None, "", NEXT_11])
def test_envelopeversion_soap11_ultimate_destination_actors(mockwcf_server, actor):
    """EnvelopeVersion.Soap11: "" and .../soap/actor/next are the ultimate destination."""
    resp = _post11(mockwcf_server, _security(actor))
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize("actor", [ULTIMATE_12, "urn:intermediary", " ", NEXT_11 + "/"])
def test_envelopeversion_soap11_other_actors_are_not_this_node(mockwcf_server, actor):
    """SOAP 1.2's ultimateReceiver is just another actor in SOAP 1.1; actors are compared exactly."""
    _post11(mockwcf_server, _security(actor, mu=None))
    entry = mockwcf_server.assert_fault("UnableToFindSecurityHeaderInMessage")
    assert "another actor" in entry.reason


@pytest.mark.mockwcf_scenario(WSHTTP_USERNAME)
@pytest.mark.parametrize("role", [None, "", ULTIMATE_12, NEXT_12])
def test_envelopeversion_soap12_ultimate_destination_roles(mockwcf_server, role):
    """EnvelopeVersion.Soap12: "", .../role/ultimateReceiver and .../role/next are the ultimate destination."""
    resp = _post12(mockwcf_server, _security(role, soap12=True))
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(WSHTTP_USERNAME)
def test_envelopeversion_soap12_soap11_next_is_another_role(mockwcf_server):
    """The SOAP 1.1 'next' URI is not a SOAP 1.2 ultimate-destination role."""
    _post12(mockwcf_server, _security(NEXT_11, mu=None, soap12=True))
    mockwcf_server.assert_fault("UnableToFindSecurityHeaderInMessage")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_findheader_two_security_headers_for_actor_empty(mockwcf_server):
    """MessageHeaders.FindHeader(name, ns, "") throws MultipleMessageHeadersWithActor for a second match."""
    resp = _post11(mockwcf_server, _security() + _security(mu=None))
    assert resp.status_code == 500
    entry = mockwcf_server.assert_fault("MessageSecurityVerificationFailed")
    assert "MultipleMessageHeaders" in entry.reason


@pytest.mark.mockwcf_scenario(WSHTTP_USERNAME)
def test_findheader_two_security_headers_for_ultimate_roles(mockwcf_server):
    """No "" header: FindHeader(name, ns, UltimateDestinationActorValues) refuses two (ultimateReceiver, next)."""
    _post12(mockwcf_server, _security(ULTIMATE_12, soap12=True) + _security(NEXT_12, mu=None, soap12=True))
    mockwcf_server.assert_fault("MessageSecurityVerificationFailed")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_trycreatereceivesecurityheader_prefers_the_empty_actor(mockwcf_server):
    """TryCreateReceiveSecurityHeader looks for actor "" first: a 'next' header beside it is not read."""
    other = _security(NEXT_11, mu=None, items=wss.username_token(password="wrong"))
    resp = _post11(mockwcf_server, other + _security())
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize("actor", [NEXT_11, "urn:intermediary"])
def test_getheadersnotunderstood_ignores_the_actor(mockwcf_server, actor):
    """GetHeadersNotUnderstood: a mustUnderstand Security header WCF did not process fails, whatever its actor."""
    resp = _post11(mockwcf_server, _security() + _security(actor, mu="1", items=""))
    assert resp.status_code == 500
    assert b"MustUnderstand" in resp.content
    mockwcf_server.assert_fault("SFxHeaderNotUnderstood")
    resp = _post11(mockwcf_server, _security() + _security(actor, mu="0", items=""))
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(UNSECURED)
@pytest.mark.parametrize(
    "mu,understood", [("1", False), ("true", False), (" 1\n", False), ("0", True), ("false", True)]
)
def test_messageheader_tobooolean_mustunderstand_values(mockwcf_server, mu, understood):
    """MessageHeader.ToBoolean: 1/true/0/false (XML white space trimmed) in SOAP 1.1 as in 1.2."""
    resp = _post11(mockwcf_server, _security(mu=mu, items=wss.username_token()))
    if understood:
        assert resp.status_code == 200, resp.text
    else:
        assert resp.status_code == 500
        mockwcf_server.assert_fault("SFxHeaderNotUnderstood")


@pytest.mark.mockwcf_scenario(UNSECURED)
@pytest.mark.parametrize("mu", ["True", "yes", "", "on"])
def test_messageheader_toboolean_refuses_other_values_while_reading_the_message(mockwcf_server, mu):
    """MessageHeader.ToBoolean -> XmlConvert.ToBoolean throws: an XmlException reading the message, HTTP 400."""
    resp = _post11(mockwcf_server, _security(mu=mu, items=wss.username_token()))
    assert resp.status_code == 400
    mockwcf_server.assert_fault("MalformedMessage")


@pytest.mark.mockwcf_scenario({"binding": {"type": "wsHttpBinding", "security": {"mode": "None"}}})
def test_messageheader_soap12_relay_is_read_with_toboolean_too(mockwcf_server):
    """GetHeaderAttributes reads SOAP 1.2 relay with ToBoolean as well."""
    header = f'<x:Extra xmlns:x="urn:x" xmlns:s="{ns.SOAP12}" s:relay="maybe">1</x:Extra>'
    assert _post12(mockwcf_server, header).status_code == 400
    header = f'<x:Extra xmlns:x="urn:x" xmlns:s="{ns.SOAP12}" s:relay="true">1</x:Extra>'
    assert _post12(mockwcf_server, header).status_code == 200


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_executefullpass_text_inside_the_security_header(mockwcf_server):
    """ReceiveSecurityHeader.ExecuteFullPass: while (reader.IsStartElement()) ... ReadEndElement - text fails,
    white space and comments do not."""
    resp = _post11(mockwcf_server, _security(items=wss.timestamp() + "stray" + wss.username_token()))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("MessageSecurityVerificationFailed")
    resp = _post11(
        mockwcf_server, _security(items=wss.timestamp() + "\n <!-- c -->\n " + wss.username_token())
    )
    assert resp.status_code == 200, resp.text


def _raw(inner: str) -> str:
    return f'<s:Envelope xmlns:s="{ns.SOAP11}">{inner}</s:Envelope>'


ECHO_BODY = f"<s:Body>{wss.ECHO.format(text='hi')}</s:Body>"


@pytest.mark.mockwcf_scenario(UNSECURED)
@pytest.mark.parametrize(
    "inner,status",
    [
        (ECHO_BODY, 200),
        ("<s:Header/>" + ECHO_BODY, 200),
        ("<!-- c -->\n<s:Header/>\n<!-- c -->" + ECHO_BODY + "<!-- after -->", 200),
        ('<x:Extra xmlns:x="urn:x"/>' + ECHO_BODY, 400),  # VerifyStartBody: MessageBodyMissing
        ('<s:Header/><x:Extra xmlns:x="urn:x"/>' + ECHO_BODY, 400),
        ("<s:Header/><s:Header/>" + ECHO_BODY, 400),  # a second Header is not the Body
        ("text" + ECHO_BODY, 400),
        ('<s:Body/><x:Extra xmlns:x="urn:x"/>', 400),  # ReadStartBody -> ReadFromBodyContentsToEnd
        (
            "<s:Body/><!-- c -->",
            None,
        ),  # comments may follow: the envelope is read (what follows is dispatch's)
    ],
)
def test_receivedmessage_envelope_structure(mockwcf_server, inner, status):
    """BufferedMessage: ReadStartEnvelope, HasHeaderElement, VerifyStartBody, ReadStartBody."""
    resp = wss.post(mockwcf_server.url, _raw(inner))
    if status is None:
        assert resp.status_code != 400, resp.text
    else:
        assert resp.status_code == status, resp.text


@pytest.mark.mockwcf_scenario(WSHTTP_USERNAME)
def test_actionheader_readheadervalue(mockwcf_server):
    """ActionHeader.ReadHeaderValue: ReadElementContentAsString, then XmlUtil.Trim - white space around the
    action is dropped (and comments skipped), a child element fails reading the message (400)."""
    a = f'xmlns:a="{ns.WSA10}" xmlns:s="{ns.SOAP12}"'
    spaced = f'<a:Action {a} s:mustUnderstand="1">\n  {wss.ACTION}<!-- c -->  \n</a:Action>'
    body = wss.envelope(spaced + _security(soap12=True), soap12=True)
    assert wss.post(mockwcf_server.url, body, soap12=True).status_code == 200
    nested = f'<a:Action {a} s:mustUnderstand="1"><x:y xmlns:x="urn:x"/>{wss.ACTION}</a:Action>'
    body = wss.envelope(nested + _security(soap12=True), soap12=True)
    assert wss.post(mockwcf_server.url, body, soap12=True).status_code == 400
    mockwcf_server.assert_fault("MalformedMessage")


@pytest.mark.parametrize("start", [0, 1, 2])
@pytest.mark.parametrize("pair", [b"<!", b"<?"])
def test_contains_pair_is_bytes_find(pair: bytes, start: int) -> None:
    """envelope.contains_pair (the memchr shortcut deciding whether a request has comments, CDATA, a DTD or
    processing instructions) answers as `bytes.find` does, including past its eight-hit fallback."""
    from mockwcf.envelope import contains_pair

    cases = [b"", b"<", b"?", b"<?", b"a<?", b"?<", b"<?xml?><a/>", b"<a>!!!!!!!!!!!!</a>", b"!" * 20 + b"<!"]
    cases += [b"?" * n + b"<?" for n in range(12)] + [bytes([c]) * 3 for c in b"<!?"]
    for data in cases:
        assert contains_pair(data, pair, start) == (data.find(pair, start) >= 0), data


def _parts_as_read(root: etree._Element, env_ns: str) -> object:
    """What ReceivedMessage reads, element by element (the reading envelope_parts keeps in one walk): the
    elements in order, an optional Header first, then the next element must be the Body, and every text
    before that element (around comments and PIs too) XML white space. The Header's own content and an empty
    Body's end are later checks, not generated here."""
    elements = [c for c in root if isinstance(c.tag, str)]
    header = elements[0] if elements and elements[0].tag == f"{{{env_ns}}}Header" else None
    rest = elements[1:] if header is not None else elements
    first = rest[0] if rest else None
    texts = [root.text]
    for node in root:
        if node is first:
            break
        texts.append(node.tail)
    if first is not None and first.tag == f"{{{env_ns}}}Body" and all(xmlread.is_white(t) for t in texts):
        return header, first
    found = etree.QName(first).localname if first is not None else "nothing"
    after = "the Header" if header is not None else "the Envelope start"
    return ("rejected", "MalformedMessage", f"after {after} WCF found {found} ")


@pytest.mark.parametrize("soap12", [False, True])
def test_envelope_parts_one_walk_reads_as_receivedmessage_does(soap12):
    """soapheaders.envelope_parts on generated envelopes (Headers, Bodies of either SOAP version, other elements,
    comments, PIs, white and non-white text between them) against the element-by-element reading above."""
    env_ns, other = (ns.SOAP12, ns.SOAP11) if soap12 else (ns.SOAP11, ns.SOAP12)
    tags = [f"{{{env_ns}}}Header", f"{{{env_ns}}}Body", f"{{{other}}}Body", f"{{{other}}}Header", "{urn:x}X"]
    rng = random.Random(int(soap12))
    read = 0
    for _ in range(600):
        root = etree.Element(f"{{{env_ns}}}Envelope")
        for _ in range(rng.randrange(5)):
            kind = rng.choice([*tags, tags[0], tags[1], "comment", "pi"])
            if kind in ("comment", "pi"):
                root.append(etree.Comment("c") if kind == "comment" else etree.PI("p"))
            else:
                etree.SubElement(etree.SubElement(root, kind), "{urn:x}Item")  # nothing empty: no later check
        for node in root:
            node.tail = rng.choice(shapes.TEXTS) if rng.random() < 0.4 else None
        root.text = rng.choice(shapes.TEXTS) if rng.random() < 0.3 else None
        expected = _parts_as_read(root, env_ns)
        got = shapes.outcome(soapheaders.envelope_parts, root, env_ns)
        if isinstance(got, tuple) and got[0] == "rejected":
            got = (got[0], got[1], got[2][got[2].index("after ") : got[2].index("(MessageBodyMissing)")])
        assert got == expected, etree.tostring(root)
        read += expected[0] != "rejected"
    assert read > 60  # many envelopes were read, not only refused


@pytest.mark.mockwcf_scenario(WSHTTP_USERNAME)
@pytest.mark.parametrize("mu", ["1", "true", " true\n", "0", "false"])
def test_processed_security_header_is_understood_whatever_its_mustunderstand(mockwcf_server, mu):
    """GetHeadersNotUnderstood: the Security header this endpoint processed is understood whether it says
    mustUnderstand 1, true, 0 or false (SOAP 1.2 here, SOAP 1.1 below); an unreadable value failed while the
    message was read (test_messageheader_toboolean_refuses_other_values_while_reading_the_message)."""
    assert _post12(mockwcf_server, _security(mu=mu, soap12=True)).status_code == 200
    assert _post12(mockwcf_server, _security(mu="yes", soap12=True)).status_code == 400
    mockwcf_server.assert_fault("MalformedMessage")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize("mu", ["1", "true", "0", " false "])
def test_processed_soap11_security_header_is_understood_whatever_its_mustunderstand(mockwcf_server, mu):
    assert _post11(mockwcf_server, _security(mu=mu)).status_code == 200
