"""Replay detection: WCF caches the primary SignatureValue, not any UsernameToken nonce (reference 2.4).

Entries live ReplayWindow + 2 x MaxClockSkew and the cache holds at most ReplayCacheSize of them.
The check happens when the primary signature is reached; the value is added only after the whole
header was accepted, so a rejected message does not poison the cache. Each farm node has its own cache,
as each WCF server does.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from mockwcf import codes
from mockwcf.faults import Rejection

STEP = "replay"


class ReplayCache:
    def __init__(self, lifetime: timedelta, capacity: int) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self._entries: OrderedDict[bytes, datetime] = OrderedDict()

    def _purge(self, now: datetime) -> None:
        entries = self._entries
        while entries:
            first, expiry = next(iter(entries.items()))
            if expiry > now:
                break
            entries.popitem(last=False)

    def check(self, value: bytes, now: datetime) -> None:
        self._purge(now)
        if value in self._entries:
            raise Rejection(
                codes.InvalidOrReplayedNonce,
                "The nonce is invalid or replayed: this primary SignatureValue was accepted before within "
                f"the replay window ({int(self.lifetime.total_seconds())} s).",
                step=STEP,
            )

    def add(self, value: bytes, now: datetime) -> None:
        self.check(value, now)
        self._entries[value] = now + self.lifetime
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
