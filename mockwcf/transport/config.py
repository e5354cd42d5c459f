"""The transport-authentication part of a scenario: what HTTP.sys / HttpListener demands before any SOAP.

WCF maps the binding's transport clientCredentialType to the listener's AuthenticationSchemes
(HttpTransportSecurity.ConfigureAuthentication / MapToAuthenticationScheme in the reference source):
None and Certificate -> Anonymous, Basic -> Basic, Ntlm -> Ntlm, Windows -> Negotiate; Certificate also sets
HttpsTransportBindingElement.RequireClientCertificate. customBinding states the scheme directly
(httpsTransport authenticationScheme, requireClientCertificate). Kept apart from scenario.py so the binding
builder only calls `build` (the lead is reorganising that builder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# HttpClientCredentialType -> the AuthenticationSchemes flags HttpListener challenges with, in
# BuildChallenge's order (Negotiate, NTLM, Basic).
SCHEMES_BY_CREDENTIAL = {
    "None": (),
    "Certificate": (),
    "Basic": ("Basic",),
    "Ntlm": ("NTLM",),
    "Windows": ("Negotiate",),
}
SCHEMES_BY_AUTHENTICATION_SCHEME = {
    "Anonymous": (),
    "Basic": ("Basic",),
    "Ntlm": ("NTLM",),
    "Negotiate": ("Negotiate",),
    "IntegratedWindowsAuthentication": ("Negotiate", "NTLM"),
}
TRANSPORT_CREDENTIALS = tuple(SCHEMES_BY_CREDENTIAL)


class _Loader(Protocol):
    def err(self, key: str, message: str) -> None: ...
    def path(self, key: str, value: str | None) -> Path | None: ...


@dataclass(frozen=True)
class WindowsUser:
    domain: str
    name: str
    password: str


@dataclass(frozen=True)
class TransportAuthConfig:
    """What the transport demands. `schemes` empty and no certificate = anonymous (today's behaviour)."""

    schemes: tuple[str, ...] = ()  # "Negotiate", "NTLM", "Basic", in challenge order
    binding_schemes: tuple[str, ...] = ()  # the binding's own AuthenticationScheme (no IIS NTLM provider)
    require_client_certificate: bool = False
    credential: str = "None"  # the configured clientCredentialType, for messages
    realm: str = ""
    hosting: str = "IIS"  # IIS | SelfHosted
    basic_users: tuple[tuple[str, str], ...] = ()
    windows_users: tuple[WindowsUser, ...] = ()
    allow_ntlm: bool = True
    keytab: Path | None = None
    krb5_config: Path | None = None

    @property
    def active(self) -> bool:
        return bool(self.schemes) or self.require_client_certificate

    def describe(self) -> str:
        """One line for `mockwcf validate --explain`, in HttpTransportBindingElement's terms."""
        schemes = ", ".join(self.schemes) or "Anonymous"
        cert = ", RequireClientCertificate true" if self.require_client_certificate else ""
        return f"  HTTP transport: AuthenticationScheme {schemes} ({self.hosting}){cert}"

    @property
    def windows(self) -> bool:
        return "Negotiate" in self.schemes or "NTLM" in self.schemes


def build(
    loader: _Loader, t: dict[str, Any], w: dict[str, Any], btype: str, mode: str, cred: str, users: dict
) -> TransportAuthConfig:
    """`t` is binding.security.transport, `w` credentials.windows, `cred` the credential type binding.security
    named (it is the transport's for modes Transport and TransportCredentialOnly), `users` the UserName users
    (Basic checks against them, as WCF's default Basic validation checks a Windows account)."""
    key = "binding.security.transport"
    if mode not in ("Transport", "TransportCredentialOnly"):
        for k in ("clientCredentialType", "authenticationScheme", "requireClientCertificate"):
            if t[k] not in (None, False):
                loader.err(f"{key}.{k}", f"applies to mode Transport or TransportCredentialOnly, not {mode}")
        return TransportAuthConfig()
    credential = t["clientCredentialType"] or (cred if cred in TRANSPORT_CREDENTIALS else "None")
    if cred not in TRANSPORT_CREDENTIALS and not t["clientCredentialType"]:
        loader.err(
            "binding.security.clientCredentialType",
            f"{cred} is a message credential; mode {mode} takes a transport credential "
            f"({', '.join(TRANSPORT_CREDENTIALS)})",
        )
    if btype == "customBinding" and t["clientCredentialType"] is None and t["authenticationScheme"]:
        schemes = SCHEMES_BY_AUTHENTICATION_SCHEME[t["authenticationScheme"]]
        credential = t["authenticationScheme"]
        require_cert = bool(t["requireClientCertificate"])
    else:
        if t["authenticationScheme"]:
            loader.err(
                f"{key}.authenticationScheme",
                "customBinding only; standard bindings use clientCredentialType",
            )
        schemes = SCHEMES_BY_CREDENTIAL[credential]
        require_cert = credential == "Certificate" or bool(t["requireClientCertificate"])
    if mode == "TransportCredentialOnly" and require_cert:
        loader.err(  # BasicHttpSecurity.EnableTransportAuthentication: CertificateUnsupportedForHttpTransportCredentialOnly
            f"{key}.clientCredentialType",
            "CertificateUnsupportedForHttpTransportCredentialOnly: a client certificate needs TLS; use mode Transport",
        )
    binding_schemes = schemes
    if schemes == ("Negotiate",) and t["hosting"] == "IIS":
        schemes = ("Negotiate", "NTLM")  # IIS windowsAuthentication providers: Negotiate, NTLM
    windows_users = tuple(_windows_user(loader, k, v) for k, v in (w["users"] or {}).items())
    # like MIT's acceptor, default to $KRB5_KTNAME (`mockwcf kdc -- mockwcf serve ...` sets it)
    keytab = loader.path("credentials.windows.keytab", w["keytab"] or _env_keytab())
    krb5 = loader.path("credentials.windows.krb5Config", w["krb5Config"])
    if ("Negotiate" in schemes or "NTLM" in schemes) and not windows_users and keytab is None:
        loader.err(
            "credentials.windows",
            "Windows transport authentication needs credentials.windows.users (for NTLM) and/or "
            "credentials.windows.keytab (for Kerberos; `mockwcf kdc` writes one)",
        )
    if keytab is not None and "Negotiate" in schemes and not _gssapi_available():
        loader.err(
            "credentials.windows.keytab",
            "Kerberos needs python-gssapi, an optional part of mockwcf (it builds against MIT Kerberos): "
            "pip install 'mockwcf[kerberos]' (Debian: apt-get install libkrb5-dev gcc first)",
        )
    if "Basic" in schemes and not users:
        loader.err("credentials.userNameAuthentication.users", "Basic authentication needs at least one user")
    return TransportAuthConfig(
        schemes=schemes,
        binding_schemes=binding_schemes,
        require_client_certificate=require_cert,
        credential=credential,
        realm=t["realm"] or "",
        hosting=t["hosting"],
        basic_users=tuple(sorted(users.items())),
        windows_users=windows_users,
        allow_ntlm=w["allowNtlm"],
        keytab=keytab,
        krb5_config=krb5,
    )


def basic_users(creds: dict[str, Any]) -> dict[str, str]:
    """Basic checks the UserName users and the Windows users (as DOMAIN\\name and as name)."""
    users = {str(k): str(v) for k, v in (creds["userNameAuthentication"]["users"] or {}).items()}
    for k, v in (creds["windows"]["users"] or {}).items():
        users[str(k)] = str(v)
        users.setdefault(str(k).rpartition("\\")[2], str(v))
    return users


def message_credential_refusal(cred: str, btype: str, defaulted: bool) -> str:
    """Why a message credential is refused at load (issue 16 item 4, SPNEGO over WS-Trust, is not built)."""
    if cred == "Windows":
        return (
            "Message security with Windows credentials (SPNEGO negotiation over WS-Trust, then a secure "
            "conversation) is not emulated; use mode Transport (or TransportCredentialOnly on basicHttpBinding) "
            "with clientCredentialType Windows or Ntlm for Negotiate/NTLM/Kerberos over HTTP, or a UserName or "
            "Certificate message credential" + (f" (it defaults to Windows on {btype})" if defaulted else "")
        )
    if cred in ("Basic", "Ntlm"):
        return f"{cred} is a transport credential; it needs mode Transport or TransportCredentialOnly"
    return (
        f"{cred} message credentials need an STS, which mockwcf cannot emulate; use UserName or Certificate"
    )


def _gssapi_available() -> bool:
    try:
        import gssapi  # noqa: F401
    except ImportError:
        return False
    return True


def _env_keytab() -> str | None:
    value = os.environ.get("KRB5_KTNAME", "")
    value = value[5:] if value.startswith("FILE:") else value
    return value if value and Path(value).is_file() else None


def _windows_user(loader: _Loader, name: Any, password: Any) -> WindowsUser:
    domain, sep, user = str(name).rpartition("\\")
    if not sep or not domain or not user:
        loader.err(
            "credentials.windows.users", f"{name!r}: write users as DOMAIN\\name (for example CONTOSO\\alice)"
        )
    return WindowsUser(domain.upper(), user, str(password))
