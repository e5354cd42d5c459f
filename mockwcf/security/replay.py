"""Replay detection: WCF caches the primary SignatureValue, not any UsernameToken nonce (reference 2.4).

Entries live ReplayWindow + 2 x MaxClockSkew and the cache holds at most ReplayCacheSize live ones; a message that
would make one more is refused (CacheQuotaReached) until entries expire.
The check happens when the primary signature is reached; the value is added only after the whole
header was accepted, so a rejected message does not poison the cache. Each farm node has its own cache,
as each WCF server does.

What WCF does (microsoft/referencesource, System.ServiceModel/System/ServiceModel/Security): ReceiveSecurityHeader
calls NonceCache.CheckNonce when it reaches the primary signature (ProcessPrimarySignature) and AddNonce (TryAddNonce,
InvalidOrReplayedNonce when it returns false) in Process once the header is accepted, after the supporting tokens and
before the second freshness check. InMemoryNonceCache.NonceCacheImpl is a TimeBoundedCache over a Hashtable keyed by
the whole value; TimeBoundedCache.GetItem and TryAddItem treat an entry whose ExpirationTime is <= now as absent, so
expiry is exact per entry, as it is here.

The quota (replayCacheSize, `capacity`): TimeBoundedCache.TryAddItem runs PurgeIfNeeded, which purges every expired
entry once the cache holds maxCacheItems (PurgeStaleItems), then EnforceQuota: if it still holds maxCacheItems,
OnQuotaReached (not overridden by NonceCacheImpl) throws a CommunicationException "The item cannot be added. The
maximum cache size is ({0} items)." (SR.CacheQuotaReached). A live entry is never dropped and the refused value is not
added. So `add` refuses with CacheQuotaReached a message that passed every other check of the header; the replay
check at the primary signature is unaffected (GetItem has no quota). MessageSecurityProtocol.VerifyIncomingMessage
wraps the CommunicationException in a MessageSecurityException (MessageSecurityVerificationFailed) and the listener
sends SecurityUtils.CreateSecurityMessageFault's generic Sender/wsse:InvalidSecurity fault (docs/design.md).
"""

from __future__ import annotations

import hashlib
import os
from array import array
from bisect import bisect_left
from datetime import UTC, datetime, timedelta

from mockwcf import codes
from mockwcf.faults import Rejection

STEP = "replay"
_EPOCH = {True: datetime(1970, 1, 1, tzinfo=UTC), False: datetime(1970, 1, 1)}
_MICROSECOND = timedelta(microseconds=1)
_NEVER = 1 << 63  # an expiry beyond any instant: the FIFO is empty


def _micros(t: datetime) -> int:
    """The instant as integer microseconds (datetime's own resolution, so comparisons stay exact)."""
    return (t - _EPOCH[t.tzinfo is not None]) // _MICROSECOND


