"""xenc:EncryptedKey: the symmetric key a client wraps for the service certificate, and the reply's reference.

What a client sends (a WCF client on wsHttpBinding Message security writes exactly this)::

    <xenc:EncryptedKey Id="ek-1" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
      <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p">
        <ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>   (ignored on read)
      </xenc:EncryptionMethod>
      <ds:KeyInfo>
        <wsse:SecurityTokenReference>
          <wsse:KeyIdentifier ValueType="...#ThumbprintSHA1">...</wsse:KeyIdentifier>
        </wsse:SecurityTokenReference>
      </ds:KeyInfo>
      <xenc:CipherData><xenc:CipherValue>RSA(key)</xenc:CipherValue></xenc:CipherData>
      <xenc:ReferenceList>...</xenc:ReferenceList>   (optional: the parts this key encrypts directly)
    </xenc:EncryptedKey>

How WCF reads it (RS SM/Security/WSSecurityJan2004.cs WrappedKeyTokenEntry.ReadTokenCore /
CreateWrappedKeyToken, IM/System/ServiceModel/Security/EncryptedType.cs ReadFrom, EncryptedKey.cs):
1. EncryptedType.ReadFrom: EncryptionMethod (its Algorithm attribute required; children skipped, so an OAEP
   DigestMethod other than SHA-1 is not honoured: the key is unwrapped with SHA-1 and fails), KeyInfo,
   CipherData/CipherValue, then ReferenceList and CarriedKeyName.
2. No KeyInfo clause: MissingKeyInfoInEncryptedKey.
3. The wrapping token is the header resolver's *expected wrapper* (the service certificate), matched with
   reference style External (SecurityHeaderTokenResolver.CheckExternalWrapperMatch): Thumbprint, SKI,
   IssuerSerial or the certificate itself (ds:X509Data/ds:X509Certificate) match; a `wsse:Reference URI="#id"`
   to a BinarySecurityToken never does. A mismatch is EncryptedKeyWasNotEncryptedWithTheRequiredEncryptingToken;
   a binding without a wrapping token (no expected wrapper) gives UnableToResolveKeyInfoForUnwrappingToken.
4. SecurityUtils.DecryptKey: the certificate key supports only rsa-1_5 and rsa-oaep-mgf1p
   (X509AsymmetricSecurityKey.IsSupportedAlgorithm), else CannotFindMatchingCrypto; a wrong key or padding is
   a CryptographicException, which WCF wraps as a verification failure.
5. Only then WSSecurityOneDotZeroReceiveSecurityHeader.DecryptWrappedKey checks the wrap algorithm against the
   suite (SuiteDoesNotAcceptAlgorithm 'AsymmetricKeyWrap': Basic256 takes OAEP, Basic256Rsa15 takes RSA-1_5).
6. ReceiveSecurityHeader.ReadEncryptedKey: an inner ReferenceList needs EncryptedKeyContainsReferenceList
   (true by default) and a binding that expects encryption (EncryptionNotExpected).
The unwrapped key's size is checked when it is used (suites.Suite.ensure_symmetric_key_size).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from mockwcf import codes, ns
from mockwcf.faults import Rejection
from mockwcf.security import keyinfo
from mockwcf.security import x509 as x509mod
from mockwcf.security.context import Token
from mockwcf.security.encrypteddata import ReferenceList, cipher_value, read_head, read_reference_list
from mockwcf.security.suites import Suite

STEP = "encryptedkey"
_REFERENCE_LIST, _CARRIED = ns.q(ns.XENC, "ReferenceList"), ns.q(ns.XENC, "CarriedKeyName")
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


@dataclass(eq=False)
class WrappedKey:
    """WrappedKeySecurityToken: the unwrapped key and what identifies it (its Id, the SHA-1 of the wrapped
    octets for EncryptedKeySHA1 references)."""

    element: etree._Element | None
    id: str
    algorithm: str
    key: bytes
    wrapped: bytes
    reference_list: ReferenceList | None = None
    source_key_bits: int | None = field(default=None, init=False)  # not derived

    @functools.cached_property
    def sha1(self) -> bytes:
        """WrappedKeySecurityToken.GetHash: SHA-1 over the wrapped (encrypted) key octets (the octets never
        change: computed once, for the reply's reference and any EncryptedKeySHA1 clause)."""
        return hashlib.sha1(self.wrapped).digest()

    def label(self) -> str:
        return f"EncryptedKey (id {self.id})"

    def reference_xml(self) -> str:
        """How a reply names this key: EncryptedKeySHA1 (WrappedKeySecurityTokenParameters for a reply)."""
        return encrypted_key_sha1_reference(self.sha1)

    def matches(self, clause: keyinfo.Clause) -> bool:
        """Local id (optionally with the EncryptedKey token type) or EncryptedKeySHA1."""
        if clause.kind == "local":
            return clause.value == self.id and clause.value_type in (None, ns.ENCRYPTED_KEY_TOKEN_TYPE)
        return clause.kind == "encrypted_key_sha1" and clause.value == self.sha1


@dataclass(frozen=True)
class ServiceCredential:
    """The expected wrapper: the service certificate and its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @functools.cached_property
    def probe(self) -> Token:
        """The certificate as a token, for keyinfo.matches (External clauses only: no element or id)."""
        return Token("X509", None, None, "primary", cert=self.cert)  # type: ignore[arg-type]


def _shown(clauses: list[keyinfo.Clause]) -> str:
    return "; ".join(str(c) for c in clauses)


def read(
    element: etree._Element, wss11: bool
) -> tuple[str | None, list[keyinfo.Clause], bytes, etree._Element | None]:
    """EncryptedType.ReadFrom for an EncryptedKey: (algorithm, KeyInfo clauses, wrapped octets, ReferenceList)."""
    kids, algorithm, clauses = read_head(element, wss11, STEP)
    wrapped = cipher_value(kids, "xenc:EncryptedKey", STEP)
    ref_list = kids.pop(0) if kids and kids[0].tag == _REFERENCE_LIST else None
    if kids and kids[0].tag == _CARRIED:
        kids.pop(0)
    if kids:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"xenc:EncryptedKey has an unexpected {etree.QName(kids[0]).localname} element.",
            step=STEP,
        )
    return algorithm, clauses, wrapped, ref_list


def unwrap(
    element: etree._Element,
    service: ServiceCredential | None,
    suite: Suite,
    *,
    wss11: bool,
    expect_encryption: bool = True,
    allow_reference_list: bool = True,
) -> WrappedKey:
    """Read an EncryptedKey and unwrap its key with the service certificate, in WCF's order (module doc)."""
    algorithm, clauses, wrapped, ref_list_el = read(element, wss11)
    if not clauses:
        raise Rejection(
            codes.MissingKeyInfoInEncryptedKey,
            "xenc:EncryptedKey has no ds:KeyInfo (or an empty one) naming the certificate the key was wrapped for.",
            step=STEP,
        )
    if service is None:
        raise Rejection(
            codes.UnableToResolveKeyInfoForUnwrappingToken,
            f"Cannot resolve KeyInfo for unwrapping key: KeyInfo '{_shown(clauses)}', available tokens: none (this "
            "binding has no key-wrapping token).",
            step=STEP,
        )
    probe = service.probe
    if not any(c.kind != "local" and keyinfo.matches(c, probe) for c in clauses):
        local = any(c.kind == "local" for c in clauses)
        raise Rejection(
            codes.EncryptedKeyWasNotEncryptedWithTheRequiredEncryptingToken,
            f"The EncryptedKey's KeyInfo '{_shown(clauses)}' does not name the service certificate "
            f"'{x509mod.subject(service.cert)}' it must be wrapped for.",
            step=STEP,
            hint=(
                "WCF matches the wrapping certificate only by reference (ThumbprintSHA1, SKI, IssuerSerial or the "
                "certificate itself), never by a wsse:Reference to a BinarySecurityToken."
                if local
                else "Wrap the key with the service certificate's public key and reference that certificate "
                "(ThumbprintSHA1 is what WCF clients send)."
            ),
        )
    if algorithm not in (ns.RSA_OAEP, ns.RSA_15):
        raise Rejection(
            codes.CannotFindMatchingCrypto,
            f"The service certificate's key does not support the key wrap algorithm '{algorithm}'; it takes "
            f"{ns.RSA_OAEP} or {ns.RSA_15}.",
            step=STEP,
        )
    try:
        key = (
            service.key.decrypt(wrapped, _OAEP)
            if algorithm == ns.RSA_OAEP
            else _pkcs1_v15(service.key, wrapped)
        )
    except ValueError:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"The EncryptedKey does not unwrap with the private key of '{x509mod.subject(service.cert)}' and "
            f"{algorithm.rpartition('#')[2]} (RSA-OAEP uses SHA-1 and MGF1-SHA-1 in WCF whatever DigestMethod "
            "says); it was wrapped for another key or with another padding.",
            step=STEP,
            hint="Wrap the key with the service certificate's public key and RSA-OAEP (SHA-1).",
        ) from None
    suite.ensure_key_wrap(algorithm, asymmetric=True)
    ref_list = None
    if ref_list_el is not None:
        if not allow_reference_list:
            raise Rejection(
                codes.EncryptedKeyWithReferenceListNotAllowed,
                "This binding does not accept an xenc:ReferenceList inside xenc:EncryptedKey.",
                step=STEP,
            )
        if not expect_encryption:
            raise Rejection(
                codes.EncryptionNotExpected,
                "The EncryptedKey carries a ReferenceList but this binding does not encrypt messages.",
                step=STEP,
            )
        ref_list = read_reference_list(ref_list_el)
    return WrappedKey(element, element.get("Id") or "", algorithm, key, wrapped, ref_list)


