"""WS-Trust for secure conversation: reading RST/SCT requests, issuing the key, writing the RSTR.

Each rule follows the .NET reference source (docs/conversation.md has the member by member account):
- the RST is read as WSTrust.Driver.CreateRequestSecurityToken reads it: Context attribute, TokenType,
  RequestType and KeySize children (KeySize through Int32.Parse), RenewTarget / CancelTarget holding a
  SecurityTokenReference, the first token inside wst:Entropy (WSTrust.Driver.GetEntropy);
- the key is made as WSTrust.Driver.ProcessRstAndIssueKey makes it in WCF's default CombinedEntropy mode:
  requestor entropy required, KeySize checked against the algorithm suite (ValidateRequestedKeySize),
  issuer entropy of KeySize/8 random non-zero bytes, key = P_SHA1(requestor entropy, issuer entropy)
  (RequestSecurityTokenResponse.ComputeCombinedKey, label empty);
- the RSTR is written in WSTrust.Driver.WriteRequestSecurityTokenResponse's element order, wrapped in
  an RSTR collection for WS-Trust 1.3 (SecuritySessionSecurityTokenAuthenticator.ProcessIssueRequest).
Every refusal raises a Rejection whose catalog code maps to WCF's wire fault for the issuing path
(SecuritySessionSecurityTokenAuthenticator.CreateFault: wst:InvalidRequest in the Feb 2005 namespace).
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from mockwcf import codes, ns
from mockwcf.faults import Rejection, b64_or_reject
from mockwcf.security import derivedkeys

STEP = "trust"


@dataclass(frozen=True)
class ScVersion:
    """The WS-Trust + WS-SecureConversation pair of a binding (RS SM/XD.cs, SM/DXD.cs)."""

    name: str
    trust_ns: str
    sc_ns: str
    trust_prefix: str
    sc_prefix: str
    collection: bool  # WS-Trust 1.3 wraps the RSTR in RequestSecurityTokenResponseCollection

    def action(self, what: str) -> str:
        """`RST/SCT`, `RSTR/SCT`, `RST/SCT/Cancel`, ... under this version's trust namespace."""
        return f"{self.trust_ns}/{what}"

    @property
    def sct_type(self) -> str:
        return f"{self.sc_ns}/sct"

    @property
    def request_types(self) -> dict[str, str]:
        return {k: f"{self.trust_ns}/{k}" for k in ("Issue", "Renew", "Cancel")}

    @property
    def computed_key_psha1(self) -> str:
        return f"{self.trust_ns}/CK/PSHA1"

    @property
    def nonce_type(self) -> str:
        return f"{self.trust_ns}/Nonce"

    @property
    def symmetric_key_type(self) -> str:
        return f"{self.trust_ns}/SymmetricKey"


FEB2005 = ScVersion("WSSecureConversationFeb2005", ns.WST, ns.WSC, "t", "c", collection=False)
WSSX13 = ScVersion("WSSecureConversation13", ns.WST13, ns.WSC13, "trust", "sc", collection=True)
VERSIONS = {v.name: v for v in (FEB2005, WSSX13)}

# AlgorithmSuite.IsSymmetricKeyLengthSupported and DefaultSymmetricKeyLength (RS SM/Security/SecurityAlgorithmSuite.cs)
_SUITE_KEYS: dict[str, tuple[int, int, int]] = {  # name -> (min bits, max bits, default bits)
    "Basic256": (256, 256, 256),
    "Basic256Sha256": (256, 256, 256),
    "Basic192": (192, 256, 192),
    "Basic192Sha256": (192, 256, 192),
    "TripleDes": (192, 256, 192),
    "TripleDesSha256": (192, 256, 192),
    "Basic128": (128, 256, 128),
    "Basic128Sha256": (128, 256, 128),
}


def p_sha1(secret: bytes, seed: bytes, length: int) -> bytes:
    """P_SHA1 of RFC 2246 section 5, as Psha1DerivedKeyGenerator computes it (the computed key of an RSTR:
    the seed is the issuer's entropy, no label). One implementation: derivedkeys.p_sha1."""
    return derivedkeys.p_sha1(secret, b"", seed, length)


