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
_WSU_ID = ns.q(ns.WSU, "Id")
_BST = ns.q(ns.WSSE, "BinarySecurityToken")
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
        """Sign our own envelope. SignedInfo is written directly in exclusive-c14n form, so it is signed as
        written and inserted as text; only the targets (Timestamp, confirmations, addressing headers, Body)
        are canonicalized from the one parse of the response."""
        root = etree.fromstring(text)
        sig_alg, digest_alg = SUITES[self.scenario.security.suite]
        digest = _DIGEST[digest_alg]
        header, body = root[0], root[-1]
        security = header[-1]
        targets = [h for h in header if h is not security and h.get(_WSU_ID)]
        targets += [el for el in security if el.get(_WSU_ID) and el.tag != _BST]
        targets.append(body)
        refs = "".join(
            f'<Reference URI="#{el.get(_WSU_ID)}"><Transforms><Transform Algorithm="{ns.EXC_C14N}"></Transform>'
            f'</Transforms><DigestMethod Algorithm="{digest_alg}"></DigestMethod><DigestValue>'
            f"{base64.b64encode(digest(c14n(el)).digest()).decode()}</DigestValue></Reference>"
            for el in targets
        )
        signed_info = (
            f'<SignedInfo xmlns="{ns.DS}"><CanonicalizationMethod Algorithm="{ns.EXC_C14N}"></CanonicalizationMethod>'
            f'<SignatureMethod Algorithm="{sig_alg}"></SignatureMethod>{refs}</SignedInfo>'
        )
        value = self.key.sign(signed_info.encode(), padding.PKCS1v15(), _HASH[sig_alg]())  # type: ignore[union-attr]
        signature = (
            f'<Signature xmlns="{ns.DS}">{signed_info}<SignatureValue>{base64.b64encode(value).decode()}'
            f"</SignatureValue>{self.keyinfo}</Signature>"
        )
        end = text.rindex(b"</o:Security>")
        return text[:end] + signature.encode() + text[end:]
