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

import base64
import binascii
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from mockwcf import codes, ns
from mockwcf.binding.model import SecurityHeaderLayout
from mockwcf.canonical import c14n
from mockwcf.envelope import WSU_ID, elements
from mockwcf.faults import Rejection
from mockwcf.security import crosscheck, keyinfo
from mockwcf.security.context import ReceiveContext, Token

STEP = "signature"
T = TypeVar("T")
_ALLOWED_TRANSFORMS = {ns.EXC_C14N, ns.EXC_C14N_COMMENTS}
_DIGESTS = {ns.SHA1: hashlib.sha1, ns.SHA256: hashlib.sha256}
_SIG_HASHES = {ns.RSA_SHA1: hashes.SHA1, ns.RSA_SHA256: hashes.SHA256}
SUITES = {
    # suite: (asymmetric signature, digest)   RS SM/Security/SecurityAlgorithmSuite.cs
    "Basic256": (ns.RSA_SHA1, ns.SHA1),
    "Basic256Sha256": (ns.RSA_SHA256, ns.SHA256),
}


@dataclass
class Reference:
    uri: str
    target_id: str | None
    transforms: list[tuple[str, list[str] | None]]
    digest_method: str
    digest_value: bytes
    verified: bool = False
    element: etree._Element | None = None  # the ds:Reference, blamed when its digest fails


@dataclass
class ParsedSignature:
    element: etree._Element
    signed_info: etree._Element
    c14n_method: str
    c14n_prefixes: list[str] | None
    method: str
    value: bytes
    references: list[Reference]
    clauses: list[keyinfo.Clause]
    token: Token | None = None


def _inclusive_prefixes(method_el: etree._Element) -> list[str] | None:
    if not len(method_el):  # most clients send no InclusiveNamespaces: skip the namespaced find()
        return None
    inc = method_el.find(_INCLUSIVE)
    if inc is None:
        return None
    return [p if p != "#default" else None for p in (inc.get("PrefixList") or "").split()]  # type: ignore[misc]


_INCLUSIVE = ns.q(ns.EC, "InclusiveNamespaces")
_SIGNED_INFO, _SIGNATURE_VALUE, _KEY_INFO = (
    ns.q(ns.DS, n) for n in ("SignedInfo", "SignatureValue", "KeyInfo")
)
_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE = (
    ns.q(ns.DS, n) for n in ("CanonicalizationMethod", "SignatureMethod", "Reference")
)
_TRANSFORMS, _TRANSFORM, _DIGEST_METHOD, _DIGEST_VALUE = (
    ns.q(ns.DS, n) for n in ("Transforms", "Transform", "DigestMethod", "DigestValue")
)


def _pick(element: etree._Element, *tags: str) -> list[etree._Element | None]:
    """The first child with each tag, in one pass over the children (the reader's hot loop)."""
    found: list[etree._Element | None] = [None] * len(tags)
    for child in element:
        tag = child.tag
        for i, wanted in enumerate(tags):
            if tag == wanted:
                if found[i] is None:
                    found[i] = child
                break
    return found


def _blames_signature(step: Callable[..., T]) -> Callable[..., T]:
    """A rejection raised while reading or processing a signature blames its ds:Signature, unless the
    raise named a more precise element (a Reference, the KeyInfo, the SignatureValue)."""

    @functools.wraps(step)
    def wrapper(ctx: ReceiveContext, sig: Any) -> T:
        try:
            return step(ctx, sig)
        except Rejection as rej:
            raise rej.at(sig if isinstance(sig, etree._Element) else sig.element) from None

    return wrapper


@_blames_signature
def read(ctx: ReceiveContext, element: etree._Element) -> ParsedSignature:
    """SignedXml.ReadFrom with WCF's StandardTransformFactory: structural errors surface here."""
    return parse(element, ctx.binding.security.wss11)


