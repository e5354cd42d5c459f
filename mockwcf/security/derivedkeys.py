"""wsc:DerivedKeyToken: reading it with WCF's rules and limits, P_SHA1, and HMAC signatures by derived keys.

The element, in WS-SecureConversation February 2005 (`http://schemas.xmlsoap.org/ws/2005/02/sc`) or WS-SX
1.3 (`http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512`)::

    <wsc:DerivedKeyToken wsu:Id="dk-1" Algorithm="http://schemas.xmlsoap.org/ws/2005/02/sc/dk/p_sha1">
      <wsse:SecurityTokenReference>                 required (DerivedKeyTokenRequiresTokenReference)
        <wsse:Reference URI="#ek-1" ValueType="...#EncryptedKey"/>   (or KeyIdentifier ...#EncryptedKeySHA1)
      </wsse:SecurityTokenReference>
      <wsc:Generation>0</wsc:Generation>           optional, >= 0
      <wsc:Offset>0</wsc:Offset>                   optional, >= 0, <= 64 bytes; neither given: offset 0
      <wsc:Length>24</wsc:Length>                  optional, default 32 bytes
      <wsc:Label>...</wsc:Label>                   optional, <= 128 characters
      <wsc:Nonce>base64</wsc:Nonce>                required by WCF (optional in the spec), <= 128 bytes
    </wsc:DerivedKeyToken>

Source: RS SM/Security/WSSecureConversation.cs (DerivedKeyTokenEntry.ReadDerivedKeyTokenParameters: the
order of the children is fixed, Properties is not accepted, the limits come from WSSecurityTokenSerializer's
DefaultMaximumKeyDerivationOffset/LabelLength/NonceLength = 64/128/128), SM/Security/Tokens/
DerivedKeySecurityToken.cs (EnsureAcceptableOffset, Initialize, InitializeDerivedKey) and
IM/Psha1DerivedKeyGenerator.cs. The absent-label default is the bytes of
"WS-SecureConversationWS-SecureConversation" (DerivedKeySecurityToken.DefaultLabel; the entry's own
DefaultLabel constant "WS-SecureConversation" is not what derivation uses); a Label that is present is
used as its UTF-8 bytes. The seed is label || nonce; the key starts at byte `Offset`, or at
`Generation * Length` when Generation is given. Resolving the STR to the base token is the caller's (the
universal resolver's) job; `derive` takes the base key.
"""

from __future__ import annotations

import hashlib
import hmac as std_hmac
import re
from dataclasses import dataclass

from lxml import etree

from mockwcf import codes, ns, xmlread
from mockwcf.envelope import WSU_ID
from mockwcf.faults import Rejection, b64_or_reject
from mockwcf.security import keyinfo, keyinfo_read
from mockwcf.security.suites import Suite

STEP = "derivedkey"
DEFAULT_LABEL = b"WS-SecureConversationWS-SecureConversation"
DEFAULT_LENGTH = 32  # DerivedKeySecurityToken.DefaultDerivedKeyLength
NONCE_LENGTH = 16  # DerivedKeySecurityToken.DefaultNonceLength (what WCF sends)
MAX_OFFSET = 64  # WSSecurityTokenSerializer.DefaultMaximumKeyDerivationOffset (bytes)
MAX_LABEL = 128  # ... DefaultMaximumKeyDerivationLabelLength
MAX_NONCE = 128  # ... DefaultMaximumKeyDerivationNonceLength
_ALGORITHMS = {ns.WSC: ns.PSHA1_2005, ns.WSC13: ns.PSHA1_13}
_STR = ns.q(ns.WSSE, "SecurityTokenReference")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_HMACS = {ns.HMAC_SHA1: "sha1", ns.HMAC_SHA256: "sha256"}  # hashlib names, for hmac.digest
_DK_VALUE_TYPES = (None, *(f"{sc}/dk" for sc in _ALGORITHMS))  # a DerivedKey's accepted ValueTypes
_CHILD_NAMES = ("Generation", "Offset", "Length", "Label", "Nonce")  # the optional children, in reading order
_CHILD_TAGS = {sc: tuple(ns.q(sc, n) for n in _CHILD_NAMES) for sc in _ALGORITHMS}  # per namespace


