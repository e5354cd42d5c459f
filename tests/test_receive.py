"""The receive pipeline (issue 4): header rules, timestamps and the clock, UsernameToken, X.509 tokens,
TransportWithMessageCredential and binding mismatches. zeep where it can send the shape; hand-built
envelopes (tests/wss.py) where it cannot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import zeep
import zeep.wsse.utils
from lxml import etree
from zeep.wsse.username import UsernameToken

from mockwcf import ns
from tests import wss
from tests.conftest import CERTS, SCENARIOS

HTTP_USERNAME = SCENARIOS / "username-over-http.yaml"
FROZEN = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def _zeep_timestamp(created: datetime, ttl: int = 300) -> etree._Element:
    """zeep's UsernameToken(timestamp_token=...) appends this element to the Security header."""
    return zeep.wsse.utils.WSU.Timestamp(
        zeep.wsse.utils.WSU.Created(wss.iso(created)),
        zeep.wsse.utils.WSU.Expires(wss.iso(created + timedelta(seconds=ttl))),
    )


def _fault(client_call) -> zeep.exceptions.Fault:
    with pytest.raises(zeep.exceptions.Fault) as err:
        client_call()
    return err.value


# -- UsernameToken with zeep ---------------------------------------------------------------------------


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_zeep_password_text_accepted_without_timestamp(mockwcf_server):
    client = zeep.Client(mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "p@ssw0rd"))
    assert client.service.Echo(text="ok") == "ok"
    mockwcf_server.assert_accepted()


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_zeep_password_digest_is_invalid_security(mockwcf_server):
    client = zeep.Client(mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "p@ssw0rd", use_digest=True))
    fault = _fault(lambda: client.service.Echo(text="x"))
    assert fault.code == "a:InvalidSecurity"
    mockwcf_server.assert_fault("UnsupportedPasswordType")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_zeep_wrong_password_is_failed_authentication(mockwcf_server):
    client = zeep.Client(mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "nope"))
    fault = _fault(lambda: client.service.Echo(text="x"))
    assert fault.code == "a:FailedAuthentication"
    assert fault.message == "At least one security token in the message could not be validated."
    mockwcf_server.assert_fault("UserNameAuthenticationFailed")


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_zeep_with_timestamp_and_shifted_clock(mockwcf_server):
    now = datetime.now(UTC)
    ok = zeep.Client(
        mockwcf_server.wsdl_url, wsse=UsernameToken("alice", "p@ssw0rd", timestamp_token=_zeep_timestamp(now))
    )
    assert ok.service.Echo(text="fresh") == "fresh"
    mockwcf_server.set_clock(offset="-00:07:00")  # client 7 minutes ahead of the server
    fault = _fault(lambda: ok.service.Echo(text="future"))
    assert fault.code == "a:InvalidSecurity"
    entry = mockwcf_server.assert_fault("TimeStampHasCreationTimeInFuture")
    assert "00:07:00" in entry.reason or "00:06:59" in entry.reason


@pytest.mark.mockwcf_scenario(SCENARIOS / "clock-skew.yaml")
def test_clock_skew_scenario_fails_short_ttl_and_widened_scenario_passes(mockwcf_server):
    short = UsernameToken("alice", "p@ssw0rd", timestamp_token=_zeep_timestamp(datetime.now(UTC), ttl=60))
    client = zeep.Client(mockwcf_server.wsdl_url, wsse=short)
    _fault(lambda: client.service.Echo(text="x"))
    mockwcf_server.assert_fault("TimeStampHasExpiryTimeInPast")
    usual = UsernameToken("alice", "p@ssw0rd", timestamp_token=_zeep_timestamp(datetime.now(UTC), ttl=300))
    assert zeep.Client(mockwcf_server.wsdl_url, wsse=usual).service.Echo(text="5 min ttl") == "5 min ttl"
    mockwcf_server.load(SCENARIOS / "clock-skew-widened.yaml")
    short = UsernameToken("alice", "p@ssw0rd", timestamp_token=_zeep_timestamp(datetime.now(UTC), ttl=60))
    assert zeep.Client(mockwcf_server.wsdl_url, wsse=short).service.Echo(text="wide") == "wide"
    mockwcf_server.load(SCENARIOS / "clock-skew-client-ahead.yaml")
    usual = UsernameToken("alice", "p@ssw0rd", timestamp_token=_zeep_timestamp(datetime.now(UTC), ttl=300))
    _fault(lambda: zeep.Client(mockwcf_server.wsdl_url, wsse=usual).service.Echo(text="x"))
    mockwcf_server.assert_fault("TimeStampHasCreationTimeInFuture")


# -- timestamp comparisons at their boundaries (frozen server clock) -------------------------------------


