"""XML namespaces and URIs used on the wire.

Kept in one place because WCF compares most of these as exact strings (a BST ValueType with a typo
is a different token type to WCF), so a single spelling in the code base is part of fidelity.
"""

from __future__ import annotations

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
EC = "http://www.w3.org/2001/10/xml-exc-c14n#"

WSA10 = "http://www.w3.org/2005/08/addressing"
WSA_NONE = "http://schemas.microsoft.com/ws/2005/05/addressing/none"
WSC = "http://schemas.xmlsoap.org/ws/2005/02/sc"
WSC13 = "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512"
WST = "http://schemas.xmlsoap.org/ws/2005/02/trust"
WSC13 = "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512"
WST13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
DNSE = "http://schemas.microsoft.com/ws/2006/05/security"
XML = "http://www.w3.org/XML/1998/namespace"

# Token profile values, compared exactly (RS IM/Tokens/WSSecurityJan2004.cs).
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
SKI_VALUE_TYPE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier"
)
THUMBPRINT_VALUE_TYPE = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1"
BASE64_ENCODING = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
HEX_ENCODING = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#HexBinary"
TEXT_ENCODING = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Text"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)

# Algorithms.
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
STR_TRANSFORM = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#STR-Transform"
)
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

# XML Encryption and key derivation (RS SM/XD.cs SecurityAlgorithmDictionary; IM/SecurityAlgorithms.cs).
AES128_CBC = XENC + "aes128-cbc"
AES192_CBC = XENC + "aes192-cbc"
AES256_CBC = XENC + "aes256-cbc"
TRIPLEDES_CBC = XENC + "tripledes-cbc"
KW_AES128 = XENC + "kw-aes128"
KW_AES192 = XENC + "kw-aes192"
KW_AES256 = XENC + "kw-aes256"
KW_TRIPLEDES = XENC + "kw-tripledes"
RSA_OAEP = XENC + "rsa-oaep-mgf1p"
RSA_15 = XENC + "rsa-1_5"
XENC_CONTENT = XENC + "Content"
XENC_ELEMENT = XENC + "Element"
PSHA1_2005 = WSC + "/dk/p_sha1"
PSHA1_13 = WSC13 + "/dk/p_sha1"
ENCRYPTED_KEY_SHA1 = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKeySHA1"
ENCRYPTED_KEY_TOKEN_TYPE = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey"

# WS-Addressing header names WCF requires signed when present (RS SM/Channels/AddressingVersion.cs).
WSA_SIGNED_HEADERS = ("To", "From", "FaultTo", "ReplyTo", "MessageID", "RelatesTo", "Action")

FAULT_ACTION_WSA10 = "http://www.w3.org/2005/08/addressing/soap/fault"
# DotNetSecurityStrings.SecuritySessionFaultAction: the session channel's RenewNeeded / SecuritySessionAborted faults
SECURITY_SESSION_FAULT_ACTION = "http://schemas.microsoft.com/ws/2006/05/security/SecureConversationFault"

CONTENT_TYPE_11 = "text/xml; charset=utf-8"
CONTENT_TYPE_12 = "application/soap+xml; charset=utf-8"


def q(ns: str, local: str) -> str:
    """Clark notation, the form lxml uses for tags and attribute names."""
    return f"{{{ns}}}{local}"
