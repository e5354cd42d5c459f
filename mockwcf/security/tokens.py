"""Reading a token from the header and choosing its authenticator (RS ReceiveSecurityHeader.ReadToken).

A token is validated the moment it is read, so a bad password or an untrusted certificate is reported
before anything that follows it in the header. Which list a token joins decides what it may sign: only
tokens of the primary authenticator enter the primary resolver.
"""

from __future__ import annotations

from lxml import etree

from mockwcf import codes, ns
from mockwcf.envelope import WSU_ID
from mockwcf.faults import Rejection
from mockwcf.security import username, x509
from mockwcf.security.context import ReceiveContext, Token

STEP = "tokens"
_UT = ns.q(ns.WSSE, "UsernameToken")
_BST = ns.q(ns.WSSE, "BinarySecurityToken")


def read(ctx: ReceiveContext, element: etree._Element) -> Token:
    qn = etree.QName(element)
    if element.tag == _UT:
        role = _role_for(ctx, "UserName")
        token = username.read(ctx, element, role)
    elif element.tag == _BST:
        cert = x509.read_bst_value(element.get("ValueType"), element.get("EncodingType"), element.text or "")
        role = _role_for(ctx, "X509")
        x509.validate(cert, ctx.runtime.trust, ctx.now)
        token = Token("X509", element, element.get(WSU_ID), role, cert=cert)
        ctx.record(x509.STEP, "ok", f"certificate {x509.describe(cert)} accepted ({ctx.runtime.trust.mode})")
    else:
        raise Rejection(
            codes.CannotReadToken,
            f"Cannot read the token from the '{qn.localname}' element with the '{qn.namespace}' namespace: "
            "it is not a token type this binding's serializer knows.",
            step=STEP,
        )
    ctx.tokens.append(token)
    return token


def _role_for(ctx: ReceiveContext, kind: str) -> str:
    """Primary authenticator first, then the supporting ones; none -> UnableToFindTokenAuthenticator."""
    security = ctx.scenario.security
    if security.kind == "message" and security.credential == "Certificate" and kind == "X509":
        return "primary"
    if (
        security.kind == "twmc"
        and kind == {"UserName": "UserName", "Certificate": "X509"}[security.credential]
    ):
        return "supporting"
    if security.kind == "message" and kind == "UserName" and "UserName" in security.signed_supporting:
        return "supporting"
    token_type = {"UserName": "UserNameSecurityToken", "X509": "X509SecurityToken"}[kind]
    raise Rejection(
        codes.UnableToFindTokenAuthenticator,
        f"Cannot find a token authenticator for the 'System.IdentityModel.Tokens.{token_type}' token type. Tokens "
        "of that type cannot be accepted according to current security settings.",
        step=STEP,
    )


def verify_supporting(ctx: ReceiveContext) -> None:
    """VerifySupportingToken for each token the binding requires (RS ReceiveSecurityHeader)."""
    security = ctx.scenario.security
    required: list[tuple[str, str]] = []  # (token kind, attachment)
    if security.kind == "twmc":
        required.append(
            ("UserName", "signedEncrypted") if security.credential == "UserName" else ("X509", "endorsing")
        )
    for kind in security.signed_supporting:
        required.append((kind, "signed"))  # the schema allows only UserName here
    for kind, attachment in required:
        found = [t for t in ctx.tokens if t.kind == kind and t.role == "supporting"]
        if not found:
            what = {"UserName": "UserNameSecurityTokenParameters", "X509": "X509SecurityTokenParameters"}[
                kind
            ]
            raise Rejection(
                codes.SupportingTokenNotProvided,
                f"A supporting token that satisfies parameters '{what}' and attachment mode '{attachment}' was not "
                "provided.",
                step=STEP,
                hint=(
                    "Add a wsse:UsernameToken with the user name and PasswordText password."
                    if kind == "UserName"
                    else "Add the client certificate as a wsse:BinarySecurityToken and sign the Timestamp with it."
                ),
            )
        token = found[0]
        if attachment == "signed" and security.kind == "message" and not token.signed:
            raise Rejection(
                codes.SupportingTokenIsNotSigned,
                f"The supporting token {token.label()} was not signed as part of the primary signature.",
                step=STEP,
            )
        if attachment == "endorsing" and not token.endorsing:
            raise Rejection(
                codes.SupportingTokenIsNotEndorsing,
                f"The supporting token {token.label()} did not endorse the primary signature "
                "(SupportingTokenIsNotEndorsing): nothing in the header was signed with its key.",
                step=STEP,
            )
    if required:
        ctx.record(STEP, "ok", "supporting tokens present: " + ", ".join(k for k, _ in required))
