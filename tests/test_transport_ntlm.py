"""Transport NTLM and Basic against real clients (requests-ntlm, curl --ntlm / -u), on plain HTTP
(TransportCredentialOnly), with the 401 challenges HttpListener/IIS send and the journal naming the cause."""

from __future__ import annotations

import base64
import subprocess

import pytest
import requests
from requests_ntlm import HttpNtlmAuth

from mockwcf.scenario import load_dict
from mockwcf.testing import MockServer
from tests import wss
from tests.test_http import Conn

USERS = {"CONTOSO\\alice": "Wonderland1!", "CONTOSO\\bob": "Builder2!"}


def _scenario(credential: str, **transport: object) -> dict:
    return {
        "name": f"tco-{credential.lower()}",
        "binding": {
            "type": "basicHttpBinding",
            "security": {
                "mode": "TransportCredentialOnly",
                "clientCredentialType": credential,
                "transport": transport,
            },
        },
        "credentials": {"windows": {"users": USERS}},
    }


@pytest.fixture(scope="module")
def server():
    srv = MockServer.start(load_dict(_scenario("Ntlm")))
    yield srv
    srv.stop()


def _post(url: str, **kw: object) -> requests.Response:
    body = wss.envelope(text="hi").encode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{wss.ACTION}"'}
    return requests.post(url, data=body, headers=headers, timeout=10, **kw)


def test_no_credentials_gets_the_ntlm_challenge(server):
    server.load(_scenario("Ntlm"))
    r = _post(server.url)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "NTLM"
    assert r.headers["X-MockWcf-Resource-Code"] == "HttpAuthorizationFailed"
    entry = server.assert_fault("HttpAuthorizationFailed")
    assert "NoCredentials" in entry.reason and "'Anonymous'" in entry.reason


def test_requests_ntlm_authenticates(server):
    server.load(_scenario("Ntlm"))
    r = _post(server.url, auth=HttpNtlmAuth("CONTOSO\\alice", USERS["CONTOSO\\alice"]))
    assert r.status_code == 200, r.text
    assert b"hi" in r.content
    entry = server.assert_accepted()
    assert any(st["detail"] == "authenticated CONTOSO\\alice (NTLM)" for st in entry.steps), entry.steps


def test_requests_ntlm_wrong_password_is_logon_denied(server):
    server.load(_scenario("Ntlm"))
    r = _post(server.url, auth=HttpNtlmAuth("CONTOSO\\alice", "wrong"))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "NTLM"  # the challenge again: a credential failure
    entry = server.assert_fault("HttpAuthorizationFailed")
    assert "LogonDenied" in entry.reason


def test_unknown_user_is_logon_denied(server):
    server.load(_scenario("Ntlm"))
    r = _post(server.url, auth=HttpNtlmAuth("CONTOSO\\mallory", "x"))
    assert r.status_code == 401
    assert "LogonDenied" in server.assert_fault("HttpAuthorizationFailed").reason


@pytest.mark.parametrize(
    ("user", "status"),
    [("CONTOSO\\bob:Builder2!", 200), ("CONTOSO\\bob:nope", 401)],
)
def test_curl_ntlm(server, user, status):
    server.load(_scenario("Ntlm"))
    body = wss.envelope(text="curl").encode()
    out = subprocess.run(
        [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--ntlm", "-u", user,
            "-H", "Content-Type: text/xml; charset=utf-8", "-H", f'SOAPAction: "{wss.ACTION}"',
            "--data-binary", "@-", server.url,
        ],
        input=body, capture_output=True, timeout=20, check=False,
    )  # fmt: skip
    assert out.stdout.decode() == str(status)


def test_windows_on_iis_challenges_negotiate_and_ntlm(server):
    server.load(_scenario("Windows"))
    r = _post(server.url)
    assert r.status_code == 401
    assert r.raw.headers.getlist("WWW-Authenticate") == ["Negotiate", "NTLM"]
    assert "'Negotiate,NTLM'" in server.assert_fault("HttpAuthorizationFailed").reason


def test_diagnostics_off_gives_only_the_challenge(server):
    data = _scenario("Ntlm")
    data["diagnostics"] = False
    server.load(data)
    r = _post(server.url)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "NTLM"
    assert "X-MockWcf-Resource-Code" not in r.headers and r.content == b""
    assert (
        "NoCredentials" in server.assert_fault("HttpAuthorizationFailed").reason
    )  # the journal still says why


def test_windows_self_hosted_challenges_negotiate_only(server):
    server.load(_scenario("Windows", hosting="SelfHosted"))
    r = _post(server.url)
    assert r.raw.headers.getlist("WWW-Authenticate") == ["Negotiate"]


