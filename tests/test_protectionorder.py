"""MessageProtectionOrder EncryptBeforeSign with encryption, and the order check every order makes
(protectionorder.py, encryptbeforesign.py). Requests are encrypted and signed by python-xmlsec with keys derived
by OpenSSL, in the order a WCF client writes them (SendSecurityHeader with SignThenEncrypt false): the
UsernameToken and Body encrypted first, the clear HMAC signature over their encrypted forms, the ReferenceList
last. Replies are opened and verified by python-xmlsec over what was received."""

from __future__ import annotations

import base64
import os

import pytest
import xmlsec
from lxml import etree

from mockwcf import ns
from mockwcf.security import derivedkeys as dk
from tests import wss, xenc
from tests.conftest import CERTS
from tests.test_asymmetric_encryption import CLIENT_PEM
from tests.test_asymmetric_encryption import SCENARIO as ASYMMETRIC
from tests.test_asymmetric_encryption import request as asymmetric_sbeaes
from tests.test_symmetric import SERVICE_PEM, Sent, _dkt, _scenario
from tests.test_symmetric import request as sbeaes_request


def _binding(order: str, **extra: object) -> dict:
    return _scenario(
        {
            "type": "customBinding",
            "messageVersion": "Soap12WSAddressing10",
            "security": {
                "authenticationMode": "UserNameForCertificate",
                "protectionLevel": "EncryptAndSign",
                "messageProtectionOrder": order,
                **extra,
            },
        }
    )


EBS = _binding("EncryptBeforeSign")
EBS_LAX = _binding("EncryptBeforeSign", securityHeaderLayout="Lax")
SBE = _binding("SignBeforeEncrypt")
SBEAES = _binding("SignBeforeEncryptAndEncryptSignature")


def request(
    url: str,
    *,
    list_ut: bool = True,
    sign_clear: bool = False,
    reference_list_first: bool = False,
    header: str = "",
) -> Sent:
    """What a WCF client on UserNameForCertificate with EncryptBeforeSign sends: Timestamp, EncryptedKey, the two
    DerivedKeyTokens, the encrypted UsernameToken, the clear signature, the ReferenceList. `sign_clear` signs the
    clear Body and UsernameToken before encrypting them (a sign-then-encrypt client with the ReferenceList moved
    last); `reference_list_first` puts the ReferenceList before the signature. `header` "signed" / "unsigned" adds
    a SOAP header encrypted into a wsse11:EncryptedHeader (listed by its wsu:Id, as WCF lists it)."""
    ek_key = os.urandom(32)
    n_sig, n_enc = os.urandom(16), os.urandom(16)
    k_sig = xenc.openssl_p_sha1(ek_key, dk.DEFAULT_LABEL + n_sig, 24)
    k_enc = xenc.openssl_p_sha1(ek_key, dk.DEFAULT_LABEL + n_enc, 32)
    doc = wss.envelope(
        wss.addressing(to=url)
        + (
            f'<x:Tenant xmlns:x="urn:tenant" xmlns:wsu="{ns.WSU}" wsu:Id="H-1">acme</x:Tenant>'
            if header
            else ""
        )
        + wss.security(wss.timestamp(), wss.username_token(), soap12=True),
        soap12=True,
        text="hi &amp; bye",
    )
    root = etree.fromstring(doc.encode())
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    body = root.find(f"{{{ns.SOAP12}}}Body")
    ut_ref = "UT-1" if sign_clear else "ED-UT"
    ids = ["TS-1", ut_ref, "A-1", "A-2", "A-3", "Body-1", *(["EH-1"] if header == "signed" else [])]

    def encrypt() -> None:
        for target, content, ed_id in (
            (sec.find(f"{{{ns.WSSE}}}UsernameToken"), False, "ED-UT"),
            (body, True, "ED-B"),
        ):
            ed, _ = xenc.encrypt(target, k_enc, content=content, ed_id=ed_id)
            xenc.add_key_info(ed, xenc.str_reference("#DK-E"))
        if header:
            ed, _ = xenc.encrypt(root.find(".//{urn:tenant}Tenant"), k_enc, content=False, ed_id="ED-H")
            xenc.add_key_info(ed, xenc.str_reference("#DK-E"))
            wrapper = etree.Element(f"{{{ns.WSSE11}}}EncryptedHeader", nsmap={"k": ns.WSSE11, "u": ns.WSU})
            wrapper.set(f"{{{ns.WSU}}}Id", "EH-1")
            wrapper.set(f"{{{ns.SOAP12}}}mustUnderstand", "1")
            ed.addprevious(wrapper)
            wrapper.append(ed)

    if sign_clear:
        xenc.hmac_sign(root, k_sig, ids, "#DK-S", sig_id="SIG-P")
        encrypt()
    else:
        encrypt()
        xenc.hmac_sign(root, k_sig, ids, "#DK-S", sig_id="SIG-P")
    scratch = etree.fromstring(wss.envelope(soap12=True).encode())
    _, ek = xenc.encrypt(scratch.find(f"{{{ns.SOAP12}}}Body"), ek_key, wrap_cert=SERVICE_PEM)
    xenc.place_encrypted_key(sec, ek, SERVICE_PEM, "thumbprint", position=1)
    wrapped = base64.b64decode(ek.find(f"{{{ns.XENC}}}CipherData/{{{ns.XENC}}}CipherValue").text)
    sec.insert(2, _dkt("DK-S", n_sig, 24, ns.WSC))
    sec.insert(3, _dkt("DK-E", n_enc, None, ns.WSC))
    refs = xenc.reference_list(*(["ED-UT"] if list_ut else []), "ED-B", *(["EH-1"] if header else []))
    if reference_list_first:
        sec.insert(4, refs)
    else:
        sec.append(refs)
    return Sent(etree.tostring(root), ek_key, wrapped)


