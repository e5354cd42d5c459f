"""A throw-away test PKI (`mockwcf certs DIR`, `make certs`).

One CA, a service certificate (TLS and response signing), a good client certificate and the broken
variants the scenarios need: expired, not yet valid, issued by an untrusted CA, without the
client-authentication usage, and without a Subject Key Identifier. Every client variant shares
`client.key`, so a test can sign with any of them.
"""

from __future__ import annotations

import inspect
import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FILES = (
    "ca.pem",
    "ca.key",
    "service.pem",
    "service.key",
    "client.pem",
    "client.key",
    "client-expired.pem",
    "client-notyet.pem",
    "client-untrusted.pem",
    "client-noeku.pem",
    "client-noski.pem",
    "other-ca.pem",
)


# every flag x509.KeyUsage takes (it has no defaults), read from its signature
_KEY_USAGE_FLAGS = tuple(inspect.signature(x509.KeyUsage).parameters)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    # DER order O then CN, so .NET shows "CN=..., O=mockwcf test" as real certificates do
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockwcf test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    *,
    serial: int,
    ca: bool = False,
    eku: list[x509.ObjectIdentifier] | None = None,
    ski: bool = True,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    san: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    # Python 3.13's default TLS context verifies with VERIFY_X509_STRICT (RFC 5280 profile): every issued
    # certificate needs an Authority Key Identifier and a CA needs keyCertSign in a Key Usage extension
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
    )
    if ca:
        usages = ("digital_signature", "key_cert_sign", "crl_sign")
        flags = {name: name in usages for name in _KEY_USAGE_FLAGS}
        builder = builder.add_extension(
            x509.KeyUsage(**flags),
            critical=True,
        )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def make(directory: str | Path, force: bool = False) -> list[Path]:
    """Write the PKI into `directory`; existing files are kept unless `force`."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    if not force and all((out / f).exists() for f in FILES):
        return [out / f for f in FILES]
    now = datetime.now(UTC)
    ca_key, service_key, client_key, other_key = _key(), _key(), _key(), _key()
    ca = _cert("mockwcf Test CA", ca_key, None, ca_key, serial=1, ca=True)
    other = _cert("Untrusted Test CA", other_key, None, other_key, serial=2, ca=True)
    client_eku = [ExtendedKeyUsageOID.CLIENT_AUTH]
    certs = {
        "ca.pem": ca,
        "other-ca.pem": other,
        "service.pem": _cert(
            "localhost", service_key, ca, ca_key, serial=1001, eku=[ExtendedKeyUsageOID.SERVER_AUTH], san=True
        ),
        # a large decimal serial, as in seed 001 (X509IssuerSerial compares it as a decimal string)
        "client.pem": _cert("client", client_key, ca, ca_key, serial=665497663279805416273, eku=client_eku),
        "client-expired.pem": _cert(
            "expired client",
            client_key,
            ca,
            ca_key,
            serial=2001,
            eku=client_eku,
            not_before=now - timedelta(days=400),
            not_after=now - timedelta(days=35),
        ),
        "client-notyet.pem": _cert(
            "future client",
            client_key,
            ca,
            ca_key,
            serial=2002,
            eku=client_eku,
            not_before=now + timedelta(days=30),
            not_after=now + timedelta(days=400),
        ),
        "client-untrusted.pem": _cert(
            "untrusted client", client_key, other, other_key, serial=2003, eku=client_eku
        ),
        "client-noeku.pem": _cert(
            "server-only client", client_key, ca, ca_key, serial=2004, eku=[ExtendedKeyUsageOID.SERVER_AUTH]
        ),
        "client-noski.pem": _cert(
            "client without ski", client_key, ca, ca_key, serial=2005, eku=client_eku, ski=False
        ),
    }
    for name, cert in certs.items():
        _write_cert(out / name, cert)
    _write_key(out / "ca.key", ca_key)
    _write_key(out / "service.key", service_key)
    _write_key(out / "client.key", client_key)
    return [out / f for f in FILES]