@dataclass(frozen=True)
class SctRef:
    """A SecurityTokenReference to a security context token (SecurityContextKeyIdentifierClause when
    `uri` does not start with '#', otherwise a LocalIdKeyIdentifierClause)."""

    uri: str
    generation: str | None = None

    @property
    def is_context_id(self) -> bool:
        return not self.uri.startswith("#")

    def __str__(self) -> str:
        gen = f", generation {self.generation}" if self.generation else ""
        return f"SecurityContextKeyIdentifierClause(ContextId = '{self.uri}'{gen})"


@dataclass(frozen=True)
class Rst:
    """What WCF reads from a RequestSecurityToken."""

    context: str | None
    token_type: str | None
    request_type: str | None
    key_size: int  # 0 when absent, as in WCF
    entropy: bytes | None
    renew_target: SctRef | None
    cancel_target: SctRef | None
    applies_to: etree._Element | None


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _read_target(el: etree._Element, version: ScVersion) -> SctRef:
    """ReadTargets: the first child must be a SecurityTokenReference WCF's serializer can read."""
    kids = [c for c in el if isinstance(c.tag, str)]
    if not kids or kids[0].tag != ns.q(ns.WSSE, "SecurityTokenReference"):
        raise Rejection(
            codes.InvalidRequestTrustFaultCode,
            f"wst:{etree.QName(el).localname} must hold a wsse:SecurityTokenReference; found "
            + (f"<{etree.QName(kids[0]).localname}>" if kids else "nothing"),
            step=STEP,
        )
    ref = kids[0].find(ns.q(ns.WSSE, "Reference"))
    uri = ref.get("URI") if ref is not None else None
    if not uri:
        raise Rejection(
            codes.InvalidRequestTrustFaultCode,
            f"The SecurityTokenReference in wst:{etree.QName(el).localname} has no wsse:Reference URI; WCF "
            'reads SCT references as <wsse:Reference URI="urn:uuid:..." ValueType=".../sct"/>.',
            step=STEP,
        )
    value_type = ref.get("ValueType")
    if value_type is not None and not uri.startswith("#") and value_type != version.sct_type:
        raise Rejection(
            codes.InvalidRequestTrustFaultCode,
            f"The reference's ValueType {value_type!r} is not {version.sct_type!r}.",
            step=STEP,
        )
    return SctRef(uri, ref.get(ns.q(version.sc_ns, "Instance")))


def parse_rst(body: etree._Element, version: ScVersion) -> Rst:
    """WSTrust.Driver.CreateRequestSecurityToken over the Body's first child."""
    t = version.trust_ns
    payload = next((c for c in body if isinstance(c.tag, str)), None)
    if payload is None or payload.tag != ns.q(t, "RequestSecurityToken"):
        found = etree.QName(payload).text if payload is not None else "an empty Body"
        raise Rejection(
            codes.InvalidRequestTrustFaultCode,
            f"Expected element 'RequestSecurityToken' from namespace '{t}', found {found}.",
            step=STEP,
        )
    token_type = request_type = None
    key_size = 0
    entropy: bytes | None = None
    renew = cancel = None
    applies_to = None
    for child in payload:
        if not isinstance(child.tag, str):
            continue
        q = etree.QName(child)
        if q.namespace == t and q.localname == "TokenType":
            token_type = _text(child)
        elif q.namespace == t and q.localname == "RequestType":
            request_type = _text(child)
        elif q.namespace == t and q.localname == "KeySize":
            key_size = _int32(_text(child))
        elif q.namespace == t and q.localname == "Entropy" and entropy is None:
            entropy = _read_entropy(child, version)
        elif q.namespace == t and q.localname == "RenewTarget":
            renew = _read_target(child, version)
        elif q.namespace == t and q.localname == "CancelTarget":
            cancel = _read_target(child, version)
        elif q.localname == "AppliesTo":
            applies_to = child
    return Rst(payload.get("Context"), token_type, request_type, key_size, entropy, renew, cancel, applies_to)


