"""The replay cache (security/replay.py): a value is refused for exactly its lifetime; a full cache purges the
expired entries and then refuses (CacheQuotaReached) rather than drop a live one, as WCF's TimeBoundedCache does;
dropping many expired entries (purge, the array's compaction) keeps each value with its own expiry; the same holds once the fingerprint partitions have split, been swept and wrapped their
sequence residues (checked against a plain model), and 100,000 entries keep under 3 MB alive."""

from __future__ import annotations

import gc
import random
import sys
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from mockwcf import codes
from mockwcf.faults import Rejection
from mockwcf.security.replay import ReplayCache
from tests import wss
from tests.conftest import SCENARIOS
from tests.test_faults import GOLDEN, _canon
from tests.test_signature import seed001, signed

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


def _quota(cache: ReplayCache, value: bytes, now: datetime) -> bool:
    """Whether `add` refuses `value` because the cache is full (it must then leave the cache as it was)."""
    held = len(cache)
    try:
        cache.add(value, now)
    except Rejection as rej:
        if rej.code != codes.CacheQuotaReached:
            raise
        assert len(cache) <= held
        assert f"maximum cache size is ({cache.capacity} items)" in rej.message
        return True
    return False


def test_a_full_cache_refuses_and_drops_nothing_live():
    cache = ReplayCache(timedelta(minutes=15), 3)
    for i, value in enumerate((b"a", b"b", b"c")):
        assert not _quota(cache, value, T0 + i * US)
    assert _quota(cache, b"d", T0 + 10 * US)
    assert _quota(cache, b"d", T0 + 11 * US)  # refused again: the refused value was not added
    assert len(cache) == 3
    assert all(_replayed(cache, v, T0 + 12 * US) for v in (b"a", b"b", b"c"))
    assert not _replayed(cache, b"d", T0 + 12 * US)


def test_a_full_cache_purges_the_expired_then_accepts_again():
    cache = ReplayCache(timedelta(seconds=10), 3)
    for i, value in enumerate((b"a", b"b", b"c")):
        cache.add(value, T0 + i * timedelta(seconds=1))
    assert _quota(cache, b"d", T0 + timedelta(seconds=10) - US)  # "a" is live for one more microsecond
    assert not _quota(cache, b"d", T0 + timedelta(seconds=10))  # "a" expired: purged, room for "d"
    assert len(cache) == 3
    assert _quota(cache, b"e", T0 + timedelta(seconds=10))
    assert not _replayed(cache, b"a", T0 + timedelta(seconds=10))
    assert all(_replayed(cache, v, T0 + timedelta(seconds=10)) for v in (b"b", b"c", b"d"))
    assert not _quota(cache, b"e", T0 + timedelta(seconds=12))  # "b" and "c" expired: two places
    assert not _quota(cache, b"f", T0 + timedelta(seconds=12))
    assert _quota(cache, b"g", T0 + timedelta(seconds=12))


def test_a_replay_in_a_full_cache_is_still_a_replay_at_the_check():
    """CheckNonce (GetItem) has no quota: the primary signature's check names the replay."""
    cache = ReplayCache(timedelta(minutes=15), 2)
    cache.add(b"a", T0)
    cache.add(b"b", T0)
    assert _replayed(cache, b"a", T0 + US)


def test_an_expired_entry_behind_a_live_one_frees_its_place():
    """After the admin clock was set back an entry can expire behind a later-expiring one; WCF's PurgeStaleItems
    removes every expired entry, wherever it is, before it decides the cache is full."""
    cache = ReplayCache(timedelta(seconds=10), 2)
    cache.add(b"older", T0 + timedelta(seconds=5))  # expires at T0 + 15 s
    cache.add(b"newer", T0)  # expires at T0 + 10 s
    assert _quota(cache, b"third", T0 + timedelta(seconds=10) - US)
    assert not _quota(cache, b"third", T0 + timedelta(seconds=10))
    assert _quota(cache, b"fourth", T0 + timedelta(seconds=10))
    assert _replayed(cache, b"older", T0 + timedelta(seconds=10))


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


