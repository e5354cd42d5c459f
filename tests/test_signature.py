"""XML signatures the WCF way (issue 5, seed 001). Requests are signed by python-xmlsec, an independent
XML-DSig implementation, so mockwcf's verifier is not only checked against itself."""

from __future__ import annotations

import base64
import copy
from datetime import datetime, timedelta

import pytest
import xmlsec
import yaml
from lxml import etree

from mockwcf import ns
from mockwcf.security import crosscheck
from mockwcf.security import x509 as x509mod
from tests import wss
from tests.conftest import CERTS, SCENARIOS

SEED001 = SCENARIOS / "seed001-mutual-certificate.yaml"
KEY, CERT = CERTS / "client.key", CERTS / "client.pem"


def seed001(**security) -> dict:
    data = yaml.safe_load(SEED001.read_text())
    data["binding"]["security"].update(security)
    return data


def _load(server, **security) -> None:
    server.load(seed001(**security), base_dir=SCENARIOS)


def signed(refs=("TS-1", "Body-1", "UT-1"), keyinfo="bst", items=None, cert=CERT, **kw) -> str:
    items = items if items is not None else [wss.timestamp(), wss.bst(cert), wss.username_token()]
    return wss.sign(wss.envelope(wss.security(*items)), KEY, cert, list(refs), keyinfo=keyinfo, **kw)


def verify_reply(root: etree._Element) -> etree._Element:
    """Independent check of a response signature: libxmlsec1 with the service certificate. Returns it."""
    xmlsec.tree.add_ids(root, ["Id"])
    sig = root.find(f".//{{{ns.DS}}}Signature")
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(str(CERTS / "service.pem"), xmlsec.KeyFormat.CERT_PEM)
    ctx.verify(sig)
    return sig


def _code(server, body) -> str | None:
    resp = wss.post(server.url, body)
    if resp.status_code == 200:
        server.assert_accepted()
        return None
    assert resp.status_code == 500
    assert b"a:InvalidSecurity" in resp.content or b"a:FailedAuthentication" in resp.content
    return server.last().resource_code


@pytest.mark.mockwcf_scenario(SEED001)
def test_seed001_bst_reference_accepted_and_response_signed_like_wcf(mockwcf_server):
    resp = wss.post(mockwcf_server.url, signed())
    assert resp.status_code == 200, resp.text
    root = etree.fromstring(resp.content)
    sig = verify_reply(root)
    uris = [r.get("URI") for r in sig.iter(f"{{{ns.DS}}}Reference")]
    assert uris == ["#_0", "#_1"]  # Timestamp and Body
    # RecipientTokenParameters X509ReferenceStyle Any, External: service.pem has an SKI extension, so WCF names
    # it by X509SubjectKeyIdentifier (X509SecurityTokenParameters.CreateKeyIdentifierClause)
    ki = sig.find(f"{{{ns.DS}}}KeyInfo/{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}KeyIdentifier")
    assert ki.get("ValueType") == ns.SKI_VALUE_TYPE
    assert base64.b64decode(ki.text) == x509mod.subject_key_identifier(
        x509mod.load_pem_certificate(CERTS / "service.pem")
    )
    assert root.find(f".//{{{ns.WSSE11}}}SignatureConfirmation") is None  # WSS 1.0: none
    # and a third implementation, signxml, agrees on the response's cryptography
    from cryptography import x509

    service = x509.load_pem_x509_certificate((CERTS / "service.pem").read_bytes())
    verdict = crosscheck.second_opinion(etree.fromstring(resp.content), service, 2)
    assert verdict.endswith("verifies the cryptography of: Timestamp, Body"), verdict


@pytest.mark.mockwcf_scenario(SEED001)
def test_seed001_issuer_serial_without_bst_cannot_resolve_keyinfo(mockwcf_server):
    body = signed(keyinfo="issuer_serial", items=[wss.timestamp(), wss.username_token()])
    assert _code(mockwcf_server, body) == "UnableToResolveKeyInfoForVerifyingSignature"
    entry = mockwcf_server.last()
    assert (
        "X509IssuerSerial(Issuer = 'CN=mockwcf Test CA, O=mockwcf test', Serial = '665497663279805416273')"
        in entry.reason
    )
    assert "UserName 'alice'" not in entry.reason  # the UsernameToken is only in the universal resolver
    assert "primary resolver: none" in entry.reason


