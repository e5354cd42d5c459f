"""Compile a scenario's `binding:` section into the binding model, exactly as WCF's factories build it.

Sources (microsoft/referencesource, System.ServiceModel/System/ServiceModel):
- Channels/SecurityBindingElement.cs: CreateUserNameOverTransportBindingElement,
  CreateCertificateOverTransportBindingElement(version), CreateMutualCertificateBindingElement(version, ...),
  CreateMutualCertificateDuplexBindingElement(version), CreateUserNameForCertificateBindingElement,
  CreateAnonymousForCertificateBindingElement, CreateSecureConversationBindingElement.
- BasicHttpMessageSecurity.CreateMessageSecurity: WSS 1.0 + BSP, Lax, SetKeyDerivation(false); default
  clientCredentialType UserName, Message mode requires Certificate (BasicHttpMessageSecurityRequiresCertificate).
- MessageSecurityOverHttp.CreateSecurityBindingElement: wsHttpBinding's choice by mode, clientCredentialType
  (default Windows), negotiateServiceCredential (default true) and establishSecurityContext (default true);
  WSHttpBinding uses WSSecurity11...Policy11BasicSecurityProfile10, WS2007HttpBinding WSSecurity11WSTrust13....
- Configuration/SecurityElementBase.CreateBindingElement + ApplyConfiguration: a customBinding's
  authenticationMode picks the factory (MutualCertificate takes the configured messageSecurityVersion, default
  MessageSecurityVersion.Default = WSS 1.1, hence the symmetric form); only values the config sets explicitly
  override the factory's.

What mockwcf cannot emulate yet is refused here, with the key and what to use instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from mockwcf.binding import replyreference
from mockwcf.binding.factories import (
    BSP10_WSS10,
    DEFAULT,
    FACTORY_NAMES,
    WS2007_HTTP,
    WS_HTTP,
    anonymous_for_certificate,
    certificate_over_transport,
    mutual_certificate,
    mutual_certificate_duplex,
    set_key_derivation,
    user_name_for_certificate,
    user_name_over_transport,
)
from mockwcf.binding.model import (
    AsymmetricSecurityBindingElement,
    Binding,
    LocalServiceSecuritySettings,
    MessageProtectionOrder,
    MessageSecurityVersion,
    ProtectionLevel,
    ReplySettings,
    SecurityBindingElement,
    SecurityHeaderLayout,
    SecurityMode,
    SymmetricSecurityBindingElement,
    TransportSecurityBindingElement,
    username_parameters,
)
from mockwcf.binding.secureconversation import secure_conversation, secure_conversation_parameters
from mockwcf.transport.config import message_credential_refusal

Err = Callable[[str, str], None]
KEY = "binding.security"

# authenticationMode -> the mode it implies (customBinding)
AUTH_MODE_SECURITY = {
    "UserNameOverTransport": SecurityMode.TransportWithMessageCredential,
    "CertificateOverTransport": SecurityMode.TransportWithMessageCredential,
    "MutualCertificate": SecurityMode.Message,
    "MutualCertificateDuplex": SecurityMode.Message,
    "UserNameForCertificate": SecurityMode.Message,
    "AnonymousForCertificate": SecurityMode.Message,
}
_NEEDS_WINDOWS_OR_STS = ("Kerberos", "SspiNegotiated", "IssuedToken")


# -- the scenario's binding section -----------------------------------------------------------------


def compile_binding(b: dict[str, Any], lss: dict[str, Any], err: Err) -> Binding:
    """The Binding a scenario's `binding:` and `localServiceSettings:` sections describe."""
    btype = b["type"]
    mv = b["messageVersion"] or ("Soap11" if btype == "basicHttpBinding" else "Soap12WSAddressing10")
    if btype == "basicHttpBinding" and mv != "Soap11":
        err("binding.messageVersion", f"basicHttpBinding always uses Soap11, not {mv}")
    if btype in ("wsHttpBinding", "ws2007HttpBinding") and mv != "Soap12WSAddressing10":
        err("binding.messageVersion", f"{btype} always uses Soap12WSAddressing10, not {mv}")
    s = b["security"]
    factory, mode, sbe = _security_element(btype, s, err)
    if sbe is not None:
        sbe = _apply_configuration(sbe, s, lss, err)
    sbe = replyreference.apply(sbe, s["responseTokenReference"], err)
    https = (
        mode in (SecurityMode.Transport, SecurityMode.TransportWithMessageCredential)
        and not s["allowInsecureTransport"]
    )
    if s["allowInsecureTransport"] and mode is not SecurityMode.TransportWithMessageCredential:
        err(f"{KEY}.allowInsecureTransport", "applies to TransportWithMessageCredential only")
    binding = Binding(
        name=btype,
        factory=FACTORY_NAMES.get(factory, "") if factory else "",
        soap12=mv.startswith("Soap12"),
        addressing=mv.endswith("WSAddressing10"),
        mode=mode,
        security=sbe,
        https=https,
        # A contract without ProtectionLevel takes the binding's highest (ChannelProtectionRequirements
        # .CreateFromContract with ISecurityCapabilities.SupportedRequestProtectionLevel): EncryptAndSign for
        # Message security.
        protection_level=ProtectionLevel(s["protectionLevel"])
        if s["protectionLevel"]
        else (
            ProtectionLevel.EncryptAndSign
            if sbe is not None and mode is SecurityMode.Message
            else ProtectionLevel.Sign
        ),
        max_received_message_size=b["maxReceivedMessageSize"],
        reply=ReplySettings(sign_responses=s["signResponses"]),
    )
    if lss["maxStatefulNegotiations"] == 0 and secure_conversation_parameters(binding) is not None:
        # SecuritySessionSecurityTokenAuthenticator.SecuritySessionHost (and NegotiationTokenAuthenticator's
        # NegotiationHost) set the issuer dispatcher's ServiceThrottle.MaxConcurrentCalls/Sessions to
        # MaxStatefulNegotiations; FlowThrottle.Capacity refuses 0 (SFxThrottleLimitMustBeGreaterThanZero0)
        err(
            "localServiceSettings.maxStatefulNegotiations",
            "must be at least 1 when the binding establishes a security context: WCF sets the SCT issuer's "
            "throttle to it and its host fails to open with 0 (SFxThrottleLimitMustBeGreaterThanZero0)",
        )
    return binding


