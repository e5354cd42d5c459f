"""xenc:ReferenceList and xenc:EncryptedData: reading, decrypting into the parsed tree in place, encrypting replies.

The shapes (XML Encryption; WS-Security 1.1 for the encrypted header)::

    <xenc:ReferenceList>                                   in wsse:Security, or inside xenc:EncryptedKey
      <xenc:DataReference URI="#ed-1"/>                    one or more, distinct, each '#id'
    </xenc:ReferenceList>

    <s:Body><xenc:EncryptedData Id="ed-1" Type="http://www.w3.org/2001/04/xmlenc#Content">
      <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>
      <ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#dk-2"/></wsse:SecurityTokenReference></ds:KeyInfo>
      <xenc:CipherData><xenc:CipherValue>IV || AES-CBC(content)</xenc:CipherValue></xenc:CipherData>
    </xenc:EncryptedData></s:Body>

    <wsse11:EncryptedHeader wsu:Id="eh-1" s:mustUnderstand="1"><xenc:EncryptedData Id="ed-3">...</xenc:EncryptedData>
    </wsse11:EncryptedHeader>                              an encrypted SOAP header (WSS 1.1 only)

An encrypted ds:Signature or wsse:UsernameToken is an xenc:EncryptedData in the security header, in the
place the element had.

WCF's rules (RS SM/Security/WSSecurityOneDotZeroReceiveSecurityHeader.cs CreateDecryptionAlgorithm,
DecryptBody, DecryptSecurityHeaderElement, EnsureDecryptionComplete; WSSecurityOneDotOneReceiveSecurityHeader
.DecryptHeader; SM/Security/CryptoHelper.cs ExtractIVAndDecrypt; IM/System/ServiceModel/Security/ReferenceList.cs):
- the key: with a ReferenceList inside the EncryptedKey, that key, unless the EncryptedData has its own KeyInfo;
  otherwise the KeyInfo resolved against the primary tokens (NoKeyInfoInEncryptedItemToFindDecryptingToken,
  UnableToResolveKeyInfoForDecryption);
- EncryptionMethod required (EncryptionMethodMissingInEncryptedData), equal to the suite's encryption algorithm
  (SuiteDoesNotAcceptAlgorithm 'Encryption'), key size per suite (TokenDoesNotMeetKeySizeRequirements);
- the CipherValue is IV || ciphertext, CBC, and the padding is ISO 10126 as .NET reads it: only the last byte,
  the pad length (1..block size), is checked (DecryptionFailed otherwise). XML Encryption's padding is the same
  rule, so PKCS#7-padded input from other stacks decrypts too;
- the Type attribute is not consulted: Body content is whatever the plaintext holds, a header item is one element;
- a DataReference that is never matched fails at the end (UnableToResolveDataReference).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

from mockwcf import codes, ns, xmlread
from mockwcf.envelope import WSU_ID
from mockwcf.faults import Rejection, b64_or_reject
from mockwcf.security import keyinfo, keyinfo_read
from mockwcf.security.suites import Suite

STEP = "decryption"
ENCRYPTED_DATA = ns.q(ns.XENC, "EncryptedData")
ENCRYPTED_HEADER = ns.q(ns.WSSE11, "EncryptedHeader")
_DATA_REFERENCE = ns.q(ns.XENC, "DataReference")
_METHOD, _CIPHER_DATA, _CIPHER_VALUE = (
    ns.q(ns.XENC, n) for n in ("EncryptionMethod", "CipherData", "CipherValue")
)
_KEY_INFO = ns.q(ns.DS, "KeyInfo")
_BLOCK = {ns.AES128_CBC: 16, ns.AES192_CBC: 16, ns.AES256_CBC: 16, ns.TRIPLEDES_CBC: 8}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class KeyToken(Protocol):
    """A token with a symmetric key: keywrap.WrappedKey, or a derived key (derivedkeys)."""

    key: bytes
    source_key_bits: int | None  # the base key's size when `key` was derived from it

    def label(self) -> str: ...

    def matches(self, clause: keyinfo.Clause) -> bool: ...


class ReferenceList:
    """The ids a ReferenceList names, removed as their EncryptedData is decrypted (TryRemoveReferredId)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids

    def take(self, id: str | None) -> bool:
        if id is not None and id in self.ids:
            self.ids.remove(id)
            return True
        return False

    def ensure_complete(self) -> None:
        """EnsureDecryptionComplete: every DataReference must have been decrypted."""
        if self.ids:
            raise Rejection(
                codes.UnableToResolveDataReference,
                f"The ReferenceList names '#{self.ids[0]}', which is not an xenc:EncryptedData the service "
                "decrypted (not in the Body, a header or the security header, or its Id differs).",
                step=STEP,
            )


