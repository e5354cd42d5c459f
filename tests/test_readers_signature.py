"""ds:Signature read and resolved the way WCF's XmlDsig classes do it (issue 14).

RS IM/SignedXml.cs: Signature.ReadFrom, StandardSignedInfo.ReadFrom, Reference.ReadFrom, TransformChain.ReadFrom,
ElementWithAlgorithmAttribute.ReadFrom, Reference.ExtractReferredId, StandardSignedInfo.EnsureAllReferencesVerified;
RS IM/ExclusiveCanonicalizationTransform.cs ReadFrom (comments); RS SM/Security/
WSSecurityOneDotZeroReceiveSecurityHeader.cs ValidateDigestsOfTargetsInSecurityHeader.

Requests start as seed 001's accepted request, signed by python-xmlsec; a test that changes SignedInfo signs
it again with `cryptography` (RSA-SHA1 over the exclusive c14n of SignedInfo), so every signature is real.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from mockwcf import ns
from tests import shapes, wss
from tests.conftest import CERTS, SCENARIOS

SEED001 = SCENARIOS / "seed001-mutual-certificate.yaml"
KEY, CERT = CERTS / "client.key", CERTS / "client.pem"
DS = f"{{{ns.DS}}}"


def _doc() -> etree._Element:
    items = [wss.timestamp(), wss.bst(CERT), wss.username_token()]
    text = wss.sign(wss.envelope(wss.security(*items)), KEY, CERT, ["TS-1", "Body-1", "UT-1"])
    return etree.fromstring(text.encode())


def _c14n(el: etree._Element, comments: bool = False) -> bytes:
    return etree.tostring(el, method="c14n", exclusive=True, with_comments=comments)


def _resign(root: etree._Element, key: Path = KEY) -> str:
    """A new SignatureValue over the exclusive c14n of SignedInfo (RSA-SHA1, what seed 001's suite takes)."""
    si = root.find(f".//{DS}SignedInfo")
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    value = private.sign(_c14n(si), padding.PKCS1v15(), hashes.SHA1())
    root.find(f".//{DS}SignatureValue").text = base64.b64encode(value).decode()
    return etree.tostring(root).decode()


def _add_reference(root: etree._Element, uri: str | None, digest_of: etree._Element | None = None) -> None:
    si = root.find(f".//{DS}SignedInfo")
    attrs = {"URI": uri} if uri is not None else {}
    ref = etree.SubElement(si, f"{DS}Reference", attrs)
    transforms = etree.SubElement(ref, f"{DS}Transforms")
    etree.SubElement(transforms, f"{DS}Transform", Algorithm=ns.EXC_C14N)
    etree.SubElement(ref, f"{DS}DigestMethod", Algorithm=ns.SHA1)
    data = _c14n(digest_of) if digest_of is not None else b"external"
    etree.SubElement(ref, f"{DS}DigestValue").text = base64.b64encode(hashlib.sha1(data).digest()).decode()


def _post(server, body: str):
    resp = wss.post(server.url, body)
    return resp


@pytest.mark.mockwcf_scenario(SEED001)
def test_the_unchanged_request_is_accepted(mockwcf_server):
    """The baseline every other test changes one thing in (and the re-signing helper keeps it valid)."""
    resp = _post(mockwcf_server, _resign(_doc()))
    assert resp.status_code == 200, resp.text


@pytest.mark.mockwcf_scenario(SEED001)
@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/external.xml",  # external: no '#'
        "Body-1",  # a bare id
        "#",  # '#' alone (uri.Length < 2)
        None,  # no URI attribute
        "",  # the whole document: referred id "" matches no wsu:Id
        "#xpointer(id('Body-1'))",  # XPointer: taken literally as an id
        "#xpointer(/)",
    ],
)
def test_reference_extractreferredid_every_reference_must_resolve(mockwcf_server, uri):
    """Reference.ExtractReferredId / EnsureAllReferencesVerified: a reference WCF cannot resolve is never skipped."""
    root = _doc()
    body = root.find(f"{{{ns.SOAP11}}}Body")
    _add_reference(root, uri, digest_of=body)
    resp = _post(mockwcf_server, _resign(root))
    assert resp.status_code == 500
    assert b"InvalidSecurity" in resp.content
    entry = mockwcf_server.assert_fault("UnableToResolveReferenceUriForSignature")
    assert repr(uri)[1:-1] in entry.reason or uri is None