def _security_element(
    btype: str, s: dict[str, Any], err: Err
) -> tuple[Callable[..., SecurityBindingElement] | None, SecurityMode, SecurityBindingElement | None]:
    mode_name, auth, cred = s["mode"], s["authenticationMode"], s["clientCredentialType"]
    version = MessageSecurityVersion(s["messageSecurityVersion"]) if s["messageSecurityVersion"] else None
    if btype == "customBinding":
        return _custom(s, auth, mode_name, version, err)
    if auth:
        err(
            f"{KEY}.authenticationMode",
            "only customBinding takes authenticationMode; standard bindings use mode and clientCredentialType",
        )
    mode = SecurityMode(mode_name or ("None" if btype == "basicHttpBinding" else "Message"))
    if mode is SecurityMode.TransportCredentialOnly and btype != "basicHttpBinding":
        err(
            f"{KEY}.mode",
            f"TransportCredentialOnly is a basicHttpBinding mode; {btype} has None, Transport, Message "
            "and TransportWithMessageCredential",
        )
    if mode not in (SecurityMode.Message, SecurityMode.TransportWithMessageCredential):
        return None, mode, None
    if btype == "basicHttpBinding":
        return _basic_http(mode, cred or "UserName", s, err)
    return _ws_http(btype, mode, cred or "Windows", s, err)


def _custom(
    s: dict[str, Any],
    auth: str | None,
    mode_name: str | None,
    version: MessageSecurityVersion | None,
    err: Err,
) -> tuple[Callable[..., SecurityBindingElement] | None, SecurityMode, SecurityBindingElement | None]:
    if not auth:
        return None, SecurityMode(mode_name or "None"), None
    if auth == "SecureConversation":
        return _custom_secure_conversation(s, mode_name, version, err)
    implied = AUTH_MODE_SECURITY.get(auth)
    if implied is None:
        why = (
            "needs Kerberos/SSPI negotiation or a security token service, which mockwcf cannot emulate"
            if auth in _NEEDS_WINDOWS_OR_STS
            else "is secure conversation, which mockwcf does not emulate yet"
        )
        err(f"{KEY}.authenticationMode", f"{auth} {why}; supported: {', '.join(AUTH_MODE_SECURITY)}")
        return None, SecurityMode(mode_name or "None"), None
    if mode_name and SecurityMode(mode_name) is not implied:
        err(f"{KEY}.mode", f"authenticationMode {auth} means mode {implied.value}, not {mode_name}")
    v = version or DEFAULT
    factory: Callable[..., SecurityBindingElement]
    if auth == "UserNameOverTransport":
        factory, sbe = user_name_over_transport, user_name_over_transport()
    elif auth == "CertificateOverTransport":
        factory, sbe = certificate_over_transport, certificate_over_transport(v)
    elif auth == "MutualCertificate":
        factory, sbe = mutual_certificate, mutual_certificate(v)
    elif auth == "MutualCertificateDuplex":
        factory, sbe = mutual_certificate_duplex, mutual_certificate_duplex(v)
    elif auth == "UserNameForCertificate":
        factory, sbe = user_name_for_certificate, user_name_for_certificate()
    else:
        factory, sbe = anonymous_for_certificate, anonymous_for_certificate()
    return factory, implied, sbe


