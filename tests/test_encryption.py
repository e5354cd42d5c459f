"""xenc:EncryptedKey and xenc:EncryptedData (issue 12, part 2 items 1-2): requests are encrypted by
python-xmlsec (libxmlsec1) and decrypted by mockwcf; what mockwcf encrypts is decrypted by libxmlsec1.
Every failure is a crafted message and the code WCF raises for it."""

from __future__ import annotations

import base64
import hashlib
import os
import random

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

from mockwcf import ns
from mockwcf.faults import Rejection
from mockwcf.security import encrypteddata as xed
from mockwcf.security import keyinfo_read, keywrap, suites
from mockwcf.security import x509 as x509mod
from tests import shapes, wss, xenc
from tests.conftest import CERTS

SERVICE_PEM, CLIENT_PEM = CERTS / "service.pem", CERTS / "client.pem"
SERVICE = keywrap.ServiceCredential(
    x509mod.load_pem_certificate(SERVICE_PEM),
    keywrap.private_key_from_pem((CERTS / "service.key").read_bytes()),
)
B256 = suites.get("Basic256")
SEC = f"{{{ns.WSSE}}}Security"


def request(text: str = "hi &amp; bye", headers: str = "") -> etree._Element:
    doc = wss.envelope(headers + wss.security(wss.timestamp(), soap12=True), soap12=True, text=text)
    return etree.fromstring(doc.encode())


def parts(root: etree._Element) -> tuple[etree._Element, etree._Element]:
    return root.find(f".//{SEC}"), root.find(f"{{{ns.SOAP12}}}Body")


def wire(root: etree._Element) -> etree._Element:
    """What the service receives: the serialized request parsed again."""
    return etree.fromstring(etree.tostring(root))


def encrypted_body_request(
    key: bytes,
    method: str = ns.AES256_CBC,
    style: str = "thumbprint",
    wrap_cert=SERVICE_PEM,
    wrap_alg: str = ns.RSA_OAEP,
    inner_list: bool = True,
) -> etree._Element:
    """A Body encrypted by libxmlsec1 with `key`, the key wrapped by libxmlsec1 for `wrap_cert`, the
    EncryptedKey first in the header with its own ReferenceList (what WCF's symmetric binding sends when
    derived keys are off)."""
    root = request()
    sec, body = parts(root)
    _, ek = xenc.encrypt(body, key, method, wrap_cert=wrap_cert, wrap_alg=wrap_alg)
    xenc.place_encrypted_key(
        sec,
        ek,
        SERVICE_PEM if style != "client" else CLIENT_PEM,
        "thumbprint" if style == "client" else style,
    )
    if inner_list:
        ek.append(xenc.reference_list("ED-1"))
    return wire(root)


def open_body(root: etree._Element, suite: suites.Suite = B256, service=SERVICE) -> keywrap.WrappedKey:
    sec, body = parts(root)
    wk = keywrap.unwrap(sec.find(f"{{{ns.XENC}}}EncryptedKey"), service, suite, wss11=True)
    element = xed.body_encrypted_data(body)
    assert element is not None and wk.reference_list is not None
    assert wk.reference_list.take(element.get("Id"))
    ed, plain, token = xed.open_item(element, [wk], wk, suite, wss11=True)
    assert token is wk
    xed.replace_content(ed, plain)
    wk.reference_list.ensure_complete()
    return wk


def code_of(fn, *args, **kw) -> str:
    with pytest.raises(Rejection) as info:
        fn(*args, **kw)
    return info.value.code


@pytest.mark.parametrize("style", ["thumbprint", "ski", "issuer_serial", "x509data"])
def test_body_encrypted_by_xmlsec_is_decrypted_in_place_for_each_service_reference(style):
    key = os.urandom(32)
    root = encrypted_body_request(key, style=style)
    wk = open_body(root)
    assert wk.key == key
    _, body = parts(root)
    assert body.find("{http://tempuri.org/}Echo/{http://tempuri.org/}text").text == "hi & bye"
    assert wk.sha1 == hashlib.sha1(wk.wrapped).digest()


