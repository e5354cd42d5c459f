"""Securing the reply of a symmetric binding as WCF's server does (SymmetricSecurityProtocol.SecureOutgoingMessageCore
with the request's WrappedKeySecurityToken; SendSecurityHeader.OnWriteHeaderContents for the order).

The reply reuses the key the client wrapped in its request; it carries no EncryptedKey but references it by
EncryptedKeySHA1 (the wrapped octets' SHA-1; WrappedKeySecurityTokenParameters creates an
EncryptedKeyHashIdentifierClause for a reply)::

    <o:Security s:mustUnderstand="1">
      <u:Timestamp u:Id="_0">...</u:Timestamp>
      <c:DerivedKeyToken u:Id="_dks"> <o:SecurityTokenReference k:TokenType="...#EncryptedKey">
          <o:KeyIdentifier ValueType="...#EncryptedKeySHA1">sha1</o:KeyIdentifier></o:SecurityTokenReference>
        <c:Offset>0</c:Offset><c:Length>24</c:Length><c:Nonce>...</c:Nonce></c:DerivedKeyToken>      signature key
      <c:DerivedKeyToken u:Id="_dke"> ... <c:Nonce>...</c:Nonce></c:DerivedKeyToken>                encryption key
      <e:ReferenceList><e:DataReference URI="#_eb"/><e:DataReference URI="#_es"/></e:ReferenceList>
      <k:SignatureConfirmation .../>                                   when the binding requires it
      <e:EncryptedData Id="_es" Type="...#Element"> the HMAC ds:Signature </e:EncryptedData>
    </o:Security>
    ... <s:Body u:Id="_1"><e:EncryptedData Id="_eb" Type="...#Content">...</e:EncryptedData></s:Body>

DerivedKeySecurityToken's send-side shape (WSSecureConversation.DerivedKeyTokenEntry.WriteTokenCore): a
16-byte nonce, no Label, Offset 0 and Length written only when Length is not 32. Without derived keys the
signature and EncryptedData reference the EncryptedKeySHA1 directly.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509

from mockwcf import ns
from mockwcf.security import derivedkeys, keywrap
from mockwcf.security import encryptbeforesign as ebs
from mockwcf.security import encrypteddata as xed
from mockwcf.security.suites import Suite

_DIGEST = {ns.SHA1: hashlib.sha1, ns.SHA256: hashlib.sha256}


@dataclass
class SymmetricReply:
    """The slots a symmetric reply fills in SendSecurityHeader, plus the Body to send."""

    derived_signing_key: str
    derived_encryption_key: str
    reference_list: str
    primary_signature: str  # the EncryptedData holding the signature, or the clear signature
    body: str
    signature_confirmations: list[str]  # as given, or each in its EncryptedData


class ReplyKey(Protocol):
    """The request's key token that secures the reply: keywrap.WrappedKey (one-shot symmetric binding,
    referenced by EncryptedKeySHA1) or sctmessage.SctKey (secure conversation, referenced by context id)."""

    key: bytes

    def reference_xml(self) -> str: ...


def _dkt(id: str, sc_ns: str, reference: str, nonce: bytes, length: int) -> str:
    sizes = (
        "" if length == derivedkeys.DEFAULT_LENGTH else f"<c:Offset>0</c:Offset><c:Length>{length}</c:Length>"
    )
    return (
        f'<c:DerivedKeyToken u:Id="{id}" xmlns:c="{sc_ns}">{reference}{sizes}'
        f"<c:Nonce>{base64.b64encode(nonce).decode()}</c:Nonce></c:DerivedKeyToken>"
    )


def _encrypt_element(id: str, text: str, key: bytes, suite: Suite, key_info: str = "") -> str:
    """WSSecurityOneDotZeroSendSecurityHeader.EncryptElement: a header element, written as a document of its own
    (CaptureSecurityElement), in an EncryptedData of Type Element."""
    cipher = xed.encrypt(text.encode(), key, suite.encryption)
    return xed.encrypted_data_xml(id, suite.encryption, cipher, key_info, content=False)


def _encrypt_confirmations(
    confirmations: list[str], key: bytes, suite: Suite, key_info: str, ids: list[str]
) -> list[str]:
    """CompleteEncryptionCore encrypts, after the primary signature, the SignatureConfirmations marked for
    encryption (SendSecurityHeader.StartSignature: MarkedForEncryption = SignatureConfirmations
    .IsMarkedForEncryption, set when a request signature arrived encrypted); each id joins the ReferenceList."""
    out = []
    for i, conf in enumerate(confirmations):
        ids.append(f"_esc{i}")
        out.append(_encrypt_element(ids[-1], conf, key, suite, key_info))
    return out


def _local_reference(id: str) -> str:
    return (
        f'<o:SecurityTokenReference xmlns:o="{ns.WSSE}"><o:Reference URI="#{id}"/></o:SecurityTokenReference>'
    )


def secure(
    request_key: ReplyKey,
    suite: Suite,
    *,
    sc_ns: str,
    derive: bool,
    encrypt: bool,
    encrypt_signature: bool,
    signed: list[tuple[str, str]],
    body_start: str,
    payload: str,
    confirmations: list[str] | None = None,
    encrypt_before_sign: bool = False,
) -> SymmetricReply:
    """Sign `signed` (wsu:Id, canonical text; the Body last) with HMAC and, when `encrypt`, encrypt the Body
    content; when the Body is encrypted or `confirmations` (the SignatureConfirmations marked for encryption)
    are given, encrypt those and the signature (when `encrypt_signature`) with the request's key or keys
    derived from it."""
    marked = list(confirmations or [])
    reference = request_key.reference_xml()
    dk_sig = dk_enc = ""
    if derive:
        n_sig, n_enc = os.urandom(derivedkeys.NONCE_LENGTH), os.urandom(derivedkeys.NONCE_LENGTH)
        sig_len, enc_len = suite.signature_dk_bits // 8, suite.encryption_dk_bits // 8
        sig_key = derivedkeys.p_sha1(request_key.key, derivedkeys.DEFAULT_LABEL, n_sig, sig_len)
        enc_key = derivedkeys.p_sha1(request_key.key, derivedkeys.DEFAULT_LABEL, n_enc, enc_len)
        dk_sig = _dkt("_dks", sc_ns, reference, n_sig, sig_len)
        dk_enc = _dkt("_dke", sc_ns, reference, n_enc, enc_len)
        sig_ref, enc_ref = _local_reference("_dks"), _local_reference("_dke")
    else:
        sig_key = enc_key = request_key.key
        sig_ref = enc_ref = reference
    ebs_body = ""
    if (
        encrypt and encrypt_before_sign
    ):  # the Body is encrypted first and signed as sent (encryptbeforesign.py)
        ebs_body = ebs.encrypted_body(body_start, payload, enc_key, suite.encryption, enc_ref)
        signed = [*signed[:-1], ("_1", ebs_body)]
    digest = _DIGEST[suite.digest]
    refs = "".join(
        f'<Reference URI="#{ident}"><Transforms><Transform Algorithm="{ns.EXC_C14N}"></Transform>'
        f'</Transforms><DigestMethod Algorithm="{suite.digest}"></DigestMethod><DigestValue>'
        f"{base64.b64encode(digest(text.encode()).digest()).decode()}</DigestValue></Reference>"
        for ident, text in signed
    )
    signed_info = (
        f'<SignedInfo xmlns="{ns.DS}"><CanonicalizationMethod Algorithm="{ns.EXC_C14N}"></CanonicalizationMethod>'
        f'<SignatureMethod Algorithm="{suite.symmetric_signature}"></SignatureMethod>{refs}</SignedInfo>'
    )
    value = derivedkeys.hmac_signature(sig_key, signed_info.encode(), suite.symmetric_signature)
    signature = (
        f'<Signature xmlns="{ns.DS}">{signed_info}<SignatureValue>{base64.b64encode(value).decode()}'
        f"</SignatureValue><KeyInfo>{sig_ref}</KeyInfo></Signature>"
    )
    body = f"{body_start}{payload}</s:Body>"
    reference_list = ""
    if ebs_body:
        # confirmations are marked for encryption only when the request's signature was encrypted, which
        # EncryptBeforeSign never has: they stay clear
        rl = ebs.reference_list_xml([ebs.BODY_DATA_ID])
        return SymmetricReply(dk_sig, dk_enc, rl, signature, ebs_body, marked)
    # SymmetricSecurityProtocol sets the encryption token whatever the action's level (ApplyConfidentiality is
    # always true: SymmetricSecurityBindingElement), so a Sign-level reply still encrypts the confirmations
    # marked for encryption, and then keeps its signature encrypted too (RemoveSignatureEncryptionIfAppropriate
    # drops it only when the Body is not encrypted and no confirmation IsMarkedForEncryption); with nothing to
    # encrypt CompleteEncryption finds no DataReference and writes no encryption key or ReferenceList.
    # EncryptBeforeSign keeps the marks clear, as on the ebs_body path (docs/design.md: not covered).
    if encrypt or (marked and not encrypt_before_sign):
        ids = []
        if encrypt:
            ids.append("_eb")
            cipher = xed.encrypt(payload.encode(), enc_key, suite.encryption)
            body = f"{body_start}{xed.encrypted_data_xml('_eb', suite.encryption, cipher, enc_ref)}</s:Body>"
        if encrypt_signature:
            signature = _encrypt_element("_es", signature, enc_key, suite, enc_ref)
            ids.append("_es")
        marked = _encrypt_confirmations(marked, enc_key, suite, enc_ref, ids)
        reference_list = (
            f'<e:ReferenceList xmlns:e="{ns.XENC}">'
            + "".join(f'<e:DataReference URI="#{i}"/>' for i in ids)
            + "</e:ReferenceList>"
        )
    return SymmetricReply(dk_sig, dk_enc if reference_list else "", reference_list, signature, body, marked)


def encrypt_for_client(
    cert: x509.Certificate,
    suite: Suite,
    *,
    reference: str,
    encrypt_signature: bool,
    signature: str,
    body_start: str,
    payload: str,
    confirmations: list[str] | None = None,
    encrypt_body: bool = True,
) -> tuple[str, str, str, list[str]]:
    """An asymmetric reply's confidentiality (AsymmetricSecurityProtocol: the reply is encrypted for the
    initiator's certificate): a new key (CreateWrappedKeyToken) wrapped for the client certificate with the
    suite's asymmetric key wrap, named by `reference` (x509clause.client_clause: the initiator token's
    X509ReferenceStyle; for Any the SKI, else IssuerSerial); the
    ReferenceList sits inside the EncryptedKey and the EncryptedData carry no KeyInfo
    (SendSecurityHeader skipKeyInfoForEncryption); `confirmations` are the SignatureConfirmations marked for
    encryption; `encrypt_body` False (a Sign-level reply with marked confirmations) leaves the Body clear.
    Returns (EncryptedKey, signature slot, Body, SignatureConfirmation slots)."""
    key = keywrap.new_key(suite)
    ids = []
    body = f"{body_start}{payload}</s:Body>"
    if encrypt_body:
        ids.append("_eb")
        cipher = xed.encrypt(payload.encode(), key, suite.encryption)
        body = f"{body_start}{xed.encrypted_data_xml('_eb', suite.encryption, cipher)}</s:Body>"
    if encrypt_signature and signature:
        signature = _encrypt_element("_es", signature, key, suite)
        ids.append("_es")
    marked = _encrypt_confirmations(list(confirmations or []), key, suite, "", ids)
    wrapped = keywrap.wrap(key, cert, suite.asymmetric_key_wrap)
    ek = keywrap.encrypted_key_xml("_ek", wrapped, suite.asymmetric_key_wrap, cert, ids, reference)
    return ek, signature, body, marked