def test_an_entry_expires_on_its_own_even_behind_a_later_one():
    """WCF's TimeBoundedCache.GetItem treats each expired entry as absent, whatever was added before it: a clock
    set back makes a newer entry expire before an older one, and the newer one is then accepted again."""
    cache = ReplayCache(timedelta(seconds=10), 100)
    cache.add(b"older", T0 + timedelta(seconds=5))  # expires at T0 + 15 s
    cache.add(b"newer", T0)  # expires at T0 + 10 s
    now = T0 + timedelta(seconds=10)
    assert not _replayed(cache, b"newer", now)
    assert _replayed(cache, b"older", now)
    cache.add(b"newer", now)
    assert _replayed(cache, b"newer", now + timedelta(seconds=10) - US)


def test_a_full_cache_keeps_every_live_entry_once_partitions_have_split():
    cache = ReplayCache(timedelta(minutes=15), 10_000)
    for i in range(15_000):  # past 8,192 entries the 16 first partitions split
        assert _quota(cache, i.to_bytes(4, "big"), T0 + i * US) == (i >= 10_000)
    now = T0 + timedelta(seconds=1)
    assert len(cache) == 10_000 and len(cache._fps) > 16
    assert all(_replayed(cache, i.to_bytes(4, "big"), now) for i in range(10_000))
    assert not any(_replayed(cache, i.to_bytes(4, "big"), now) for i in range(10_000, 15_000))
    later = T0 + timedelta(minutes=15) + 9_999 * US  # all expired: purged, the cache takes 10,000 more
    for i in range(15_000, 25_010):
        assert _quota(cache, i.to_bytes(4, "big"), later) == (i >= 25_000)
    assert len(cache) == 10_000