@pytest.mark.parametrize(
    "suite,method,size",
    [
        ("Basic128", ns.AES128_CBC, 16),
        ("Basic192", ns.AES192_CBC, 24),
        ("Basic256Sha256", ns.AES256_CBC, 32),
        ("TripleDes", ns.TRIPLEDES_CBC, 24),
    ],
)
def test_each_suite_decrypts_its_own_algorithm(suite, method, size):
    key = os.urandom(size)
    root = encrypted_body_request(key, method)
    open_body(root, suites.get(suite))
    assert b"hi &amp; bye" in etree.tostring(root)


def test_rsa15_key_transport_on_an_rsa15_suite_and_the_suite_checks_both_ways():
    key = os.urandom(32)
    open_body(encrypted_body_request(key, wrap_alg=ns.RSA_15), suites.get("Basic256Rsa15"))
    rejected = encrypted_body_request(key, wrap_alg=ns.RSA_15)
    assert code_of(open_body, rejected) == "SuiteDoesNotAcceptAlgorithm"  # Basic256 takes OAEP only
    oaep = encrypted_body_request(key)
    with pytest.raises(Rejection) as info:
        open_body(oaep, suites.get("Basic256Rsa15"))
    assert info.value.code == "SuiteDoesNotAcceptAlgorithm" and "AsymmetricKeyWrap" in info.value.message


def test_a_reference_to_a_header_bst_never_names_the_wrapping_certificate():
    root = request(headers="")
    sec, body = parts(root)
    _, ek = xenc.encrypt(body, os.urandom(32), wrap_cert=SERVICE_PEM)
    xenc.place_encrypted_key(sec, ek, SERVICE_PEM, "bst")
    sec.insert(0, etree.fromstring(wss.bst(SERVICE_PEM)))
    with pytest.raises(Rejection) as info:
        keywrap.unwrap(wire(root).find(f".//{{{ns.XENC}}}EncryptedKey"), SERVICE, B256, wss11=True)
    assert info.value.code == "EncryptedKeyWasNotEncryptedWithTheRequiredEncryptingToken"
    assert "BinarySecurityToken" in info.value.hint


def test_key_wrapped_for_another_certificate():
    key = os.urandom(32)
    named_client = encrypted_body_request(key, style="client", wrap_cert=CLIENT_PEM)
    assert code_of(open_body, named_client) == "EncryptedKeyWasNotEncryptedWithTheRequiredEncryptingToken"
    # names the service certificate but was really wrapped with the client's key: the unwrap fails
    for alg, suite in ((ns.RSA_OAEP, B256), (ns.RSA_15, suites.get("Basic256Rsa15"))):
        lying = encrypted_body_request(key, wrap_cert=CLIENT_PEM, wrap_alg=alg)
        with pytest.raises(Rejection) as info:
            open_body(lying, suite)
        assert info.value.code == "MessageSecurityVerificationFailed", alg
        assert "does not unwrap" in info.value.message


def _ek(root: etree._Element) -> etree._Element:
    return root.find(f".//{{{ns.XENC}}}EncryptedKey")


def test_encrypted_key_failures_in_wcf_order():
    root = encrypted_body_request(os.urandom(32), style="none")
    assert code_of(keywrap.unwrap, _ek(root), SERVICE, B256, wss11=True) == "MissingKeyInfoInEncryptedKey"
    root = encrypted_body_request(os.urandom(32))
    assert (
        code_of(keywrap.unwrap, _ek(root), None, B256, wss11=True)
        == "UnableToResolveKeyInfoForUnwrappingToken"
    )
    assert (
        code_of(keywrap.unwrap, _ek(root), SERVICE, B256, wss11=True, allow_reference_list=False)
        == "EncryptedKeyWithReferenceListNotAllowed"
    )
    assert (
        code_of(keywrap.unwrap, _ek(root), SERVICE, B256, wss11=True, expect_encryption=False)
        == "EncryptionNotExpected"
    )
    # ThumbprintSHA1 is a WSS 1.1 clause
    assert code_of(keywrap.unwrap, _ek(root), SERVICE, B256, wss11=False) == "CannotReadKeyIdentifierClause"
    method = _ek(root).find(f"{{{ns.XENC}}}EncryptionMethod")
    method.set("Algorithm", ns.KW_AES256)
    assert code_of(keywrap.unwrap, _ek(root), SERVICE, B256, wss11=True) == "CannotFindMatchingCrypto"
    del method.attrib["Algorithm"]
    assert code_of(keywrap.unwrap, _ek(root), SERVICE, B256, wss11=True) == "RequiredAttributeMissing"
    root = encrypted_body_request(os.urandom(32))
    cd = _ek(root).find(f"{{{ns.XENC}}}CipherData")
    _ek(root).remove(cd)
    assert (
        code_of(keywrap.unwrap, _ek(root), SERVICE, B256, wss11=True) == "MessageSecurityVerificationFailed"
    )


