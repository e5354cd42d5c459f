"""The replay cache (security/replay.py): a value is refused for exactly its lifetime, the oldest go first when
the cache is full, and dropping many entries (purge, capacity, the array's compaction) keeps each value with
its own expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockwcf import codes
from mockwcf.faults import Rejection
from mockwcf.security.replay import ReplayCache

T0 = datetime(2026, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)


def _replayed(cache: ReplayCache, value: bytes, now: datetime) -> bool:
    try:
        cache.check(value, now)
    except Rejection as rej:
        assert rej.code == codes.InvalidOrReplayedNonce
        return True
    return False


def test_a_value_is_refused_until_its_expiry_to_the_microsecond():
    cache = ReplayCache(timedelta(minutes=15), 100)
    cache.add(b"sig", T0)
    assert _replayed(cache, b"sig", T0 + timedelta(minutes=15) - US)
    assert not _replayed(cache, b"sig", T0 + timedelta(minutes=15))
    assert len(cache) == 0
    cache.add(b"sig", T0 + timedelta(minutes=15))  # accepted again once expired
    with pytest.raises(Rejection):
        cache.add(b"sig", T0 + timedelta(minutes=16))


def test_a_full_cache_drops_the_oldest():
    cache = ReplayCache(timedelta(minutes=15), 3)
    for i, value in enumerate((b"a", b"b", b"c", b"d")):
        cache.add(value, T0 + i * US)
    assert len(cache) == 3
    assert not _replayed(cache, b"a", T0 + 10 * US)
    assert all(_replayed(cache, v, T0 + 10 * US) for v in (b"b", b"c", b"d"))


def test_many_drops_keep_each_value_with_its_own_expiry():
    """Past the compaction threshold the expiries still line up with their values."""
    cache = ReplayCache(timedelta(seconds=10), 20_000)
    for i in range(12_000):
        cache.add(i.to_bytes(4, "big"), T0 + i * timedelta(milliseconds=1))
    now = T0 + timedelta(seconds=10) + 9_000 * timedelta(milliseconds=1)  # the first 9,001 have expired
    assert not _replayed(cache, (9_000).to_bytes(4, "big"), now)
    assert len(cache) == 12_000 - 9_001
    assert _replayed(cache, (9_001).to_bytes(4, "big"), now)
    assert _replayed(
        cache, (11_999).to_bytes(4, "big"), now + timedelta(seconds=2) + 998 * timedelta(milliseconds=1)
    )
    assert not _replayed(
        cache, (11_999).to_bytes(4, "big"), T0 + timedelta(seconds=22) - timedelta(milliseconds=1)
    )