def _ts_request(created: datetime, expires: datetime | None, server) -> str:
    exp = f"<wsu:Expires>{wss.iso(expires)}</wsu:Expires>" if expires else ""
    ts = f'<wsu:Timestamp wsu:Id="TS" xmlns:wsu="{ns.WSU}"><wsu:Created>{wss.iso(created)}</wsu:Created>{exp}</wsu:Timestamp>'
    return wss.envelope(wss.security(ts, wss.username_token()))


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize(
    "created,expires,code",
    [
        (FROZEN + timedelta(minutes=5), None, "TimeStampHasCreationTimeInFuture"),  # exactly now+skew
        (FROZEN + timedelta(minutes=5) - timedelta(seconds=1), None, None),  # one second inside
        (FROZEN - timedelta(minutes=10), None, "TimeStampWasCreatedTooLongAgo"),  # exactly now-(ttl+skew)
        (FROZEN - timedelta(minutes=10) + timedelta(seconds=1), None, None),
        (FROZEN - timedelta(minutes=9), FROZEN - timedelta(minutes=5), "TimeStampHasExpiryTimeInPast"),
        (FROZEN - timedelta(minutes=9), FROZEN - timedelta(minutes=5) + timedelta(seconds=1), None),
        (FROZEN, FROZEN, "TimeStampHasCreationAheadOfExpiry"),
        (FROZEN, FROZEN - timedelta(seconds=1), "CreationTimeUtcIsAfterExpiryTime"),
    ],
)
def test_timestamp_boundaries(mockwcf_server, created, expires, code):
    mockwcf_server.set_clock(frozen_at="2026-06-01T12:00:00Z")
    resp = wss.post(mockwcf_server.url, _ts_request(created, expires, mockwcf_server))
    if code is None:
        assert resp.status_code == 200
        mockwcf_server.assert_accepted()
    else:
        assert resp.status_code == 500 and b"a:InvalidSecurity" in resp.content
        mockwcf_server.assert_fault(code)


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_zoneless_times_are_server_local_utc_and_created_is_required(mockwcf_server):
    mockwcf_server.set_clock(frozen_at="2026-06-01T12:00:00Z")
    ts = (
        f'<wsu:Timestamp xmlns:wsu="{ns.WSU}"><wsu:Created>2026-06-01T11:59:00</wsu:Created>'
        "<wsu:Expires>2026-06-01T12:04:00</wsu:Expires></wsu:Timestamp>"
    )
    assert (
        wss.post(mockwcf_server.url, wss.envelope(wss.security(ts, wss.username_token()))).status_code == 200
    )
    no_created = (
        f'<wsu:Timestamp xmlns:wsu="{ns.WSU}"><wsu:Expires>2026-06-01T12:04:00Z</wsu:Expires></wsu:Timestamp>'
    )
    wss.post(mockwcf_server.url, wss.envelope(wss.security(no_created, wss.username_token())))
    mockwcf_server.assert_fault("MessageSecurityVerificationFailed")


# -- header rules ------------------------------------------------------------------------------------------


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
@pytest.mark.parametrize(
    "header,code",
    [
        ("", "UnableToFindSecurityHeaderInMessage"),
        (wss.security(), "SecurityHeaderIsEmpty"),
        (
            wss.security(wss.timestamp(), wss.timestamp(id="TS-2"), wss.username_token()),
            "DuplicateTimestampInSecurityHeader",
        ),
        (wss.security(wss.timestamp()), "SupportingTokenNotProvided"),
        (wss.security(wss.username_token(user="")), "UserNameCannotBeEmpty"),
        (wss.security(wss.username_token(user="bob")), "UserNameAuthenticationFailed"),
        (wss.security(wss.username_token(password=None)), "UserNameAuthenticationFailed"),
        (wss.security(wss.bst(CERTS / "client.pem")), "UnableToFindTokenAuthenticator"),
        (wss.security('<x:Custom xmlns:x="urn:x"/>'), "CannotReadToken"),
        (
            wss.security(wss.timestamp(shift=-900), wss.username_token(password="bad")),
            "TimeStampHasExpiryTimeInPast",
        ),
        (
            wss.security(wss.username_token(password="bad"), wss.timestamp(shift=-900)),
            "UserNameAuthenticationFailed",
        ),
    ],
)
def test_header_rules_in_document_order(mockwcf_server, header, code):
    resp = wss.post(mockwcf_server.url, wss.envelope(header))
    assert resp.status_code == 500
    assert resp.headers["X-MockWcf-Resource-Code"] == code
    mockwcf_server.assert_fault(code)


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_security_header_for_another_actor_is_not_seen(mockwcf_server):
    header = (
        f'<wsse:Security xmlns:wsse="{ns.WSSE}" xmlns:s="{ns.SOAP11}" s:actor="urn:other">'
        f"{wss.username_token()}</wsse:Security>"
    )
    wss.post(mockwcf_server.url, wss.envelope(header))
    entry = mockwcf_server.assert_fault("UnableToFindSecurityHeaderInMessage")
    assert "another actor" in entry.reason


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_nonce_created_and_odd_ids_are_accepted(mockwcf_server):
    extra = (
        f'<wsse:Nonce xmlns:wsse="{ns.WSSE}">AAAA</wsse:Nonce>'
        f'<wsu:Created xmlns:wsu="{ns.WSU}">1999-01-01T00:00:00Z</wsu:Created>'
    )
    header = wss.security(
        wss.timestamp(id="urn:uuid:0a1b:odd:id"),
        wss.username_token(id="uuid-1-2:3", extra=extra),
        wss.username_token(ptype=None, id=None) if False else "",
    )
    assert wss.post(mockwcf_server.url, wss.envelope(header)).status_code == 200
    no_type = wss.security(wss.username_token(ptype=None))
    assert wss.post(mockwcf_server.url, wss.envelope(no_type)).status_code == 200


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_signature_sent_to_username_over_transport_is_a_binding_mismatch(mockwcf_server):
    doc = wss.envelope(wss.security(wss.timestamp(), wss.username_token()))
    signed = wss.sign(doc, CERTS / "client.key", CERTS / "client.pem", ["TS-1", "Body-1"], keyinfo="x509data")
    wss.post(mockwcf_server.url, signed)
    mockwcf_server.assert_fault("SupportingTokenSignaturesNotExpected")


