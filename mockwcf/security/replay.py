"""Replay detection: WCF caches the primary SignatureValue, not any UsernameToken nonce (reference 2.4).

Entries live ReplayWindow + 2 x MaxClockSkew and the cache holds at most ReplayCacheSize of them.
The check happens when the primary signature is reached; the value is added only after the whole
header was accepted, so a rejected message does not poison the cache. Each farm node has its own cache,
as each WCF server does.
"""

from __future__ import annotations

from array import array
from collections import deque
from datetime import UTC, datetime, timedelta

from mockwcf import codes
from mockwcf.faults import Rejection

STEP = "replay"
_EPOCH = {True: datetime(1970, 1, 1, tzinfo=UTC), False: datetime(1970, 1, 1)}
_MICROSECOND = timedelta(microseconds=1)


def _micros(t: datetime) -> int:
    """The instant as integer microseconds (datetime's own resolution, so comparisons stay exact)."""
    return (t - _EPOCH[t.tzinfo is not None]) // _MICROSECOND


class ReplayCache:
    """The values in insertion order, each with its expiry; expired ones are purged from the oldest on.

    Compact on purpose: with WCF's defaults every primary SignatureValue of the last 15 minutes is kept (up to
    900,000), so a busy test run holds hundreds of thousands. A set for membership, a FIFO of the values and
    an array of expiries in integer microseconds take about 100 bytes an entry besides the value itself,
    where an OrderedDict of datetimes took about 150 more (the RSS growth bench/symmetric.py showed)."""

    def __init__(self, lifetime: timedelta, capacity: int) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self._values: set[bytes] = set()
        self._order: deque[bytes] = deque()  # the values, oldest first
        self._expiry = array("q")  # _expiry[_head + i] belongs to _order[i]
        self._head = 0

    def _drop_oldest(self) -> None:
        self._values.discard(self._order.popleft())
        self._head += 1

    def _compact(self) -> None:
        """Forget the expiries of dropped entries once they are most of the array (amortized O(1))."""
        if self._head > 4096 and 2 * self._head > len(self._expiry):
            del self._expiry[: self._head]
            self._head = 0

    def _purge(self, limit: int) -> None:
        """Drop what expired by `limit` (the instant in microseconds, computed once per call by the caller)."""
        expiry = self._expiry
        while self._order and expiry[self._head] <= limit:
            self._drop_oldest()
        self._compact()

    def check(self, value: bytes, now: datetime) -> None:
        self._check_at(value, _micros(now))

    def _check_at(self, value: bytes, limit: int) -> None:
        self._purge(limit)
        if value in self._values:
            raise Rejection(
                codes.InvalidOrReplayedNonce,
                "The nonce is invalid or replayed: this primary SignatureValue was accepted before within "
                f"the replay window ({int(self.lifetime.total_seconds())} s).",
                step=STEP,
            )

    def add(self, value: bytes, now: datetime) -> None:
        limit = _micros(now)  # once: (now + lifetime) in microseconds is limit + lifetime's, exactly
        self._check_at(value, limit)
        self._values.add(value)
        self._order.append(value)
        self._expiry.append(limit + self.lifetime // _MICROSECOND)
        while len(self._order) > self.capacity:
            self._drop_oldest()
        self._compact()

    def __len__(self) -> int:
        return len(self._order)
