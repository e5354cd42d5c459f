"""How a reply names certificates and whether its SignatureConfirmations are encrypted, as WCF decides both
(binding/replyreference.py, security/x509clause.py; docs/design.md). Replies are verified and decrypted by
python-xmlsec (libxmlsec1), requests signed and encrypted by it."""

from __future__ import annotations

import base64
import copy

import pytest
import xmlsec
from cryptography.hazmat.primitives import serialization
from lxml import etree

from mockwcf import ns
from mockwcf.binding.explain import explain
from mockwcf.scenario import ScenarioError, load_text
from mockwcf.security import x509 as x509mod
from tests import test_asymmetric_encryption as asym
from tests import test_signature as sigtests
from tests import test_symmetric as sym
from tests import wss, xenc
from tests.conftest import CERTS, SCENARIOS

NOSKI = CERTS / "client-noski.pem"  # no Subject Key Identifier extension; its key is client.key


def _seed001(service=(CERTS / "service.pem", CERTS / "service.key"), **security) -> dict:
    data = sigtests.seed001(**security)
    data["credentials"]["serviceCertificate"] = {
        "certificate": str(service[0]),
        "privateKey": str(service[1]),
    }
    return data


def _signed_reply(server, data: dict) -> tuple[etree._Element, etree._Element]:
    """Load `data`, send seed 001's accepted request, verify the reply's signature with libxmlsec1 and the
    service certificate of `data`; (reply, its ds:Signature)."""
    server.load(data, base_dir=SCENARIOS)
    resp = wss.post(server.url, sigtests.signed())
    assert resp.status_code == 200, resp.text
    root = etree.fromstring(resp.content)
    xmlsec.tree.add_ids(root, ["Id"])
    sig = root.find(f".//{{{ns.DS}}}Signature")
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(
        data["credentials"]["serviceCertificate"]["certificate"], xmlsec.KeyFormat.CERT_PEM
    )
    ctx.verify(sig)
    return root, sig


@pytest.mark.parametrize(
    "service,clause",
    [
        ((CERTS / "service.pem", CERTS / "service.key"), "ski"),
        ((NOSKI, CERTS / "client.key"), "issuer_serial"),  # TryCreateFrom finds no extension: IssuerSerial
    ],
)
def test_wss10_reply_names_the_service_certificate_as_x509_reference_style_any_does(
    mockwcf_server, service, clause
):
    """CreateMutualCertificateBindingElement (WSS 1.0): RecipientTokenParameters Any, InclusionMode Never."""
    root, sig = _signed_reply(mockwcf_server, _seed001(service))
    key_info = sig.find(f"{{{ns.DS}}}KeyInfo")
    assert xenc.clause_of(key_info) == clause
    if clause == "issuer_serial":
        assert key_info.findtext(f".//{{{ns.DS}}}X509SerialNumber") == "2005"
    assert root.find(f".//{{{ns.WSSE}}}BinarySecurityToken") is None  # the service token stays out
    explained = explain(mockwcf_server.runtime.scenario.binding)
    assert (
        "RecipientTokenParameters: X509SecurityTokenParameters(X509ReferenceStyle=Any, InclusionMode=Never"
        in (explained)
    )
    assert "Reply: its signature names the service certificate by Any (its SubjectKeyIdentifier" in explained