_SC_BOOTSTRAPS = {
    "UserNameOverTransport": SecurityMode.TransportWithMessageCredential,
    "CertificateOverTransport": SecurityMode.TransportWithMessageCredential,
    "UserNameForCertificate": SecurityMode.Message,
    "MutualCertificate": SecurityMode.Message,
    "AnonymousForCertificate": SecurityMode.Message,
}


def _custom_secure_conversation(
    s: dict[str, Any], mode_name: str | None, version: MessageSecurityVersion | None, err: Err
) -> tuple[Callable[..., SecurityBindingElement] | None, SecurityMode, SecurityBindingElement | None]:
    """<security authenticationMode="SecureConversation"><secureConversationBootstrap .../>: a transport
    bootstrap, or a Message-security one: symmetric (UserNameForCertificate, AnonymousForCertificate,
    MutualCertificate under WS-Security 1.1) or asymmetric (MutualCertificate under WS-Security 1.0: the RST is
    signed with the client certificate, the RSTR signed with the service certificate and encrypted for the
    client's). MutualCertificateDuplex is refused: it needs a duplex channel (CompositeDuplex, wsDualHttpBinding),
    which mockwcf does not serve."""
    boot = s["secureConversationBootstrap"]
    mode = _SC_BOOTSTRAPS.get(boot or "")
    v = version or DEFAULT
    if mode is None:
        err(
            f"{KEY}.secureConversationBootstrap",
            "authenticationMode SecureConversation needs secureConversationBootstrap: "
            + ", ".join(_SC_BOOTSTRAPS)
            + " (MutualCertificateDuplex needs a duplex channel - CompositeDuplex, wsDualHttpBinding - which "
            "mockwcf does not serve; use MutualCertificate)",
        )
        return None, SecurityMode.TransportWithMessageCredential, None
    if mode_name and SecurityMode(mode_name) is not mode:
        err(f"{KEY}.mode", f"a {boot} bootstrap means mode {mode.value}, not {mode_name}")
    inner: SecurityBindingElement = {
        "UserNameOverTransport": user_name_over_transport,
        "CertificateOverTransport": lambda: certificate_over_transport(v),
        "UserNameForCertificate": user_name_for_certificate,
        "MutualCertificate": lambda: mutual_certificate(v),
        "AnonymousForCertificate": anonymous_for_certificate,
    }[boot]()
    inner = dataclasses.replace(inner, message_security_version=v)
    return secure_conversation, mode, secure_conversation(inner, bool(s["requireCancellation"]))


def _basic_http(
    mode: SecurityMode, cred: str, s: dict[str, Any], err: Err
) -> tuple[Callable[..., SecurityBindingElement] | None, SecurityMode, SecurityBindingElement | None]:
    key = f"{KEY}.clientCredentialType"
    factory: Callable[..., SecurityBindingElement]
    if mode is SecurityMode.TransportWithMessageCredential:
        if cred == "Certificate":
            factory, sbe = certificate_over_transport, certificate_over_transport(BSP10_WSS10)
        elif cred == "UserName":
            factory = user_name_over_transport
            sbe = dataclasses.replace(user_name_over_transport(), message_security_version=BSP10_WSS10)
        else:
            err(key, f"basicHttpBinding message credentials are UserName or Certificate, not {cred}")
            return None, mode, None
    else:
        if cred != "Certificate":
            err(
                key,
                "BasicHttpMessageSecurityRequiresCertificate: basicHttpBinding Message security takes Certificate "
                "only"
                + (
                    " (the default clientCredentialType is UserName)"
                    if s["clientCredentialType"] is None
                    else ""
                )
                + "; set clientCredentialType: Certificate, or use TransportWithMessageCredential for UserName",
            )
            return None, mode, None
        factory, sbe = mutual_certificate, mutual_certificate(BSP10_WSS10, True)
    sbe = dataclasses.replace(sbe, security_header_layout=SecurityHeaderLayout.Lax)
    return factory, mode, set_key_derivation(sbe, False)


