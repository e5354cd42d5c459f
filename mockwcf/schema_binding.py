"""The scenario schema's `binding:` section: the binding type, message version, quotas and <security>."""

from __future__ import annotations

from mockwcf.schema_base import DERIVED, F
from mockwcf.schema_transport import TRANSPORT

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
# SecurityAlgorithmSuite's named suites (security/suites.py implements each; a test keeps the two equal)
SUITES = tuple(
    f"{base}{sha}{rsa}"
    for base in ("Basic256", "Basic192", "Basic128", "TripleDes")
    for sha in ("", "Sha256")
    for rsa in ("", "Rsa15")
)
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
# X509KeyIdentifierClauseType's names, and BinarySecurityToken (the token included: InclusionMode AlwaysToInitiator)
TOKEN_REFERENCES = (
    "Any",
    "Thumbprint",
    "IssuerSerial",
    "SubjectKeyIdentifier",
    "RawDataKeyIdentifier",
    "BinarySecurityToken",
)

# -- transport client credentials (mockwcf/transport/config.py reads these) --------------------------------


BINDING = F(
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
        "maxReceivedMessageSize": F(
            "int",
            "Larger requests get HTTP 413, at once from the declared Content-Length, or as a chunked "
            "body passes the quota.",
            65536,
            minimum=1,
        ),
        "receiveTimeout": F(
            "timespan",
            "WCF's receiveTimeout; a request body must arrive within it (and within http.entityBodyTimeout).",
            "00:10:00",
        ),
        "readerQuotas": F(
            "section",
            "XmlDictionaryReaderQuotas, enforced in the one parse and answered as WCF answers each.",
            fields={
                "maxDepth": F("int", "Element nesting depth.", 32, minimum=1),
                "maxStringContentLength": F(
                    "int", "Characters in one text or attribute value.", 8192, minimum=1
                ),
                "maxArrayLength": F("int", "Elements of a typed array, bytes of base64.", 16384, minimum=1),
                "maxBytesPerRead": F(
                    "int",
                    "Bytes one read may take: bounds a start tag with its attributes.",
                    4096,
                    minimum=1,
                ),
                "maxNameTableCharCount": F(
                    "int", "Characters of distinct names and namespaces.", 16384, minimum=1
                ),
            },
        ),
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
                    "clients first obtain an SCT (RST/SCT), Message clients too (its bootstrap is the "
                    "one-shot symmetric binding).",
                    DERIVED,
                ),
                "secureConversationBootstrap": F(
                    "enum",
                    "customBinding authenticationMode SecureConversation: the bootstrap that "
                    "authenticates the RST (MutualCertificate is asymmetric under a WSSecurity10 "
                    "messageSecurityVersion; MutualCertificateDuplex is refused: it needs a duplex channel).",
                    None,
                    (
                        "UserNameOverTransport",
                        "CertificateOverTransport",
                        "UserNameForCertificate",
                        "MutualCertificate",
                        "AnonymousForCertificate",
                        "MutualCertificateDuplex",
                    ),
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
                    "How a signed reply names the service certificate: overrides the asymmetric binding's "
                    "RecipientTokenParameters (X509ReferenceStyle, or BinarySecurityToken for InclusionMode "
                    "AlwaysToInitiator). Default: the factory's, so Any (the SubjectKeyIdentifier when the "
                    "certificate has one, else IssuerSerial) for WS-Security 1.0 MutualCertificate and "
                    "basicHttpBinding Message; symmetric replies never name it (EncryptedKeySHA1).",
                    DERIVED,
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
)
