"""Mono's message-security bindings under three algorithm suites, each decided from WCF's reference source.

Mono 6.8 (mcs/class/System.ServiceModel) builds every binding below and sends what it builds; the suite is set
alike on Mono's binding (`DefaultAlgorithmSuite`, or `Security.Message.AlgorithmSuite` for WSHttpBinding) and on
the scenario. What Mono does with a suite, from its source (System.ServiceModel.Channels.Security):

- SecureMessageGenerator signs the primary signature with HMAC-SHA1 when the binding's signature algorithm is
  exactly hmac-sha1; otherwise (Basic256Sha256's hmac-sha256 on a symmetric binding) it takes the asymmetric
  branch with no signing token and throws ArgumentNullException ("token") before anything is sent.
- Every RSA signature (the WSS 1.0 primary one, the WSS 1.1 endorsing one) is computed by SignedXml with no
  SignatureMethod set, which picks RSA-SHA256 whatever the suite; digests follow the suite.
- WSHttpBinding.CreateMessageSecurity never copies Security.Message.AlgorithmSuite, so wsHttpBinding always
  sends Basic256 (32-byte derived keys, HMAC-SHA1, SHA-1 digests).
- Mono's WSSecurityTokenSerializer cannot read an X509SubjectKeyIdentifier KeyIdentifier.

What WCF does with each message (microsoft/referencesource, System.ServiceModel/System/ServiceModel/Security):

- RSA-SHA256 under Basic256 or Basic128, HMAC-SHA1 under Basic256Sha256: WSSecurityOneDotZeroReceiveSecurityHeader
  .VerifySignature calls SecurityAlgorithmSuite.EnsureAcceptableSignatureAlgorithm (before any digest), whose
  IsAsymmetricSignatureAlgorithmSupported / IsSymmetricSignatureAlgorithmSupported accept the suite's own
  default only: MessageSecurityException SuiteDoesNotAcceptAlgorithm, sent as wsse:InvalidSecurity.
- A 32-byte DerivedKeyToken under Basic128: ReceiveSecurityHeader.Process caps derived keys at
  max(DefaultEncryptionKeyDerivationLength, DefaultSignatureKeyDerivationLength) / 8 = 16 bytes and
  DerivedKeySecurityToken.InitializeDerivedKey throws DerivedKeyLengthTooLong (wsse:InvalidSecurity).
- The WSS 1.0 (asymmetric) reply names both certificates by X509KeyIdentifierClauseType.Any
  (X509SecurityTokenParameters.CreateKeyIdentifierClause: the SubjectKeyIdentifier when the certificate has
  one, else IssuerSerial): the signature names the service certificate (RecipientTokenParameters), the
  EncryptedKey the client certificate (InitiatorTokenParameters). Mono reads the reply only when neither is
  named by SKI: a client certificate without the extension, and a service whose RecipientTokenParameters say
  IssuerSerial (`responseTokenReference: IssuerSerial`; certs/service.pem has an SKI).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interop.conftest import CERTS, PFX_PASSWORD, SCENARIOS, expect, run, tab_report
from interop.test_mono import FIELDS, WITH_DETAIL, WSSE
from mockwcf.testing import MockServer

WSS10 = (
    "WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10"
)
WSS11 = (
    "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10"
)
CUSTOM = {
    # Mono kind: (customBinding authenticationMode, messageSecurityVersion, messageVersion)
    "mutual11": ("MutualCertificate", WSS11, "Soap12WSAddressing10"),
    "mutual10": ("MutualCertificate", WSS10, "Soap11"),
    "usernameforcertificate": ("UserNameForCertificate", WSS11, "Soap12WSAddressing10"),
    "anonymousforcertificate": ("AnonymousForCertificate", WSS11, "Soap12WSAddressing10"),
}
NOT_SENT = ("System.ArgumentNullException", "token")  # Mono's HMAC-SHA256 branch: nothing reaches the wire


def scenario(kind: str, suite: str, response_reference: str | None = None) -> dict:
    """The service side of `kind`, as WCF compiles it, with the contract at EncryptAndSign (Mono encrypts)."""
    security: dict = {"algorithmSuite": suite, "protectionLevel": "EncryptAndSign"}
    if kind.startswith("wshttp"):
        security.update(
            mode="Message",
            clientCredentialType="Certificate" if kind == "wshttpcertificate" else "UserName",
            negotiateServiceCredential=False,
            establishSecurityContext=False,
        )
        binding = {"type": "wsHttpBinding", "security": security}
    else:
        mode, version, message_version = CUSTOM[kind]
        security.update(authenticationMode=mode, messageSecurityVersion=version)
        binding = {"type": "customBinding", "messageVersion": message_version, "security": security}
    if response_reference:  # RecipientTokenParameters.X509ReferenceStyle, as a service may set it in code
        security["responseTokenReference"] = response_reference
    return {
        "scenario": 1,
        "name": f"mono-{kind}-{suite}",
        "binding": binding,
        "credentials": {
            "serviceCertificate": {
                "certificate": "../certs/service.pem",
                "privateKey": "../certs/service.key",
            },
            "clientCertificate": {
                "certificateValidationMode": "ChainTrust",
                "trustedCertificates": ["../certs/ca.pem"],
            },
            "userNameAuthentication": {"users": {"alice": "p@ssw0rd"}},
        },
    }


def mono_secure(exe: Path, server: MockServer, kind: str, suite: str, pfx: Path):
    line = run(
        ["mono", str(exe), server.url, "secure", kind, suite, str(CERTS / "service.pem"), str(pfx),
         PFX_PASSWORD, "alice", "p@ssw0rd"]
    )  # fmt: skip
    return tab_report(line, FIELDS)


def refused(operation: str, algorithm: str) -> tuple[str, str, str]:
    return (
        "InvalidSecurity",
        "SuiteDoesNotAcceptAlgorithm",
        f"'{algorithm}' is not accepted for operation '{operation}'",
    )


RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
TOO_LONG = ("InvalidSecurity", "DerivedKeyLengthTooLong", "32 bytes")

MATRIX = [
    # WSS 1.1 MutualCertificate (symmetric): the endorsing RSA signature is RSA-SHA256 whatever the suite
    ("mutual11", "Basic256", refused("AsymmetricSignature", RSA_SHA256)),
    ("mutual11", "Basic128", refused("AsymmetricSignature", RSA_SHA256)),
    ("mutual11", "Basic256Sha256", NOT_SENT),
    # WSS 1.0 MutualCertificate (asymmetric): the primary RSA signature is RSA-SHA256; right for Basic256Sha256
    ("mutual10", "Basic256", refused("AsymmetricSignature", RSA_SHA256)),
    ("mutual10", "Basic128", refused("AsymmetricSignature", RSA_SHA256)),
    # UserNameForCertificate / AnonymousForCertificate: HMAC-SHA1 with the suite's key sizes
    ("usernameforcertificate", "Basic256", "accepted"),
    ("usernameforcertificate", "Basic128", "accepted"),
    ("usernameforcertificate", "Basic256Sha256", NOT_SENT),
    ("anonymousforcertificate", "Basic256", "accepted"),
    ("anonymousforcertificate", "Basic128", "accepted"),
    ("anonymousforcertificate", "Basic256Sha256", NOT_SENT),
    # WSHttpBinding Message: Mono ignores AlgorithmSuite and sends Basic256
    ("wshttpcertificate", "Basic256", refused("AsymmetricSignature", RSA_SHA256)),
    ("wshttpcertificate", "Basic256Sha256", refused("SymmetricSignature", HMAC_SHA1)),
    ("wshttpcertificate", "Basic128", TOO_LONG),
    ("wshttpusername", "Basic256", "accepted"),
    ("wshttpusername", "Basic256Sha256", refused("SymmetricSignature", HMAC_SHA1)),
    ("wshttpusername", "Basic128", TOO_LONG),
]


@pytest.mark.parametrize(("kind", "suite", "outcome"), MATRIX, ids=lambda v: v if isinstance(v, str) else "")
def test_mono_message_security_per_suite(mono_client, mockwcf_server, pfx, kind, suite, outcome):
    """Each binding Mono builds, under each suite: accepted with the echo read back from mockwcf's secured reply
    (Mono decrypts and verifies it), refused with the code WCF raises (module docstring: which WCF member and
    why), or never sent."""
    mockwcf_server.load(scenario(kind, suite), base_dir=SCENARIOS)
    report = mono_secure(mono_client, mockwcf_server, kind, suite, pfx["client"])
    if outcome == NOT_SENT:
        assert report.exception == NOT_SENT[0] and NOT_SENT[1] in report.error, report
        assert mockwcf_server.journal == []
        return
    if outcome == "accepted":
        expect(mockwcf_server, report, "accepted")
        assert b"EncryptedData" in mockwcf_server.last().response  # the reply Mono read was encrypted
        return
    subcode, code, reason = outcome
    expect(mockwcf_server, report, (subcode, code))
    assert report.exception == WITH_DETAIL and report.code_ns == WSSE, report
    assert report.top_code == (subcode if kind == "mutual10" else "Sender"), report  # SOAP 1.1 / 1.2
    assert reason in mockwcf_server.last().reason


def test_mono_wss10_mutual_certificate_basic256sha256_round_trip(mono_client, mockwcf_server, pfx):
    """WSS 1.0 MutualCertificate under Basic256Sha256 is what Mono gets right (RSA-SHA256, SHA-256 digests,
    AES-256, RSA-OAEP): accepted. With a client certificate without an SKI extension, WCF names it by
    IssuerSerial in the reply's EncryptedKey (X509KeyIdentifierClauseType.Any); with RecipientTokenParameters
    set to IssuerSerial the signature names the service certificate so too, and Mono decrypts and verifies
    the reply."""
    mockwcf_server.load(scenario("mutual10", "Basic256Sha256", "IssuerSerial"), base_dir=SCENARIOS)
    report = mono_secure(mono_client, mockwcf_server, "mutual10", "Basic256Sha256", pfx["client-noski"])
    expect(mockwcf_server, report, "accepted")
    steps = " ".join(s["detail"] for s in mockwcf_server.last().steps)
    assert "primary signature verified" in steps and "Body decrypted" in steps
    assert (
        b"X509IssuerSerial" in mockwcf_server.last().response
    )  # the EncryptedKey's (the signature is encrypted)


def test_mono_cannot_read_the_wss10_reply_naming_the_service_certificate_by_ski(
    mono_client, mockwcf_server, pfx
):
    """WCF's default for the same binding: the signature names certs/service.pem by its SKI (RecipientToken
    Any), which Mono cannot read even when the client certificate has no SKI."""
    mockwcf_server.load(scenario("mutual10", "Basic256Sha256"), base_dir=SCENARIOS)
    report = mono_secure(mono_client, mockwcf_server, "mutual10", "Basic256Sha256", pfx["client-noski"])
    mockwcf_server.assert_accepted()
    assert b"X509IssuerSerial" in mockwcf_server.last().response  # the EncryptedKey's, for client-noski
    assert report.exception == "System.Xml.XmlException", report
    assert "X509SubjectKeyIdentifier' is not supported" in report.error


def test_mono_cannot_read_the_wss10_reply_naming_its_certificate_by_ski(mono_client, mockwcf_server, pfx):
    """The same request with the usual client certificate (it has an SKI): accepted, and the reply's
    EncryptedKey names the certificate by X509SubjectKeyIdentifier as WCF's would (the service certificate is
    named by IssuerSerial here), which Mono's token serializer cannot read."""
    mockwcf_server.load(scenario("mutual10", "Basic256Sha256", "IssuerSerial"), base_dir=SCENARIOS)
    report = mono_secure(mono_client, mockwcf_server, "mutual10", "Basic256Sha256", pfx["client"])
    mockwcf_server.assert_accepted()
    assert report.exception == "System.Xml.XmlException", report
    assert "X509SubjectKeyIdentifier' is not supported" in report.error
