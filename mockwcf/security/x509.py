"""BinarySecurityToken reading and client-certificate validation, as WCF's X509 token entry and
X509CertificateValidator do it (reference sections 5.1-5.3).

Validation happens the moment the token is read (reference 1.3), so an untrusted certificate is
reported before any signature is looked at.
"""

from __future__ import annotations

import binascii
import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from mockwcf import codes, ns, xmlread
from mockwcf.faults import Rejection

STEP = "x509"


@functools.lru_cache(maxsize=256)
def load_pem_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@functools.lru_cache(maxsize=4096)
def certificate_from_der(der: bytes) -> x509.Certificate:
    """Cached: a client sends the same certificate on every request (performance-floors.md, point 3)."""
    return x509.load_der_x509_certificate(der)


# (ValueType, EncodingType, text) -> certificate: a client sends the same token text on every request,
# so the hot path skips the base64 decode too. Bounded; failures are never stored.
_by_token_text: dict[tuple[str | None, str | None, str], x509.Certificate] = {}


def read_bst_value(value_type: str | None, encoding: str | None, text: str) -> x509.Certificate:
    """Decode a BinarySecurityToken the way WCF's X509 token entry does.

    The ValueType is compared exactly: WCF knows only #X509v3 (reference 5.1).
    """
    key = (value_type, encoding, text)
    cert = _by_token_text.get(key)
    if cert is None:
        cert = _decode_bst(value_type, encoding, text)
        if len(_by_token_text) >= 4096:
            _by_token_text.clear()
        _by_token_text[key] = cert
    return cert


def _decode_bst(value_type: str | None, encoding: str | None, text: str) -> x509.Certificate:
    if value_type != ns.X509V3:
        raise Rejection(
            codes.CannotReadToken,
            f"Cannot read the BinarySecurityToken with ValueType {value_type!r}: WCF reads X.509 tokens only "
            f"with ValueType exactly {ns.X509V3!r}.",
            step=STEP,
        )
    # BinaryTokenEntry.ReadTokenCore: no EncodingType or Base64Binary -> ReadElementContentAsBase64 (XML white
    # space skipped, strict base64); HexBinary -> SoapHexBinary.Parse; anything else, "" included, is unknown.
    try:
        if encoding is None or encoding == ns.BASE64_ENCODING:
            raw = decode_base64(text)
        elif encoding == ns.HEX_ENCODING:
            raw = decode_hex(text)
        else:
            raise Rejection(
                codes.UnknownEncodingInBinarySecurityToken,
                f"EncodingType {encoding!r} is not Base64Binary or HexBinary (compared exactly; an empty "
                "EncodingType is not the same as none).",
                step=STEP,
            )
    except ValueError as exc:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"The BinarySecurityToken text does not decode with its EncodingType ({exc}); WCF's reader fails "
            "with a format error before it looks at the certificate.",
            step=STEP,
        ) from None
    try:
        return certificate_from_der(raw)
    except ValueError:
        raise Rejection(
            codes.InvalidX509RawData,
            f"The {len(raw)} decoded bytes of the BinarySecurityToken are not a DER X.509 certificate.",
            step=STEP,
        ) from None