def _pkcs1_v15(key: rsa.RSAPrivateKey, wrapped: bytes) -> bytes:
    """RSA-1_5 unwrap that fails on bad padding, as .NET's RSAPKCS1KeyExchangeDeformatter does.

    OpenSSL 3.2+ (and so `cryptography`) answers a bad PKCS#1 v1.5 block with a synthetic key instead of an
    error ("implicit rejection", a defence against Bleichenbacher/Marvin timing attacks), which would turn
    WCF's unwrap failure into a later, different rejection. mockwcf is a test double, not a key-holding
    production endpoint, so it does the modular exponentiation with the key's own numbers and checks the
    EME-PKCS1-v1_5 block (RFC 8017 7.2.2) itself to report the failure where WCF does."""
    numbers = key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    size = (n.bit_length() + 7) // 8
    c = int.from_bytes(wrapped, "big")
    if len(wrapped) != size or c >= n:
        raise ValueError("ciphertext length")
    em = pow(c, d, n).to_bytes(size, "big")
    sep = em.find(b"\0", 2)
    if em[:2] != b"\0\2" or sep < 10:
        raise ValueError("padding")
    return em[sep + 1 :]


# --- reply side -----------------------------------------------------------------------------------------


def new_key(suite: Suite) -> bytes:
    """SymmetricSecurityProtocol.CreateWrappedKeyToken: max(128, DefaultSymmetricKeyLength) random bits."""
    return os.urandom(max(128, suite.symmetric_key_bits) // 8)


def wrap(key: bytes, cert: x509.Certificate, algorithm: str) -> bytes:
    """X509AsymmetricSecurityKey.EncryptKey (EncryptedXml.EncryptKey): OAEP with SHA-1, or PKCS#1 v1.5."""
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise ValueError("the certificate has no RSA key to wrap a key with")
    return public.encrypt(key, _OAEP if algorithm == ns.RSA_OAEP else padding.PKCS1v15())


def x509_inner(cert: x509.Certificate, style: str, declare_ds: bool = True) -> str:
    """The inside of a wsse:SecurityTokenReference naming a certificate that is not in the message (reference
    style External): 'thumbprint' (WSS 1.1), 'ski' or 'issuer_serial'. `declare_ds=False` where the ds
    namespace is already the default (inside a ds:Signature)."""
    if style == "thumbprint":
        return (
            f'<o:KeyIdentifier ValueType="{ns.THUMBPRINT_VALUE_TYPE}" EncodingType="{ns.BASE64_ENCODING}">'
            f"{base64.b64encode(x509mod.thumbprint(cert)).decode()}</o:KeyIdentifier>"
        )
    if style == "ski":
        return (
            f'<o:KeyIdentifier ValueType="{ns.SKI_VALUE_TYPE}" EncodingType="{ns.BASE64_ENCODING}">'
            f"{base64.b64encode(x509mod.subject_key_identifier(cert) or b'').decode()}</o:KeyIdentifier>"
        )
    decl = f' xmlns="{ns.DS}"' if declare_ds else ""
    return (
        f"<X509Data{decl}><X509IssuerSerial><X509IssuerName>{escape(x509mod.dotnet_name(cert.issuer))}"
        f"</X509IssuerName><X509SerialNumber>{cert.serial_number}</X509SerialNumber></X509IssuerSerial></X509Data>"
    )


def x509_raw_data(cert: x509.Certificate, declare_ds: bool = True) -> str:
    """X509RawDataKeyIdentifierClause as IdentityModel XmlDsigSep2000.X509CertificateClauseEntry writes it: a
    ds:X509Data with the certificate, directly in the KeyInfo (no WS-Security STR entry writes this clause)."""
    decl = f' xmlns="{ns.DS}"' if declare_ds else ""
    der = cert.public_bytes(serialization.Encoding.DER)
    return f"<X509Data{decl}><X509Certificate>{base64.b64encode(der).decode()}</X509Certificate></X509Data>"


def x509_reference(cert: x509.Certificate, style: str) -> str:
    """A wsse:SecurityTokenReference (declaring its namespaces) naming `cert` by `style` (x509_inner); 'raw' is
    the bare ds:X509Data (x509_raw_data)."""
    if style == "raw":
        return x509_raw_data(cert)
    return (
        f'<o:SecurityTokenReference xmlns:o="{ns.WSSE}">{x509_inner(cert, style)}</o:SecurityTokenReference>'
    )


def encrypted_key_xml(
    id: str,
    wrapped: bytes,
    algorithm: str,
    cert: x509.Certificate,
    reference_list: list[str] | None = None,
    style: str = "thumbprint",
) -> str:
    """An xenc:EncryptedKey as EncryptedType.WriteTo writes it (Id, EncryptionMethod with a SHA-1 DigestMethod
    for OAEP, KeyInfo naming the wrapping certificate, CipherData, then the ReferenceList). Namespaces are
    declared on the element so it can be placed in any header."""
    digest = f'<ds:DigestMethod Algorithm="{ns.SHA1}"/>' if algorithm == ns.RSA_OAEP else ""
    refs = ""
    if reference_list:
        refs = "<xenc:ReferenceList>" + "".join(f'<xenc:DataReference URI="#{r}"/>' for r in reference_list)
        refs += "</xenc:ReferenceList>"
    return (
        f'<xenc:EncryptedKey Id="{id}" xmlns:xenc="{ns.XENC}" xmlns:ds="{ns.DS}">'
        f'<xenc:EncryptionMethod Algorithm="{algorithm}">{digest}</xenc:EncryptionMethod>'
        f"<ds:KeyInfo>{x509_reference(cert, style)}</ds:KeyInfo>"
        f"<xenc:CipherData><xenc:CipherValue>{base64.b64encode(wrapped).decode()}</xenc:CipherValue>"
        f"</xenc:CipherData>{refs}</xenc:EncryptedKey>"
    )


def encrypted_key_sha1_reference(sha1: bytes) -> str:
    """The STR a reply uses for the request's key (WSSecurityXXX2005 EncryptedKeyHashStrEntry; the TokenType
    attribute is always written for it, SecurityTokenReferenceXXX2005ClauseEntry.EmitTokenType)."""
    return (
        f'<o:SecurityTokenReference k:TokenType="{ns.ENCRYPTED_KEY_TOKEN_TYPE}" xmlns:o="{ns.WSSE}" '
        f'xmlns:k="{ns.WSSE11}"><o:KeyIdentifier ValueType="{ns.ENCRYPTED_KEY_SHA1}">'
        f"{base64.b64encode(sha1).decode()}</o:KeyIdentifier></o:SecurityTokenReference>"
    )


def private_key_from_pem(data: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the service key is not an RSA key")
    return key