@pytest.mark.mockwcf_scenario(SEED001)
@pytest.mark.parametrize(
    "keyinfo,cert,code",
    [
        ("issuer_serial", "client.pem", None),  # resolves to the BST in the header
        ("ski", "client.pem", None),
        (
            "ski",
            "client-noski.pem",
            "UnableToResolveKeyInfoForVerifyingSignature",
        ),  # WCF never computes an SKI
        ("thumbprint", "client.pem", "CannotReadKeyIdentifierClause"),  # WSS 1.1 only
        ("x509data", "client.pem", None),  # raw certificate data matches the BST token (Internal style)
        ("none", "client.pem", "NoKeyInfoInSignatureToFindVerificationToken"),
    ],
)
def test_keyinfo_clauses_on_wss10(mockwcf_server, keyinfo, cert, code):
    body = signed(
        keyinfo=keyinfo,
        cert=CERTS / cert,
        items=[wss.timestamp(), wss.bst(CERTS / cert), wss.username_token()],
    )
    assert _code(mockwcf_server, body) == code


@pytest.mark.mockwcf_scenario(SEED001)
def test_raw_certificate_in_keyinfo_without_bst(mockwcf_server):
    body = signed(keyinfo="x509data", items=[wss.timestamp(), wss.username_token()])
    assert _code(mockwcf_server, body) == "MessageSecurityVerificationFailed"
    assert "never authenticated" in mockwcf_server.last().reason


def test_thumbprint_resolves_on_wss11_and_response_confirms_signature(mockwcf_server):
    # WSS 1.1 MutualCertificate is symmetric in WCF; the asymmetric WSS 1.1 form is MutualCertificateDuplex
    # (SecurityBindingElement.CreateMutualCertificateDuplexBindingElement: Thumbprint references)
    _load(
        mockwcf_server,
        authenticationMode="MutualCertificateDuplex",
        requireSignatureConfirmation=True,
        messageSecurityVersion=(
            "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11"
        ),
    )
    body = signed(keyinfo="thumbprint")
    resp = wss.post(mockwcf_server.url, body)
    assert resp.status_code == 200, resp.text
    request_sig = etree.fromstring(body.encode()).find(f".//{{{ns.DS}}}SignatureValue").text
    conf = etree.fromstring(resp.content).find(f".//{{{ns.WSSE11}}}SignatureConfirmation")
    assert base64.b64decode(conf.get("Value")) == base64.b64decode("".join(request_sig.split()))


@pytest.mark.mockwcf_scenario(SEED001)
@pytest.mark.parametrize(
    "sig_alg,digest,code",
    [
        ("rsa-sha1", "sha1", None),
        ("rsa-sha256", "sha1", "SuiteDoesNotAcceptAlgorithm"),
        ("rsa-sha1", "sha256", "SuiteDoesNotAcceptAlgorithm"),
    ],
)
def test_basic256_accepts_only_sha1(mockwcf_server, sig_alg, digest, code):
    assert _code(mockwcf_server, signed(sig_alg=sig_alg, digest=digest)) == code


def test_basic256sha256_accepts_sha256_only(mockwcf_server):
    _load(mockwcf_server, algorithmSuite="Basic256Sha256")
    assert _code(mockwcf_server, signed(sig_alg="rsa-sha256", digest="sha256")) is None
    assert _code(mockwcf_server, signed()) == "SuiteDoesNotAcceptAlgorithm"


@pytest.mark.mockwcf_scenario(SEED001)
@pytest.mark.parametrize("transform", ["enveloped", "c14n"])
def test_only_exclusive_c14n_transforms(mockwcf_server, transform):
    assert _code(mockwcf_server, signed(transform=transform)) == "UnsupportedTransformAlgorithm"


@pytest.mark.mockwcf_scenario(SEED001)
def test_empty_transforms_fail_while_the_signature_is_read(mockwcf_server):
    root = etree.fromstring(signed().encode())
    transforms = next(root.iter(f"{{{ns.DS}}}Transforms"))
    for t in list(transforms):
        transforms.remove(t)
    assert _code(mockwcf_server, etree.tostring(root)) == "AtLeastOneTransformRequired"