@dataclass(frozen=True)
class DerivedKeyToken:
    """The parameters read from the element, -1 meaning 'not given' as in WCF."""

    element: etree._Element
    id: str | None
    algorithm: str
    clause: keyinfo.Clause
    generation: int
    offset: int
    length: int
    label: str | None
    nonce: bytes

    @property
    def position(self) -> int:
        return self.offset if self.offset >= 0 else self.generation * self.length


def p_sha1(secret: bytes, label: bytes, nonce: bytes, length: int, offset: int = 0) -> bytes:
    """P_SHA1(secret, label || nonce) as WS-SecureConversation defines it (the TLS 1.0 P_hash with
    HMAC-SHA1): A(0) = seed, A(i) = HMAC(secret, A(i-1)), output = HMAC(secret, A(1) || seed) ||
    HMAC(secret, A(2) || seed) || ...; bytes [offset, offset + length) of that stream are the key. The stdlib
    HMAC is keyed once and copied per step: the same values at a third of the cost of keying each afresh."""
    seed = label + nonce
    keyed = std_hmac.new(secret, digestmod=hashlib.sha1)
    out, a = b"", seed
    while len(out) < offset + length:
        h = keyed.copy()
        h.update(a)
        a = h.digest()
        h = keyed.copy()
        h.update(a + seed)
        out += h.digest()
    return out[offset : offset + length]


def read(element: etree._Element, secure_conversation: str, wss11: bool = True) -> DerivedKeyToken:
    """ReadDerivedKeyTokenParameters for the binding's WS-SecureConversation namespace: each failure is
    raised where WCF raises it, in WCF's order (offset checks before the label, the label before the nonce)."""
    if not element.tag.startswith(f"{{{secure_conversation}}}"):  # its namespace is another (Clark notation)
        raise Rejection(
            codes.CannotReadToken,
            f"A DerivedKeyToken in namespace '{etree.QName(element).namespace}' is not read by this binding, "
            f"whose WS-SecureConversation namespace is '{secure_conversation}'.",
            step=STEP,
        )
    sc = secure_conversation
    algorithm = element.get("Algorithm") or _ALGORITHMS[sc]
    kids = xmlread.security_children(element, STEP)
    if not kids or kids[0].tag != _STR:
        raise Rejection(
            codes.DerivedKeyTokenRequiresTokenReference,
            "The DerivedKeyToken does not start with a wsse:SecurityTokenReference to the key it derives from.",
            step=STEP,
        )
    clause = keyinfo_read.read_str(kids[0], wss11)
    rest = kids[1:]
    t_generation, t_offset, t_length, t_label, t_nonce = _CHILD_TAGS[sc]
    generation = offset = -1
    if rest and rest[0].tag == t_generation:
        generation = _int(rest.pop(0), "Generation")
        if generation < 0:
            raise _invalid(codes.DerivedKeyInvalidGenerationSpecified, "Generation", generation)
    if rest and rest[0].tag == t_offset:
        offset = _int(rest.pop(0), "Offset")
        if offset < 0:
            raise _invalid(codes.DerivedKeyInvalidOffsetSpecified, "Offset", offset)
    length = DEFAULT_LENGTH
    if rest and rest[0].tag == t_length:
        length = _int(rest.pop(0), "Length")
    if offset == -1 and generation == -1:
        offset = 0
    _ensure_acceptable_offset(offset, generation, length)
    label = None
    if rest and rest[0].tag == t_label:
        label = rest.pop(0).text or ""
        units = len(label.encode("utf-16-le")) // 2  # .NET string length
        if units > MAX_LABEL:
            raise Rejection(
                codes.DerivedKeyTokenLabelTooLong,
                f"The DerivedKeyToken Label is {units} characters long; WCF allows at most {MAX_LABEL}.",
                step=STEP,
            )
    if not rest or rest[0].tag != t_nonce:
        found = etree.QName(rest[0]).localname if rest else "the end of the element"
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"The DerivedKeyToken has {found} where WCF's reader expects wsc:Nonce (children must come in the "
            "order SecurityTokenReference, Generation|Offset, Length, Label, Nonce; Properties is not accepted, "
            "and WCF requires the Nonce although the specification makes it optional).",
            step=STEP,
        )
    bad = "The DerivedKeyToken Nonce is not base64."
    nonce = b64_or_reject(rest.pop(0).text, codes.MessageSecurityVerificationFailed, bad, step=STEP)
    if len(nonce) > MAX_NONCE:
        raise Rejection(
            codes.DerivedKeyTokenNonceTooLong,
            f"The DerivedKeyToken Nonce is {len(nonce)} bytes long; WCF allows at most {MAX_NONCE}.",
            step=STEP,
        )
    if rest:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"The DerivedKeyToken has {etree.QName(rest[0]).localname} after wsc:Nonce; WCF's reader expects the "
            "end of the element.",
            step=STEP,
        )
    return DerivedKeyToken(
        element, element.get(WSU_ID), algorithm, clause, generation, offset, length, label, nonce
    )


