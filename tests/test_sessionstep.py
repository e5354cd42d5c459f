"""The binding model of secure conversation: what CreateSecureConversationBindingElement builds for a
transport bootstrap, and what mockwcf still refuses at load."""

from __future__ import annotations

from mockwcf.binding.model import (
    AsymmetricSecurityBindingElement,
    SymmetricSecurityBindingElement,
    TokenKind,
    TransportSecurityBindingElement,
)
from mockwcf.security import sessionstep
from tests.test_binding import WSS11_BSP, compiled


def test_wshttp_twmc_default_is_a_session_sct_over_a_username_bootstrap():
    b, problems = compiled(
        {
            "type": "wsHttpBinding",
            "security": {"mode": "TransportWithMessageCredential", "clientCredentialType": "UserName"},
        }
    )
    assert problems == []
    assert b.factory == "CreateSecureConversationBindingElement"
    sbe = b.security
    assert isinstance(sbe, TransportSecurityBindingElement) and sbe.include_timestamp
    assert sbe.local_service_settings.detect_replays is False
    (sct,) = sbe.endpoint_supporting.endorsing
    assert sct.kind is TokenKind.SecureConversation
    assert (sct.require_derived_keys, sct.require_cancellation) == (False, True)
    assert isinstance(sct.bootstrap, TransportSecurityBindingElement)
    assert [p.kind for p in sct.bootstrap.endpoint_supporting.signed_encrypted] == [TokenKind.UserName]
    assert sct.bootstrap.message_security_version.name == WSS11_BSP
    assert sessionstep.settings(b, sct).version.name == "WSSecureConversationFeb2005"


def test_custom_secure_conversation_needs_a_transport_bootstrap():
    _, problems = compiled(
        {"type": "customBinding", "security": {"authenticationMode": "SecureConversation"}}
    )
    assert [k for k, _ in problems] == ["binding.security.secureConversationBootstrap"]
    b, problems = compiled(
        {
            "type": "customBinding",
            "security": {
                "authenticationMode": "SecureConversation",
                "secureConversationBootstrap": "CertificateOverTransport",
                "requireCancellation": False,
            },
        }
    )
    assert problems == []
    (sct,) = b.security.endpoint_supporting.endorsing
    assert sct.require_cancellation is False
    assert [p.kind for p in sct.bootstrap.endpoint_supporting.endorsing] == [TokenKind.X509]


def test_message_security_with_a_security_context_is_a_symmetric_binding_protected_by_the_sct():
    """MessageSecurityOverHttp: CreateSecureConversationBindingElement(CreateUserNameForCertificate..., true)."""
    b, problems = compiled(
        {
            "type": "wsHttpBinding",
            "security": {"clientCredentialType": "UserName", "negotiateServiceCredential": False},
        }
    )
    assert problems == []
    assert b.factory == "CreateSecureConversationBindingElement"
    assert isinstance(b.security, SymmetricSecurityBindingElement)
    sct = b.security.protection_token
    assert sct.kind is TokenKind.SecureConversation and sct.require_derived_keys and sct.require_cancellation
    assert b.security.require_signature_confirmation is False
    boot = sct.bootstrap
    assert isinstance(boot, SymmetricSecurityBindingElement)
    assert [p.kind for p in boot.endpoint_supporting.signed_encrypted] == [TokenKind.UserName]
    assert boot.message_security_version == b.security.message_security_version


def test_a_duplex_bootstrap_is_refused_with_the_way_out():
    _, problems = compiled(
        {
            "type": "customBinding",
            "security": {
                "authenticationMode": "SecureConversation",
                "secureConversationBootstrap": "MutualCertificateDuplex",
            },
        }
    )
    assert [k for k, _ in problems] == ["binding.security.secureConversationBootstrap"]
    assert "duplex channel" in problems[0][1] and "use MutualCertificate" in problems[0][1]


def test_a_wss10_mutual_certificate_bootstrap_is_asymmetric_inside_a_symmetric_steady_state():
    """CreateSecureConversationBindingElement: for an Asymmetric bootstrap too, a SymmetricSecurityBindingElement
    whose protection token is the SCT (derived keys on), RequireSignatureConfirmation false."""
    b, problems = compiled(
        {
            "type": "customBinding",
            "security": {
                "authenticationMode": "SecureConversation",
                "secureConversationBootstrap": "MutualCertificate",
                "messageSecurityVersion": "WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005"
                "WSSecurityPolicy11BasicSecurityProfile10",
            },
        }
    )
    assert problems == []
    assert isinstance(b.security, SymmetricSecurityBindingElement)
    sct = b.security.protection_token
    assert sct.kind is TokenKind.SecureConversation and sct.require_derived_keys
    assert isinstance(sct.bootstrap, AsymmetricSecurityBindingElement)
    assert b.security.require_signature_confirmation is False