def parse(element: etree._Element, wss11: bool) -> ParsedSignature:
    """`read` without a receive context (secure conversation verifies its own endorsing signatures)."""
    si, sv, key_info = _pick(element, _SIGNED_INFO, _SIGNATURE_VALUE, _KEY_INFO)
    if si is None or sv is None:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            "ds:Signature needs ds:SignedInfo and ds:SignatureValue.",
            step=STEP,
        )
    cm = sm = None
    ref_elements = []
    for child in si:
        tag = child.tag
        if tag == _REFERENCE:
            ref_elements.append(child)
        elif tag == _C14N_METHOD:
            cm = cm if cm is not None else child
        elif tag == _SIGNATURE_METHOD:
            sm = sm if sm is not None else child
    c14n_method = cm.get("Algorithm", "") if cm is not None else ""
    if c14n_method not in _ALLOWED_TRANSFORMS:
        raise Rejection(
            codes.UnsupportedTransformAlgorithm,
            f"CanonicalizationMethod {c14n_method!r} is not exclusive c14n; WCF supports only {ns.EXC_C14N}.",
            step=STEP,
        )
    method = sm.get("Algorithm", "") if sm is not None else ""
    refs = [_read_reference(ref) for ref in ref_elements]
    try:
        value = base64.b64decode("".join((sv.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise Rejection(
            codes.MessageSecurityVerificationFailed, "SignatureValue is not base64.", step=STEP
        ) from None
    try:
        clauses = keyinfo.read(key_info, wss11)
    except Rejection as rej:
        raise rej.at(key_info) from None
    return ParsedSignature(
        element=element,
        signed_info=si,
        c14n_method=c14n_method,
        c14n_prefixes=_inclusive_prefixes(cm) if cm is not None else None,
        method=method,
        value=value,
        references=refs,
        clauses=clauses,
    )


def _read_reference(ref: etree._Element) -> Reference:
    transforms_el, dm, dv = _pick(ref, _TRANSFORMS, _DIGEST_METHOD, _DIGEST_VALUE)
    transforms: list[tuple[str, list[str] | None]] = []
    if transforms_el is not None:
        tlist = [t for t in transforms_el if t.tag == _TRANSFORM]
        if not tlist:
            raise Rejection(
                codes.AtLeastOneTransformRequired,
                f"Reference {ref.get('URI')!r} has an empty ds:Transforms.",
                step=STEP,
            )
        for t in tlist:
            alg = t.get("Algorithm", "")
            if alg not in _ALLOWED_TRANSFORMS:
                what = "the STR-Transform (not emulated by mockwcf)" if alg == ns.STR_TRANSFORM else repr(alg)
                raise Rejection(
                    codes.UnsupportedTransformAlgorithm,
                    f"Reference {ref.get('URI')!r} uses transform {what}; WCF accepts exclusive c14n "
                    "(with or without comments) and the STR-Transform only.",
                    step=STEP,
                )
            transforms.append((alg, _inclusive_prefixes(t)))
    try:
        digest_value = base64.b64decode("".join((dv.text or "").split()) if dv is not None else "")
    except (binascii.Error, ValueError):
        raise Rejection(
            codes.MessageSecurityVerificationFailed, "A DigestValue is not base64.", step=STEP
        ) from None
    uri = ref.get("URI", "")
    return Reference(
        uri=uri,
        target_id=uri[1:] if uri.startswith("#") else None,
        transforms=transforms,
        digest_method=dm.get("Algorithm", "") if dm is not None else "",
        digest_value=digest_value,
        element=ref,
    )


def verify(ctx: ReceiveContext, sig: ParsedSignature, tokens: list[Token], which: str) -> Token:
    """VerifySignature: KeyInfo -> key -> SignatureMethod -> SignatureValue -> header-element digests."""
    try:
        token = keyinfo.resolve(ctx, sig.clauses, tokens, which)
    except Rejection as rej:
        raise rej.at(sig.element.find(_KEY_INFO)) from None
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
    want_sig, want_digest = SUITES[suite]
    check_algorithm("Signature", sig.method, want_sig, suite)
    signed_info = c14n(sig.signed_info, sig.c14n_method, sig.c14n_prefixes)
    try:
        key.verify(sig.value, signed_info, padding.PKCS1v15(), _SIG_HASHES[sig.method]())
    except InvalidSignature:
        raise Rejection(
            codes.SignatureVerificationFailed,
            f"The SignatureValue does not verify with the key of {token.label()} over the exclusive-c14n "
            f"SignedInfo. {crosscheck.second_opinion(sig.element, token.cert, len(sig.references))}",
            step=STEP,
            element=sig.element.find(_SIGNATURE_VALUE),
        ) from None
    for ref in sig.references:
        check_algorithm("Digest", ref.digest_method, want_digest, suite, ref.element)
    _verify_header_references(ctx, sig)
    ctx.record(
        STEP, "ok", f"{which} signature verified with {token.label()}, {len(sig.references)} reference(s)"
    )
    return token


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
    """References to security-header children are checked now; only children already read count in Strict."""
    strict = ctx.binding.receive_layout is SecurityHeaderLayout.Strict
    header_children = elements(ctx.env.security) if ctx.env.security is not None else []
    for ref in sig.references:
        if ref.target_id is None:
            continue
        target = next((e for e in header_children if e.get(WSU_ID) == ref.target_id), None)
        if target is None:
            ctx.pending_references.append((sig, ref))
            continue
        if strict and target not in ctx.read_header_elements:
            continue  # marks nothing: the element, read later, stays unsigned (signature-details, Strict)
        check_digest(sig, ref, target)
        ctx.verified_ids.add(ref.target_id)
        for t in ctx.tokens:
            if t.element is target:
                t.signed = True


def check_digest(sig: ParsedSignature, ref: Reference, target: etree._Element) -> None:
    data = target
    digest_input = b""
    if ref.transforms:
        for alg, prefixes in ref.transforms:
            digest_input = c14n(data, alg, prefixes)
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


@_blames_signature
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


@_blames_signature
def process_supporting(ctx: ReceiveContext, sig: ParsedSignature) -> None:
    """ProcessSupportingSignature: endorsing signatures use the universal resolver."""
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
    token = verify(ctx, sig, ctx.tokens, "universal")
    if ctx.timestamp is not None and ctx.timestamp.id and ctx.timestamp.id not in ctx.verified_ids:
        raise Rejection(
            codes.RequiredSecurityHeaderElementNotSigned,
            f"The security header element 'Timestamp' with the '{ctx.timestamp.id}' id must be signed by the "
            "endorsing signature.",
            step=STEP,
            element=ctx.timestamp.element,
        )
    token.endorsing = True