def read_reference_list(element: etree._Element) -> ReferenceList:
    """ReferenceList.ReadFrom: DataReference children only, each URI '#id' (2+ characters), no id twice, one+."""
    ids: list[str] = []
    for child in xmlread.security_children(element, STEP):
        uri = child.get("URI") if child.tag == _DATA_REFERENCE else None
        if uri is None or len(uri) < 2 or uri[0] != "#" or uri[1:] in ids:
            what = f"DataReference URI {uri!r}" if uri is not None else etree.QName(child).localname
            raise Rejection(
                codes.InvalidDataReferenceInReferenceList,
                f"The ReferenceList holds {what}; it takes xenc:DataReference elements with distinct "
                "URI='#id' values only.",
                step=STEP,
            )
        ids.append(uri[1:])
    if not ids:
        raise Rejection(codes.ReferenceListCannotBeEmpty, "The xenc:ReferenceList is empty.", step=STEP)
    return ReferenceList(ids)


@dataclass
class EncryptedData:
    element: etree._Element
    id: str | None
    method: str | None
    clauses: list[keyinfo.Clause]
    cipher: bytes


def read_head(
    element: etree._Element, wss11: bool, step: str
) -> tuple[list[etree._Element], str | None, list[keyinfo.Clause]]:
    """The part of EncryptedType.ReadFrom that EncryptedData and EncryptedKey share: EncryptionMethod (its
    Algorithm required, its children skipped) and KeyInfo, both optional. Returns the children left."""
    kids = xmlread.security_children(element, step)
    method = None
    if kids and kids[0].tag == _METHOD:
        method = kids.pop(0).get("Algorithm")
        if method is None:
            raise Rejection(
                codes.RequiredAttributeMissing, "xenc:EncryptionMethod has no Algorithm.", step=step
            )
    clauses = keyinfo_read.read(kids.pop(0), wss11) if kids and kids[0].tag == _KEY_INFO else []
    return kids, method, clauses


def read(element: etree._Element, wss11: bool) -> EncryptedData:
    """EncryptedType.ReadFrom: EncryptionMethod?, KeyInfo?, CipherData/CipherValue, nothing after."""
    kids, method, clauses = read_head(element, wss11, STEP)
    cipher = cipher_value(kids, "xenc:EncryptedData", STEP)
    if kids:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"xenc:EncryptedData has an unexpected {etree.QName(kids[0]).localname} after CipherData.",
            step=STEP,
        )
    return EncryptedData(element, element.get("Id") or element.get(WSU_ID), method, clauses, cipher)


def resolve_key(ed: EncryptedData, tokens: Sequence[KeyToken], wrapped: KeyToken | None) -> KeyToken:
    """DecryptSecurityHeaderElement / DecryptBody / DecryptHeader: the EncryptedKey whose ReferenceList named this
    item, unless the item has its own KeyInfo, which must then resolve among the primary tokens."""
    if wrapped is not None and not ed.clauses:
        return wrapped
    if not ed.clauses:
        raise Rejection(
            codes.NoKeyInfoInEncryptedItemToFindDecryptingToken,
            f"xenc:EncryptedData '{ed.id}' has no ds:KeyInfo and no EncryptedKey lists it, so WCF cannot find the "
            "key to decrypt it.",
            step=STEP,
            hint="Reference the key in the EncryptedData's KeyInfo (the DerivedKeyToken or EncryptedKey), or list "
            "the EncryptedData in the EncryptedKey's own ReferenceList.",
        )
    for clause in ed.clauses:
        for token in tokens:
            if token.matches(clause):
                if wrapped is not None and token is not wrapped:
                    raise Rejection(
                        codes.EncryptedKeyWasNotEncryptedWithTheRequiredEncryptingToken,
                        f"xenc:EncryptedData '{ed.id}' is listed by {wrapped.label()} but its KeyInfo names "
                        f"{token.label()}.",
                        step=STEP,
                    )
                return token
    shown = "; ".join(str(c) for c in ed.clauses)
    available = ", ".join(t.label() for t in tokens) or "none"
    raise Rejection(
        codes.UnableToResolveKeyInfoForDecryption,
        f"Cannot resolve KeyInfo for decryption: KeyInfo '{shown}', available tokens '{available}'.",
        step=STEP,
    )