def decode_base64(text: str) -> bytes:
    """XmlDictionaryReader.ReadContentAsBase64: XML white space (space, tab, CR, LF) skipped, then strict base64.

    binascii's strict mode accepts exactly what `base64.b64decode(validate=True)` does (the alphabet, at most
    two '=' and only at the end, correct padding; checked against it exhaustively up to five characters),
    without that function's regular-expression pass over the whole value: a certificate is 1-2 KB."""
    try:
        return binascii.a2b_base64(xmlread.strip_white(text), strict_mode=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def decode_hex(text: str) -> bytes:
    """SoapHexBinary.Parse: FilterBin64 drops space, CR and LF (not tab), then pairs of hex digits."""
    value = "".join(c for c in text if c not in " \r\n")
    if len(value) % 2 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ValueError(f"{value[:40]!r} is not xsd:hexBinary")
    return bytes.fromhex(value)


# id(certificate) -> (certificate, WCF's name for it, RFC 4514 subject). The entry holds the certificate,
# so its id cannot be reused while cached; hashing a Certificate costs more than the lookup saves.
class _Facts(NamedTuple):
    """What WCF's messages and KeyInfo matching ask of one certificate, computed once per certificate object:
    the service certificate is matched against every EncryptedKey's KeyInfo and a client certificate (cached by
    read_bst_value) against every signature's. The certificate is held so its id() cannot be reused."""

    cert: x509.Certificate
    thumbprint: bytes  # SHA-1
    ski: bytes | None  # the Subject Key Identifier extension, None without it
    described: str  # 'subject; THUMBPRINT', as WCF names a certificate
    subject: str


_facts: dict[int, _Facts] = {}


def _cert_facts(cert: x509.Certificate) -> _Facts:
    facts = _facts.get(id(cert))
    if facts is None:
        if len(_facts) >= 4096:
            _facts.clear()
        try:
            ski = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
        except x509.ExtensionNotFound:
            ski = None
        thumb = cert.fingerprint(hashes.SHA1())
        facts = _facts[id(cert)] = _Facts(
            cert,
            thumb,
            ski,
            f"'{dotnet_name(cert.subject)}; {thumb.hex().upper()}'",
            cert.subject.rfc4514_string(),
        )
    return facts


def describe(cert: x509.Certificate) -> str:
    """The way WCF names a certificate in its messages: subject and thumbprint."""
    return _cert_facts(cert).described


def subject(cert: x509.Certificate) -> str:
    return _cert_facts(cert).subject


def thumbprint(cert: x509.Certificate) -> bytes:
    return _cert_facts(cert).thumbprint


def dotnet_name(name: x509.Name) -> str:
    """X509Certificate2.Subject/Issuer form: most specific RDN first, joined by ', '."""
    return ", ".join("+".join(f"{_short(a.oid)}={a.value}" for a in rdn) for rdn in reversed(list(name.rdns)))


_SHORT = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "S",
    NameOID.LOCALITY_NAME: "L",
    NameOID.EMAIL_ADDRESS: "E",
    NameOID.DOMAIN_COMPONENT: "DC",
}


def _short(oid: x509.ObjectIdentifier) -> str:
    return _SHORT.get(oid, f"OID.{oid.dotted_string}")


def subject_key_identifier(cert: x509.Certificate) -> bytes | None:
    """Only the extension counts: WCF does not compute an SKI from the key (reference 1.6)."""
    return _cert_facts(cert).ski


def issuer_matches(cert: x509.Certificate, issuer_text: str) -> bool:
    """X509IssuerSerialKeyIdentifierClause's issuer test: .NET's string form, or the same DER."""
    text = issuer_text.strip()
    if text == dotnet_name(cert.issuer):
        return True
    try:
        parsed = x509.Name.from_rfc4514_string(text)
    except ValueError:
        return False
    return parsed.public_bytes() == cert.issuer.public_bytes()


@dataclass(frozen=True, eq=False)  # one per loaded scenario: identity is the right equality, and cheap
class TrustSettings:
    mode: str
    roots: tuple[x509.Certificate, ...]
    people: tuple[x509.Certificate, ...]


# (id(trust), id(certificate)) -> (trust, certificate, the time window in which validation passed): only
# time can change the outcome. The entry holds both objects, so neither id is reused while it exists.
_passed: dict[tuple[int, int], tuple[TrustSettings, x509.Certificate, datetime, datetime]] = {}


