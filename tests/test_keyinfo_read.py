"""keyinfo_read's one-child path against its general reader, on generated KeyInfo and STR shapes.

An STR or KeyInfo holding one element child and white space is read without a children() list or a Sequence
(keyinfo_read.only_child); every other content goes through the reader (RS IM/Tokens/XmlDsigSep2000.cs
KeyInfoEntry, WSSecurityJan2004.cs SecurityTokenReferenceJan2004ClauseEntry). Both must give the same clauses,
or the same rejection (code, message, blamed element), on any shape.
"""

from __future__ import annotations

import random

import pytest
from lxml import etree

from mockwcf import ns
from mockwcf.security import keyinfo_read
from tests.shapes import commented, outcome, sprinkle

WSSE, DS = ns.WSSE, ns.DS


def _reference(rng: random.Random) -> etree._Element:
    ref = etree.Element(f"{{{WSSE}}}Reference")
    uri = rng.choice(["#a", "a", "", None, "#", "urn:uuid:1"])
    if uri is not None:
        ref.set("URI", uri)
    value_type = rng.choice([None, None, f"{ns.WSC}/sct", ns.X509V3])
    if value_type:
        ref.set("ValueType", value_type)
    if rng.random() < 0.15:
        etree.SubElement(ref, f"{{{WSSE}}}Extra")
    return ref


def _key_identifier(rng: random.Random) -> etree._Element:
    kid = etree.Element(f"{{{WSSE}}}KeyIdentifier")
    value_type = rng.choice([ns.SKI_VALUE_TYPE, ns.THUMBPRINT_VALUE_TYPE, ns.ENCRYPTED_KEY_SHA1, None])
    if value_type:
        kid.set("ValueType", value_type)
    encoding = rng.choice([None, ns.BASE64_ENCODING, ns.HEX_ENCODING, ns.TEXT_ENCODING, "urn:y"])
    if encoding:
        kid.set("EncodingType", encoding)
    kid.text = rng.choice(["AAAA", "00ff", "!!", "", " QUJD ", None])
    return kid


def _x509data(rng: random.Random) -> etree._Element:
    xd = etree.Element(f"{{{DS}}}X509Data")
    for _ in range(rng.choice([0, 1, 1, 2])):
        kind = rng.choice(["issuer serial", "certificate", "ski", "other"])
        if kind == "issuer serial":
            iss = etree.SubElement(xd, f"{{{DS}}}X509IssuerSerial")
            if rng.random() < 0.9:
                etree.SubElement(iss, f"{{{DS}}}X509IssuerName").text = "CN=a"
            if rng.random() < 0.9:
                etree.SubElement(iss, f"{{{DS}}}X509SerialNumber").text = "12"
        elif kind == "certificate":
            etree.SubElement(xd, f"{{{DS}}}X509Certificate").text = "AAAA"
        elif kind == "ski":
            etree.SubElement(xd, f"{{{DS}}}X509SKI").text = rng.choice(["AAAA", "!"])
        else:
            etree.SubElement(xd, f"{{{DS}}}Other")
    return xd


def _str(rng: random.Random) -> etree._Element:
    s = etree.Element(f"{{{WSSE}}}SecurityTokenReference")
    makers = [_reference, _reference, _key_identifier, _x509data, lambda r: etree.Element(f"{{{DS}}}KeyName")]
    for _ in range(rng.choice([0, 1, 1, 1, 1, 2])):
        s.append(rng.choice(makers)(rng))
    return sprinkle(rng, s)


def _keyinfo(rng: random.Random) -> etree._Element:
    k = etree.Element(f"{{{DS}}}KeyInfo")
    makers = [_str, _str, _str, _x509data, lambda r: etree.Element(f"{{{DS}}}KeyName")]
    makers.append(lambda r: etree.Element(f"{{{DS}}}Unknown"))
    for _ in range(rng.choice([0, 1, 1, 1, 1, 2])):
        k.append(rng.choice(makers)(rng))
    return sprinkle(rng, k, 0.2)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("wss11", [True, False])
def test_one_child_path_reads_keyinfo_as_the_reader_does(seed, wss11):
    rng = random.Random(seed)
    fast_taken = 0
    for _ in range(250):
        keyinfo = _keyinfo(rng)
        only = keyinfo_read.only_child(keyinfo)
        fast_taken += only is not None and only.tag == f"{{{WSSE}}}SecurityTokenReference"
        shape = etree.tostring(keyinfo)
        fast = outcome(keyinfo_read.read, keyinfo, wss11)
        assert fast == outcome(keyinfo_read.read, commented(keyinfo), wss11), shape
    assert fast_taken > 30  # the shapes exercise the one-child path, not only the reader


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("wss11", [True, False])
def test_one_child_path_reads_an_str_as_the_reader_does(seed, wss11):
    rng = random.Random(100 + seed)
    fast_taken = 0
    for _ in range(250):
        str_el = _str(rng)
        fast_taken += keyinfo_read.only_child(str_el) is not None
        shape = etree.tostring(str_el)
        fast = outcome(keyinfo_read.read_str, str_el, wss11)
        assert fast == outcome(keyinfo_read.read_str, commented(str_el), wss11), shape
    assert fast_taken > 50


@pytest.mark.parametrize(
    "content,child",
    [
        ("<a/>", "a"),
        (" \n<a/>\t", "a"),
        ("<!--c--><a/>", None),  # two child nodes: the reader's path
        ("<?p?><a/>", None),
        ("<a/><!--c-->", None),
        ("x<a/>", None),  # text: the reader refuses it
        ("<a/>x", None),
        ("\u00a0<a/>", None),  # NBSP is not XML white space
        ("<!--c-->", None),  # one child node that is not an element
        ("<?p?>", None),
        ("", None),
        ("<a/><b/>", None),
    ],
)
def test_only_child_is_one_element_and_xml_white_space(content, child):
    parent = etree.fromstring(f"<p>{content}</p>")
    only = keyinfo_read.only_child(parent)
    assert (only.tag if only is not None else None) == child
