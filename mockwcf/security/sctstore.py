"""One node's security contexts: session SCTs (requireCancellation=true) and the cookie cache.

Session mode follows RS SM/Security/SecuritySessionServerSettings.cs: an issued session is *pending*
until its first application message arrives (SessionInitiationMessageHandler -> RemovePendingSession),
pending sessions are capped by maxPendingSessions (AddPendingSession: `count + 1 > max` ->
QuotaExceededException "Cannot create a security session. Retry later.", which the issuer answers
with Receiver/dnse:ServerTooBusy), and a timer firing every inactivityTimeout closes the older of two
pending generations (ClearPendingSessions), so an unused SCT dies after one to two intervals. A
message whose SCT has no session on this node fails channel demux (SecuritySessionFilter ->
SecuritySessionDemuxFailureHandler): Sender/wsc:BadContextToken with BadContextTokenOrActionFaultReason.

Cookie mode keeps no sessions: decoded cookies are cached, at most maxCachedCookies
(SecurityContextSecurityTokenResolver(maxCachedCookies, removeOldestTokensOnCacheFull=true)).

Everything here is node state: a restart (an application-domain recycle) empties it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mockwcf import codes
from mockwcf.faults import Rejection

STEP = "session"
# mockwcf's own bound on established sessions, so a client that never cancels cannot grow memory
# without limit (WCF bounds them through ServiceThrottle.MaxConcurrentSessions and receiveTimeout).
MAX_ACTIVE_SESSIONS = 100_000
MAX_PENDING_KEYS_PER_SESSION = 5  # SecuritySessionServerSettings.maximumPendingKeysPerSession


@dataclass(frozen=True)
class SessionSettings:
    """LocalServiceSecuritySettings defaults (RS SM/Channels/LocalServiceSecuritySettings.cs)."""

    max_pending_sessions: int = 128
    inactivity_timeout: timedelta = timedelta(minutes=2)
    receive_timeout: timedelta = timedelta(minutes=10)  # binding receiveTimeout: idle established sessions
    session_key_renewal_interval: timedelta = timedelta(hours=15)
    session_key_rollover_interval: timedelta = timedelta(minutes=5)
    issued_cookie_lifetime: timedelta = timedelta(hours=10)
    max_cached_cookies: int = 1000
    can_renew_session: bool = True


@dataclass
class SecurityContext:
    """A SecurityContextSecurityToken: identity, key and the four instants WCF checks."""

    context_id: str  # wsc:Identifier, urn:uuid:...
    token_id: str  # wsu:Id of the issued token
    key: bytes
    generation: str | None
    valid_from: datetime
    valid_to: datetime
    key_effective: datetime
    key_expires: datetime
    identity: str  # who authenticated on the bootstrap, e.g. "UserName 'alice'"
    cookie: bytes | None = None  # cookie mode: the protected state sent in dnse:Cookie
    calls: int = 0
    created: datetime | None = None
    last_seen: datetime | None = None

    @property
    def generation_text(self) -> str:
        return self.generation or "none"

    def describe(self) -> dict[str, object]:
        """The admin API's view of a session (never the key)."""
        return {
            "id": self.context_id,
            "identity": self.identity,
            "created": self.created.isoformat() if self.created else None,
            "expires": self.key_expires.isoformat(),
            "calls": self.calls,
            "mode": "cookie" if self.cookie is not None else "session",
        }


