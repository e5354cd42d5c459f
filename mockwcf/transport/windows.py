"""NTLM and Negotiate (Kerberos, or NTLM inside SPNEGO) on the server side, through pyspnego and gssapi.

NTLM (bare, or inside SPNEGO after a client's Kerberos attempt failed) goes to pyspnego, the well-kept
pure-Python NTLM acceptor; it reads accounts only from the file named by $NTLM_USER_FILE, which each step
points at the scenario's accounts. Kerberos (SPNEGO or a bare AP-REQ) goes straight to MIT's acceptor through
python-gssapi with the scenario's keytab (gss_acquire_cred_from), because pyspnego's acceptor hides GSS's
reason ("Clock skew too great", "cannot decrypt ticket") and the reason is what the hint is built from.

Failures are sorted as HttpListener.HandleAuthentication sorts SSPI status codes (HttpStatusFromSecurityStatus):
credential failures (logon denied, unknown account, a ticket sealed with another key) -> 401 and the challenges
again; client faults (bad token, time skew, message altered) -> 400 with no challenge.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockwcf.transport.config import TransportAuthConfig

MAX_TOKEN = 48000  # Windows' default Kerberos MaxTokenSize; HTTP.sys refuses longer headers anyway


@dataclass(frozen=True)
class Failure:
    status: int  # 401 (credential failure) or 400 (client fault)
    cause: str  # short name for the journal: KRB_AP_ERR_SKEW, LogonDenied, ...
    message: str
    hint: str


@dataclass
class Step:
    """One accepted leg: `token` goes back in WWW-Authenticate; `identity` is set once complete."""

    token: bytes | None
    complete: bool
    identity: str | None = None
    protocol: str | None = None


class WindowsAcceptor:
    """One per loaded scenario: its NTLM account file and keytab."""

    def __init__(self, cfg: TransportAuthConfig) -> None:
        self.cfg = cfg
        fd, name = tempfile.mkstemp(prefix="mockwcf-ntlm-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            # pyspnego's Heimdal format: DOMAIN:USER:PASSWORD (the password may hold colons)
            # and the UPN form (:name@DOMAIN:PASSWORD) that clients logging on as user@realm send
            for u in cfg.windows_users:
                f.write(f"{u.domain}:{u.name}:{u.password}\n:{u.name}@{u.domain}:{u.password}\n")
        self.user_file = Path(name)
        atexit.register(self.user_file.unlink, missing_ok=True)

    @contextlib.contextmanager
    def _environment(self) -> Iterator[None]:
        """Point pyspnego's NTLM acceptor at this scenario's accounts and MIT at the realm's krb5.conf.

        Only values that differ are written (setenv while another thread reads the environment, as a client
        in a test's thread does, is what can go wrong), so in steady state nothing is written at all.
        NTLM_USER_FILE is ours alone and stays set; a changed KRB5_CONFIG is put back afterwards."""
        values = {"NTLM_USER_FILE": str(self.user_file)}
        if self.cfg.krb5_config is not None:
            values["KRB5_CONFIG"] = str(self.cfg.krb5_config)
        changed = {k: os.environ.get(k) for k, v in values.items() if os.environ.get(k) != v}
        for k in changed:
            os.environ[k] = values[k]
        try:
            yield
        finally:
            if "KRB5_CONFIG" in changed:
                old = changed["KRB5_CONFIG"]
                if old is None:
                    os.environ.pop("KRB5_CONFIG", None)
                else:
                    os.environ["KRB5_CONFIG"] = old

    def new_context(self, scheme: str) -> Handshake:
        return Handshake(scheme)

    def step(self, hs: Handshake, scheme: str, token: bytes) -> Step | Failure:
        if len(token) > MAX_TOKEN:
            return Failure(400, "TokenTooLarge", f"a {len(token)}-byte {scheme} token", _HINT_TOO_LARGE)
        if hs.engine is None:
            hs.engine = "ntlm" if scheme == "NTLM" or _is_ntlm(token) else "kerberos"
            if hs.engine == "ntlm" and scheme == "Negotiate" and not self.cfg.allow_ntlm:
                return Failure(
                    401, "NtlmNotAllowed", "the client fell back to NTLM inside Negotiate", _HINT_NO_NTLM
                )
        try:
            with self._environment():
                if hs.engine == "ntlm":
                    return self._step_ntlm(hs, scheme, token)
                return self._step_kerberos(hs, token)
        except Exception as exc:  # noqa: BLE001 - every acceptor error is an answer, never a traceback
            return self.classify(exc, scheme)

    def _step_ntlm(self, hs: Handshake, scheme: str, token: bytes) -> Step:
        """pyspnego's NTLM acceptor, raw or inside SPNEGO (its Negotiate wrapper)."""
        import spnego

        if hs.context is None:
            hs.context = spnego.server(protocol="ntlm" if scheme == "NTLM" else "negotiate")
        out = hs.context.step(token)
        if not hs.context.complete:
            return Step(out, False)
        return Step(out, True, hs.context.client_principal, "NTLM")

    def _step_kerberos(self, hs: Handshake, token: bytes) -> Step:
        """MIT's SPNEGO/Kerberos acceptor through python-gssapi, with the scenario's keytab."""
        import gssapi

        if self.cfg.keytab is None:
            raise _NoKeytab("no credentials.windows.keytab: this service holds no Kerberos key")
        if hs.context is None:
            creds = gssapi.Credentials(usage="accept", store={"keytab": str(self.cfg.keytab)})
            hs.context = gssapi.SecurityContext(usage="accept", creds=creds)
        out = hs.context.step(token)
        if not hs.context.complete:
            return Step(out, False)
        return Step(out, True, str(hs.context.initiator_name), "Kerberos")

    def classify(self, exc: Exception, scheme: str) -> Failure:
        text = str(exc)
        low = text.lower()
        for needles, status, cause, hint in _CAUSES:
            if any(n in low for n in needles):
                return Failure(
                    status, cause, f"{scheme}: {_short(text)}", hint.format(accounts=self._accounts())
                )
        return Failure(400, "InvalidToken", f"{scheme}: {_short(text)}", _HINT_BAD_TOKEN)

    def _accounts(self) -> str:
        return ", ".join(f"{u.domain}\\{u.name}" for u in self.cfg.windows_users) or "none"


@dataclass
class Handshake:
    """One connection's NTLM/Negotiate handshake: which acceptor took its first token, and its context."""

    scheme: str
    engine: str | None = None  # "ntlm" | "kerberos"
    context: Any = None


class _NoKeytab(Exception):
    pass


NTLM_OID = "1.3.6.1.4.1.311.2.2.10"


def _is_ntlm(token: bytes) -> bool:
    """Raw NTLM under Negotiate, or SPNEGO whose preferred mechanism is NTLM (a client that fell back)."""
    if token.startswith(b"NTLMSSP\x00"):
        return True
    try:
        from spnego._spnego import NegTokenInit, unpack_token

        init = unpack_token(token)
    except Exception:  # noqa: BLE001 - not SPNEGO: MIT's acceptor gives the real error
        return False
    return isinstance(init, NegTokenInit) and bool(init.mech_types) and init.mech_types[0] == NTLM_OID


def _short(text: str) -> str:
    return " ".join(text.split())[:400]


_HINT_SKEW = (
    "KRB_AP_ERR_SKEW: the client's and the server's clocks differ by more than 5 minutes (Kerberos clockskew). "
    "Sync both to the same NTP source (w32tm /resync /force; in a domain, the PDC emulator)."
)
_HINT_KEY = (
    "KRB_AP_ERR_MODIFIED: the ticket was sealed with a key the service does not hold, so the SPN HTTP/<host> "
    "is registered to another account than the one the service runs as, or to two accounts. Find duplicates "
    "with `setspn -X`, check `setspn -L DOMAIN\\AppPoolAccount`, and register it once: "
    "`setspn -S HTTP/host DOMAIN\\AppPoolAccount` (then klist purge on the client)."
)
_HINT_NO_KEYTAB = (
    "The client sent a Kerberos ticket but the service has no key (credentials.windows.keytab is not set): "
    "run `mockwcf kdc` and point the scenario at the keytab it writes, or send NTLM."
)
_HINT_LOGON = (
    "Logon denied: the user name, domain or password is wrong (accounts known here: {accounts}). Windows "
    "clients send the process identity unless ClientCredentials.Windows.ClientCredential is set; run the client "
    "as a domain account (not NETWORK SERVICE / LOCAL SYSTEM)."
)
_HINT_NO_NTLM = (
    "The client could not get a Kerberos ticket for the service and fell back to NTLM, which this service "
    "refuses (credentials.windows.allowNtlm: false, like IIS with the Negotiate provider only). Usually the SPN "
    "is missing or differs from what the client asks for: register HTTP/<host> with `setspn -S`, or give the "
    'client\'s endpoint <identity><servicePrincipalName value="HTTP/host"/></identity>.'
)
_HINT_BAD_TOKEN = (
    "The Authorization token is not a valid NTLM or SPNEGO message for this step of the handshake (truncated, "
    "replayed on a new connection, or of another mechanism). NTLM's three legs must share one keep-alive "
    "connection; send Negotiate tokens for Kerberos or NTLM only."
)
_HINT_TOO_LARGE = (
    "The token exceeds Windows' MaxTokenSize (48000 bytes); a user in very many groups has a huge Kerberos "
    "ticket (PAC). Reduce group membership or raise MaxTokenSize and HTTP.sys MaxFieldLength/MaxRequestBytes."
)
# (substrings of pyspnego's or GSSAPI's message, status, cause, hint); the first cause with a match wins
_CAUSES = (
    (("clock skew",), 400, "KRB_AP_ERR_SKEW", _HINT_SKEW),
    (("no credentials.windows.keytab",), 401, "NoKerberosKey", _HINT_NO_KEYTAB),
    (
        ("cannot decrypt ticket", "decrypt integrity", "cannot find key", "keytab", "key version"),
        401,
        "KRB_AP_ERR_MODIFIED",
        _HINT_KEY,
    ),
    (
        ("invalid ntlm response", "failed to find any matching credential", "anonymous user"),
        401,
        "LogonDenied",
        _HINT_LOGON,
    ),
    (("replay",), 400, "KRB_AP_ERR_REPEAT", _HINT_BAD_TOKEN),
)
