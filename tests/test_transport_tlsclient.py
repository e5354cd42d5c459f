"""Transport security with clientCredentialType Certificate: a TLS client certificate, validated with the
scenario's certificateValidationMode; missing or refused -> HTTP 403 (HttpsChannelListener), with certificates
made by `mockwcf certs` and real clients (requests, curl)."""

from __future__ import annotations

import subprocess

import pytest
import requests

from mockwcf.scenario import load_dict
from mockwcf.testing import MockServer
from tests import wss
from tests.conftest import CERTS


def _scenario(btype: str = "basicHttpBinding", mode: str = "ChainTrust") -> dict:
    security: dict = {"mode": "Transport", "clientCredentialType": "Certificate"}
    if btype == "customBinding":
        security = {
            "mode": "Transport",
            "transport": {"authenticationScheme": "Anonymous", "requireClientCertificate": True},
        }
    return {
        "name": "transport-certificate",
        "binding": {"type": btype, "messageVersion": "Soap11", "security": security},
        "credentials": {
            "serviceCertificate": {
                "certificate": str(CERTS / "service.pem"),
                "privateKey": str(CERTS / "service.key"),
            },
            "clientCertificate": {
                "certificateValidationMode": mode,
                "trustedCertificates": [str(CERTS / "ca.pem")],
                "trustedPeople": [str(CERTS / "client.pem")],
            },
        },
    }


@pytest.fixture(scope="module")
def server():
    srv = MockServer.start(load_dict(_scenario()))
    yield srv
    srv.stop()


def _post(server: MockServer, cert: str | None) -> requests.Response:
    body = wss.envelope(text="hi").encode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{wss.ACTION}"'}
    return requests.post(
        server.url,
        data=body,
        headers=headers,
        timeout=10,
        verify=str(CERTS / "ca.pem"),
        cert=(str(CERTS / cert), str(CERTS / "client.key")) if cert else None,
    )


def test_valid_client_certificate_is_accepted(server):
    server.load(_scenario())
    r = _post(server, "client.pem")
    assert r.status_code == 200
    server.assert_accepted()


def test_no_client_certificate_is_forbidden(server):
    server.load(_scenario())
    r = _post(server, None)
    assert r.status_code == 403
    assert r.headers["X-MockWcf-Resource-Code"] == "HttpAuthorizationForbidden"
    assert "NoClientCertificate" in server.assert_fault("HttpAuthorizationForbidden").reason


@pytest.mark.parametrize(
    ("cert", "word"),
    [
        ("client-expired.pem", "validity period"),
        ("client-notyet.pem", "validity period"),
        ("client-untrusted.pem", ""),
    ],
)
def test_refused_client_certificates(server, cert, word):
    server.load(_scenario())
    r = _post(server, cert)
    assert r.status_code == 403
    reason = server.assert_fault("HttpAuthorizationForbidden").reason
    assert word.lower() in reason.lower()


def test_peer_trust(server):
    server.load(_scenario(mode="PeerTrust"))
    assert _post(server, "client.pem").status_code == 200
    assert _post(server, "client-untrusted.pem").status_code == 403


def test_custom_binding_require_client_certificate(server):
    server.load(_scenario("customBinding"))
    assert _post(server, None).status_code == 403
    assert _post(server, "client.pem").status_code == 200


def test_curl_with_and_without_certificate(server):
    server.load(_scenario())
    base = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(CERTS / "ca.pem"),
            "-H", "Content-Type: text/xml; charset=utf-8", "-H", f'SOAPAction: "{wss.ACTION}"',
            "--data-binary", wss.envelope(text="c"), server.url.replace("127.0.0.1", "localhost"),
            "--resolve", f"localhost:{server.port}:127.0.0.1"]  # fmt: skip
    with_cert = base + ["--cert", str(CERTS / "client.pem"), "--key", str(CERTS / "client.key")]
    assert subprocess.run(with_cert, capture_output=True, timeout=20, check=False).stdout == b"200"
    assert subprocess.run(base, capture_output=True, timeout=20, check=False).stdout == b"403"


def test_transport_credential_only_refuses_certificate_at_load():
    from mockwcf.scenario import ScenarioError

    data = _scenario()
    data["binding"]["security"]["mode"] = "TransportCredentialOnly"
    with pytest.raises(ScenarioError, match="CertificateUnsupportedForHttpTransportCredentialOnly"):
        load_dict(data)
