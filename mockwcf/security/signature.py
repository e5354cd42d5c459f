"""ds:Signature reading and verification on the already-parsed tree, in WCF's order.

Order (reference "Order inside signature verification"): the Signature is *read* first (transforms,
canonicalization, KeyInfo syntax); then for the primary signature the replay check, KeyInfo
resolution, key, SignatureMethod against the suite, the SignatureValue, and per Reference the
DigestMethod and digest. References to security header elements are checked here; references to
the Body and SOAP headers are left for the protection pass (parts.py), as WCF does.

The verifier is exclusive c14n (lxml) + cryptography on the one tree; signxml re-parses the
document about nine times per message (performance-floors.md) and is used off the hot path only
(cross-checks in tests and `mockwcf verify --signxml`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from mockwcf import codes, ns
from mockwcf.binding.model import SecurityHeaderLayout
from mockwcf.canonical import c14n
from mockwcf.envelope import WSU_ID, elements
from mockwcf.faults import Rejection
from mockwcf.security import crosscheck, keyinfo, protectionorder, suites
from mockwcf.security.context import ReceiveContext, Token
from mockwcf.security.signature_read import (
    KEY_INFO,
    SIGNATURE_VALUE,
    ParsedSignature,
    Reference,
    blames_signature,
    parse,  # noqa: F401 - secure conversation reads its signatures through this module
)

STEP = "signature"
_DIGESTS = {ns.SHA1: hashlib.sha1, ns.SHA256: hashlib.sha256}
_SIG_HASHES = {ns.RSA_SHA1: hashes.SHA1, ns.RSA_SHA256: hashes.SHA256}


def verify(
    ctx: ReceiveContext,
    sig: ParsedSignature,
    tokens: list[Token],
    which: str,
    target: tuple[str | None, etree._Element] | None = None,
) -> Token:
    """VerifySignature: KeyInfo -> key -> SignatureMethod -> SignatureValue -> header-element digests."""
    try:
        token = keyinfo.resolve(ctx, sig.clauses, tokens, which)
    except Rejection as rej:
        raise rej.at(sig.element.find(KEY_INFO)) from None
    sig.token = token
    key = token.cert.public_key() if token.cert is not None else None
    if not isinstance(key, rsa.RSAPublicKey):
        raise Rejection(
            codes.PublicKeyNotRSA,
            f"The signing token {token.label()} has no RSA public key; the asymmetric suites sign with RSA.",
            step=STEP,
        )
    if not 1024 <= key.key_size <= 4096:
        raise Rejection(
            codes.SuiteDoesNotAcceptAlgorithm,
            f"RSA key size {key.key_size} is outside the suite's 1024-4096 bits.",
            step=STEP,
        )
    suite = ctx.binding.security.default_algorithm_suite
    # EnsureAcceptableAsymmetricSignatureAlgorithm (SecurityAlgorithmSuite.cs names the operation so)
    check_algorithm("AsymmetricSignature", sig.method, suites.get(suite).asymmetric_signature, suite)
    # SignedInfo is canonicalized without comments whatever its CanonicalizationMethod (signature_read.py)
    signed_info = c14n(sig.signed_info, ns.EXC_C14N, sig.c14n_prefixes)
    try:
        key.verify(sig.value, signed_info, padding.PKCS1v15(), _SIG_HASHES[sig.method]())
    except InvalidSignature:
        raise Rejection(
            codes.SignatureVerificationFailed,
            f"The SignatureValue does not verify with the key of {token.label()} over the exclusive-c14n "
            f"SignedInfo. {crosscheck.second_opinion(sig.element, token.cert, len(sig.references))}",
            step=STEP,
            element=sig.element.find(SIGNATURE_VALUE),
        ) from None
    if target is None:
        _verify_header_references(ctx, sig)
    else:
        _verify_target(ctx, sig, *target)
    ctx.record(
        STEP, "ok", f"{which} signature verified with {token.label()}, {len(sig.references)} reference(s)"
    )
    return token


def _verify_target(ctx: ReceiveContext, sig: ParsedSignature, target_id: str | None, target: Any) -> None:
    """ValidateDigestsOfTargetsInSecurityHeader for a supporting signature under message protection: only the
    reference to its target (the primary signature) is checked, and every reference must be that one
    (SignedXml.CompleteSignatureVerification leaves no reference unverified)."""
    suite = ctx.binding.security.default_algorithm_suite
    for ref in sig.references:
        check_algorithm("Digest", ref.digest_method, suites.get(suite).digest, suite, ref.element)
        if target_id is None or ref.target_id != target_id:
            raise Rejection(
                codes.UnableToResolveReferenceUriForSignature,
                f"The endorsing signature's reference '{ref.uri}' is not the primary signature (Id "
                f"'{target_id}'); under message security an endorsing signature signs the primary signature only.",
                step=STEP,
                element=ref.element,
            )
        check_digest(sig, ref, target)


def check_algorithm(operation: str, used: str, wanted: str, suite: str, element: Any = None) -> None:
    """SecurityAlgorithmSuite.Is*AlgorithmSupported: a suite accepts its own algorithm only."""
    if used != wanted:
        raise Rejection(
            codes.SuiteDoesNotAcceptAlgorithm,
            f"The algorithm '{used}' is not accepted for operation '{operation}' by algorithm suite {suite} "
            f"(it takes {wanted}).",
            step=STEP,
            element=element,
        )


def _verify_header_references(ctx: ReceiveContext, sig: ParsedSignature) -> None:
    """ValidateDigestsOfTargetsInSecurityHeader: per Reference, in order, the suite's digest algorithm, then
    Reference.ExtractReferredId (a URI it cannot read fails here), then the digest of a security-header
    target; only children already read count in Strict. Other targets wait for the protection pass."""
    suite = ctx.binding.security.default_algorithm_suite
    want_digest = suites.get(suite).digest
    strict = ctx.binding.receive_layout is SecurityHeaderLayout.Strict
    header_children = elements(ctx.env.security) if ctx.env.security is not None else []
    ids: dict[str | None, etree._Element] | None = None
    for ref in sig.references:
        if ref.digest_method != want_digest:
            check_algorithm("Digest", ref.digest_method, want_digest, suite, ref.element)
        if ref.target_id is None:
            raise Rejection(
                codes.UnableToResolveReferenceUriForSignature,
                f"Cannot resolve reference URI '{ref.uri}' in signature to compute digest: WCF resolves only "
                "'#id' references to a wsu:Id in the message (Reference.ExtractReferredId), not "
                + (
                    "a Reference without URI."
                    if ref.uri is None
                    else "a URI that does not start with '#' (external or a bare id) or '#' alone."
                ),
                step=STEP,
                hint='Give the signed element a wsu:Id and reference it as URI="#that-id".',
                element=ref.element,
            )
        form = protectionorder.encrypted_form(ctx, ref.target_id)
        if form is not None:  # EncryptBeforeSign: the item's encrypted form, as received
            check_digest(sig, ref, form[0])
            ctx.verified_ids.add(ref.target_id)
            _mark_signed(ctx, form[1])
            continue
        if ids is None:  # the first child with each wsu:Id, read once for all references
            ids = {}
            for e in reversed(header_children):
                ids[e.get(WSU_ID)] = e
        target = ids.get(ref.target_id)
        if target is None:
            ctx.pending_references.append((sig, ref))
            continue
        if strict and target not in ctx.read_header_elements:
            continue  # marks nothing: the element, read later, stays unsigned (signature-details, Strict)
        check_digest(sig, ref, target)
        ctx.verified_ids.add(ref.target_id)
        _mark_signed(ctx, target)


def _mark_signed(ctx: ReceiveContext, element: etree._Element) -> None:
    for t in ctx.tokens:
        if t.element is element:
            t.signed = True


def check_digest(sig: ParsedSignature, ref: Reference, target: etree._Element) -> None:
    data = target
    digest_input = b""
    if ref.transforms:
        for _alg, prefixes in ref.transforms:
            # exclusive c14n; #WithComments keeps comments only for XPointer URIs, which never resolve
            digest_input = c14n(data, ns.EXC_C14N, prefixes)
    else:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"Reference {ref.uri!r} has no transforms (WCF: EmptyTransformChainNotSupported).",
            step=STEP,
        )
    digest = _DIGESTS.get(ref.digest_method)
    if digest is None or digest(digest_input).digest() != ref.digest_value:
        local = etree.QName(target).localname
        cert = sig.token.cert if sig.token is not None else None
        raise Rejection(
            codes.DigestVerificationFailedForReference,
            f"Digest verification failed for Reference '{ref.uri}' ({local}): the element was changed after "
            f"signing or canonicalized differently. {crosscheck.second_opinion(sig.element, cert, len(sig.references))}",
            step=STEP,
            element=ref.element,
        )
    ref.verified = True


@blames_signature
def process_primary(ctx: ReceiveContext, sig: ParsedSignature) -> None:
    """ProcessPrimarySignature: replay check on the SignatureValue first, then verification."""
    ctx.primary_signature_value = sig.value
    if ctx.binding.settings.detect_replays:
        ctx.node.replay.check(sig.value, ctx.now)
    token = verify(ctx, sig, ctx.primary_tokens, "primary")
    ctx.primary_signature = sig
    if ctx.second_opinion:
        ctx.record("signxml", "ok", crosscheck.second_opinion(sig.element, token.cert, len(sig.references)))
    ctx.signature_values.append(sig.value)


verify_header_references = _verify_header_references  # the HMAC primary signature (encryption.py) too
verify_target = _verify_target  # the SCT's HMAC endorsing signature of a renew message (sctrenew.py) too


@blames_signature
def process_supporting(ctx: ReceiveContext, sig: ParsedSignature) -> None:
    """ProcessSupportingSignature: endorsing signatures use the universal resolver."""
    # the renew message's SCT endorses with an HMAC (sctrenew imports this module)
    from mockwcf.security import sctrenew

    if sctrenew.endorses(ctx, sig):
        return
    binding = ctx.binding
    if not binding.endorsing_required:
        raise Rejection(
            codes.SupportingTokenSignaturesNotExpected,
            "The header carries a supporting (endorsing) ds:Signature but this binding expects none"
            + (
                " (TransportWithMessageCredential UserName: the UsernameToken alone authenticates)."
                if binding.over_transport
                else "."
            ),
            step=STEP,
        )
    if binding.over_transport and ctx.timestamp is None:
        raise Rejection(
            codes.SigningWithoutPrimarySignatureRequiresTimestamp,
            "An endorsing signature without a primary signature must sign the Timestamp, and there is none "
            "before it.",
            step=STEP,
        )
    if binding.protects_message:
        # ProcessSupportingSignature with RequireMessageProtection: the target is the primary signature
        primary = ctx.primary_signature
        if primary is None:
            raise Rejection(  # unreachable from the wire: the first (Strict) or unendorsed (Lax) one is primary
                codes.RequiredSignatureMissing,
                "An endorsing signature comes without the primary signature it must sign.",
                step=STEP,
            )
        endorser = verify(ctx, sig, ctx.tokens, "universal", (primary.element.get("Id"), primary.element))
        endorser.endorsing = True
        ctx.signature_values.append(sig.value)
        return
    token = verify(ctx, sig, ctx.tokens, "universal")
    if binding.over_transport:
        # VerifySignature for a non-primary signature over transport: the wsa:To check, then
        # SignedXml.CompleteSignatureVerification -> EnsureAllReferencesVerified: a reference to anything but
        # the Timestamp (and To) is never verified, so it fails, like one that names nothing.
        from mockwcf.security import parts  # parts imports this module (check_digest)

        parts.check_transport_to(ctx)
        unverified = next((r for r in sig.references if not r.verified), None)
        if unverified is not None:
            raise Rejection(
                codes.UnableToResolveReferenceUriForSignature,
                f"Cannot resolve reference URI '{unverified.uri}' in signature to compute digest: an endorsing "
                "signature over transport security may sign only the Timestamp (and wsa:To); "
                "StandardSignedInfo.EnsureAllReferencesVerified finds this reference unverified.",
                step=STEP,
                element=unverified.element,
            )
    if ctx.timestamp is not None and ctx.timestamp.id and ctx.timestamp.id not in ctx.verified_ids:
        raise Rejection(
            codes.RequiredSecurityHeaderElementNotSigned,
            f"The security header element 'Timestamp' with the '{ctx.timestamp.id}' id must be signed by the "
            "endorsing signature.",
            step=STEP,
            element=ctx.timestamp.element,
        )
    token.endorsing = True