@pytest.mark.mockwcf_scenario(SEED001)
def test_reference_to_a_plain_id_attribute_does_not_sign_the_body(mockwcf_server):
    """WSSecurityJan2004.IdManager.ExtractId reads wsu:Id only: a Body with Id="..." is not the signed Body."""
    root = _doc()
    body = root.find(f"{{{ns.SOAP11}}}Body")
    del body.attrib[f"{{{ns.WSU}}}Id"]
    body.set("Id", "Body-1")
    resp = _post(mockwcf_server, _resign(root))
    assert resp.status_code == 500
    mockwcf_server.assert_fault("RequiredMessagePartNotSignedNs")


def _body_with_comment_under_withcomments(digest_comments: bool) -> str:
    """The Body gains a comment and its Reference the #WithComments transform; the digest is taken with or
    without the comment, as a signer that keeps or drops comments would take it."""
    root = _doc()
    body = root.find(f"{{{ns.SOAP11}}}Body")
    body[0].append(etree.Comment(" a comment "))
    for ref in root.iter(f"{DS}Reference"):
        if ref.get("URI") == "#Body-1":
            ref.find(f"{DS}Transforms/{DS}Transform").set("Algorithm", ns.EXC_C14N_COMMENTS)
            digest = hashlib.sha1(_c14n(body, comments=digest_comments)).digest()
            ref.find(f"{DS}DigestValue").text = base64.b64encode(digest).decode()
    return _resign(root)


@pytest.mark.mockwcf_scenario(SEED001)
def test_exclusive_c14n_with_comments_keeps_no_comments_for_id_references(mockwcf_server):
    """ExclusiveCanonicalizationTransform.ReadFrom: #WithComments includes comments only for XPointer URIs."""
    resp = _post(mockwcf_server, _body_with_comment_under_withcomments(digest_comments=True))
    wss.expect(mockwcf_server, resp, "DigestVerificationFailedForReference")
    resp = _post(mockwcf_server, _body_with_comment_under_withcomments(digest_comments=False))
    wss.expect(mockwcf_server, resp, None)


def _move(root: etree._Element, path: str, before: str | None) -> None:
    """Move the element at `path` before the sibling at `before` (None: to the end of its parent)."""
    el = root.find(path)
    parent = el.getparent()
    parent.remove(el)
    if before is None:
        parent.append(el)
    else:
        parent.find(before).addprevious(el)


def _sig(p: str) -> str:
    return f".//{DS}Signature/{p}"


def _si(p: str) -> str:
    return f".//{DS}SignedInfo/{p}"


STRUCTURE = {
    "SignatureMethod before CanonicalizationMethod": lambda r: _move(
        r, _si(f"{DS}SignatureMethod"), f"{DS}CanonicalizationMethod"
    ),
    "Reference before SignatureMethod": lambda r: _move(r, _si(f"{DS}Reference"), f"{DS}SignatureMethod"),
    "KeyInfo before SignatureValue": lambda r: _move(r, _sig(f"{DS}KeyInfo"), f"{DS}SignatureValue"),
    "SignatureValue before SignedInfo": lambda r: _move(r, _sig(f"{DS}SignatureValue"), f"{DS}SignedInfo"),
    "DigestValue before DigestMethod": lambda r: _move(
        r, _si(f"{DS}Reference/{DS}DigestValue"), f"{DS}DigestMethod"
    ),
    "ds:Object after KeyInfo": lambda r: etree.SubElement(r.find(f".//{DS}Signature"), f"{DS}Object"),
    "no SignatureValue": lambda r: r.find(f".//{DS}Signature").remove(r.find(_sig(f"{DS}SignatureValue"))),
    "a second SignedInfo": lambda r: r.find(f".//{DS}Signature").insert(1, etree.Element(f"{DS}SignedInfo")),
    "DigestMethod without Algorithm": lambda r: r.find(_si(f"{DS}Reference/{DS}DigestMethod")).attrib.clear(),
    "SignatureMethod with a child": lambda r: etree.SubElement(
        r.find(_si(f"{DS}SignatureMethod")), f"{DS}HMACOutputLength"
    ),
    "text inside SignedInfo": lambda r: setattr(r.find(_si(f"{DS}SignatureMethod")), "tail", "text"),
    "a foreign element in Transforms": lambda r: etree.SubElement(
        r.find(_si(f"{DS}Reference/{DS}Transforms")), "{urn:x}Other"
    ),
    "SignatureValue not base64": lambda r: setattr(r.find(_sig(f"{DS}SignatureValue")), "text", "@@@@"),
}


