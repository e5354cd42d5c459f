"""wsHttpBinding Message UserName end to end (issue 12): a real server on loopback, requests built the way a WCF
client builds them by python-xmlsec (RSA-OAEP key transport, AES-256-CBC, HMAC-SHA1) with keys derived by
OpenSSL, and the reply decrypted and its signature verified by python-xmlsec. The usual mistakes get the code
WCF raises."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

import pytest
import xmlsec
from lxml import etree

from mockwcf import ns
from mockwcf.security import derivedkeys as dk
from tests import wss, xenc
from tests.conftest import CERTS, SCENARIOS

SCENARIO = SCENARIOS / "wshttp-message-username.yaml"
SERVICE_PEM, CLIENT_PEM = CERTS / "service.pem", CERTS / "client.pem"
SIGNED = ["TS-1", "UT-1", "A-1", "A-2", "A-3", "Body-1"]


@dataclass
class Sent:
    body: bytes
    key: bytes  # the EncryptedKey's key
    wrapped: bytes  # its CipherValue octets


def request(
    url: str,
    *,
    encrypt_body: bool = True,
    encrypt_ut: bool = True,
    encrypt_sig: bool = True,
    sign_with_base_key: bool = False,
    wrap_alg: str = ns.RSA_OAEP,
    wrap_for: object = SERVICE_PEM,
    named: object = SERVICE_PEM,
    password: str = "p@ssw0rd",
    sc: str = ns.WSC,
    username: bool = True,
    encrypt: bool = True,
    endorse: bool = False,
    action: str = wss.ACTION,
    payload: str | None = None,
    sign_body: bool = True,
) -> Sent:
    """The request a WCF client on wsHttpBinding Message UserName sends (see the scenario file)."""
    ek_key = os.urandom(32)
    n_sig, n_enc = os.urandom(16), os.urandom(16)
    k_sig = xenc.openssl_p_sha1(ek_key, dk.DEFAULT_LABEL + n_sig, 24)
    k_enc = xenc.openssl_p_sha1(ek_key, dk.DEFAULT_LABEL + n_enc, 32)
    doc = wss.envelope(
        wss.addressing(action, to=url)
        + wss.security(
            wss.timestamp(), *([wss.username_token(password=password)] if username else []), soap12=True
        ),
        payload,
        soap12=True,
        text="hi &amp; bye",
    )
    root = etree.fromstring(doc.encode())
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    body = root.find(f"{{{ns.SOAP12}}}Body")
    ids = [i for i in SIGNED if (username or i != "UT-1") and (sign_body or i != "Body-1")]
    sig = xenc.hmac_sign(
        root,
        ek_key if sign_with_base_key else k_sig,
        ids,
        "#EK-1" if sign_with_base_key else "#DK-S",
        sig_id="SIG-P",
    )
    endorsing = _endorse(root) if endorse else None
    scratch = etree.fromstring(wss.envelope(soap12=True).encode())
    _, ek = xenc.encrypt(scratch.find(f"{{{ns.SOAP12}}}Body"), ek_key, wrap_cert=wrap_for, wrap_alg=wrap_alg)
    xenc.place_encrypted_key(sec, ek, named, "thumbprint", position=1)
    wrapped = base64.b64decode(ek.find(f"{{{ns.XENC}}}CipherData/{{{ns.XENC}}}CipherValue").text)
    pos = 2
    if endorse:
        sec.insert(pos, etree.fromstring(wss.bst(CLIENT_PEM)))
        pos += 1
    sec.insert(pos, _dkt("DK-S", n_sig, 24, sc))
    if encrypt:
        pos += 1
        sec.insert(pos, _dkt("DK-E", n_enc, None, sc))
    listed = []
    for on, target, content, ed_id in (
        (encrypt_ut and username, sec.find(f"{{{ns.WSSE}}}UsernameToken"), False, "ED-UT"),
        (encrypt_body, body, True, "ED-B"),
        (encrypt_sig, sig, False, "ED-SIG"),
        (encrypt_sig and endorse, endorsing, False, "ED-END"),
    ):
        if on and encrypt:
            ed, _ = xenc.encrypt(target, k_enc, content=content, ed_id=ed_id)
            xenc.add_key_info(ed, xenc.str_reference("#DK-E"))
            listed.append(ed_id)
    if listed:
        sec.insert(pos + 1, xenc.reference_list(*listed))
    return Sent(etree.tostring(root), ek_key, wrapped)


def _endorse(root: etree._Element) -> etree._Element:
    """The client certificate's endorsing signature over the primary signature (RSA-SHA1, libxmlsec1)."""
    xmlsec.tree.add_ids(root, ["Id"])
    sig = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA1, id="SIG-E")
    ref = xmlsec.template.add_reference(sig, xmlsec.Transform.SHA1, uri="#SIG-P")
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    root.find(f".//{{{ns.WSSE}}}Security").append(sig)
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(str(CERTS / "client.key"), xmlsec.KeyFormat.PEM)
    ctx.sign(sig)
    key_info = etree.SubElement(sig, f"{{{ns.DS}}}KeyInfo")
    key_info.append(xenc.str_reference("#X509-1", ns.X509V3))
    return sig