def validate(cert: x509.Certificate, trust: TrustSettings, now: datetime) -> None:
    """Raise the FailedAuthentication-class rejection WCF's validator would raise.

    A pass is remembered with the chain's validity window, so the same client certificate costs no RSA
    check on the next request; failures are always recomputed (they are the cold path).
    """
    mode = trust.mode
    if mode == "None":
        return
    passed = _passed.get((id(trust), id(cert)))
    if passed is not None and passed[2] <= now <= passed[3]:
        return
    chain = _validate(cert, trust, now)
    if len(_passed) > 4096:
        _passed.clear()
    _passed[(id(trust), id(cert))] = (
        trust,
        cert,
        max(c.not_valid_before_utc for c in chain),
        min(c.not_valid_after_utc for c in chain),
    )


def _validate(cert: x509.Certificate, trust: TrustSettings, now: datetime) -> list[x509.Certificate]:
    """Validate; return the certificates whose validity periods bound the pass."""
    mode = trust.mode
    if mode == "PeerTrust":
        return _peer(cert, trust, now)
    if mode == "ChainTrust":
        return _chain(cert, trust, now)
    try:  # PeerOrChainTrust: peer first, then chain, messages concatenated
        return _peer(cert, trust, now)
    except Rejection as peer_err:
        try:
            return _chain(cert, trust, now)
        except Rejection as chain_err:
            raise Rejection(chain_err.code, f"{peer_err.message} {chain_err.message}", step=STEP) from None


def _peer(cert: x509.Certificate, trust: TrustSettings, now: datetime) -> list[x509.Certificate]:
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        raise Rejection(
            codes.X509InvalidUsageTime,
            f"The X.509 certificate {describe(cert)} usage time is invalid: the server time {now:%Y-%m-%d %H:%M:%S}Z "
            f"is not between NotBefore {cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S}Z and NotAfter "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S}Z.",
            step=STEP,
        )
    if not any(p == cert for p in trust.people):
        raise Rejection(
            codes.X509IsNotInTrustedStore,
            f"The X.509 certificate {describe(cert)} is not in the trusted people store "
            "(credentials.clientCertificate.trustedPeople).",
            step=STEP,
        )
    return [cert]


def _chain(cert: x509.Certificate, trust: TrustSettings, now: datetime) -> list[x509.Certificate]:
    problems: list[str] = []
    chain = [cert]
    current = cert
    anchored = False
    for _ in range(8):
        if any(current == r for r in trust.roots):
            anchored = True
            break
        issuer = next(
            (r for r in trust.roots if r.subject == current.issuer and _signed_by(current, r)), None
        )
        if issuer is None:
            if current.issuer == current.subject:
                problems.append(
                    "A certificate chain processed, but terminated in a root certificate which is "
                    "not trusted by the trust provider."
                )
            else:
                problems.append(
                    "The issuer of the certificate could not be found among the trusted certificates."
                )
            break
        chain.append(issuer)
        current = issuer
    for c in chain:
        if not (c.not_valid_before_utc <= now <= c.not_valid_after_utc):
            problems.append(
                f"A required certificate ({dotnet_name(c.subject)}) is not within its validity period when "
                f"verifying against the current system clock ({c.not_valid_before_utc:%Y-%m-%d}..."
                f"{c.not_valid_after_utc:%Y-%m-%d})."
            )
    eku = _eku(cert)
    if eku is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        problems.append(
            "The certificate is not valid for the requested usage (Client Authentication, "
            "1.3.6.1.5.5.7.3.2, is missing from its extended key usage)."
        )
    if problems or not anchored:
        raise Rejection(
            codes.X509ChainBuildFail,
            f"The X.509 certificate {describe(cert)} chain building failed. The certificate that was used has a "
            "trust chain that cannot be verified. " + " ".join(problems),
            step=STEP,
        )
    return chain


def _eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier] | None:
    try:
        return list(cert.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value)
    except x509.ExtensionNotFound:
        return None


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm
            )  # type: ignore[arg-type]
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))  # type: ignore[arg-type]
        else:
            return False
    except InvalidSignature:
        return False
    return True
