"""Apache WSS4J (Debian's libwss4j-java 1.6) securing requests from WSHandlerConstants, as CXF configures it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from interop.conftest import SCENARIOS, Report, expect, load, run, tab_report
from mockwcf.testing import MockServer

FIELDS = ["code", "reason", "header", "detail_message"]


def wss4j(
    classpath: str,
    server: MockServer,
    pfx: dict[str, Path],
    mode: str,
    key_id: str = "DirectReference",
    user: str = "alice",
    password: str = "p@ssw0rd",
    cert: str = "client",
) -> Report:
    line = run(
        ["java", "-cp", classpath, "EchoClient", server.url, mode, key_id, user, password, str(pfx[cert])]
    )
    return tab_report(line, FIELDS)


CASES = [
    ("username-over-http.yaml", {"mode": "username"}, "accepted"),
    ("username-over-http.yaml", {"mode": "none"}, ("InvalidSecurity", "UnableToFindSecurityHeaderInMessage")),
    (
        "username-over-http.yaml",
        {"mode": "username", "password": "wrong"},
        ("FailedAuthentication", "UserNameAuthenticationFailed"),
    ),
    (
        "clock-skew-client-ahead.yaml",
        {"mode": "username"},
        ("InvalidSecurity", "TimeStampHasCreationTimeInFuture"),
    ),
    ("unsecured.yaml", {"mode": "username"}, ("MustUnderstand", "SFxHeaderNotUnderstood")),
    # seed 001: MutualCertificate + signed UsernameToken, Strict
    ("seed001-mutual-certificate.yaml", {"mode": "x509"}, "accepted"),
    (
        "seed001-mutual-certificate.yaml",
        {"mode": "x509", "key_id": "IssuerSerial"},
        ("InvalidSecurity", "UnableToResolveKeyInfoForVerifyingSignature"),
    ),
    (
        "seed001-mutual-certificate.yaml",
        {"mode": "x509", "cert": "client-untrusted"},
        ("FailedAuthentication", "X509ChainBuildFail"),
    ),
    (
        "seed001-mutual-certificate.yaml",
        {"mode": "x509", "password": "wrong"},
        ("FailedAuthentication", "UserNameAuthenticationFailed"),
    ),
]


@pytest.mark.parametrize(("scenario", "settings", "outcome"), CASES, ids=lambda v: str(v))
def test_wss4j(wss4j_classpath, mockwcf_server, pfx, scenario, settings, outcome):
    load(mockwcf_server, scenario)
    report = wss4j(wss4j_classpath, mockwcf_server, pfx, **settings)
    expect(mockwcf_server, report, outcome, reads_header=True)


@pytest.mark.parametrize(
    ("key_id", "outcome"),
    [
        ("IssuerSerial", "accepted"),
        ("SKIKeyIdentifier", "accepted"),
        # ThumbprintSHA1 is a WSS 1.1 clause; a KeyIdentifier carrying the certificate is not one WCF reads
        ("Thumbprint", ("InvalidSecurity", "CannotReadKeyIdentifierClause")),
        ("X509KeyIdentifier", ("InvalidSecurity", "CannotReadKeyIdentifierClause")),
    ],
)
def test_wss4j_encrypt_and_sign(wss4j_classpath, mockwcf_server, pfx, truststore, key_id, outcome):
    """basicHttpBinding-style MutualCertificate (WSS 1.0, Lax) with EncryptAndSign: WSS4J wraps its key for the
    service certificate and encrypts Body and Signature; for "accepted" WSS4J's own engine then decrypts and
    verifies mockwcf's reply (encrypted for the client certificate) before the echo is read."""
    data = yaml.safe_load((SCENARIOS / "mutual-certificate-lax.yaml").read_text(encoding="utf-8"))
    data["binding"]["security"]["protectionLevel"] = "EncryptAndSign"
    mockwcf_server.load(data, base_dir=SCENARIOS)
    line = run(
        ["java", "-cp", wss4j_classpath, "EchoClient", mockwcf_server.url, "x509encrypt", key_id, "-", "-",
         str(pfx["client"]), str(truststore)]
    )  # fmt: skip
    expect(mockwcf_server, tab_report(line, FIELDS), outcome, reads_header=True)


@pytest.mark.parametrize(
    ("order", "mode", "outcome"),
    [
        ("EncryptBeforeSign", "x509encryptfirst", "accepted"),
        # WSS4J's "Signature Encrypt" order (signature encrypted, ReferenceList inside the EncryptedKey, read
        # before the signature): decrypt-then-verify, refused by an EncryptBeforeSign service
        ("EncryptBeforeSign", "x509encrypt", ("InvalidSecurity", "MessageProtectionOrderMismatch")),
        # and WSS4J's "Encrypt Signature" order sent to WCF's default order: the signature arrives clear
        (
            "SignBeforeEncryptAndEncryptSignature",
            "x509encryptfirst",
            ("InvalidSecurity", "PrimarySignatureIsRequiredToBeEncrypted"),
        ),
    ],
)
def test_wss4j_encrypt_before_sign(wss4j_classpath, mockwcf_server, pfx, truststore, order, mode, outcome):
    """EncryptBeforeSign (protectionorder.py): WSS4J encrypts the Body for the service certificate, then signs the
    encrypted Body; for "accepted" WSS4J's engine verifies mockwcf's reply signature over its encrypted Body and
    then decrypts it."""
    data = yaml.safe_load((SCENARIOS / "mutual-certificate-lax.yaml").read_text(encoding="utf-8"))
    data["binding"]["security"]["protectionLevel"] = "EncryptAndSign"
    data["binding"]["security"]["messageProtectionOrder"] = order
    mockwcf_server.load(data, base_dir=SCENARIOS)
    line = run(
        ["java", "-cp", wss4j_classpath, "EchoClient", mockwcf_server.url, mode, "IssuerSerial", "-", "-",
         str(pfx["client"]), str(truststore)]
    )  # fmt: skip
    expect(mockwcf_server, tab_report(line, FIELDS), outcome, reads_header=True)
