"""`mockwcf validate --explain`: the binding model a scenario compiles to, written in WCF's names.

The output reads like the properties a .NET developer sees on the SecurityBindingElement in a debugger, so the
user can compare it with what `svcutil` or the service's web.config produce.
"""

from __future__ import annotations

from mockwcf.binding import replyreference
from mockwcf.binding.model import (
    AsymmetricSecurityBindingElement,
    Binding,
    SecurityTokenParameters,
    SymmetricSecurityBindingElement,
)


def _tokens(label: str, params: tuple[SecurityTokenParameters, ...]) -> list[str]:
    return [f"      {label}: {p.describe()}" for p in params]


def explain(binding: Binding) -> str:
    lines = [
        f"{binding.name} (MessageVersion {'Soap12' if binding.soap12 else 'Soap11'}"
        f"{'WSAddressing10' if binding.addressing else ''}), SecurityMode {binding.mode.value}, "
        f"{'https' if binding.https else 'http'}, MaxReceivedMessageSize {binding.max_received_message_size}",
    ]
    sbe = binding.security
    if sbe is None:
        lines.append(
            "  no SecurityBindingElement: the message carries no WS-Security that the service processes"
        )
        return "\n".join(lines)
    lines.append(f"  {type(sbe).__name__} (from SecurityBindingElement.{binding.factory})")
    lines += [
        f"    DefaultAlgorithmSuite: {sbe.default_algorithm_suite}",
        f"    MessageSecurityVersion: {sbe.message_security_version.name}",
        f"    SecurityHeaderLayout: {sbe.security_header_layout.value}",
        f"    IncludeTimestamp: {sbe.include_timestamp}",
        f"    AllowInsecureTransport: {sbe.allow_insecure_transport}",
    ]
    if isinstance(sbe, SymmetricSecurityBindingElement):
        lines.append(f"    ProtectionTokenParameters: {sbe.protection_token.describe()}")
    if isinstance(sbe, AsymmetricSecurityBindingElement):
        lines.append(f"    InitiatorTokenParameters: {sbe.initiator_token.describe()}")
        lines.append(f"    RecipientTokenParameters: {sbe.recipient_token.describe()}")
    if reply := replyreference.describe(sbe):
        lines.append(f"    Reply: {reply}")
    if isinstance(sbe, SymmetricSecurityBindingElement | AsymmetricSecurityBindingElement):
        lines.append(f"    MessageProtectionOrder: {sbe.message_protection_order.value}")
        lines.append(f"    RequireSignatureConfirmation: {sbe.require_signature_confirmation}")
    es = sbe.endpoint_supporting
    lines.append("    EndpointSupportingTokenParameters:" + (" (none)" if es.is_empty() else ""))
    lines += _tokens("Signed", es.signed) + _tokens("SignedEncrypted", es.signed_encrypted)
    lines += _tokens("Endorsing", es.endorsing) + _tokens("SignedEndorsing", es.signed_endorsing)
    sct = next(
        (p for p in (getattr(sbe, "protection_token", None), *es.endorsing) if p and p.bootstrap), None
    )
    if sct is not None:  # SecureConversationSecurityTokenParameters.BootstrapSecurityBindingElement
        lines.append(f"    BootstrapSecurityBindingElement: {_bootstrap(sct.bootstrap)}")
    s = sbe.local_service_settings
    lines.append(
        f"    LocalServiceSettings: DetectReplays={s.detect_replays}, MaxClockSkew={s.max_clock_skew}, "
        f"ReplayWindow={s.replay_window}, TimestampValidityDuration={s.timestamp_validity_duration}"
    )
    lines.append(f"  ProtectionLevel (contract): {binding.protection_level.value}")
    if binding.protection is not None:  # ChannelProtectionRequirements per request action (protection.py)
        for action, level in binding.protection.incoming.items():
            lines.append(f"    {action}: {level.value}")
        if binding.protection.all_replies is not None:
            lines.append(
                f"    every reply (no WS-Addressing: the union of all replies): {binding.protection.all_replies.value}"
            )
    return "\n".join(lines)


def _bootstrap(boot: object) -> str:
    """One line for the secure conversation's bootstrap element: its type, tokens and confirmation setting."""
    parts = []
    if isinstance(boot, SymmetricSecurityBindingElement):
        parts.append(f"ProtectionTokenParameters={boot.protection_token.describe()}")
        parts.append(f"RequireSignatureConfirmation={boot.require_signature_confirmation}")
    for attachment, p in boot.endpoint_supporting.all():  # type: ignore[attr-defined]
        parts.append(f"{attachment}={p.describe()}")
    return f"{type(boot).__name__}({', '.join(parts)})"
