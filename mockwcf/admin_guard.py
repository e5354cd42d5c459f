"""Who may drive the admin API (/_mockwcf/): a token off loopback, and never a browser page of another site.

mockwcf runs as a shared CI service bound to 0.0.0.0, and its admin API can change the clock, swap the
scenario and read every journaled request. So:
- bound to anything but loopback, every admin request needs `Authorization: Bearer <token>` (the token is
  `--admin-token` / MOCKWCF_ADMIN_TOKEN, or one generated and printed at start); compared in constant time.
- A browser page must not drive it with a "simple" cross-site request (a text/plain POST needs no
  preflight): a request whose Origin is not the server's own is refused. Browsers send Origin on every
  cross-origin request and on POST/PUT even same-origin, so scripts and CLI tools (no Origin) are unaffected.
- Bound to loopback without a token, the Host header must name loopback (127.x, ::1, localhost): a DNS
  rebinding page (Host: evil.example:8080, Origin the same) gets 403.
Bodies are read up to MAX_BODY (http11 answers 413 beyond it, before reading them).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from urllib.parse import parse_qsl, urlsplit

ENV_TOKEN = "MOCKWCF_ADMIN_TOKEN"
MAX_BODY = 1024 * 1024  # a scenario file, with room to spare
_LOOPBACK_NAMES = frozenset(("localhost", "localhost.", "ip6-localhost"))


def is_loopback(host: str) -> bool:
    """Whether a bind address or a Host name is loopback; an unparsable name is not."""
    host = host.strip().strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_for(bind_host: str, given: str | None) -> tuple[str | None, bool]:
    """The token the server requires (None on loopback without one given) and whether it was generated."""
    token = given or os.environ.get(ENV_TOKEN) or None
    if token or is_loopback(bind_host):
        return token, False
    return secrets.token_urlsafe(24), True


def _host_name(host_header: str) -> str:
    """The name of a Host header value, without the port (IPv6 literals keep their brackets' content)."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def refusal(
    headers: dict[str, str], token: str | None, open_read: bool = False, query: str = ""
) -> tuple[int, str] | None:
    """(status, why) when this admin request must be refused, else None. `open_read` (GET health, for
    container health checks that do not know a generated token) skips the token, not the Origin check.
    The token may also come as `?token=` (the journal page is opened by a browser, which cannot add a
    header to a link)."""
    host = headers.get("host", "")
    origin = headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.netloc.lower() != host.lower():
            return 403, (
                f"the admin API does not answer requests from a web page of another origin ({origin!r}); "
                "call it from a script or the mockwcf CLI"
            )
    if token is not None and not open_read:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            value = dict(parse_qsl(query)).get("token", "")
        if not hmac.compare_digest(value.strip().encode(), token.encode()):
            return 401, (
                "the admin API needs 'Authorization: Bearer <token>' (or ?token=) when the server is not bound to "
                "loopback (the token is --admin-token or MOCKWCF_ADMIN_TOKEN, or the one printed at start)"
            )
        return None
    if token is None and host and not is_loopback(_host_name(host)):
        return 403, (
            f"Host {host!r} is not loopback; without an admin token the admin API answers only to "
            "127.0.0.1, ::1 or localhost (start the server with --admin-token to use it under other names)"
        )
    return None
