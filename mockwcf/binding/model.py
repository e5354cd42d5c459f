"""The binding model: what a WCF endpoint's security requires, in WCF's own types and names.

A scenario compiles into one frozen `Binding` (see `factory.py`), and everything that needs to know "what does
this binding require" reads it: the receive pipeline, the reply writer, the WSDL policy and `mockwcf validate
--explain`. The classes mirror System.ServiceModel's SecurityBindingElement family (reference source,
System.ServiceModel/System/ServiceModel/Channels/SecurityBindingElement.cs and its Transport-, Symmetric- and
AsymmetricSecurityBindingElement subclasses; Security/Tokens/*SecurityTokenParameters.cs), with the same
defaults, so a question such as "is the client certificate an endorsing supporting token?" is answered the way
WCF's SecurityProtocolFactory answers it, never by comparing strings.

    Binding(name=wsHttpBinding, mode=TransportWithMessageCredential,
            security=TransportSecurityBindingElement(
                endpoint_supporting=SupportingTokenParameters(signed_encrypted=(UserName,)), ...))
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockwcf.binding.protection import ProtectionRequirements


class SecurityMode(enum.Enum):
    """System.ServiceModel.SecurityMode / BasicHttpSecurityMode (TransportCredentialOnly is basicHttp's)."""

    None_ = "None"
    Transport = "Transport"
    Message = "Message"
    TransportWithMessageCredential = "TransportWithMessageCredential"
    TransportCredentialOnly = "TransportCredentialOnly"


class TokenKind(enum.Enum):
    """Which SecurityTokenParameters subclass a token requirement is (X509SecurityTokenParameters ...)."""

    UserName = "UserName"
    X509 = "X509"
    SecureConversation = "SecureConversation"


class SecurityTokenInclusionMode(enum.Enum):
    AlwaysToRecipient = "AlwaysToRecipient"
    Never = "Never"
    Once = "Once"
    AlwaysToInitiator = "AlwaysToInitiator"


class SecurityTokenReferenceStyle(enum.Enum):
    Internal = "Internal"
    External = "External"


class X509KeyIdentifierClauseType(enum.Enum):
    Any = "Any"
    Thumbprint = "Thumbprint"
    IssuerSerial = "IssuerSerial"
    SubjectKeyIdentifier = "SubjectKeyIdentifier"
    RawDataKeyIdentifier = "RawDataKeyIdentifier"


class SecurityHeaderLayout(enum.Enum):
    Strict = "Strict"
    Lax = "Lax"
    LaxTimestampFirst = "LaxTimestampFirst"
    LaxTimestampLast = "LaxTimestampLast"


class MessageProtectionOrder(enum.Enum):
    SignBeforeEncrypt = "SignBeforeEncrypt"
    SignBeforeEncryptAndEncryptSignature = "SignBeforeEncryptAndEncryptSignature"
    EncryptBeforeSign = "EncryptBeforeSign"


class ProtectionLevel(enum.Enum):
    """System.Net.Security.ProtectionLevel as contracts and operations state it."""

    None_ = "None"
    Sign = "Sign"
    EncryptAndSign = "EncryptAndSign"


class SecurityVersion(enum.Enum):
    WSSecurity10 = "WSSecurity10"
    WSSecurity11 = "WSSecurity11"


@dataclass(frozen=True)
class MessageSecurityVersion:
    """One of MessageSecurityVersion's named instances; the name carries the four versions it bundles."""

    name: str

    @cached_property
    def security_version(self) -> SecurityVersion:
        return (
            SecurityVersion.WSSecurity10
            if self.name.startswith("WSSecurity10")
            else SecurityVersion.WSSecurity11
        )

    @property
    def trust13(self) -> bool:
        """WS-Trust 1.3 / WS-SecureConversation 1.3 (ws2007HttpBinding), else February 2005."""
        return "WSTrust13" in self.name

    @property
    def basic_security_profile(self) -> bool:
        return self.name.endswith("BasicSecurityProfile10")


# MessageSecurityVersion.Default (MessageSecurityVersion.cs): WSS 1.1, Trust/SC February 2005, SecurityPolicy 1.1.
DEFAULT_MESSAGE_SECURITY_VERSION = MessageSecurityVersion(
    "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11"
)


@dataclass(frozen=True)
class SecurityTokenParameters:
    """SecurityTokenParameters and its subclasses in one shape (defaults: SecurityTokenParameters.cs,
    defaultInclusionMode AlwaysToRecipient, defaultReferenceStyle Internal, defaultRequireDerivedKeys true;
    UserNameSecurityTokenParameters sets RequireDerivedKeys false in its constructor)."""

    kind: TokenKind
    inclusion_mode: SecurityTokenInclusionMode = SecurityTokenInclusionMode.AlwaysToRecipient
    reference_style: SecurityTokenReferenceStyle = SecurityTokenReferenceStyle.Internal
    require_derived_keys: bool = True
    # X509SecurityTokenParameters.X509ReferenceStyle (defaultX509ReferenceStyle Any); None for other kinds
    x509_reference_style: X509KeyIdentifierClauseType | None = None
    # SecureConversationSecurityTokenParameters: RequireCancellation (default true) and the bootstrap binding
    require_cancellation: bool = True
    bootstrap: SecurityBindingElement | None = None

    def describe(self) -> str:
        extra = [
            f"InclusionMode={self.inclusion_mode.value}",
            f"RequireDerivedKeys={self.require_derived_keys}",
        ]
        if self.x509_reference_style is not None:
            extra.insert(0, f"X509ReferenceStyle={self.x509_reference_style.value}")
        if self.kind is TokenKind.SecureConversation:
            extra.append(f"RequireCancellation={self.require_cancellation}")
        name = {
            TokenKind.UserName: "UserNameSecurityTokenParameters",
            TokenKind.X509: "X509SecurityTokenParameters",
        }
        return f"{name.get(self.kind, 'SecureConversationSecurityTokenParameters')}({', '.join(extra)})"


def x509_parameters(
    style: X509KeyIdentifierClauseType,
    inclusion: SecurityTokenInclusionMode = SecurityTokenInclusionMode.AlwaysToRecipient,
    derived: bool = True,
) -> SecurityTokenParameters:
    """new X509SecurityTokenParameters(style, inclusion, requireDerivedKeys)."""
    return SecurityTokenParameters(
        TokenKind.X509, inclusion, require_derived_keys=derived, x509_reference_style=style
    )


def username_parameters() -> SecurityTokenParameters:
    """new UserNameSecurityTokenParameters(): RequireDerivedKeys false."""
    return SecurityTokenParameters(TokenKind.UserName, require_derived_keys=False)


@dataclass(frozen=True)
class SupportingTokenParameters:
    """SupportingTokenParameters: the four attachment modes of supporting tokens."""

    signed: tuple[SecurityTokenParameters, ...] = ()
    signed_encrypted: tuple[SecurityTokenParameters, ...] = ()
    endorsing: tuple[SecurityTokenParameters, ...] = ()
    signed_endorsing: tuple[SecurityTokenParameters, ...] = ()

    def all(self) -> tuple[tuple[str, SecurityTokenParameters], ...]:
        """(attachment mode, parameters) in WCF's order: signed, signedEncrypted, endorsing, signedEndorsing."""
        return self._attached

    @cached_property
    def _attached(self) -> tuple[tuple[str, SecurityTokenParameters], ...]:
        """`all`, built once: the receive pipeline asks on every request and the parameters are frozen."""
        return (
            *(("signed", p) for p in self.signed),
            *(("signedEncrypted", p) for p in self.signed_encrypted),
            *(("endorsing", p) for p in self.endorsing),
            *(("signedEndorsing", p) for p in self.signed_endorsing),
        )

    def is_empty(self) -> bool:
        return not self.all()


@dataclass(frozen=True)
class LocalServiceSecuritySettings:
    """LocalServiceSecuritySettings (defaults from LocalServiceSecuritySettings.cs / SecurityProtocolFactory.cs)."""

    detect_replays: bool = True
    max_clock_skew: timedelta = timedelta(minutes=5)
    replay_window: timedelta = timedelta(minutes=5)
    replay_cache_size: int = 900000
    timestamp_validity_duration: timedelta = timedelta(minutes=5)
    max_pending_sessions: int = 128
    inactivity_timeout: timedelta = timedelta(minutes=2)
    issued_cookie_lifetime: timedelta = timedelta(hours=10)
    max_cached_cookies: int = 1000
    session_key_renewal_interval: timedelta = timedelta(hours=15)
    session_key_rollover_interval: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, kw_only=True)
