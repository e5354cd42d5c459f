"""A secure-conversation client built only from lxml, python-xmlsec and `cryptography` (not from
mockwcf's response code): the RST, the computed key from the RSTR, SCT-endorsed messages and Cancel,
shaped as WCF's own client sends them over TransportWithMessageCredential."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes, hmac
from lxml import etree

from mockwcf import ns
from tests import wss

TO = "http://127.0.0.1/EchoService.svc"
VERSIONS = {
    "feb2005": (ns.WST, ns.WSC),
    "1.3": (ns.WST13, ns.WSC13),
}


def p_sha1(secret: bytes, seed: bytes, length: int) -> bytes:
    """RFC 2246 P_SHA1 with `cryptography`'s HMAC (the client's own implementation)."""

    def mac(data: bytes) -> bytes:
        h = hmac.HMAC(secret, hashes.SHA1())
        h.update(data)
        return h.finalize()

    out, a = b"", seed
    while len(out) < length:
        a = mac(a)
        out += mac(a + seed)
    return out[:length]


def _soap(headers: str, body: str) -> str:
    return (
        f'<s:Envelope xmlns:s="{ns.SOAP12}" xmlns:a="{ns.WSA10}" xmlns:u="{ns.WSU}"><s:Header>{headers}</s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


def _addressing(action: str, to: str = TO) -> str:
    return (
        f'<a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID>'
        f'<a:To s:mustUnderstand="1" u:Id="_1">{to}</a:To>'
    )


def rst(
    version: str = "feb2005",
    entropy: bytes | None = None,
    key_size: str | None = "256",
    token_type: str | None = "default",
    request_type: str | None = "default",
    user: str | None = "alice",
    context: str = "uuid-ctx-1",
) -> tuple[str, bytes | None]:
    """RST/SCT with a UsernameToken bootstrap (UserNameOverTransport; `user` None: no UsernameToken);
    returns (xml, client entropy)."""
    t, c = VERSIONS[version]
    if entropy is None:
        entropy = os.urandom(32)
    parts = []
    if token_type is not None:
        parts.append(f"<t:TokenType>{c + '/sct' if token_type == 'default' else token_type}</t:TokenType>")
    if request_type is not None:
        parts.append(
            f"<t:RequestType>{t + '/Issue' if request_type == 'default' else request_type}</t:RequestType>"
        )
    if entropy != b"":
        secret = base64.b64encode(entropy).decode()
        parts.append(f'<t:Entropy><t:BinarySecret Type="{t}/Nonce">{secret}</t:BinarySecret></t:Entropy>')
    if key_size is not None:
        parts.append(f"<t:KeySize>{key_size}</t:KeySize>")
    body = (
        f'<t:RequestSecurityToken Context="{context}" xmlns:t="{t}">{"".join(parts)}</t:RequestSecurityToken>'
    )
    token = wss.username_token(user=user) if user is not None else ""
    header = _addressing(f"{t}/RST/SCT") + wss.security(wss.timestamp(id="_0"), token, soap12=True)
    return _soap(header, body), (entropy or None)


@dataclass
class Session:
    """What the client keeps from the RSTR."""

    version: str
    sct_xml: str
    token_id: str
    context_id: str
    key: bytes
    rstr: etree._Element


def read_rstr(reply: str | bytes, version: str, client_entropy: bytes) -> Session:
    t, c = VERSIONS[version]
    root = etree.fromstring(reply.encode() if isinstance(reply, str) else reply)
    rstr = (
        root
        if root.tag == f"{{{t}}}RequestSecurityTokenResponse"
        else root.find(f"{{{t}}}RequestSecurityTokenResponse")
    )
    assert rstr is not None, etree.tostring(root)
    sct = rstr.find(f"{{{t}}}RequestedSecurityToken/{{{c}}}SecurityContextToken")
    server_entropy = base64.b64decode(rstr.findtext(f"{{{t}}}Entropy/{{{t}}}BinarySecret") or "")
    size = int(rstr.findtext(f"{{{t}}}KeySize") or "256")
    assert rstr.findtext(f"{{{t}}}RequestedProofToken/{{{t}}}ComputedKey") == f"{t}/CK/PSHA1"
    key = p_sha1(client_entropy, server_entropy, size // 8)
    return Session(
        version,
        etree.tostring(sct).decode(),
        sct.get(f"{{{ns.WSU}}}Id"),
        sct.findtext(f"{{{c}}}Identifier"),
        key,
        rstr,
    )


def call(
    session: Session,
    action: str = wss.ACTION,
    body: str | None = None,
    *,
    key: bytes | None = None,
    sign_to: bool = True,
    created: datetime | None = None,
    sct_xml: str | None = None,
) -> str:
    """An application (or Cancel) message: Timestamp, the SCT, an HMAC signature keyed by the SCT's key
    over the Timestamp and wsa:To, referencing the SCT by its wsu:Id (what WCF's client writes)."""
    header = _addressing(action) + wss.security(
        wss.timestamp(created or datetime.now(UTC), id="_0"), sct_xml or session.sct_xml, soap12=True
    )
    doc = _soap(header, body if body is not None else wss.ECHO.format(text="hi"))
    _, c = VERSIONS[session.version]
    keyinfo = (
        f'<o:SecurityTokenReference xmlns:o="{ns.WSSE}"><o:Reference ValueType="{c}/sct" '
        f'URI="#{session.token_id}"/></o:SecurityTokenReference>'
    )
    refs = ["_0", "_1"] if sign_to else ["_0"]
    return wss.sign(
        doc, None, None, refs, sig_alg="hmac-sha1", hmac_key=key or session.key, keyinfo_raw=keyinfo
    )


def cancel(session: Session, target: str | None = "context", request_type: str | None = "default") -> str:
    t, c = VERSIONS[session.version]
    parts = []
    if request_type is not None:
        parts.append(
            f"<t:RequestType>{t + '/Cancel' if request_type == 'default' else request_type}</t:RequestType>"
        )
    if target is not None:
        parts.append(_target("CancelTarget", session, target))
    body = f'<t:RequestSecurityToken Context="uuid-cancel" xmlns:t="{t}">{"".join(parts)}</t:RequestSecurityToken>'
    return call(session, f"{t}/RST/SCT/Cancel", body)


def renew(session: Session, target: str | None = "context", user: str = "alice") -> tuple[str, bytes]:
    """RST/SCT/Renew: bootstrap credentials (UsernameToken) plus the current SCT endorsing the message."""
    t, c = VERSIONS[session.version]
    entropy = os.urandom(32)
    parts = [f"<t:RequestType>{t}/Renew</t:RequestType>"]
    if target is not None:
        parts.append(_target("RenewTarget", session, target))
    secret = base64.b64encode(entropy).decode()
    parts.append(f'<t:Entropy><t:BinarySecret Type="{t}/Nonce">{secret}</t:BinarySecret></t:Entropy>')
    body = f'<t:RequestSecurityToken Context="uuid-renew" xmlns:t="{t}">{"".join(parts)}</t:RequestSecurityToken>'
    sct = session.sct_xml + wss.username_token(user=user)
    return call(session, f"{t}/RST/SCT/Renew", body, sct_xml=sct), entropy


def _target(name: str, session: Session, target: str) -> str:
    """A SecurityContextKeyIdentifierClause: the context id, with the key generation as c:Instance."""
    _, c = VERSIONS[session.version]
    gen = etree.fromstring(session.sct_xml).findtext(f"{{{c}}}Instance")
    instance = f' c:Instance="{gen}" xmlns:c="{c}"' if gen else ""
    uri = session.context_id if target == "context" else target
    return (
        f'<t:{name}><o:SecurityTokenReference xmlns:o="{ns.WSSE}"><o:Reference URI="{uri}"{instance} '
        f'ValueType="{c}/sct"/></o:SecurityTokenReference></t:{name}>'
    )