@pytest.mark.mockwcf_scenario(SEED001)
def test_inclusive_namespace_prefix_lists_are_honoured(mockwcf_server):
    """WSS4J writes ec:InclusiveNamespaces on its exclusive c14n; the named prefixes (here s and wsse, in
    scope but not used by the Timestamp or SignedInfo) change the canonical bytes, so ignoring them fails."""
    body = signed(prefixes=["s", "wsse"])
    assert body.count("InclusiveNamespaces") == 4  # SignedInfo and three references
    assert _code(mockwcf_server, body) is None
    pruned = etree.fromstring(signed(prefixes=["s", "wsse"]).encode())
    for inc in pruned.iter(f"{{{ns.EXC_C14N}}}InclusiveNamespaces"):
        inc.set("PrefixList", "s")  # SignedInfo no longer canonicalizes as signed
    assert _code(mockwcf_server, etree.tostring(pruned)) == "SignatureVerificationFailed"
    assert "signxml (independent check) could not read this signature" in mockwcf_server.last().reason


@pytest.mark.mockwcf_scenario(SEED001)
def test_tampering(mockwcf_server):
    good = signed()
    assert (
        _code(mockwcf_server, good.replace("<text>hi</text>", "<text>HI</text>"))
        == "DigestVerificationFailedForReference"
    )
    assert "signxml (independent check) also rejects it: InvalidDigest" in mockwcf_server.last().reason
    root = etree.fromstring(signed().encode())
    exp = root.find(f".//{{{ns.WSU}}}Expires")
    exp.text = wss.iso(datetime.fromisoformat(exp.text.replace("Z", "+00:00")) + timedelta(seconds=30))
    assert _code(mockwcf_server, etree.tostring(root)) == "DigestVerificationFailedForReference"
    root = etree.fromstring(signed().encode())
    sv = root.find(f".//{{{ns.DS}}}SignatureValue")
    sv.text = ("A" if sv.text[0] != "A" else "B") + sv.text[1:]
    assert _code(mockwcf_server, etree.tostring(root)) == "SignatureVerificationFailed"


@pytest.mark.mockwcf_scenario(SEED001)
def test_signature_wrapping_fails(mockwcf_server):
    root = etree.fromstring(signed().encode())
    body = root.find(f"{{{ns.SOAP11}}}Body")
    header = root.find(f"{{{ns.SOAP11}}}Header")
    wrapper = etree.SubElement(header, "{urn:attacker}Wrapper")
    wrapper.append(copy.deepcopy(body))  # the signed Body, moved into a header
    body.attrib.pop(f"{{{ns.WSU}}}Id")
    body[0].find("{http://tempuri.org/}text").text = "transfer everything"
    assert _code(mockwcf_server, etree.tostring(root)) == "RequiredMessagePartNotSignedNs"
    # the same with the forged Body keeping the signed id: the digest no longer matches
    root2 = etree.fromstring(signed().encode())
    body2 = root2.find(f"{{{ns.SOAP11}}}Body")
    etree.SubElement(root2.find(f"{{{ns.SOAP11}}}Header"), "{urn:attacker}Wrapper").append(
        copy.deepcopy(body2)
    )
    body2[0].find("{http://tempuri.org/}text").text = "forged"
    assert _code(mockwcf_server, etree.tostring(root2)) in (
        "DuplicateIdInMessageToBeVerified",
        "DigestVerificationFailedForReference",
    )


@pytest.mark.mockwcf_scenario(SEED001)
def test_duplicate_ids_are_refused(mockwcf_server):
    root = etree.fromstring(signed().encode())
    extra = etree.SubElement(root.find(f"{{{ns.SOAP11}}}Header"), "{urn:x}Extra")
    extra.set(f"{{{ns.WSU}}}Id", "TS-1")  # the Timestamp's id, read first from the security header
    assert _code(mockwcf_server, etree.tostring(root)) == "DuplicateIdInMessageToBeVerified"


@pytest.mark.mockwcf_scenario(SEED001)
def test_reference_to_missing_id(mockwcf_server):
    items = [
        wss.timestamp(),
        wss.bst(CERT),
        wss.username_token(),
        f'<x:Gone xmlns:x="urn:x" wsu:Id="gone" xmlns:wsu="{ns.WSU}"/>',
    ]
    root = etree.fromstring(signed(refs=("TS-1", "Body-1", "UT-1", "gone"), items=items).encode())
    gone = root.find(".//{urn:x}Gone")
    gone.getparent().remove(gone)  # SignedInfo is untouched, so the SignatureValue still verifies
    assert _code(mockwcf_server, etree.tostring(root)) == "UnableToResolveReferenceUriForSignature"


