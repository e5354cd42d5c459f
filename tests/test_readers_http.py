"""The HTTP Content-Type and action as WCF's text encoder and HTTP input read them (issue 14).

RS SM/Channels/HttpChannelHelpers.cs HttpInput.ValidateContentType and ProcessHttpAddressing,
SM/Channels/MessageEncoder.cs IsContentTypeSupported, SM/Channels/TransportDefaults.cs
TextEncoderDefaults.TryGetEncoding, System/net/System/Net/mail/ContentType.cs ParseValue.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from lxml import etree

from mockwcf import contenttype, ns
from tests import wss
from tests.conftest import SCENARIOS

UNSECURED = SCENARIOS / "unsecured.yaml"  # basicHttpBinding: SOAP 1.1, text/xml
WSHTTP_NONE = {"binding": {"type": "wsHttpBinding", "security": {"mode": "None"}}}  # SOAP 1.2


@pytest.mark.mockwcf_scenario(UNSECURED)
@pytest.mark.parametrize(
    "ctype",
    [
        "text/xml; charset=utf-8",  # the encoder's own content type
        "text/xml",  # no charset: autodetect
        "TEXT/XML; CHARSET=UTF-8",  # the prefix is compared case-insensitively
        "text/xml;charset=utf-8",  # parsed: media type and charset
        'text/xml; charset="utf-8"',
        "text/xml ; charset=utf-8",
        "text/xml; charset=utf-16",  # 'Ambiguous charSet, so autodetect'
        "text/xml; charset=utf-8; action=whatever",
        "text/xml;",
    ],
)
def test_iscontenttypesupported_accepts(mockwcf_server, ctype):
    """MessageEncoder.IsContentTypeSupported with TextEncoderDefaults' charsets (utf-8, utf-16LE/BE, utf-16)."""
    resp = wss.post(mockwcf_server.url, wss.envelope(), content_type=ctype)
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(UNSECURED)
@pytest.mark.parametrize(
    "ctype",
    [
        "text/xml; charset=iso-8859-1",  # not a text-encoder charset
        "text/xml; charset=us-ascii",
        "text/xml; charset=utf8",  # spelled without the dash
        "text/xml; charset=",  # ContentType cannot parse an empty value
        "text/xml; charset",
        "application/xml; charset=utf-8",
        "text/plain",
        "application/soap+xml; charset=utf-8",  # SOAP 1.2's media type
        "xml",
    ],
)
def test_iscontenttypesupported_refuses_with_415(mockwcf_server, ctype):
    """HttpInput.ValidateContentType: IsContentTypeSupported false -> ProtocolException, HTTP 415."""
    resp = wss.post(mockwcf_server.url, wss.envelope(), content_type=ctype)
    assert resp.status_code == 415
    mockwcf_server.assert_fault("ContentTypeMismatch")


@pytest.mark.mockwcf_scenario(UNSECURED)
def test_validatecontenttype_missing_content_type_is_415(mockwcf_server):
    """HttpInput.ValidateContentType: a body without Content-Type -> HttpContentTypeHeaderRequired, 415."""
    resp = requests.post(mockwcf_server.url, data=wss.envelope().encode(), headers={"SOAPAction": wss.ACTION})
    assert resp.status_code == 415
    assert "no Content-Type" in mockwcf_server.assert_fault("ContentTypeMismatch").reason


@pytest.mark.mockwcf_scenario(WSHTTP_NONE)
@pytest.mark.parametrize(
    "ctype,status",
    [
        (f'application/soap+xml; charset=utf-8; action="{wss.ACTION}"', 200),
        (f'Application/SOAP+XML; Charset=UTF-8; action="{wss.ACTION}"', 200),
        ("application/soap+xml; charset=windows-1252", 415),
        ("text/xml; charset=utf-8", 415),
    ],
)
def test_iscontenttypesupported_soap12(mockwcf_server, ctype, status):
    """SOAP 1.2's encoder content type is application/soap+xml; charset=utf-8, with the same rules."""
    body = wss.envelope(wss.addressing(ids=False), soap12=True)
    resp = wss.post(mockwcf_server.url, body, soap12=True, content_type=ctype)
    assert resp.status_code == status, resp.text


