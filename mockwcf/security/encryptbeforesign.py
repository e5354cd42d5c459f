"""Replies written in EncryptBeforeSign order (the receive side is protectionorder.py).

With MessageProtectionOrder.EncryptBeforeSign, WCF's SendSecurityHeader runs StartEncryption before
StartSignature and CompleteEncryption before CompleteSignature (SendSecurityHeader.StartSecurityApplication /
CompleteSecurityApplication, SignThenEncrypt false: MessageSecurityProtocol.ConfigureSendSecurityHeader). So:

- the Body is encrypted first (WSSecurityOneDotZeroSendSecurityHeader.ApplyBodySecurity,
  MessagePartProtectionMode.EncryptThenSign) and the primary signature's Body reference (by the Body's wsu:Id)
  digests the Body *with* its xenc:EncryptedData content;
- the signature is never encrypted (EncryptPrimarySignature is SignBeforeEncryptAndEncryptSignature only);
- the ReferenceList is written after the primary signature (OnWriteHeaderContents, `!SignThenEncrypt`) and the
  EncryptedData carry a KeyInfo even when the key is a wrapped key (skipKeyInfoForEncryption needs
  signThenEncrypt, so the ReferenceList is never moved inside the EncryptedKey).

The Body is written in exclusive-c14n form, so the bytes sent are the bytes digested.
"""

from __future__ import annotations

from cryptography import x509
from lxml import etree

from mockwcf import ns
from mockwcf.canonical import c14n
from mockwcf.security import encrypteddata as xed
from mockwcf.security import keywrap
from mockwcf.security.suites import Suite

BODY_DATA_ID = "_eb"
_KEY_ID = "_ek"


def encrypted_body(body_start: str, payload: str, key: bytes, method: str, key_info: str) -> str:
    """The Body (start tag `body_start`, canonical) holding the encrypted `payload`, in canonical form: the text
    the signature's Body reference digests and the text sent."""
    cipher = xed.encrypt(payload.encode(), key, method)
    body = f"{body_start}{xed.encrypted_data_xml(BODY_DATA_ID, method, cipher, key_info)}</s:Body>"
    return c14n(etree.fromstring(body.encode())).decode()


def reference_list_xml(ids: list[str]) -> str:
    refs = "".join(f'<e:DataReference URI="#{i}"/>' for i in ids)
    return f'<e:ReferenceList xmlns:e="{ns.XENC}">{refs}</e:ReferenceList>'


def wrapped_key_reference(wss11: bool, bsp: bool) -> str:
    """The EncryptedData's KeyInfo for a wrapped key under EncryptBeforeSign: a local reference to the
    EncryptedKey (SendSecurityHeader.StartEncryption, LocalIdKeyIdentifierClause of the WrappedKeySecurityToken).
    WSSecurityJan2004.LocalReferenceStrEntry.WriteContent writes a ValueType (and WSSecurityXXX2005's
    EmitTokenType a wsse11:TokenType) only with emitBspRequiredAttributes, i.e. a BasicSecurityProfile message
    security version, and WS-Security 1.0 has no token type for an EncryptedKey: otherwise the bare URI."""
    if bsp and wss11:
        return (
            f'<o:SecurityTokenReference k:TokenType="{ns.ENCRYPTED_KEY_TOKEN_TYPE}" xmlns:o="{ns.WSSE}" '
            f'xmlns:k="{ns.WSSE11}"><o:Reference ValueType="{ns.ENCRYPTED_KEY_TOKEN_TYPE}" URI="#{_KEY_ID}"/>'
            "</o:SecurityTokenReference>"
        )
    return f'<o:SecurityTokenReference xmlns:o="{ns.WSSE}"><o:Reference URI="#{_KEY_ID}"/></o:SecurityTokenReference>'


def encrypt_body_for_client(
    cert: x509.Certificate,
    suite: Suite,
    *,
    reference: str,
    wss11: bool,
    bsp: bool,
    body_start: str,
    payload: str,
) -> tuple[str, str, str]:
    """An asymmetric reply's confidentiality under EncryptBeforeSign: a new key wrapped for the client
    certificate (named by `reference`, x509clause.client_clause; no ReferenceList inside the EncryptedKey), the
    Body encrypted with it. Returns (EncryptedKey,
    ReferenceList, canonical Body); the caller signs the Body as returned."""
    key = keywrap.new_key(suite)
    body = encrypted_body(body_start, payload, key, suite.encryption, wrapped_key_reference(wss11, bsp))
    wrapped = keywrap.wrap(key, cert, suite.asymmetric_key_wrap)
    ek = keywrap.encrypted_key_xml(_KEY_ID, wrapped, suite.asymmetric_key_wrap, cert, None, reference)
    return ek, reference_list_xml([BODY_DATA_ID]), body
