"""The scenario file's schema: every key, its type, WCF default and meaning, in one table.

The loader validates against it and the docs' scenario reference is generated from it, so the two
cannot drift. Keys use WCF's own configuration names (camelCase) so a user can copy values from a
service's web.config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REQUIRED = object()  # marker: the key must be present
DERIVED = object()  # marker: the default depends on other keys (documented in `doc`)


@dataclass(frozen=True)
class F:
    """One key: `kind` picks the validator in scenario.py."""

    kind: str  # str|int|bool|timespan|enum|path|list|map|section|rules|operations|code|xml
    doc: str
    default: Any = None
    choices: tuple[str, ...] = ()
    item: F | None = None
    fields: dict[str, F] = field(default_factory=dict)
    minimum: int | None = None


BINDING_TYPES = ("basicHttpBinding", "wsHttpBinding", "ws2007HttpBinding", "customBinding")
SECURITY_MODES = ("None", "Transport", "Message", "TransportWithMessageCredential", "TransportCredentialOnly")
CREDENTIAL_TYPES = ("None", "UserName", "Certificate", "Windows", "IssuedToken", "Basic", "Ntlm")
AUTH_MODES = (
    "MutualCertificate",
    "MutualCertificateDuplex",
    "UserNameOverTransport",
    "CertificateOverTransport",
    "UserNameForCertificate",
    "SecureConversation",
    "AnonymousForCertificate",
    "Kerberos",
    "SspiNegotiated",
    "IssuedToken",
)
MESSAGE_VERSIONS = ("Soap11", "Soap12", "Soap11WSAddressing10", "Soap12WSAddressing10")
SUITES = ("Basic256", "Basic256Sha256", "Basic128", "Basic128Sha256", "TripleDes", "Basic192")
LAYOUTS = ("Strict", "Lax", "LaxTimestampFirst", "LaxTimestampLast")
SECURITY_VERSIONS = (
    "WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10",
    "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11",
    "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10",
    "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy12",
    "WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11",
    "WSSecurity11WSTrust13WSSecureConversation13WSSecurityPolicy12",
    "WSSecurity11WSTrust13WSSecureConversation13WSSecurityPolicy12BasicSecurityProfile10",
    "WSSecurity10WSTrust13WSSecureConversation13WSSecurityPolicy12BasicSecurityProfile10",
)
VALUE_TYPES = ("string", "int", "long", "boolean", "decimal", "double", "dateTime", "base64Binary")
TOKEN_REFERENCES = ("IssuerSerial", "SubjectKeyIdentifier", "Thumbprint", "BinarySecurityToken")

# -- transport client credentials (mockwcf/transport/config.py reads these) --------------------------------
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

_TYPE_DOC = "a map of field name to type: " + ", ".join(VALUE_TYPES) + "; append [] for a list (string[])"

OPERATION = F(
    "section",
    "One operation of the contract (document/literal wrapped, like a WCF [OperationContract]).",
    fields={
        "name": F("str", "Operation name; the request element and the action end with it.", REQUIRED),
        "action": F("str", "SOAP action; default `{namespace}{contract}/{name}` as WCF derives it.", DERIVED),
        "input": F("map", "Request fields: " + _TYPE_DOC + ".", {}),
        "output": F("map", "Response fields: " + _TYPE_DOC + ".", DERIVED),
        "reply": F(
            "map",
            "Canned response values; a string (or each string of a list) may echo request fields as `{field}`. "
            "Default: the first output field echoes the first input field.",
            {},
        ),
    },
)

MATCH = F(
    "section",
    "When the rule applies; every given condition must hold.",
    fields={
        "operation": F("str", "Operation name."),
        "action": F("str", "The request's action."),
        "call": F("int", "Only the N-th matching call (1-based), counted per rule.", minimum=1),
        "every": F("int", "Every N-th matching call.", minimum=1),
        "node": F("int", "Only requests served by this farm node (1-based).", minimum=1),
        "xpath": F(
            "str", "An XPath 1.0 expression on the request envelope; the rule matches when it is true."
        ),
        "namespaces": F("map", "Prefixes for `xpath` (soap, wsse, wsu, wsa and ds are predefined).", {}),
    },
)

RULE = F(
    "section",
    "A fault-injection or delay rule. Exactly one of fault, customFault, httpStatus, drop "
    "(delay may be combined with any, or stand alone).",
    fields={
        "match": MATCH,
        "phase": F(
            "enum",
            "`dispatch`: checked after security processing (a rejected request never reaches it); "
            "`receive`: checked before it.",
            "dispatch",
            ("receive", "dispatch"),
        ),
        "fault": F("code", "Answer with this catalog code's WCF fault (see `mockwcf catalog`)."),
        "message": F("str", "Specifics for the diagnostics detail of `fault`.", ""),
        "customFault": F(
            "section",
            "Answer with a SOAP fault of your own.",
            fields={
                "code": F("enum", "Fault code.", "Sender", ("Sender", "Receiver")),
                "subcode": F("str", "Subcode as `{namespace}Local` or empty.", ""),
                "reason": F("str", "Reason text.", REQUIRED),
                "detail": F("xml", "Detail content (well-formed XML).", ""),
            },
        ),
        "delay": F("timespan", "Wait this long before answering (e.g. 00:00:02)."),
        "httpStatus": F(
            "section",
            "Answer with a bare HTTP status.",
            fields={
                "status": F("int", "HTTP status code.", REQUIRED, minimum=100),
                "body": F("str", "Body text.", ""),
                "contentType": F("str", "Content-Type of the body.", "text/plain; charset=utf-8"),
            },
        ),
        "drop": F("bool", "Close the connection without answering.", False),
    },
)

SCHEMA = F(
    "section",
    "A mockwcf scenario.",
    fields={
        "scenario": F("int", "File format version; always 1.", 1, minimum=1),
        "name": F("str", "Scenario name, shown by /_mockwcf/health and the journal.", DERIVED),
        "description": F("str", "What this scenario shows, for people.", ""),
        "service": F(
            "section",
            "The service and its contract.",
            fields={
                "name": F("str", "Service name (WSDL service).", "EchoService"),
                "namespace": F("str", "Contract namespace.", "http://tempuri.org/"),
                "contract": F("str", "Contract (interface) name; part of every default action.", DERIVED),
                "path": F("str", "URL path of the endpoint.", DERIVED),
                "operations": F(
                    "list",
                    "The contract's operations; default: one Echo(text) -> EchoResult.",
                    DERIVED,
                    item=OPERATION,
                ),
            },
        ),
        "binding": F(
            "section",
            "The endpoint's binding, as in WCF configuration.",
            fields={
                "type": F("enum", "Binding type.", "basicHttpBinding", BINDING_TYPES),
                "messageVersion": F(
                    "enum",
                    "SOAP and addressing version; default Soap11 for basicHttpBinding, "
                    "Soap12WSAddressing10 for the others.",
                    DERIVED,
                    MESSAGE_VERSIONS,
                ),
                "maxReceivedMessageSize": F("int", "Larger requests get HTTP 413.", 65536, minimum=1),
                "security": F(
                    "section",
                    "Security settings (the binding's <security> element).",
                    fields={
                        "mode": F(
                            "enum",
                            "Security mode; default None for basicHttpBinding, Message for wsHttpBinding; "
                            "customBinding derives it from authenticationMode.",
                            DERIVED,
                            SECURITY_MODES,
                        ),
                        "authenticationMode": F(
                            "enum",
                            "customBinding only: the SecurityBindingElement factory.",
                            None,
                            AUTH_MODES,
                        ),
                        "clientCredentialType": F(
                            "enum",
                            "Message credential; default UserName (basicHttp TransportWithMessageCredential), "
                            "Certificate (basicHttp Message), Windows (wsHttpBinding). With mode Transport or "
                            "TransportCredentialOnly it is the transport credential (None, Basic, Ntlm, Windows, "
                            "Certificate) unless transport.clientCredentialType is given.",
                            DERIVED,
                            CREDENTIAL_TYPES,
                        ),
                        "protectionLevel": F(
                            "enum",
                            "The contract's ProtectionLevel; unset, WCF signs and encrypts under Message "
                            "security (EncryptAndSign) — set Sign as [ServiceContract(ProtectionLevel = Sign)] does.",
                            DERIVED,
                            ("None", "Sign", "EncryptAndSign"),
                        ),
                        "messageSecurityVersion": F(
                            "enum",
                            "WS-Security and companions; default WSS 1.0 for basicHttpBinding and "
                            "MutualCertificate, WSS 1.1 for wsHttpBinding.",
                            DERIVED,
                            SECURITY_VERSIONS,
                        ),
                        "algorithmSuite": F("enum", "Algorithm suite.", "Basic256", SUITES),
                        "securityHeaderLayout": F(
                            "enum",
                            "Header layout; default Strict, Lax for basicHttpBinding Message security. "
                            "WCF ignores it for TransportWithMessageCredential (always Strict).",
                            DERIVED,
                            LAYOUTS,
                        ),
                        "includeTimestamp": F("bool", "Whether a Timestamp is required and sent.", True),
                        "establishSecurityContext": F(
                            "bool",
                            "wsHttpBinding secure conversation (default true): TransportWithMessageCredential "
                            "clients first obtain an SCT (RST/SCT); Message security needs false for now.",
                            DERIVED,
                        ),
                        "secureConversationBootstrap": F(
                            "enum",
                            "customBinding authenticationMode SecureConversation: the bootstrap that "
                            "authenticates the RST.",
                            None,
                            ("UserNameOverTransport", "CertificateOverTransport"),
                        ),
                        "negotiateServiceCredential": F(
                            "bool", "wsHttpBinding Message: SSL/SPNEGO negotiation.", DERIVED
                        ),
                        "requireCancellation": F(
                            "bool", "Secure conversation: true = session SCT, false = cookie SCT.", True
                        ),
                        "allowInsecureTransport": F(
                            "bool",
                            "Run TransportWithMessageCredential over plain HTTP (WCF's AllowInsecureTransport).",
                            False,
                        ),
                        "messageProtectionOrder": F(
                            "enum",
                            "Message security: the order of signing and encryption (WCF default "
                            "SignBeforeEncryptAndEncryptSignature).",
                            None,
                            (
                                "SignBeforeEncrypt",
                                "SignBeforeEncryptAndEncryptSignature",
                                "EncryptBeforeSign",
                            ),
                        ),
                        "requireSignatureConfirmation": F(
                            "bool", "Send SignatureConfirmation in responses (WSS 1.1).", DERIVED
                        ),
                        "signedSupportingTokens": F(
                            "list",
                            "Tokens the request must carry besides the primary one (UserName); in Message "
                            "mode they must be covered by the primary signature.",
                            [],
                            item=F("enum", "Token type.", None, ("UserName",)),
                        ),
                        "responseTokenReference": F(
                            "enum",
                            "How the signed response points at the service certificate.",
                            "IssuerSerial",
                            TOKEN_REFERENCES,
                        ),
                        "transport": TRANSPORT,
                        "signResponses": F(
                            "bool",
                            "mockwcf switch, not a WCF setting: false leaves Message-mode responses unsigned "
                            "(WCF always signs them).",
                            True,
                        ),
                    },
                ),
            },
        ),
        "credentials": F(
            "section",
            "Service credentials (the serviceCredentials behavior).",
            fields={
                "serviceCertificate": F(
                    "section",
                    "The service's certificate and key (PEM); needed for HTTPS and signed responses.",
                    fields={
                        "certificate": F("path", "PEM certificate.", None),
                        "privateKey": F("path", "PEM private key.", None),
                    },
                ),
                "clientCertificate": F(
                    "section",
                    "How client certificates are validated.",
                    fields={
                        "certificateValidationMode": F(
                            "enum",
                            "Validation mode.",
                            "ChainTrust",
                            ("None", "PeerTrust", "ChainTrust", "PeerOrChainTrust"),
                        ),
                        "trustedCertificates": F(
                            "list", "CA certificates (PEM) trusted for ChainTrust.", [], item=F("path", "")
                        ),
                        "trustedPeople": F(
                            "list",
                            "Exact client certificates (PEM) trusted for PeerTrust.",
                            [],
                            item=F("path", ""),
                        ),
                        "revocationMode": F(
                            "enum",
                            "Revocation checking; mockwcf has no network, so only NoCheck is honoured.",
                            "NoCheck",
                            ("NoCheck", "Online", "Offline"),
                        ),
                    },
                ),
                "windows": WINDOWS_CREDENTIALS,
                "userNameAuthentication": F(
                    "section",
                    "UserName credentials the service accepts.",
                    fields={"users": F("map", "user name -> password.", {})},
                ),
            },
        ),
        "localServiceSettings": F(
            "section",
            "LocalServiceSecuritySettings; absent values take WCF's defaults.",
            fields={
                "maxClockSkew": F("timespan", "Allowed clock difference.", "00:05:00"),
                "replayWindow": F("timespan", "Replay window; also the timestamp age limit.", "00:05:00"),
                "detectReplays": F(
                    "bool", "Replay detection; WCF turns it off for transport bindings.", DERIVED
                ),
                "replayCacheSize": F("int", "Replay cache entries.", 900000, minimum=1),
                "timestampValidityDuration": F("timespan", "Expires - Created in responses.", "00:05:00"),
                "maxPendingSessions": F("int", "Secure conversation: pending sessions.", 128, minimum=1),
                "inactivityTimeout": F(
                    "timespan", "Secure conversation: pending-session timeout.", "00:02:00"
                ),
                "issuedCookieLifetime": F("timespan", "Cookie SCT lifetime.", "10:00:00"),
                "maxCachedCookies": F(
                    "int", "Secure conversation: decoded cookie SCTs kept per node.", 1000, minimum=0
                ),
                "sessionKeyRenewalInterval": F(
                    "timespan", "Secure conversation: a session key's life before RenewNeeded.", "15:00:00"
                ),
                "sessionKeyRolloverInterval": F(
                    "timespan", "Secure conversation: how long the old key works after a renewal.", "00:05:00"
                ),
            },
        ),
        "farm": F(
            "section",
            "Several nodes behind one balancer (each node has its own replay cache).",
            fields={
                "nodes": F("int", "Number of nodes.", 1, minimum=1),
                "balancing": F("enum", "How requests are spread.", "roundRobin", ("roundRobin", "sticky")),
                "cookieProtection": F(
                    "enum",
                    "Cookie SCT protection: perNode (a key made at node start, as DPAPI), shared (one key for "
                    "every node: cookieKeyFile, or a key the in-process nodes share), certificate (the service "
                    "certificate).",
                    "perNode",
                    ("perNode", "shared", "certificate"),
                ),
                "cookieKeyFile": F(
                    "path", "The key file shared nodes read (cookieProtection: shared).", None
                ),
            },
        ),
        "clock": F(
            "section",
            "The server clock.",
            fields={
                "offset": F("timespan", "Shift from real time, e.g. +00:07:00.", "00:00:00"),
                "frozenAt": F("str", "Freeze the clock at this instant (2026-01-01T00:00:00Z).", None),
            },
        ),
        "diagnostics": F(
            "bool",
            "Add X-MockWcf-Resource-Code and a diagnostics detail to faults; false = WCF's bytes only.",
            True,
        ),
        "journal": F(
            "section",
            "The exchange journal.",
            fields={
                "maxEntries": F("int", "Exchanges kept (oldest dropped first).", 10000, minimum=1),
                "maxBytes": F(
                    "int",
                    "Bytes of requests, replies and headers kept (oldest exchanges dropped first).",
                    64 * 1024 * 1024,
                    minimum=1,
                ),
                "includeSecrets": F(
                    "bool",
                    "Keep passwords, nonces and Authorization/Cookie headers in the journal; by default "
                    "their text is replaced by its length.",
                    False,
                ),
            },
        ),
        "deviations": F(
            "section",
            "Behaviour that real WCF does NOT have, for users who need it. Off by default.",
            fields={
                "resolveSigningCertificateOutOfBand": F(
                    "bool",
                    "Let the primary signature's KeyInfo (IssuerSerial, SKI, thumbprint) resolve against "
                    "credentials.clientCertificate.trustedPeople even without a BinarySecurityToken. "
                    "Real WCF refuses this (UnableToResolveKeyInfoForVerifyingSignature).",
                    False,
                )
            },
        ),
        "rules": F(
            "rules", "Fault injection and delays, checked in order; the first match wins.", [], item=RULE
        ),
    },
)