@pytest.mark.mockwcf_scenario(UNSECURED)
@pytest.mark.parametrize(
    "soap_action,ok",
    [
        (f'"{wss.ACTION}"', True),
        (wss.ACTION, True),
        (f'"{quote(wss.ACTION, safe="")}"', True),  # UrlUtility.UrlDecode
        (f'""{wss.ACTION}""', False),  # only one pair of quotes comes off
    ],
)
def test_processhttpaddressing_soapaction(mockwcf_server, soap_action, ok):
    """HttpInput.ProcessHttpAddressing: SOAPAction is URL-decoded and loses one pair of surrounding quotes."""
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap_action}
    resp = requests.post(mockwcf_server.url, data=wss.envelope().encode(), headers=headers, timeout=10)
    if ok:
        assert resp.status_code == 200, resp.text
    else:
        assert resp.status_code == 500
        mockwcf_server.assert_fault("SFxNoEndpointMatchingContract")


@pytest.mark.parametrize(
    "value,expected",
    [
        ('application/soap+xml; charset=utf-8; action="urn:a%20b"', "urn:a b"),
        ('application/soap+xml; ACTION="urn:x"', "urn:x"),  # StringDictionary keys: any case
        ('application/soap+xml; action="\\"urn:x\\""', "urn:x"),  # quoted-string escapes, then one pair off
        ("application/soap+xml; charset=utf-8", None),
    ],
)
def test_processhttpaddressing_soap12_action_parameter(value, expected):
    """ProcessHttpAddressing: new ContentType(ContentType).Parameters["action"], URL-decoded, one quote pair off."""
    assert contenttype.action(value, None, soap12=True) == expected


@pytest.mark.parametrize(
    "value,parsed",
    [
        ("text/xml", ("text/xml", {})),
        ("text/xml (a comment); charset=utf-8", ("text/xml", {"charset": "utf-8"})),
        ('text/xml; a="x;y"; B=z', ("text/xml", {"a": "x;y", "b": "z"})),
        ("text/xml; a=x/y", None),  # '/' is a tspecial: not in an unquoted token
        ("text/xml; a=1; a=2", None),  # StringDictionary.Add refuses a second key
        ("text/ xml", None),
        ("text/xml; a", None),
        ('text/xml; a="open', None),
    ],
)
def test_system_net_mime_contenttype_grammar(value, parsed):
    """System.Net.Mime.ContentType.ParseValue with MailBnfHelper.ReadToken / SkipCFWS / ReadQuotedString."""
    assert contenttype.parse(value) == parsed


SOAP11_WSA = {
    "binding": {
        "type": "customBinding",
        "messageVersion": "Soap11WSAddressing10",
        "security": {"mode": "None"},
    }
}
SOAP12_NO_WSA = {
    "binding": {"type": "customBinding", "messageVersion": "Soap12", "security": {"mode": "None"}}
}
MISMATCH = "The SOAP action specified on the message, '{0}', does not match the HTTP SOAP Action, '{1}'."


@pytest.mark.mockwcf_scenario(WSHTTP_NONE)
@pytest.mark.parametrize("http_action,ok", [(wss.ACTION, True), ("", True), ("urn:other", False)])
def test_processhttpaddressing_soap12_action_must_match_wsa_action(mockwcf_server, http_action, ok):
    """ProcessHttpAddressing: a non-empty HTTP action unequal to wsa:Action -> ActionMismatchAddressingException,
    written by WSAddressing10ProblemHeaderQNameFault (SOAP 1.2: ProblemHeaderQName in the Detail)."""
    body = wss.envelope(wss.addressing(ids=False), soap12=True)
    ctype = f'application/soap+xml; charset=utf-8; action="{http_action}"'
    resp = wss.post(mockwcf_server.url, body, soap12=True, content_type=ctype)
    if ok:
        wss.expect(mockwcf_server, resp, None)
        return
    entry = wss.expect(mockwcf_server, resp, "HttpSoapActionMismatchFault")
    assert entry.reason == MISMATCH.format(wss.ACTION, http_action)
    root = etree.fromstring(resp.content)
    s12 = f"{{{ns.SOAP12}}}"
    assert root.find(f".//{s12}Subcode/{s12}Value").text == "a:ActionMismatch"
    assert root.find(f".//{s12}Text").text == MISMATCH.format(wss.ACTION, http_action)
    assert root.find(f".//{s12}Detail/{{{ns.WSA10}}}ProblemHeaderQName").text == "a:Action"
    assert root.find(f".//{{{ns.WSA10}}}Action").text == "http://www.w3.org/2005/08/addressing/fault"


