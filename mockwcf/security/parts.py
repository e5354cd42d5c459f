"""What must be signed, checked against what the verified references really covered.

WCF finds signed elements by position, not by a document-wide id search: the security header's
children, the top-level SOAP headers and the Body, each by wsu:Id (signature-details, "How a
Reference URI finds its element"). Following that rule is also the defence against signature
wrapping: a reference whose id now sits on an element elsewhere (a Body moved into a header, say)
points at nothing WCF would look at, and the real Body stays unsigned.
"""

from __future__ import annotations

from lxml import etree

from mockwcf import codes, ns
from mockwcf.binding.model import ProtectionLevel
from mockwcf.envelope import WSU_ID, elements
from mockwcf.faults import Rejection
from mockwcf.security.context import ReceiveContext
from mockwcf.security.signature import check_digest

STEP = "parts"


def check_header_targets(ctx: ReceiveContext) -> None:
    """EnsureAllRequiredSecurityHeaderTargetsWereProtected: the Timestamp must be signed."""
    ts = ctx.timestamp
    if ts is None:
        return
    if ts.id is None or ts.id not in ctx.verified_ids:
        strict_note = ""
        sig = ctx.primary_signature
        if sig is not None and ts.id and any(r.target_id == ts.id for r in sig.references):
            strict_note = (
                " The signature does reference it, but in Strict layout a signed header element must "
                "come before the Signature."
            )
        elif ts.element.get("Id") and not ts.id:
            strict_note = " It has a plain Id attribute; WCF finds the Timestamp by wsu:Id only."
        raise Rejection(
            codes.RequiredSecurityHeaderElementNotSigned,
            f"The security header element 'Timestamp' with the '{ts.id or ts.element.get('Id') or ''}' id must "
            "be signed." + strict_note,
            step=STEP,
            element=ts.element,
        )


_WSA_SIGNED = frozenset(ns.q(ns.WSA10, n) for n in ns.WSA_SIGNED_HEADERS)


def _label(prefix: str, element: etree._Element) -> str:
    return prefix + etree.QName(element).localname


def protection_pass(ctx: ReceiveContext) -> None:
    """ExecuteMessageProtectionPass: unique ids, header and Body digests, required signed parts."""
    env = ctx.env
    seen: dict[str, tuple[str, etree._Element]] = {}

    def unique(element: etree._Element, prefix: str = "") -> str | None:
        """`prefix` + the element's local name names it in the fault, built only when one is raised."""
        value = element.get(WSU_ID)
        if value is None:
            return None
        if value in seen:
            raise Rejection(
                codes.DuplicateIdInMessageToBeVerified,
                f"The '{value}' id occurred twice in the message that is supplied for verification "
                f"({_label(*seen[value])} and {_label(prefix, element)}).",
                step=STEP,
                element=element,
            )
        seen[value] = (prefix, element)
        return value

    if env.security is not None:
        for child in elements(env.security):
            unique(child)
    pending = {ref.target_id: (sig, ref) for sig, ref in ctx.pending_references if ref.target_id}
    required_headers = _WSA_SIGNED if ctx.binding.addressing else frozenset()
    if env.header is not None:
        for h in elements(env.header):
            if h is env.security:
                continue
            hid = unique(h, "header ")
            signed = False
            if hid is not None and hid in pending:
                sig, ref = pending[hid]
                check_digest(sig, ref, h)
                signed = True
            if h.tag in required_headers and not signed:
                qn = etree.QName(h)
                raise Rejection(
                    codes.RequiredMessagePartNotSignedNs,
                    f"The '{qn.localname}', '{qn.namespace}' required message part was not signed.",
                    step=STEP,
                    hint="On this binding every WS-Addressing header you send must be signed: give it a wsu:Id "
                    "and add a ds:Reference to the primary signature.",
                    element=h,
                )
    body_id = unique(env.body)
    body_signed = False
    if body_id is not None and body_id in pending:
        sig, ref = pending[body_id]
        check_digest(sig, ref, env.body)
        body_signed = True
    # RequiredSignatureParts of the action: the Body unless the operation's ProtectionLevel is None
    if not body_signed and ctx.binding.request_protection(ctx.action) is not ProtectionLevel.None_:
        why = ""
        if body_id is None and env.body.get("Id"):
            why = " The Body has a plain Id attribute; WCF identifies the Body by wsu:Id only."
        elif body_id is None:
            why = " The Body has no wsu:Id."
        else:
            why = f" No primary-signature reference points at its wsu:Id '{body_id}'."
        raise Rejection(
            codes.RequiredMessagePartNotSignedNs,
            f"The 'Body', '{env.env_ns}' required message part was not signed.{why}",
            step=STEP,
            element=env.body,
        )
    for _sig, ref in ctx.pending_references:
        if not ref.verified:
            raise Rejection(
                codes.UnableToResolveReferenceUriForSignature,
                f"Cannot resolve reference URI '{ref.uri}' in signature to compute digest: no security header "
                "element, SOAP header or Body carries that wsu:Id.",
                step=STEP,
                element=ref.element,
            )
    signed = ("Timestamp, " if ctx.timestamp is not None else "") + ("Body" if body_signed else "no Body")
    ctx.record(STEP, "ok", signed + (" and WS-Addressing headers" if required_headers else "") + " signed")


def check_transport_to(ctx: ReceiveContext) -> None:
    """CertificateOverTransport with addressing: the endorsing signature must cover wsa:To."""
    if not ctx.binding.addressing or ctx.env.header is None:
        return
    to = ctx.env.header.find(ns.q(ns.WSA10, "To"))
    if to is None:
        return
    tid = to.get(WSU_ID)
    for sig, ref in ctx.pending_references:
        if tid and ref.target_id == tid:
            check_digest(sig, ref, to)
            return
    raise Rejection(
        codes.UnsignedToHeaderInTransportSecuredMessage,
        "The message received over Transport security has unsigned 'To' header.",
        step=STEP,
        element=to,
    )