def decrypt(ed: EncryptedData, token: KeyToken, suite: Suite) -> bytes:
    """CreateDecryptionAlgorithm then ExtractIVAndDecrypt."""
    if ed.method is None:
        raise Rejection(
            codes.EncryptionMethodMissingInEncryptedData,
            f"xenc:EncryptedData '{ed.id}' has no xenc:EncryptionMethod.",
            step=STEP,
        )
    suite.ensure_encryption(ed.method)
    bits = len(token.key) * 8
    if token.source_key_bits is None:
        suite.ensure_symmetric_key_size(token.label(), bits, for_signature=False)
    else:
        suite.ensure_symmetric_key_size(token.label(), token.source_key_bits, bits, for_signature=False)
    block = _BLOCK[ed.method]
    cipher = _cipher(ed.method, token.key, ed.cipher[:block], token.label())
    body = ed.cipher[block:]
    if not body or len(body) % block:
        raise _failed(ed, "the CipherValue is not an IV followed by whole cipher blocks")
    decryptor = cipher.decryptor()
    plain = decryptor.update(body) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= block:
        raise _failed(ed, f"the last byte (pad length {pad}) is not 1..{block}: wrong key or algorithm")
    return plain[:-pad]


_KEY_BYTES = {ns.TRIPLEDES_CBC: (16, 24)}  # .NET TripleDES; Rijndael takes 16, 24 or 32 whatever the URI


def _cipher(method: str, key: bytes, iv: bytes, label: str) -> Cipher:
    """SymmetricSecurityKey.GetSymmetricAlgorithm: .NET's Rijndael takes any AES key length, whatever the URI
    says (the suite's size check is what ties them); TripleDES needs 16 or 24 bytes. A short IV is caught
    by the caller's length check right after."""
    if len(key) not in _KEY_BYTES.get(method, (16, 24, 32)):
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"A {len(key) * 8}-bit key from {label} cannot drive {method.rpartition('#')[2]}.",
            step=STEP,
        )
    algo = TripleDES(key) if method == ns.TRIPLEDES_CBC else algorithms.AES(key)
    return Cipher(algo, modes.CBC(iv.ljust(_BLOCK[method], b"\0")))


def _failed(ed: EncryptedData, why: str) -> Rejection:
    return Rejection(
        codes.DecryptionFailed,
        f"xenc:EncryptedData '{ed.id}' does not decrypt: {why}.",
        step=STEP,
        hint="Encrypt with the key the KeyInfo names and the suite's algorithm; the CipherValue must be the IV "
        "followed by the CBC ciphertext.",
    )


def cipher_value(kids: list[etree._Element], what: str, step: str) -> bytes:
    """CipherData/CipherValue (required, in that place); pops CipherData from `kids`."""
    cd = kids.pop(0) if kids and kids[0].tag == _CIPHER_DATA else None
    only = keyinfo_read.only_child(cd) if cd is not None else None  # the usual CipherValue alone
    cv = [only] if only is not None else xmlread.security_children(cd, step) if cd is not None else []
    if cd is None or len(cv) != 1 or cv[0].tag != _CIPHER_VALUE:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"{what} needs xenc:CipherData/xenc:CipherValue after EncryptionMethod and KeyInfo.",
            step=step,
        )
    try:  # ReadElementContentAsBase64: comments and PIs inside are skipped, an element is an error
        text = xmlread.content(cv[0])
    except xmlread.ReadError:
        text = "*"  # an element inside: not base64, refused below
    return b64_or_reject(
        text, codes.MessageSecurityVerificationFailed, f"{what}'s CipherValue is not base64.", step=step
    )


def _fragment(plain: bytes, context: etree._Element) -> etree._Element:
    """Parse decrypted bytes in the namespace context of their place (ContextImportHelper.CreateSplicedReader
    splices the envelope, header and security attributes around them)."""
    decls = "".join(f' xmlns{":" + p if p else ""}="{u}"' for p, u in context.nsmap.items() if u is not None)
    try:
        return etree.fromstring(f"<w{decls}>".encode() + plain + b"</w>", _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"The decrypted data is not well-formed XML ({exc}); the key or algorithm is probably wrong.",
            step=STEP,
        ) from None


def replace_content(ed: EncryptedData, plain: bytes) -> None:
    """Body content: the decrypted bytes take the EncryptedData's place, text and all."""
    parent = ed.element.getparent()
    wrapper = _fragment(plain, parent)
    index = parent.index(ed.element)
    before = ed.element.getprevious()
    tail = ed.element.tail
    parent.remove(ed.element)
    if wrapper.text:
        if before is None:
            parent.text = (parent.text or "") + wrapper.text
        else:
            before.tail = (before.tail or "") + wrapper.text
    for offset, child in enumerate(list(wrapper)):
        parent.insert(index + offset, child)
    last = parent[index + len(wrapper) - 1] if len(wrapper) else None
    if tail:
        if last is not None:
            last.tail = (last.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def replace_element(ed: EncryptedData, plain: bytes, what: str) -> etree._Element:
    """A header item (Signature, UsernameToken, a SOAP header): one element replaces `ed.element` (or its
    wsse11:EncryptedHeader); comments/PIs before it skipped (CreateSplicedReader's MoveToContent, DecryptedHeader)."""
    target = ed.element
    parent = target.getparent()
    if parent is not None and parent.tag == ENCRYPTED_HEADER:
        target, parent = parent, parent.getparent()
    wrapper = _fragment(plain, parent)
    lead = next((i for i, k in enumerate(wrapper) if isinstance(k.tag, str)), len(wrapper))
    text = (wrapper.text or "") + "".join(k.tail or "" for k in wrapper[:lead])
    new = wrapper[lead] if len(wrapper) == lead + 1 else None
    if new is None or text.strip() or (new.tail or "").strip():
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"The decrypted {what} is not a single element.",
            step=STEP,
        )
    new.tail = target.tail
    parent.replace(target, new)
    return new