@pytest.mark.parametrize(
    "override,clause",
    [
        ("Any", "ski"),
        ("IssuerSerial", "issuer_serial"),
        ("SubjectKeyIdentifier", "ski"),
        ("RawDataKeyIdentifier", "raw"),
        ("BinarySecurityToken", "reference"),
    ],
)
def test_response_token_reference_overrides_the_recipient_token_parameters(mockwcf_server, override, clause):
    root, sig = _signed_reply(mockwcf_server, _seed001(responseTokenReference=override))
    key_info = sig.find(f"{{{ns.DS}}}KeyInfo")
    assert xenc.clause_of(key_info) == clause
    bst = root.find(f".//{{{ns.WSSE}}}Security/{{{ns.WSSE}}}BinarySecurityToken")
    assert (bst is not None) == (override == "BinarySecurityToken")
    if clause == "raw":  # XmlDsigSep2000.X509CertificateClauseEntry: the DER, directly in the KeyInfo
        der = x509mod.load_pem_certificate(CERTS / "service.pem").public_bytes(serialization.Encoding.DER)
        assert base64.b64decode(key_info.findtext(f"{{{ns.DS}}}X509Data/{{{ns.DS}}}X509Certificate")) == der
    explained = explain(mockwcf_server.runtime.scenario.binding)
    recipient = next(line for line in explained.splitlines() if "RecipientTokenParameters" in line)
    if override == "BinarySecurityToken":
        assert "X509ReferenceStyle=Any, InclusionMode=AlwaysToInitiator" in recipient
    else:
        assert f"X509ReferenceStyle={override}, InclusionMode=Never" in recipient


SEED001_TEXT = (SCENARIOS / "seed001-mutual-certificate.yaml").read_text()


def _load_problem(text: str) -> str:
    with pytest.raises(ScenarioError) as err:
        load_text(text, "x.yaml", SCENARIOS)
    (line,) = [x for x in err.value.lines() if "responseTokenReference" in x]
    return line


def test_response_token_reference_refusals_name_the_key_and_the_way_out():
    # Thumbprint: only WSSecurityXXX2005 writes a ThumbprintSHA1 STR
    line = _load_problem(
        SEED001_TEXT.replace(
            "    securityHeaderLayout:", "    responseTokenReference: Thumbprint\n    securityHeaderLayout:"
        )
    )
    assert line.startswith("x.yaml:") and "WS-Security 1.1" in line
    # SubjectKeyIdentifier on a certificate without the extension (WCF throws securing the reply)
    noski = SEED001_TEXT.replace("../certs/service.pem", "../certs/client-noski.pem").replace(
        "../certs/service.key", "../certs/client.key"
    )
    line = _load_problem(
        noski.replace(
            "    securityHeaderLayout:",
            "    responseTokenReference: SubjectKeyIdentifier\n    securityHeaderLayout:",
        )
    )
    assert "no Subject Key Identifier extension" in line and "IssuerSerial" in line
    # a symmetric binding's reply names the request's key, never the service certificate
    symmetric = (SCENARIOS / "wshttp-message-username.yaml").read_text()
    symmetric = symmetric.replace(
        "    mode: Message\n", "    mode: Message\n    responseTokenReference: IssuerSerial\n"
    )
    assert "responseTokenReference: IssuerSerial" in symmetric
    assert "EncryptedKeySHA1" in _load_problem(symmetric)
    unsecured = "binding:\n  type: basicHttpBinding\n  security:\n    responseTokenReference: IssuerSerial\n"
    assert "without message security" in _load_problem(unsecured)


def _asymmetric(**security) -> dict:
    data = copy.deepcopy(asym.SCENARIO)
    data["binding"]["security"].update(security)
    return data


def test_the_encrypted_key_names_a_client_certificate_without_ski_by_issuer_serial(mockwcf_server):
    """InitiatorTokenParameters Any: client-noski.pem has no SKI extension, so the reply's EncryptedKey names it
    by IssuerSerial; the signature still names service.pem by its SKI."""
    mockwcf_server.load(_asymmetric())
    resp = wss.post(mockwcf_server.url, asym.request(client=NOSKI))
    assert resp.status_code == 200, resp.text
    root = asym.open_reply(resp.content, clause="issuer_serial")
    assert xenc.clause_of(root.find(f".//{{{ns.DS}}}Signature/{{{ns.DS}}}KeyInfo")) == "ski"