class SecurityBindingElement:
    """The base class's settings (SecurityBindingElement.cs constructor defaults)."""

    default_algorithm_suite: str = "Basic256"
    include_timestamp: bool = True
    message_security_version: MessageSecurityVersion = DEFAULT_MESSAGE_SECURITY_VERSION
    security_header_layout: SecurityHeaderLayout = SecurityHeaderLayout.Strict
    endpoint_supporting: SupportingTokenParameters = field(default_factory=SupportingTokenParameters)
    local_service_settings: LocalServiceSecuritySettings = field(default_factory=LocalServiceSecuritySettings)
    allow_insecure_transport: bool = False
    enable_unsecured_response: bool = False

    @cached_property
    def wss11(self) -> bool:
        return self.message_security_version.security_version is SecurityVersion.WSSecurity11

    @property
    def primary_token(self) -> SecurityTokenParameters | None:
        """The token whose key makes the primary signature (None over transport)."""
        return None


@dataclass(frozen=True, kw_only=True)
class TransportSecurityBindingElement(SecurityBindingElement):
    """Message credentials over a secure transport: no primary signature, supporting tokens only."""


@dataclass(frozen=True, kw_only=True)
class SymmetricSecurityBindingElement(SecurityBindingElement):
    """One protection token (the service certificate or an SCT) whose key wraps the request's key."""

    protection_token: SecurityTokenParameters
    message_protection_order: MessageProtectionOrder = (
        MessageProtectionOrder.SignBeforeEncryptAndEncryptSignature
    )
    require_signature_confirmation: bool = False

    @property
    def primary_token(self) -> SecurityTokenParameters:
        return self.protection_token