@dataclass
class SessionStore:
    """Sessions of one node (SecuritySessionServerSettings' pendingSessions1/2 and activeSessions)."""

    settings: SessionSettings
    opened: datetime
    _pending_new: dict[str, SecurityContext] = field(default_factory=dict)
    _pending_old: dict[str, SecurityContext] = field(default_factory=dict)
    _active: dict[str, SecurityContext] = field(default_factory=dict)
    _future: dict[str, list[SecurityContext]] = field(default_factory=dict)  # renewed, not used yet
    _retired: dict[tuple[str, str | None], tuple[SecurityContext, datetime]] = field(default_factory=dict)
    _next_tick: datetime | None = None

    def _tick(self, now: datetime) -> None:
        """The inactivity timer, run lazily: each elapsed interval clears the older pending generation and
        sweeps established sessions idle longer than receiveTimeout (a message finds its own session idle
        at once, in `find`), so a request costs O(1) however many sessions a node holds."""
        step = self.settings.inactivity_timeout
        if self._next_tick is None:
            self._next_tick = self.opened + step
        if self._next_tick > now:
            return
        ticks = 0
        while self._next_tick <= now and ticks < 2:
            self._pending_old, self._pending_new = self._pending_new, {}
            self._next_tick += step
            ticks += 1
        if self._next_tick <= now:  # more than two intervals passed: both generations are gone
            self._pending_old = {}
            missed = (now - self._next_tick) // step + 1
            self._next_tick += step * missed
        for k in [k for k, s in self._active.items() if self._idle(s, now)]:
            self.remove(k)
        for key in [k for k, (_, until) in self._retired.items() if until < now]:
            del self._retired[key]

    def _idle(self, sct: SecurityContext, now: datetime) -> bool:
        return sct.last_seen is not None and now - sct.last_seen > self.settings.receive_timeout

    @property
    def pending_count(self) -> int:
        return len(self._pending_new) + len(self._pending_old)

    def add_pending(self, sct: SecurityContext, now: datetime) -> None:
        """AddPendingSession, called when the issuer hands out a new session token."""
        self._tick(now)
        limit = self.settings.max_pending_sessions
        if self.pending_count + 1 > limit:
            raise Rejection(
                codes.SecuritySessionLimitReached,
                f"Cannot create a security session. Retry later. ({self.pending_count} issued sessions have not "
                f"carried an application message yet; maxPendingSessions is {limit}. Pending sessions are "
                f"dropped after one to two inactivityTimeout intervals of {self.settings.inactivity_timeout}.)",
                step=STEP,
            )
        self._pending_new[sct.context_id] = sct

    def find(self, context_id: str, now: datetime) -> SecurityContext | None:
        """The session channel a message demuxes to, if this node has one."""
        self._tick(now)
        active = self._active.get(context_id)
        if active is not None and self._idle(active, now):  # the channel's receiveTimeout fired
            self.remove(context_id)
            return None
        return active or self._pending_new.get(context_id) or self._pending_old.get(context_id)

    def activate(self, context_id: str, now: datetime) -> SecurityContext | None:
        """An application message arrived on the session: a pending session becomes established
        (RemovePendingSession); returns the session's current token, whose call count is the session's."""
        pending = self._pending_new.pop(context_id, None) or self._pending_old.pop(context_id, None)
        if pending is not None:
            if len(self._active) >= MAX_ACTIVE_SESSIONS:
                oldest = min(self._active.values(), key=lambda s: s.last_seen or self.opened)
                self.remove(oldest.context_id)
            self._active[context_id] = pending
        current = self._active.get(context_id)
        if current is not None:
            current.last_seen = now
        return current

    def token(self, context_id: str, generation: str | None, now: datetime) -> SecurityContext | None:
        """The token with this key generation (SecurityContextSecurityTokenResolver.GetContext). The first
        use of a renewed generation makes it current; the old key then lives KeyRolloverInterval more and
        unused renewals are dropped (ServerSecuritySessionChannel.CheckIncomingToken)."""
        current = self.find(context_id, now)
        if current is None:
            return None
        if current.generation == generation:
            return current
        for new in self._future.get(context_id, []):
            if new.generation == generation:
                until = now + self.settings.session_key_rollover_interval
                self._retired[(context_id, current.generation)] = (current, until)
                for table in (self._active, self._pending_new, self._pending_old):
                    if context_id in table:
                        table[context_id] = new
                new.calls, new.created = current.calls, current.created
                del self._future[context_id]
                return new
        retired = self._retired.get((context_id, generation))
        if retired is not None and retired[1] >= now:
            return retired[0]
        return None

    def add_renewed(self, old: SecurityContext, new: SecurityContext, now: datetime) -> None:
        """RenewSessionToken: only the current token of an established session can be renewed, and at
        most MaximumPendingKeysPerSession (5) renewals may wait for their first use."""
        current = self._active.get(old.context_id)
        if current is None:
            raise Rejection(
                codes.InvalidRequestTrustFaultCode,
                f"Cannot find the security session with id '{old.context_id}' (CannotFindSecuritySession): a "
                "session is renewed only after it carried an application message.",
                step=STEP,
            )
        if current.generation != old.generation:
            raise Rejection(
                codes.InvalidRequestTrustFaultCode,
                f"The supporting token in the renew message has a different generation '{old.generation}' than "
                f"the current session token's generation '{current.generation}' (CurrentSessionTokenNotRenewed).",
                step=STEP,
            )
        future = self._future.setdefault(old.context_id, [])
        if len(future) == MAX_PENDING_KEYS_PER_SESSION:
            raise Rejection(
                codes.TooManyPendingSessionKeys,
                "There are too many renewed session keys that have not been used "
                f"({MAX_PENDING_KEYS_PER_SESSION}).",
                step=STEP,
            )
        future.append(new)

    def remove(self, context_id: str) -> bool:
        """Session closed (Cancel) or aborted: RemoveAllContexts for that context id."""
        found = False
        for table in (self._active, self._pending_new, self._pending_old):
            found = table.pop(context_id, None) is not None or found
        self._future.pop(context_id, None)
        for key in [k for k in self._retired if k[0] == context_id]:
            del self._retired[key]
        return found

    def sessions(self) -> list[SecurityContext]:
        return [*self._active.values(), *self._pending_new.values(), *self._pending_old.values()]

    def clear(self) -> None:
        self._pending_new.clear()
        self._pending_old.clear()
        self._active.clear()
        self._future.clear()
        self._retired.clear()


@dataclass
class CookieCache:
    """Decoded cookie SCTs, oldest dropped first when full (removeOldestTokensOnCacheFull)."""

    capacity: int
    _entries: OrderedDict[tuple[str, str | None], SecurityContext] = field(default_factory=OrderedDict)

    def get(self, context_id: str, generation: str | None) -> SecurityContext | None:
        return self._entries.get((context_id, generation))

    def add(self, sct: SecurityContext) -> None:
        self._entries[(sct.context_id, sct.generation)] = sct
        while len(self._entries) > max(self.capacity, 0):
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def sessions(self) -> list[SecurityContext]:
        return list(self._entries.values())

    def clear(self) -> None:
        self._entries.clear()