@pytest.mark.mockwcf_scenario(SCENARIOS / "unsecured.yaml")
def test_security_header_to_unsecured_endpoint_gets_must_understand(mockwcf_server):
    resp = wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.username_token())))
    assert resp.status_code == 500
    root = etree.fromstring(resp.content)
    assert root.find(".//faultcode").text == "s:MustUnderstand"
    assert root.find(".//faultstring").text.startswith(
        f"The header 'Security' from the namespace '{ns.WSSE}' was not understood by the recipient"
    )
    entry = mockwcf_server.assert_fault("SFxHeaderNotUnderstood")
    assert entry.wire_code == "MustUnderstand"
    resp = wss.post(
        mockwcf_server.url, wss.envelope(wss.security(wss.username_token(), must_understand=False))
    )
    assert resp.status_code == 200


@pytest.mark.mockwcf_scenario(HTTP_USERNAME)
def test_soap12_to_soap11_binding_is_refused_with_a_hint(mockwcf_server):
    resp = wss.post(mockwcf_server.url, wss.envelope(soap12=True), soap12=True)
    assert resp.status_code == 415
    assert "SOAP 1.2 sent to a SOAP 1.1" in mockwcf_server.assert_fault("ContentTypeMismatch").reason


# -- TransportWithMessageCredential over HTTPS ------------------------------------------------------------


def test_username_over_https_and_response_timestamp(mockwcf_server):
    from mockwcf.scenario import load
    from mockwcf.testing import MockServer

    srv = MockServer.start(load(SCENARIOS / "basichttp-username-transport.yaml"))
    try:
        assert srv.url.startswith("https://")
        session_resp = wss.post(srv.url, wss.envelope(wss.security(wss.timestamp(), wss.username_token())))
        assert session_resp.status_code == 200
        root = etree.fromstring(session_resp.content)
        sec = root.find(f".//{{{ns.WSSE}}}Security")
        assert sec.get(f"{{{ns.SOAP11}}}mustUnderstand") == "1"
        created = datetime.fromisoformat(sec.find(f".//{{{ns.WSU}}}Created").text.replace("Z", "+00:00"))
        expires = datetime.fromisoformat(sec.find(f".//{{{ns.WSU}}}Expires").text.replace("Z", "+00:00"))
        assert expires - created == timedelta(minutes=5)
        assert [etree.QName(c).localname for c in sec] == ["Timestamp"]
    finally:
        srv.stop()


# -- X.509 BinarySecurityToken (CertificateOverTransport) -------------------------------------------------


def _cert_request(cert: str, **bst_kwargs) -> str:
    doc = wss.envelope(wss.security(wss.timestamp(), wss.bst(CERTS / cert, **bst_kwargs)))
    return wss.sign(doc, CERTS / "client.key", CERTS / cert, ["TS-1"], keyinfo="bst")


@pytest.mark.mockwcf_scenario(SCENARIOS / "certificate-expired.yaml")
@pytest.mark.parametrize(
    "cert,code",
    [
        ("client.pem", None),
        ("client-expired.pem", "X509ChainBuildFail"),
        ("client-untrusted.pem", "X509ChainBuildFail"),
        ("client-noeku.pem", "X509ChainBuildFail"),
        ("client-notyet.pem", "X509ChainBuildFail"),
    ],
)
def test_chain_trust(mockwcf_server, cert, code):
    resp = wss.post(mockwcf_server.url, _cert_request(cert))
    if code is None:
        assert resp.status_code == 200, resp.text
        mockwcf_server.assert_accepted()
    else:
        assert b"a:FailedAuthentication" in resp.content
        entry = mockwcf_server.assert_fault(code)
        assert "chain building failed" in entry.reason