@dataclass(frozen=True, kw_only=True)
class AsymmetricSecurityBindingElement(SecurityBindingElement):
    """The initiator signs with its own key pair; the recipient token protects the reply."""

    initiator_token: SecurityTokenParameters
    recipient_token: SecurityTokenParameters
    message_protection_order: MessageProtectionOrder = (
        MessageProtectionOrder.SignBeforeEncryptAndEncryptSignature
    )
    require_signature_confirmation: bool = False
    allow_serialized_signing_token_on_reply: bool = False

    @property
    def primary_token(self) -> SecurityTokenParameters:
        return self.initiator_token


@dataclass(frozen=True)
class ReplySettings:
    """How mockwcf secures replies where WCF's choice is not observable from configuration alone. (How a
    reply names a certificate is the token parameters' choice: binding/replyreference.py.)"""

    sign_responses: bool = True


@dataclass(frozen=True)
class Binding:
    """One endpoint's binding: its name, message version, mode and (when the message carries security)
    the SecurityBindingElement that WCF's factory for that binding builds."""

    name: str  # basicHttpBinding | wsHttpBinding | ws2007HttpBinding | customBinding
    factory: str  # the SecurityBindingElement factory it compiles to, e.g. CreateUserNameOverTransportBindingElement
    soap12: bool
    addressing: bool
    mode: SecurityMode
    security: SecurityBindingElement | None
    https: bool  # the endpoint is served over TLS
    protection_level: ProtectionLevel = (
        ProtectionLevel.Sign
    )  # the contract's (binding.security.protectionLevel)
    max_received_message_size: int = 65536
    reply: ReplySettings = field(default_factory=ReplySettings)
    # per-action levels from the contract's operations (binding/protection.py); None: the contract level only
    protection: ProtectionRequirements | None = None

    def request_protection(self, action: str) -> ProtectionLevel:
        """The request's ProtectionLevel for its action (RequiredSignatureParts / RequiredEncryptionParts)."""
        return self.protection.request(action) if self.protection is not None else self.protection_level

    def reply_protection(self, action: str) -> ProtectionLevel:
        """The reply's ProtectionLevel for its action (SendSecurityHeader SignatureParts / EncryptionParts)."""
        return self.protection.reply(action) if self.protection is not None else self.protection_level

    def contract_reply_protection(self, action: str) -> ProtectionLevel:
        """The reply's level per operation before any union (the WSDL's output policy; protection.py)."""
        return (
            self.protection.contract_reply(action) if self.protection is not None else self.protection_level
        )

    # -- questions the pipeline asks; each is a reading of the model, never stored twice. cached_property:
    # the model is frozen and a signed request asks these ~40 times, so each is computed once per scenario --

    @cached_property
    def message_security(self) -> bool:
        """Does the message carry a wsse:Security header that this endpoint processes?"""
        return self.security is not None

    @cached_property
    def over_transport(self) -> bool:
        return isinstance(self.security, TransportSecurityBindingElement)

    @cached_property
    def protects_message(self) -> bool:
        """Symmetric or asymmetric: a primary signature protects the message itself."""
        return self.security is not None and not self.over_transport

    @cached_property
    def client_credential(self) -> str:
        """WCF's clientCredentialType word for diagnostics: UserName, Certificate or None."""
        sbe = self.security
        if sbe is None:
            return "None"
        if isinstance(sbe, AsymmetricSecurityBindingElement):
            return "Certificate"
        for _, p in sbe.endpoint_supporting.all():
            if p.kind is TokenKind.UserName:
                return "UserName"
            if p.kind is TokenKind.X509:
                return "Certificate"
        return "None"

    @cached_property
    def receive_layout(self) -> SecurityHeaderLayout:
        """The layout the receive side enforces: .NET Framework's TransportSecurityProtocol ignores the configured
        layout and reads Strict (unless the app setting wcf:useConfiguredTransportSecurityHeaderLayout is set;
        reference 1.3, TransportSecurityProtocol.cs)."""
        if self.security is None or self.over_transport:
            return SecurityHeaderLayout.Strict
        return self.security.security_header_layout

    @cached_property
    def require_signature_confirmation(self) -> bool:
        return bool(getattr(self.security, "require_signature_confirmation", False))

    def supporting(self, kind: TokenKind) -> list[tuple[str, SecurityTokenParameters]]:
        """The endpoint's supporting-token requirements of one kind, with their attachment modes."""
        if self.security is None:
            return []
        return [(a, p) for a, p in self.security.endpoint_supporting.all() if p.kind is kind]

    @cached_property
    def endorsing_required(self) -> bool:
        """Does any supporting token endorse the message (so an endorsing ds:Signature is expected)?"""
        return self.security is not None and any(
            a in ("endorsing", "signedEndorsing") for a, _ in self.security.endpoint_supporting.all()
        )

    @cached_property
    def settings(self) -> LocalServiceSecuritySettings:
        return self.security.local_service_settings if self.security else LocalServiceSecuritySettings()