@pytest.mark.mockwcf_scenario(SEED001)
@pytest.mark.parametrize("change", sorted(STRUCTURE))
def test_signedxml_readfrom_element_order_and_cardinality(mockwcf_server, change):
    """Signature/StandardSignedInfo/Reference.ReadFrom read their children strictly in order, once each."""
    root = _doc()
    STRUCTURE[change](root)
    resp = _post(mockwcf_server, etree.tostring(root).decode())
    assert resp.status_code == 500
    entry = mockwcf_server.assert_fault("MessageSecurityVerificationFailed")
    assert "cannot be read" in entry.reason


@pytest.mark.mockwcf_scenario(SEED001)
def test_white_space_and_comments_between_signature_elements_are_skipped(mockwcf_server):
    """MoveToContent skips white space and comments, so a pretty-printed Signature reads the same."""
    root = _doc()
    for el in root.find(f".//{DS}Signature").iter():
        if el.tag in (f"{DS}SignatureMethod", f"{DS}Transforms", f"{DS}KeyInfo"):
            el.addprevious(etree.Comment(" c "))
    resp = _post(mockwcf_server, _resign(root))
    assert resp.status_code == 200, resp.text


CERT_TWMC = SCENARIOS / "certificate-expired.yaml"  # basicHttp TransportWithMessageCredential, Certificate
WSHTTP_CERT_TWMC = wss.wshttp_certificate_over_transport(CERTS)


@pytest.mark.mockwcf_scenario(CERT_TWMC)
@pytest.mark.parametrize(
    "refs,code", [(["TS-1"], None), (["TS-1", "Body-1"], "UnableToResolveReferenceUriForSignature")]
)
def test_completesignatureverification_endorsing_signature_over_transport(mockwcf_server, refs, code):
    """ProcessSupportingSignature -> VerifySignature(non-primary) verifies the Timestamp reference only, then
    SignedXml.CompleteSignatureVerification -> EnsureAllReferencesVerified refuses any other reference."""
    doc = wss.envelope(wss.security(wss.timestamp(), wss.bst(CERT)))
    wss.expect(mockwcf_server, _post(mockwcf_server, wss.sign(doc, KEY, CERT, refs)), code)


@pytest.mark.mockwcf_scenario(WSHTTP_CERT_TWMC)
def test_to_header_is_checked_only_when_an_endorsing_signature_is_verified(mockwcf_server):
    """The 'unsigned To' check lives in VerifySignature: with no endorsing signature at all the supporting
    token is simply not endorsing (VerifySupportingToken)."""
    doc = wss.envelope(
        wss.addressing() + wss.security(wss.timestamp(), wss.bst(CERT), soap12=True), soap12=True
    )
    resp = wss.post(mockwcf_server.url, doc, soap12=True)
    wss.expect(mockwcf_server, resp, "SupportingTokenIsNotEndorsing")


def _read_both(sig: etree._Element) -> tuple[object, object]:
    """What `parse` (the one-walk path for the usual shape) and the element-by-element reader make of `sig`:
    the fields, or the rejection's code and message."""
    from mockwcf.faults import Rejection
    from mockwcf.security import signature_read

    def fields(read: object) -> object:
        try:
            p = read(sig, False)  # type: ignore[operator]
        except Rejection as rej:
            return rej.code, rej.message
        refs = [(r.uri, r.target_id, r.transforms, r.digest_method, r.digest_value) for r in p.references]
        return (
            p.signed_info,
            p.c14n_method,
            p.c14n_prefixes,
            p.method,
            p.value,
            refs,
            [str(c) for c in p.clauses],
        )

    return fields(signature_read.parse), fields(signature_read.read_in_order)


_SHAPES = {
    "as sent": lambda sig: None,
    "indented": lambda sig: etree.indent(sig),
    "inclusive namespaces": lambda sig: etree.SubElement(
        sig.find(f".//{DS}Transform"), f"{{{ns.EC}}}InclusiveNamespaces", PrefixList="s #default"
    ),
    "comment in SignedInfo": lambda sig: sig.find(f"{DS}SignedInfo").insert(1, etree.Comment("x")),
    "text in SignatureMethod": lambda sig: setattr(sig.find(f".//{DS}SignatureMethod"), "text", "x"),
    "no Transforms": lambda sig: sig.find(f".//{DS}Reference").remove(sig.find(f".//{DS}Transforms")),
    "empty Transforms": lambda sig: sig.find(f".//{DS}Transforms").remove(sig.find(f".//{DS}Transform")),
    "unknown transform": lambda sig: sig.find(f".//{DS}Transform").set("Algorithm", ns.SHA1),
    "bad digest base64": lambda sig: setattr(sig.find(f".//{DS}DigestValue"), "text", "!!"),
    "no Algorithm": lambda sig: sig.find(f".//{DS}DigestMethod").attrib.clear(),
    "extra element": lambda sig: etree.SubElement(sig, f"{DS}Object"),
    "text after SignedInfo": lambda sig: setattr(sig.find(f"{DS}SignedInfo"), "tail", "x"),
}