def _int(el: etree._Element, name: str) -> int:
    """XmlConvert.ToInt32: surrounding white space and a sign are allowed; anything else is a FormatException,
    out-of-range an OverflowException, both wrapped by WCF as a verification failure."""
    text = (el.text or "").strip(" \t\r\n")
    value = int(text) if _INTEGER.fullmatch(text) else None
    if value is None or not -(2**31) <= value < 2**31:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"The DerivedKeyToken {name} {text!r} is not a 32-bit integer.",
            step=STEP,
        )
    return value


def _invalid(code: str, name: str, value: int) -> Rejection:
    return Rejection(code, f"The DerivedKeyToken {name} is {value}; it must be zero or more.", step=STEP)


def _ensure_acceptable_offset(offset: int, generation: int, length: int) -> None:
    """DerivedKeySecurityToken.EnsureAcceptableOffset, including C#'s unchecked 32-bit multiplication."""
    if offset != -1:
        if offset > MAX_OFFSET:
            raise Rejection(
                codes.DerivedKeyTokenOffsetTooHigh,
                f"The DerivedKeyToken Offset is {offset} bytes; WCF allows at most {MAX_OFFSET}.",
                step=STEP,
            )
        return
    effective = ((generation * length + 2**31) % 2**32) - 2**31
    if (effective < generation and effective < length) or effective > MAX_OFFSET:
        raise Rejection(
            codes.DerivedKeyTokenGenerationAndLengthTooHigh,
            f"The DerivedKeyToken Generation {generation} and Length {length} bytes put the key at offset "
            f"{generation * length}; WCF allows at most {MAX_OFFSET} bytes.",
            step=STEP,
            hint="WCF derives keys at Offset 0 (or Generation 0); keep Generation x Length within 64 bytes.",
        )


@dataclass(eq=False)
class DerivedKey:
    """A DerivedKeySecurityToken with its key: what signatures and EncryptedData resolve to (encrypteddata.KeyToken)."""

    token: DerivedKeyToken
    key: bytes
    source_key_bits: int
    base: str

    def __post_init__(self) -> None:
        # written once: key-size checks, the cipher and the journal steps ask ~9 times a message
        self._label = f"DerivedKeyToken (id {self.token.id or '-'}) from {self.base}"

    def label(self) -> str:
        return self._label

    def matches(self, clause: keyinfo.Clause) -> bool:
        """A local reference to the token's wsu:Id (ValueType absent or the DerivedKeyToken token type)."""
        if clause.kind != "local" or clause.value != self.token.id:
            return False
        return clause.value_type in _DK_VALUE_TYPES


