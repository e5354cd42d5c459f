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


def protection_pass(ctx: ReceiveContext) -> None:
    """ExecuteMessageProtectionPass: unique ids, header and Body digests, required signed parts."""
    env = ctx.env
    seen: dict[str, str] = {}

    def unique(element: etree._Element, what: str) -> str | None:
        value = element.get(WSU_ID)
        if value is None:
            return None
        if value in seen:
            raise Rejection(
                codes.DuplicateIdInMessageToBeVerified,
                f"The '{value}' id occurred twice in the message that is supplied for verification "
                f"({seen[value]} and {what}).",
                step=STEP,
                element=element,
            )
        seen[value] = what
        return value

    if env.security is not None:
        for child in elements(env.security):
            unique(child, etree.QName(child).localname)
    pending = {ref.target_id: (sig, ref) for sig, ref in ctx.pending_references if ref.target_id}
    required_headers = set(ns.WSA_SIGNED_HEADERS) if ctx.binding.addressing else set()
    if env.header is not None:
        for h in elements(env.header):
            if h is env.security:
                continue
            qn = etree.QName(h)
            hid = unique(h, f"header {qn.localname}")
            signed = False
            if hid is not None and hid in pending:
                sig, ref = pending[hid]
                check_digest(sig, ref, h)
                signed = True
            if qn.namespace == ns.WSA10 and qn.localname in required_headers and not signed:
                raise Rejection(
                    codes.RequiredMessagePartNotSignedNs,
                    f"The '{qn.localname}', '{qn.namespace}' required message part was not signed.",
                    step=STEP,
                    hint="On this binding every WS-Addressing header you send must be signed: give it a wsu:Id "
                    "and add a ds:Reference to the primary signature.",
                    element=h,
                )
    body_id = unique(env.body, "Body")
    body_signed = False
    if body_id is not None and body_id in pending:
        sig, ref = pending[body_id]
        check_digest(sig, ref, env.body)
        body_signed = True
    if not body_signed:
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
    signed = ("Timestamp, " if ctx.timestamp is not None else "") + "Body"
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
