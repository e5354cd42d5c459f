"""Message protection order on receive: which order the header's parts must come in, and EncryptBeforeSign.

WCF's ReceiveSecurityHeader keeps an OrderTracker (reference source, System.ServiceModel/System/ServiceModel/
Security/ReceiveSecurityHeader.cs, struct OrderTracker). Each ReferenceList processed (one in the header, or the
one inside an xenc:EncryptedKey: ProcessReferenceList -> OnProcessReferenceList) is a *decrypt* event, the primary
signature (ProcessPrimarySignature -> OnProcessSignature) a *verify* event, in document order (Strict: as read;
Lax: ExecuteSignatureEncryptionProcessingPass walks the header by position). The events move a state machine
(None, Verify, Decrypt, DecryptVerify, VerifyDecrypt, Mixed) and after each one EnforceProtectionOrder checks the
required order (MessageProtectionOrderMismatch otherwise):

- SignBeforeEncrypt / SignBeforeEncryptAndEncryptSignature: the sender signed, then encrypted, so the receiver
  decrypts first: the ReferenceList must not come after the signature (VerifyDecrypt, Mixed are refused).
  SignBeforeEncryptAndEncryptSignature also requires the signature itself to have arrived encrypted
  (PrimarySignatureIsRequiredToBeEncrypted), unless Process downgraded it to SignBeforeEncrypt because the
  action's RequiredEncryptionParts do not include the Body.
- EncryptBeforeSign: the sender encrypted, then signed over the encrypted forms, so the receiver verifies
  first: the signature must come before the ReferenceList (DecryptVerify, Mixed are refused). An encrypted
  signature can only be decrypted through a ReferenceList read before it, so it is refused the same way.

Under EncryptBeforeSign (OrderTracker.EncryptBeforeSignMode) the signature's digests are checked over what was
received, before decryption:
- a security-header item that arrived encrypted (the UsernameToken) is digested in its encrypted form when the
  Reference names the EncryptedData's Id (ReceiveSecurityHeaderElementManager.GetSignatureVerificationReader
  with requiresEncryptedFormReaderIfDecrypted; ReceiveSecurityHeaderEntry.MatchesId), in its decrypted form when
  it names the token's own wsu:Id;
- an encrypted SOAP header is digested as the wsse11:EncryptedHeader by that element's wsu:Id, and the Body as
  received, its content still the xenc:EncryptedData; both are decrypted afterwards
  (WSSecurityOneDotZeroReceiveSecurityHeader.ExecuteMessageProtectionPass: `(!isHeaderEncrypted ||
  encryptBeforeSign)` and `(!expectBodyEncryption || encryptBeforeSign)`).
An encrypted header that no signature covers is refused in every order (EncryptedHeaderNotSigned).

An EncryptedData met in the security header before any ReferenceList names it (EncryptBeforeSign writes the
ReferenceList last: SendSecurityHeader.OnWriteHeaderContents, `!SignThenEncrypt`) is decrypted at once and its
id remembered (OnDecryptionOfSecurityHeaderItemRequiringReferenceListEntry); EnsureDecryptionComplete then
requires a ReferenceList to have named it (UnexpectedEncryptedElementInSecurityHeader).
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass, field

from lxml import etree

from mockwcf import codes, ns
from mockwcf.binding.model import MessageProtectionOrder, ProtectionLevel
from mockwcf.envelope import WSU_ID
from mockwcf.faults import Rejection
from mockwcf.security.context import ReceiveContext

STEP = "encryption"


class _State(enum.IntEnum):
    """OrderTracker.ReceiverProcessingOrder."""

    None_ = 0
    Verify = 1
    Decrypt = 2
    DecryptVerify = 3
    VerifyDecrypt = 4
    Mixed = 5


# stateTransitionTableOnDecrypt / stateTransitionTableOnVerify, indexed by the current state
_ON_DECRYPT = (
    _State.Decrypt,
    _State.VerifyDecrypt,
    _State.Decrypt,
    _State.Mixed,
    _State.VerifyDecrypt,
    _State.Mixed,
)
_ON_VERIFY = (
    _State.Verify,
    _State.Verify,
    _State.DecryptVerify,
    _State.DecryptVerify,
    _State.Mixed,
    _State.Mixed,
)


@dataclass
class OrderState:
    """The tracker and what EncryptBeforeSign needs kept while the header is read."""

    order: MessageProtectionOrder
    state: _State = _State.None_
    unencrypted_signatures: int = 0
    # EncryptedData Id -> (the EncryptedData as received, the element its decryption restored)
    encrypted_forms: dict[str, tuple[etree._Element, etree._Element]] = field(default_factory=dict)
    early_ids: list[str] = field(default_factory=list)  # decrypted before a ReferenceList named them
    # (the wsse11:EncryptedHeader as received, the SOAP header its decryption restored)
    headers: list[tuple[etree._Element, etree._Element]] = field(default_factory=list)

    @property
    def encrypt_before_sign(self) -> bool:
        return self.order is MessageProtectionOrder.EncryptBeforeSign

    def _enforce(self) -> None:
        """OrderTracker.EnforceProtectionOrder."""
        order = self.order
        if (
            order is MessageProtectionOrder.SignBeforeEncryptAndEncryptSignature
            and self.unencrypted_signatures
        ):
            raise Rejection(
                codes.PrimarySignatureIsRequiredToBeEncrypted,
                "The primary signature must be encrypted: under SignBeforeEncryptAndEncryptSignature it travels "
                "as an xenc:EncryptedData in the security header.",
                step=STEP,
            )
        if order is MessageProtectionOrder.EncryptBeforeSign:
            bad = self.state in (_State.DecryptVerify, _State.Mixed)
            why = (
                "the signature must cover the encrypted parts and come before the ReferenceList (the receiver "
                "verifies, then decrypts); here a ReferenceList was processed before the primary signature"
            )
        else:
            bad = self.state in (_State.VerifyDecrypt, _State.Mixed)
            why = (
                "the signature covers the clear parts, so the ReferenceList must come before it (the receiver "
                "decrypts, then verifies); here it follows the primary signature"
            )
        if bad:
            raise Rejection(
                codes.MessageProtectionOrderMismatch,
                f"The received message does not meet the required message protection order '{order.value}': "
                f"{why}.",
                step=STEP,
                hint="Send the security header in the binding's order (SendSecurityHeader.OnWriteHeaderContents), "
                "or set the service's messageProtectionOrder to the one the client uses.",
            )

    def reference_list(self) -> None:
        """OnProcessReferenceList."""
        self.state = _ON_DECRYPT[self.state]
        self._enforce()

    def signature(self, encrypted: bool) -> None:
        """OnProcessSignature, for the primary signature."""
        if not encrypted:
            self.unencrypted_signatures += 1
        self.state = _ON_VERIFY[self.state]
        self._enforce()


REFERENCE_LIST_EVENT = object()  # a decrypt event's marker in the Lax pass's position table
_REFERENCE_LIST = ns.q(ns.XENC, "ReferenceList")
_ENCRYPTED_KEY = ns.q(ns.XENC, "EncryptedKey")


def is_reference_list(ctx: ReceiveContext, element: etree._Element) -> bool:
    """Is this header child a decrypt event: a ReferenceList, or an EncryptedKey carrying one (ReadEncryptedKey
    -> ProcessReferenceList)? Only message-protecting bindings track the order."""
    if not ctx.binding.protects_message:
        return False
    if element.tag == _REFERENCE_LIST:
        return True
    return element.tag == _ENCRYPTED_KEY and element.find(_REFERENCE_LIST) is not None  # a child, found in C


def effective_order(ctx: ReceiveContext) -> MessageProtectionOrder:
    """ReceiveSecurityHeader.Process: SignBeforeEncryptAndEncryptSignature is downgraded to SignBeforeEncrypt when
    the action's RequiredEncryptionParts do not include the Body (the operation is at Sign or None)."""
    order = getattr(
        ctx.binding.security, "message_protection_order", MessageProtectionOrder.SignBeforeEncrypt
    )
    if (
        order is MessageProtectionOrder.SignBeforeEncryptAndEncryptSignature
        and ctx.binding.request_protection(ctx.action) is not ProtectionLevel.EncryptAndSign
    ):
        return MessageProtectionOrder.SignBeforeEncrypt
    return order


