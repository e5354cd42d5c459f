"""Transport client credentials: what WCF's HTTP transport demands before any SOAP is read.

The Router makes one call per request to an endpoint (WSDL and help page included, as HTTP.sys
authenticates every request to the URL): `Gate.check(runtime, req)`. It returns an `Outcome`: either a
refusal (the 401/400/403 to send, its Rejection for the journal) or the headers to add to the answer
(Kerberos mutual authentication's final token). HTTP NTLM and Negotiate are connection-oriented, so the
handshake state lives per connection, keyed by the front end's transport object (which survives the fast
front end's hand-over to twisted.web).

Order, as in HttpListener.HandleAuthentication then HttpsChannelListener.ValidateAuthentication: the scheme
of the Authorization header (a missing or unoffered scheme -> 401 with every challenge, in BuildChallenge's
order Negotiate, NTLM, Basic), its blob, then the client certificate (403).
"""

from __future__ import annotations

import base64
import binascii
import weakref
from dataclasses import dataclass, field
from typing import Any

from mockwcf import codes
from mockwcf.faults import Rejection
from mockwcf.transport import basic, tlsclient
from mockwcf.transport.config import TransportAuthConfig
from mockwcf.transport.windows import Failure, Handshake, Step, WindowsAcceptor


@dataclass
class Outcome:
    rejection: Rejection | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    identity: str | None = None


class Gate:
    def __init__(self) -> None:
        self._cfg: TransportAuthConfig | None = None
        self._windows: WindowsAcceptor | None = None
        self._connections: weakref.WeakKeyDictionary[Any, Handshake] = weakref.WeakKeyDictionary()

    def check(self, runtime: Any, req: Any) -> Outcome | None:
        cfg: TransportAuthConfig = runtime.scenario.transport_auth
        if not cfg.active:
            return None
        if cfg is not self._cfg:  # a new scenario: its own accounts and no handshakes in flight
            self._cfg = cfg
            self._windows = WindowsAcceptor(cfg) if cfg.windows else None
            self._connections = weakref.WeakKeyDictionary()
        outcome = self._authenticate(cfg, req) if cfg.schemes else Outcome()
        if outcome.rejection is None and cfg.require_client_certificate:
            bad = tlsclient.check(req.transport, runtime.trust, runtime.clock.now())
            if bad is not None:
                outcome = _refuse(403, bad[0], bad[1], _HINT_CERT, cfg, scheme="Anonymous")
        return outcome

    def _authenticate(self, cfg: TransportAuthConfig, req: Any) -> Outcome:
        header = req.headers.get("authorization")
        scheme, blob = _split(header)
        offered = {s.lower(): s for s in cfg.schemes}
        if scheme is None or scheme.lower() not in offered:
            self._forget(req.transport)
            sent = "Anonymous" if scheme is None else scheme
            why = "no Authorization credentials" if scheme is None else f"scheme {scheme} is not offered"
            return _refuse(401, "NoCredentials", why, _hint_none(cfg), cfg, scheme=sent, challenge=True)
        scheme = offered[scheme.lower()]
        if scheme == "Basic":
            res = basic.check(cfg, blob)
            if res.status:
                hint = _HINT_BASIC.format(realm=cfg.realm) if res.status in (401, 403) else _HINT_MALFORMED
                return _refuse(
                    res.status, res.cause, res.message, hint, cfg, scheme, challenge=res.status == 401
                )
            return Outcome(identity=res.user)
        return self._windows_leg(cfg, req, scheme, blob)

    def _windows_leg(self, cfg: TransportAuthConfig, req: Any, scheme: str, blob: str) -> Outcome:
        assert self._windows is not None
        try:
            token = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            self._forget(req.transport)
            return _refuse(
                400, "MalformedToken", f"the {scheme} blob is not base64", _HINT_MALFORMED, cfg, scheme
            )
        conn = self._connections.get(req.transport) if req.transport is not None else None
        if conn is None or conn.scheme != scheme:
            conn = self._windows.new_context(scheme)
        result = self._windows.step(conn, scheme, token)
        if isinstance(result, Failure):
            self._forget(req.transport)
            return _refuse(
                result.status, result.cause, result.message, result.hint, cfg, scheme, result.status == 401
            )
        assert isinstance(result, Step)
        if not result.complete:
            if req.transport is not None:
                self._connections[req.transport] = conn
            value = scheme + (" " + base64.b64encode(result.token).decode() if result.token else "")
            rej = Rejection(
                codes.HttpAuthorizationFailed,
                f"{scheme} handshake continues: the client must answer the server's token on this connection",
                step="transport",
                http_status=401,
                hint="Not an error: the next leg of the NTLM/Negotiate handshake (keep the connection open).",
            )
            return Outcome(rejection=rej, headers=[("WWW-Authenticate", value)])
        # HttpListener: every request authenticates again (UnsafeConnectionNtlmAuthentication is false)
        self._forget(req.transport)
        headers = (
            [("WWW-Authenticate", f"{scheme} {base64.b64encode(result.token).decode()}")]
            if result.token
            else []
        )
        return Outcome(headers=headers, identity=f"{result.identity} ({result.protocol})")

    def _forget(self, transport: Any) -> None:
        if transport is not None:
            self._connections.pop(transport, None)


