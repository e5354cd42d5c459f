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
    _next_tick: datetime | None = None

    def _tick(self, now: datetime) -> None:
        """The inactivity timer, run lazily: each elapsed interval clears the older pending generation;
        established sessions idle longer than receiveTimeout are aborted."""
        step = self.settings.inactivity_timeout
        if self._next_tick is None:
            self._next_tick = self.opened + step
        ticks = 0
        while self._next_tick <= now and ticks < 2:
            self._pending_old, self._pending_new = self._pending_new, {}
            self._next_tick += step
            ticks += 1
        if self._next_tick <= now:  # more than two intervals passed: both generations are gone
            self._pending_old = {}
            missed = (now - self._next_tick) // step + 1
            self._next_tick += step * missed
        idle = self.settings.receive_timeout
        stale = [k for k, s in self._active.items() if s.last_seen is not None and now - s.last_seen > idle]
        for k in stale:
            del self._active[k]

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
        return (
            self._active.get(context_id)
            or self._pending_new.get(context_id)
            or self._pending_old.get(context_id)
        )

    def activate(self, sct: SecurityContext, now: datetime) -> None:
        """First application message: the pending session becomes an established one."""
        cid = sct.context_id
        if self._pending_new.pop(cid, None) is None:
            self._pending_old.pop(cid, None)
        if cid not in self._active and len(self._active) >= MAX_ACTIVE_SESSIONS:
            oldest = min(self._active.values(), key=lambda s: s.last_seen or self.opened)
            del self._active[oldest.context_id]
        self._active[cid] = sct
        sct.last_seen = now

    def remove(self, context_id: str) -> bool:
        """Session closed (Cancel) or aborted: RemoveAllContexts for that context id."""
        found = False
        for table in (self._active, self._pending_new, self._pending_old):
            found = table.pop(context_id, None) is not None or found
        return found

    def sessions(self) -> list[SecurityContext]:
        return [*self._active.values(), *self._pending_new.values(), *self._pending_old.values()]

    def clear(self) -> None:
        self._pending_new.clear()
        self._pending_old.clear()
        self._active.clear()


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
