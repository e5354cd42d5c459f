"""The key identifier clause a reply uses for a certificate that is not in it (reference style External).

Tokens/X509SecurityTokenParameters.CreateKeyIdentifierClause (microsoft/referencesource,
System.ServiceModel/System/ServiceModel/Security): `Any` with an External reference gives the certificate's
SubjectKeyIdentifier when it carries the extension (IdentityModel X509SubjectKeyIdentifierClause.TryCreateFrom:
only the 2.5.29.14 extension counts, no SKI is computed from the key), else IssuerSerial (which every
X509SecurityToken can create, so the Thumbprint fallback is never reached); the other X509KeyIdentifierClauseType
values ask X509SecurityToken.CreateKeyIdentifierClause for their own clause, and SubjectKeyIdentifier on a
certificate without the extension throws (SecurityToken.CreateKeyIdentifierClause: NotSupportedException), which
mockwcf turns into a load error for the service certificate (`load_problem`).

The replies use it twice (binding/replyreference.py says which parameters apply): the asymmetric reply's
signature KeyInfo names the service certificate under RecipientTokenParameters, and its EncryptedKey names the
client certificate under InitiatorTokenParameters.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from mockwcf.binding.model import AsymmetricSecurityBindingElement, Binding, X509KeyIdentifierClauseType
from mockwcf.binding.replyreference import KEY, includes_service_token
from mockwcf.security import x509 as x509mod

# X509KeyIdentifierClauseType -> the clause written (keywrap.x509_inner's names; "raw" is ds:X509Data)
_KIND = {
    X509KeyIdentifierClauseType.Thumbprint: "thumbprint",
    X509KeyIdentifierClauseType.IssuerSerial: "issuer_serial",
    X509KeyIdentifierClauseType.SubjectKeyIdentifier: "ski",
    X509KeyIdentifierClauseType.RawDataKeyIdentifier: "raw",
}


def clause(style: X509KeyIdentifierClauseType | None, cert: x509.Certificate) -> str:
    """CreateKeyIdentifierClause(token, External) for an X.509 certificate: 'ski', 'issuer_serial',
    'thumbprint' or 'raw'."""
    if style is None or style is X509KeyIdentifierClauseType.Any:
        return "ski" if x509mod.subject_key_identifier(cert) else "issuer_serial"
    kind = _KIND[style]
    if kind == "ski" and not x509mod.subject_key_identifier(cert):
        raise ValueError(
            f"X509ReferenceStyle SubjectKeyIdentifier, but the certificate {cert.subject.rfc4514_string()} has "
            "no Subject Key Identifier extension"
        )
    return kind


def service_clause(binding: Binding, cert: x509.Certificate) -> str | None:
    """How an asymmetric reply's signature names the service certificate (RecipientTokenParameters); None when
    the certificate travels in the reply (InclusionMode AlwaysToInitiator: a BinarySecurityToken referenced by
    id). Other bindings never sign a reply with the service certificate: `Any` stands in for them."""
    sbe = binding.security
    if includes_service_token(sbe):
        return None
    asymmetric = isinstance(sbe, AsymmetricSecurityBindingElement)
    return clause(sbe.recipient_token.x509_reference_style if asymmetric else None, cert)  # type: ignore[union-attr]


def client_clause(binding: Binding, cert: x509.Certificate) -> str:
    """How an asymmetric reply's EncryptedKey names the client certificate (InitiatorTokenParameters; the
    client's token is never serialized in a reply, so the reference is External)."""
    sbe = binding.security
    style = (
        sbe.initiator_token.x509_reference_style
        if isinstance(sbe, AsymmetricSecurityBindingElement)
        else None
    )
    return clause(style, cert)


def load_problem(binding: Binding, service_certificate: Path | None) -> tuple[str, str] | None:
    """(key, message) when the reply could not name the service certificate as the binding asks."""
    if service_certificate is None or not service_certificate.is_file():
        return None
    try:
        cert = x509mod.load_pem_certificate(service_certificate)
    except ValueError:  # not a certificate: the credentials check reports it
        return None
    try:
        service_clause(binding, cert)
    except ValueError as exc:
        return (
            KEY,
            f"{exc}: use Any (IssuerSerial for it) or IssuerSerial, or a certificate with the extension",
        )
    return None
