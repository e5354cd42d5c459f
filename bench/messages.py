"""Signed requests for the benchmark: X.509 BST, Timestamp + Body signed, RSA-SHA1, exclusive c14n
(WSS 1.0, the shape zeep's BinarySignature and WSS4J send, with the BST first for a Strict binding).
Each message has its own timestamp and ids, so the server's replay detection stays on."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
B64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
ACTION = "http://tempuri.org/IEchoService/Echo"
PAYLOAD = "mockwcf benchmark " * 40  # ~720 characters, about the 4 KB message of performance-floors.md


class Signer:
    def __init__(self, certs: Path) -> None:
        self.key = serialization.load_pem_private_key((certs / "client.key").read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate((certs / "client.pem").read_bytes())
        self.bst = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    def message(self, now: datetime | None = None) -> bytes:
        now = now or datetime.now(UTC)
        u = uuid.uuid4().hex
        created = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        expires = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        doc = (
            f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:u="{WSU}"><s:Header>'
            f'<o:Security s:mustUnderstand="1" xmlns:o="{WSSE}">'
            f'<u:Timestamp u:Id="TS-{u}"><u:Created>{created}</u:Created><u:Expires>{expires}</u:Expires></u:Timestamp>'
            f'<o:BinarySecurityToken u:Id="X509-{u}" ValueType="{X509V3}" EncodingType="{B64}">{self.bst}'
            f"</o:BinarySecurityToken></o:Security></s:Header>"
            f'<s:Body u:Id="Body-{u}"><Echo xmlns="http://tempuri.org/"><text>{PAYLOAD}</text></Echo></s:Body>'
            "</s:Envelope>"
        )
        root = etree.fromstring(doc.encode())
        refs = ""
        for el in (root[0][0][0], root[1]):
            digest = base64.b64encode(
                hashlib.sha1(etree.tostring(el, method="c14n", exclusive=True)).digest()
            )
            refs += (
                f'<Reference URI="#{el.get(f"{{{WSU}}}Id")}"><Transforms><Transform Algorithm="{EXC}"/></Transforms>'
                f'<DigestMethod Algorithm="{DS}sha1"/><DigestValue>{digest.decode()}</DigestValue></Reference>'
            )
        signed_info = etree.fromstring(
            f'<SignedInfo xmlns="{DS}"><CanonicalizationMethod Algorithm="{EXC}"/>'
            f'<SignatureMethod Algorithm="{DS}rsa-sha1"/>{refs}</SignedInfo>'.encode()
        )
        value = self.key.sign(
            etree.tostring(signed_info, method="c14n", exclusive=True), padding.PKCS1v15(), hashes.SHA1()
        )
        sig = etree.SubElement(root[0][0], f"{{{DS}}}Signature", nsmap={None: DS})
        sig.append(signed_info)
        etree.SubElement(sig, f"{{{DS}}}SignatureValue").text = base64.b64encode(value).decode()
        sig.append(
            etree.fromstring(
                f'<KeyInfo xmlns="{DS}"><o:SecurityTokenReference xmlns:o="{WSSE}"><o:Reference URI="#X509-{u}" '
                f'ValueType="{X509V3}"/></o:SecurityTokenReference></KeyInfo>'.encode()
            )
        )
        return etree.tostring(root)


def unsigned(text: str = "hello mockwcf") -> bytes:
    return (
        f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<Echo xmlns="http://tempuri.org/"><text>{text}</text></Echo></s:Body></s:Envelope>'
    ).encode()


def username(text: str = "hello mockwcf") -> bytes:
    return (
        f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        f'<o:Security s:mustUnderstand="1" xmlns:o="{WSSE}"><o:UsernameToken><o:Username>alice</o:Username>'
        f"<o:Password>p@ssw0rd</o:Password></o:UsernameToken></o:Security></s:Header><s:Body>"
        f'<Echo xmlns="http://tempuri.org/"><text>{text}</text></Echo></s:Body></s:Envelope>'
    ).encode()