def state(ctx: ReceiveContext) -> OrderState:
    if ctx.order is None:
        ctx.order = OrderState(effective_order(ctx))
    return ctx.order


def encrypt_before_sign(ctx: ReceiveContext) -> bool:
    """OrderTracker.EncryptBeforeSignMode."""
    return ctx.binding.protects_message and state(ctx).encrypt_before_sign


def keep_encrypted_form(ctx: ReceiveContext, element: etree._Element) -> etree._Element | None:
    """Before a security-header EncryptedData is decrypted in place: under EncryptBeforeSign a copy of it as
    received, for a Reference to its Id (None in the other orders, which never digest the encrypted form)."""
    return copy.deepcopy(element) if encrypt_before_sign(ctx) else None


def remember(ctx: ReceiveContext, received: etree._Element | None, restored: etree._Element) -> None:
    """After the decryption: file the encrypted form under the EncryptedData's Id."""
    ed_id = received.get("Id") or received.get(WSU_ID) if received is not None else None
    if ed_id:
        state(ctx).encrypted_forms[ed_id] = (received, restored)


def encrypted_form(ctx: ReceiveContext, ref_id: str) -> tuple[etree._Element, etree._Element] | None:
    """GetSignatureVerificationReader(id, EncryptBeforeSignMode): the encrypted form a Reference names."""
    if ctx.order is None:
        return None
    return ctx.order.encrypted_forms.get(ref_id)