class DerivationBudget:
    """The per-message quota ReceiveSecurityHeader.Process sets when derived keys are expected: at most
    (1 + 1 + endorsing tokens requiring derivation) x 2 keys, each at most the suite's largest derivation
    length (32 bytes for Basic256)."""

    def __init__(self, suite: Suite, endorsing_requiring_derivation: int = 0) -> None:
        self.max_keys = (1 + 1 + endorsing_requiring_derivation) * 2
        self.max_length = suite.max_derived_key_bytes
        self.count = 0

    def derive(self, token: DerivedKeyToken, secret: bytes | None, base: str) -> bytes:
        """DerivedKeySecurityToken.Initialize (algorithm against the base token, Length, Offset xor Generation),
        then ReadToken's EnsureDerivedKeyLimitNotReached and InitializeDerivedKey (Length within the suite's
        maximum, then P_SHA1). `secret` is the base token's symmetric key, None when the STR resolved to a
        token without one (an X.509 certificate)."""
        if secret is None or token.algorithm not in (ns.PSHA1_2005, ns.PSHA1_13):
            # DerivedKeySecurityToken.Initialize: SecurityUtils.IsSupportedAlgorithm(algorithm, tokenToDerive)
            raise Rejection(
                codes.DerivedKeyCannotDeriveFromSecret,
                f"The DerivedKeyToken cannot derive a key with algorithm '{token.algorithm}' from {base}"
                + ("" if secret is not None else ", which has no symmetric key")
                + ".",
                step=STEP,
                hint="Derive from the xenc:EncryptedKey (or a security context token) with P_SHA1.",
            )
        if token.length == -1:
            raise Rejection(
                codes.MessageSecurityVerificationFailed, "The DerivedKeyToken Length is -1.", step=STEP
            )
        if token.offset >= 0 and token.generation >= 0:
            raise Rejection(
                codes.DerivedKeyPosAndGenBothSpecified,
                "The DerivedKeyToken gives both Offset and Generation; WCF accepts one of them.",
                step=STEP,
            )
        self.count += 1
        if self.count > self.max_keys:
            raise Rejection(
                codes.DerivedKeyLimitExceeded,
                f"The message carries more than {self.max_keys} derived keys, the most this binding allows.",
                step=STEP,
            )
        if token.length > self.max_length:
            raise Rejection(
                codes.DerivedKeyLengthTooLong,
                f"The DerivedKeyToken Length is {token.length} bytes; this suite allows at most {self.max_length}.",
                step=STEP,
            )
        if token.length < 0 or token.position < 0:
            # Psha1DerivedKeyGenerator.GetDerivedKey: ArgumentOutOfRangeException, wrapped by WCF
            raise Rejection(
                codes.MessageSecurityVerificationFailed,
                f"The DerivedKeyToken Length {token.length} / position {token.position} is negative.",
                step=STEP,
            )
        if token.length == 0:
            raise Rejection(
                codes.DerivedKeyCannotDeriveFromSecret,
                "The DerivedKeyToken Length 0 yields no key.",
                step=STEP,
            )
        label = token.label.encode("utf-8") if token.label is not None else DEFAULT_LABEL
        return p_sha1(secret, label, token.nonce, token.length, token.position)

    def derived_key(self, token: DerivedKeyToken, secret: bytes | None, base: str) -> DerivedKey:
        """`derive`, kept with what the key came from (for the suite's key size checks and the journal)."""
        key = self.derive(token, secret, base)
        return DerivedKey(token, key, len(secret or b"") * 8, base)


def hmac_signature(key: bytes, signed_info_c14n: bytes, method: str) -> bytes:
    """The SignatureValue of an HMAC ds:Signature (both sides): hmac.digest, OpenSSL's one-shot HMAC."""
    return std_hmac.digest(key, signed_info_c14n, _HMACS[method])


