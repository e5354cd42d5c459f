"""Encrypting test requests with python-xmlsec (libxmlsec1) and deriving keys with OpenSSL, so mockwcf's
XML Encryption and P_SHA1 are checked against independent implementations, never against themselves."""

from __future__ import annotations

import subprocess
from pathlib import Path

import xmlsec
from lxml import etree

from mockwcf import ns
from tests import wss

XENC_TRANSFORMS = {
    ns.AES128_CBC: (xmlsec.Transform.AES128, xmlsec.KeyData.AES),
    ns.AES192_CBC: (xmlsec.Transform.AES192, xmlsec.KeyData.AES),
    ns.AES256_CBC: (xmlsec.Transform.AES256, xmlsec.KeyData.AES),
    ns.TRIPLEDES_CBC: (xmlsec.Transform.DES3, xmlsec.KeyData.DES),
}
WRAP_TRANSFORMS = {ns.RSA_OAEP: xmlsec.Transform.RSA_OAEP, ns.RSA_15: xmlsec.Transform.RSA_PKCS1}


def openssl_p_sha1(secret: bytes, seed: bytes, length: int) -> bytes:
    """P_SHA1 by OpenSSL's TLS1-PRF KDF with digest SHA1 (a single P_hash, RFC 2246 5) — a second, C
    implementation of what WS-SecureConversation calls P_SHA1(secret, label || nonce)."""
    out = subprocess.run(
        [
            "openssl",
            "kdf",
            "-keylen",
            str(length),
            "-kdfopt",
            "digest:SHA1",
            "-kdfopt",
            f"hexsecret:{secret.hex()}",
            "-kdfopt",
            f"hexseed:{seed.hex()}",
            "TLS1-PRF",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return bytes.fromhex(out.strip().replace(":", ""))


def encrypt(
    target: etree._Element,
    key: bytes,
    method: str = ns.AES256_CBC,
    *,
    content: bool = True,
    wrap_cert: Path | None = None,
    wrap_alg: str = ns.RSA_OAEP,
    ed_id: str = "ED-1",
) -> tuple[etree._Element, etree._Element | None]:
    """Encrypt `target` (its content, or the element itself) with `key` by libxmlsec1. With `wrap_cert`,
    libxmlsec1 also wraps `key` for that certificate; the EncryptedKey is returned detached (the caller puts
    it in the security header, as WS-Security does) and the EncryptedData is left without KeyInfo."""
    transform, key_data = XENC_TRANSFORMS[method]
    root = target.getroottree().getroot()
    kind = xmlsec.EncryptionType.CONTENT if content else xmlsec.EncryptionType.ELEMENT
    template = xmlsec.template.encrypted_data_create(root, transform, id=ed_id, type=kind, ns="xenc")
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    manager = None
    if wrap_cert is not None:
        key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="dsig")
        ek = xmlsec.template.add_encrypted_key(key_info, WRAP_TRANSFORMS[wrap_alg])
        xmlsec.template.encrypted_data_ensure_cipher_value(ek)
        manager = xmlsec.KeysManager()
        manager.add_key(xmlsec.Key.from_file(str(wrap_cert), xmlsec.KeyFormat.CERT_PEM))
    ctx = xmlsec.EncryptionContext(manager) if manager is not None else xmlsec.EncryptionContext()
    ctx.key = xmlsec.Key.from_binary_data(key_data, key)
    ctx.encrypt_xml(template, target)
    # nodes libxmlsec1 creates are not in lxml's name dictionary, so find() misses them: compare .tag
    ed = next(e for e in root.iter() if e.tag == f"{{{ns.XENC}}}EncryptedData" and e.get("Id") == ed_id)
    ek_el = None
    key_info_el = _child(ed, f"{{{ns.DS}}}KeyInfo")
    if key_info_el is not None:
        ek_el = _child(key_info_el, f"{{{ns.XENC}}}EncryptedKey")
        ed.remove(key_info_el)
        key_info_el.remove(ek_el)
    return ed, ek_el


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    return next((c for c in parent if c.tag == tag), None)


def place_encrypted_key(
    security: etree._Element,
    ek: etree._Element,
    cert: Path,
    style: str = "thumbprint",
    id: str = "EK-1",
    position: int = 0,
) -> etree._Element:
    """Give the EncryptedKey an Id and a KeyInfo naming `cert` (tests.wss.KEYINFO styles) and put it in the
    security header."""
    ek.set("Id", id)
    if style != "none":
        key_info = etree.Element(f"{{{ns.DS}}}KeyInfo")
        key_info.append(etree.fromstring(wss.keyinfo_xml(style, cert)))
        ek.insert(1, key_info)
    security.insert(position, ek)
    return ek


def str_reference(uri: str, value_type: str | None = None) -> etree._Element:
    vt = f' ValueType="{value_type}"' if value_type else ""
    return etree.fromstring(
        f'<wsse:SecurityTokenReference xmlns:wsse="{ns.WSSE}"><wsse:Reference URI="{uri}"{vt}/>'
        "</wsse:SecurityTokenReference>"
    )


def add_key_info(ed: etree._Element, reference: etree._Element) -> None:
    """ds:KeyInfo after EncryptionMethod (XML Encryption's order)."""
    key_info = etree.Element(f"{{{ns.DS}}}KeyInfo")
    key_info.append(reference)
    ed.insert(1, key_info)


def reference_list(*ids: str) -> etree._Element:
    refs = "".join(f'<xenc:DataReference URI="#{i}"/>' for i in ids)
    return etree.fromstring(f'<xenc:ReferenceList xmlns:xenc="{ns.XENC}">{refs}</xenc:ReferenceList>')


def decrypt_with_xmlsec(ed: etree._Element, key: bytes, method: str) -> etree._Element:
    """libxmlsec1 decrypts an EncryptedData mockwcf wrote; returns what replaced it."""
    _, key_data = XENC_TRANSFORMS[method]
    ctx = xmlsec.EncryptionContext()
    ctx.key = xmlsec.Key.from_binary_data(key_data, key)
    return ctx.decrypt(ed)


def unwrap_with_xmlsec(ek: etree._Element, key_path: Path) -> bytes:
    ctx = xmlsec.EncryptionContext()
    ctx.key = xmlsec.Key.from_file(str(key_path), xmlsec.KeyFormat.PEM)
    return ctx.decrypt(ek)


def hmac_sign(
    root: etree._Element,
    key: bytes,
    ids: list[str],
    key_ref: str | None = None,
    transform: object = xmlsec.Transform.HMAC_SHA1,
    digest: object = xmlsec.Transform.SHA1,
    sig_id: str | None = None,
) -> etree._Element:
    """libxmlsec1 signs the elements with `ids` (exclusive c14n) with an HMAC key; the ds:Signature goes last
    in the security header, with a KeyInfo STR to `key_ref` when given."""
    xmlsec.tree.add_ids(root, ["Id"])
    sig = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, transform, id=sig_id)
    for rid in ids:
        ref = xmlsec.template.add_reference(sig, digest, uri=f"#{rid}")
        xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    root.find(f".//{{{ns.WSSE}}}Security").append(sig)
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.HMAC, key)
    ctx.sign(sig)
    if key_ref is not None:
        key_info = etree.SubElement(sig, f"{{{ns.DS}}}KeyInfo")
        key_info.append(str_reference(key_ref))
    return sig


def clause_of(key_info: etree._Element) -> str:
    """Which key identifier clause a ds:KeyInfo holds, in x509clause's names: ski, thumbprint, issuer_serial,
    raw (a bare ds:X509Data with the certificate) or reference (a wsse:Reference to a token by id)."""
    if key_info.find(f"{{{ns.DS}}}X509Data/{{{ns.DS}}}X509Certificate") is not None:
        return "raw"
    str_ = key_info.find(f"{{{ns.WSSE}}}SecurityTokenReference")
    if str_.find(f"{{{ns.DS}}}X509Data/{{{ns.DS}}}X509IssuerSerial") is not None:
        return "issuer_serial"
    if str_.find(f"{{{ns.WSSE}}}Reference") is not None:
        return "reference"
    value_type = str_.find(f"{{{ns.WSSE}}}KeyIdentifier").get("ValueType")
    return {ns.SKI_VALUE_TYPE: "ski", ns.THUMBPRINT_VALUE_TYPE: "thumbprint"}[value_type]
