"""Reading ds:Signature the way WCF's own XmlDsig classes read it (RS IM/SignedXml.cs), before anything is verified.

Signature.ReadFrom: SignedInfo, SignatureValue, then KeyInfo if the token serializer can read it, then the
end: in that order, nothing else. StandardSignedInfo.ReadFrom: CanonicalizationMethod, SignatureMethod, then
any number of Reference, then the end. Reference.ReadFrom: optional Transforms, DigestMethod, DigestValue, end.
TransformChain.ReadFrom: Transform elements only, at least one (AtLeastOneTransformRequired). Each step is
MoveToStartElement / ReadEndElement, so a missing, repeated, extra or misplaced element is an XmlException,
and errors surface in document order (a bad transform before a bad SignatureValue, both before KeyInfo).
ElementWithAlgorithmAttribute (SignatureMethod, DigestMethod) requires Algorithm and holds no children;
ExclusiveCanonicalizationTransform (CanonicalizationMethod, Transform) takes exclusive c14n with or without
comments and one optional ec:InclusiveNamespaces. The comments rule: ExclusiveCanonicalizationTransform keeps
comments only when the Reference URI is an XPointer, and SignedInfo is always canonicalized without them; an
XPointer URI never names an element WCF can find (see Reference.uri_id), so mockwcf never keeps comments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from lxml import etree

from mockwcf import codes, ns, xmlread
from mockwcf.faults import Rejection
from mockwcf.security import keyinfo, keyinfo_read, x509
from mockwcf.security.context import ReceiveContext, Token

STEP = "signature"
ALLOWED_TRANSFORMS = {ns.EXC_C14N, ns.EXC_C14N_COMMENTS}
_INCLUSIVE = ns.q(ns.EC, "InclusiveNamespaces")
_SIGNED_INFO, SIGNATURE_VALUE, KEY_INFO = (
    ns.q(ns.DS, n) for n in ("SignedInfo", "SignatureValue", "KeyInfo")
)
_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE = (
    ns.q(ns.DS, n) for n in ("CanonicalizationMethod", "SignatureMethod", "Reference")
)
_TRANSFORMS, _TRANSFORM, _DIGEST_METHOD, _DIGEST_VALUE = (
    ns.q(ns.DS, n) for n in ("Transforms", "Transform", "DigestMethod", "DigestValue")
)


@dataclass
class Reference:
    uri: str | None
    target_id: str | None  # the id the URI names; None when Reference.ExtractReferredId cannot read the URI
    transforms: list[tuple[str, list[str] | None]]
    digest_method: str
    digest_value: bytes
    verified: bool = False
    element: etree._Element | None = None  # the ds:Reference, blamed when it fails


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


def uri_id(uri: str | None) -> str | None:
    """Reference.ExtractReferredId: "" names id "", '#x' names id 'x'; a missing URI, '#' alone or any
    URI not starting with '#' (external, cid:, a bare id) cannot be resolved. '#xpointer(id('x'))' is taken
    literally as the id "xpointer(id('x'))", which no wsu:Id matches."""
    if uri == "":
        return ""
    if uri is None or len(uri) < 2 or uri[0] != "#":
        return None
    return uri[1:]


T = TypeVar("T")


def blames_signature(step: Callable[..., T]) -> Callable[..., T]:
    """A rejection raised while reading or processing a signature blames its ds:Signature, unless the
    raise named a more precise element (a Reference, the KeyInfo, the SignatureValue)."""

    @functools.wraps(step)
    def wrapper(ctx: ReceiveContext, sig: Any) -> T:
        try:
            return step(ctx, sig)
        except Rejection as rej:
            raise rej.at(sig if isinstance(sig, etree._Element) else sig.element) from None

    return wrapper


@blames_signature
def read(ctx: ReceiveContext, element: etree._Element) -> ParsedSignature:
    """Signature.ReadFrom with WCF's StandardTransformFactory: structural errors surface here."""
    return parse(element, ctx.binding.security.wss11)


