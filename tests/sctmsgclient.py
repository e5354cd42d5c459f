"""A secure-conversation client over Message security, built from lxml, python-xmlsec (libxmlsec1), OpenSSL's
P_SHA1 and tests/sctclient.py, never from mockwcf's own code: the RST/SCT secured by the one-shot UserName
binding (EncryptedKey for the service certificate, derived keys, encrypted UsernameToken, signature and Body),
then application messages and Cancel protected by keys derived from the SCT, shaped as WCF's client sends them
on wsHttpBinding Message security with establishSecurityContext=true."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xmlsec
from lxml import etree

from mockwcf import ns
from tests import sctclient, wss, xenc

LABEL = b"WS-SecureConversationWS-SecureConversation"  # the default derivation label (WS-SC)
SOAP_BODY = f"{{{ns.SOAP12}}}Body"


@dataclass
class Bootstrap:
    key: bytes  # the EncryptedKey's key
    wrapped: bytes  # its CipherValue octets (the reply names it by their SHA-1)


def _dkt(id: str, nonce: bytes, length: int | None, sc: str, reference: str) -> etree._Element:
    sizes = f"<c:Offset>0</c:Offset><c:Length>{length}</c:Length>" if length else ""
    return etree.fromstring(
        f'<c:DerivedKeyToken xmlns:c="{sc}" xmlns:u="{ns.WSU}" u:Id="{id}">{reference}{sizes}'
        f"<c:Nonce>{base64.b64encode(nonce).decode()}</c:Nonce></c:DerivedKeyToken>"
    )


def _str(uri: str, value_type: str) -> str:
    return (
        f'<o:SecurityTokenReference xmlns:o="{ns.WSSE}"><o:Reference URI="{uri}" ValueType="{value_type}"/>'
        "</o:SecurityTokenReference>"
    )


def protect(
    root: etree._Element,
    base_key: bytes,
    dkt_reference: str,
    position: int,
    signed: list[str],
    sc: str = ns.WSC,
    base_key_uri: str | None = None,
    endorse: Callable[[etree._Element], etree._Element] | None = None,
    encrypt_body: bool = True,
) -> None:
    """Sign `signed` with HMAC-SHA1 by a 24-byte key derived from `base_key` (or with `base_key` itself,
    named by `base_key_uri`), then encrypt the UsernameToken (when present), the Body content and the
    signature with a 32-byte derived key (AES-256-CBC), as SignBeforeEncryptAndEncryptSignature does."""
    n_sig, n_enc = os.urandom(16), os.urandom(16)
    k_sig = xenc.openssl_p_sha1(base_key, LABEL + n_sig, 24)
    k_enc = xenc.openssl_p_sha1(base_key, LABEL + n_enc, 32)
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    sig = xenc.hmac_sign(
        root, base_key if base_key_uri else k_sig, signed, base_key_uri or "#DK-S", sig_id="SIG-P"
    )
    endorsing = endorse(root) if endorse is not None else None  # signs the primary signature
    sec.insert(position, _dkt("DK-S", n_sig, 24, sc, dkt_reference))
    targets = [
        (sec.find(f"{{{ns.WSSE}}}UsernameToken"), False, "ED-UT"),
        (root.find(SOAP_BODY), True, "ED-B"),
        (sig, False, "ED-SIG"),
        (endorsing, False, "ED-END"),
    ]
    if not encrypt_body:  # the Body in clear; with no UsernameToken nothing is encrypted (no DK-E, no list)
        targets = [targets[0], (targets[2][0] if targets[0][0] is not None else None, False, "ED-SIG")]
    listed = []
    for target, content, ed_id in targets:
        if target is not None:
            ed, _ = xenc.encrypt(target, k_enc, content=content, ed_id=ed_id)
            xenc.add_key_info(ed, xenc.str_reference("#DK-E"))
            listed.append(ed_id)
    if listed:
        sec.insert(position + 1, _dkt("DK-E", n_enc, None, sc, dkt_reference))
        sec.insert(position + 2, xenc.reference_list(*listed))


def issue_request(
    url: str,
    service_pem: Path,
    user: str = "alice",
    client_cert: tuple[str, Callable[[etree._Element], etree._Element]] | None = None,
    version: str = "feb2005",
    encrypt_body: bool = True,
) -> tuple[bytes, Bootstrap, bytes]:
    """RST/SCT secured by the UserNameForCertificate bootstrap, or with `client_cert` (its BinarySecurityToken
    and a function making its endorsing signature) by the MutualCertificate one; returns (message, bootstrap
    key, client entropy)."""
    t, sc = sctclient.VERSIONS[version]
    rst_env, entropy = sctclient.rst(version, user=None)
    rst_body = etree.tostring(etree.fromstring(rst_env).find(SOAP_BODY)[0]).decode()
    credential = wss.username_token(user=user) if client_cert is None else ""
    doc = wss.envelope(
        wss.addressing(f"{t}/RST/SCT", to=url) + wss.security(wss.timestamp(), credential, soap12=True),
        body=rst_body,
        soap12=True,
    )
    root = etree.fromstring(doc.encode())
    signed = (
        ["TS-1", "A-1", "A-2", "A-3", "Body-1"]
        if client_cert
        else ["TS-1", "UT-1", "A-1", "A-2", "A-3", "Body-1"]
    )
    boot = _bootstrap(root, service_pem, signed, sc, client_cert[1] if client_cert else None, encrypt_body)
    if client_cert is not None:
        root.find(f".//{{{ns.WSSE}}}Security").insert(2, etree.fromstring(client_cert[0]))
    return etree.tostring(root), boot, entropy


def _bootstrap(
    root: etree._Element,
    service_pem: Path,
    signed: list[str],
    sc: str,
    endorse: Callable[[etree._Element], etree._Element] | None,
    encrypt_body: bool = True,
) -> Bootstrap:
    """The one-shot bootstrap's protection: an EncryptedKey for the service certificate and `protect`."""
    key = os.urandom(32)
    scratch = etree.fromstring(wss.envelope(soap12=True).encode())
    _, ek = xenc.encrypt(scratch.find(SOAP_BODY), key, wrap_cert=service_pem)
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    protect(
        root,
        key,
        _str("#EK-1", ns.ENCRYPTED_KEY_TOKEN_TYPE),
        1,
        signed,
        sc,
        endorse=endorse,
        encrypt_body=encrypt_body,
    )
    xenc.place_encrypted_key(sec, ek, service_pem, "thumbprint", position=1)
    wrapped = base64.b64decode(ek.find(f"{{{ns.XENC}}}CipherData/{{{ns.XENC}}}CipherValue").text)
    return Bootstrap(key, wrapped)