@pytest.mark.mockwcf_scenario(SOAP11_WSA)
def test_processhttpaddressing_soap11_soapaction_must_match_wsa_action(mockwcf_server):
    """SOAP 1.1 with WS-Addressing: SOAPAction against wsa:Action; the ProblemHeaderQName goes in a FaultDetail
    header ('Soap11 wants the detail in the header')."""
    body = wss.envelope(wss.addressing(ids=False))
    ok = requests.post(
        mockwcf_server.url,
        data=body.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{wss.ACTION}"'},
        timeout=10,
    )
    wss.expect(mockwcf_server, ok, None)
    bad = requests.post(
        mockwcf_server.url,
        data=body.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:other"'},
        timeout=10,
    )
    wss.expect(mockwcf_server, bad, "HttpSoapActionMismatchFault")
    root = etree.fromstring(bad.content)
    assert root.find(".//faultcode").text == "a:ActionMismatch"
    assert root.find(f".//{{{ns.WSA10}}}FaultDetail/{{{ns.WSA10}}}ProblemHeaderQName").text == "a:Action"


@pytest.mark.mockwcf_scenario(SOAP12_NO_WSA)
@pytest.mark.parametrize(
    "param,ok",
    [(f'"{wss.ACTION}"', True), (f'"{quote(wss.ACTION, safe="")}"', True), ('"urn:other"', False)],
)
def test_processhttpaddressing_soap12_without_addressing_takes_the_action_parameter(
    mockwcf_server, param, ok
):
    """AddressingVersion.None: message.Headers.Action = the URL-decoded action parameter, which routes the call."""
    ctype = f"application/soap+xml; charset=utf-8; action={param}"
    resp = wss.post(mockwcf_server.url, wss.envelope(soap12=True), soap12=True, content_type=ctype)
    wss.expect(mockwcf_server, resp, None if ok else "SFxNoEndpointMatchingContract")


DECL16 = '<?xml version="1.0" encoding="utf-16"?>'


@pytest.mark.mockwcf_scenario(UNSECURED)
@pytest.mark.parametrize(
    "body,charset,status",
    [
        (wss.envelope().encode(), "utf-8", 200),
        (b"\xef\xbb\xbf" + wss.envelope().encode(), "utf-8", 200),  # UTF-8 byte-order mark
        (('<?xml version="1.0" encoding="UTF-8"?>' + wss.envelope()).encode(), "utf-8", 200),
        (('<?xml version="1.0" encoding="ISO-8859-1"?>' + wss.envelope()).encode(), "utf-8", 400),
        (('<?xml version="1.0" encoding="ISO-8859-1"?>' + wss.envelope()).encode(), None, 400),
        ((DECL16 + wss.envelope()).encode(), "utf-8", 400),  # "utf-16" declared in a UTF-8 document
        (wss.envelope().encode("utf-16"), "utf-16", 400),  # UTF-16 with BOM, nothing expected: needs a decl
        ((DECL16 + wss.envelope()).encode("utf-16"), "utf-16", 200),
        ((DECL16 + wss.envelope()).encode("utf-16"), None, 200),
        (wss.envelope().encode("utf-16"), "utf-16LE", 200),  # out-of-band encoding: no decl needed
        (wss.envelope().encode("utf-16-le"), "utf-16LE", 200),  # no byte-order mark
        (wss.envelope().encode("utf-16"), "utf-8", 400),  # XmlExpectedEncoding
        (wss.envelope().encode("utf-16-le"), "utf-16BE", 400),
        (('<?xml version="1.0" encoding="utf-8"?>' + wss.envelope()).encode("utf-16"), "utf-16", 400),
    ],
)
def test_encodingstreamwrapper_processbuffer(mockwcf_server, body, charset, status):
    """EncodingStreamWrapper.ProcessBuffer: charset vs byte-order mark vs XML declaration, as WCF's reader
    checks them before parsing (a mismatch is an XmlException: HTTP 400)."""
    ctype = "text/xml" + (f"; charset={charset}" if charset else "")
    resp = wss.post(mockwcf_server.url, body, content_type=ctype)
    assert resp.status_code == status, resp.text
    if status == 400:
        assert "EncodingStreamWrapper" in mockwcf_server.assert_fault("MalformedMessage").reason
