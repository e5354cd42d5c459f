"""Signature-wrapping variants: each takes a fresh, valid request signed over Timestamp, Body and
UsernameToken (seed 001's MutualCertificate binding, tests/wss.py) and rearranges it so that a verifier
that finds signed content by id alone, and a dispatcher that reads the Body, would disagree. Their
expected answers are in expected.yaml (kind: wrapping)."""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree

from mockwcf import ns

S = ns.SOAP11
Variant = Callable[[etree._Element, str], None]  # (envelope root, canary URL) -> changes the tree in place


def _parts(root: etree._Element) -> tuple[etree._Element, etree._Element, etree._Element]:
    header = root.find(f"{{{S}}}Header")
    body = root.find(f"{{{S}}}Body")
    sec = header.find(f"{{{ns.WSSE}}}Security")
    return header, body, sec


def _forge(body: etree._Element, text: str = "transfer everything") -> None:
    body.find(".//{http://tempuri.org/}text").text = text


def _move_signed_body(body: etree._Element, into: etree._Element, keep_id: bool = False) -> None:
    """The signed Body's copy goes into `into`; the real Body is forged (and loses its id unless kept)."""
    etree.SubElement(into, "{urn:attacker}Wrapper").append(copy.deepcopy(body))
    if not keep_id:
        del body.attrib[f"{{{ns.WSU}}}Id"]
    _forge(body)


def body_moved_into_header_wrapper(root: etree._Element, canary: str) -> None:
    header, body, _ = _parts(root)
    _move_signed_body(body, header)


def body_copy_in_header_keeps_id(root: etree._Element, canary: str) -> None:
    header, body, _ = _parts(root)
    _move_signed_body(body, header, keep_id=True)


def body_moved_into_security_header(root: etree._Element, canary: str) -> None:
    _, body, sec = _parts(root)
    _move_signed_body(body, sec)


def body_moved_into_signature_object(root: etree._Element, canary: str) -> None:
    _, body, sec = _parts(root)
    _move_signed_body(body, etree.SubElement(sec.find(f"{{{ns.DS}}}Signature"), f"{{{ns.DS}}}Object"))


def forged_body_carries_plain_id(root: etree._Element, canary: str) -> None:
    """The signed Body goes to a header; the forged one has Id="Body-1" without the wsu namespace."""
    header, body, _ = _parts(root)
    _move_signed_body(body, header)
    body.set("Id", "Body-1")


def signed_operation_element_moved_into_body_wrapper(root: etree._Element, canary: str) -> None:
    """Body keeps its id and digest input changes: the operation element is wrapped inside the Body."""
    _, body, _ = _parts(root)
    op = body[0]
    wrapper = etree.Element("{urn:attacker}Wrapper")
    body.remove(op)
    wrapper.append(op)
    forged = copy.deepcopy(op)
    _forge(forged)
    body.append(forged)
    body.append(wrapper)


def timestamp_moved_out_of_security(root: etree._Element, canary: str) -> None:
    header, _, sec = _parts(root)
    ts = sec.find(f"{{{ns.WSU}}}Timestamp")
    sec.remove(ts)
    etree.SubElement(header, "{urn:attacker}Wrapper").append(ts)


def second_timestamp_in_security(root: etree._Element, canary: str) -> None:
    _, _, sec = _parts(root)
    ts = sec.find(f"{{{ns.WSU}}}Timestamp")
    forged = copy.deepcopy(ts)
    del forged.attrib[f"{{{ns.WSU}}}Id"]
    sec.insert(0, forged)


def signed_security_header_for_another_actor(root: etree._Element, canary: str) -> None:
    """The signed Security header is addressed to another actor; an unsigned one takes its place."""
    header, body, sec = _parts(root)
    sec.set(f"{{{S}}}actor", "urn:attacker:relay")
    forged = etree.SubElement(header, f"{{{ns.WSSE}}}Security")
    forged.set(f"{{{S}}}mustUnderstand", "1")
    _forge(body)


def reference_to_external_uri(root: etree._Element, canary: str) -> None:
    _, body, sec = _parts(root)
    ref = sec.find(f".//{{{ns.DS}}}Reference[@URI='#Body-1']")
    ref.set("URI", canary + "/body")
    del body.attrib[f"{{{ns.WSU}}}Id"]
    _forge(body)


def reference_to_whole_document(root: etree._Element, canary: str) -> None:
    _, body, sec = _parts(root)
    ref = sec.find(f".//{{{ns.DS}}}Reference[@URI='#Body-1']")
    ref.set("URI", "")
    _forge(body)


def xpath_transform_selects_signed_copy(root: etree._Element, canary: str) -> None:
    _, body, sec = _parts(root)
    ref = sec.find(f".//{{{ns.DS}}}Reference[@URI='#Body-1']")
    transforms = ref.find(f"{{{ns.DS}}}Transforms")
    xpath = etree.SubElement(transforms, f"{{{ns.DS}}}Transform")
    xpath.set("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
    etree.SubElement(xpath, f"{{{ns.DS}}}XPath").text = "ancestor-or-self::*[local-name()='Wrapper']"
    _forge(body)


def body_id_on_a_header_duplicate(root: etree._Element, canary: str) -> None:
    """A header element claims the Body's id first in document order."""
    header, body, _ = _parts(root)
    decoy = copy.deepcopy(body)
    decoy.tag = "{urn:attacker}Decoy"
    header.insert(0, decoy)
    _forge(body)


VARIANTS: dict[str, Variant] = {
    f.__name__.replace("_", "-"): f
    for f in (
        body_moved_into_header_wrapper,
        body_copy_in_header_keeps_id,
        body_moved_into_security_header,
        body_moved_into_signature_object,
        forged_body_carries_plain_id,
        signed_operation_element_moved_into_body_wrapper,
        timestamp_moved_out_of_security,
        second_timestamp_in_security,
        signed_security_header_for_another_actor,
        reference_to_external_uri,
        reference_to_whole_document,
        xpath_transform_selects_signed_copy,
        body_id_on_a_header_duplicate,
    )
}