def renew_request(
    url: str,
    service_pem: Path,
    session: sctclient.Session,
    user: str = "alice",
    *,
    sct: bool = True,
    endorse: str | None = "derived",
    target: str = "context",
) -> tuple[bytes, Bootstrap, bytes]:
    """RST/SCT/Renew as WCF's SecuritySessionSecurityTokenProvider sends it over a Message bootstrap: secured by
    the UserNameForCertificate bootstrap, the current SCT and a DerivedKeyToken naming it, the SCT-derived key's
    HMAC endorsing signature over the primary signature (`endorse` "base": the SCT's own key; "unknown": a KeyInfo
    naming nothing; None: no endorsing signature; `sct` False: no SCT). Returns (message, bootstrap key, client entropy)."""
    t, sc = sctclient.VERSIONS[session.version]
    transport_form, entropy = sctclient.renew(session, target=target)
    rst_body = etree.tostring(etree.fromstring(transport_form.encode()).find(SOAP_BODY)[0]).decode()
    doc = wss.envelope(
        wss.addressing(f"{t}/RST/SCT/Renew", to=url)
        + wss.security(
            wss.timestamp(), wss.username_token(user=user), session.sct_xml if sct else "", soap12=True
        ),
        body=rst_body,
        soap12=True,
    )
    root = etree.fromstring(doc.encode())
    nonce = os.urandom(16)
    key, key_ref = session.key, f"#{session.token_id}"
    if endorse == "derived":
        key, key_ref = xenc.openssl_p_sha1(session.key, LABEL + nonce, 24), "#DK-R"
        dkt = _dkt("DK-R", nonce, 24, sc, _str(f"#{session.token_id}", f"{sc}/sct"))
        root.find(f".//{{{ns.WSSE}}}Security").append(dkt)

    if endorse == "unknown":  # a KeyInfo naming no token of the message
        key_ref = "#nowhere"

    def endorsing(root: etree._Element) -> etree._Element:
        return xenc.hmac_sign(root, key, ["SIG-P"], key_ref, sig_id="SIG-E")

    signed = ["TS-1", "UT-1", "A-1", "A-2", "A-3", "Body-1"]
    boot = _bootstrap(root, service_pem, signed, sc, endorsing if endorse else None)
    return etree.tostring(root), boot, entropy


