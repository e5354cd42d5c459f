"""Securing responses the way WCF's send side does (reference 4, 7.1-7.2).

TransportWithMessageCredential: a `wsse:Security` (mustUnderstand=1) holding only a Timestamp whose
Expires = Created + timestampValidityDuration. Message security (asymmetric, Sign): Timestamp,
SignatureConfirmation when WSS 1.1 requires it, and a signature by the service certificate over the
Timestamp, the Body and the addressing headers, with the scenario's reference style for the service
token. Faults never come here: they are sent unsecured (faults.py).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from mockwcf import ns
from mockwcf.clock import format_wcf_time
from mockwcf.scenario import Scenario
from mockwcf.security import x509 as x509mod
from mockwcf.security.signature import SUITES, c14n

_HASH = {ns.RSA_SHA1: hashes.SHA1, ns.RSA_SHA256: hashes.SHA256}
_DIGEST = {ns.SHA1: hashlib.sha1, ns.SHA256: hashlib.sha256}


class ResponseSecurity:
    """Per-scenario state for securing responses (keys loaded once, KeyInfo pre-rendered)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.key = None
        self.cert = None
        self.keyinfo = ""
        self.bst = ""
        if scenario.security.kind == "message" and scenario.security.sign_responses and scenario.service_key:
            self.cert = x509mod.load_pem_certificate(scenario.service_certificate)
            self.key = serialization.load_pem_private_key(scenario.service_key.read_bytes(), password=None)
            self.keyinfo, self.bst = self._keyinfo()

    def _keyinfo(self) -> tuple[str, str]:
        cert = self.cert
        assert cert is not None
        style = self.scenario.security.response_token_reference
        inner = ""
        bst = ""
        if style == "IssuerSerial":
            inner = (
                f"<X509Data><X509IssuerSerial><X509IssuerName>{escape(x509mod.dotnet_name(cert.issuer))}"
                f"</X509IssuerName><X509SerialNumber>{cert.serial_number}</X509SerialNumber>"
                "</X509IssuerSerial></X509Data>"
            )
        elif style == "SubjectKeyIdentifier":
            ski = x509mod.subject_key_identifier(cert) or b""
            inner = (
                f'<o:KeyIdentifier ValueType="{ns.SKI_VALUE_TYPE}" EncodingType="{ns.BASE64_ENCODING}">'
                f"{base64.b64encode(ski).decode()}</o:KeyIdentifier>"
            )
        elif style == "Thumbprint":
            inner = (
                f'<o:KeyIdentifier ValueType="{ns.THUMBPRINT_VALUE_TYPE}" EncodingType="{ns.BASE64_ENCODING}">'
                f"{base64.b64encode(x509mod.thumbprint(cert)).decode()}</o:KeyIdentifier>"
            )
        else:
            der = cert.public_bytes(serialization.Encoding.DER)
            bst = (
                f'<o:BinarySecurityToken u:Id="uuid-service-token" ValueType="{ns.X509V3}" '
                f'EncodingType="{ns.BASE64_ENCODING}">{base64.b64encode(der).decode()}</o:BinarySecurityToken>'
            )
            inner = f'<o:Reference URI="#uuid-service-token" ValueType="{ns.X509V3}"/>'
        return f"<KeyInfo><o:SecurityTokenReference>{inner}</o:SecurityTokenReference></KeyInfo>", bst

    def envelope(
        self,
        payload: bytes,
        *,
        action: str,
        relates_to: str | None,
        now: datetime,
        signature_values: list[bytes],
    ) -> bytes:
        sc = self.scenario
        env_ns = ns.SOAP12 if sc.soap12 else ns.SOAP11
        kind = sc.security.kind
        signing = self.key is not None
        xmlns = f'xmlns:s="{env_ns}"'
        if sc.addressing:
            xmlns += f' xmlns:a="{ns.WSA10}"'
        if kind in ("twmc", "message"):
            xmlns += f' xmlns:u="{ns.WSU}"'
        headers = ""
        if sc.addressing:
            ids = (' u:Id="_2"', ' u:Id="_3"') if signing else ("", "")
            headers += f'<a:Action s:mustUnderstand="1"{ids[0]}>{escape(action)}</a:Action>'
            if relates_to:
                headers += f"<a:RelatesTo{ids[1]}>{escape(relates_to)}</a:RelatesTo>"
        if kind in ("twmc", "message"):
            created = now
            expires = now + sc.settings.timestamp_validity
            ts = (
                f'<u:Timestamp u:Id="_0"><u:Created>{format_wcf_time(created)}</u:Created>'
                f"<u:Expires>{format_wcf_time(expires)}</u:Expires></u:Timestamp>"
            )
            confirmations = ""
            if signing and sc.security.require_signature_confirmation:
                for i, value in enumerate(signature_values or [b""]):
                    attr = f' Value="{base64.b64encode(value).decode()}"' if value else ""
                    confirmations += f'<k:SignatureConfirmation u:Id="_sc{i}"{attr} xmlns:k="{ns.WSSE11}"/>'
            headers += (
                f'<o:Security s:mustUnderstand="1" xmlns:o="{ns.WSSE}">{ts}{self.bst}{confirmations}'
                "</o:Security>"
            )
        body_id = ' u:Id="_1"' if signing else ""
        head = f"<s:Header>{headers}</s:Header>" if headers else ""
        text = f"<s:Envelope {xmlns}>{head}<s:Body{body_id}>".encode() + payload + b"</s:Body></s:Envelope>"
        if not signing:
            return text
        return self._sign(text)

    def _sign(self, text: bytes) -> bytes:
        root = etree.fromstring(text)
        sig_alg, digest_alg = SUITES[self.scenario.security.suite]
        wsu_id = ns.q(ns.WSU, "Id")
        targets = [
            el for el in root.iter() if el.get(wsu_id) and el.tag != ns.q(ns.WSSE, "BinarySecurityToken")
        ]
        refs = []
        for el in targets:
            digest = base64.b64encode(_DIGEST[digest_alg](c14n(el)).digest()).decode()
            refs.append(
                f'<Reference URI="#{el.get(wsu_id)}"><Transforms><Transform Algorithm="{ns.EXC_C14N}"/>'
                f'</Transforms><DigestMethod Algorithm="{digest_alg}"/><DigestValue>{digest}</DigestValue>'
                "</Reference>"
            )
        signed_info_xml = (
            f'<SignedInfo xmlns="{ns.DS}"><CanonicalizationMethod Algorithm="{ns.EXC_C14N}"/>'
            f'<SignatureMethod Algorithm="{sig_alg}"/>' + "".join(refs) + "</SignedInfo>"
        )
        security = root.find(f"{{{root.tag.split('}')[0][1:]}}}Header/{{{ns.WSSE}}}Security")
        assert security is not None
        sig = etree.SubElement(security, ns.q(ns.DS, "Signature"), nsmap={None: ns.DS})
        signed_info = etree.fromstring(signed_info_xml)
        sig.append(signed_info)
        value = self.key.sign(c14n(signed_info), padding.PKCS1v15(), _HASH[sig_alg]())  # type: ignore[union-attr]
        sv = etree.SubElement(sig, ns.q(ns.DS, "SignatureValue"))
        sv.text = base64.b64encode(value).decode()
        sig.append(etree.fromstring(f'<wrap xmlns="{ns.DS}" xmlns:o="{ns.WSSE}">{self.keyinfo}</wrap>')[0])
        return etree.tostring(root)