def _int32(text: str) -> int:
    """Int32.Parse with the invariant culture: optional sign, digits, within 32 bits."""
    if not re.fullmatch(r"[+-]?[0-9]+", text) or not -(2**31) <= int(text) < 2**31:
        raise Rejection(
            codes.InvalidRequestTrustFaultCode,
            f"wst:KeySize {text!r} is not a 32-bit integer (Int32.Parse fails).",
            step=STEP,
        )
    return int(text)


def _read_entropy(el: etree._Element, version: ScVersion) -> bytes:
    """GetEntropy reads the first child as a token; a BinarySecret (either trust namespace) is the one a
    non-.NET client can send (a WrappedKey would need encryption)."""
    kids = [c for c in el if isinstance(c.tag, str)]
    secret = kids[0] if kids else None
    if secret is None or secret.tag not in (ns.q(ns.WST, "BinarySecret"), ns.q(ns.WST13, "BinarySecret")):
        raise Rejection(
            codes.InvalidRequestTrustFaultCode,
            "wst:Entropy must contain a wst:BinarySecret (WCF reads the first child as a token) "
            + ("but is empty." if secret is None else f"but holds <{etree.QName(secret).localname}>."),
            step=STEP,
        )
    kind = secret.get("Type")
    allowed = {f"{v}/{k}" for v in (ns.WST, ns.WST13) for k in ("Nonce", "SymmetricKey")}
    if kind and kind not in allowed:
        raise Rejection(
            codes.InvalidRequestTrustFaultCode,
            f"BinarySecret Type {kind!r} is not a Nonce or SymmetricKey type (UnexpectedBinarySecretType).",
            step=STEP,
        )
    return b64_or_reject(
        secret.text,
        codes.InvalidRequestTrustFaultCode,
        "The wst:BinarySecret is not valid base64.",
        step=STEP,
    )


@dataclass(frozen=True)
class IssuedKey:
    key: bytes
    issuer_entropy: bytes
    key_size: int


