"""ds:KeyInfo clauses resolved to a token, the way WCF's header resolvers do (reading them: keyinfo_read.py).

The rule that seed 001 is about: the primary signature resolves only against tokens read from the
header and authenticated by the primary authenticator (reference 1.4-1.5). A KeyInfo that names a
certificate by X509IssuerSerial, SKI or thumbprint resolves only if that certificate also travelled
in a BinarySecurityToken earlier in the header.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockwcf import codes, ns
from mockwcf.faults import Rejection
from mockwcf.security import x509 as x509mod
from mockwcf.security.context import ReceiveContext, Token

STEP = "keyinfo"
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
        return serial.strip() == str(cert.serial_number) and x509mod.issuer_matches(cert, issuer)
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
