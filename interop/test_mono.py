"""Mono's System.ServiceModel client (a real WCF implementation) reads mockwcf's faults as WCF's own.

Mono deserializes any fault detail as ExceptionDetail (ClientRuntimeChannel.Request), so this is the client
that proves the detail's shape: it must report FaultException<ExceptionDetail> with WCF's code, never a
SerializationException, and its Detail.Message must start with the resource code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interop.conftest import CERTS, PFX_PASSWORD, Report, expect, load, run, tab_report
from mockwcf.testing import MockServer

FIELDS = ["exception", "top_code", "code_ns", "code", "reason", "detail_message"]
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WITH_DETAIL = "System.ServiceModel.FaultException`1[System.ServiceModel.ExceptionDetail]"


def mono(exe: Path, server: MockServer, *args: str) -> Report:
    line = run(["mono", str(exe), server.url, *args])
    report = tab_report(line, FIELDS)
    return report


USERNAME_CASES = [
    # (scenario, client arguments, outcome)
    ("username-over-http.yaml", ["header", "alice", "p@ssw0rd"], "accepted"),
    ("username-over-http.yaml", ["plain"], ("InvalidSecurity", "UnableToFindSecurityHeaderInMessage")),
    (
        "username-over-http.yaml",
        ["header", "alice", "wrong"],
        ("FailedAuthentication", "UserNameAuthenticationFailed"),
    ),
    # wsHttpBinding: SOAP 1.2 + WS-Addressing, the code as Sender with the WS-Security subcode
    ("wshttp-username-transport.yaml", ["header12", "alice", "p@ssw0rd"], "accepted"),
    (
        "wshttp-username-transport.yaml",
        ["plain12"],
        ("InvalidSecurity", "UnableToFindSecurityHeaderInMessage"),
    ),
    (
        "wshttp-username-transport.yaml",
        ["header12", "alice", "wrong"],
        ("FailedAuthentication", "UserNameAuthenticationFailed"),
    ),
    ("unsecured.yaml", ["plain"], "accepted"),
    ("unsecured.yaml", ["header", "alice", "p@ssw0rd"], ("MustUnderstand", "SFxHeaderNotUnderstood")),
]


@pytest.mark.parametrize(("scenario", "args", "outcome"), USERNAME_CASES, ids=lambda v: str(v))
def test_mono_username(mono_client, mockwcf_server, scenario, args, outcome):
    load(mockwcf_server, scenario)
    report = mono(mono_client, mockwcf_server, *args)
    expect(mockwcf_server, report, outcome)
    if outcome != "accepted":
        assert report.exception == WITH_DETAIL, report  # not a SerializationException
        if outcome[0] != "MustUnderstand":
            assert report.code_ns == WSSE
            assert report.top_code == ("Sender" if scenario.startswith("wshttp") else outcome[0])


def test_mono_mutual_certificate_binding(mono_client, mockwcf_server, pfx):
    """Mono's MutualCertificate always encrypts (ProtectionLevel.Sign is not honoured) and signs RSA-SHA256 under
    Basic256. A Sign-only WCF service still expects encryption (MessageSecurityProtocol.ConfigureReceiveSecurity
    Header: ExpectEncryption = RequireConfidentiality, true on an asymmetric binding because
    SecurityBindingElement.GetProtectionRequirements gives the fault actions encrypted Body parts), so it
    decrypts the message and refuses the signature's algorithm (SecurityAlgorithmSuite.EnsureAcceptable
    SignatureAlgorithm): WCF's InvalidSecurity, read as FaultException<ExceptionDetail>."""
    load(mockwcf_server, "mutual-certificate-strict.yaml")
    report = mono(
        mono_client, mockwcf_server, "mutual", str(pfx["client"]), PFX_PASSWORD, str(CERTS / "service.pem")
    )
    expect(mockwcf_server, report, ("InvalidSecurity", "SuiteDoesNotAcceptAlgorithm"))
    assert report.exception == WITH_DETAIL


