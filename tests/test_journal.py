"""The journal as the admin API shows it: every request (wrong paths and methods too), headers, latency,
the element a rejection blames, filters, redacted secrets, and the byte bound. Real server, real requests."""

from __future__ import annotations

import requests
import yaml
from lxml import etree

from mockwcf import ns
from tests import wss
from tests.conftest import CERTS, SCENARIOS

HTTP_USERNAME = SCENARIOS / "username-over-http.yaml"
SEED001 = SCENARIOS / "seed001-mutual-certificate.yaml"


def _exchanges(server, query: str = "") -> list[dict]:
    resp = requests.get(f"{server.base_url}/_mockwcf/exchanges{query}", timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _full(server, entry_id: int) -> dict:
    return requests.get(f"{server.base_url}/_mockwcf/exchanges/{entry_id}", timeout=10).json()


def _blamed(server, entry_id: int) -> etree._Element:
    """The element the journal blames, found again in the stored request by its XPath."""
    full = _full(server, entry_id)
    root = etree.fromstring(full["request"].encode())
    found = root.xpath(full["culprit"]["xpath"])
    assert len(found) == 1, full["culprit"]
    return found[0]


def test_wrong_path_and_method_are_journaled_with_the_valid_endpoints(mockwcf_server):
    base = mockwcf_server.base_url
    resp = requests.post(base + "/Nope.svc", data=b"<x/>", headers={"Content-Type": "text/xml"}, timeout=10)
    assert resp.status_code == 404
    assert "Valid endpoints:" in resp.text and "POST /EchoService.svc" in resp.text and "?wsdl" in resp.text
    resp = requests.delete(mockwcf_server.url, timeout=10)
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET, POST"
    assert "Valid endpoints:" in resp.text
    assert requests.get(mockwcf_server.wsdl_url, timeout=10).status_code == 200
    items = _exchanges(mockwcf_server)
    assert [(i["method"], i["target"], i["verdict"], i["status"]) for i in items] == [
        ("POST", "/Nope.svc", "rejected", 404),
        ("DELETE", "/EchoService.svc", "rejected", 405),
        ("GET", "/EchoService.svc?wsdl", "served", 200),
    ]
    assert items[0]["reason"] == "No endpoint at /Nope.svc; the service is at /EchoService.svc"
    assert items[0]["wireCode"] == "HTTP 404"
    # admin requests are not journaled (the page polls it every second)
    assert len(_exchanges(mockwcf_server)) == 3
    # the fixture's view leaves the WSDL fetch out so indexes stay stable
    assert [e.status for e in mockwcf_server.journal] == [404, 405]


def test_headers_latency_and_hint_are_kept(mockwcf_server):
    body = wss.envelope()
    requests.post(
        mockwcf_server.url,
        data=body.encode(),
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{wss.ACTION}"',
            "X-Trace": "t-1",
        },
        timeout=10,
    )
    full = _full(mockwcf_server, mockwcf_server.last().id)
    assert full["requestHeaders"]["x-trace"] == "t-1"
    assert full["requestHeaders"]["soapaction"] == f'"{wss.ACTION}"'
    assert ["X-MockWcf-Resource-Code", "UnableToFindSecurityHeaderInMessage"] in full["responseHeaders"]
    assert full["latencyMs"] > 0
    assert full["hint"].startswith("Binding mismatch")


def test_filters(mockwcf_server):
    url = mockwcf_server.url
    wss.post(url, wss.envelope(wss.security(wss.username_token())))  # accepted
    first = mockwcf_server.last().id
    wss.post(url, wss.envelope(wss.security(wss.username_token(password="wrong"))))
    wss.post(url, wss.envelope())
    requests.get(mockwcf_server.wsdl_url, timeout=10)
    codes = [i["resourceCode"] for i in _exchanges(mockwcf_server, "?verdict=rejected")]
    assert codes == ["UserNameAuthenticationFailed", "UnableToFindSecurityHeaderInMessage"]
    assert [i["verdict"] for i in _exchanges(mockwcf_server, "?code=UserNameAuthenticationFailed")] == [
        "rejected"
    ]
    assert len(_exchanges(mockwcf_server, "?operation=echo")) == 3  # case-insensitive, WSDL fetch has none
    assert [i["id"] for i in _exchanges(mockwcf_server, f"?since={first}")] == [
        first + 1,
        first + 2,
        first + 3,
    ]
    time_of_second = _exchanges(mockwcf_server)[1]["time"]
    assert [i["id"] for i in _exchanges(mockwcf_server, f"?since={time_of_second}&verdict=served")] == [
        first + 3
    ]
    bad = requests.get(
        f"{mockwcf_server.base_url}/_mockwcf/exchanges?verdict=failed&code=UserNameAuthFailed&color=red",
        timeout=10,
    )
    assert bad.status_code == 400
    problems = bad.json()["problems"]
    assert problems[0] == "verdict: 'failed' is not one of accepted, rejected, served"
    assert "did you mean UserNameAuthenticationFailed" in problems[1]
    assert problems[2].startswith("color: not a filter")