@pytest.mark.mockwcf_scenario(SCENARIOS / "certificate-notyet.yaml")
@pytest.mark.parametrize(
    "cert,code",
    [
        ("client.pem", None),
        ("client-notyet.pem", "X509InvalidUsageTime"),
        ("client-noski.pem", "X509IsNotInTrustedStore"),
    ],
)
def test_peer_trust(mockwcf_server, cert, code):
    resp = wss.post(mockwcf_server.url, _cert_request(cert))
    if code is None:
        assert resp.status_code == 200, resp.text
    else:
        assert b"a:FailedAuthentication" in resp.content
        mockwcf_server.assert_fault(code)


@pytest.mark.mockwcf_scenario(SCENARIOS / "certificate-expired.yaml")
@pytest.mark.parametrize(
    "kwargs,code",
    [
        (
            {
                "value_type": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509PKIPathv1"
            },
            "CannotReadToken",
        ),
        ({"value_type": ns.X509V3 + " "}, "CannotReadToken"),
        ({"encoding": "urn:bogus"}, "UnknownEncodingInBinarySecurityToken"),
        ({"text": "bm90IGEgY2VydGlmaWNhdGU="}, "InvalidX509RawData"),
        ({"hexed": True, "encoding": ns.HEX_ENCODING}, None),
        ({"encoding": None}, None),
    ],
)
def test_bst_value_and_encoding_rules(mockwcf_server, kwargs, code):
    resp = wss.post(mockwcf_server.url, _cert_request("client.pem", **kwargs))
    if code is None:
        assert resp.status_code == 200, resp.text
    else:
        mockwcf_server.assert_fault(code)


@pytest.mark.mockwcf_scenario(SCENARIOS / "certificate-expired.yaml")
def test_endorsing_certificate_must_sign_the_timestamp(mockwcf_server):
    wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.timestamp(), wss.bst(CERTS / "client.pem"))))
    entry = mockwcf_server.assert_fault("SupportingTokenIsNotEndorsing")
    assert "SupportingTokenIsNotEndorsing" in entry.reason
    doc = wss.envelope(wss.security(wss.bst(CERTS / "client.pem")))
    wss.post(mockwcf_server.url, wss.sign(doc, CERTS / "client.key", CERTS / "client.pem", ["Body-1"]))
    mockwcf_server.assert_fault("SigningWithoutPrimarySignatureRequiresTimestamp")


def test_wshttp_certificate_over_transport_requires_signed_to(mockwcf_server):
    """wsHttpBinding TransportWithMessageCredential + Certificate: the endorsing signature must cover the
    Timestamp and wsa:To (RS WSSecurityOneDotZeroReceiveSecurityHeader, "unsigned 'To' header")."""
    mockwcf_server.load(wss.wshttp_certificate_over_transport(CERTS))

    def request(refs):
        doc = wss.envelope(
            wss.addressing() + wss.security(wss.timestamp(), wss.bst(CERTS / "client.pem"), soap12=True),
            soap12=True,
        )
        return wss.sign(doc, CERTS / "client.key", CERTS / "client.pem", refs)

    assert wss.post(mockwcf_server.url, request(["TS-1", "A-3"]), soap12=True).status_code == 200
    mockwcf_server.assert_accepted()
    wss.post(mockwcf_server.url, request(["TS-1"]), soap12=True)
    assert (
        "unsigned 'To' header"
        in mockwcf_server.assert_fault("UnsignedToHeaderInTransportSecuredMessage").reason
    )


@pytest.mark.mockwcf_scenario({"binding": {"type": "wsHttpBinding", "security": {"mode": "None"}}})
def test_soap12_must_understand_fault_names_the_header(mockwcf_server):
    body = wss.envelope(
        wss.addressing(ids=False) + wss.security(wss.username_token(), soap12=True), soap12=True
    )
    resp = wss.post(mockwcf_server.url, body, soap12=True)
    root = etree.fromstring(resp.content)
    assert root.find(f".//{{{ns.SOAP12}}}Code/{{{ns.SOAP12}}}Value").text == "s:MustUnderstand"
    nu = root.find(f".//{{{ns.SOAP12}}}NotUnderstood")
    assert nu is not None and nu.get("qname") == "h:Security" and nu.nsmap["h"] == ns.WSSE
    mockwcf_server.assert_fault("SFxHeaderNotUnderstood")
