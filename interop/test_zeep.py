"""zeep with python-xmlsec (zeep's own WS-Security plugins) against the shipped scenarios."""

from __future__ import annotations

import datetime

import pytest
import zeep
from lxml import etree
from zeep.transports import Transport
from zeep.wsse.signature import BinarySignature, verify_envelope
from zeep.wsse.username import UsernameToken
from zeep.wsse.utils import WSU, get_security_header

from interop.conftest import CERTS, CLIENT_TIMEOUT, Report, expect, load
from mockwcf import exceptiondetail
from mockwcf.testing import MockServer


def timestamp(minutes: int = 5):
    now = datetime.datetime.now(datetime.UTC)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return WSU.Timestamp(
        WSU.Created(now.strftime(fmt)), WSU.Expires((now + datetime.timedelta(minutes=minutes)).strftime(fmt))
    )


# clients.md: zeep-x509 begin
class WcfBinarySignature(BinarySignature):
    """zeep's BinarySignature (BST + wsse:Reference, python-xmlsec) with the three things WCF needs:
    a signed wsu:Timestamp added first, the response verified with the *service* certificate (zeep uses the
    client's, python-zeep #822), and unsigned faults let through (zeep verifies first, #1197)."""

    def __init__(self, key: str, cert: str, service_cert: str) -> None:
        super().__init__(key, cert)
        self.service_cert = service_cert

    def apply(self, envelope, headers):
        get_security_header(envelope).append(timestamp())
        return super().apply(envelope, headers)

    def verify(self, envelope):
        if envelope.find(".//{*}Body/{*}Fault") is not None:
            return envelope  # WCF's security faults are unsigned
        verify_envelope(envelope, self.service_cert)
        return envelope


# clients.md: zeep-x509 end


def security(kind: str, user: str = "alice", password: str = "p@ssw0rd", cert: str = "client"):
    if kind == "username":
        # clients.md: zeep-username begin
        return UsernameToken(
            user, password, timestamp_token=timestamp()
        )  # PasswordText; never use_digest=True
        # clients.md: zeep-username end
    if kind == "x509":
        return WcfBinarySignature(
            str(CERTS / "client.key"), str(CERTS / f"{cert}.pem"), str(CERTS / "service.pem")
        )
    return None


def call(server: MockServer, kind: str, **settings: str) -> Report:
    transport = Transport(timeout=CLIENT_TIMEOUT, operation_timeout=CLIENT_TIMEOUT)
    client = zeep.Client(server.wsdl_url, wsse=security(kind, **settings), transport=transport)
    try:
        return Report(result=client.service.Echo(text="hello from zeep"))
    except zeep.exceptions.Fault as fault:
        # clients.md: zeep-fault begin
        diagnosis = exceptiondetail.parse(fault.detail)  # or: the ExceptionDetail/Message text up to ':'
        # clients.md: zeep-fault end
        return Report(
            code=fault.code,
            reason=fault.message,
            detail_message=f"{diagnosis.code}: {diagnosis.specifics}" if diagnosis else None,
        )


CASES = [
    ("username-over-http.yaml", {"kind": "username"}, "accepted"),
    ("username-over-http.yaml", {"kind": "none"}, ("InvalidSecurity", "UnableToFindSecurityHeaderInMessage")),
    (
        "username-over-http.yaml",
        {"kind": "username", "password": "wrong"},
        ("FailedAuthentication", "UserNameAuthenticationFailed"),
    ),
    (
        "clock-skew-client-ahead.yaml",
        {"kind": "username"},
        ("InvalidSecurity", "TimeStampHasCreationTimeInFuture"),
    ),
    ("unsecured.yaml", {"kind": "none"}, "accepted"),
    # zeep's wsse:Security carries no mustUnderstand, so an unsecured WCF service ignores it, as WCF does
    ("unsecured.yaml", {"kind": "username"}, "accepted"),
    ("mutual-certificate-lax.yaml", {"kind": "x509"}, "accepted"),
    (
        "mutual-certificate-lax.yaml",
        {"kind": "x509", "cert": "client-untrusted"},
        ("FailedAuthentication", "X509ChainBuildFail"),
    ),
    # zeep writes the Signature before the BST: Strict resolves nothing yet
    (
        "mutual-certificate-strict.yaml",
        {"kind": "x509"},
        ("InvalidSecurity", "UnableToResolveKeyInfoForVerifyingSignature"),
    ),
]


@pytest.mark.parametrize(("scenario", "settings", "outcome"), CASES, ids=lambda v: str(v))
def test_zeep(mockwcf_server, scenario, settings, outcome):
    load(mockwcf_server, scenario)
    report = call(mockwcf_server, **settings)
    expect(mockwcf_server, report, outcome)


def test_zeep_sees_the_header_and_a_signed_response_verified(mockwcf_server):
    """The X-MockWcf-Resource-Code header for zeep users (the raw response), and zeep's own verification of
    WCF's signed response (a wrong signature would raise, not return)."""
    load(mockwcf_server, "mutual-certificate-lax.yaml")
    assert call(mockwcf_server, "x509").result == "hello from zeep"
    response = etree.fromstring(mockwcf_server.last().response)
    assert response.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    load(mockwcf_server, "username-over-http.yaml")
    client = zeep.Client(mockwcf_server.wsdl_url)
    with client.settings(raw_response=True):
        raw = client.service.Echo(text="x")
    assert (
        raw.status_code == 500
        and raw.headers["X-MockWcf-Resource-Code"] == "UnableToFindSecurityHeaderInMessage"
    )