def test_passwords_and_nonces_are_redacted_by_default(mockwcf_server):
    nonce = "<wsse:Nonce>bm9uY2Vub25jZQ==</wsse:Nonce>"
    wss.post(
        mockwcf_server.url, wss.envelope(wss.security(wss.username_token(password="s3cret!", extra=nonce)))
    )
    full = _full(mockwcf_server, mockwcf_server.last().id)
    assert "s3cret!" not in full["request"] and "bm9uY2Vub25jZQ==" not in full["request"]
    assert "[redacted: 7 characters]</wsse:Password>" in full["request"]
    assert "<wsse:Nonce>[redacted: 16 characters]</wsse:Nonce>" in full["request"]
    assert "<wsse:Username>alice</wsse:Username>" in full["request"]
    # The in-process readers (the pytest fixture's journal) see the same redacted body, never the secret
    in_process = mockwcf_server.runtime.journal.entries()[-1]
    assert b"s3cret!" not in in_process.request and b"[redacted: 7 characters]" in in_process.request


def test_include_secrets_keeps_them_and_max_bytes_bounds_the_journal(mockwcf_server):
    data = yaml.safe_load(HTTP_USERNAME.read_text())
    data["journal"] = {"includeSecrets": True, "maxBytes": 6000}
    mockwcf_server.load(data, base_dir=SCENARIOS)
    for _ in range(12):
        wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.timestamp(), wss.username_token())))
    journal = mockwcf_server.runtime.journal
    assert journal.bytes <= 6000
    assert 1 < len(journal) < 12  # the oldest were dropped for bytes, not for count
    assert journal.entries()[-1].id - journal.entries()[0].id == len(journal) - 1
    assert "p@ssw0rd" in _full(mockwcf_server, mockwcf_server.last().id)["request"]


def test_a_timestamp_in_the_future_blames_the_timestamp(mockwcf_server):
    mockwcf_server.load(HTTP_USERNAME)
    wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.username_token(), wss.timestamp(shift=900))))
    entry = mockwcf_server.assert_fault("TimeStampHasCreationTimeInFuture")
    assert entry.culprit["name"] == "wsu:Timestamp"
    element = _blamed(mockwcf_server, entry.id)
    assert element.tag == f"{{{ns.WSU}}}Timestamp"


def _seed001(server):
    server.load(SEED001)
    return [wss.timestamp(), wss.bst(CERTS / "client.pem"), wss.username_token()]


def test_a_failed_digest_blames_its_reference(mockwcf_server):
    items = _seed001(mockwcf_server)
    doc = wss.sign(
        wss.envelope(wss.security(*items)),
        CERTS / "client.key",
        CERTS / "client.pem",
        ["TS-1", "Body-1", "UT-1"],
    )
    wss.post(mockwcf_server.url, doc.replace("<text>hi</text>", "<text>HI</text>"))
    entry = mockwcf_server.assert_fault("DigestVerificationFailedForReference")
    element = _blamed(mockwcf_server, entry.id)
    assert element.tag == f"{{{ns.DS}}}Reference" and element.get("URI") == "#Body-1"


def test_an_unresolved_keyinfo_blames_the_keyinfo(mockwcf_server):
    _seed001(mockwcf_server)
    doc = wss.sign(
        wss.envelope(wss.security(wss.timestamp(), wss.username_token())),
        CERTS / "client.key",
        CERTS / "client.pem",
        ["TS-1", "Body-1", "UT-1"],
        keyinfo="issuer_serial",
    )
    wss.post(mockwcf_server.url, doc)
    entry = mockwcf_server.assert_fault("UnableToResolveKeyInfoForVerifyingSignature")
    assert _blamed(mockwcf_server, entry.id).tag == f"{{{ns.DS}}}KeyInfo"


def test_credentials_blame_the_password_the_username_or_the_token(mockwcf_server):
    wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.username_token(password="nope"))))
    wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.username_token(user="mallory"))))
    wss.post(mockwcf_server.url, wss.envelope(wss.security(wss.username_token(password=None))))
    blamed = [_blamed(mockwcf_server, e.id).tag for e in mockwcf_server.journal]
    assert blamed == [f"{{{ns.WSSE}}}Password", f"{{{ns.WSSE}}}Username", f"{{{ns.WSSE}}}UsernameToken"]


def test_entry_time_is_the_clock_read_as_format_wcf_time_writes_it():
    """wcf_time_now formats the date and time of day once a second; it must read like format_wcf_time."""
    from datetime import UTC, datetime

    from mockwcf.clock import format_wcf_time
    from mockwcf.journal import wcf_time_now

    for _ in range(200):
        before = format_wcf_time(datetime.now(UTC))
        now = wcf_time_now()
        after = format_wcf_time(datetime.now(UTC))
        assert before <= now <= after and len(now) == len(before) == 24 and now.endswith("Z")