def parse(element: etree._Element, wss11: bool) -> ParsedSignature:
    """`read` without a receive context (secure conversation reads its own endorsing signatures)."""
    regular = _read_regular(element)  # the usual shape in one walk; None: the reader below decides
    if regular is not None:
        si, c14n_method, method, refs, value, key_info = regular
        try:
            clauses = keyinfo_read.read(key_info, wss11)
        except Rejection as rej:
            raise rej.at(key_info) from None
        return ParsedSignature(element, si, c14n_method, None, method, value, refs, clauses)
    return read_in_order(element, wss11)


def read_in_order(element: etree._Element, wss11: bool) -> ParsedSignature:
    """The reader, element by element in WCF's order: any shape, every XmlException where WCF raises it."""
    with xmlread.reading(
        STEP, "ds:Signature cannot be read (WCF's SignedXml reader fails with an XmlException)"
    ):
        seq = xmlread.Sequence(element)
        si = seq.take(_SIGNED_INFO)
        c14n_method, prefixes, method, refs = _read_signed_info(si)
        value = _base64(xmlread.content(seq.take(SIGNATURE_VALUE)), "SignatureValue")
        key_info = seq.take_if(KEY_INFO)
        try:
            clauses = keyinfo_read.read(key_info, wss11)
        except Rejection as rej:
            raise rej.at(key_info) from None
        seq.end()
    return ParsedSignature(element, si, c14n_method, prefixes, method, value, refs, clauses)


def _read_signed_info(si: etree._Element) -> tuple[str, list[str] | None, str, list[Reference]]:
    seq = xmlread.Sequence(si)
    cm = seq.take(_C14N_METHOD)
    c14n_method = cm.get("Algorithm") or ""
    if c14n_method not in ALLOWED_TRANSFORMS:
        raise Rejection(
            codes.UnsupportedTransformAlgorithm,
            f"CanonicalizationMethod {c14n_method!r} is not exclusive c14n; WCF supports only {ns.EXC_C14N}.",
            step=STEP,
        )
    prefixes = _c14n_content(cm)
    method = _algorithm(seq.take(_SIGNATURE_METHOD))
    refs = []
    while (ref := seq.take_if(_REFERENCE)) is not None:
        refs.append(_read_reference(ref))
    seq.end()
    return c14n_method, prefixes, method, refs


def _algorithm(element: etree._Element) -> str:
    """ElementWithAlgorithmAttribute.ReadFrom: Algorithm required, no child elements."""
    algorithm = element.get("Algorithm")
    if algorithm is None:
        raise xmlread.ReadError(f"{etree.QName(element).localname} has no Algorithm attribute")
    xmlread.expect_end(element)
    return algorithm


def _c14n_content(element: etree._Element) -> list[str] | None:
    """ExclusiveCanonicalizationTransform.ReadFrom: one optional ec:InclusiveNamespaces, then the end."""
    if not len(element):  # most clients send nothing inside: skip the reader
        return None
    seq = xmlread.Sequence(element)
    inc = seq.take_if(_INCLUSIVE)
    seq.end()
    if inc is None:
        return None
    return [p if p != "#default" else None for p in (inc.get("PrefixList") or "").split()]  # type: ignore[misc]


def _read_reference(ref: etree._Element) -> Reference:
    seq = xmlread.Sequence(ref)
    uri = ref.get("URI")
    transforms: list[tuple[str, list[str] | None]] = []
    transforms_el = seq.take_if(_TRANSFORMS)
    if transforms_el is not None:
        tseq = xmlread.Sequence(transforms_el)
        while (t := tseq.take_if(_TRANSFORM)) is not None:
            alg = t.get("Algorithm", "")
            if alg not in ALLOWED_TRANSFORMS:
                what = "the STR-Transform (not emulated by mockwcf)" if alg == ns.STR_TRANSFORM else repr(alg)
                raise Rejection(
                    codes.UnsupportedTransformAlgorithm,
                    f"Reference {uri!r} uses transform {what}; WCF accepts exclusive c14n "
                    "(with or without comments) and the STR-Transform only.",
                    step=STEP,
                )
            transforms.append((alg, _c14n_content(t)))
        tseq.end()
        if not transforms:
            raise Rejection(
                codes.AtLeastOneTransformRequired, f"Reference {uri!r} has an empty ds:Transforms.", step=STEP
            )
    digest_method = _algorithm(seq.take(_DIGEST_METHOD))
    digest_value = _base64(xmlread.content(seq.take(_DIGEST_VALUE)), "DigestValue")
    seq.end()
    return Reference(uri, uri_id(uri), transforms, digest_method, digest_value, element=ref)


