"""SOAP header attributes and locating the wsse:Security header, as WCF's MessageHeaders and SecurityVersion do.

- MessageHeader.GetHeaderAttributes reads every header's mustUnderstand (and SOAP 1.2 relay) with
  MessageHeader.ToBoolean: "1"/"true"/"0"/"false" after XML white-space trimming (XmlConvert.ToBoolean), in
  either SOAP version; anything else is an XmlException while the message is read (HTTP 400). The actor
  (SOAP 1.1 `actor`, SOAP 1.2 `role`) is taken as written.
- EnvelopeVersion: the ultimate-destination actors are "" and http://schemas.xmlsoap.org/soap/actor/next for
  SOAP 1.1; "", .../role/ultimateReceiver and .../role/next for SOAP 1.2. MessageHeaders.ReadBufferedHeader
  recognises WS-Addressing headers only when addressed to one of them.
- SecurityVersion.TryCreateReceiveSecurityHeader: the Security header with actor "" first; if there is none,
  the one addressed to any ultimate-destination actor. MessageHeaders.FindHeader refuses a second match
  (MultipleMessageHeadersWithActor / MultipleMessageHeaders).
- DispatchOperationRuntime.ValidateMustUnderstand -> MessageHeaders.GetHeadersNotUnderstood: every
  mustUnderstand header nobody understood fails, whatever its actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from mockwcf import codes, ns, xmlread
from mockwcf.faults import Rejection

if TYPE_CHECKING:
    from mockwcf.envelope import Envelope

NEXT_11 = "http://schemas.xmlsoap.org/soap/actor/next"
ULTIMATE_12 = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
NEXT_12 = "http://www.w3.org/2003/05/soap-envelope/role/next"
_ULTIMATE = {False: ("", NEXT_11), True: ("", ULTIMATE_12, NEXT_12)}


def malformed(message: str, element: etree._Element | None = None) -> Rejection:
    """An XmlException while WCF reads the message: HTTP 400 without a SOAP body."""
    return Rejection(codes.MalformedMessage, message, step="envelope", http_status=400, element=element)


def envelope_parts(root: etree._Element, env_ns: str) -> tuple[etree._Element | None, etree._Element]:
    """ReceivedMessage: ReadStartEnvelope, an optional Header (HasHeaderElement), then VerifyStartBody: the
    next element must be the Body (MessageBodyMissing otherwise: a second Header, anything before the Body, or
    non-white text). An empty Body is read to its end at once (ReadStartBody -> ReadFromBodyContentsToEnd),
    so `</Envelope>` must follow it; after a non-empty Body that check waits for the formatter (design.md)."""
    header_tag, body_tag = _PART_TAGS[env_ns]
    # one walk to the first element that is not the Header, noting whether any text before it is not white
    text = root.text
    white = not text or not text.strip(xmlread.XML_WHITE)
    header = first = None
    for child in root:
        tag = child.tag
        if type(child) is xmlread.ELEMENT or isinstance(tag, str):
            if header is None and tag == header_tag:
                header = child
            else:
                first = child
                break
        tail = child.tail
        if tail and tail.strip(xmlread.XML_WHITE):
            white = False
    if first is None or first.tag != body_tag or not white:
        found = etree.QName(first).localname if first is not None else "nothing"
        raise malformed(
            f"The Envelope must hold an optional Header and then the Body; after "
            f"{'the Header' if header is not None else 'the Envelope start'} WCF found {found} "
            "(MessageBodyMissing).",
        )
    if header is not None:
        try:  # MessageHeaders.Init: `while (reader.IsStartElement()) ...; reader.ReadEndElement()`
            xmlread.children(header)
        except xmlread.ReadError as exc:
            raise malformed(f"{exc} (MessageHeaders reads only header elements)", header) from None
    body = first
    if _is_empty(body) and (
        not xmlread.is_white(body.tail)
        or any(isinstance(n.tag, str) or not xmlread.is_white(n.tail) for n in body.itersiblings())
    ):
        raise malformed(
            "Something follows the empty Body; WCF reads </Body></Envelope> right away (ReadFromBodyContentsToEnd).",
        )
    return header, body


def _is_empty(body: etree._Element) -> bool:
    """No element child and only white text: what ReadStartBody treats as an empty Body."""
    if len(body) and any(type(c) is xmlread.ELEMENT or isinstance(c.tag, str) for c in body):
        return False
    return xmlread.is_white(body.text)


_PART_TAGS = {v: (ns.q(v, "Header"), ns.q(v, "Body")) for v in (ns.SOAP11, ns.SOAP12)}


def ultimate_actors(soap12: bool) -> tuple[str, ...]:
    """EnvelopeVersion.UltimateDestinationActorValues (also its MustUnderstandActorValues)."""
    return _ULTIMATE[soap12]


def to_boolean(value: str) -> bool:
    """MessageHeader.ToBoolean -> XmlConvert.ToBoolean."""
    trimmed = xmlread.trim(value)
    if trimmed in ("1", "true"):
        return True
    if trimmed in ("0", "false"):
        return False
    raise ValueError(value)


# Clark names by SOAP version (soap12 False/True), built once: every header of every request is asked
_ACTOR = {False: ns.q(ns.SOAP11, "actor"), True: ns.q(ns.SOAP12, "role")}
_MUST_UNDERSTAND = {v: ns.q(ns.SOAP12 if v else ns.SOAP11, "mustUnderstand") for v in (False, True)}
_BOOLEAN_ATTRIBUTES = {
    False: (("mustUnderstand", _MUST_UNDERSTAND[False]),),
    True: (("mustUnderstand", _MUST_UNDERSTAND[True]), ("relay", ns.q(ns.SOAP12, "relay"))),
}
_SECURITY = ns.q(ns.WSSE, "Security")
_ADDRESSING = {ns.q(ns.WSA10, n): n for n in ("Action", "MessageID", "To")}
_ENVELOPE_FIELD = {"Action": "action", "MessageID": "message_id", "To": "to"}


def actor(env: Envelope, h: etree._Element) -> str:
    return h.get(_ACTOR[env.soap12], "")


def must_understand(env: Envelope, h: etree._Element) -> bool:
    value = h.get(_MUST_UNDERSTAND[env.soap12])
    return value is not None and to_boolean(value)


def _check_attributes(env: Envelope, h: etree._Element) -> None:
    for name, clark in _BOOLEAN_ATTRIBUTES[env.soap12]:
        value = h.get(clark)
        if value is None:
            continue
        try:
            to_boolean(value)
        except ValueError:
            raise malformed(
                f"The {name} attribute of header '{etree.QName(h).localname}' is {value!r}; WCF reads it with "
                "XmlConvert.ToBoolean, which takes only 1, true, 0 or false, and fails reading the message.",
            ) from None


def index(env: Envelope, header: etree._Element) -> None:
    """Read every header's attributes, pick the Security header, note the WS-Addressing values."""
    ultimate = ultimate_actors(env.soap12)
    securities: list[tuple[etree._Element, str]] = []
    actor_attribute = _ACTOR[env.soap12]
    for h in header:
        if type(h) is not xmlread.ELEMENT and not isinstance(h.tag, str):
            continue
        _check_attributes(env, h)
        tag = h.tag
        who = h.get(actor_attribute, "")  # `actor`, without a call per header
        if tag == _SECURITY:
            securities.append((h, who))
        elif (local := _ADDRESSING.get(tag)) is not None and who in ultimate:
            # ActionHeader.ReadHeaderValue: ReadElementContentAsString, XmlUtil.Trim when an end is white;
            # a child element makes the read an XmlException while the message is read (HTTP 400)
            try:
                text = xmlread.trim(xmlread.content(h))
            except xmlread.ReadError as exc:
                raise malformed(f"wsa:{local} cannot be read: {exc}", h) from None
            setattr(env, _ENVELOPE_FIELD[local], text)
    empty = [h for h, who in securities if who == ""]
    chosen = empty or [h for h, who in securities if who in ultimate]
    if len(chosen) > 1:
        env.security_duplicate = (
            f"There are {len(chosen)} wsse:Security headers addressed to "
            + (
                "actor ''"
                if empty
                else "the ultimate receiver (" + ", ".join(repr(a) for a in ultimate) + ")"
            )
            + "; WCF's MessageHeaders.FindHeader refuses more than one (MultipleMessageHeaders)."
        )
    env.security = chosen[0] if chosen else None
    env.other_security = [h for h, _ in securities if h is not env.security]
