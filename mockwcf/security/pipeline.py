"""The receive pipeline's order, written in one place (RS ReceiveSecurityHeader.Process and
ExecuteFullPass, MessageSecurityProtocol.ProcessSecurityHeader; reference 1.2-1.3).

Strict: one pass in document order; each element is read and checked when reached, the first
Signature is primary and is verified when reached. Lax: tokens and timestamps first, then the
signatures (primary = the first one that does not merely sign another signature).
After the header (Message security only): Timestamp must be signed, then the protection pass
(ids, header and Body digests, required parts), a signature must exist, then supporting tokens,
then replay detection (a second freshness check), then the required Timestamp.
"""

from __future__ import annotations

from lxml import etree

from mockwcf import codes, ns
from mockwcf.binding.model import SecurityHeaderLayout
from mockwcf.faults import Rejection
from mockwcf.security import (
    encryption,
    header,
    parts,
    protectionorder,
    sctmessage,
    sctrenew,
    signature,
    signature_read,
    timestamp,
    tokens,
)
from mockwcf.security.context import ReceiveContext

_SIGNATURE = ns.q(ns.DS, "Signature")
_TIMESTAMP = ns.q(ns.WSU, "Timestamp")
_STR = ns.q(ns.WSSE, "SecurityTokenReference")
_SIGCONF = ns.q(ns.WSSE11, "SignatureConfirmation")
_ENCRYPTED_DATA = ns.q(ns.XENC, "EncryptedData")
_ENCRYPTED_KEY = encryption.ENCRYPTED_KEY


def receive(ctx: ReceiveContext) -> None:
    """Raise a Rejection exactly where WCF would; return normally when the request is accepted."""
    binding = ctx.binding
    if binding.security is None:
        ctx.record("header", "skipped", f"security mode {binding.mode.value}: no message security")
        return
    children = header.locate(ctx)
    header.check_layout(ctx, children)
    if binding.receive_layout is SecurityHeaderLayout.Strict:
        _strict_pass(ctx, children)
    else:
        _lax_pass(ctx, children)
    sym = encryption.has_work(ctx)
    if binding.protects_message:
        parts.check_header_targets(ctx)
        # EncryptBeforeSign digests what was received, then decrypts; the other orders decrypt first
        ebs = protectionorder.encrypt_before_sign(ctx)
        if sym and not ebs:
            encryption.decrypt_message(ctx)
        parts.protection_pass(ctx)
        if sym and ebs:
            encryption.decrypt_message(ctx)
        protectionorder.check_encrypted_headers_signed(ctx)
        if ctx.primary_signature is None:
            raise Rejection(
                codes.RequiredSignatureMissing,
                "The signature must be in the security header.",
                step="signature",
            )
        if sym:
            encryption.after_protection_pass(ctx)
    else:
        encryption.transport_decryption_complete(ctx)
    tokens.verify_supporting(ctx)
    sctrenew.verify_supporting(ctx)  # a renew message's endorsing SCT (nothing elsewhere)
    # a SignedEncrypted token must have come encrypted even when nothing else was (has_work false)
    if sym or (binding.protects_message and binding.security.endpoint_supporting.signed_encrypted):
        encryption.check_supporting_encrypted(ctx)
    if binding.settings.detect_replays:
        _replay(ctx)
    if binding.protects_message and binding.security.include_timestamp and ctx.timestamp is None:
        raise Rejection(
            codes.RequiredTimestampMissingInSecurityHeader,
            "Required timestamp missing in security header.",
            step="timestamp",
        )


def _read_element(ctx: ReceiveContext, el: etree._Element, tag: str) -> None:
    """One non-signature child (`tag` is its tag), as ExecuteFullPass dispatches it; a rejection blames it."""
    try:
        _dispatch(ctx, el, tag)
    except Rejection as rej:
        raise rej.at(el) from None


def _dispatch(ctx: ReceiveContext, el: etree._Element, tag: str) -> None:
    if tag == _TIMESTAMP:
        timestamp.read(ctx, el)
    # the tag before the binding: `applies` is pure, and a token (the usual item) then never asks it
    elif tag == _ENCRYPTED_KEY and encryption.applies(ctx):
        if sctmessage.sct_protected(ctx):  # the SCT's steady state has no key-wrapping token
            sctmessage.refuse_encrypted_key(ctx, el)
        encryption.read_encrypted_key(ctx, el)
    elif tag in encryption.DERIVED_KEY_TOKENS and encryption.applies(ctx):
        encryption.read_derived_key(ctx, el)
    # the SCT as protection token, or as a renew message's endorsing token
    elif tag in sctmessage.SCT_TAGS and sctmessage.reads_sct(ctx):
        sctmessage.read(ctx, el)
    elif tag == encryption.REFERENCE_LIST:  # read on every binding: ExpectEncryption (encryption.py)
        encryption.read_reference_list(ctx, el)
    elif tag == _ENCRYPTED_KEY:  # over transport: no wrapping token (message bindings read it above)
        raise Rejection(
            codes.UnableToResolveKeyInfoForUnwrappingToken,
            "Cannot resolve KeyInfo for unwrapping key: over transport the service has no wrapping token.",
            step="encryption",
        )
    elif tag == _SIGCONF:
        raise Rejection(
            codes.SignatureConfirmationsNotExpected,
            "Signature confirmation is not expected in the security header of a request.",
            step="header",
        )
    elif tag != _STR:
        tokens.read(ctx, el)
    ctx.mark_read(el)