DUPLEX11 = {
    "binding": {
        "type": "customBinding",
        "messageVersion": "Soap11",
        "security": {
            "authenticationMode": "MutualCertificateDuplex",
            "messageSecurityVersion": "WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005"
            "WSSecurityPolicy11BasicSecurityProfile10",
            "requireSignatureConfirmation": True,
            "protectionLevel": "EncryptAndSign",
        },
    },
    "credentials": asym.SCENARIO["credentials"],
}


@pytest.mark.mockwcf_scenario(DUPLEX11)
def test_asymmetric_reply_encrypts_its_signature_confirmation_when_the_request_signature_was_encrypted(
    mockwcf_server,
):
    """CreateMutualCertificateDuplexBindingElement (WSS 1.1): the recipient token travels in the reply
    (AlwaysToInitiator: a BST referenced by id), the client certificate is named by Thumbprint, and the
    SignatureConfirmation, marked for encryption because the request's signature arrived encrypted, is an
    EncryptedData of its own after the signature's (CompleteEncryptionCore)."""
    body = asym.request()
    resp = wss.post(mockwcf_server.url, body)
    assert resp.status_code == 200, resp.text
    sec = etree.fromstring(resp.content).find(f".//{{{ns.WSSE}}}Security")
    assert sec.find(f"{{{ns.WSSE11}}}SignatureConfirmation") is None  # not in the clear
    ek = sec.find(f"{{{ns.XENC}}}EncryptedKey")
    assert [r.get("URI") for r in ek.find(f"{{{ns.XENC}}}ReferenceList")] == ["#_eb", "#_es", "#_esc0"]
    root = asym.open_reply(resp.content, clause="thumbprint", encrypted=3)
    assert xenc.clause_of(root.find(f".//{{{ns.DS}}}Signature/{{{ns.DS}}}KeyInfo")) == "reference"
    assert root.find(f".//{{{ns.WSSE}}}Security/{{{ns.WSSE}}}BinarySecurityToken") is not None
    confirmation = root.find(f".//{{{ns.WSSE11}}}SignatureConfirmation")
    request_value = asym_signature_value(body)
    assert confirmation is not None
    assert base64.b64decode(confirmation.get("Value")) == base64.b64decode(request_value)
    refs = [r.get("URI") for r in root.iter(f"{{{ns.DS}}}Reference")]
    assert f"#{confirmation.get(f'{{{ns.WSU}}}Id')}" in refs  # signed in the clear, then encrypted


def asym_signature_value(body: bytes) -> str:
    """The request's SignatureValue, from inside its EncryptedData (the test's own key: b'k' * 32)."""
    root = etree.fromstring(body)
    ed = next(e for e in root.iter(f"{{{ns.XENC}}}EncryptedData") if e.get("Id") == "ED-SIG")
    sig = xenc.decrypt_with_xmlsec(ed, b"k" * 32, ns.AES256_CBC)
    return sig.findtext(f"{{{ns.DS}}}SignatureValue")


ANONYMOUS_ENCRYPTED = copy.deepcopy(sym.ANONYMOUS_SIGN_ONLY)
ANONYMOUS_ENCRYPTED["binding"]["security"]["protectionLevel"] = "EncryptAndSign"
SIGN_BEFORE_ENCRYPT_CONFIRMED = copy.deepcopy(sym.SIGN_BEFORE_ENCRYPT)
SIGN_BEFORE_ENCRYPT_CONFIRMED["binding"]["security"]["requireSignatureConfirmation"] = True


def _confirmations(server, sent: sym.Sent) -> tuple[etree._Element, etree._Element]:
    resp = wss.post(server.url, sent.body, soap12=True)
    assert resp.status_code == 200, resp.text
    return etree.fromstring(resp.content).find(f".//{{{ns.WSSE}}}Security"), sym.open_reply(
        resp.content, sent
    )