def _ws_http(
    btype: str, mode: SecurityMode, cred: str, s: dict[str, Any], err: Err
) -> tuple[Callable[..., SecurityBindingElement] | None, SecurityMode, SecurityBindingElement | None]:
    version = WS2007_HTTP if btype == "ws2007HttpBinding" else WS_HTTP
    key = f"{KEY}.clientCredentialType"
    establish = s["establishSecurityContext"] is None or bool(s["establishSecurityContext"])
    if cred not in ("UserName", "Certificate", "None"):
        err(key, message_credential_refusal(cred, btype, s["clientCredentialType"] is None))
        return None, mode, None
    factory: Callable[..., SecurityBindingElement]
    if mode is SecurityMode.TransportWithMessageCredential:
        if cred == "None":
            err(key, "ClientCredentialTypeMustBeSpecifiedForMixedMode: give UserName or Certificate")
            return None, mode, None
        factory = user_name_over_transport if cred == "UserName" else certificate_over_transport
        sbe = dataclasses.replace(factory(), message_security_version=version)
        if establish:  # MessageSecurityOverHttp: CreateSecureConversationBindingElement(oneShot, true)
            factory, sbe = secure_conversation, secure_conversation(sbe, True)
    else:
        negotiate = s["negotiateServiceCredential"]
        if negotiate is None or negotiate:
            err(
                f"{KEY}.negotiateServiceCredential",
                "SSL/SPNEGO negotiation of the service credential is not emulated; set "
                f"negotiateServiceCredential: false (it defaults to true on {btype})",
            )
        factory = {
            "None": anonymous_for_certificate,
            "UserName": user_name_for_certificate,
            "Certificate": mutual_certificate,
        }[cred]
        sbe = factory(version) if factory is mutual_certificate else factory()
        if establish:  # MessageSecurityOverHttp: oneShot.MessageSecurityVersion = version, then wrapped
            sbe = dataclasses.replace(sbe, message_security_version=version)
            factory, sbe = secure_conversation, secure_conversation(sbe, True)
    return factory, mode, dataclasses.replace(sbe, message_security_version=version, include_timestamp=True)


def _apply_configuration(
    sbe: SecurityBindingElement, s: dict[str, Any], lss: dict[str, Any], err: Err
) -> SecurityBindingElement:
    """SecurityElementBase.ApplyConfiguration: explicit settings override what the factory chose."""
    changes: dict[str, Any] = {
        "default_algorithm_suite": s["algorithmSuite"],
        "include_timestamp": s["includeTimestamp"],
    }
    if s["messageSecurityVersion"]:
        changes["message_security_version"] = MessageSecurityVersion(s["messageSecurityVersion"])
    if s["securityHeaderLayout"]:
        changes["security_header_layout"] = SecurityHeaderLayout(s["securityHeaderLayout"])
    changes["allow_insecure_transport"] = bool(s["allowInsecureTransport"])
    if isinstance(sbe, SymmetricSecurityBindingElement | AsymmetricSecurityBindingElement):
        if s["requireSignatureConfirmation"] is not None:
            changes["require_signature_confirmation"] = s["requireSignatureConfirmation"]
        if s.get("messageProtectionOrder"):
            changes["message_protection_order"] = MessageProtectionOrder(s["messageProtectionOrder"])
    detect = lss["detectReplays"]
    changes["local_service_settings"] = LocalServiceSecuritySettings(
        detect_replays=sbe.local_service_settings.detect_replays if detect is None else bool(detect),
        max_clock_skew=lss["maxClockSkew"],
        replay_window=lss["replayWindow"],
        replay_cache_size=lss["replayCacheSize"],
        timestamp_validity_duration=lss["timestampValidityDuration"],
        max_pending_sessions=lss["maxPendingSessions"],
        inactivity_timeout=lss["inactivityTimeout"],
        issued_cookie_lifetime=lss["issuedCookieLifetime"],
        max_cached_cookies=lss["maxCachedCookies"],
        session_key_renewal_interval=lss["sessionKeyRenewalInterval"],
        session_key_rollover_interval=lss["sessionKeyRolloverInterval"],
    )
    signed = tuple(username_parameters() for t in (s["signedSupportingTokens"] or ()) if t == "UserName")
    if signed:
        if isinstance(sbe, TransportSecurityBindingElement):
            err(f"{KEY}.signedSupportingTokens", "only Message security takes extra supporting tokens")
        es = sbe.endpoint_supporting
        changes["endpoint_supporting"] = dataclasses.replace(es, signed=es.signed + signed)
    out = dataclasses.replace(sbe, **changes)
    confirm = getattr(out, "require_signature_confirmation", False)
    if confirm and not out.wss11:
        err(
            f"{KEY}.requireSignatureConfirmation",
            "SecurityVersionDoesNotSupportSignatureConfirmation: SignatureConfirmation needs WSS 1.1",
        )
    return out
