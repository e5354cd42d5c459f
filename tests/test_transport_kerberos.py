"""Seed 002's causes 1 and 2 for real: Kerberos/SPNEGO against a throw-away MIT KDC (the `mockwcf_kdc`
fixture), with real clients (curl --negotiate, requests-gssapi, pyspnego's Negotiate client), and each
failure's answer, journal cause and hint."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import spnego
from requests_gssapi import HTTPSPNEGOAuth

from mockwcf.pytest_plugin import KDC_USERS
from mockwcf.scenario import load_dict
from mockwcf.testing import MockServer
from mockwcf.transport import kdc as kdcmod
from tests import wss

PASSWORD = dict(KDC_USERS)


def _scenario(realm, allow_ntlm: bool = True, hosting: str = "IIS") -> dict:
    return {
        "name": "tco-windows",
        "binding": {
            "type": "basicHttpBinding",
            "security": {
                "mode": "TransportCredentialOnly",
                "clientCredentialType": "Windows",
                "transport": {"hosting": hosting},
            },
        },
        "credentials": {
            "windows": {
                "users": {f"{realm.realm}\\{u}": p for u, p in KDC_USERS},
                "keytab": str(realm.keytab),
                "krb5Config": str(realm.krb5_conf),
                "allowNtlm": allow_ntlm,
            }
        },
    }


@pytest.fixture(scope="module")
def server(mockwcf_kdc):
    srv = MockServer.start(load_dict(_scenario(mockwcf_kdc)))
    yield srv
    srv.stop()


@pytest.fixture
def ccache(mockwcf_kdc, tmp_path, monkeypatch) -> Path:
    """alice's TGT in a private cache, and the environment pointing the in-process clients at the realm."""
    path = mockwcf_kdc.kinit("alice", PASSWORD["alice"], tmp_path / "ccache")
    monkeypatch.setenv("KRB5_CONFIG", str(mockwcf_kdc.krb5_conf))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{path}")
    return path


def _url(server: MockServer, host: str) -> str:
    return f"http://{host}:{server.port}{server.runtime.scenario.service.path}"


def _post(url: str, **kw: object) -> requests.Response:
    body = wss.envelope(text="hi").encode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{wss.ACTION}"'}
    return requests.post(url, data=body, headers=headers, timeout=10, **kw)