class ReplayCache:
    """Accepted values, each refused again until its own expiry; no more than `capacity` live ones are accepted.

    Why it is built this way: with WCF's defaults every primary SignatureValue of the last 15 minutes is kept (up
    to 900,000), so a busy test run holds hundreds of thousands. Python objects per entry (a set of the bytes, a
    FIFO of them) cost 110-125 bytes an entry and made RSS grow by 11 MB over 100,000 exchanges
    (bench/symmetric.py). Here an entry is 20 bytes in flat arrays and no Python object:

    - a FIFO of expiries in integer microseconds (array 'q'), indexed by the entry's sequence number less
      `_offset`; the part before `_head` is cut off once it is most of the array. It alone decides what the cache still holds: expired entries are purged from the oldest on
      by moving `_head`; `len` is `_next - _head`. Nothing live is ever dropped (the quota refuses instead).
    - a 64-bit fingerprint of the value and the entry's sequence number modulo 2**32 (arrays 'Q' and 'I'),
      kept sorted by fingerprint in partitions chosen by the fingerprint's top bits. A lookup is one bisect in a
      partition of a few hundred entries; an insert moves a few kilobytes. The partitions double (each split in
      two by one bisect) when they average `SPLIT_AT` entries, so lookups stay short at any size and no big
      merge ever runs (bench/symmetric.py reports peak RSS, so a transient copy would count).

    A fingerprint found in a partition is a replay only if its entry is still held (sequence number at or past
    `_head`) and not yet expired; entries purged from the FIFO stay in their partition until that partition is
    swept (when it has doubled since its last sweep, and all of them every 2**31 additions so that a residue
    modulo 2**32 never names two held entries: WCF's replayCacheSize is an Int32, below 2**31).

    Fingerprint: BLAKE2b with an 8-byte digest, keyed with 16 random bytes drawn per cache. A true replay has the
    same value, hence the same fingerprint, so detection is never weakened; the only possible error is the other
    way (a fresh value taken for a replay), with probability about held / 2**64 per check: below 5e-14 with
    900,000 held, below 1e-4 over two billion checks. The key is secret and random, so a client cannot compute
    fingerprints and cannot craft a value that collides with an earlier one (an unkeyed hash such as SHA-1
    truncated to 64 bits would allow a 2**32 birthday search offline); Python's hash() is keyed too, but
    PYTHONHASHSEED can fix its key, so it is not used."""

    # Sizes, as class attributes so that tests can shrink them (a subclass) and reach the splits, sweeps and the
    # wrap of the sequence residues and the FIFO's cut in a few thousand additions.
    SEQ_MASK = 0xFFFFFFFF  # partitions keep an entry's sequence number modulo 2**32 (array 'I')
    SWEEP_EVERY = 1 << 31  # all partitions are swept this often: no residue can then stand for two entries
    FIRST_BITS = 4  # 16 partitions to start with
    SPLIT_AT = 512  # mean entries per partition that doubles the number of partitions
    MIN_SWEEP = 32  # a partition is first swept of dropped entries when it reaches this length
    CUT_AFTER = 4096  # expiries before `_head` are cut off past this many (when they are most)

    def __init__(self, lifetime: timedelta, capacity: int) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self._lifetime_us = lifetime // _MICROSECOND
        self._hasher = hashlib.blake2b(digest_size=8, key=os.urandom(16))
        self._expiries = array("q")  # the FIFO: _expiries[i] is entry _offset + i's expiry
        self._offset = 0
        self._head = 0  # the oldest entry still held
        self._next = 0  # the sequence number of the next entry
        self._shift = 64 - self.FIRST_BITS  # partition of a fingerprint: fp >> _shift
        self._fps = [array("Q") for _ in range(1 << self.FIRST_BITS)]  # sorted fingerprints per partition
        self._seqs = [array("I") for _ in range(1 << self.FIRST_BITS)]  # their sequence numbers mod 2**32
        self._sweep_at = array("I", [self.MIN_SWEEP] * (1 << self.FIRST_BITS))  # length that sweeps each
        self._stored = 0  # entries in the partitions, held or not
        self._head_expiry = _NEVER  # the oldest held entry's expiry, so that most purges read one attribute
        self._max_expiry = -_NEVER  # the latest expiry added so far
        self._disorder = -1  # the last entry added that expires before an earlier one (see _live)
        # what _clear last found clear, for which value, instant and _next
        self._memo_value, self._memo_limit, self._memo_next = b"", -1, -1
        self._fp = self._part = self._at = 0  # its fingerprint, partition and insertion index

    def _digest(self, value: bytes) -> int:
        h = self._hasher.copy()
        h.update(value)
        return int.from_bytes(h.digest(), "big")

    def _expiry(self, seq: int) -> int:
        """Entry `seq`'s expiry in microseconds."""
        return self._expiries[seq - self._offset]

    def _purge(self, limit: int) -> None:
        """Drop what expired by `limit` (microseconds), from the oldest on, as WCF's purge forgets it."""
        if self._head_expiry <= limit:
            head = self._head + 1
            while head < self._next and self._expiry(head) <= limit:
                head += 1
            self._drop_to(head)

    def _live(self, limit: int) -> int:
        """How many held entries are unexpired at `limit`. After _purge the oldest held one is live; when expiries
        only grow from it on, all are. Only after the admin clock was set back can an expired entry sit behind a
        live one: WCF's PurgeStaleItems removes it too, so they are counted one by one (once the cache is full)."""
        if self._disorder < self._head:
            return self._next - self._head
        return sum(self._expiry(seq) > limit for seq in range(self._head, self._next))

    def _drop_to(self, head: int) -> None:
        """Entries before `head` are no longer held; their expiries are cut off once they are most of the FIFO
        (amortized O(1) an entry, in place)."""
        self._head = head
        self._head_expiry = self._expiry(head) if head < self._next else _NEVER
        gone = head - self._offset
        if gone > self.CUT_AFTER and 2 * gone > len(self._expiries):
            del self._expiries[:gone]
            self._offset = head

    def _held(self, seq32: int, limit: int) -> bool:
        """Whether the entry whose sequence number is `seq32` modulo 2**32 is still held and unexpired."""
        age = (self._next - 1 - seq32) & self.SEQ_MASK
        if age >= self._next - self._head:
            return False
        return self._expiry(self._next - 1 - age) > limit

    def _clear(self, value: bytes, limit: int) -> None:
        """Purge by `limit`, then refuse `value` if a held entry has its fingerprint; else leave its fingerprint,
        partition and insertion index in _fp, _part, _at. Equal fingerprints sit together, one per earlier
        acceptance whose entry may since have gone. A request checks its value, then adds it at the same instant:
        the answer is kept while no entry was added since (then nothing more can expire and nothing has moved)."""
        if limit == self._memo_limit and self._next == self._memo_next and value == self._memo_value:
            return
        self._purge(limit)
        fp = self._digest(value)
        p = fp >> self._shift
        fps = self._fps[p]
        i = j = bisect_left(fps, fp)
        n = len(fps)
        while j < n and fps[j] == fp:
            if self._held(self._seqs[p][j], limit):
                raise Rejection(
                    codes.InvalidOrReplayedNonce,
                    "The nonce is invalid or replayed: this primary SignatureValue was accepted before within "
                    f"the replay window ({int(self.lifetime.total_seconds())} s).",
                    step=STEP,
                )
            j += 1
        self._memo_value, self._memo_limit, self._memo_next = value, limit, self._next
        self._fp, self._part, self._at = fp, p, i

    def check(self, value: bytes, now: datetime) -> None:
        self._clear(value, _micros(now))

    def add(self, value: bytes, now: datetime) -> None:
        """TimeBoundedCache.TryAddItem: purge, refuse when the quota is reached, then the lookup and the insert."""
        limit = _micros(now)  # once: (now + lifetime) in microseconds is limit + lifetime's, exactly
        self._purge(limit)
        if self._next - self._head >= self.capacity and self._live(limit) >= self.capacity:
            raise Rejection(
                codes.CacheQuotaReached,
                f"The item cannot be added. The maximum cache size is ({self.capacity} items): the replay cache "
                f"holds replayCacheSize live primary SignatureValues and WCF refuses the message rather than forget "
                f"one; it is accepted again once entries expire (their lifetime is "
                f"{int(self.lifetime.total_seconds())} s).",
                step=STEP,
            )
        self._clear(value, limit)
        seq, p, expiry = self._next, self._part, limit + self._lifetime_us
        fps = self._fps[p]
        fps.insert(self._at, self._fp)
        self._seqs[p].insert(self._at, seq & self.SEQ_MASK)
        self._expiries.append(expiry)
        self._next = seq + 1
        self._stored += 1
        if self._head == seq:  # it is the only entry held
            self._head_expiry = expiry
        if expiry < self._max_expiry:  # expires before an earlier entry: the admin clock was set back
            self._disorder = seq
        self._max_expiry = max(self._max_expiry, expiry)
        if len(fps) >= self._sweep_at[p]:
            self._sweep(p)
        if self._stored > self.SPLIT_AT * len(self._fps):
            self._split()
        if self._next % self.SWEEP_EVERY == 0:
            for q in range(len(self._fps)):
                self._sweep(q)

    def _sweep(self, p: int) -> None:
        """Remove partition p's entries that the FIFO no longer holds; sweep it again once it has doubled, so
        each entry is visited a bounded number of times on average."""
        fps, seqs = self._fps[p], self._seqs[p]
        top, held = self._next - 1, self._next - self._head
        keep = [j for j, s in enumerate(seqs) if (top - s) & self.SEQ_MASK < held]
        if len(keep) < len(seqs):
            self._fps[p] = array("Q", map(fps.__getitem__, keep))
            self._seqs[p] = array("I", map(seqs.__getitem__, keep))
            self._stored -= len(seqs) - len(keep)
        self._sweep_at[p] = max(2 * len(keep), self.MIN_SWEEP)

    def _split(self) -> None:
        """Double the partitions: each sorted partition splits at the first fingerprint of its upper half. They are
        taken from the end one by one, so only one partition is ever held twice (no transient copy of it all)."""
        shift = self._shift - 1
        fps_in, seqs_in = self._fps, self._seqs
        fps_out: list[array] = []
        seqs_out: list[array] = []
        sweep_at = array("I")
        for p in range(len(fps_in) - 1, -1, -1):
            fps, seqs = fps_in.pop(), seqs_in.pop()
            cut = bisect_left(fps, (2 * p + 1) << shift)
            fps_out += (fps[cut:], fps[:cut])
            seqs_out += (seqs[cut:], seqs[:cut])
            sweep_at += array("I", (max(2 * (len(fps) - cut), self.MIN_SWEEP), max(2 * cut, self.MIN_SWEEP)))
        for parts in (fps_out, seqs_out, sweep_at):
            parts.reverse()
        self._fps, self._seqs, self._sweep_at, self._shift = fps_out, seqs_out, sweep_at, shift

    def __len__(self) -> int:
        return self._next - self._head
