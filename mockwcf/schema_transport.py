"""The scenario schema's transport-security sections: HTTP authentication and Windows credentials."""

from __future__ import annotations

from mockwcf.schema_base import DERIVED, REQUIRED, F  # noqa: F401

TRANSPORT = F(
    "section",
    "The binding's <transport> element: HTTP authentication before any SOAP (modes Transport and "
    "TransportCredentialOnly).",
    fields={
        "clientCredentialType": F(
            "enum",
            "HttpClientCredentialType; default: binding.security.clientCredentialType, else None.",
            None,
            ("None", "Basic", "Ntlm", "Windows", "Certificate"),
        ),
        "realm": F("str", "Realm of the Basic challenge (HttpTransportSecurity.Realm).", ""),
        "hosting": F(
            "enum",
            "Who answers the challenge: IIS (Windows = Negotiate and NTLM providers) or SelfHosted "
            "(HttpListener: Windows = Negotiate only).",
            "IIS",
            ("IIS", "SelfHosted"),
        ),
        "authenticationScheme": F(
            "enum",
            "customBinding httpTransport/httpsTransport authenticationScheme.",
            None,
            ("Anonymous", "Basic", "Ntlm", "Negotiate", "IntegratedWindowsAuthentication"),
        ),
        "requireClientCertificate": F(
            "bool", "customBinding httpsTransport requireClientCertificate.", False
        ),
    },
)
WINDOWS_CREDENTIALS = F(
    "section",
    "Windows accounts for transport Ntlm/Windows authentication (the domain's accounts, in effect).",
    fields={
        "users": F(
            "map", "DOMAIN\\name -> password; NTLM checks against them, `mockwcf kdc` makes them.", {}
        ),
        "keytab": F(
            "path", "The service principal's keytab (HTTP/host), for Kerberos; `mockwcf kdc` writes it.", None
        ),
        "krb5Config": F(
            "path", "krb5.conf of the realm (`mockwcf kdc` writes it); default: $KRB5_CONFIG.", None
        ),
        "allowNtlm": F(
            "bool",
            "Accept NTLM inside Negotiate (false: Kerberos only, as IIS with the Negotiate provider only).",
            True,
        ),
    },
)