def test_reference_list_rules():
    assert xed.read_reference_list(xenc.reference_list("a", "b")).ids == ["a", "b"]
    for bad in (
        xenc.reference_list("a", "a"),
        etree.fromstring(
            f'<xenc:ReferenceList xmlns:xenc="{ns.XENC}"><xenc:DataReference URI="a"/></xenc:ReferenceList>'
        ),
        etree.fromstring(
            f'<xenc:ReferenceList xmlns:xenc="{ns.XENC}"><xenc:DataReference URI="#"/></xenc:ReferenceList>'
        ),
        etree.fromstring(
            f'<xenc:ReferenceList xmlns:xenc="{ns.XENC}"><xenc:KeyReference URI="#k"/></xenc:ReferenceList>'
        ),
    ):
        assert code_of(xed.read_reference_list, bad) == "InvalidDataReferenceInReferenceList"
    assert code_of(xed.read_reference_list, xenc.reference_list()) == "ReferenceListCannotBeEmpty"
    pending = xed.read_reference_list(xenc.reference_list("ED-1", "ED-9"))
    assert pending.take("ED-1") and not pending.take("ED-1")
    assert code_of(pending.ensure_complete) == "UnableToResolveDataReference"


def test_encrypted_data_key_resolution():
    key = os.urandom(32)
    root = encrypted_body_request(key, inner_list=False)
    sec, body = parts(root)
    wk = keywrap.unwrap(_ek(root), SERVICE, B256, wss11=True)
    element = xed.body_encrypted_data(body)
    # a top-level ReferenceList and no KeyInfo on the EncryptedData: nothing names the key
    assert (
        code_of(xed.open_item, element, [wk], None, B256, True)
        == "NoKeyInfoInEncryptedItemToFindDecryptingToken"
    )
    xenc.add_key_info(element, xenc.str_reference("#EK-nope"))
    assert code_of(xed.open_item, element, [wk], None, B256, True) == "UnableToResolveKeyInfoForDecryption"
    element.find(f"{{{ns.DS}}}KeyInfo")[0][0].set("URI", "#EK-1")
    ed, plain, token = xed.open_item(element, [wk], None, B256, True)
    assert token is wk and b"hi &amp; bye" in plain
    # listed by one EncryptedKey, its KeyInfo naming another
    other = keywrap.WrappedKey(None, "EK-2", ns.RSA_OAEP, key, b"x")
    element.find(f"{{{ns.DS}}}KeyInfo")[0][0].set("URI", "#EK-2")
    assert (
        code_of(xed.open_item, element, [wk, other], wk, B256, True)
        == "EncryptedKeyWasNotEncryptedWithTheRequiredEncryptingToken"
    )
    # by EncryptedKeySHA1 (WSS 1.1), as WCF replies reference the request's key
    sha1_ref = etree.fromstring(keywrap.encrypted_key_sha1_reference(wk.sha1))
    element.find(f"{{{ns.DS}}}KeyInfo")[0].getparent().replace(
        element.find(f"{{{ns.DS}}}KeyInfo")[0], sha1_ref
    )
    assert xed.open_item(element, [wk], None, B256, True)[2] is wk


def test_encrypted_data_failures():
    key = os.urandom(32)
    root = encrypted_body_request(key)
    sec, body = parts(root)
    wk = keywrap.unwrap(_ek(root), SERVICE, B256, wss11=True)
    element = xed.body_encrypted_data(body)
    method = element.find(f"{{{ns.XENC}}}EncryptionMethod")
    method.set("Algorithm", ns.AES128_CBC)
    with pytest.raises(Rejection) as info:
        xed.open_item(element, [wk], wk, B256, True)
    assert info.value.code == "SuiteDoesNotAcceptAlgorithm" and "'Encryption'" in info.value.message
    element.remove(method)
    assert code_of(xed.open_item, element, [wk], wk, B256, True) == "EncryptionMethodMissingInEncryptedData"
    # an EncryptedKey key of 128 bits is not a Basic256 key (it is a Basic128 one)
    root = encrypted_body_request(os.urandom(16), ns.AES128_CBC)
    _, body = parts(root)
    short = keywrap.unwrap(_ek(root), SERVICE, suites.get("Basic128"), wss11=True)
    element = xed.body_encrypted_data(body)
    element.find(f"{{{ns.XENC}}}EncryptionMethod").set("Algorithm", ns.AES256_CBC)
    assert (
        code_of(xed.open_item, element, [short], short, B256, True) == "TokenDoesNotMeetKeySizeRequirements"
    )