def _dkt(id: str, nonce: bytes, length: int | None, sc: str) -> etree._Element:
    sizes = f"<c:Offset>0</c:Offset><c:Length>{length}</c:Length>" if length else ""
    return etree.fromstring(
        f'<c:DerivedKeyToken xmlns:c="{sc}" xmlns:u="{ns.WSU}" xmlns:o="{ns.WSSE}" u:Id="{id}">'
        f'<o:SecurityTokenReference><o:Reference URI="#EK-1" ValueType="{ns.ENCRYPTED_KEY_TOKEN_TYPE}"/>'
        f"</o:SecurityTokenReference>{sizes}<c:Nonce>{base64.b64encode(nonce).decode()}</c:Nonce>"
        "</c:DerivedKeyToken>"
    )


def open_reply(content: bytes, sent: Sent, sc: str = ns.WSC, encrypted: bool = True) -> etree._Element:
    """What the client does with the reply, by libxmlsec1 and OpenSSL: derive both keys from its own key (the
    DKTs must name it by EncryptedKeySHA1), decrypt the signature and the Body, verify the HMAC signature."""
    root = etree.fromstring(content)
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    keys = {}
    for token in sec.findall(f"{{{sc}}}DerivedKeyToken"):
        ki = token.find(f"{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}KeyIdentifier")
        assert ki.get("ValueType") == ns.ENCRYPTED_KEY_SHA1
        assert base64.b64decode(ki.text) == hashlib.sha1(sent.wrapped).digest()
        length = token.find(f"{{{sc}}}Length")
        n = int(length.text) if length is not None else 32
        nonce = base64.b64decode(token.find(f"{{{sc}}}Nonce").text)
        keys[token.get(f"{{{ns.WSU}}}Id")] = xenc.openssl_p_sha1(sent.key, dk.DEFAULT_LABEL + nonce, n)
    assert sorted(len(k) for k in keys.values()) == ([24, 32] if encrypted else [24])
    sig_key = next(k for k in keys.values() if len(k) == 24)
    eds = list(root.iter(f"{{{ns.XENC}}}EncryptedData"))
    assert bool(eds) == encrypted
    if encrypted:
        enc_key = next(k for k in keys.values() if len(k) == 32)
        listed = [r.get("URI")[1:] for r in sec.find(f"{{{ns.XENC}}}ReferenceList")]
        for ed in eds:
            assert ed.get("Id") in listed
            xenc.decrypt_with_xmlsec(ed, enc_key, ns.AES256_CBC)
    root = etree.fromstring(etree.tostring(root))
    xmlsec.tree.add_ids(root, ["Id"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.HMAC, sig_key)
    sig = root.find(f".//{{{ns.DS}}}Signature")
    ctx.verify(sig)
    assert {r.get("URI") for r in sig.iter(f"{{{ns.DS}}}Reference")} >= {"#_0", "#_1"}
    return root


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_wcf_shaped_request_is_accepted_and_the_reply_opens_with_xmlsec(mockwcf_server):
    sent = request(mockwcf_server.url)
    resp = wss.post(mockwcf_server.url, sent.body, soap12=True)
    assert resp.status_code == 200, resp.text
    mockwcf_server.assert_accepted()
    root = open_reply(resp.content, sent)
    result = root.find(f".//{{{ns.SOAP12}}}Body//{{http://tempuri.org/}}EchoResult")
    assert result is not None and result.text == "hi & bye"
    steps = " ".join(s["detail"] for s in mockwcf_server.last().steps)
    assert "unwrapped with the service certificate" in steps and "Body decrypted" in steps


@pytest.mark.mockwcf_scenario(SCENARIO)
@pytest.mark.parametrize(
    "mistake,code",
    [
        ({"encrypt_body": False}, "RequiredMessagePartNotEncryptedNs"),
        ({"encrypt_ut": False}, "SupportingTokenIsNotEncrypted"),
        ({"encrypt_sig": False}, "PrimarySignatureIsRequiredToBeEncrypted"),
        ({"sign_with_base_key": True}, "PrimarySignatureWasNotSignedByDerivedWrappedKey"),
        ({"wrap_alg": ns.RSA_15}, "SuiteDoesNotAcceptAlgorithm"),
        (
            {"wrap_for": CLIENT_PEM, "named": CLIENT_PEM},
            "EncryptedKeyWasNotEncryptedWithTheRequiredEncryptingToken",
        ),
        ({"wrap_for": CLIENT_PEM}, "MessageSecurityVerificationFailed"),
        ({"password": "wrong"}, "UserNameAuthenticationFailed"),
    ],
)
def test_usual_mistakes_get_wcfs_codes(mockwcf_server, mistake, code):
    sent = request(mockwcf_server.url, **mistake)
    resp = wss.post(mockwcf_server.url, sent.body, soap12=True)
    assert resp.status_code == 500
    assert mockwcf_server.last().resource_code == code
    assert b"InvalidSecurity" in resp.content or b"FailedAuthentication" in resp.content


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_a_replayed_request_is_refused(mockwcf_server):
    sent = request(mockwcf_server.url)
    assert wss.post(mockwcf_server.url, sent.body, soap12=True).status_code == 200
    resp = wss.post(mockwcf_server.url, sent.body, soap12=True)
    assert resp.status_code == 500 and mockwcf_server.last().resource_code == "InvalidOrReplayedNonce"


def _scenario(binding: dict) -> dict:
    return {
        "binding": binding,
        "credentials": {
            "serviceCertificate": {"certificate": str(SERVICE_PEM), "privateKey": str(CERTS / "service.key")},
            "userNameAuthentication": {"users": {"alice": "p@ssw0rd"}},
        },
    }


WS2007 = _scenario(
    {
        "type": "ws2007HttpBinding",
        "security": {
            "mode": "Message",
            "clientCredentialType": "UserName",
            "negotiateServiceCredential": False,
            "establishSecurityContext": False,
            "protectionLevel": "EncryptAndSign",
        },
    }
)
SIGN_BEFORE_ENCRYPT = _scenario(
    {
        "type": "customBinding",
        "messageVersion": "Soap12WSAddressing10",
        "security": {
            "authenticationMode": "UserNameForCertificate",
            "protectionLevel": "EncryptAndSign",
            "messageProtectionOrder": "SignBeforeEncrypt",
        },
    }
)
ANONYMOUS_SIGN_ONLY = _scenario(
    {
        "type": "customBinding",
        "messageVersion": "Soap12WSAddressing10",
        "security": {"authenticationMode": "AnonymousForCertificate", "protectionLevel": "Sign"},
    }
)


@pytest.mark.mockwcf_scenario(WS2007)
def test_ws2007_derived_keys_use_the_ws_sx_13_namespace(mockwcf_server):
    sent = request(mockwcf_server.url, sc=ns.WSC13)
    resp = wss.post(mockwcf_server.url, sent.body, soap12=True)
    assert resp.status_code == 200, resp.text
    open_reply(resp.content, sent, sc=ns.WSC13)
    feb2005 = request(mockwcf_server.url)
    resp = wss.post(mockwcf_server.url, feb2005.body, soap12=True)
    assert resp.status_code == 500 and mockwcf_server.last().resource_code == "CannotReadToken"


@pytest.mark.mockwcf_scenario(SIGN_BEFORE_ENCRYPT)
def test_sign_before_encrypt_takes_a_clear_signature(mockwcf_server):
    sent = request(mockwcf_server.url, encrypt_sig=False)
    resp = wss.post(mockwcf_server.url, sent.body, soap12=True)
    assert resp.status_code == 200, resp.text
    root = open_reply(resp.content, sent)
    assert root.find(f".//{{{ns.WSSE}}}Security/{{{ns.DS}}}Signature") is not None  # the reply's is clear too


@pytest.mark.mockwcf_scenario(ANONYMOUS_SIGN_ONLY)
def test_anonymous_for_certificate_sign_only_with_signature_confirmation(mockwcf_server):
    sent = request(mockwcf_server.url, username=False, encrypt=False)
    resp = wss.post(mockwcf_server.url, sent.body, soap12=True)
    assert resp.status_code == 200, resp.text
    root = open_reply(resp.content, sent, encrypted=False)
    confirmation = root.find(f".//{{{ns.WSSE11}}}SignatureConfirmation")
    request_sig = etree.fromstring(sent.body).find(f".//{{{ns.DS}}}SignatureValue").text
    assert confirmation is not None and confirmation.get("Value") == request_sig
    # SymmetricSecurityBindingElement sets RequireConfidentiality outright, so ExpectEncryption holds at Sign
    # too: a Body and signature encrypted anyway are decrypted and accepted (encryption.expects_encryption)
    encrypted = request(mockwcf_server.url, username=False)
    resp = wss.post(mockwcf_server.url, encrypted.body, soap12=True)
    assert resp.status_code == 200, resp.text
    assert any(s["detail"].startswith("Body decrypted") for s in mockwcf_server.last().steps)


@pytest.mark.mockwcf_scenario(SCENARIOS / "wshttp-message-certificate.yaml")
def test_message_certificate_endorsing_client_certificate_and_signature_confirmation(mockwcf_server):
    """wsHttpBinding Message Certificate: the symmetric MutualCertificate (WSS 1.1). The client certificate
    endorses the primary signature; both signatures travel encrypted and the reply confirms both values."""
    sent = request(mockwcf_server.url, username=False, endorse=True)
    resp = wss.post(mockwcf_server.url, sent.body, soap12=True)
    assert resp.status_code == 200, resp.text
    root = open_reply(resp.content, sent)
    values = {c.get("Value") for c in root.iter(f"{{{ns.WSSE11}}}SignatureConfirmation")}
    assert len(values) == 2 and None not in values
    unendorsed = request(mockwcf_server.url, username=False)
    resp = wss.post(mockwcf_server.url, unendorsed.body, soap12=True)
    assert resp.status_code == 500 and mockwcf_server.last().resource_code == "SupportingTokenNotProvided"


def _reshape(sent: Sent, change) -> bytes:
    root = etree.fromstring(sent.body)
    change(root.find(f".//{{{ns.WSSE}}}Security"))
    return etree.tostring(root)


def _move_encrypted_key_last(sec: etree._Element) -> None:
    sec.append(sec.find(f"{{{ns.XENC}}}EncryptedKey"))


def _unlist_username_token(sec: etree._Element) -> None:
    refs = sec.find(f"{{{ns.XENC}}}ReferenceList")
    refs.remove(next(r for r in refs if r.get("URI") == "#ED-UT"))


def _derive_from_the_username_token(sec: etree._Element) -> None:
    dkt = sec.find(f"{{{ns.WSC}}}DerivedKeyToken")
    ref = dkt.find(f"{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}Reference")
    ref.set("URI", "#UT-1")
    del ref.attrib["ValueType"]
    # the UsernameToken must be read first: put it in clear before the DerivedKeyTokens
    sec.insert(1, etree.fromstring(wss.username_token()))


@pytest.mark.mockwcf_scenario(SCENARIO)
@pytest.mark.parametrize(
    "change,code",
    [
        (_move_encrypted_key_last, "UnableToResolveKeyInfoClauseInDerivedKeyToken"),
        (_unlist_username_token, "UnexpectedEncryptedElementInSecurityHeader"),
        (_derive_from_the_username_token, "DerivedKeyCannotDeriveFromSecret"),
    ],
)
def test_header_order_and_key_sources(mockwcf_server, change, code):
    body = _reshape(request(mockwcf_server.url), change)
    resp = wss.post(mockwcf_server.url, body, soap12=True)
    assert resp.status_code == 500
    assert mockwcf_server.last().resource_code == code


@pytest.mark.mockwcf_scenario(SCENARIO)
def test_mutated_requests_never_reach_an_internal_error(mockwcf_server):
    """Bounded structural fuzz (80 mutations of one valid request, fixed seed): removing, emptying or corrupting
    any element of the security header or Body gets a WCF code, never mockwcf's internal-error fault."""
    import random

    rng = random.Random(12)
    base = etree.fromstring(request(mockwcf_server.url).body)
    targets = [e for e in base.iter() if isinstance(e.tag, str) and e is not base]
    codes = set()
    for _ in range(80):
        root = etree.fromstring(etree.tostring(base))
        element = [e for e in root.iter() if isinstance(e.tag, str) and e is not root][
            rng.randrange(len(targets))
        ]
        action = rng.choice(("remove", "empty", "text", "attr"))
        if action == "remove" and element.getparent() is not None:
            element.getparent().remove(element)
        elif action == "empty":
            element[:] = []
            element.text = None
        elif action == "text":
            element.text = rng.choice(("", "AAAA", "-1", "99999999999", "!!"))
        else:
            for name in list(element.attrib):
                element.set(name, rng.choice(("", "#", "#nope", "x")))
        resp = wss.post(mockwcf_server.url, etree.tostring(root), soap12=True)
        entry = mockwcf_server.last()
        assert entry.resource_code != "SFxInternalServerError", (action, element.tag, entry.reason)
        codes.add(entry.resource_code or resp.status_code)
    assert len(codes) > 5, codes  # the mutations reached many different checks
