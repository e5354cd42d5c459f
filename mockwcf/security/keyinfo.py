"""ds:KeyInfo: reading its clauses and resolving them to a token, the way WCF's header resolvers do.

The rule that seed 001 is about: the primary signature resolves only against tokens read from the
header and authenticated by the primary authenticator (reference 1.4-1.5). A KeyInfo that names a
certificate by X509IssuerSerial, SKI or thumbprint resolves only if that certificate also travelled
in a BinarySecurityToken earlier in the header.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from lxml import etree

from mockwcf import codes, ns
from mockwcf.envelope import elements
from mockwcf.faults import Rejection
from mockwcf.security import x509 as x509mod
from mockwcf.security.context import ReceiveContext, Token

STEP = "keyinfo"
_STR = ns.q(ns.WSSE, "SecurityTokenReference")
_REF = ns.q(ns.WSSE, "Reference")
_KEYID = ns.q(ns.WSSE, "KeyIdentifier")
_X509DATA = ns.q(ns.DS, "X509Data")
_ISSUER_SERIAL = ns.q(ns.DS, "X509IssuerSerial")
_ISSUER_NAME = ns.q(ns.DS, "X509IssuerName")
_SERIAL = ns.q(ns.DS, "X509SerialNumber")
_X509CERT = ns.q(ns.DS, "X509Certificate")
_X509SKI = ns.q(ns.DS, "X509SKI")
_USERNAME_TOKEN_TYPE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#UsernameToken"
)


@dataclass(frozen=True)
class Clause:
    """One key identifier clause: kind is local|ski|thumbprint|issuer_serial|raw|other."""

    kind: str
    value: object
    value_type: str | None = None
    shape: str = ""  # how the client wrote it, for messages and the journal

    def __str__(self) -> str:
        return self.shape


def read(keyinfo: etree._Element | None, wss11: bool) -> list[Clause]:
    """Parse KeyInfo while the Signature is read (errors here beat every later check)."""
    if keyinfo is None or not elements(keyinfo):
        return []
    clauses: list[Clause] = []
    for child in elements(keyinfo):
        if child.tag == _STR:
            clauses.append(_read_str(child, wss11))
        elif child.tag == _X509DATA:
            clauses.extend(_read_x509data(child, direct=True))
        else:
            clauses.append(Clause("other", None, shape=f"{etree.QName(child).localname} under ds:KeyInfo"))
    return clauses


def _read_str(str_el: etree._Element, wss11: bool) -> Clause:
    kids = elements(str_el)
    if not kids:
        raise Rejection(codes.CannotReadKeyIdentifier, "wsse:SecurityTokenReference is empty.", step=STEP)
    child = kids[0]
    if child.tag == _REF:
        uri = child.get("URI", "")
        if not uri.startswith("#") and (child.get("ValueType") or "").endswith("/sct") and uri:
            # SctStrEntry: a SecurityContextKeyIdentifierClause naming the context id (RS WSSecureConversation.cs)
            return Clause(
                "sct", uri, child.get("ValueType"), shape=f"wsse:Reference URI='{uri}' (SCT context id)"
            )
        if not uri.startswith("#"):
            raise Rejection(
                codes.CannotReadKeyIdentifier,
                f"wsse:Reference URI {uri!r} is not a local '#id' reference.",
                step=STEP,
            )
        return Clause("local", uri[1:], child.get("ValueType"), shape=f"wsse:Reference URI='{uri}'")
    if child.tag == _KEYID:
        vt = child.get("ValueType")
        raw = _decode(child.text or "", child.get("EncodingType"))
        if vt == ns.SKI_VALUE_TYPE:
            return Clause("ski", raw, vt, shape=f"KeyIdentifier X509SubjectKeyIdentifier {raw.hex()}")
        if vt == ns.THUMBPRINT_VALUE_TYPE:
            if not wss11:
                raise Rejection(
                    codes.CannotReadKeyIdentifierClause,
                    "KeyIdentifier ValueType ThumbprintSHA1 is a WS-Security 1.1 clause; this WSS 1.0 binding "
                    "cannot read it.",
                    step=STEP,
                    hint="On a WSS 1.0 binding reference the certificate's BinarySecurityToken with "
                    'wsse:Reference URI="#id" (or use an X509SubjectKeyIdentifier).',
                )
            return Clause("thumbprint", raw, vt, shape=f"KeyIdentifier ThumbprintSHA1 {raw.hex()}")
        raise Rejection(
            codes.CannotReadKeyIdentifierClause,
            f"KeyIdentifier ValueType {vt!r} is not one WCF reads.",
            step=STEP,
        )
    if child.tag == _X509DATA:
        found = _read_x509data(child, direct=False)
        return found[0]
    raise Rejection(
        codes.CannotReadKeyIdentifierClause,
        f"wsse:SecurityTokenReference holds {etree.QName(child).localname}, which WCF cannot read.",
        step=STEP,
    )


def _read_x509data(x509data: etree._Element, direct: bool) -> list[Clause]:
    kids = elements(x509data)
    if not direct:
        # WCF's STR IssuerSerial entry reads X509Data/X509IssuerSerial and then expects </X509Data>
        # (RS IM/Tokens/WSSecurityJan2004.cs X509IssuerSerialStrEntry): anything else is an XmlException.
        if not kids or kids[0].tag != _ISSUER_SERIAL:
            raise Rejection(
                codes.CannotReadKeyIdentifierClause,
                "Inside wsse:SecurityTokenReference, ds:X509Data must hold ds:X509IssuerSerial.",
                step=STEP,
            )
        if len(kids) > 1:
            extra = ", ".join(etree.QName(k).localname for k in kids[1:])
            raise Rejection(
                codes.MessageSecurityVerificationFailed,
                f"The STR's ds:X509Data holds X509IssuerSerial followed by {extra}; WCF's reader expects "
                "</X509Data> right after X509IssuerSerial and fails with an XmlException (this is the shape "
                "zeep's Signature plugin sends). Even without the extra element an IssuerSerial reference "
                "resolves only to a certificate sent in a BinarySecurityToken.",
                step=STEP,
                hint="Send the certificate in a wsse:BinarySecurityToken before the Signature and reference it "
                'with wsse:Reference URI="#id" (zeep: BinarySignature).',
            )
    clauses = []
    for k in kids:
        if k.tag == _ISSUER_SERIAL:
            name = k.find(_ISSUER_NAME)
            serial = k.find(_SERIAL)
            if name is None or serial is None:
                raise Rejection(
                    codes.MessageSecurityVerificationFailed,
                    "ds:X509IssuerSerial needs X509IssuerName and X509SerialNumber.",
                    step=STEP,
                )
            issuer, number = (name.text or "").strip(), (serial.text or "").strip()
            clauses.append(
                Clause(
                    "issuer_serial",
                    (issuer, number),
                    shape=f"X509IssuerSerial(Issuer = '{issuer}', Serial = '{number}')",
                )
            )
        elif k.tag == _X509CERT:
            try:
                cert = x509mod.certificate_from_der(base64.b64decode("".join((k.text or "").split())))
            except (ValueError, binascii.Error):
                raise Rejection(
                    codes.InvalidX509RawData, "ds:X509Certificate is not a certificate.", step=STEP
                ) from None
            clauses.append(Clause("raw", cert, shape="ds:X509Certificate (raw certificate data)"))
        elif k.tag == _X509SKI:
            raw = _decode(k.text or "", None)
            clauses.append(Clause("ski", raw, shape=f"ds:X509SKI {raw.hex()}"))
        else:
            clauses.append(Clause("other", None, shape=f"ds:X509Data/{etree.QName(k).localname}"))
    return clauses


def _decode(text: str, encoding: str | None) -> bytes:
    value = "".join(text.split())
    try:
        if encoding == ns.HEX_ENCODING:
            return binascii.unhexlify(value)
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Rejection(
            codes.CannotReadKeyIdentifier, f"KeyIdentifier value {value!r} does not decode.", step=STEP
        ) from None


def matches(clause: Clause, token: Token) -> bool:
    """Internal-style matching: any clause the token itself recognises (RS X509SecurityToken)."""
    if clause.kind == "local":
        if token.id is None or token.id != clause.value:
            return False
        if clause.value_type:
            expected = ns.X509V3 if token.kind == "X509" else _USERNAME_TOKEN_TYPE
            return clause.value_type == expected
        return True
    cert = token.cert
    if cert is None:
        return False
    if clause.kind == "ski":
        return x509mod.subject_key_identifier(cert) == clause.value
    if clause.kind == "thumbprint":
        return x509mod.thumbprint(cert) == clause.value
    if clause.kind == "issuer_serial":
        issuer, serial = clause.value  # type: ignore[misc]
        return serial == str(cert.serial_number) and x509mod.issuer_matches(cert, issuer)
    if clause.kind == "raw":
        return clause.value == cert
    return False


def resolve(ctx: ReceiveContext, clauses: list[Clause], tokens: list[Token], which: str) -> Token:
    """Find the signing token; raise WCF's codes for a missing or unresolvable KeyInfo."""
    if not clauses:
        raise Rejection(
            codes.NoKeyInfoInSignatureToFindVerificationToken,
            "The signature has no ds:KeyInfo (or an empty one), so WCF cannot find the verification token.",
            step=STEP,
        )
    for clause in clauses:
        for token in tokens:
            if matches(clause, token):
                ctx.record(STEP, "ok", f"{clause} resolved to {token.label()} via the {which} resolver")
                return token
    deviation = _out_of_band(ctx, clauses) if which == "primary" else None
    if deviation is not None:
        return deviation
    available = ", ".join(t.label() for t in tokens) or "none"
    keyinfo = "; ".join(str(c) for c in clauses)
    hint = None
    if any(c.kind == "raw" for c in clauses):
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"KeyInfo carries the certificate itself ({keyinfo}); WCF may build a key from it but the token was "
            "never authenticated from the security header, so processing fails with a generic error.",
            step=STEP,
            hint='Put the certificate in a wsse:BinarySecurityToken and reference it with wsse:Reference URI="#id".',
        )
    later = [t for t in _later_tokens(ctx) if any(matches(c, t) for c in clauses)]
    if later:
        hint = (
            "The referenced token appears after the Signature; this binding's layout is Strict, so tokens must "
            "precede the signature that uses them. Move the BinarySecurityToken before ds:Signature."
        )
    elif any(c.kind in ("issuer_serial", "ski", "thumbprint") for c in clauses):
        hint = (
            "WCF resolves the primary signature only against tokens in the security header: send the "
            'certificate in a wsse:BinarySecurityToken and point KeyInfo at it with wsse:Reference URI="#id".'
        )
    raise Rejection(
        codes.UnableToResolveKeyInfoForVerifyingSignature,
        f"Cannot resolve KeyInfo for verifying signature: KeyInfo '{keyinfo}', available tokens "
        f"'{which} resolver: {available}'.",
        step=STEP,
        hint=hint,
    )


