"""Floor servers measured in the same run as mockwcf (performance-floors.md, section 4):

  bare      a Twisted resource answering a fixed 500-byte reply;
  lxml_rsa  Twisted + one lxml parse + exclusive c14n + SHA-1 digests + RSA verify of the signed message,
            written directly with the key cached: the least Python can do for a verified request.
  lxml_rsa_sign  the same plus one RSA-2048 signature over a canonical SignedInfo-sized block, the least a
            server can add to sign its response as WCF does (a fair floor for a signed-response scenario).
  lxml_hmac  an SCT-endorsed call (bench/sessions.py).
  lxml_symmetric  a symmetric UserName exchange with its signed and encrypted reply (bench/symmetric.py).

`python bench/floors.py MODE PORT [--tuned]` prints "listening PORT" when ready. Without --tuned the Site
is Twisted's default (form parsing of POST bodies and an access log, as in performance-floors.md);
with it, the Site is tuned as mockwcf's is.
"""

from __future__ import annotations

import base64
import hashlib
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from twisted.internet import reactor
from twisted.web import resource, server

from mockwcf.security.trust import p_sha1

WSU_ID = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Id"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
REPLY = (
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><EchoResponse '
    b'xmlns="http://tempuri.org/"><EchoResult>'
    + b"x" * 360
    + b"</EchoResult></EchoResponse></s:Body></s:Envelope>"
)
REPLY = REPLY[:500].ljust(500, b" ")
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_keys: dict[str, object] = {}


class Bare(resource.Resource):
    isLeaf = True

    def render_POST(self, request):
        request.setHeader("Content-Type", "text/xml; charset=utf-8")
        return REPLY


class LxmlRsa(Bare):
    def render_POST(self, request):
        root = etree.fromstring(request.content.read(), PARSER)
        sec = root[0][0]
        sig = sec.find(f"{DS}Signature")
        ids = {el.get(WSU_ID): el for el in (*sec, root[1])}
        si = sig.find(f"{DS}SignedInfo")
        for ref in si.iter(f"{DS}Reference"):
            target = ids[ref.get("URI")[1:]]
            digest = hashlib.sha1(etree.tostring(target, method="c14n", exclusive=True)).digest()
            if base64.b64decode(ref.find(f"{DS}DigestValue").text) != digest:
                request.setResponseCode(500)
                return b"digest"
        bst = sec.find(
            "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}BinarySecurityToken"
        ).text
        key = _keys.get(bst)
        if key is None:
            key = _keys[bst] = x509.load_der_x509_certificate(base64.b64decode(bst)).public_key()
        key.verify(
            base64.b64decode(sig.find(f"{DS}SignatureValue").text),
            etree.tostring(si, method="c14n", exclusive=True),
            padding.PKCS1v15(),
            hashes.SHA1(),
        )
        return super().render_POST(request)


class LxmlRsaSign(LxmlRsa):
    key = None

    def render_POST(self, request):
        reply = super().render_POST(request)
        if LxmlRsaSign.key is None:
            from pathlib import Path

            from cryptography.hazmat.primitives import serialization

            pem = (Path(__file__).resolve().parent.parent / "certs" / "service.key").read_bytes()
            LxmlRsaSign.key = serialization.load_pem_private_key(pem, password=None)
        LxmlRsaSign.key.sign(reply[:760].ljust(760), padding.PKCS1v15(), hashes.SHA1())
        return reply


class LxmlHmac(Bare):
    """An SCT-endorsed call: parse, P_SHA1 of a 24-byte key from the session key and the message's nonce
    (bench/sessions.py signs with it), c14n + SHA-1 of the Timestamp and wsa:To, HMAC-SHA1 of SignedInfo."""

    session_key = bytes(range(32))

    def render_POST(self, request):
        import hmac

        root = etree.fromstring(request.content.read(), PARSER)
        header = root[0]
        sec = header.find(
            "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}Security"
        )
        sig = sec.find(f"{DS}Signature")
        si = sig.find(f"{DS}SignedInfo")
        ids = {el.get(WSU_ID): el for el in (*sec, *header) if el.get(WSU_ID)}
        for ref in si.iter(f"{DS}Reference"):
            digest = hashlib.sha1(
                etree.tostring(ids[ref.get("URI")[1:]], method="c14n", exclusive=True)
            ).digest()
            if base64.b64decode(ref.find(f"{DS}DigestValue").text) != digest:
                request.setResponseCode(500)
                return b"digest"
        key = p_sha1(self.session_key, b"WS-SecureConversationWS-SecureConversation" + b"0" * 16, 32)
        mac = hmac.new(key, etree.tostring(si, method="c14n", exclusive=True), hashlib.sha1).digest()
        if not hmac.compare_digest(mac, base64.b64decode(sig.find(f"{DS}SignatureValue").text)):
            request.setResponseCode(500)
            return b"hmac"
        request.setHeader("Content-Type", "application/soap+xml; charset=utf-8")
        return REPLY


class LxmlSymmetric(Bare):
    """A symmetric UserName exchange (issue 12): bench/symmetric.py's `floor`, the least work the issue defines
    (one parse, RSA-OAEP unwrap, P_SHA1, AES-CBC decrypt, exclusive c14n, HMAC verify, the same for the reply)."""

    def __init__(self) -> None:
        super().__init__()
        import symmetric  # bench/symmetric.py, beside this file: imported before listening, not in a round

        self.floor = symmetric.floor

    def render_POST(self, request):
        reply = self.floor(request.content.read())
        request.setHeader("Content-Type", "application/soap+xml; charset=utf-8")
        return reply


class _Site(server.Site):
    def log(self, request):
        pass


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    handler = {
        "bare": Bare,
        "lxml_rsa": LxmlRsa,
        "lxml_rsa_sign": LxmlRsaSign,
        "lxml_hmac": LxmlHmac,
        "lxml_symmetric": LxmlSymmetric,
    }[mode]()
    # --tuned: the Site tuning mockwcf uses (no form parsing, no access log), the true minimum;
    # otherwise a default Twisted Site, as the floors of performance-floors.md were measured
    tuned = "--tuned" in sys.argv
    site = _Site(handler, parsePOSTFormSubmission=False) if tuned else server.Site(handler)
    site.noisy = False
    listening = reactor.listenTCP(port, site, interface="127.0.0.1")
    print(f"listening {listening.getHost().port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