def verify_hmac(
    suite: Suite,
    method: str,
    key: bytes,
    signed_info_c14n: bytes,
    value: bytes,
    token: str,
    source_key_bits: int | None = None,
) -> None:
    """WSSecurityOneDotZeroReceiveSecurityHeader.VerifySignature for a symmetric key, in its order: the key
    size (EnsureAcceptableSignatureKeySize: a derived key must reach the suite's signature derivation length
    and its source key a supported length), then the SignatureMethod (SymmetricSignature), then the value,
    compared in full and in fixed time (IM SignedXml.VerifySignature(KeyedHashAlgorithm)).

    `source_key_bits` is the base key's size when `key` was derived, None when `key` is the base key."""
    bits = len(key) * 8
    if source_key_bits is None:
        suite.ensure_symmetric_key_size(token, bits, for_signature=True)
    else:
        suite.ensure_symmetric_key_size(token, source_key_bits, bits, for_signature=True)
    suite.ensure_symmetric_signature(method)
    if not std_hmac.compare_digest(hmac_signature(key, signed_info_c14n, method), value):
        raise Rejection(
            codes.SignatureVerificationFailed,
            f"The HMAC SignatureValue does not verify with the key of {token} over the exclusive-c14n SignedInfo.",
            step=STEP,
            hint="Sign with the derived signature key (or the EncryptedKey's key when derivation is off) and "
            "canonicalize SignedInfo with exclusive c14n.",
        )


def unresolved(token: DerivedKeyToken) -> Rejection:
    """Strict layout: the DKT's reference names no token read before it (ReceiveSecurityHeader.ReadToken with
    a DerivedKeySecurityTokenStub)."""
    return Rejection(
        codes.UnableToResolveKeyInfoClauseInDerivedKeyToken,
        f"The DerivedKeyToken's reference '{token.clause}' resolves to no token read before it.",
        step=STEP,
        hint="Put the xenc:EncryptedKey (or the token derived from) before the DerivedKeyToken that uses it.",
    )


def ensure_derived(
    signed_by_derived: bool | None, encrypted_by_derived: bool | None, parameters: str, wrapped: bool = True
) -> None:
    """ReceiveSecurityHeader.Process, after the protection pass, when the wrapping (EncryptedKey) token's
    parameters require derived keys: the primary signature and the encryption must use keys derived from the
    EncryptedKey, not the EncryptedKey's key itself. None means 'no signature' / 'nothing encrypted'.
    `wrapped` False: the primary token is itself symmetric (an SCT), and Process raises
    PrimarySignatureWasNotSignedByDerivedKey / MessageWasNotEncryptedByDerivedEncryptionToken with the primary
    token parameters instead."""
    if not wrapped:
        _ensure_derived_primary(signed_by_derived, encrypted_by_derived, parameters)
        return
    if signed_by_derived is False:
        raise Rejection(
            codes.PrimarySignatureWasNotSignedByDerivedWrappedKey,
            f"The primary signature is made with the EncryptedKey's key itself; the binding's token parameters "
            f"({parameters}) require a key derived from it.",
            step=STEP,
            hint="Sign with a wsc:DerivedKeyToken derived from the EncryptedKey (WCF's requireDerivedKeys is on).",
        )
    if encrypted_by_derived is False:
        raise Rejection(
            codes.MessageWasNotEncryptedByDerivedWrappedKey,
            f"The message is encrypted with the EncryptedKey's key itself; the binding's token parameters "
            f"({parameters}) require a key derived from it.",
            step=STEP,
            hint="Encrypt with a second wsc:DerivedKeyToken derived from the EncryptedKey.",
        )


def _ensure_derived_primary(
    signed_by_derived: bool | None, encrypted_by_derived: bool | None, parameters: str
) -> None:
    if signed_by_derived is False:
        raise Rejection(
            codes.PrimarySignatureWasNotSignedByDerivedKey,
            "The primary signature is not signed with a derived key. The binding's primary token parameter "
            f"'{parameters}' requires key derivation.",
            step=STEP,
            hint="Sign with a wsc:DerivedKeyToken derived from the SecurityContextToken's key.",
        )
    if encrypted_by_derived is False:
        raise Rejection(
            codes.MessageWasNotEncryptedByDerivedEncryptionToken,
            "The message is not encrypted with a key derived from the encryption token. The binding's token "
            f"parameter '{parameters}' requires key derivation.",
            step=STEP,
            hint="Encrypt with a second wsc:DerivedKeyToken derived from the SecurityContextToken's key.",
        )