def _later_tokens(ctx: ReceiveContext) -> list[Token]:
    """BSTs present in the header but not read yet (Strict layout): only to explain the failure."""
    sec = ctx.env.security
    if sec is None:
        return []
    out = []
    for el in sec.iter(ns.q(ns.WSSE, "BinarySecurityToken")):
        if el in ctx.read_header_elements:
            continue
        try:
            cert = x509mod.read_bst_value(el.get("ValueType"), el.get("EncodingType"), el.text or "")
        except Rejection:
            continue
        out.append(Token("X509", el, el.get(ns.q(ns.WSU, "Id")), "primary", cert=cert))
    return out


def _out_of_band(ctx: ReceiveContext, clauses: list[Clause]) -> Token | None:
    """deviations.resolveSigningCertificateOutOfBand: NOT WCF; resolve against trustedPeople."""
    if not ctx.scenario.out_of_band_signing:
        return None
    for cert in ctx.node.trust.people:
        probe = Token("X509", ctx.env.root, None, "primary", cert=cert)
        for clause in clauses:
            if clause.kind != "local" and matches(clause, probe):
                ctx.record(
                    STEP,
                    "ok",
                    f"{clause} resolved OUT OF BAND to '{cert.subject.rfc4514_string()}' "
                    "(deviation from WCF: resolveSigningCertificateOutOfBand)",
                )
                ctx.tokens.append(probe)
                return probe
    return None
