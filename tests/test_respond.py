"""respond's reply Timestamp times: formatted once a second, the same text as clock.format_wcf_time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mockwcf.clock import format_wcf_time
from mockwcf.security import respond

_EDGES = [
    datetime(1, 1, 1, tzinfo=UTC),
    # before the epoch: the float timestamp is negative
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999500, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("edge", _EDGES)
def test_reply_time_around_second_boundaries_is_format_wcf_time(edge):
    """Milliseconds truncated, the second's text from the cache or not, each side of a boundary."""
    for us in (-1_000_001, -1001, -1000, -999, -1, 0, 1, 999, 1000, 1001, 1_000_000):
        try:
            value = edge + timedelta(microseconds=us)
        except OverflowError:
            continue
        assert respond._wcf_time(value) == format_wcf_time(value), value


def test_reply_time_is_format_wcf_time_for_any_instant_and_zone():
    rng = random.Random(7)
    for _ in range(20000):
        value = datetime(1, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randrange(315537897600 * 10**6))
        if rng.random() < 0.2:  # not UTC: format_wcf_time converts it
            value = value.astimezone(timezone(timedelta(hours=rng.randrange(-12, 13))))
        assert respond._wcf_time(value) == format_wcf_time(value), value
    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    for _ in range(2000):  # replies within the same few seconds: the cached text of each second
        value = now + timedelta(microseconds=rng.randrange(3_000_000))
        assert respond._wcf_time(value) == format_wcf_time(value), value
