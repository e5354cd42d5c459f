"""A small WS-SecureConversation client for trying secure conversation against mockwcf from Python.

wsHttpBinding with TransportWithMessageCredential and `establishSecurityContext: true` (its default) wants a
client to obtain a SecurityContextToken first, then sign every call with the SCT's key; zeep cannot do that.
This client does what WCF's own client does over transport (docs/conversation.md):

    RST/SCT  <- Timestamp + UsernameToken, a 256-bit client entropy        (UserNameOverTransport bootstrap)
    RSTR     -> the SCT, server entropy; key = P_SHA1(client entropy, server entropy)
    call     <- Timestamp, the SCT, an HMAC-SHA1 ds:Signature over the Timestamp and wsa:To keyed by the SCT key
    Cancel   <- the same, with action RST/SCT/Cancel

It uses only the standard library and lxml (exclusive c14n), speaks WS-Trust February 2005 (wsHttpBinding) and
SOAP 1.2, and is meant for tests and experiments, not production.

    client = SctClient("http://127.0.0.1:8080/EchoService.svc", "alice", "p@ssw0rd")
    client.issue()
    status, reply = client.call('<Echo xmlns="http://tempuri.org/"><text>hi</text></Echo>',
                                "http://tempuri.org/IEchoService/Echo")
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

from lxml import etree

from mockwcf import ns
from mockwcf.security.derivedkeys import p_sha1

_TS = "%Y-%m-%dT%H:%M:%S.%f"


def _time(t: datetime) -> str:
    return t.strftime(_TS)[:-3] + "Z"


class SctClient:
    def __init__(self, url: str, user: str, password: str, timeout: float = 10) -> None:
        self.url, self.user, self.password, self.timeout = url, user, password, timeout
        self.sct_xml = ""
        self.token_id = ""
        self.context_id = ""
        self.key = b""

    # -- the conversation ---------------------------------------------------------------------------

    def issue(self) -> tuple[int, bytes]:
        """RST/SCT; on success the client holds the SCT and its key."""
        entropy = os.urandom(32)
        body = (
            f'<t:RequestSecurityToken xmlns:t="{ns.WST}"><t:TokenType>{ns.WSC}/sct</t:TokenType>'
            f"<t:RequestType>{ns.WST}/Issue</t:RequestType><t:Entropy><t:BinarySecret "
            f'Type="{ns.WST}/Nonce">{base64.b64encode(entropy).decode()}</t:BinarySecret></t:Entropy>'
            "<t:KeySize>256</t:KeySize></t:RequestSecurityToken>"
        )
        token = (
            f'<o:UsernameToken u:Id="uuid-{uuid.uuid4()}-1"><o:Username>{self.user}</o:Username>'
            f'<o:Password Type="{ns.PASSWORD_TEXT}">{self.password}</o:Password></o:UsernameToken>'
        )
        status, reply = self._post(self._envelope(f"{ns.WST}/RST/SCT", body, token))
        if status == 200:
            self._read_rstr(reply, entropy)
        return status, reply

    def call(self, body: str, action: str) -> tuple[int, bytes]:
        """An application message endorsed by the SCT (issue() first)."""
        return self._post(self._signed(self._envelope(action, body, self.sct_xml)))

    def cancel(self) -> tuple[int, bytes]:
        body = (
            f'<t:RequestSecurityToken xmlns:t="{ns.WST}"><t:RequestType>{ns.WST}/Cancel</t:RequestType>'
            f'<t:CancelTarget><o:SecurityTokenReference xmlns:o="{ns.WSSE}"><o:Reference '
            f'URI="{self.context_id}" ValueType="{ns.WSC}/sct"/></o:SecurityTokenReference></t:CancelTarget>'
            "</t:RequestSecurityToken>"
        )
        return self._post(self._signed(self._envelope(f"{ns.WST}/RST/SCT/Cancel", body, self.sct_xml)))

    # -- messages -------------------------------------------------------------------------------------

    def _envelope(self, action: str, body: str, token: str) -> etree._Element:
        now = datetime.now(UTC)
        xml = (
            f'<s:Envelope xmlns:s="{ns.SOAP12}" xmlns:a="{ns.WSA10}" xmlns:u="{ns.WSU}"><s:Header>'
            f'<a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID>'
            f'<a:To s:mustUnderstand="1" u:Id="_1">{self.url}</a:To>'
            f'<o:Security s:mustUnderstand="1" xmlns:o="{ns.WSSE}"><u:Timestamp u:Id="_0">'
            f"<u:Created>{_time(now)}</u:Created><u:Expires>{_time(now + timedelta(minutes=5))}</u:Expires>"
            f"</u:Timestamp>{token}</o:Security></s:Header><s:Body>{body}</s:Body></s:Envelope>"
        )
        return etree.fromstring(xml.encode())

    def _signed(self, root: etree._Element) -> etree._Element:
        """ds:Signature (HMAC-SHA1, exclusive c14n) over the Timestamp and wsa:To, after the SCT."""
        refs = ""
        for ident in ("_0", "_1"):
            target = root.xpath("//*[@u:Id=$i]", namespaces={"u": ns.WSU}, i=ident)[0]
            digest = base64.b64encode(
                hashlib.sha1(etree.tostring(target, method="c14n", exclusive=True)).digest()
            )
            refs += (
                f'<Reference URI="#{ident}"><Transforms><Transform Algorithm="{ns.EXC_C14N}"/></Transforms>'
                f'<DigestMethod Algorithm="{ns.SHA1}"/><DigestValue>{digest.decode()}</DigestValue></Reference>'
            )
        signed_info = etree.fromstring(
            f'<SignedInfo xmlns="{ns.DS}"><CanonicalizationMethod Algorithm="{ns.EXC_C14N}"/>'
            f'<SignatureMethod Algorithm="{ns.HMAC_SHA1}"/>{refs}</SignedInfo>'.encode()
        )
        value = hmac.new(self.key, etree.tostring(signed_info, method="c14n", exclusive=True), hashlib.sha1)
        signature = etree.fromstring(
            f'<Signature xmlns="{ns.DS}"><SignatureValue>{base64.b64encode(value.digest()).decode()}'
            f'</SignatureValue><KeyInfo><o:SecurityTokenReference xmlns:o="{ns.WSSE}"><o:Reference '
            f'URI="#{self.token_id}" ValueType="{ns.WSC}/sct"/></o:SecurityTokenReference></KeyInfo>'
            "</Signature>".encode()
        )
        signature.insert(0, signed_info)
        root.find(f"{{{ns.SOAP12}}}Header/{{{ns.WSSE}}}Security").append(signature)
        return root

    def _read_rstr(self, reply: bytes, entropy: bytes) -> None:
        rstr = etree.fromstring(reply).find(f".//{{{ns.WST}}}RequestSecurityTokenResponse")
        sct = rstr.find(f"{{{ns.WST}}}RequestedSecurityToken/{{{ns.WSC}}}SecurityContextToken")
        server = base64.b64decode(rstr.findtext(f"{{{ns.WST}}}Entropy/{{{ns.WST}}}BinarySecret") or "")
        size = int(rstr.findtext(f"{{{ns.WST}}}KeySize") or "256")
        self.sct_xml = etree.tostring(sct).decode()
        self.token_id = sct.get(f"{{{ns.WSU}}}Id") or ""
        self.context_id = sct.findtext(f"{{{ns.WSC}}}Identifier") or ""
        self.key = p_sha1(entropy, b"", server, size // 8)

    def _post(self, root: etree._Element) -> tuple[int, bytes]:
        req = urllib.request.Request(
            self.url,
            etree.tostring(root),
            {"Content-Type": "application/soap+xml; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - the user's mock URL
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
