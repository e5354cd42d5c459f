"""SecurityBindingElement.CreateSecureConversationBindingElement (reference source,
System.ServiceModel/System/ServiceModel/Channels/SecurityBindingElement.cs): the steady-state element of a secure
conversation around its bootstrap element. Kept apart from factory.py, which compiles a scenario's binding
section and calls this for establishSecurityContext and customBinding authenticationMode SecureConversation."""

from __future__ import annotations

from mockwcf.binding.model import (
    Binding,
    LocalServiceSecuritySettings,
    SecurityBindingElement,
    SecurityTokenParameters,
    SupportingTokenParameters,
    SymmetricSecurityBindingElement,
    TokenKind,
    TransportSecurityBindingElement,
)


def secure_conversation(
    bootstrap: SecurityBindingElement, require_cancellation: bool = True
) -> SecurityBindingElement:
    """CreateSecureConversationBindingElement(bootstrap, requireCancellation) (SecurityBindingElement.cs).

    Transport bootstrap: a new TransportSecurityBindingElement whose endorsing supporting token is the SCT,
    without derived keys, replays not detected, a Timestamp sent. Symmetric bootstrap (UserNameForCertificate,
    MutualCertificate, AnonymousForCertificate): a new SymmetricSecurityBindingElement whose protection token is
    the SCT (SecureConversationSecurityTokenParameters keeps RequireDerivedKeys true, its default) with the
    constructor's defaults (replays detected, SignBeforeEncryptAndEncryptSignature) and
    RequireSignatureConfirmation false ("no need for signature confirmation on the steady state binding")."""
    sct = SecurityTokenParameters(
        TokenKind.SecureConversation,
        require_derived_keys=not isinstance(bootstrap, TransportSecurityBindingElement),
        require_cancellation=require_cancellation,
        bootstrap=bootstrap,
    )
    if isinstance(bootstrap, TransportSecurityBindingElement):
        return TransportSecurityBindingElement(
            message_security_version=bootstrap.message_security_version,
            endpoint_supporting=SupportingTokenParameters(endorsing=(sct,)),
            local_service_settings=LocalServiceSecuritySettings(detect_replays=False),
            include_timestamp=True,
        )
    return SymmetricSecurityBindingElement(
        message_security_version=bootstrap.message_security_version,
        protection_token=sct,
        require_signature_confirmation=False,
    )


def secure_conversation_parameters(binding: Binding) -> SecurityTokenParameters | None:
    """The SCT's parameters: the endorsing supporting token over transport, the protection token of a
    symmetric steady state over Message security; None when the binding establishes no security context."""
    primary = binding.security.primary_token if binding.security is not None else None
    if primary is not None and primary.kind is TokenKind.SecureConversation:
        return primary
    found = binding.supporting(TokenKind.SecureConversation)
    return found[0][1] if found else None