def early(ctx: ReceiveContext, ed_id: str | None) -> None:
    """OnDecryptionOfSecurityHeaderItemRequiringReferenceListEntry: no ReferenceList has named it yet."""
    if ed_id is None:
        raise Rejection(
            codes.MissingIdInEncryptedElement,
            "An xenc:EncryptedData in the security header has no Id, so no ReferenceList can name it.",
            step=STEP,
        )
    state(ctx).early_ids.append(ed_id)


def ensure_early_listed(ctx: ReceiveContext, take: object) -> None:
    """EnsureDecryptionComplete, first half: every early-decrypted id must be in the ReferenceList read later.
    `take` is ReferenceList.take, or None when the header had no ReferenceList."""
    if ctx.order is None:
        return
    for ed_id in ctx.order.early_ids:
        if take is None or not take(ed_id):  # type: ignore[operator]
            raise Rejection(
                codes.UnexpectedEncryptedElementInSecurityHeader,
                f"xenc:EncryptedData '{ed_id}' in the security header is not named by any ReferenceList.",
                step=STEP,
            )


def header_decrypted(ctx: ReceiveContext, received: etree._Element, restored: etree._Element) -> None:
    state(ctx).headers.append((received, restored))


def check_encrypted_headers_signed(ctx: ReceiveContext) -> None:
    """ExecuteMessageProtectionPass: `isHeaderEncrypted && !headerSigned` -> EncryptedHeaderNotSigned. The id that
    counts is the EncryptedHeader's under EncryptBeforeSign, the decrypted header's otherwise."""
    if ctx.order is None or not ctx.order.headers:
        return
    verified = {ref.target_id for _sig, ref in ctx.pending_references if ref.verified}
    ebs = ctx.order.encrypt_before_sign
    for received, restored in ctx.order.headers:
        hid = (received if ebs else restored).get(WSU_ID)
        if hid is None or hid not in verified:
            qn = etree.QName(restored)
            raise Rejection(
                codes.EncryptedHeaderNotSigned,
                f"The Header ('{qn.localname}', '{qn.namespace}') was encrypted but not signed. All encrypted "
                "headers outside the security header should be signed"
                + (" (under EncryptBeforeSign, by the wsse11:EncryptedHeader's wsu:Id)." if ebs else "."),
                step=STEP,
            )
