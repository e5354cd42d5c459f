"""Hand-built WS-Security requests for shapes real clients cannot send.

Signatures are made with python-xmlsec (libxmlsec1), an XML-DSig implementation independent of
mockwcf's verifier, so a passing test means two implementations agree.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from mockwcf import ns

ECHO = '<Echo xmlns="http://tempuri.org/"><text>{text}</text></Echo>'
ACTION = "http://tempuri.org/IEchoService/Echo"


def wshttp_certificate_over_transport(certs: Path) -> dict:
    """wsHttpBinding TransportWithMessageCredential + Certificate over plain HTTP, trusting certs/ca.pem."""
    return {
        "binding": {
            "type": "wsHttpBinding",
            "security": {
                "mode": "TransportWithMessageCredential",
                "clientCredentialType": "Certificate",
                "establishSecurityContext": False,
                "allowInsecureTransport": True,
            },
        },
        "credentials": {"clientCertificate": {"trustedCertificates": [str(certs / "ca.pem")]}},
    }


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def timestamp(
    created: datetime | None = None, ttl: int | None = 300, id: str | None = "TS-1", shift: float = 0
) -> str:
    created = (created or datetime.now(UTC)) + timedelta(seconds=shift)
    ident = f' wsu:Id="{id}"' if id else ""
    exp = f"<wsu:Expires>{iso(created + timedelta(seconds=ttl))}</wsu:Expires>" if ttl is not None else ""
    return f'<wsu:Timestamp{ident} xmlns:wsu="{ns.WSU}"><wsu:Created>{iso(created)}</wsu:Created>{exp}</wsu:Timestamp>'


def username_token(
    user: str = "alice",
    password: str | None = "p@ssw0rd",
    ptype: str | None = ns.PASSWORD_TEXT,
    id: str | None = "UT-1",
    extra: str = "",
) -> str:
    ident = f' wsu:Id="{id}" xmlns:wsu="{ns.WSU}"' if id else ""
    pw = ""
    if password is not None:
        t = f' Type="{ptype}"' if ptype else ""
        pw = f"<wsse:Password{t}>{password}</wsse:Password>"
    return f'<wsse:UsernameToken{ident} xmlns:wsse="{ns.WSSE}"><wsse:Username>{user}</wsse:Username>{pw}{extra}</wsse:UsernameToken>'


def cert_der(cert_path: Path) -> bytes:
    return x509.load_pem_x509_certificate(Path(cert_path).read_bytes()).public_bytes(
        serialization.Encoding.DER
    )


def bst(
    cert_path: Path,
    id: str = "X509-1",
    value_type: str = ns.X509V3,
    encoding: str | None = ns.BASE64_ENCODING,
    hexed: bool = False,
    text: str | None = None,
) -> str:
    der = cert_der(cert_path)
    value = text if text is not None else (der.hex() if hexed else base64.b64encode(der).decode())
    enc = f' EncodingType="{encoding}"' if encoding else ""
    return (
        f'<wsse:BinarySecurityToken wsu:Id="{id}" xmlns:wsu="{ns.WSU}" xmlns:wsse="{ns.WSSE}" '
        f'ValueType="{value_type}"{enc}>{value}</wsse:BinarySecurityToken>'
    )


def security(*items: str, must_understand: bool = True, soap12: bool = False) -> str:
    env = ns.SOAP12 if soap12 else ns.SOAP11
    mu = ' s:mustUnderstand="1"' if must_understand else ""
    return f'<wsse:Security xmlns:wsse="{ns.WSSE}" xmlns:s="{env}"{mu}>{"".join(items)}</wsse:Security>'


def envelope(
    headers: str = "",
    body: str | None = None,
    soap12: bool = False,
    body_id: str | None = "Body-1",
    text: str = "hi",
) -> str:
    env = ns.SOAP12 if soap12 else ns.SOAP11
    bid = f' wsu:Id="{body_id}"' if body_id else ""
    content = body if body is not None else ECHO.format(text=text)
    return (
        f'<s:Envelope xmlns:s="{env}" xmlns:wsu="{ns.WSU}"><s:Header>{headers}</s:Header>'
        f"<s:Body{bid}>{content}</s:Body></s:Envelope>"
    )


def addressing(action: str = ACTION, to: str = "http://127.0.0.1/EchoService.svc", ids: bool = True) -> str:
    def i(n: str) -> str:
        return f' wsu:Id="{n}"' if ids else ""

    return (
        f'<a:Action xmlns:a="{ns.WSA10}" s:mustUnderstand="1"{i("A-1")}>{action}</a:Action>'
        f'<a:MessageID xmlns:a="{ns.WSA10}"{i("A-2")}>urn:uuid:{uuid.uuid4()}</a:MessageID>'
        f'<a:To xmlns:a="{ns.WSA10}" s:mustUnderstand="1"{i("A-3")}>{to}</a:To>'
    )


KEYINFO = {
    "bst": '<wsse:SecurityTokenReference xmlns:wsse="{wsse}"><wsse:Reference URI="#{bst_id}" ValueType="{vt}"/></wsse:SecurityTokenReference>',
    "issuer_serial": '<wsse:SecurityTokenReference xmlns:wsse="{wsse}"><ds:X509Data xmlns:ds="{ds}"><ds:X509IssuerSerial><ds:X509IssuerName>{issuer}</ds:X509IssuerName><ds:X509SerialNumber>{serial}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></wsse:SecurityTokenReference>',
    "ski": '<wsse:SecurityTokenReference xmlns:wsse="{wsse}"><wsse:KeyIdentifier ValueType="{skivt}" EncodingType="{b64}">{ski}</wsse:KeyIdentifier></wsse:SecurityTokenReference>',
    "thumbprint": '<wsse:SecurityTokenReference xmlns:wsse="{wsse}"><wsse:KeyIdentifier ValueType="{tpvt}" EncodingType="{b64}">{thumb}</wsse:KeyIdentifier></wsse:SecurityTokenReference>',
    "x509data": '<ds:X509Data xmlns:ds="{ds}"><ds:X509Certificate>{certb64}</ds:X509Certificate></ds:X509Data>',
    "none": "",
}


def sign(
    doc: str,
    key_path: Path,
    cert_path: Path,
    refs: list[str],
    keyinfo: str = "bst",
    bst_id: str = "X509-1",
    sig_alg: str = "rsa-sha1",
    digest: str = "sha1",
    position: int | None = None,
    transform: str = "exc",
    prefixes: list[str] | None = None,
    hmac_key: bytes | None = None,
    keyinfo_raw: str | None = None,
) -> str:
    """Sign `doc` with python-xmlsec; the Signature goes into wsse:Security (at `position`, default last).
    `prefixes`: an InclusiveNamespaces PrefixList on every exclusive c14n (as WSS4J writes them).
    `hmac_key` (with sig_alg "hmac-sha1"/"hmac-sha256") signs with a symmetric key, e.g. an SCT's, and
    `keyinfo_raw` is then the KeyInfo content (key_path and cert_path are unused)."""
    root = etree.fromstring(doc.encode())
    xmlsec.tree.add_ids(root, ["Id"])
    sig_t = {
        "rsa-sha1": xmlsec.Transform.RSA_SHA1,
        "rsa-sha256": xmlsec.Transform.RSA_SHA256,
        "hmac-sha1": xmlsec.Transform.HMAC_SHA1,
        "hmac-sha256": xmlsec.Transform.HMAC_SHA256,
    }[sig_alg]
    dig_t = {"sha1": xmlsec.Transform.SHA1, "sha256": xmlsec.Transform.SHA256}[digest]
    signature = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, sig_t)
    for rid in refs:
        ref = xmlsec.template.add_reference(signature, dig_t, uri=f"#{rid}")
        if transform == "exc":
            node = xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
            if prefixes:
                xmlsec.template.transform_add_c14n_inclusive_namespaces(node, prefixes)
        elif transform == "enveloped":
            xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
        elif transform == "c14n":
            xmlsec.template.add_transform(ref, xmlsec.Transform.C14N)
    if prefixes:
        method = signature.find(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}CanonicalizationMethod")
        xmlsec.template.transform_add_c14n_inclusive_namespaces(method, prefixes)
    sec = root.find(f".//{{{ns.WSSE}}}Security")
    assert sec is not None
    if position is None:
        sec.append(signature)
    else:
        sec.insert(position, signature)
    ctx = xmlsec.SignatureContext()
    if hmac_key is not None:
        ctx.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.HMAC, hmac_key)
    else:
        ctx.key = xmlsec.Key.from_file(str(key_path), xmlsec.KeyFormat.PEM)
    ctx.sign(signature)
    if keyinfo_raw is not None:
        etree.SubElement(signature, f"{{{ns.DS}}}KeyInfo").append(etree.fromstring(keyinfo_raw))
    elif keyinfo != "none":
        ki = etree.SubElement(signature, f"{{{ns.DS}}}KeyInfo")
        ki.append(etree.fromstring(keyinfo_xml(keyinfo, cert_path, bst_id)))
    return etree.tostring(root).decode()


def keyinfo_xml(kind: str, cert_path: Path, bst_id: str = "X509-1") -> str:
    from mockwcf.security import x509 as x

    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    ski = x.subject_key_identifier(cert) or b""
    return KEYINFO[kind].format(
        wsse=ns.WSSE,
        ds=ns.DS,
        bst_id=bst_id,
        vt=ns.X509V3,
        issuer=x.dotnet_name(cert.issuer),
        serial=cert.serial_number,
        skivt=ns.SKI_VALUE_TYPE,
        b64=ns.BASE64_ENCODING,
        ski=base64.b64encode(ski).decode(),
        tpvt=ns.THUMBPRINT_VALUE_TYPE,
        thumb=base64.b64encode(hashlib.sha1(cert_der(cert_path)).digest()).decode(),
        certb64=base64.b64encode(cert_der(cert_path)).decode(),
    )


def post(
    url: str, body: str | bytes, soap12: bool = False, action: str = ACTION, content_type: str | None = None
) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    if soap12:
        headers = {"Content-Type": content_type or f'application/soap+xml; charset=utf-8; action="{action}"'}
    else:
        headers = {"Content-Type": content_type or "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    return requests.post(url, data=data, headers=headers, timeout=10, verify=False)


class ZeepTimestamp:
    """A zeep wsse plugin that adds a wsu:Timestamp (zeep has none of its own besides UsernameToken's);
    list it before BinarySignature so the signature covers it, as WCF requires."""

    def __init__(self, ttl: int = 300, shift: float = 0) -> None:
        self.ttl, self.shift = ttl, shift

    def apply(self, envelope, headers):
        from zeep.wsse.utils import get_security_header

        sec = get_security_header(envelope)
        sec.append(etree.fromstring(timestamp(ttl=self.ttl, shift=self.shift, id=f"TS-{uuid.uuid4()}")))
        return envelope, headers

    def verify(self, envelope):
        return envelope


class WithTimestamp:
    """Timestamp, then the wrapped zeep plugin; zeep cannot verify responses with a plugin list."""

    def __init__(self, plugin, ttl: int = 300, shift: float = 0) -> None:
        self.ts = ZeepTimestamp(ttl, shift)
        self.plugin = plugin

    def apply(self, envelope, headers):
        envelope, headers = self.ts.apply(envelope, headers)
        return self.plugin.apply(envelope, headers)

    def verify(self, envelope):
        # WCF sends security faults unsigned; zeep verifies before it looks for a fault (python-zeep
        # #1197), so a real client needs this guard to see the fault at all.
        if envelope.find(".//{*}Body/{*}Fault") is not None:
            return envelope
        return self.plugin.verify(envelope)


def expect(server, resp: requests.Response, code: str | None, status: int = 500, wire: bytes | None = None):
    """Accepted (code None), or refused with resource code `code`, HTTP `status` and `wire` in the body."""
    if code is None:
        assert resp.status_code == 200, resp.text
        server.assert_accepted()
        return None
    assert resp.status_code == status, resp.text
    if wire is not None:
        assert wire in resp.content
    return server.assert_fault(code)
