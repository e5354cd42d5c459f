"""Transport credentials at load (file:line refusals, never a traceback) and the issue's report: wsHttpBinding
mode Transport with clientCredentialType Windows must challenge, not answer 200 to an anonymous request."""

from __future__ import annotations

import pytest
import requests
from lxml import etree
from requests_ntlm import HttpNtlmAuth

from mockwcf.scenario import ScenarioError, load_dict, load_text
from mockwcf.testing import MockServer
from tests.conftest import CERTS

SERVICE_CERT = {"certificate": str(CERTS / "service.pem"), "privateKey": str(CERTS / "service.key")}


def _errors(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        load_text(text, "x.yaml", CERTS)
    return err.value.lines()


def test_wshttp_transport_windows_challenges_anonymous_requests():
    scenario = load_dict(
        {
            "binding": {
                "type": "wsHttpBinding",
                "security": {"mode": "Transport", "clientCredentialType": "Windows"},
            },
            "credentials": {
                "serviceCertificate": SERVICE_CERT,
                "windows": {"users": {"CONTOSO\\alice": "pw1!"}},
            },
        }
    )
    srv = MockServer.start(scenario)
    try:
        r = requests.post(srv.url, data=b"<x/>", verify=False, timeout=10)
        assert r.status_code == 401
        assert r.raw.headers.getlist("WWW-Authenticate") == ["Negotiate", "NTLM"]
        ok = requests.get(srv.wsdl_url, verify=False, timeout=10, auth=HttpNtlmAuth("CONTOSO\\alice", "pw1!"))
        assert ok.status_code == 200
    finally:
        srv.stop()


def test_message_security_with_windows_is_refused_with_the_reason():
    lines = _errors(
        "binding:\n  type: wsHttpBinding\n  security:\n    mode: Message\n    clientCredentialType: Windows\n"
        "    establishSecurityContext: false\n"
    )
    text = "\n".join(lines)
    assert (
        "x.yaml:5: binding.security.clientCredentialType: Message security with Windows credentials" in text
    )
    assert "mode Transport" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "binding:\n  type: wsHttpBinding\n  security:\n    mode: TransportCredentialOnly\n"
            "    clientCredentialType: Basic\ncredentials: {userNameAuthentication: {users: {a: b}}}\n",
            "x.yaml:4: binding.security.mode: TransportCredentialOnly is a basicHttpBinding mode",
        ),
        (
            "binding: {type: basicHttpBinding, security: {mode: TransportCredentialOnly, clientCredentialType: Ntlm}}\n",
            "credentials.windows: Windows transport authentication needs",
        ),
        (
            "binding: {type: basicHttpBinding, security: {mode: TransportCredentialOnly, clientCredentialType: Ntlm}}\n"
            "credentials:\n  windows:\n    users: {alice: pw}\n",
            "x.yaml:4: credentials.windows.users: 'alice': write users as DOMAIN",
        ),
        (
            "binding:\n  type: basicHttpBinding\n  security:\n    transport: {clientCredentialType: Basic}\n",
            "applies to mode Transport or TransportCredentialOnly",
        ),
        (
            "binding: {type: basicHttpBinding, security: {mode: TransportCredentialOnly, clientCredentialType: Basic}}\n",
            "credentials.userNameAuthentication.users: Basic authentication needs at least one user",
        ),
    ],
)
def test_refused_at_load_with_file_line_and_key(text, expected):
    assert any(expected in line for line in _errors(text)), _errors(text)


def test_custom_binding_authentication_scheme():
    scenario = load_dict(
        {
            "binding": {
                "type": "customBinding",
                "security": {
                    "mode": "Transport",
                    "transport": {"authenticationScheme": "IntegratedWindowsAuthentication"},
                },
            },
            "credentials": {
                "serviceCertificate": SERVICE_CERT,
                "windows": {"users": {"CONTOSO\\alice": "pw1!"}},
            },
        }
    )
    assert scenario.transport_auth.schemes == ("Negotiate", "NTLM")
    assert scenario.binding.https


def test_validate_explain_names_the_transport_scheme(capsys):
    from mockwcf import cli

    assert (
        cli.main(["validate", "--explain", str(CERTS.parent / "scenarios" / "windows-negotiate.yaml")]) == 0
    )
    assert "HTTP transport: AuthenticationScheme Negotiate, NTLM (IIS)" in capsys.readouterr().out


def _wsdl_policy(data: dict) -> etree._Element:
    from mockwcf import wsdl
    from mockwcf.service import Contract

    scenario = load_dict(data)
    doc = etree.fromstring(wsdl.build(scenario, Contract(scenario), "http://localhost/EchoService.svc"))
    return doc.find("{http://schemas.xmlsoap.org/ws/2004/09/policy}Policy")


def test_wsdl_policy_names_the_http_authentication():
    """HttpTransportBindingElement.OnExportPolicy: the binding's schemes (Windows -> Negotiate only)."""
    http = "{http://schemas.microsoft.com/ws/06/2004/policy/http}"
    windows = {
        "binding": {"security": {"mode": "TransportCredentialOnly", "clientCredentialType": "Windows"}},
        "credentials": {"windows": {"users": {"CONTOSO\\alice": "pw"}}},
    }
    policy = _wsdl_policy(windows)
    assert policy.find(f".//{http}NegotiateAuthentication") is not None
    assert policy.find(f".//{http}NtlmAuthentication") is None  # IIS's NTLM provider is not the binding's
    assert "HttpsToken" not in etree.tostring(policy).decode()  # TransportCredentialOnly: plain HTTP
    custom = {
        "binding": {
            "type": "customBinding",
            "messageVersion": "Soap11",
            "security": {
                "mode": "Transport",
                "transport": {
                    "authenticationScheme": "IntegratedWindowsAuthentication",
                    "requireClientCertificate": True,
                },
            },
        },
        "credentials": {
            "serviceCertificate": SERVICE_CERT,
            "windows": {"users": {"CONTOSO\\alice": "pw"}},
            "clientCertificate": {"trustedCertificates": [str(CERTS / "ca.pem")]},
        },
    }
    policy = _wsdl_policy(custom)
    one = policy.find(
        ".//{http://schemas.xmlsoap.org/ws/2004/09/policy}ExactlyOne/" + http + "NegotiateAuthentication/.."
    )
    assert [c.tag.split("}")[1] for c in one] == ["NegotiateAuthentication", "NtlmAuthentication"]
    token = policy.find(".//{http://schemas.xmlsoap.org/ws/2005/07/securitypolicy}HttpsToken")
    assert token.get("RequireClientCertificate") == "true"
    assert _wsdl_policy({"binding": {"security": {"mode": "TransportCredentialOnly"}}}) is None