def test_wsdl_needs_the_credential_too(server):
    server.load(_scenario("Ntlm"))
    assert requests.get(server.wsdl_url, timeout=10).status_code == 401
    ok = requests.get(
        server.wsdl_url, auth=HttpNtlmAuth("CONTOSO\\alice", USERS["CONTOSO\\alice"]), timeout=10
    )
    assert ok.status_code == 200 and b"definitions" in ok.content


# -- Basic ---------------------------------------------------------------------------------------------


def test_basic(server):
    server.load(_scenario("Basic", realm="mock"))
    r = _post(server.url)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Basic realm="mock"'
    assert _post(server.url, auth=("CONTOSO\\alice", "Wonderland1!")).status_code == 200
    assert _post(server.url, auth=("alice", "Wonderland1!")).status_code == 200
    bad = _post(server.url, auth=("alice", "nope"))
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"] == 'Basic realm="mock"'
    assert "WrongPassword" in server.assert_fault("HttpAuthorizationFailed").reason


def test_basic_self_hosted_refuses_a_wrong_password_with_403(server):
    """Self-hosted, WCF's own user name check fails after HttpListener: 403 without a challenge."""
    server.load(_scenario("Basic", hosting="SelfHosted"))
    bad = _post(server.url, auth=("alice", "nope"))
    assert bad.status_code == 403 and "WWW-Authenticate" not in bad.headers
    assert "WrongPassword" in server.assert_fault("HttpAuthorizationForbidden").reason
    assert _post(server.url, auth=("alice", "Wonderland1!")).status_code == 200


# -- bad input: as HttpListener answers, never a traceback ---------------------------------------------


def _raw(server: MockServer, authorization: str) -> tuple[int, bytes]:
    conn = Conn(server.url)
    body = wss.envelope(text="x").encode()
    conn.send(
        (
            f"POST {conn.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f'SOAPAction: "{wss.ACTION}"\r\nAuthorization: {authorization}\r\nContent-Length: {len(body)}\r\n\r\n'
        ).encode()
        + body
    )
    status, _headers, payload = conn.response()
    return status, payload


NTLM_NEGOTIATE = base64.b64encode(
    b"NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\xa2" + b"\x00" * 16 + b"\x0a\x00\x63\x45\x00\x00\x00\x0f"
).decode()


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        ("NTLM !!!notbase64", 400, "HttpBadAuthorization"),
        ("NTLM " + NTLM_NEGOTIATE[:12], 400, "HttpBadAuthorization"),  # truncated
        (
            "NTLM " + base64.b64encode(b"NTLMSSP\x00\x03\x00\x00\x00" + b"\x00" * 60).decode(),
            400,
            "HttpBadAuthorization",
        ),
        ("NTLM " + "A" * 15000, 400, "HttpBadAuthorization"),  # an oversized token (within 16 KB of headers)
        ("Digest username=x", 401, "HttpAuthorizationFailed"),  # a scheme not offered: the challenge
        ("", 401, "HttpAuthorizationFailed"),
        ("NTLM", 401, "HttpAuthorizationFailed"),  # a scheme without a blob matches nothing: the challenge
    ],
)
def test_malformed_authorization(server, header, status, code):
    server.load(_scenario("Ntlm"))
    got, payload = _raw(server, header)
    assert got == status
    assert b"Traceback" not in payload
    if code:
        server.assert_fault(code)


def test_basic_malformed(server):
    server.load(_scenario("Basic"))
    assert _raw(server, "Basic !!!")[0] == 400
    assert _raw(server, "Basic " + base64.b64encode(b"no-colon").decode())[0] == 400
    server.load(_scenario("Basic", hosting="SelfHosted"))
    assert _raw(server, "Basic !!!")[0] == 500  # HttpListener: the FormatException leaves 500


def test_replayed_ntlm_authenticate_is_refused(server):
    """The AUTHENTICATE message of a finished handshake, sent again on a new connection: no context -> 400."""
    server.load(_scenario("Ntlm"))
    ok = _post(server.url, auth=HttpNtlmAuth("CONTOSO\\alice", USERS["CONTOSO\\alice"]))
    assert ok.status_code == 200
    type3 = ok.request.headers["Authorization"]
    assert base64.b64decode(type3.split()[1])[8:9] == b"\x03"
    assert _raw(server, type3)[0] == 400
    assert "InvalidToken" in server.assert_fault("HttpBadAuthorization").reason


def test_zeep_over_ntlm(server):
    """The usual Python SOAP client: zeep with a requests session that speaks NTLM, WSDL fetch included."""
    import zeep
    from zeep.transports import Transport

    server.load(_scenario("Ntlm"))
    session = requests.Session()
    session.auth = HttpNtlmAuth("CONTOSO\\alice", USERS["CONTOSO\\alice"])
    client = zeep.Client(server.wsdl_url, transport=Transport(session=session))
    assert client.service.Echo(text="via zeep") == "via zeep"
    server.assert_accepted()
