"""The binding model: standard bindings and customBinding modes compile exactly as WCF's factories build them.

Expected values are read off the reference source (System.ServiceModel): SecurityBindingElement.Create*,
BasicHttpMessageSecurity.CreateMessageSecurity, MessageSecurityOverHttp.CreateSecurityBindingElement,
SecurityElementBase.CreateBindingElement / ApplyConfiguration.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import yaml
from conftest import SCENARIOS

from mockwcf.binding.factory import compile_binding
from mockwcf.binding.model import (
    AsymmetricSecurityBindingElement,
    MessageProtectionOrder,
    SecurityHeaderLayout,
    SecurityMode,
    SecurityTokenInclusionMode,
    SymmetricSecurityBindingElement,
    TokenKind,
    TransportSecurityBindingElement,
    X509KeyIdentifierClauseType,
)
from mockwcf.config.walker import Walker
from mockwcf.scenario import load_text
from mockwcf.schema import SCHEMA

WSS10_BSP = (
    "WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10"
)
WSS11_BSP = (
    "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10"
)


SERVICE_CREDENTIAL = (
    "credentials:\n  serviceCertificate: {certificate: ../certs/service.pem, privateKey: ../certs/service.key}\n"
    "  clientCertificate: {certificateValidationMode: ChainTrust, trustedCertificates: [../certs/ca.pem]}\n"
)


def compiled(binding: dict):
    """The model and the load problems for a `binding:` section (no certificates needed)."""
    walker = Walker()
    data = walker.walk(yaml.compose(yaml.safe_dump({"binding": binding})), SCHEMA, "", 1)
    assert walker.problems == []
    problems: list[tuple[str, str]] = []
    model = compile_binding(
        data["binding"], data["localServiceSettings"], lambda k, m: problems.append((k, m))
    )
    return model, problems


def test_basic_http_transport_with_message_credential_username_is_username_over_transport_wss10_lax():
    b, problems = compiled(
        {"type": "basicHttpBinding", "security": {"mode": "TransportWithMessageCredential"}}
    )
    assert problems == []
    sbe = b.security
    assert isinstance(sbe, TransportSecurityBindingElement)
    assert b.factory == "CreateUserNameOverTransportBindingElement"
    assert b.mode is SecurityMode.TransportWithMessageCredential and b.https
    assert sbe.message_security_version.name == WSS10_BSP and not sbe.wss11
    assert sbe.security_header_layout is SecurityHeaderLayout.Lax  # BasicHttpMessageSecurity sets Lax
    assert b.receive_layout is SecurityHeaderLayout.Strict  # ... which TransportSecurityProtocol ignores
    (ut,) = sbe.endpoint_supporting.signed_encrypted
    assert ut.kind is TokenKind.UserName and ut.require_derived_keys is False
    assert sbe.include_timestamp and sbe.local_service_settings.detect_replays is False
    assert not b.soap12 and not b.addressing


def test_basic_http_message_certificate_is_asymmetric_mutual_certificate_without_derived_keys():
    b, problems = compiled(
        {"type": "basicHttpBinding", "security": {"mode": "Message", "clientCredentialType": "Certificate"}}
    )
    assert problems == []
    sbe = b.security
    assert isinstance(sbe, AsymmetricSecurityBindingElement)
    assert sbe.initiator_token.x509_reference_style is X509KeyIdentifierClauseType.Any
    assert sbe.initiator_token.inclusion_mode is SecurityTokenInclusionMode.AlwaysToRecipient
    assert sbe.recipient_token.inclusion_mode is SecurityTokenInclusionMode.Never
    assert not sbe.initiator_token.require_derived_keys and not sbe.recipient_token.require_derived_keys
    assert (
        sbe.allow_serialized_signing_token_on_reply is True
    )  # CreateMutualCertificateBindingElement(v, true)
    assert sbe.require_signature_confirmation is False
    assert sbe.local_service_settings.detect_replays is True
    assert sbe.local_service_settings.max_clock_skew == timedelta(minutes=5)


def test_basic_http_message_defaults_to_username_which_wcf_refuses():
    _, problems = compiled({"type": "basicHttpBinding", "security": {"mode": "Message"}})
    assert [k for k, _ in problems] == ["binding.security.clientCredentialType"]
    assert "BasicHttpMessageSecurityRequiresCertificate" in problems[0][1]
    assert "default clientCredentialType is UserName" in problems[0][1]


def test_ws_http_transport_with_message_credential_certificate_is_thumbprint_endorsing_wss11():
    b, problems = compiled(
        {
            "type": "wsHttpBinding",
            "security": {
                "mode": "TransportWithMessageCredential",
                "clientCredentialType": "Certificate",
                "establishSecurityContext": False,
            },
        }
    )
    assert problems == []
    sbe = b.security
    assert isinstance(sbe, TransportSecurityBindingElement)
    assert b.factory == "CreateCertificateOverTransportBindingElement"
    (cert,) = sbe.endpoint_supporting.endorsing
    assert cert.x509_reference_style is X509KeyIdentifierClauseType.Thumbprint
    assert cert.require_derived_keys is False
    assert sbe.message_security_version.name == WSS11_BSP
    assert sbe.security_header_layout is SecurityHeaderLayout.Strict
    assert b.soap12 and b.addressing
    assert b.endorsing_required and b.client_credential == "Certificate"


def test_ws2007_http_uses_trust13_and_secure_conversation_13():
    b, _ = compiled(
        {
            "type": "ws2007HttpBinding",
            "security": {
                "mode": "TransportWithMessageCredential",
                "clientCredentialType": "UserName",
                "establishSecurityContext": False,
            },
        }
    )
    assert b.security.message_security_version.trust13


def test_ws_http_message_username_without_negotiation_is_username_for_certificate():
    b, problems = compiled(
        {
            "type": "wsHttpBinding",
            "security": {
                "clientCredentialType": "UserName",
                "negotiateServiceCredential": False,
                "establishSecurityContext": False,
            },
        }
    )
    assert problems == []
    sbe = b.security
    assert isinstance(sbe, SymmetricSecurityBindingElement)
    assert b.factory == "CreateUserNameForCertificateBindingElement"
    assert sbe.protection_token.x509_reference_style is X509KeyIdentifierClauseType.Thumbprint
    assert sbe.protection_token.inclusion_mode is SecurityTokenInclusionMode.Never
    assert sbe.protection_token.require_derived_keys is True
    assert [p.kind for p in sbe.endpoint_supporting.signed_encrypted] == [TokenKind.UserName]


def test_ws_http_defaults_name_every_setting_mockwcf_cannot_emulate():
    _, problems = compiled({"type": "wsHttpBinding"})
    keys = {k for k, _ in problems}
    assert "binding.security.clientCredentialType" in keys  # Windows: SSPI negotiation
    assert "binding.security.establishSecurityContext" not in keys  # secure conversation is emulated


@pytest.mark.parametrize(
    "version,expected",
    [
        (None, SymmetricSecurityBindingElement),  # MessageSecurityVersion.Default is WSS 1.1
        (WSS10_BSP, AsymmetricSecurityBindingElement),
    ],
)
def test_custom_mutual_certificate_form_follows_the_security_version(version, expected):
    security = {"authenticationMode": "MutualCertificate"}
    if version:
        security["messageSecurityVersion"] = version
    b, _ = compiled({"type": "customBinding", "security": security})
    assert type(b.security) is expected
    if expected is SymmetricSecurityBindingElement:
        assert b.security.require_signature_confirmation is True
        (endorsing,) = b.security.endpoint_supporting.endorsing
        assert endorsing.x509_reference_style is X509KeyIdentifierClauseType.Thumbprint


def test_symmetric_binding_loads_with_every_message_protection_order():
    """EncryptBeforeSign with encryption is emulated (security/protectionorder.py), so it compiles as set."""
    text = "binding:\n  type: customBinding\n  security:\n    authenticationMode: MutualCertificate\n"
    assert isinstance(
        load_text(text + SERVICE_CREDENTIAL, "x.yaml", SCENARIOS).binding.security,
        SymmetricSecurityBindingElement,
    )
    for order in MessageProtectionOrder:
        loaded = load_text(
            text + f"    messageProtectionOrder: {order.value}\n" + SERVICE_CREDENTIAL, "x.yaml", SCENARIOS
        )
        assert loaded.binding.security.message_protection_order is order


def test_explicit_settings_override_the_factory_as_apply_configuration_does():
    b, problems = compiled(
        {
            "type": "customBinding",
            "security": {
                "authenticationMode": "MutualCertificate",
                "messageSecurityVersion": WSS10_BSP,
                "securityHeaderLayout": "LaxTimestampFirst",
                "includeTimestamp": False,
            },
        }
    )
    assert problems == []
    assert b.security.security_header_layout is SecurityHeaderLayout.LaxTimestampFirst
    assert b.receive_layout is SecurityHeaderLayout.LaxTimestampFirst
    assert b.security.include_timestamp is False


def test_validate_explain_prints_each_shipped_scenario_in_wcf_names():
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    res = subprocess.run(
        [sys.executable, "-m", "mockwcf", "validate", "--explain", *files],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.count(": ok") == len(files)
    assert (
        "AsymmetricSecurityBindingElement (from SecurityBindingElement.CreateMutualCertificateBindingElement)"
        in res.stdout
    )
    assert (
        "TransportSecurityBindingElement (from SecurityBindingElement.CreateUserNameOverTransportBindingElement)"
        in res.stdout
    )
    assert "SignedEncrypted: UserNameSecurityTokenParameters(" in res.stdout
    # wshttp-message-session: the SCT protects the steady state, the one-shot UserName binding bootstraps it
    assert "ProtectionTokenParameters: SecureConversationSecurityTokenParameters(" in res.stdout
    assert (
        "BootstrapSecurityBindingElement: SymmetricSecurityBindingElement(ProtectionTokenParameters=X509"
        in res.stdout
    )


def _with_lss(binding: dict, lss: dict):
    walker = Walker()
    data = walker.walk(
        yaml.compose(yaml.safe_dump({"binding": binding, "localServiceSettings": lss})), SCHEMA, "", 1
    )
    assert walker.problems == []
    problems: list[tuple[str, str]] = []
    compile_binding(data["binding"], data["localServiceSettings"], lambda k, m: problems.append((k, m)))
    return problems


def test_max_stateful_negotiations_zero_fails_only_where_an_sct_issuer_is_built():
    """SecuritySessionHost sets the issuer's ServiceThrottle to MaxStatefulNegotiations; FlowThrottle.Capacity
    refuses 0. Without a security context there is no issuer and 0 is a valid LocalServiceSecuritySettings value."""
    sc = {
        "type": "wsHttpBinding",
        "security": {"mode": "TransportWithMessageCredential", "clientCredentialType": "UserName"},
    }
    (problem,) = _with_lss(sc, {"maxStatefulNegotiations": 0})
    assert problem[0] == "localServiceSettings.maxStatefulNegotiations"
    assert "SFxThrottleLimitMustBeGreaterThanZero0" in problem[1]
    assert _with_lss(sc, {"maxStatefulNegotiations": 1}) == []
    plain = {**sc, "security": {**sc["security"], "establishSecurityContext": False}}
    assert _with_lss(plain, {"maxStatefulNegotiations": 0}) == []