@pytest.mark.mockwcf_scenario(SEED001)
@pytest.mark.parametrize(
    "refs,items,code",
    [
        (("Body-1", "UT-1"), None, "RequiredSecurityHeaderElementNotSigned"),
        (("TS-1", "UT-1"), None, "RequiredMessagePartNotSignedNs"),
        (("TS-1", "Body-1"), None, "SupportingTokenIsNotSigned"),
        (("TS-1", "Body-1"), [wss.timestamp(), wss.bst(CERT)], "SupportingTokenNotProvided"),
        (
            ("Body-1", "UT-1"),
            [wss.bst(CERT), wss.username_token()],
            "NoTimestampAvailableInSecurityHeaderToDoReplayDetection",
        ),
    ],
)
def test_required_parts(mockwcf_server, refs, items, code):
    assert _code(mockwcf_server, signed(refs=refs, items=items)) == code


@pytest.mark.mockwcf_scenario(SEED001)
def test_no_signature_at_all(mockwcf_server):
    body = wss.envelope(wss.security(wss.timestamp(), wss.bst(CERT), wss.username_token()))
    assert _code(mockwcf_server, body) == "RequiredSecurityHeaderElementNotSigned"
    body = wss.envelope(wss.security(wss.bst(CERT), wss.username_token()))
    assert _code(mockwcf_server, body) == "RequiredMessagePartNotSignedNs"


def test_strict_and_lax_token_order(mockwcf_server):
    # Timestamp after the Signature: Strict verifies the signature before reading the Timestamp.
    ts_last = wss.sign(
        wss.envelope(wss.security(wss.bst(CERT), wss.username_token(), wss.timestamp())),
        KEY,
        CERT,
        ["TS-1", "Body-1", "UT-1"],
        position=2,
    )
    bst_last = wss.sign(
        wss.envelope(wss.security(wss.timestamp(), wss.username_token(), wss.bst(CERT))),
        KEY,
        CERT,
        ["TS-1", "Body-1", "UT-1"],
        position=2,
    )
    _load(mockwcf_server, securityHeaderLayout="Strict")
    assert _code(mockwcf_server, ts_last) == "RequiredSecurityHeaderElementNotSigned"
    assert _code(mockwcf_server, bst_last) == "UnableToResolveKeyInfoForVerifyingSignature"
    _load(mockwcf_server, securityHeaderLayout="Lax")
    assert _code(mockwcf_server, ts_last) is None
    assert _code(mockwcf_server, bst_last) is None
    _load(mockwcf_server, securityHeaderLayout="LaxTimestampFirst")
    assert _code(mockwcf_server, ts_last) == "TimestampMustOccurFirstInSecurityHeaderLayout"
    _load(mockwcf_server, securityHeaderLayout="LaxTimestampLast")
    assert _code(mockwcf_server, bst_last) == "TimestampMustOccurLastInSecurityHeaderLayout"


def test_two_primary_signatures_in_lax(mockwcf_server):
    _load(mockwcf_server, securityHeaderLayout="Lax")
    once = signed()
    twice = wss.sign(once, KEY, CERT, ["TS-1", "Body-1"])
    assert _code(mockwcf_server, twice) == "AtMostOnePrimarySignatureInReceiveSecurityHeader"


@pytest.mark.mockwcf_scenario(SEED001)
def test_replay_detection_per_node(mockwcf_server):
    body = signed()
    assert _code(mockwcf_server, body) is None
    assert _code(mockwcf_server, body) == "InvalidOrReplayedNonce"
    assert _code(mockwcf_server, signed()) is None  # a freshly signed message is fine
    data = seed001()
    data["farm"] = {"nodes": 2}
    mockwcf_server.load(data, base_dir=SCENARIOS)
    body = signed()
    assert _code(mockwcf_server, body) is None  # node 1
    assert _code(mockwcf_server, body) is None  # node 2 has its own cache, as each WCF server does
    assert _code(mockwcf_server, body) == "InvalidOrReplayedNonce"  # node 1 again
    assert [e.node for e in mockwcf_server.journal] == [1, 2, 1]


def test_out_of_band_deviation_switch(mockwcf_server):
    data = seed001()
    data["credentials"]["clientCertificate"]["trustedPeople"] = ["../certs/client.pem"]
    data["deviations"] = {"resolveSigningCertificateOutOfBand": True}
    mockwcf_server.load(data, base_dir=SCENARIOS)
    body = signed(keyinfo="issuer_serial", items=[wss.timestamp(), wss.username_token()])
    assert _code(mockwcf_server, body) is None
    assert any("OUT OF BAND" in s["detail"] for s in mockwcf_server.last().steps)