def _decrypted(ctx: ReceiveContext, el: etree._Element, tag: str) -> tuple[etree._Element, str, bool]:
    """ProcessEncryptedData: an encrypted header item (UsernameToken, Signature) is decrypted in place first.
    `tag` is the element's; the item's (decrypted or not) is returned with it, so each tag is built once."""
    # over transport too (ExpectEncryption): nothing there resolves a decryption key (encryption.py)
    if tag == _ENCRYPTED_DATA and (encryption.applies(ctx) or not ctx.binding.protects_message):
        received = protectionorder.keep_encrypted_form(ctx, el)
        el = encryption.decrypt_header_item(ctx, el)
        protectionorder.remember(ctx, received, el)
        tag = el.tag
        if (
            tag == _SIGNATURE
        ):  # its SignatureValue counts as from a decrypted source (context.SignatureValues)
            ctx.signature_values.encrypted = True
        return el, tag, True
    return el, tag, False


def _process_primary(ctx: ReceiveContext, sig: signature.ParsedSignature, encrypted: bool) -> None:
    protectionorder.state(ctx).signature(encrypted)  # OrderTracker.OnProcessSignature comes first
    if encryption.hmac_signed(ctx):
        encryption.process_primary(ctx, sig, encrypted)
    else:
        signature.process_primary(ctx, sig)
        if encryption.applies(ctx):
            encryption.record_primary_encryption(ctx, encrypted)


def _strict_pass(ctx: ReceiveContext, children: list[etree._Element]) -> None:
    primary_found = not ctx.binding.protects_message
    for el in children:
        el, tag, encrypted = _decrypted(ctx, el, el.tag)
        if tag == _SIGNATURE:
            sig = signature_read.read(ctx, el)
            if primary_found:
                signature.process_supporting(ctx, sig)
            else:
                primary_found = True
                _process_primary(ctx, sig, encrypted)
            ctx.mark_read(el)
        else:
            _read_element(ctx, el, tag)
            if protectionorder.is_reference_list(ctx, el):
                protectionorder.state(ctx).reference_list()


def _lax_pass(ctx: ReceiveContext, children: list[etree._Element]) -> None:
    sigs = []
    encrypted_sigs = []
    positions: dict[int, object] = {}  # the header's order, for the protection-order events (see below)
    for i, el in enumerate(children):
        el, tag, encrypted = _decrypted(ctx, el, el.tag)
        if tag == _SIGNATURE:
            sigs.append(signature_read.read(ctx, el))
            positions[i] = sigs[-1]
            if encrypted:
                encrypted_sigs.append(sigs[-1])
        else:
            _read_element(ctx, el, tag)
            if protectionorder.is_reference_list(ctx, el):
                positions[i] = protectionorder.REFERENCE_LIST_EVENT
    for sig in sigs:
        ctx.mark_read(sig.element)
    if not ctx.binding.protects_message:
        for sig in sigs:
            signature.process_supporting(ctx, sig)
        return
    sig_ids = {s.element.get("Id") for s in sigs if s.element.get("Id")}
    primaries = [s for s in sigs if not (len(s.references) == 1 and s.references[0].target_id in sig_ids)]
    if len(primaries) > 1:
        raise Rejection(
            codes.AtMostOnePrimarySignatureInReceiveSecurityHeader,
            f"Only one primary signature is allowed in a security header; found {len(primaries)}.",
            step="signature",
        )
    # ExecuteSignatureEncryptionProcessingPass: ReferenceLists and the primary signature by header position
    for _i, item in sorted(positions.items()):
        if item is protectionorder.REFERENCE_LIST_EVENT:
            protectionorder.state(ctx).reference_list()
        elif item in primaries:
            _process_primary(ctx, item, item in encrypted_sigs)  # type: ignore[arg-type]
    for sig in sigs:
        if sig not in primaries:
            signature.process_supporting(ctx, sig)


def _replay(ctx: ReceiveContext) -> None:
    if ctx.timestamp is None:
        raise Rejection(
            codes.NoTimestampAvailableInSecurityHeaderToDoReplayDetection,
            "No timestamp is available in the security header to do replay detection.",
            step="replay",
        )
    if ctx.primary_signature_value is None:
        raise Rejection(
            codes.NoSignatureAvailableInSecurityHeaderToDoReplayDetection,
            "No signature is available in the security header to provide the nonce for replay detection.",
            step="replay",
        )
    ctx.node.replay.add(ctx.primary_signature_value, ctx.now)
    timestamp.validate(ctx, ctx.timestamp)
    ctx.record("replay", "ok", "primary SignatureValue recorded")