def test_a_value_accepted_again_after_each_expiry_is_refused_for_its_new_lifetime():
    """Each acceptance leaves its own entry beside the earlier, gone ones with the same fingerprint; between the
    acceptances other traffic splits and sweeps the partitions."""
    cache = ReplayCache(timedelta(seconds=1), 1_000_000)
    other = 0
    for round_ in range(6):
        start = T0 + round_ * timedelta(seconds=1)
        cache.add(b"again", start)
        for _ in range(3_000):
            other += 1
            cache.add(other.to_bytes(4, "big"), start + other * US // 10)
        assert _replayed(cache, b"again", start + timedelta(seconds=1) - US)
    assert not _replayed(cache, b"again", T0 + timedelta(seconds=6))
    assert len(cache) == 3_000  # the last round's other values, 1 s after each
    assert not _replayed(cache, other.to_bytes(4, "big"), T0 + timedelta(seconds=7))
    assert len(cache) == 0


class _Small(ReplayCache):
    """The same cache with sizes small enough that a few thousand additions split the partitions many times,
    sweep them, wrap the sequence residues (modulo 256) again and again and cut the FIFO of expiries many times."""

    SEQ_MASK = 0xFF
    SWEEP_EVERY = 0x80
    SPLIT_AT = 2
    MIN_SWEEP = 1
    CUT_AFTER = 4


class _Model:
    """What the cache must answer, written the plain way: the entries in order with their expiries."""

    def __init__(self, lifetime_us: int, capacity: int) -> None:
        self.lifetime_us, self.capacity, self.entries = lifetime_us, capacity, deque()

    def replayed(self, value: bytes, t: int) -> bool:
        while self.entries and self.entries[0][1] <= t:
            self.entries.popleft()
        return any(v == value and expiry > t for v, expiry in self.entries)

    def add(self, value: bytes, t: int) -> str | None:
        """The code that refuses it, or None. The quota comes first (TimeBoundedCache.TryAddItem), counting only
        live entries (PurgeStaleItems removes every expired one)."""
        self.replayed(value, t)  # the FIFO purge
        if sum(expiry > t for _, expiry in self.entries) >= self.capacity:
            return codes.CacheQuotaReached
        if self.replayed(value, t):
            return codes.InvalidOrReplayedNonce
        self.entries.append((value, t + self.lifetime_us))
        return None


_STEPS = (0, 0, 1, 2, 9)
_JUMPS = (*_STEPS, 1 << 32, -(1 << 32) - 5)  # the admin clock moved by 72+ minutes


@pytest.mark.parametrize(
    ("seed", "steps"), [(seed, _STEPS) for seed in range(10)] + [(10, _JUMPS), (11, _JUMPS)]
)
def test_the_cache_answers_as_the_plain_model(seed, steps):
    rng = random.Random(seed)
    lifetime_us, capacity = rng.choice((3, 40, 1_000)), rng.choice((1, 3, 50, 127))
    cache, model = _Small(lifetime_us * US, capacity), _Model(lifetime_us, capacity)
    distinct, t = rng.choice((4, 60, 10**9)), 0
    for _ in range(3_000):
        t += rng.choice(steps)
        value, now = rng.randrange(distinct).to_bytes(8, "big"), T0 + t * US
        if rng.random() < 0.3:
            assert _replayed(cache, value, now) == model.replayed(value, t)
        else:
            try:
                cache.add(value, now)
                refused = None
            except Rejection as rej:
                refused = rej.code
            assert refused == model.add(value, t)
        assert len(cache) == len(model.entries)


def _held_bytes(root: object) -> int:
    """Every byte reachable from `root` (its attributes, their containers, array buffers), classes left out:
    what the cache keeps alive, measured in a blink (tracemalloc over 100,000 additions took seconds)."""
    seen: set[int] = set()
    stack, total = [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def test_100000_entries_take_under_3_mb():
    """The accepted values themselves are not kept: a set and a FIFO of them took about 58 bytes an entry, plus
    the value (53 bytes for a 20-byte HMAC-SHA1 SignatureValue), 11 MB in all."""
    cache = ReplayCache(timedelta(minutes=15), 900_000)
    empty = _held_bytes(cache)
    for i in range(100_000):
        cache.add(i.to_bytes(20, "big"), T0 + i * US)
    assert len(cache) == 100_000
    grown = _held_bytes(cache) - empty
    assert grown < 3_000_000, f"{grown / 100_000:.1f} bytes an entry"


def _full_server(server, diagnostics: bool) -> list[str]:
    """seed001 with replayCacheSize 3, filled by three freshly signed requests; returns them."""
    data = seed001()
    data["localServiceSettings"] = {"replayCacheSize": 3}
    data["diagnostics"] = diagnostics
    server.load(data, base_dir=SCENARIOS)
    bodies = [signed() for _ in range(3)]
    for body in bodies:
        assert wss.post(server.url, body).status_code == 200
        server.assert_accepted()
    return bodies


def test_a_full_cache_refuses_a_valid_request_with_the_generic_security_fault(mockwcf_server):
    """MessageSecurityProtocol.VerifyIncomingMessage wraps the quota's CommunicationException in a
    MessageSecurityException, whose fault is SecurityUtils.CreateSecurityMessageFault's InvalidSecurity one."""
    accepted = _full_server(mockwcf_server, diagnostics=True)
    refused = signed()
    for _ in range(2):  # refused twice the same way: the refused request was not added
        resp = wss.post(mockwcf_server.url, refused)
        assert resp.status_code == 500
        assert resp.headers["X-MockWcf-Resource-Code"] == codes.CacheQuotaReached
        root = etree.fromstring(resp.content)
        assert root.findtext(".//faultcode") == "a:InvalidSecurity"
        assert root.findtext(".//faultstring") == "An error occurred when verifying security for the message."
        assert mockwcf_server.last().resource_code == codes.CacheQuotaReached
    # the live entries were all kept: a replay is still refused as one, at the primary signature
    assert wss.post(mockwcf_server.url, accepted[0]).status_code == 500
    assert mockwcf_server.last().resource_code == codes.InvalidOrReplayedNonce


def test_a_full_cache_refusal_without_diagnostics_is_wcfs_bytes(mockwcf_server):
    _full_server(mockwcf_server, diagnostics=False)
    resp = wss.post(mockwcf_server.url, signed())
    assert resp.status_code == 500 and "X-MockWcf-Resource-Code" not in resp.headers
    assert _canon(resp.content) == _canon((GOLDEN / "soap11-bare.xml").read_bytes())
    assert mockwcf_server.last().resource_code == codes.CacheQuotaReached
