"""X.509 message signing for zeep that a WCF service accepts, and reply verification that works with it.

zeep's own `BinarySignature` has three habits a WCF service (and so mockwcf) trips over:

1. It writes the BinarySecurityToken *after* the Signature that uses it. A Strict security header layout
   (WCF's default) reads the header in one pass, so the signature's key reference finds nothing yet:
   `UnableToResolveKeyInfoForVerifyingSignature` (WCF `StrictModeSecurityHeaderElementManager`).
2. It adds no Timestamp, and signs only the Timestamp and Body it finds; WCF wants a signed Timestamp
   (`SigningWithoutPrimarySignatureRequiresTimestamp`) and, when a UsernameToken rides along as a signed
   supporting token, that token signed too.
3. It verifies the reply with the *client's* certificate (python-zeep #822), while WCF signs replies with
   the service certificate, so a correct reply raises `SignatureVerificationFailed`; and it verifies before
   it looks for a fault (python-zeep #1197), so WCF's unsigned security faults never reach the caller.

`WcfSignature` is a zeep `wsse` plugin that writes Timestamp, BinarySecurityToken, [UsernameToken],
Signature in that order, signs what WCF requires, lets unsigned faults through and verifies signed replies
with the service certificate:

    from mockwcf.clients.zeep import WcfSignature

    wsse = WcfSignature("client.key", "client.pem", service_certificate="service.pem")
    client = zeep.Client(wsdl_url, wsse=wsse)

It needs `pip install "mockwcf[zeep]"` (zeep and xmlsec). Signing uses libxmlsec1 through python-xmlsec,
as zeep itself does; verification is zeep's own `verify_envelope`.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    import xmlsec
    from lxml import etree
    from zeep.exceptions import SignatureVerificationFailed
    from zeep.wsse.signature import verify_envelope
    from zeep.wsse.utils import get_security_header
except ImportError as exc:  # pragma: no cover - depends on the user's environment
    raise ImportError(
        f"mockwcf.clients.zeep needs zeep and xmlsec ({exc}); install them with: pip install 'mockwcf[zeep]'"
    ) from exc

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)

# Basic256 signs with rsa-sha1/sha1, Basic256Sha256 with rsa-sha256/sha256 (WCF SecurityAlgorithmSuite)
SUITES = {
    "Basic256": (xmlsec.Transform.RSA_SHA1, xmlsec.Transform.SHA1),
    "Basic256Sha256": (xmlsec.Transform.RSA_SHA256, xmlsec.Transform.SHA256),
}
PARTS = ("Timestamp", "Body", "UsernameToken")


class WcfSignature:
    """A zeep `wsse` plugin for WCF X.509 message security (MutualCertificate, CertificateOverTransport).

    key_file, cert_file: the client's PEM key and certificate (the certificate travels in a BST).
    service_certificate: PEM certificate the service signs replies with; None skips reply verification
        (TransportWithMessageCredential: replies are protected by TLS and not signed).
    username, password: a UsernameToken (PasswordText) sent as a signed supporting token.
    sign: which parts the signature covers; WCF Message security signs Timestamp and Body (and the
        UsernameToken when there is one); an endorsing certificate over TLS signs only ("Timestamp",).
    key_identifier: "BinarySecurityToken" (send the certificate, reference it: what WCF needs) or
        "IssuerSerial" (refer to a certificate the service must already have: WCF rejects this for the
        primary signature, which is the point of recipe 1 in docs/recipes.md).
    ttl: seconds between the Timestamp's Created and Expires.
    """

    def __init__(
        self,
        key_file: str | Path,
        cert_file: str | Path,
        service_certificate: str | Path | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        sign: tuple[str, ...] | None = None,
        key_identifier: str = "BinarySecurityToken",
        algorithm_suite: str = "Basic256",
        ttl: int = 300,
    ) -> None:
        if key_identifier not in ("BinarySecurityToken", "IssuerSerial"):
            raise ValueError("key_identifier is BinarySecurityToken or IssuerSerial")
        if algorithm_suite not in SUITES:
            raise ValueError(f"algorithm_suite is one of {', '.join(SUITES)}")
        self.key_file, self.cert_file = str(key_file), str(cert_file)
        self.service_certificate = str(service_certificate) if service_certificate else None
        self.username, self.password = username, password
        default = ("Timestamp", "Body") + (("UsernameToken",) if username else ())
        self.sign = tuple(sign) if sign is not None else default
        unknown = set(self.sign) - set(PARTS)
        if unknown:
            raise ValueError(f"sign takes {', '.join(PARTS)}; not {', '.join(sorted(unknown))}")
        self.key_identifier = key_identifier
        self.suite = SUITES[algorithm_suite]
        self.ttl = ttl

    # -- zeep's plugin interface ------------------------------------------------------------------

    def apply(self, envelope: etree._Element, headers: dict[str, str]) -> tuple[etree._Element, dict]:
        security = get_security_header(envelope)
        parts: dict[str, etree._Element] = {"Timestamp": self._timestamp(security)}
        cert_pem = Path(self.cert_file).read_bytes()
        bst = None
        if self.key_identifier == "BinarySecurityToken":
            bst = etree.SubElement(
                security, f"{{{WSSE}}}BinarySecurityToken", {"ValueType": X509V3, "EncodingType": BASE64}
            )
            bst.set(f"{{{WSU}}}Id", f"X509-{uuid.uuid4()}")
            bst.text = base64.b64encode(_der(cert_pem)).decode()
        if self.username:
            parts["UsernameToken"] = self._username_token(security)
        parts["Body"] = envelope.find("{*}Body")
        self._signature(envelope, security, [parts[p] for p in self.sign if p in parts], bst, cert_pem)
        return envelope, headers

    def verify(self, envelope: etree._Element) -> etree._Element:
        if envelope.find("{*}Body/{*}Fault") is not None:
            return envelope  # WCF sends security faults unsigned: let zeep raise the Fault itself
        if self.service_certificate is None:
            return envelope
        if envelope.find(f"{{*}}Header/{{{WSSE}}}Security/{{{DS}}}Signature") is None:
            raise SignatureVerificationFailed(
                "the reply carries no signature, and this binding signs replies"
            )
        verify_envelope(envelope, self.service_certificate)
        return envelope

    # -- the pieces --------------------------------------------------------------------------------

    def _timestamp(self, security: etree._Element) -> etree._Element:
        now = datetime.now(UTC)
        ts = etree.SubElement(security, f"{{{WSU}}}Timestamp", {f"{{{WSU}}}Id": f"TS-{uuid.uuid4()}"})
        for name, when in (("Created", now), ("Expires", now + timedelta(seconds=self.ttl))):
            etree.SubElement(ts, f"{{{WSU}}}{name}").text = when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return ts

    def _username_token(self, security: etree._Element) -> etree._Element:
        token = etree.SubElement(security, f"{{{WSSE}}}UsernameToken", {f"{{{WSU}}}Id": f"UT-{uuid.uuid4()}"})
        etree.SubElement(token, f"{{{WSSE}}}Username").text = self.username
        etree.SubElement(token, f"{{{WSSE}}}Password", {"Type": PASSWORD_TEXT}).text = self.password or ""
        return token

    def _signature(
        self,
        envelope: etree._Element,
        security: etree._Element,
        targets: list[etree._Element],
        bst: etree._Element | None,
        cert_pem: bytes,
    ) -> None:
        sig_alg, digest_alg = self.suite
        signature = xmlsec.template.create(envelope, xmlsec.Transform.EXCL_C14N, sig_alg)
        security.append(signature)  # after every token it refers to: the Strict layout's order
        ctx = xmlsec.SignatureContext()
        for target in targets:
            node_id = target.get(f"{{{WSU}}}Id")
            if node_id is None:
                node_id = f"id-{uuid.uuid4()}"
                target.set(f"{{{WSU}}}Id", node_id)
            ctx.register_id(target, "Id", WSU)
            ref = xmlsec.template.add_reference(signature, digest_alg, uri=f"#{node_id}")
            xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
        key_info = xmlsec.template.ensure_key_info(signature)
        issuer_serial = None
        if bst is None:  # libxmlsec1 fills X509IssuerSerial in from the certificate while signing
            issuer_serial = xmlsec.template.add_x509_data(key_info)
            xmlsec.template.x509_data_add_issuer_serial(issuer_serial)
        key = xmlsec.Key.from_file(self.key_file, xmlsec.KeyFormat.PEM)
        key.load_cert_from_memory(cert_pem, xmlsec.KeyFormat.PEM)
        ctx.key = key
        ctx.sign(signature)
        # WS-Security wraps the key reference in a SecurityTokenReference (added after signing: KeyInfo
        # is not signed, and libxmlsec1 would not understand it)
        reference = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference")
        if bst is not None:
            etree.SubElement(
                reference, f"{{{WSSE}}}Reference", {"URI": f"#{bst.get(f'{{{WSU}}}Id')}", "ValueType": X509V3}
            )
        else:
            reference.append(issuer_serial)


def _der(pem: bytes) -> bytes:
    lines = [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
    return base64.b64decode("".join(lines))