def _crafted(key: bytes, plain_blocks: bytes) -> etree._Element:
    """An EncryptedData whose CBC plaintext (padding included) is exactly `plain_blocks`."""
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    cipher = iv + enc.update(plain_blocks) + enc.finalize()
    return etree.fromstring(xed.encrypted_data_xml("ED-1", ns.AES256_CBC, cipher))


@pytest.mark.parametrize("last", [0, 17, 255])
def test_padding_is_iso10126_last_byte_only(last):
    key = os.urandom(32)
    wk = keywrap.WrappedKey(None, "EK-1", ns.RSA_OAEP, key, b"w")
    bad = _crafted(key, b"<a/>" + os.urandom(11) + bytes([last]))
    assert code_of(xed.open_item, bad, [wk], wk, B256, True) == "DecryptionFailed"
    # random filler with the right last byte is accepted: only the pad length is checked (ISO 10126)
    good = _crafted(key, b"<a/>" + os.urandom(11) + bytes([12]))
    assert xed.open_item(good, [wk], wk, B256, True)[1] == b"<a/>"
    truncated = _crafted(key, b"<a/>" + bytes([12]) * 12)
    value = truncated.find(f"{{{ns.XENC}}}CipherData/{{{ns.XENC}}}CipherValue")
    value.text = base64.b64encode(base64.b64decode(value.text)[:-3]).decode()
    assert code_of(xed.open_item, truncated, [wk], wk, B256, True) == "DecryptionFailed"


def test_an_encrypted_body_is_the_encrypted_data_alone():
    root = encrypted_body_request(os.urandom(32))
    _, body = parts(root)
    etree.SubElement(body, "{urn:x}extra")
    assert code_of(xed.body_encrypted_data, body) == "BadEncryptedBody"