def _curl(url: str, host: str, port: int, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    body = wss.envelope(text="curl").encode()
    return subprocess.run(
        [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--negotiate", "-u", ":",
            "--resolve", f"{host}:{port}:127.0.0.1", "-H", "Content-Type: text/xml; charset=utf-8",
            "-H", f'SOAPAction: "{wss.ACTION}"', "--data-binary", "@-", url,
        ],
        input=body, capture_output=True, timeout=20, check=False, env={**os.environ, **env},
    )  # fmt: skip


def test_kdc_starts_on_loopback_with_its_own_config(mockwcf_kdc):
    assert mockwcf_kdc.process is not None and mockwcf_kdc.process.poll() is None
    assert "127.0.0.1" in mockwcf_kdc.krb5_conf.read_text()
    assert mockwcf_kdc.env["KRB5_CONFIG"] != "/etc/krb5.conf"


def test_no_credentials_gets_negotiate_and_ntlm(server, mockwcf_kdc):
    """Cause 1: "The HTTP request is unauthorized with client authentication scheme 'Anonymous'. The
    authentication header received from the server was 'Negotiate,NTLM'"."""
    server.load(_scenario(mockwcf_kdc))
    r = _post(_url(server, "127.0.0.1"))
    assert r.status_code == 401
    assert r.raw.headers.getlist("WWW-Authenticate") == ["Negotiate", "NTLM"]
    entry = server.assert_fault("HttpAuthorizationFailed")
    assert "'Anonymous'" in entry.reason and "'Negotiate,NTLM'" in entry.reason


def test_requests_gssapi_kerberos_with_mutual_auth(server, mockwcf_kdc, ccache):
    server.load(_scenario(mockwcf_kdc))
    auth = HTTPSPNEGOAuth(target_name="HTTP@localhost")  # mutual authentication REQUIRED by default
    r = _post(_url(server, "127.0.0.1"), auth=auth)
    assert r.status_code == 200, r.text
    assert r.headers["WWW-Authenticate"].startswith("Negotiate ")  # the server's AP-REP
    entry = server.assert_accepted()
    assert {
        "step": "transport",
        "outcome": "ok",
        "detail": "authenticated alice@MOCKWCF.TEST (Kerberos)",
    } in entry.steps


def test_curl_negotiate(server, mockwcf_kdc, ccache):
    server.load(_scenario(mockwcf_kdc))
    env = {"KRB5_CONFIG": str(mockwcf_kdc.krb5_conf), "KRB5CCNAME": f"FILE:{ccache}"}
    out = _curl(_url(server, "localhost"), "localhost", server.port, env)
    assert out.stdout.decode() == "200", out.stderr


def test_spn_mismatch_client_gets_no_ticket(server, mockwcf_kdc, ccache):
    """Cause 2: the client asks for HTTP/127.0.0.1, which no account holds: the KDC answers 'Server not
    found in Kerberos database', the client has nothing to send and sees the 401 again."""
    server.load(_scenario(mockwcf_kdc))
    env = {"KRB5_CONFIG": str(mockwcf_kdc.krb5_conf), "KRB5CCNAME": f"FILE:{ccache}"}
    out = _curl(_url(server, "127.0.0.1"), "127.0.0.1", server.port, env)
    assert out.stdout.decode() == "401"
    entry = server.assert_fault("HttpAuthorizationFailed")
    assert "setspn" in entry.steps[0]["detail"] or "NoCredentials" in entry.reason
    r = _post(_url(server, "127.0.0.1"), auth=HTTPSPNEGOAuth(target_name="HTTP@127.0.0.1"))
    assert r.status_code == 401  # requests-gssapi logs the GSS failure and returns the challenge
    with pytest.raises(kdcmod.KdcError, match="not found in Kerberos database"):
        mockwcf_kdc.kvno("HTTP/127.0.0.1", ccache)  # what `klist`/`kvno` on the client shows


def _post_token(session: requests.Session, url: str, token: bytes) -> requests.Response:
    body = wss.envelope(text="hi").encode()
    headers = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{wss.ACTION}"',
        "Authorization": "Negotiate " + base64.b64encode(token).decode(),
    }
    return session.post(url, data=body, timeout=10, headers=headers)


def _negotiate(url: str, ctx: spnego.ContextProxy) -> requests.Response:
    """A Negotiate handshake on one keep-alive connection, driven by pyspnego's client."""
    session = requests.Session()
    token = ctx.step()
    while True:
        r = _post_token(session, url, token)
        challenge = r.headers.get("WWW-Authenticate", "")
        if r.status_code != 401 or not challenge.startswith("Negotiate "):
            return r
        token = ctx.step(base64.b64decode(challenge.split()[1]))


def test_spn_mismatch_falls_back_to_ntlm_when_allowed(server, mockwcf_kdc, ccache):
    server.load(_scenario(mockwcf_kdc, allow_ntlm=True))
    user = f"alice@{mockwcf_kdc.realm}"
    ctx = spnego.client(user, PASSWORD["alice"], hostname="127.0.0.1", service="HTTP", protocol="negotiate")
    r = _negotiate(_url(server, "127.0.0.1"), ctx)
    assert r.status_code == 200, (r.text, server.near_misses())
    assert ctx.negotiated_protocol == "ntlm"
    server.assert_accepted()


