"""Reading a token from the header and choosing its authenticator (RS ReceiveSecurityHeader.ReadToken).

A token is validated the moment it is read, so a bad password or an untrusted certificate is reported
before anything that follows it in the header. Which list a token joins decides what it may sign: only
tokens of the primary authenticator enter the primary resolver.
"""

from __future__ import annotations

from lxml import etree

from mockwcf import codes, ns, xmlread
from mockwcf.binding.model import AsymmetricSecurityBindingElement, TokenKind
from mockwcf.envelope import WSU_ID
from mockwcf.faults import Rejection
from mockwcf.security import username, x509
from mockwcf.security.context import ReceiveContext, Token

STEP = "tokens"
_UT = ns.q(ns.WSSE, "UsernameToken")
_BST = ns.q(ns.WSSE, "BinarySecurityToken")


def read(ctx: ReceiveContext, element: etree._Element) -> Token:
    if element.tag == _UT and element.get("ValueType") is None:
        creds = username.parse(element)
        role = _role_for(ctx, "UserName")
        token = username.authenticate(ctx, element, creds, role)
    elif element.tag == _BST:
        cert = x509.read_bst_value(element.get("ValueType"), element.get("EncodingType"), _bst_text(element))
        role = _role_for(ctx, "X509")
        x509.validate(cert, ctx.node.trust, ctx.now)
        token = Token("X509", element, element.get(WSU_ID), role, cert=cert)
        ctx.record(x509.STEP, "ok", f"certificate {x509.describe(cert)} accepted ({ctx.node.trust.mode})")
    else:
        # TokenEntry.CanReadTokenCore matches the element name and its ValueType attribute exactly; a
        # UsernameToken's entry expects none (ValueTypeUri is null), so one that carries a ValueType is unreadable.
        value_type = element.get("ValueType")
        qn = etree.QName(element)
        raise Rejection(
            codes.CannotReadToken,
            f"Cannot read the token from the '{qn.localname}' element with the '{qn.namespace}' namespace "
            f"(ValueType {value_type!r}): no token entry of this binding's serializer reads it.",
            step=STEP,
        )
    ctx.tokens.append(token)
    return token


def _bst_text(element: etree._Element) -> str:
    """ReadElementContentAsBase64 / ReadElementContentAsString: text around comments; a child element fails."""
    with xmlread.reading(STEP, "wsse:BinarySecurityToken cannot be read", element):
        return xmlread.content(element)


def _role_for(ctx: ReceiveContext, kind: str) -> str:
    """Primary authenticator first, then the supporting ones; none -> UnableToFindTokenAuthenticator
    (SecurityProtocolFactory: the primary token parameters' authenticator, then each supporting token's)."""
    binding = ctx.binding
    primary = binding.security.primary_token if binding.security else None
    if (
        primary is not None
        and primary.kind.value == kind
        and isinstance(binding.security, AsymmetricSecurityBindingElement)
    ):
        return "primary"
    # by name (each name is its value): a dict lookup, not Enum.__call__
    if binding.supporting(TokenKind[kind]):
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
    binding = ctx.binding
    required = (
        [(p.kind.value, a) for a, p in binding.security.endpoint_supporting.all()] if binding.security else []
    )
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
        if attachment.startswith("signed") and binding.protects_message and not token.signed:
            raise Rejection(
                codes.SupportingTokenIsNotSigned,
                f"The supporting token {token.label()} was not signed as part of the primary signature.",
                step=STEP,
            )
        if attachment.endswith("ndorsing") and not token.endorsing:
            raise Rejection(
                codes.SupportingTokenIsNotEndorsing,
                f"The supporting token {token.label()} did not endorse the primary signature "
                "(SupportingTokenIsNotEndorsing): nothing in the header was signed with its key.",
                step=STEP,
            )
    if required:
        ctx.record(STEP, "ok", "supporting tokens present: " + ", ".join(k for k, _ in required))