def open_reply(
    content: bytes,
    base_key: bytes,
    names_base: Callable[[etree._Element], bool],
    sc: str = ns.WSC,
    encrypted: bool = True,
) -> etree._Element:
    """Derive the reply's keys from `base_key` (each DKT's reference must satisfy `names_base`), decrypt the
    signature and the Body with libxmlsec1, verify the HMAC signature; returns the opened envelope."""
    root = etree.fromstring(content)
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    keys = {}
    for token in sec.findall(f"{{{sc}}}DerivedKeyToken"):
        assert names_base(token.find(f"{{{ns.WSSE}}}SecurityTokenReference")), etree.tostring(token)
        length = token.find(f"{{{sc}}}Length")
        nonce = base64.b64decode(token.find(f"{{{sc}}}Nonce").text)
        n = int(length.text) if length is not None else 32
        keys[n] = xenc.openssl_p_sha1(base_key, LABEL + nonce, n)
    assert sorted(keys) == ([24, 32] if encrypted else [24]), etree.tostring(sec)
    assert encrypted or root.find(f".//{{{ns.XENC}}}EncryptedData") is None
    for ed in list(root.iter(f"{{{ns.XENC}}}EncryptedData")):
        xenc.decrypt_with_xmlsec(ed, keys[32], ns.AES256_CBC)
    root = etree.fromstring(etree.tostring(root))
    xmlsec.tree.add_ids(root, ["Id"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.HMAC, keys[24])
    ctx.verify(root.find(f".//{{{ns.DS}}}Signature"))
    return root


def names_encrypted_key(boot: Bootstrap) -> Callable[[etree._Element], bool]:
    def check(ref: etree._Element) -> bool:
        ki = ref.find(f"{{{ns.WSSE}}}KeyIdentifier")
        return (
            ki is not None
            and ki.get("ValueType") == ns.ENCRYPTED_KEY_SHA1
            and base64.b64decode(ki.text) == hashlib.sha1(boot.wrapped).digest()
        )

    return check


def names_context(session: sctclient.Session) -> Callable[[etree._Element], bool]:
    sc = sctclient.VERSIONS[session.version][1]

    def check(ref: etree._Element) -> bool:
        r = ref.find(f"{{{ns.WSSE}}}Reference")
        return r is not None and r.get("URI") == session.context_id and r.get("ValueType") == f"{sc}/sct"

    return check


def read_rstr(opened: etree._Element, entropy: bytes, version: str = "feb2005") -> sctclient.Session:
    return sctclient.read_rstr(etree.tostring(opened.find(SOAP_BODY)[0]), version, entropy)


def call(
    url: str,
    session: sctclient.Session,
    action: str = wss.ACTION,
    body: str | None = None,
    *,
    sct_xml: str | None = None,
    dkt_uri: str | None = None,
    base_key_signature: bool = False,
    encrypt_body: bool = True,
) -> bytes:
    """A message on the session: Timestamp, the SCT, two DerivedKeyTokens naming it by its wsu:Id (what WCF's
    client writes; `dkt_uri` names another token instead), Body and signature encrypted."""
    doc = wss.envelope(
        wss.addressing(action, to=url)
        + wss.security(wss.timestamp(), sct_xml or session.sct_xml, soap12=True),
        body=body,
        soap12=True,
    )
    root = etree.fromstring(doc.encode())
    sc = sctclient.VERSIONS[session.version][1]
    reference = _str(dkt_uri or f"#{session.token_id}", f"{sc}/sct")
    signed = ["TS-1", "A-1", "A-2", "A-3", "Body-1"]
    protect(
        root,
        session.key,
        reference,
        2,
        signed,
        sc,
        base_key_uri=f"#{session.token_id}" if base_key_signature else None,
        encrypt_body=encrypt_body,
    )
    return etree.tostring(root)


def cancel(url: str, session: sctclient.Session, encrypt_body: bool = True) -> bytes:
    """RST/SCT/Cancel on the session, its CancelTarget the context id (sctclient's body); WCF's client signs the
    Body without encrypting it (`encrypt_body` False: SecuritySessionClientSettings, NoParts for CloseAction)."""
    transport_form = etree.fromstring(sctclient.cancel(session).encode())
    body = etree.tostring(transport_form.find(SOAP_BODY)[0]).decode()
    t = sctclient.VERSIONS[session.version][0]
    return call(url, session, f"{t}/RST/SCT/Cancel", body, encrypt_body=encrypt_body)


def issue_request_asymmetric(
    url: str, service_pem: Path, client_pem: Path, client_key: Path, version: str = "feb2005"
) -> tuple[bytes, bytes]:
    """RST/SCT secured by the asymmetric WSS 1.0 MutualCertificate bootstrap, as WCF's AsymmetricSecurityProtocol
    writes it: Timestamp, the client certificate's BinarySecurityToken, an EncryptedKey for the service certificate
    whose own ReferenceList names the encrypted Body and signature, the RSA-SHA1 signature (client key) over the
    Timestamp, the addressing headers and the Body. Returns (message, client entropy)."""
    t, _ = sctclient.VERSIONS[version]
    rst_env, entropy = sctclient.rst(version, user=None)
    rst_body = etree.tostring(etree.fromstring(rst_env).find(SOAP_BODY)[0]).decode()
    doc = wss.envelope(
        wss.addressing(f"{t}/RST/SCT", to=url)
        + wss.security(wss.timestamp(), wss.bst(client_pem), soap12=True),
        body=rst_body,
        soap12=True,
    )
    signed = ["TS-1", "A-1", "A-2", "A-3", "Body-1"]
    root = etree.fromstring(wss.sign(doc, client_key, client_pem, signed).encode())
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    key = os.urandom(32)
    scratch = etree.fromstring(wss.envelope(soap12=True).encode())
    _, ek = xenc.encrypt(scratch.find(SOAP_BODY), key, wrap_cert=service_pem)
    xenc.encrypt(root.find(SOAP_BODY), key, ed_id="ED-B")
    xenc.encrypt(sec.find(f"{{{ns.DS}}}Signature"), key, content=False, ed_id="ED-SIG")
    xenc.place_encrypted_key(sec, ek, service_pem, "ski", position=2)
    ek.append(xenc.reference_list("ED-B", "ED-SIG"))
    return etree.tostring(root), entropy


def renew_request_asymmetric(
    url: str, service_pem: Path, client_pem: Path, client_key: Path, session: sctclient.Session
) -> tuple[bytes, bytes]:
    """RST/SCT/Renew over the asymmetric WSS 1.0 MutualCertificate bootstrap: the client certificate's signature
    (primary), the current SCT and a DerivedKeyToken naming it, the SCT-derived key's HMAC endorsing signature over
    the primary signature; Body and both signatures encrypted with the EncryptedKey for the service certificate."""
    t, sc = sctclient.VERSIONS[session.version]
    transport_form, entropy = sctclient.renew(session)
    rst_body = etree.tostring(etree.fromstring(transport_form.encode()).find(SOAP_BODY)[0]).decode()
    nonce = os.urandom(16)
    dkt = _dkt("DK-R", nonce, 24, sc, _str(f"#{session.token_id}", f"{sc}/sct"))
    doc = wss.envelope(
        wss.addressing(f"{t}/RST/SCT/Renew", to=url)
        + wss.security(
            wss.timestamp(), wss.bst(client_pem), session.sct_xml, etree.tostring(dkt).decode(), soap12=True
        ),
        body=rst_body,
        soap12=True,
    )
    signed = ["TS-1", "A-1", "A-2", "A-3", "Body-1"]
    root = etree.fromstring(wss.sign(doc, client_key, client_pem, signed).encode())
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    primary = sec.find(f"{{{ns.DS}}}Signature")
    primary.set("Id", "SIG-P")  # not in SignedInfo: the endorsing signature's target
    k_dk = xenc.openssl_p_sha1(session.key, LABEL + nonce, 24)
    endorsing = xenc.hmac_sign(root, k_dk, ["SIG-P"], "#DK-R", sig_id="SIG-E")
    key = os.urandom(32)
    scratch = etree.fromstring(wss.envelope(soap12=True).encode())
    _, ek = xenc.encrypt(scratch.find(SOAP_BODY), key, wrap_cert=service_pem)
    xenc.encrypt(root.find(SOAP_BODY), key, ed_id="ED-B")
    xenc.encrypt(primary, key, content=False, ed_id="ED-SIG")
    xenc.encrypt(endorsing, key, content=False, ed_id="ED-END")
    xenc.place_encrypted_key(sec, ek, service_pem, "ski", position=2)
    ek.append(xenc.reference_list("ED-B", "ED-SIG", "ED-END"))
    return etree.tostring(root), entropy