def body_encrypted_data(body: etree._Element) -> etree._Element | None:
    """DecryptBody: the Body's content must be one EncryptedData and nothing after it (BadEncryptedBody)."""
    kids = xmlread.security_children(body, STEP)
    if not kids or kids[0].tag != ENCRYPTED_DATA:
        return None
    if len(kids) > 1:
        raise Rejection(
            codes.BadEncryptedBody,
            f"The Body holds {etree.QName(kids[1]).localname} after the xenc:EncryptedData; an encrypted body is "
            "the EncryptedData alone.",
            step=STEP,
        )
    return kids[0]


def check_encrypted_header(
    wrapper: etree._Element, env_ns: str, must_understand: bool, actor: str, relay: bool, wss11: bool
) -> None:
    """WSSecurityOneDotOneReceiveSecurityHeader.DecryptHeader: mustUnderstand, relay and actor of the
    wsse11:EncryptedHeader must equal the security header's; WSS 1.0 cannot decrypt headers at all."""
    if not wss11:
        raise Rejection(
            codes.HeaderDecryptionNotSupportedInWsSecurityJan2004,
            "An encrypted SOAP header (wsse11:EncryptedHeader) needs WS-Security 1.1; this binding is WSS 1.0.",
            step=STEP,
        )
    mu = wrapper.get(ns.q(env_ns, "mustUnderstand"), "0") in ("1", "true")
    rel = wrapper.get(ns.q(env_ns, "relay"), "0") in ("1", "true")
    act = wrapper.get(ns.q(env_ns, "role" if env_ns == ns.SOAP12 else "actor"), "")
    for name, got, want in (
        ("mustUnderstand", mu, must_understand),
        ("relay", rel, relay),
        ("actor", act, actor),
    ):
        if got != want:
            raise Rejection(
                codes.EncryptedHeaderAttributeMismatch,
                f"The wsse11:EncryptedHeader has {name}={got!r} but the security header has {want!r}; WCF "
                "requires them equal.",
                step=STEP,
            )


# --- reply side -----------------------------------------------------------------------------------------


def encrypt(plain: bytes, key: bytes, method: str) -> bytes:
    """CryptoHelper.GenerateIVAndEncrypt: a random IV, CBC, PKCS#7 padding (a valid XML Encryption padding),
    IV || ciphertext."""
    block = _BLOCK[method]
    iv = os.urandom(block)
    pad = block - len(plain) % block
    encryptor = _cipher(method, key, iv, "reply key").encryptor()
    return iv + encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()


def encrypted_data_xml(id: str, method: str, cipher: bytes, key_info: str = "", content: bool = True) -> str:
    """An xenc:EncryptedData as EncryptedType.WriteTo writes it: Id, Type, EncryptionMethod, KeyInfo,
    CipherData. `key_info` is the inner XML of ds:KeyInfo (an STR), empty for none."""
    kind = ns.XENC_CONTENT if content else ns.XENC_ELEMENT
    ki = f'<KeyInfo xmlns="{ns.DS}">{key_info}</KeyInfo>' if key_info else ""
    return (
        f'<e:EncryptedData Id="{id}" Type="{kind}" xmlns:e="{ns.XENC}"><e:EncryptionMethod Algorithm="{method}"/>'
        f"{ki}<e:CipherData><e:CipherValue>{base64.b64encode(cipher).decode()}</e:CipherValue></e:CipherData>"
        "</e:EncryptedData>"
    )


def open_item(
    element: etree._Element, tokens: Sequence[KeyToken], wrapped: KeyToken | None, suite: Suite, wss11: bool
) -> tuple[EncryptedData, bytes, KeyToken]:
    """Read, find the key and decrypt one xenc:EncryptedData; the caller puts the plaintext in place
    (replace_content for the Body, replace_element for header items) and records the token used."""
    ed = read(element, wss11)
    token = resolve_key(ed, tokens, wrapped)
    return ed, decrypt(ed, token, suite), token
