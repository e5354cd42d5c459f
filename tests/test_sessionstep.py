"""The binding model of secure conversation: what CreateSecureConversationBindingElement builds for a
transport bootstrap, and what mockwcf still refuses at load."""

from __future__ import annotations

from mockwcf.binding.model import TokenKind, TransportSecurityBindingElement
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


def test_message_security_with_a_security_context_is_still_refused():
    _, problems = compiled(
        {
            "type": "wsHttpBinding",
            "security": {"clientCredentialType": "UserName", "negotiateServiceCredential": False},
        }
    )
    assert [k for k, _ in problems] == ["binding.security.establishSecurityContext"]
    assert "over Message security is not emulated yet" in problems[0][1]