@pytest.mark.mockwcf_scenario(ANONYMOUS_ENCRYPTED)
def test_symmetric_reply_encrypts_the_confirmation_of_an_encrypted_request_signature(mockwcf_server):
    sent = sym.request(mockwcf_server.url, username=False)
    sec, root = _confirmations(mockwcf_server, sent)
    assert sec.find(f"{{{ns.WSSE11}}}SignatureConfirmation") is None
    listed = [r.get("URI") for r in sec.find(f"{{{ns.XENC}}}ReferenceList")]
    assert listed == ["#_eb", "#_es", "#_esc0"]
    encrypted = next(e for e in sec.iter(f"{{{ns.XENC}}}EncryptedData") if e.get("Id") == "_esc0")
    assert encrypted.get("Type") == ns.XENC_ELEMENT
    assert (
        encrypted.find(f"{{{ns.DS}}}KeyInfo") is not None
    )  # the derived encryption key, as for the signature
    assert root.find(f".//{{{ns.WSSE11}}}SignatureConfirmation") is not None  # decrypted by libxmlsec1


@pytest.mark.mockwcf_scenario(SIGN_BEFORE_ENCRYPT_CONFIRMED)
@pytest.mark.parametrize("encrypt_sig", [False, True])
def test_the_mark_follows_the_request_not_the_protection_order(mockwcf_server, encrypt_sig):
    """SignBeforeEncrypt: the reply's own signature stays clear, but its SignatureConfirmation is encrypted
    exactly when the request's signature arrived encrypted (SignatureConfirmations.IsMarkedForEncryption)."""
    sent = sym.request(mockwcf_server.url, encrypt_sig=encrypt_sig)
    sec, root = _confirmations(mockwcf_server, sent)
    assert sec.find(f"{{{ns.DS}}}Signature") is not None
    assert (sec.find(f"{{{ns.WSSE11}}}SignatureConfirmation") is None) == encrypt_sig
    listed = [r.get("URI") for r in sec.find(f"{{{ns.XENC}}}ReferenceList")]
    assert listed == (["#_eb", "#_esc0"] if encrypt_sig else ["#_eb"])
    assert root.find(f".//{{{ns.WSSE11}}}SignatureConfirmation") is not None


@pytest.mark.mockwcf_scenario(sym.ANONYMOUS_SIGN_ONLY)
@pytest.mark.parametrize("encrypt_sig", [True, False])
def test_a_sign_level_symmetric_reply_encrypts_marked_confirmations_and_so_its_signature(
    mockwcf_server, encrypt_sig
):
    """SymmetricSecurityBindingElement sets ApplyConfidentiality outright, so SymmetricSecurityProtocol gives even
    a Sign-level reply the encryption key: the marked SignatureConfirmation is encrypted, and
    RemoveSignatureEncryptionIfAppropriate keeps the signature encrypted with it; the Body stays clear. A
    request signature sent clear marks nothing: nothing is encrypted, no encryption key is derived."""
    sent = sym.request(mockwcf_server.url, username=False, encrypt_body=False, encrypt_sig=encrypt_sig)
    sec, root = _confirmations_opened(mockwcf_server, sent, encrypted=encrypt_sig)
    assert (sec.find(f"{{{ns.WSSE11}}}SignatureConfirmation") is None) == encrypt_sig
    assert (sec.find(f"{{{ns.DS}}}Signature") is None) == encrypt_sig
    listed = sec.find(f"{{{ns.XENC}}}ReferenceList")
    assert [r.get("URI") for r in listed] == ["#_es", "#_esc0"] if encrypt_sig else listed is None
    body = root.find(f"{{{ns.SOAP12}}}Body")
    assert (
        body.find(f"{{{ns.XENC}}}EncryptedData") is None
        and body.find(".//{http://tempuri.org/}EchoResult") is not None
    )
    assert root.find(f".//{{{ns.WSSE11}}}SignatureConfirmation") is not None