def _challenges(cfg: TransportAuthConfig) -> list[str]:
    """HttpListener.BuildChallenge: one WWW-Authenticate per offered scheme, Basic with its realm."""
    return [f'Basic realm="{cfg.realm}"' if s == "Basic" else s for s in cfg.schemes]


def _split(header: str | None) -> tuple[str | None, str]:
    """HttpListener: the scheme runs to the first space, tab, CR or LF and the blob starts after the
    whitespace; a header with no blob at all (HTTP.sys trims trailing spaces) matches no scheme."""
    parts = (header or "").split(None, 1)
    if len(parts) < 2:
        return None, ""
    return parts[0], parts[1].strip()


def _refuse(
    status: int,
    cause: str,
    message: str,
    hint: str,
    cfg: TransportAuthConfig,
    scheme: str,
    challenge: bool = False,
) -> Outcome:
    code = {401: codes.HttpAuthorizationFailed, 403: codes.HttpAuthorizationForbidden}.get(
        status, codes.HttpBadAuthorization
    )
    header_text = ",".join(_challenges(cfg))
    if status == 401:
        text = (
            f"The HTTP request is unauthorized with client authentication scheme '{scheme}'. The authentication "
            f"header received from the server was '{header_text}'. Cause {cause}: {message}."
        )
    elif status == 403:
        text = f"The HTTP request was forbidden with client authentication scheme '{scheme}'. Cause {cause}: {message}."
    else:
        text = f"HTTP {status}: the Authorization header was refused. Cause {cause}: {message}."
    rej = Rejection(code, text, step="transport", http_status=status, hint=hint)
    headers = [("WWW-Authenticate", c) for c in _challenges(cfg)] if challenge else []
    return Outcome(rejection=rej, headers=headers)


def _hint_none(cfg: TransportAuthConfig) -> str:
    how = {
        "Negotiate": "Windows credentials (curl --negotiate -u : with a Kerberos ticket; requests-gssapi)",
        "NTLM": "NTLM (curl --ntlm -u 'DOMAIN\\user:password'; requests-ntlm HttpNtlmAuth)",
        "Basic": "Basic (curl -u user:password)",
    }
    wanted = "; or ".join(how[s] for s in cfg.schemes)
    return (
        f"The service's transport demands {cfg.credential} authentication: send {wanted}. A WCF client sets "
        "security mode Transport/TransportCredentialOnly with the same transport clientCredentialType. If a "
        "Kerberos client sends nothing although it has a ticket, its ticket request failed (the KDC's 'Server not "
        "found in Kerberos database': the SPN HTTP/<host> is not registered; `setspn -S HTTP/host DOMAIN\\account`, "
        "or set the client's <identity><servicePrincipalName>)."
    )


_HINT_BASIC = (
    'Wrong or unknown user for Basic (realm "{realm}"): send a user and password the service knows '
    "(credentials.userNameAuthentication.users or credentials.windows.users)."
)
_HINT_MALFORMED = (
    "The Authorization header's credentials are malformed: Basic wants base64(user:password); NTLM and Negotiate "
    "want one base64 token."
)
_HINT_CERT = (
    "The transport requires a TLS client certificate that passes the service's certificateValidationMode "
    "(chain to a trusted CA, within its dates, or listed in trustedPeople): give the client its certificate and "
    "key (curl --cert client.pem --key client.key; requests cert=(...)), made by `mockwcf certs`."
)