def test_encrypted_username_token_and_signature_in_the_header_are_restored_and_the_signature_verifies():
    """SignBeforeEncryptAndEncryptSignature: the signature and the UsernameToken travel encrypted; after
    mockwcf decrypts them in place, libxmlsec1 verifies the signature over the restored tree."""
    key = os.urandom(32)
    doc = wss.envelope(wss.security(wss.timestamp(), wss.bst(CERTS / "client.pem"), wss.username_token()))
    signed = wss.sign(doc, CERTS / "client.key", CLIENT_PEM, ["TS-1", "Body-1"])
    root = etree.fromstring(signed.encode())
    sec = root.find(f".//{SEC}")
    ut = sec.find(f"{{{ns.WSSE}}}UsernameToken")
    sig = sec.find(f"{{{ns.DS}}}Signature")
    xenc.encrypt(ut, key, content=False, ed_id="ED-UT")
    xenc.encrypt(sig, key, content=False, ed_id="ED-SIG")
    root = wire(root)
    sec = root.find(f".//{SEC}")
    wk = keywrap.WrappedKey(None, "EK-1", ns.RSA_OAEP, key, b"w")
    restored = []
    for element in sec.findall(f"{{{ns.XENC}}}EncryptedData"):
        ed, plain, _ = xed.open_item(element, [wk], wk, B256, True)
        restored.append(xed.replace_element(ed, plain, "security header item"))
    assert [etree.QName(e).localname for e in restored] == ["UsernameToken", "Signature"]
    assert [etree.QName(e).localname for e in sec] == [
        "Timestamp",
        "BinarySecurityToken",
        "UsernameToken",
        "Signature",
    ]
    import xmlsec

    root = wire(root)
    xmlsec.tree.add_ids(root, ["Id"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(str(CLIENT_PEM), xmlsec.KeyFormat.CERT_PEM)
    ctx.verify(root.find(f".//{{{ns.DS}}}Signature"))


def test_encrypted_soap_header():
    key = os.urandom(32)
    root = request(headers=wss.addressing().replace('xmlns:a="', 'xmlns:s="' + ns.SOAP12 + '" xmlns:a="', 1))
    header = root.find(f"{{{ns.SOAP12}}}Header")
    action = header.find(f"{{{ns.WSA10}}}Action")
    ed, _ = xenc.encrypt(action, key, content=False, ed_id="ED-H")
    wrapper = etree.Element(f"{{{ns.WSSE11}}}EncryptedHeader", nsmap={"wsse11": ns.WSSE11})
    wrapper.set(f"{{{ns.SOAP12}}}mustUnderstand", "1")
    ed.addprevious(wrapper)
    wrapper.append(ed)
    root = wire(root)
    wrapper = root.find(f".//{{{ns.WSSE11}}}EncryptedHeader")
    xed.check_encrypted_header(wrapper, ns.SOAP12, True, "", False, wss11=True)
    with pytest.raises(Rejection) as info:
        xed.check_encrypted_header(wrapper, ns.SOAP12, False, "", False, wss11=True)
    assert info.value.code == "EncryptedHeaderAttributeMismatch"
    assert code_of(xed.check_encrypted_header, wrapper, ns.SOAP12, True, "", False, wss11=False) == (
        "HeaderDecryptionNotSupportedInWsSecurityJan2004"
    )
    wk = keywrap.WrappedKey(None, "EK-1", ns.RSA_OAEP, key, b"w")
    ed, plain, _ = xed.open_item(wrapper[0], [wk], wk, B256, True)
    restored = xed.replace_element(ed, plain, "header")
    assert restored.tag == f"{{{ns.WSA10}}}Action" and restored.getparent().tag == f"{{{ns.SOAP12}}}Header"
    assert restored.text == wss.ACTION


@pytest.mark.parametrize("method,size", [(ns.AES256_CBC, 32), (ns.AES128_CBC, 16), (ns.TRIPLEDES_CBC, 24)])
def test_reply_body_encrypted_by_mockwcf_is_decrypted_by_xmlsec(method, size):
    key = os.urandom(size)
    payload = b'<r:EchoResponse xmlns:r="http://tempuri.org/"><r:EchoResult>a &amp; b</r:EchoResult></r:EchoResponse>'
    cipher = xed.encrypt(payload, key, method)
    reply = etree.fromstring(
        f'<s:Body xmlns:s="{ns.SOAP12}">{xed.encrypted_data_xml("_1", method, cipher)}</s:Body>'.encode()
    )
    xenc.decrypt_with_xmlsec(reply[0], key, method)
    assert reply.find("{http://tempuri.org/}EchoResponse/{http://tempuri.org/}EchoResult").text == "a & b"


@pytest.mark.parametrize("alg", [ns.RSA_OAEP, ns.RSA_15])
def test_reply_encrypted_key_for_the_client_certificate_is_unwrapped_by_xmlsec(alg):
    key = keywrap.new_key(B256)
    assert len(key) == 32
    cert = x509mod.load_pem_certificate(CLIENT_PEM)
    wrapped = keywrap.wrap(key, cert, alg)
    ek = etree.fromstring(keywrap.encrypted_key_xml("EK-r", wrapped, alg, cert, ["_1"]))
    assert xenc.unwrap_with_xmlsec(ek, CERTS / "client.key") == key
    clause = keyinfo_read.read(ek.find(f"{{{ns.DS}}}KeyInfo"), wss11=True)[0]
    assert clause.kind == "thumbprint" and clause.value == x509mod.thumbprint(cert)


def test_encrypted_key_sha1_reference_as_sendsecurityheader_writes_it():
    wk = keywrap.WrappedKey(None, "EK-1", ns.RSA_OAEP, os.urandom(32), os.urandom(256))
    ref = etree.fromstring(keywrap.encrypted_key_sha1_reference(wk.sha1))
    assert ref.get(f"{{{ns.WSSE11}}}TokenType") == ns.ENCRYPTED_KEY_TOKEN_TYPE
    clause = keyinfo_read.read_str(ref, wss11=True)
    assert clause.kind == "encrypted_key_sha1" and wk.matches(clause)
    with pytest.raises(Rejection) as info:
        keyinfo_read.read_str(ref, wss11=False)
    assert info.value.code == "CannotReadKeyIdentifierClause"


def _cipher_data(rng) -> list[etree._Element]:
    """EncryptedData's children from CipherData on: CipherValue alone, several, another element, texts."""
    if rng.random() < 0.1:
        return []
    cd = etree.Element(f"{{{ns.XENC}}}CipherData")
    for _ in range(rng.choice([0, 1, 1, 1, 2])):
        tag = rng.choice(["CipherValue", "CipherValue", "CipherReference"])
        etree.SubElement(cd, f"{{{ns.XENC}}}{tag}").text = rng.choice(["AAAA", "!!", None, ""])
    return [shapes.sprinkle(rng, cd, 0.3)]


@pytest.mark.parametrize("seed", range(3))
def test_cipher_values_one_child_path_reads_as_the_reader_does(seed):
    """encrypteddata.cipher_value takes CipherData holding CipherValue alone without a children() list; on any
    CipherData it must give the reader's octets or its rejection (code, message, element)."""
    rng = random.Random(seed)
    fast_taken = 0
    for _ in range(300):
        kids = _cipher_data(rng)
        fast_taken += bool(kids) and keyinfo_read.only_child(kids[0]) is not None
        shape = [etree.tostring(k) for k in kids]
        fast = shapes.outcome(xed.cipher_value, list(kids), "xenc:EncryptedData", "encryption")
        general = [shapes.commented(k) for k in kids]
        assert fast == shapes.outcome(xed.cipher_value, general, "xenc:EncryptedData", "encryption"), shape
    assert fast_taken > 60


def test_a_comment_inside_cipher_value_is_skipped_as_read_element_content_as_base64_skips_it():
    cd = etree.fromstring(
        f'<x:CipherData xmlns:x="{ns.XENC}"><x:CipherValue>AAAA<!--c-->BBBB</x:CipherValue></x:CipherData>'
    )
    assert xed.cipher_value([cd], "xenc:EncryptedData", "encryption") == base64.b64decode("AAAABBBB")
    etree.SubElement(cd[0], f"{{{ns.XENC}}}Extra")
    assert (
        code_of(xed.cipher_value, [cd], "xenc:EncryptedData", "encryption")
        == "MessageSecurityVerificationFailed"
    )


@pytest.mark.parametrize("plain", [b"<!--only a comment-->", b"<?pi only?>", b"", b"<a/><b/>"])
def test_a_decrypted_header_item_must_be_one_element(plain):
    key = os.urandom(32)
    root = wire(
        request(headers=wss.addressing().replace('xmlns:a="', 'xmlns:s="' + ns.SOAP12 + '" xmlns:a="', 1))
    )
    action = root.find(f"{{{ns.SOAP12}}}Header/{{{ns.WSA10}}}Action")
    ed, _ = xenc.encrypt(action, key, content=False, ed_id="ED-H")
    wk = keywrap.WrappedKey(None, "EK-1", ns.RSA_OAEP, key, b"w")
    item, _, _ = xed.open_item(ed, [wk], wk, B256, True)
    with pytest.raises(Rejection) as info:
        xed.replace_element(item, plain, "header")
    assert (
        info.value.code == "MessageSecurityVerificationFailed"
        and "not a single element" in info.value.message
    )


@pytest.mark.parametrize("lead", [b"<!--c-->", b"<?pi x?>\n", b" <!--c--> <?pi?> "])
def test_comments_and_pis_before_a_decrypted_header_item_are_skipped(lead):
    """ContextImportHelper.CreateSplicedReader (MoveToContent) and DecryptedHeader (MoveToStartElement) pass over
    comments, PIs and white space before the decrypted element, so WCF reads the element after them."""
    key = os.urandom(32)
    root = wire(
        request(headers=wss.addressing().replace('xmlns:a="', 'xmlns:s="' + ns.SOAP12 + '" xmlns:a="', 1))
    )
    action = root.find(f"{{{ns.SOAP12}}}Header/{{{ns.WSA10}}}Action")
    plain = etree.tostring(action)
    ed, _ = xenc.encrypt(action, key, content=False, ed_id="ED-H")
    wk = keywrap.WrappedKey(None, "EK-1", ns.RSA_OAEP, key, b"w")
    item, _, _ = xed.open_item(ed, [wk], wk, B256, True)
    new = xed.replace_element(item, lead + plain, "header")
    assert new.tag == f"{{{ns.WSA10}}}Action" and new.getparent().tag == f"{{{ns.SOAP12}}}Header"
    assert not [k for k in new.getparent() if not isinstance(k.tag, str)]  # the comment/PI is not kept