@pytest.mark.parametrize("shape", list(_SHAPES))
def test_the_one_walk_path_reads_as_the_reader_does(shape):
    """signature_read.parse takes the usual shape in one walk and leaves every other to the reader: both
    must give the same signature, or the same rejection with the same message."""
    sig = _doc().find(f".//{DS}Signature")
    _SHAPES[shape](sig)
    fast, in_order = _read_both(sig)
    assert fast == in_order
    if shape in ("as sent", "indented", "inclusive namespaces"):
        from mockwcf.security import signature_read

        assert signature_read._read_regular(sig) is not None  # the one-walk path did the reading
        assert isinstance(fast, tuple) and len(fast) == 7


def _mutate(rng: random.Random, sig: etree._Element) -> None:
    """One random change a client (or an attacker) might make: a node kind, a text, a missing, repeated, extra
    or moved element, an attribute, an InclusiveNamespaces, a bad base64 value."""
    e = rng.choice([x for x in sig.iter() if isinstance(x.tag, str)])
    parent = e.getparent() if e is not sig else None
    kind = rng.randrange(10)
    if kind == 0:  # a comment or PI, with text after it or not
        node = rng.choice([etree.Comment("c"), etree.PI("p")])
        node.tail = rng.choice(shapes.TEXTS)
        e.insert(rng.randrange(len(e) + 1), node)
    elif kind == 1:
        e.text = rng.choice(shapes.TEXTS)
    elif kind == 2 and parent is not None:
        e.tail = rng.choice(shapes.TEXTS)
    elif kind == 3 and parent is not None:
        parent.remove(e)
    elif kind == 4 and parent is not None:
        e.addnext(copy.deepcopy(e))
    elif kind == 5:
        tag = rng.choice([f"{DS}Object", f"{{{ns.EC}}}InclusiveNamespaces", f"{DS}Transform"])
        etree.SubElement(e, tag, PrefixList="s #default")
    elif kind == 6 and "Algorithm" in e.attrib and rng.random() < 0.5:
        del e.attrib["Algorithm"]
    elif kind == 6:
        e.set("Algorithm", rng.choice([ns.EXC_C14N, ns.EXC_C14N_COMMENTS, ns.SHA1, "", ns.STR_TRANSFORM]))
    elif kind == 7:
        e.text = rng.choice(["!!", "AAAA", " QU JD\n", "", None])
    elif kind == 8 and parent is not None and len(parent) > 1:
        parent.remove(e)
        parent.insert(rng.randrange(len(parent) + 1), e)
    elif kind == 9:
        shapes.sprinkle(rng, e, 0.3)


@pytest.mark.parametrize("seed", range(4))
def test_the_one_walk_path_reads_generated_shapes_as_the_reader_does(seed):
    """parse (the one walk for the usual shape) against read_in_order (the reader) on signatures changed at
    random: the same fields, or the same rejection with the same message and blamed element."""
    from mockwcf.security import signature_read

    def fields(read, sig, wss11):
        p = shapes.outcome(read, sig, wss11)
        if not isinstance(p, signature_read.ParsedSignature):
            return p
        refs = [
            (r.uri, r.target_id, r.transforms, r.digest_method, r.digest_value, r.element)
            for r in p.references
        ]
        return p.signed_info, p.c14n_method, p.c14n_prefixes, p.method, p.value, refs, p.clauses

    rng = random.Random(seed)
    base = _doc().find(f".//{DS}Signature")
    one_walk = 0
    for _ in range(150):
        sig = copy.deepcopy(base)
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            _mutate(rng, sig)
        wss11 = rng.random() < 0.5
        one_walk += signature_read._read_regular(sig) is not None
        shape = etree.tostring(sig)
        fast, in_order = (
            fields(signature_read.parse, sig, wss11),
            fields(signature_read.read_in_order, sig, wss11),
        )
        assert fast == in_order, shape
    assert one_walk > 40  # the one walk read many of them (the rest went to the reader)
