"""The one parse of a request, and the facts every later step reads from it.

The parser is hardened (no DTD, no entities, no network) and runs once per request; every step
after it works on this tree, which is what keeps the request path near the lxml floor
(performance-floors.md: a second parse of a 4 KB message costs about 15 µs, signxml's nine cost far more).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from mockwcf import codes, ns, quotas, soapheaders, xmlread
from mockwcf.faults import Rejection
from mockwcf.limits import ReaderQuotas

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
    collect_ids=False,
)

WSU_ID = ns.q(ns.WSU, "Id")
_ENVELOPE_11, _ENVELOPE_12 = ns.q(ns.SOAP11, "Envelope"), ns.q(ns.SOAP12, "Envelope")
_ELEMENT = xmlread.ELEMENT


@dataclass
class Envelope:
    """A parsed request: the tree plus what routing and security need to find quickly."""

    root: etree._Element
    soap12: bool
    header: etree._Element | None
    body: etree._Element
    payload: etree._Element | None  # first element child of Body (the operation wrapper)
    security: etree._Element | None = None  # wsse:Security for the ultimate receiver
    other_security: list[etree._Element] = field(default_factory=list)  # not the one WCF picks
    security_duplicate: str | None = None  # why FindHeader would refuse the Security headers
    action: str | None = None  # wsa:Action text
    message_id: str | None = None
    to: str | None = None
    # an XmlException WCF's formatter would meet reading the Body (a quota, a processing instruction):
    # raised as DeserializationFailed at dispatch, after security, where WCF meets it
    body_error: str | None = None

    @property
    def env_ns(self) -> str:
        return ns.SOAP12 if self.soap12 else ns.SOAP11


_DEFAULT_QUOTAS = ReaderQuotas()
_PI_MESSAGE = "Processing instructions (other than the XML declaration) and DTDs are not supported."


def parse(data: bytes, reader_quotas: ReaderQuotas = _DEFAULT_QUOTAS) -> Envelope:
    """Parse and classify a request body; anything that is not a SOAP envelope is a 400 as in WCF."""
    head = data[:2048]
    bang = b"!" in data  # a DTD, an entity, a comment or CDATA all need one: a single memchr rules them out
    if bang and (b"<!DOCTYPE" in head or b"<!ENTITY" in data or b"<\x00!\x00D\x00O\x00C" in head):
        raise Rejection(
            codes.MalformedMessage,
            "The request contains a DTD or entity declaration; WCF prohibits DTD processing.",
            step="envelope",
            http_status=400,
        )
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc):  # libxml2 stops at 256 levels, long after WCF's quota
            limit = reader_quotas.max_depth
            raise Rejection(
                codes.XmlMaxDepthExceeded,
                quotas.MESSAGES[codes.XmlMaxDepthExceeded].format(limit),
                step="envelope",
                http_status=400,
            ) from None
        raise Rejection(
            codes.MalformedMessage,
            f"The request is not well-formed XML: {exc}",
            step="envelope",
            http_status=400,
        ) from None
    if bang and root.getroottree().docinfo.doctype:  # a DOCTYPE needs a '!'; docinfo costs about 1 µs
        raise Rejection(codes.MalformedMessage, "DTDs are prohibited.", step="envelope", http_status=400)
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == _ENVELOPE_11:
        soap12 = False
    elif tag == _ENVELOPE_12:
        soap12 = True
    else:
        raise Rejection(
            codes.MalformedMessage,
            f"The root element is {tag or 'not an element'}, not a SOAP 1.1 or 1.2 Envelope.",
            step="envelope",
            http_status=400,
        )
    env_ns = ns.SOAP12 if soap12 else ns.SOAP11
    header, body = soapheaders.envelope_parts(root, env_ns)
    payload = next((c for c in body if isinstance(c.tag, str)), None)
    env = Envelope(root=root, soap12=soap12, header=header, body=body, payload=payload)
    after = body.getnext()
    while after is not None and not isinstance(after.tag, str):
        after = after.getnext()
    if after is not None:  # a second Body, a late Header: met when the formatter reads to </Envelope>
        qn = etree.QName(after)
        env.body_error = (
            f"End element 'Envelope' from namespace '{env_ns}' expected. Found element '{qn.localname}' from "
            f"namespace '{qn.namespace or ''}'."
        )
    if contains_pair(data, b"<?", 1):
        _processing_instructions(env)
    markup = bang and contains_pair(data, b"<!")  # comments or CDATA (a DTD was refused above)
    violation = quotas.check(data, root, body, reader_quotas, markup)
    if violation is not None:
        if not violation.in_body:
            raise Rejection(violation.code, violation.message, step="envelope", http_status=400)
        env.body_error = env.body_error or violation.message
    if markup:
        _join_text_around_comments(body)
    if header is not None:
        _index_headers(env, header)
    return env


def contains_pair(data: bytes, pair: bytes, start: int = 0) -> bool:
    """`data.find(pair, start) >= 0` for a two-byte `pair` starting with '<'. CPython's two-byte search stops at
    every '<' of the request (about 3.5 µs on a 4 KB signed one); a memchr for the second byte, rare in SOAP
    ('!', '?'), then a look at the byte before it, costs about 0.1 µs. Many hits fall back to the plain search."""
    lead, mark = pair[0], pair[1:]
    i = data.find(mark, start + 1)
    for _ in range(8):
        if i < 0:
            return False
        if data[i - 1] == lead:
            return True
        i = data.find(mark, i + 1)
    return i >= 0 and data.find(pair, i - 1) >= 0


def _processing_instructions(env: Envelope) -> None:
    """XmlUTF8TextReader refuses every processing instruction but the XML declaration
    (SR XmlProcessingInstructionNotSupported): before the Body when the message is read (400), inside
    it when the formatter reads the parameters."""
    outside = env.root.getprevious() is not None or env.root.getnext() is not None
    for pi in env.root.iter(etree.PI):
        if any(a is env.body for a in pi.iterancestors()):
            env.body_error = env.body_error or _PI_MESSAGE
        else:
            outside = True
    if outside:
        raise soapheaders.malformed(_PI_MESSAGE)


def _join_text_around_comments(body: etree._Element) -> None:
    """A comment splits lxml's text (`a<!--x-->b` is text "a" and a tail "b"), while WCF's reader reads
    the element's whole content "ab" and exclusive c14n (which signed it) drops the comment. So comments
    in the Body are removed and the text on both sides joined: the operation gets the text that was signed."""
    for comment in list(body.iter(etree.Comment)):
        parent = comment.getparent()
        if parent is None:
            continue
        tail = comment.tail or ""
        prev = comment.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(comment)


def _index_headers(env: Envelope, header: etree._Element) -> None:
    """The header rules (MessageHeaders, EnvelopeVersion, SecurityVersion) live in soapheaders.py."""
    soapheaders.index(env, header)


def must_understand(env: Envelope, h: etree._Element) -> bool:
    return soapheaders.must_understand(env, h)


def elements(parent: etree._Element) -> list[etree._Element]:
    """Element children only (comments and processing instructions are not header items)."""
    return [c for c in parent if type(c) is _ELEMENT or isinstance(c.tag, str)]
