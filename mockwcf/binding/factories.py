"""WCF's SecurityBindingElement factories, one function each, with the defaults the reference source gives.

System.ServiceModel/System/ServiceModel/Channels/SecurityBindingElement.cs: CreateUserNameOverTransportBindingElement,
CreateCertificateOverTransportBindingElement(version), CreateMutualCertificateBindingElement(version,
allowSerializedSigningTokenOnReply), CreateMutualCertificateDuplexBindingElement(version),
CreateUserNameForCertificateBindingElement, CreateAnonymousForCertificateBindingElement, SetKeyDerivation.
`factory.py` picks one for a scenario's binding section, as the standard bindings and SecurityElementBase do.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mockwcf.binding.model import (
    AsymmetricSecurityBindingElement,
    LocalServiceSecuritySettings,
    MessageSecurityVersion,
    SecurityBindingElement,
    SecurityTokenInclusionMode,
    SecurityVersion,
    SupportingTokenParameters,
    SymmetricSecurityBindingElement,
    TransportSecurityBindingElement,
    X509KeyIdentifierClauseType,
    username_parameters,
    x509_parameters,
)
from mockwcf.binding.secureconversation import secure_conversation

BSP10_WSS10 = MessageSecurityVersion(
    "WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10"
)
WS_HTTP = MessageSecurityVersion(
    "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10"
)
WS2007_HTTP = MessageSecurityVersion(
    "WSSecurity11WSTrust13WSSecureConversation13WSSecurityPolicy12BasicSecurityProfile10"
)
DEFAULT = MessageSecurityVersion(
    "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11"
)
_ANY, _THUMB = X509KeyIdentifierClauseType.Any, X509KeyIdentifierClauseType.Thumbprint
_NEVER, _TO_RECIPIENT = SecurityTokenInclusionMode.Never, SecurityTokenInclusionMode.AlwaysToRecipient


def user_name_over_transport() -> TransportSecurityBindingElement:
    return TransportSecurityBindingElement(
        endpoint_supporting=SupportingTokenParameters(signed_encrypted=(username_parameters(),)),
        local_service_settings=LocalServiceSecuritySettings(detect_replays=False),
    )


def certificate_over_transport(version: MessageSecurityVersion = DEFAULT) -> TransportSecurityBindingElement:
    style = _ANY if version.security_version is SecurityVersion.WSSecurity10 else _THUMB
    return TransportSecurityBindingElement(
        message_security_version=version,
        endpoint_supporting=SupportingTokenParameters(
            endorsing=(x509_parameters(style, _TO_RECIPIENT, False),)
        ),
        local_service_settings=LocalServiceSecuritySettings(detect_replays=False),
    )


def mutual_certificate(
    version: MessageSecurityVersion, allow_serialized_reply: bool = False
) -> SecurityBindingElement:
    if version.security_version is SecurityVersion.WSSecurity10:
        return AsymmetricSecurityBindingElement(
            message_security_version=version,
            recipient_token=x509_parameters(_ANY, _NEVER, False),
            initiator_token=x509_parameters(_ANY, _TO_RECIPIENT, False),
            allow_serialized_signing_token_on_reply=allow_serialized_reply,
        )
    return SymmetricSecurityBindingElement(
        message_security_version=version,
        protection_token=x509_parameters(_THUMB, _NEVER),
        endpoint_supporting=SupportingTokenParameters(
            endorsing=(x509_parameters(_THUMB, _TO_RECIPIENT, False),)
        ),
        require_signature_confirmation=True,
    )


def mutual_certificate_duplex(version: MessageSecurityVersion) -> AsymmetricSecurityBindingElement:
    style = _ANY if version.security_version is SecurityVersion.WSSecurity10 else _THUMB
    return AsymmetricSecurityBindingElement(
        message_security_version=version,
        recipient_token=x509_parameters(style, SecurityTokenInclusionMode.AlwaysToInitiator, False),
        initiator_token=x509_parameters(style, _TO_RECIPIENT, False),
    )


def user_name_for_certificate() -> SymmetricSecurityBindingElement:
    return SymmetricSecurityBindingElement(
        protection_token=x509_parameters(_THUMB, _NEVER),
        endpoint_supporting=SupportingTokenParameters(signed_encrypted=(username_parameters(),)),
    )


def anonymous_for_certificate() -> SymmetricSecurityBindingElement:
    return SymmetricSecurityBindingElement(
        protection_token=x509_parameters(_THUMB, _NEVER), require_signature_confirmation=True
    )


FACTORY_NAMES = {
    secure_conversation: "CreateSecureConversationBindingElement",
    user_name_over_transport: "CreateUserNameOverTransportBindingElement",
    certificate_over_transport: "CreateCertificateOverTransportBindingElement",
    mutual_certificate: "CreateMutualCertificateBindingElement",
    mutual_certificate_duplex: "CreateMutualCertificateDuplexBindingElement",
    user_name_for_certificate: "CreateUserNameForCertificateBindingElement",
    anonymous_for_certificate: "CreateAnonymousForCertificateBindingElement",
}


def set_key_derivation(sbe: SecurityBindingElement, required: bool) -> SecurityBindingElement:
    """SecurityBindingElement.SetKeyDerivation: every token parameter of the element, supporting ones included."""

    def tp(p: Any) -> Any:
        return dataclasses.replace(p, require_derived_keys=required)

    es = sbe.endpoint_supporting
    changes: dict[str, Any] = {
        "endpoint_supporting": SupportingTokenParameters(
            *(
                tuple(tp(p) for p in group)
                for group in (es.signed, es.signed_encrypted, es.endorsing, es.signed_endorsing)
            )
        )
    }
    if isinstance(sbe, SymmetricSecurityBindingElement):
        changes["protection_token"] = tp(sbe.protection_token)
    if isinstance(sbe, AsymmetricSecurityBindingElement):
        changes["initiator_token"] = tp(sbe.initiator_token)
        changes["recipient_token"] = tp(sbe.recipient_token)
    return dataclasses.replace(sbe, **changes)