def test_spn_mismatch_without_ntlm_is_refused_with_the_spn_hint(server, mockwcf_kdc, ccache):
    server.load(_scenario(mockwcf_kdc, allow_ntlm=False))
    user = f"alice@{mockwcf_kdc.realm}"
    ctx = spnego.client(user, PASSWORD["alice"], hostname="127.0.0.1", service="HTTP", protocol="negotiate")
    r = _negotiate(_url(server, "127.0.0.1"), ctx)
    assert r.status_code == 401
    assert r.raw.headers.getlist("WWW-Authenticate") == ["Negotiate", "NTLM"]
    assert "setspn" in r.text and "servicePrincipalName" in r.text
    assert "NtlmNotAllowed" in server.assert_fault("HttpAuthorizationFailed").reason


def test_spn_on_the_wrong_account(server, mockwcf_kdc, ccache):
    """Duplicate or wrong-account SPN: the KDC seals the ticket with another account's key."""
    server.load(_scenario(mockwcf_kdc))
    r = _post(_url(server, "127.0.0.1"), auth=HTTPSPNEGOAuth(target_name="HTTP@wrong.localhost"))
    assert r.status_code == 401
    assert "setspn -X" in r.text
    assert "KRB_AP_ERR_MODIFIED" in server.assert_fault("HttpAuthorizationFailed").reason


def test_clock_skew(server, mockwcf_kdc, ccache):
    """Cause 5 for Kerberos: the client's clock is 10 minutes ahead (KRB_AP_ERR_SKEW) -> 400 (client fault)."""
    server.load(_scenario(mockwcf_kdc))
    mockwcf_kdc.kvno("HTTP/localhost", ccache)  # the ticket first: the KDC would refuse a skewed request
    kdcmod.skew_ccache(ccache, 600)
    r = _post(_url(server, "127.0.0.1"), auth=HTTPSPNEGOAuth(target_name="HTTP@localhost"))
    assert r.status_code == 400
    assert "NTP" in r.text and "w32tm" in r.text
    assert "KRB_AP_ERR_SKEW" in server.assert_fault("HttpBadAuthorization").reason


def test_wrong_mechanism_spnego_token(server, mockwcf_kdc):
    """A SPNEGO NegTokenInit offering only a mechanism nobody supports."""
    server.load(_scenario(mockwcf_kdc))
    from spnego._spnego import NegTokenInit  # pyspnego's own SPNEGO encoder

    token = NegTokenInit(mech_types=["1.2.3.4.5"]).pack()
    r = _post_token(requests.Session(), _url(server, "127.0.0.1"), token)
    assert r.status_code == 400
    assert b"Traceback" not in r.content
    server.assert_fault("HttpBadAuthorization")


def test_kinit_tool_present():
    assert shutil.which("kinit"), "make sysdeps installs krb5-user"


def test_raw_kerberos_and_raw_ntlm_under_negotiate(server, mockwcf_kdc, ccache):
    """Some clients (Java's, Windows' when Kerberos is out of reach) send a bare Kerberos AP-REQ or a bare
    NTLM message after `Negotiate`, not wrapped in SPNEGO: HTTP.sys's Negotiate package takes both."""
    import gssapi

    server.load(_scenario(mockwcf_kdc))
    name = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
    krb5 = gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.MechType.kerberos)
    assert _post_token(requests.Session(), _url(server, "127.0.0.1"), krb5.step()).status_code == 200
    assert "(Kerberos)" in server.assert_accepted().steps[0]["detail"]
    user = f"{mockwcf_kdc.realm}\\alice"
    ntlm = spnego.client(user, PASSWORD["alice"], hostname="127.0.0.1", service="HTTP", protocol="ntlm")
    assert _negotiate(_url(server, "127.0.0.1"), ntlm).status_code == 200
    server.load(_scenario(mockwcf_kdc, allow_ntlm=False))
    ntlm = spnego.client(user, PASSWORD["alice"], hostname="127.0.0.1", service="HTTP", protocol="ntlm")
    assert _negotiate(_url(server, "127.0.0.1"), ntlm).status_code == 401
    assert "NtlmNotAllowed" in server.assert_fault("HttpAuthorizationFailed").reason