def test_mono_username_over_transport_binding_is_not_implemented_by_mono(mono_client, mockwcf_server):
    """Mono 6.8's TransportSecurityBindingElement.BuildChannelFactoryCore throws NotImplementedException, so
    UserNameOverTransport never reaches the wire; docs/clients.md says to send the token as a header instead."""
    load(mockwcf_server, "username-over-http.yaml")
    report = mono(mono_client, mockwcf_server, "usernameovertransport", "alice", "p@ssw0rd")
    assert report.exception == "System.NotImplementedException", report
    assert mockwcf_server.journal == []


def test_mono_cannot_build_secure_conversation_over_message_security(mono_client, mockwcf_server):
    """wsHttpBinding Message with establishSecurityContext: Mono 6.8 builds the binding
    (CreateSecureConversationBindingElement over UserNameForCertificate) but its ClientRuntimeChannel refuses the
    session channel ("channel type IRequestSessionChannel is not supported"), so nothing reaches the wire; the
    conversation is covered by tests/test_conversation_message.py's xmlsec client instead."""
    load(mockwcf_server, "wshttp-message-session.yaml")
    service = str(CERTS / "service.pem")
    report = mono(mono_client, mockwcf_server, "usernameforcertificatesession", "alice", "p@ssw0rd", service)
    assert report.exception == "System.InvalidOperationException", report
    assert "IRequestSessionChannel" in report.error
    assert mockwcf_server.journal == []


def test_mono_diagnostics_off_gets_wcfs_bare_fault(mono_client, mockwcf_server):
    load(mockwcf_server, "username-over-http.yaml", diagnostics=False)
    report = mono(mono_client, mockwcf_server, "header", "alice", "wrong")
    assert report.exception == "System.ServiceModel.FaultException", report
    assert report.code == "FailedAuthentication" and report.detail_message is None
    assert report.reason == "At least one security token in the message could not be validated."
    mockwcf_server.assert_fault("UserNameAuthenticationFailed")


OLD_DETAIL = "<d:MockWcfDiagnostics xmlns:d='urn:mockwcf:diagnostics'><d:ResourceCode>X</d:ResourceCode></d:MockWcfDiagnostics>"
EXCEPTION_DETAIL = (
    "<ExceptionDetail xmlns='http://schemas.datacontract.org/2004/07/System.ServiceModel'>"
    "<Message>X: from a custom fault</Message><Type>T</Type></ExceptionDetail>"
)


@pytest.mark.parametrize(
    ("detail", "exception"),
    [
        (OLD_DETAIL, "System.Runtime.Serialization.SerializationException"),  # issue 17: the old detail
        (EXCEPTION_DETAIL + OLD_DETAIL, WITH_DETAIL),  # Mono reads one object and ignores what follows
    ],
    ids=["old-detail-alone", "exception-detail-then-old"],
)
def test_mono_reads_details_as_exception_detail(mono_client, mockwcf_server, detail, exception):
    """The evidence behind docs/design.md's "Fault detail" decision, from Mono's side."""
    rule = {
        "customFault": {
            "code": "Sender",
            "subcode": f"{{{WSSE}}}InvalidSecurity",
            "reason": "r",
            "detail": detail,
        }
    }
    mockwcf_server.load({"binding": {"type": "basicHttpBinding"}, "rules": [rule]})
    report = mono(mono_client, mockwcf_server, "plain")
    assert report.exception == exception, report


@pytest.mark.parametrize(
    ("password", "outcome"),
    [("p@ssw0rd", "accepted"), ("wrong", ("FailedAuthentication", "UserNameAuthenticationFailed"))],
)
def test_mono_wshttp_message_username(mono_client, mockwcf_server, password, outcome):
    """Mono's symmetric UserNameForCertificate binding (EncryptedKey, derived keys, encrypted UsernameToken, Body
    and signature) is accepted, and Mono decrypts and verifies mockwcf's reply (the RESULT line is the echo)."""
    load(mockwcf_server, "wshttp-message-username.yaml")
    report = mono(
        mono_client, mockwcf_server, "usernameforcertificate", "alice", password, str(CERTS / "service.pem")
    )
    expect(mockwcf_server, report, outcome)
    if outcome == "accepted":
        steps = " ".join(s["detail"] for s in mockwcf_server.last().steps)
        assert "unwrapped with the service certificate" in steps and "Body decrypted" in steps