def _base64(text: str, what: str) -> bytes:
    """Convert.FromBase64String(text.Trim()): white space ignored, otherwise strict."""
    try:
        return x509.decode_base64(text)
    except ValueError:
        raise xmlread.ReadError(f"{what} is not base64") from None


# -- the usual shape, read in one walk ---------------------------------------------------------------
# Nearly every client sends a Signature with nothing irregular in it: element children only, white space
# between them, leaves where the reader expects leaves, algorithms it accepts. `_read_regular` recognises that
# shape directly (no Sequence per element, each element visited once: about half the reader's time) and
# returns what the reader would; anything else (a comment, text, a missing or extra element, an unknown
# algorithm, bad base64) returns None and the reader above runs, so every error keeps WCF's order and text.
_ELEMENT = xmlread.ELEMENT
_WHITE = xmlread.XML_WHITE


def _elements_only(parent: etree._Element) -> list[etree._Element] | None:
    """The children, when all are elements with only XML white space around them; else None."""
    text = parent.text
    if text and text.strip(_WHITE):
        return None
    kids = list(parent)
    for child in kids:
        if type(child) is not _ELEMENT:
            return None
        tail = child.tail
        if tail and tail.strip(_WHITE):
            return None
    return kids


def _leaf_algorithm(element: etree._Element) -> str | None:
    """ElementWithAlgorithmAttribute with nothing inside (the Algorithm), or None."""
    if len(element):
        return None
    text = element.text
    if text and text.strip(_WHITE):
        return None
    return element.get("Algorithm")


def _read_regular(
    element: etree._Element,
) -> tuple[etree._Element, str, str, list[Reference], bytes, etree._Element | None] | None:
    kids = _elements_only(element)
    if kids is None or not 2 <= len(kids) <= 3:
        return None
    si, sv = kids[0], kids[1]
    key_info = kids[2] if len(kids) == 3 else None
    if si.tag != _SIGNED_INFO or sv.tag != SIGNATURE_VALUE or len(sv):
        return None
    if key_info is not None and key_info.tag != KEY_INFO:
        return None
    items = _elements_only(si)
    if items is None or len(items) < 2 or items[0].tag != _C14N_METHOD or items[1].tag != _SIGNATURE_METHOD:
        return None
    c14n_method = _leaf_algorithm(items[0])
    method = _leaf_algorithm(items[1])
    if c14n_method not in ALLOWED_TRANSFORMS or method is None:
        return None
    refs = []
    for ref in items[2:]:
        read = _regular_reference(ref) if ref.tag == _REFERENCE else None
        if read is None:
            return None
        refs.append(read)
    try:
        value = x509.decode_base64(sv.text or "")
    except ValueError:
        return None
    return si, c14n_method, method, refs, value, key_info


def _regular_reference(ref: etree._Element) -> Reference | None:
    kids = _elements_only(ref)
    if kids is None or len(kids) != 3 or kids[0].tag != _TRANSFORMS:  # no Transforms: the reader
        return None
    transforms_el, dm, dv = kids
    if dm.tag != _DIGEST_METHOD or dv.tag != _DIGEST_VALUE or len(dv):
        return None
    items = _elements_only(transforms_el)
    if not items:
        return None
    transforms: list[tuple[str, list[str] | None]] = []
    for t in items:
        if t.tag != _TRANSFORM:
            return None
        prefixes = None
        if len(t):  # one ec:InclusiveNamespaces (WSS4J sends one in every Transform)
            inner = _elements_only(t)
            if inner is None or len(inner) != 1 or inner[0].tag != _INCLUSIVE:
                return None
            prefixes = _c14n_content(t)
        alg = t.get("Algorithm")  # the reader reads no text of a Transform: none is checked here either
        if alg not in ALLOWED_TRANSFORMS:
            return None
        transforms.append((alg, prefixes))
    digest_method = _leaf_algorithm(dm)
    if digest_method is None:
        return None
    try:
        digest_value = x509.decode_base64(dv.text or "")
    except ValueError:
        return None
    uri = ref.get("URI")
    return Reference(uri, uri_id(uri), transforms, digest_method, digest_value, element=ref)
