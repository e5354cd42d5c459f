"""HTTP Basic on the transport: HttpListener decodes the header, WCF checks the user name and password.

HttpListener.HandleAuthentication (Basic case): the blob must be base64 (a FormatException leaves its error
status at 500 Internal Server Error) of `user:password` (no colon -> 400 Bad Request). HttpListener itself checks no password: self-hosted, the pair
goes to WCF's user name authenticator (HttpChannelListener.ProcessAuthentication(HttpListenerBasicIdentity)),
and HttpRequestContext.ProcessAuthentication answers its refusal with 403 Forbidden, no challenge. Hosted in
IIS, IIS's Basic module checks the account first and answers 401 with the Basic challenge again.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from mockwcf.transport.config import TransportAuthConfig


@dataclass(frozen=True)
class BasicResult:
    status: int  # 0 = accepted, else the HTTP status of the refusal
    cause: str
    message: str
    user: str = ""


def check(cfg: TransportAuthConfig, blob: str) -> BasicResult:
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        status = 500 if cfg.hosting == "SelfHosted" else 400
        return BasicResult(status, "MalformedBasic", "the Basic credentials are not base64")
    text = raw.decode("latin-1")  # HttpListener: WebHeaderCollection.HeaderEncoding (Latin-1)
    user, sep, password = text.partition(":")
    if not sep:
        return BasicResult(
            400, "MalformedBasic", "the decoded Basic credentials have no ':' between user and password"
        )
    expected = dict(cfg.basic_users).get(user)
    refused = 403 if cfg.hosting == "SelfHosted" else 401
    if expected is None:
        return BasicResult(refused, "UnknownUser", f"no user {user!r}", user)
    if not hmac.compare_digest(expected.encode(), password.encode("latin-1")):
        return BasicResult(refused, "WrongPassword", f"wrong password for {user!r}", user)
    return BasicResult(0, "ok", f"Basic user {user!r}", user)