def issue_key(rst: Rst, suite: str, rng: object = secrets) -> IssuedKey:
    """ProcessRstAndIssueKey for SecurityKeyEntropyMode.CombinedEntropy (WCF's default)."""
    if rst.entropy is None:
        raise Rejection(
            codes.EntropyModeRequiresRequestorEntropy,
            "The client must provide key entropy in key entropy mode 'CombinedEntropy': add "
            '<wst:Entropy><wst:BinarySecret Type=".../Nonce">base64</wst:BinarySecret></wst:Entropy> to the RST.',
            step=STEP,
        )
    low, high, default = _SUITE_KEYS.get(suite, _SUITE_KEYS["Basic256"])
    size = rst.key_size or default
    if rst.key_size and (size % 8 or not low <= size <= high):
        raise Rejection(
            codes.InvalidKeyLengthRequested,
            f"The key length '{size}' requested is invalid: algorithm suite {suite} issues "
            + (f"{low}-bit keys" if low == high else f"keys of {low} to {high} bits")
            + " (multiples of 8).",
            step=STEP,
        )
    issuer = bytes(b or 1 for b in rng.token_bytes(size // 8))  # GetNonZeroBytes
    return IssuedKey(p_sha1(rst.entropy, issuer, size // 8), issuer, size)


def wcf_time(value: datetime) -> str:
    """Lifetime's yyyy-MM-ddTHH:mm:ss.fffZ."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def sct_xml(
    version: ScVersion, token_id: str, context_id: str, generation: str | None, cookie: bytes | None
) -> str:
    """WSSecureConversation.SecurityContextTokenEntry.WriteTokenCore."""
    c = version.sc_prefix
    out = f"<{c}:SecurityContextToken u:Id={quoteattr(token_id)} xmlns:{c}={quoteattr(version.sc_ns)}>"
    out += f"<{c}:Identifier>{escape(context_id)}</{c}:Identifier>"
    if generation:
        out += f"<{c}:Instance>{escape(generation)}</{c}:Instance>"
    if cookie is not None:
        out += f'<dnse:Cookie xmlns:dnse="{ns.DNSE}">{base64.b64encode(cookie).decode()}</dnse:Cookie>'
    return out + f"</{c}:SecurityContextToken>"


def sct_references(version: ScVersion, token_id: str, context_id: str, generation: str | None) -> str:
    """RequestedAttachedReference (LocalId, BSP ValueType first) and RequestedUnattachedReference
    (SecurityContextKeyIdentifierClause) as WSTrustFeb2005.DriverFeb2005.WriteReferences writes them."""
    t, st = version.trust_prefix, version.sct_type
    gen = (
        f" {version.sc_prefix}:Instance={quoteattr(generation)} xmlns:{version.sc_prefix}={quoteattr(version.sc_ns)}"
        if generation
        else ""
    )
    attached = f'<o:Reference ValueType="{st}" URI="#{escape(token_id)}"/>'
    unattached = f'<o:Reference URI={quoteattr(context_id)}{gen} ValueType="{st}"/>'
    wrap = f'<o:SecurityTokenReference xmlns:o="{ns.WSSE}">{{}}</o:SecurityTokenReference>'
    return (
        f"<{t}:RequestedAttachedReference>{wrap.format(attached)}</{t}:RequestedAttachedReference>"
        f"<{t}:RequestedUnattachedReference>{wrap.format(unattached)}</{t}:RequestedUnattachedReference>"
    )


def issue_rstr(
    version: ScVersion,
    *,
    context: str | None,
    sct: str,
    references: str,
    issued: IssuedKey,
    entropy_id: str,
    valid_from: datetime,
    valid_to: datetime,
    applies_to: etree._Element | None = None,
) -> str:
    """The Body content of the issue (or renew) reply."""
    t = version.trust_prefix
    ctx = f" Context={quoteattr(context)}" if context is not None else ""
    out = (
        f'<{t}:RequestSecurityTokenResponse{ctx} xmlns:{t}={quoteattr(version.trust_ns)} xmlns:u="{ns.WSU}">'
    )
    out += f"<{t}:TokenType>{version.sct_type}</{t}:TokenType>"
    out += f"<{t}:RequestedSecurityToken>{sct}</{t}:RequestedSecurityToken>"
    if applies_to is not None:
        out += etree.tostring(applies_to, encoding="unicode", with_tail=False)
    out += references
    out += f"<{t}:RequestedProofToken><{t}:ComputedKey>{version.computed_key_psha1}</{t}:ComputedKey></{t}:RequestedProofToken>"
    secret = base64.b64encode(issued.issuer_entropy).decode()
    out += (
        f'<{t}:Entropy><{t}:BinarySecret u:Id={quoteattr(entropy_id)} Type="{version.nonce_type}">{secret}'
        f"</{t}:BinarySecret></{t}:Entropy>"
    )
    out += f"<{t}:Lifetime><u:Created>{wcf_time(valid_from)}</u:Created><u:Expires>{wcf_time(valid_to)}</u:Expires></{t}:Lifetime>"
    out += f"<{t}:KeySize>{issued.key_size}</{t}:KeySize>"
    return _collect(version, out + f"</{t}:RequestSecurityTokenResponse>")


def cancel_rstr(version: ScVersion, context: str | None) -> str:
    """ProcessCloseRequest's reply: only Context and RequestedTokenCancelled."""
    t = version.trust_prefix
    ctx = f" Context={quoteattr(context)}" if context is not None else ""
    out = (
        f'<{t}:RequestSecurityTokenResponse{ctx} xmlns:{t}={quoteattr(version.trust_ns)} xmlns:u="{ns.WSU}">'
    )
    out += f"<{t}:RequestedTokenCancelled/></{t}:RequestSecurityTokenResponse>"
    return _collect(version, out)


def _collect(version: ScVersion, rstr: str) -> str:
    if not version.collection:
        return rstr
    t = version.trust_prefix
    return (
        f"<{t}:RequestSecurityTokenResponseCollection xmlns:{t}={quoteattr(version.trust_ns)}>{rstr}"
        f"</{t}:RequestSecurityTokenResponseCollection>"
    )