def open_reply(content: bytes, sent: Sent) -> etree._Element:
    """The client's side of an EncryptBeforeSign reply, by libxmlsec1 and OpenSSL: verify the HMAC signature over
    the Body as received (its content still encrypted), then decrypt with the derived encryption key."""
    root = etree.fromstring(content)
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    kids = [etree.QName(c).localname for c in sec]
    assert kids.index("Signature") < kids.index("ReferenceList")  # the ReferenceList is written last
    keys = {}
    for token in sec.findall(f"{{{ns.WSC}}}DerivedKeyToken"):
        length = token.find(f"{{{ns.WSC}}}Length")
        nonce = base64.b64decode(token.find(f"{{{ns.WSC}}}Nonce").text)
        n = int(length.text) if length is not None else 32
        keys[n] = xenc.openssl_p_sha1(sent.key, dk.DEFAULT_LABEL + nonce, n)
    verify_root = etree.fromstring(content)
    xmlsec.tree.add_ids(verify_root, ["Id"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.HMAC, keys[24])
    sig = verify_root.find(f".//{{{ns.DS}}}Signature")
    ctx.verify(sig)  # over the encrypted Body: the signature was made after the encryption
    assert "#_1" in {r.get("URI") for r in sig.iter(f"{{{ns.DS}}}Reference")}
    ed = root.find(f".//{{{ns.SOAP12}}}Body/{{{ns.XENC}}}EncryptedData")
    xenc.decrypt_with_xmlsec(ed, keys[32], ns.AES256_CBC)
    return root


def _retouch(body: bytes) -> bytes:
    """An attribute added to the UsernameToken's EncryptedData after signing: it still decrypts the same."""
    root = etree.fromstring(body)
    ed = next(e for e in root.iter(f"{{{ns.XENC}}}EncryptedData") if e.get("Id") == "ED-UT")
    ed.set("MimeType", "text/xml")
    return etree.tostring(root)


@pytest.mark.mockwcf_scenario(EBS)
def test_a_signed_encrypted_header_is_digested_encrypted_then_decrypted(mockwcf_server):
    sent = request(mockwcf_server.url, header="signed")
    resp = _post(mockwcf_server, sent.body)
    assert resp.status_code == 200, resp.text
    open_reply(resp.content, sent)


def _post(server, body: bytes):
    return wss.post(server.url, body, soap12=True)


@pytest.mark.mockwcf_scenario(EBS)
def test_encrypt_before_sign_request_accepted_and_reply_signed_over_its_encrypted_body(mockwcf_server):
    sent = request(mockwcf_server.url)
    resp = _post(mockwcf_server, sent.body)
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    root = open_reply(resp.content, sent)
    assert root.find(".//{http://tempuri.org/}EchoResult").text == "hi & bye"
    steps = " ".join(s["detail"] for s in mockwcf_server.last().steps)
    assert "Body decrypted" in steps


@pytest.mark.mockwcf_scenario(EBS_LAX)
def test_encrypt_before_sign_in_lax_layout(mockwcf_server):
    sent = request(mockwcf_server.url)
    resp = _post(mockwcf_server, sent.body)
    assert resp.status_code == 200, resp.text
    open_reply(resp.content, sent)
    wrong = request(mockwcf_server.url, reference_list_first=True)
    assert _post(mockwcf_server, wrong.body).status_code == 500
    assert mockwcf_server.last().resource_code == "MessageProtectionOrderMismatch"


@pytest.mark.mockwcf_scenario(EBS)
@pytest.mark.parametrize(
    "build,code",
    [
        # signed in clear, then encrypted: the Body's digest over what arrived (encrypted) does not match
        (lambda url: request(url, sign_clear=True).body, "DigestVerificationFailedForReference"),
        # the ReferenceList before the signature: decrypt-then-verify, the sign-then-encrypt order
        (lambda url: request(url, reference_list_first=True).body, "MessageProtectionOrderMismatch"),
        # WCF's default order (encrypted signature after the ReferenceList) sent to an EncryptBeforeSign service
        (lambda url: sbeaes_request(url).body, "MessageProtectionOrderMismatch"),
        # the encrypted UsernameToken is decrypted early; no ReferenceList names it afterwards
        (lambda url: request(url, list_ut=False).body, "UnexpectedEncryptedElementInSecurityHeader"),
        # the signature covers the UsernameToken's encrypted form: changing that form breaks its digest
        (lambda url: _retouch(request(url).body), "DigestVerificationFailedForReference"),
        # an encrypted SOAP header the signature does not cover
        (lambda url: request(url, header="unsigned").body, "EncryptedHeaderNotSigned"),
    ],
)
def test_encrypt_before_sign_refuses_the_other_orders(mockwcf_server, build, code):
    resp = _post(mockwcf_server, build(mockwcf_server.url))
    assert resp.status_code == 500
    assert mockwcf_server.last().resource_code == code
    assert b"InvalidSecurity" in resp.content


@pytest.mark.mockwcf_scenario(SBE)
def test_sign_before_encrypt_refuses_an_encrypt_before_sign_message(mockwcf_server):
    """A clear signature followed by the ReferenceList: verify-then-decrypt, which SignBeforeEncrypt refuses."""
    resp = _post(mockwcf_server, request(mockwcf_server.url).body)
    assert resp.status_code == 500
    assert mockwcf_server.last().resource_code == "MessageProtectionOrderMismatch"


@pytest.mark.mockwcf_scenario(SBEAES)
def test_default_order_refuses_a_clear_signature_when_it_meets_it(mockwcf_server):
    """SignBeforeEncryptAndEncryptSignature with the Body required encrypted: OrderTracker refuses the clear
    primary signature as soon as it is processed."""
    resp = _post(mockwcf_server, request(mockwcf_server.url).body)
    assert resp.status_code == 500
    assert mockwcf_server.last().resource_code == "PrimarySignatureIsRequiredToBeEncrypted"


ASYMMETRIC_EBS = {
    **ASYMMETRIC,
    "binding": {
        **ASYMMETRIC["binding"],
        "security": {**ASYMMETRIC["binding"]["security"], "messageProtectionOrder": "EncryptBeforeSign"},
    },
}


def asymmetric_request() -> bytes:
    """basicHttpBinding Message Certificate, EncryptAndSign, EncryptBeforeSign, as WCF's client writes it: the
    Body encrypted with a key wrapped for the service certificate (the EncryptedData names the EncryptedKey, which
    carries no ReferenceList), the RSA-SHA1 signature over the Timestamp and the encrypted Body, the ReferenceList
    last."""
    doc = wss.envelope(wss.security(wss.timestamp(), wss.bst(CLIENT_PEM)), text="hi &amp; bye")
    root = etree.fromstring(doc.encode())
    key = os.urandom(32)
    ed, _ = xenc.encrypt(root.find(f"{{{ns.SOAP11}}}Body"), key, ed_id="ED-B")
    xenc.add_key_info(ed, xenc.str_reference("#EK-1"))
    signed = wss.sign(etree.tostring(root).decode(), CERTS / "client.key", CLIENT_PEM, ["TS-1", "Body-1"])
    root = etree.fromstring(signed.encode())
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    scratch = etree.fromstring(wss.envelope().encode())
    _, ek = xenc.encrypt(scratch.find(f"{{{ns.SOAP11}}}Body"), key, wrap_cert=SERVICE_PEM)
    xenc.place_encrypted_key(sec, ek, SERVICE_PEM, "ski", position=2)
    sec.append(xenc.reference_list("ED-B"))
    return etree.tostring(root)


@pytest.mark.mockwcf_scenario(ASYMMETRIC_EBS)
def test_asymmetric_encrypt_before_sign_both_ways(mockwcf_server):
    resp = wss.post(mockwcf_server.url, asymmetric_request())
    assert resp.status_code == 200, resp.text
    root = etree.fromstring(resp.content)
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    kids = [etree.QName(c).localname for c in sec]
    assert kids.index("EncryptedKey") < kids.index("Signature") < kids.index("ReferenceList")
    ek = sec.find(f"{{{ns.XENC}}}EncryptedKey")
    assert ek.find(f"{{{ns.XENC}}}ReferenceList") is None
    key = xenc.unwrap_with_xmlsec(ek, CERTS / "client.key")
    check = etree.fromstring(resp.content)
    xmlsec.tree.add_ids(check, ["Id"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(str(SERVICE_PEM), xmlsec.KeyFormat.CERT_PEM)
    ctx.verify(check.find(f".//{{{ns.DS}}}Signature"))  # over the Body as sent, encrypted
    ed = root.find(f".//{{{ns.SOAP11}}}Body/{{{ns.XENC}}}EncryptedData")
    assert (
        ed.find(f"{{{ns.DS}}}KeyInfo") is not None
    )  # no ReferenceList in the EncryptedKey: a KeyInfo instead
    xenc.decrypt_with_xmlsec(ed, key, ns.AES256_CBC)
    assert root.find(".//{http://tempuri.org/}EchoResult").text == "hi & bye"
    # WCF's default (sign, encrypt, encrypt the signature; the ReferenceList inside the EncryptedKey)
    assert wss.post(mockwcf_server.url, asymmetric_sbeaes()).status_code == 500
    assert mockwcf_server.last().resource_code == "MessageProtectionOrderMismatch"
