"""Finding the Security header and the rules about the header as a whole (reference 1.1, 1.3).

The header is the `wsse:Security` WCF's SecurityVersion.TryCreateReceiveSecurityHeader picks (actor "" first,
then any ultimate-destination actor; mockwcf/soapheaders.py); one addressed to another actor is not read.
Every mustUnderstand header the endpoint did not process fails the dispatcher's check, whatever its actor
(MessageHeaders.GetHeadersNotUnderstood): an unsecured endpoint does not understand `wsse:Security`, and a
secured one understands only the Security header it read.
"""

from __future__ import annotations

from lxml import etree

from mockwcf import codes, ns, soapheaders, xmlread
from mockwcf.envelope import elements, must_understand
from mockwcf.faults import Rejection
from mockwcf.security import actionparts
from mockwcf.security.context import ReceiveContext

STEP = "header"
_TIMESTAMP = ns.q(ns.WSU, "Timestamp")
_WSA10_OPEN = "{" + ns.WSA10 + "}"  # a tag in the WS-Addressing 1.0 namespace starts so (no QName per header)


def locate(ctx: ReceiveContext) -> list[etree._Element]:
    """The Security header's children, or WCF's rejection for a missing or empty header."""
    sec = ctx.env.security
    binding = ctx.binding
    if ctx.env.security_duplicate:
        raise Rejection(codes.MessageSecurityVerificationFailed, ctx.env.security_duplicate, step=STEP)
    if sec is None:
        elsewhere = ""
        if ctx.env.other_security:
            elsewhere = (
                " A wsse:Security header is present but addressed to another actor/role, so WCF ignores it."
            )
        raise Rejection(
            codes.UnableToFindSecurityHeaderInMessage,
            "Security processor was unable to find a security header in the message; this endpoint is "
            f"{binding.mode.value} with {binding.client_credential} credentials.{elsewhere}",
            step=STEP,
            hint=(
                f"Binding mismatch: the service expects {binding.mode.value} security with "
                f"{binding.client_credential} credentials; add a wsse:Security header carrying "
                + (
                    "a UsernameToken"
                    if binding.client_credential == "UserName"
                    else "a BinarySecurityToken and a Signature"
                )
                + " (and a Timestamp), or point the client at an unsecured endpoint."
            ),
        )
    actionparts.check(ctx)  # ConfigureReceiveSecurityHeader: the action's parts, before the header is read
    # ExecuteFullPass reads while IsStartElement(): text among the children ends the loop early and the
    # ReadEndElement of wsse:Security fails (an XmlException); white space and comments are skipped.
    with xmlread.reading(STEP, "wsse:Security cannot be read", sec):
        children = xmlread.children(sec)
    if not children:
        raise Rejection(codes.SecurityHeaderIsEmpty, "Security header is empty.", step=STEP)
    ctx.record(
        STEP, "ok", f"wsse:Security with {len(children)} element(s), layout {binding.receive_layout.value}"
    )
    return children


def check_layout(ctx: ReceiveContext, children: list[etree._Element]) -> None:
    layout = ctx.binding.receive_layout.value
    stamps = [i for i, c in enumerate(children) if c.tag == _TIMESTAMP]
    if not stamps:
        return
    if layout == "LaxTimestampFirst" and stamps[0] != 0:
        raise Rejection(
            codes.TimestampMustOccurFirstInSecurityHeaderLayout,
            "The timestamp must occur first in this security header layout.",
            step=STEP,
        )
    if layout == "LaxTimestampLast" and stamps[-1] != len(children) - 1:
        raise Rejection(
            codes.TimestampMustOccurLastInSecurityHeaderLayout,
            "The timestamp must occur last in this security header layout.",
            step=STEP,
        )


def check_must_understand(ctx: ReceiveContext, security_processed: bool) -> None:
    """The dispatcher's check: every mustUnderstand header must be one this endpoint processes."""
    env = ctx.env
    if env.header is None:
        return
    ultimate = soapheaders.ultimate_actors(env.soap12)
    for h in elements(env.header):
        if h is env.security and security_processed:  # understood whatever its mustUnderstand (read in index)
            continue
        if not must_understand(env, h):
            continue
        if h.tag.startswith(_WSA10_OPEN) and ctx.binding.addressing and soapheaders.actor(env, h) in ultimate:
            continue
        qn = etree.QName(h)
        # GetHeadersNotUnderstood does not look at the actor: a mustUnderstand Security header for another
        # actor (or a second one) is not understood here either.
        hint = None
        if qn.namespace == ns.WSSE and qn.localname == "Security":
            hint = (
                f"Binding mismatch: this endpoint's security mode is "
                f"{ctx.binding.mode.value}, so it does not process wsse:Security. Remove "
                "WS-Security from the client, or configure the service with the security the client sends."
            )
        elif qn.namespace == ns.WSA10:
            hint = (
                "This binding does not use WS-Addressing (basicHttpBinding is SOAP 1.1 without it): "
                "drop the wsa: headers or their mustUnderstand."
            )
        raise Rejection(
            codes.SFxHeaderNotUnderstood,
            f"The header '{qn.localname}' from the namespace '{qn.namespace}' was not understood by the "
            "recipient of this message.",
            step=STEP,
            hint=hint,
            header=(qn.namespace or "", qn.localname),
            element=h,
        )