def _confirmations_opened(server, sent: sym.Sent, encrypted: bool) -> tuple[etree._Element, etree._Element]:
    resp = wss.post(server.url, sent.body, soap12=True)
    assert resp.status_code == 200, resp.text
    sec = etree.fromstring(resp.content).find(f".//{{{ns.WSSE}}}Security")
    return sec, sym.open_reply(resp.content, sent, encrypted=encrypted)


def _duplex_with(level: str, operations: list[tuple[str, str | None]]) -> dict:
    data = copy.deepcopy(DUPLEX11)
    data["binding"]["security"]["protectionLevel"] = level
    data["binding"]["messageVersion"] = "Soap11WSAddressing10"  # no union of the replies' levels
    data["service"] = {
        "name": "EchoService",
        "namespace": "http://tempuri.org/",
        "operations": [
            {"name": n, "input": {"text": "string"}, "output": {f"{n}Result": "string"}}
            | ({"protectionLevel": lvl} if lvl else {})
            for n, lvl in operations
        ],
    }
    return data


def test_a_sign_level_asymmetric_reply_encrypts_marked_confirmations_when_any_reply_is_encrypted(
    mockwcf_server,
):
    """AsymmetricSecurityBindingElement: ApplyConfidentiality = HasProtectionRequirements(OutgoingEncryptionParts),
    endpoint-wide. With another operation at EncryptAndSign the Sign-level reply gets an EncryptedKey for the
    client whose ReferenceList names the signature and the marked confirmation; its Body stays clear."""
    mockwcf_server.load(_duplex_with("EncryptAndSign", [("Echo", "Sign"), ("Secret", None)]))
    body = asym.request(encrypt_body=False, addressing=True)
    resp = wss.post(mockwcf_server.url, body)
    assert resp.status_code == 200, resp.text
    sec = etree.fromstring(resp.content).find(f".//{{{ns.WSSE}}}Security")
    assert (
        sec.find(f"{{{ns.WSSE11}}}SignatureConfirmation") is None
        and sec.find(f"{{{ns.DS}}}Signature") is None
    )
    assert etree.fromstring(resp.content).find(f".//{{{ns.SOAP11}}}Body/{{{ns.XENC}}}EncryptedData") is None
    ek = sec.find(f"{{{ns.XENC}}}EncryptedKey")
    assert [r.get("URI") for r in ek.find(f"{{{ns.XENC}}}ReferenceList")] == ["#_es", "#_esc0"]
    root = asym.open_reply(resp.content, clause="thumbprint", encrypted=2)
    assert root.find(f".//{{{ns.SOAP11}}}Body/{{http://tempuri.org/}}EchoResponse") is not None
    confirmation = root.find(f".//{{{ns.WSSE11}}}SignatureConfirmation")
    assert base64.b64decode(confirmation.get("Value")) == base64.b64decode(asym_signature_value(body))


def test_a_sign_only_asymmetric_endpoint_sends_marked_confirmations_clear(mockwcf_server):
    """No reply has encrypted parts, so ApplyConfidentiality is false, SetUpDelayedSecurityExecution sets no
    encryption token, and the confirmation goes clear though the request's signature arrived encrypted."""
    mockwcf_server.load(_duplex_with("Sign", [("Echo", None)]))
    body = asym.request(encrypt_body=False, addressing=True)
    resp = wss.post(mockwcf_server.url, body)
    assert resp.status_code == 200, resp.text
    root = etree.fromstring(resp.content)
    assert root.find(f".//{{{ns.XENC}}}EncryptedKey") is None
    assert next(root.iter(f"{{{ns.XENC}}}EncryptedData"), None) is None
    confirmation = root.find(f".//{{{ns.WSSE}}}Security/{{{ns.WSSE11}}}SignatureConfirmation")
    assert base64.b64decode(confirmation.get("Value")) == base64.b64decode(asym_signature_value(body))
    xmlsec.tree.add_ids(root, ["Id"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(str(asym.SERVICE_PEM), xmlsec.KeyFormat.CERT_PEM)
    ctx.verify(root.find(f".//{{{ns.DS}}}Signature"))
