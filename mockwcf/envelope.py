"""The one parse of a request, and the facts every later step reads from it.

The parser is hardened (no DTD, no entities, no network) and runs once per request; every step
after it works on this tree, which is what keeps the request path near the lxml floor
(performance-floors.md: a second parse of a 4 KB message costs about 15 µs, signxml's nine cost far more).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from mockwcf import codes, ns, soapheaders
from mockwcf.faults import Rejection

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

    @property
    def env_ns(self) -> str:
        return ns.SOAP12 if self.soap12 else ns.SOAP11


def parse(data: bytes) -> Envelope:
    """Parse and classify a request body; anything that is not a SOAP envelope is a 400 as in WCF."""
    head = data[:2048]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data or b"<\x00!\x00D\x00O\x00C" in head:
        raise Rejection(
            codes.MalformedMessage,
            "The request contains a DTD or entity declaration; WCF prohibits DTD processing.",
            step="envelope",
            http_status=400,
        )
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Rejection(
            codes.MalformedMessage,
            f"The request is not well-formed XML: {exc}",
            step="envelope",
            http_status=400,
        ) from None
    if root.getroottree().docinfo.doctype:
        raise Rejection(codes.MalformedMessage, "DTDs are prohibited.", step="envelope", http_status=400)
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == ns.q(ns.SOAP11, "Envelope"):
        soap12 = False
    elif tag == ns.q(ns.SOAP12, "Envelope"):
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
    if header is not None:
        _index_headers(env, header)
    return env


def _index_headers(env: Envelope, header: etree._Element) -> None:
    """The header rules (MessageHeaders, EnvelopeVersion, SecurityVersion) live in soapheaders.py."""
    soapheaders.index(env, header)


def must_understand(env: Envelope, h: etree._Element) -> bool:
    return soapheaders.must_understand(env, h)


def elements(parent: etree._Element) -> list[etree._Element]:
    """Element children only (comments and processing instructions are not header items)."""
    return [c for c in parent if isinstance(c.tag, str)]
