"""wsse:UsernameToken reading and validation (reference section 4).

Only PasswordText (or no Type) is accepted; WCF has no digest support at all, and the failure is an
InvalidSecurity fault, not FailedAuthentication. Nonce and Created are skipped. Credentials are
checked as the token is read.
"""

from __future__ import annotations

import hmac

from lxml import etree

from mockwcf import codes, ns
from mockwcf.envelope import WSU_ID, elements
from mockwcf.faults import Rejection
from mockwcf.security.context import ReceiveContext, Token

STEP = "username"
_USERNAME = ns.q(ns.WSSE, "Username")
_PASSWORD = ns.q(ns.WSSE, "Password")
_SKIPPED = {ns.q(ns.WSSE, "Nonce"), ns.q(ns.WSU, "Created")}


def read(ctx: ReceiveContext, element: etree._Element, role: str) -> Token:
    children = elements(element)
    if not children or children[0].tag != _USERNAME:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            "wsse:UsernameToken must start with wsse:Username (WCF's reader fails with an XML error).",
            step=STEP,
        )
    username = (children[0].text or "").strip()
    password: str | None = None
    password_el = None
    for child in children[1:]:
        if child.tag == _PASSWORD:
            ptype = child.get("Type")
            if ptype not in (None, "", ns.PASSWORD_TEXT):
                raise Rejection(
                    codes.UnsupportedPasswordType,
                    f"The '{ptype}' username token has an unsupported password type; WCF accepts PasswordText only.",
                    step=STEP,
                    hint="Send the password as PasswordText (zeep: UsernameToken(user, password) without "
                    "use_digest=True) over TLS; WCF has no PasswordDigest support.",
                    element=child,
                )
            password, password_el = child.text or "", child
        elif child.tag not in _SKIPPED:
            raise Rejection(
                codes.MessageSecurityVerificationFailed,
                f"Unexpected element {child.tag} inside wsse:UsernameToken.",
                step=STEP,
                element=child,
            )
    if not username:
        raise Rejection(
            codes.UserNameCannotBeEmpty,
            "The UsernameToken's Username is empty (WCF: 'There was an error deserializing the security token XML.').",
            step=STEP,
        )
    expected = ctx.scenario.users.get(username)
    if expected is None or password is None or not hmac.compare_digest(expected.encode(), password.encode()):
        why = (
            "unknown user" if expected is None else ("no password" if password is None else "wrong password")
        )
        raise Rejection(
            codes.UserNameAuthenticationFailed,
            f"The credentials for user '{username}' were not accepted ({why}).",
            step=STEP,
            element={"unknown user": children[0], "wrong password": password_el}.get(why),
        )
    token = Token("UserName", element, element.get(WSU_ID), role, username=username)
    ctx.record(STEP, "ok", f"user '{username}' authenticated")
    return token
