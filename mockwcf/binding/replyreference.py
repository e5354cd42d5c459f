"""`binding.security.responseTokenReference`: how a reply names the service certificate, compiled into the
binding model as WCF would hold it (the recipient token's X509SecurityTokenParameters).

Which clause a WCF service writes is decided by token parameters, never by a separate switch
(microsoft/referencesource, System.ServiceModel/System/ServiceModel/Security):
- AsymmetricSecurityProtocol.SetUpDelayedSecurityExecution, service side: the reply is signed with the recipient
  token under the factory's AsymmetricTokenParameters (= RecipientTokenParameters,
  AsymmetricSecurityBindingElement.CreateSecurityProtocolFactory) and encrypted for the client certificate under
  CryptoTokenParameters (= InitiatorTokenParameters).
- SendSecurityHeader.StartSignature / StartEncryption: GetTokenReferenceStyle(parameters) is Internal when
  ShouldSerializeToken(parameters, Output) (InclusionMode AlwaysToInitiator: the token travels in the reply and
  is referenced by its id), else External; Tokens/X509SecurityTokenParameters.CreateKeyIdentifierClause then
  picks the clause by X509ReferenceStyle: Any -> the SubjectKeyIdentifier when the certificate has the extension
  (X509SubjectKeyIdentifierClause.TryCreateFrom), else IssuerSerial; the other values name their own clause.
- The factories (Channels/SecurityBindingElement.cs): CreateMutualCertificateBindingElement under WS-Security
  1.0 (and so basicHttpBinding Message, BasicHttpMessageSecurity.CreateMessageSecurity) makes both recipient
  (InclusionMode Never) and initiator tokens `Any`; CreateMutualCertificateDuplexBindingElement makes them `Any`
  (WSS 1.0) or `Thumbprint` (WSS 1.1) with the recipient token AlwaysToInitiator. The symmetric factories
  (UserNameForCertificate, AnonymousForCertificate, MutualCertificate under WSS 1.1 - wsHttpBinding Message
  too, MessageSecurityOverHttp.CreateSecurityBindingElement) reply with the request's key, named by
  EncryptedKeySHA1: no reply of theirs names the service certificate. Transport bindings sign nothing.

So the key is an override of RecipientTokenParameters, in WCF's names: an X509KeyIdentifierClauseType value, or
BinarySecurityToken for InclusionMode AlwaysToInitiator (the certificate travels in the reply). Unset, the
factory's parameters stand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from mockwcf.binding.model import (
    AsymmetricSecurityBindingElement,
    SecurityBindingElement,
    SecurityTokenInclusionMode,
    X509KeyIdentifierClauseType,
)

KEY = "binding.security.responseTokenReference"
BINARY_SECURITY_TOKEN = "BinarySecurityToken"


def apply(
    sbe: SecurityBindingElement | None, value: str | None, err: Callable[[str, str], None]
) -> SecurityBindingElement | None:
    """The element with `value` applied to its recipient token parameters (unchanged when `value` is None)."""
    if value is None:
        return sbe
    if not isinstance(sbe, AsymmetricSecurityBindingElement):
        what = f"this binding's {type(sbe).__name__}" if sbe else "a binding without message security"
        err(
            KEY,
            f"applies to asymmetric bindings only (MutualCertificate under WS-Security 1.0, basicHttpBinding "
            f"Message, MutualCertificateDuplex): {what} never names the service certificate in a reply (a "
            "symmetric reply references the request's key by EncryptedKeySHA1, a transport reply is not "
            "signed); remove the key",
        )
        return sbe
    recipient = sbe.recipient_token
    if value == BINARY_SECURITY_TOKEN:
        recipient = dataclasses.replace(
            recipient, inclusion_mode=SecurityTokenInclusionMode.AlwaysToInitiator
        )
    else:
        style = X509KeyIdentifierClauseType(value)
        if style is X509KeyIdentifierClauseType.Thumbprint and not sbe.wss11:
            # the ThumbprintSHA1 STR entry is WSS 1.1's (IdentityModel WSSecurityXXX2005.X509ThumbprintStrEntry);
            # WSSecurityJan2004's serializer cannot write the clause
            err(KEY, "Thumbprint references need WS-Security 1.1; under WSSecurity10 use Any or IssuerSerial")
            return sbe
        recipient = dataclasses.replace(
            recipient,
            x509_reference_style=style,
            # an explicit style names an external certificate: the token stays out of the reply
            inclusion_mode=SecurityTokenInclusionMode.Never
            if recipient.inclusion_mode is SecurityTokenInclusionMode.AlwaysToInitiator
            else recipient.inclusion_mode,
        )
    return dataclasses.replace(sbe, recipient_token=recipient)


def includes_service_token(sbe: SecurityBindingElement | None) -> bool:
    """SendSecurityHeader.ShouldSerializeToken(recipient parameters, MessageDirection.Output)."""
    return (
        isinstance(sbe, AsymmetricSecurityBindingElement)
        and sbe.recipient_token.inclusion_mode is SecurityTokenInclusionMode.AlwaysToInitiator
    )


def _style(style: X509KeyIdentifierClauseType | None) -> str:
    if style in (None, X509KeyIdentifierClauseType.Any):
        return "Any (its SubjectKeyIdentifier when it has the extension, else IssuerSerial)"
    return style.value  # type: ignore[union-attr]


def describe(sbe: SecurityBindingElement | None) -> str | None:
    """One line for `validate --explain`: how a reply names certificates under this element."""
    if isinstance(sbe, AsymmetricSecurityBindingElement):
        signing = (
            "a BinarySecurityToken in the reply (InclusionMode AlwaysToInitiator)"
            if includes_service_token(sbe)
            else _style(sbe.recipient_token.x509_reference_style)
        )
        return (
            f"its signature names the service certificate by {signing}; an encrypted reply's EncryptedKey "
            f"names the client certificate by {_style(sbe.initiator_token.x509_reference_style)}"
        )
    if sbe is not None and sbe.primary_token is not None:
        return "secured with the request's key (named by EncryptedKeySHA1, or the SCT's id)"
    return None