@pytest.mark.mockwcf_scenario(SEED001)
@pytest.mark.parametrize(
    "element,code",
    [
        # a Sign-only asymmetric binding still expects encryption (encryption.expects_encryption): these are
        # read, and refused for their shape: EncryptedKey.ReadFrom needs its CipherData, ReferenceList.ReadFrom
        # one DataReference
        (f'<xenc:EncryptedKey xmlns:xenc="{ns.XENC}"/>', "MessageSecurityVerificationFailed"),
        (f'<xenc:ReferenceList xmlns:xenc="{ns.XENC}"/>', "ReferenceListCannotBeEmpty"),
        (
            f'<k:SignatureConfirmation xmlns:k="{ns.WSSE11}" Value="AAAA"/>',
            "SignatureConfirmationsNotExpected",
        ),
    ],
)
def test_elements_a_sign_only_request_must_not_carry(mockwcf_server, element, code):
    body = wss.envelope(wss.security(wss.timestamp(), element, wss.bst(CERT), wss.username_token()))
    assert _code(mockwcf_server, body) == code


TRICKY = "a & b < c > d \" e ' f \r g \t h"  # every character c14n escapes in text, a CR included
TRICKY_XML = "a &amp; b &lt; c &gt; d \" e ' f &#xD; g \t h"
CANONICAL_CASES = {
    "soap11-wss10": ({}, False),
    "soap11-wss11-confirmation": (
        {
            "authenticationMode": "MutualCertificateDuplex",
            "requireSignatureConfirmation": True,
            "messageSecurityVersion": "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11",
        },
        False,
    ),
    "soap12-addressing": ({}, True),
}


@pytest.mark.parametrize("case", sorted(CANONICAL_CASES))
def test_signed_response_is_written_canonical_and_verifies(mockwcf_server, case):
    """The reply's signed parts are written in exclusive-c14n form and digested as written (never parsed
    back): each one must equal lxml's canonicalization of itself, and libxmlsec1 must verify the reply."""
    security, soap12 = CANONICAL_CASES[case]
    data = seed001(**security)
    if soap12:
        data["binding"]["messageVersion"] = "Soap12WSAddressing10"
    data["service"] = {
        "operations": [
            {"name": "Echo", "input": {"text": "string"}, "output": {"EchoResult": "string"}},
            {
                "name": "Mixed",
                "input": {"text": "string"},
                "output": {"said": "string", "many": "string[]"},
                "reply": {"said": "{text}", "many": ["{text}", "x>y"]},
            },
            {
                "name": "Nil",
                "input": {"text": "string"},
                "output": {"nothing": "string"},
                "reply": {"nothing": None},
            },
        ]
    }
    mockwcf_server.load(data, base_dir=SCENARIOS)
    for op in ("Echo", "Mixed", "Nil"):
        body = f'<{op} xmlns="http://tempuri.org/"><text>{TRICKY_XML}</text></{op}>'
        headers = wss.addressing(f"http://tempuri.org/IEchoService/{op}") if soap12 else ""
        sec = wss.security(wss.timestamp(), wss.bst(CERT), wss.username_token(), soap12=soap12)
        refs = ["TS-1", "Body-1", "UT-1", *(["A-1", "A-2", "A-3"] if soap12 else [])]
        doc = wss.sign(wss.envelope(headers + sec, body=body, soap12=soap12), KEY, CERT, refs)
        resp = wss.post(
            mockwcf_server.url, doc, soap12=soap12, action=f"http://tempuri.org/IEchoService/{op}"
        )
        assert resp.status_code == 200, resp.text
        root = etree.fromstring(resp.content)
        sig = verify_reply(root)
        ids = [r.get("URI")[1:] for r in sig.iter(f"{{{ns.DS}}}Reference")]
        expected = ["_2", "_3"] if soap12 else []
        expected += ["_0"] + (["_sc0"] if "confirmation" in case else []) + ["_1"]
        assert ids == expected
        text = resp.content.decode()
        for ident in ids:
            el = root.find(f".//*[@{{{ns.WSU}}}Id='{ident}']")
            assert etree.tostring(el, method="c14n", exclusive=True).decode() in text, ident
        result = root.find(f"{{{root.nsmap['s']}}}Body")[0]
        if op == "Nil":  # no reply value: written nil, as WCF's DataContractSerializer does
            assert result[0].get(f"{{{ns.XSI}}}nil") == "true"
            continue
        assert result[0].text == TRICKY
        if op == "Mixed":  # a list: Spyne's serializer, canonicalized
            assert [el.text for el in result[1]] == [TRICKY, "x>y"]
