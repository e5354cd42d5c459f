"""basicHttpBinding Message security with EncryptAndSign (issue 12): WCF's asymmetric MutualCertificate (WSS 1.0,
Lax) with the key wrapped for the service certificate and the reply encrypted for the client certificate.
Requests are signed and encrypted by python-xmlsec; the reply is unwrapped, decrypted and verified by it."""

from __future__ import annotations

import base64
import copy
from pathlib import Path

import pytest
import xmlsec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

from mockwcf import ns
from mockwcf.security import suites
from tests import wss, xenc
from tests.conftest import CERTS

SERVICE_PEM, CLIENT_PEM = CERTS / "service.pem", CERTS / "client.pem"
SCENARIO = {
    "binding": {
        "type": "basicHttpBinding",
        "security": {
            "mode": "Message",
            "clientCredentialType": "Certificate",
            "protectionLevel": "EncryptAndSign",
        },
    },
    "credentials": {
        "serviceCertificate": {"certificate": str(SERVICE_PEM), "privateKey": str(CERTS / "service.key")},
        "clientCertificate": {
            "certificateValidationMode": "ChainTrust",
            "trustedCertificates": [str(CERTS / "ca.pem")],
        },
    },
}


def request(
    encrypt_signature: bool = True,
    encrypt_body: bool = True,
    style: str = "ski",
    suite: str = "Basic256",
    client: Path = CLIENT_PEM,
    addressing: bool = False,
) -> bytes:
    """What WCF's client writes for basicHttpBinding Message Certificate with EncryptAndSign: Timestamp, the
    client BST, an EncryptedKey for the service certificate whose own ReferenceList names the encrypted Body
    and signature (their EncryptedData carry no KeyInfo), the RSA signature; algorithms and key size are
    `suite`'s; `client` is the certificate sent (client-noski.pem has client.key too); `addressing` adds the
    signed WS-Addressing 1.0 Action, MessageID and To."""
    s = suites.get(suite)
    sha = "sha256" if s.digest == ns.SHA256 else "sha1"
    headers = wss.security(wss.timestamp(), wss.bst(client)) + (wss.addressing() if addressing else "")
    doc = wss.envelope(headers, text="hi &amp; bye")
    parts = ["TS-1", *(["A-1", "A-2", "A-3"] if addressing else []), "Body-1"]
    signed = wss.sign(doc, CERTS / "client.key", client, parts, sig_alg=f"rsa-{sha}", digest=sha)
    root = etree.fromstring(signed.encode())
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    sig = sec.find(f"{{{ns.DS}}}Signature")
    key = b"k" * (s.symmetric_key_bits // 8)
    scratch = etree.fromstring(wss.envelope().encode())
    body = scratch.find(f"{{{ns.SOAP11}}}Body")
    _, ek = xenc.encrypt(body, key, s.encryption, wrap_cert=SERVICE_PEM, wrap_alg=s.asymmetric_key_wrap)
    listed = []
    if encrypt_body:
        xenc.encrypt(root.find(f"{{{ns.SOAP11}}}Body"), key, s.encryption, ed_id="ED-B")
        listed.append("ED-B")
    if encrypt_signature:
        xenc.encrypt(sig, key, s.encryption, content=False, ed_id="ED-SIG")
        listed.append("ED-SIG")
    xenc.place_encrypted_key(sec, ek, SERVICE_PEM, style, position=2)
    if listed:
        ek.append(xenc.reference_list(*listed))
    return etree.tostring(root)


def open_reply(
    content: bytes, method: str = ns.AES256_CBC, clause: str = "ski", encrypted: int = 2
) -> etree._Element:
    """Unwrap, decrypt and verify the reply with libxmlsec1; the EncryptedKey names the client certificate by
    `clause` (X509ReferenceStyle Any: the SKI of client.pem) and lists `encrypted` EncryptedData."""
    root = etree.fromstring(content)
    ek = root.find(f".//{{{ns.XENC}}}EncryptedKey")
    assert xenc.clause_of(ek.find(f"{{{ns.DS}}}KeyInfo")) == clause
    key = xenc.unwrap_with_xmlsec(ek, CERTS / "client.key")
    listed = [r.get("URI")[1:] for r in ek.find(f"{{{ns.XENC}}}ReferenceList")]
    eds = list(root.iter(f"{{{ns.XENC}}}EncryptedData"))
    assert sorted(e.get("Id") for e in eds) == sorted(listed) and len(eds) == encrypted
    for ed in eds:
        assert ed.find(f"{{{ns.DS}}}KeyInfo") is None
        assert ed.find(f"{{{ns.XENC}}}EncryptionMethod").get("Algorithm") == method
        xenc.decrypt_with_xmlsec(ed, key, method)
    root = etree.fromstring(etree.tostring(root))
    xmlsec.tree.add_ids(root, ["Id"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(str(SERVICE_PEM), xmlsec.KeyFormat.CERT_PEM)
    ctx.verify(root.find(f".//{{{ns.DS}}}Signature"))
    return root


@pytest.mark.parametrize("suite", ["Basic256", "Basic128", "Basic256Sha256", "TripleDesRsa15"])
def test_encrypted_request_accepted_and_reply_encrypted_for_the_client_certificate(mockwcf_server, suite):
    """Every suite's algorithms and key sizes, both ways (the asymmetric binding takes any of WCF's suites)."""
    data = copy.deepcopy(SCENARIO)
    data["binding"]["security"]["algorithmSuite"] = suite
    mockwcf_server.load(data)
    resp = wss.post(mockwcf_server.url, request(suite=suite))
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    root = open_reply(resp.content, suites.get(suite).encryption)
    assert root.find(".//{http://tempuri.org/}EchoResult").text == "hi & bye"


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_the_encrypted_reply_signature_is_a_document_of_its_own(mockwcf_server):
    """WCF encrypts the signature as written by a fresh writer (WSSecurityOneDotZeroSendSecurityHeader
    .CaptureSecurityElement), so the plaintext declares every prefix it uses: Mono parses it alone and failed
    on "'o' is an undeclared prefix" before. Decrypted here without the header around it."""
    resp = wss.post(mockwcf_server.url, request())
    assert resp.status_code == 200, resp.text
    root = etree.fromstring(resp.content)
    key = xenc.unwrap_with_xmlsec(root.find(f".//{{{ns.XENC}}}EncryptedKey"), CERTS / "client.key")
    es = next(e for e in root.iter(f"{{{ns.XENC}}}EncryptedData") if e.get("Id") == "_es")
    data = base64.b64decode(es.findtext(f".//{{{ns.XENC}}}CipherValue"))
    plain = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor().update(data[16:])
    plain = plain[: -plain[-1]]  # XML Encryption padding: the last byte is the pad length
    signature = etree.fromstring(plain)  # raises XMLSyntaxError on an undeclared prefix
    assert signature.tag == f"{{{ns.DS}}}Signature"
    assert signature.find(f".//{{{ns.WSSE}}}SecurityTokenReference") is not None


@pytest.mark.mockwcf_scenario(SCENARIO)
@pytest.mark.parametrize(
    "kw,code",
    [
        ({"encrypt_body": False}, "RequiredMessagePartNotEncryptedNs"),
        ({"encrypt_signature": False}, "PrimarySignatureIsRequiredToBeEncrypted"),
        ({"style": "thumbprint"}, "CannotReadKeyIdentifierClause"),  # ThumbprintSHA1 is WSS 1.1
    ],
)
def test_asymmetric_encryption_mistakes(mockwcf_server, kw, code):
    resp = wss.post(mockwcf_server.url, request(**kw))
    assert resp.status_code == 500
    assert mockwcf_server.last().resource_code == code


def test_the_reply_key_is_wrapped_with_oaep():
    """Basic256 wraps with RSA-OAEP (SHA-1); checked on the helper, independent of a server."""
    from mockwcf.binding.model import X509KeyIdentifierClauseType
    from mockwcf.security import suites, x509clause
    from mockwcf.security import x509 as x509mod
    from mockwcf.security.symmetricreply import encrypt_for_client

    cert = x509mod.load_pem_certificate(CLIENT_PEM)
    ek, _, body, _ = encrypt_for_client(
        cert,
        suites.get("Basic256"),
        reference=x509clause.clause(X509KeyIdentifierClauseType.Any, cert),
        encrypt_signature=False,
        signature="",
        body_start="<s:Body>",
        payload="<x/>",
    )
    element = etree.fromstring(ek)
    assert element.find(f"{{{ns.XENC}}}EncryptionMethod").get("Algorithm") == ns.RSA_OAEP
    assert len(xenc.unwrap_with_xmlsec(element, CERTS / "client.key")) == 32
    assert element.find(f".//{{{ns.WSSE}}}KeyIdentifier").get("ValueType") == ns.SKI_VALUE_TYPE
    assert base64.b64decode(element.findtext(f".//{{{ns.XENC}}}CipherValue"))


def test_a_sign_only_asymmetric_binding_still_expects_encryption(mockwcf_server):
    """AsymmetricSecurityBindingElement: RequireConfidentiality = HasProtectionRequirements(IncomingEncryption
    Parts), true through the binding's own fault-action requirements at EncryptAndSign, so ExpectEncryption holds
    at ProtectionLevel Sign: an encrypted Body and signature are unwrapped, decrypted and accepted; a clear
    request is accepted too (the action's RequiredEncryptionParts do not include the Body)."""
    data = copy.deepcopy(SCENARIO)
    data["binding"]["security"]["protectionLevel"] = "Sign"
    mockwcf_server.load(data)
    resp = wss.post(mockwcf_server.url, request())
    assert resp.status_code == 200, resp.text
    assert any(s["detail"].startswith("Body decrypted") for s in mockwcf_server.last().steps)
    clear = request(encrypt_signature=False, encrypt_body=False)
    assert wss.post(mockwcf_server.url, clear).status_code == 200
