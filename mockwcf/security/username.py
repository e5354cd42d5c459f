"""wsse:UsernameToken reading and validation (reference section 4), as WCF's UserNamePasswordTokenEntry does it.

RS SM/Security/WSSecurityJan2004.cs UserNamePasswordTokenEntry.ParseToken: the children are read in any
order, each as it comes (a later Username or Password replaces an earlier one); Nonce and wsu:Created are
skipped unread; any other element, or non-white text, is an XmlException; a missing Username is one too
(OnRequiredElementMissing). Username and Password are ReadElementString values: passed to the validator as
sent, never trimmed. Only PasswordText (or no/empty Type) is accepted (ParsePassword), as the Password is
read; WCF has no digest support, and the failure is InvalidSecurity, not FailedAuthentication.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from lxml import etree

from mockwcf import codes, ns, xmlread
from mockwcf.envelope import WSU_ID
from mockwcf.faults import Rejection
from mockwcf.security.context import ReceiveContext, Token

STEP = "username"
_USERNAME = ns.q(ns.WSSE, "Username")
_PASSWORD = ns.q(ns.WSSE, "Password")
_SKIPPED = {ns.q(ns.WSSE, "Nonce"), ns.q(ns.WSU, "Created")}


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str | None
    username_el: etree._Element | None = None  # blamed for an unknown user
    password_el: etree._Element | None = None  # blamed for a wrong password


def parse(element: etree._Element) -> Credentials:
    """UserNamePasswordTokenEntry.ParseToken and the UserNameSecurityToken constructor."""
    username: str | None = None
    password: str | None = None
    username_el = password_el = None
    with xmlread.reading(STEP, "The UsernameToken cannot be read", element):
        for child in xmlread.children(element):
            if child.tag == _USERNAME:
                username, username_el = xmlread.content(child), child
            elif child.tag == _PASSWORD:
                ptype = child.get("Type")
                if ptype not in (None, "", ns.PASSWORD_TEXT):
                    raise Rejection(
                        codes.UnsupportedPasswordType,
                        f"The '{ptype}' username token has an unsupported password type; WCF accepts PasswordText "
                        "only.",
                        step=STEP,
                        hint="Send the password as PasswordText (zeep: UsernameToken(user, password) without "
                        "use_digest=True) over TLS; WCF has no PasswordDigest support.",
                        element=child,
                    )
                password, password_el = xmlread.content(child), child
            elif child.tag not in _SKIPPED:
                raise Rejection(
                    codes.MessageSecurityVerificationFailed,
                    f"The UsernameToken cannot be read: unexpected element {child.tag} inside it (WCF reads "
                    "Username, Password, Nonce and wsu:Created only; OnUnexpectedChildNodeError).",
                    step=STEP,
                    element=child,
                )
        if username is None:
            raise xmlread.ReadError("wsse:UsernameToken has no wsse:Username (OnRequiredElementMissing)")
    if username == "":
        raise Rejection(
            codes.UserNameCannotBeEmpty,
            "The UsernameToken's Username is empty (WCF: 'There was an error deserializing the security token XML.').",
            step=STEP,
        )
    return Credentials(username, password, username_el, password_el)


def authenticate(ctx: ReceiveContext, element: etree._Element, creds: Credentials, role: str) -> Token:
    """The validator sees the strings exactly as sent (no trimming WCF does not do)."""
    username, password = creds.username, creds.password
    expected = ctx.scenario.users.get(username)
    if expected is None or password is None or not hmac.compare_digest(expected.encode(), password.encode()):
        why = (
            "unknown user" if expected is None else ("no password" if password is None else "wrong password")
        )
        raise Rejection(
            codes.UserNameAuthenticationFailed,
            f"The credentials for user {username!r} were not accepted ({why}).",
            step=STEP,
            element={"unknown user": creds.username_el, "wrong password": creds.password_el}.get(why),
        )
    token = Token("UserName", element, element.get(WSU_ID), role, username=username)
    ctx.record(STEP, "ok", f"user '{username}' authenticated")
    return token
