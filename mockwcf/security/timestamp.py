"""wsu:Timestamp reading and the four freshness comparisons (reference 2.1-2.3).

The age limit is ReplayWindow (not TimestampValidityDuration) plus MaxClockSkew, whether or not
replay detection is on; equality counts as failure; failures are InvalidSecurity, never MessageExpired.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from lxml import etree

from mockwcf import codes, ns, xmlread, xsdtime
from mockwcf.clock import format_timespan, format_wcf_time
from mockwcf.envelope import WSU_ID
from mockwcf.faults import Rejection
from mockwcf.security.context import ReceiveContext, TimestampInfo
from mockwcf.xsdtime import MICROSECOND, Instant

STEP = "timestamp"
_CREATED = ns.q(ns.WSU, "Created")
_EXPIRES = ns.q(ns.WSU, "Expires")


def read(ctx: ReceiveContext, element: etree._Element) -> None:
    """Read one Timestamp child of the header and validate it at once, as WCF's ReadTimestamp does.

    WSUtilitySpecificationVersionOneDotZero.ReadTimestamp: ReadStartElement(Created), its content as a
    DateTime, optionally Expires, then ReadEndElement: exactly Created[, Expires] in that order, nothing else.
    """
    if ctx.timestamp is not None:
        raise Rejection(
            codes.DuplicateTimestampInSecurityHeader,
            "The security header holds a second wsu:Timestamp.",
            step=STEP,
        )
    what = "wsu:Timestamp must hold wsu:Created and then, optionally, wsu:Expires (ReadTimestamp)"
    with xmlread.reading(STEP, what, element):
        seq = xmlread.Sequence(element)
        created, created_text = _parse_time(ctx, seq.take(_CREATED), "Created")
        expires_el = seq.take_if(_EXPIRES)
        expires, expires_text = (
            _parse_time(ctx, expires_el, "Expires") if expires_el is not None else (None, "")
        )
        seq.end()
    if expires is not None and created.ticks > expires.ticks:  # Instant's order, without its tuples
        raise Rejection(
            codes.CreationTimeUtcIsAfterExpiryTime,
            f"Created {_fmt(created)} is after Expires {_fmt(expires)} "
            "(WCF: 'Creation time must be before expiration time.').",
            step=STEP,
        )
    info = TimestampInfo(element, element.get(WSU_ID), created, expires)
    ctx.timestamp = info
    validate(ctx, info)
    shown_expires = _shown(expires_text, expires) if expires else "never"
    ctx.record(STEP, "ok", f"created {_shown(created_text, created)}, expires {shown_expires}")


def validate(ctx: ReceiveContext, ts: TimestampInfo) -> None:
    """SecurityTimestamp.ValidateRangeAndFreshness; also run again after the header when replays are detected."""
    now = ctx.now
    skew = ctx.binding.settings.max_clock_skew
    ttl = ctx.binding.settings.replay_window
    expires = ts.expires
    # compared in .NET ticks, as exactly as WCF compares its DateTimes
    now_t, skew_t, ttl_t = ctx.now_ticks, _ticks(skew), _ticks(ttl)
    created_t = ts.created.ticks
    if expires is not None and created_t >= expires.ticks:
        raise Rejection(
            codes.TimeStampHasCreationAheadOfExpiry,
            f"The security timestamp is invalid because its creation time ('{_fmt(ts.created)}') is greater "
            f"than or equal to its expiration time ('{_fmt(expires)}').",
            step=STEP,
            element=ts.element,
        )
    if expires is not None and expires.ticks <= now_t - skew_t:
        raise Rejection(
            codes.TimeStampHasExpiryTimeInPast,
            f"The security timestamp is stale because its expiration time ('{_fmt(expires)}') is in the past. "
            f"Current time is '{_fmt(now)}' and allowed clock skew is '{format_timespan(skew)}'.",
            step=STEP,
            element=ts.element,
        )
    if created_t >= now_t + skew_t:
        raise Rejection(
            codes.TimeStampHasCreationTimeInFuture,
            f"The security timestamp is invalid because its creation time ('{_fmt(ts.created)}') is in the "
            f"future. Current time is '{_fmt(now)}' and allowed clock skew is '{format_timespan(skew)}'. "
            f"The client's clock is {_ahead(ts.created.datetime - now)} ahead of the server's.",
            step=STEP,
            element=ts.element,
        )
    if created_t <= now_t - (ttl_t + skew_t):
        raise Rejection(
            codes.TimeStampWasCreatedTooLongAgo,
            f"The security timestamp is stale because its creation time ('{_fmt(ts.created)}') is too far "
            f"back in the past. Current time is '{_fmt(now)}', maximum timestamp lifetime is "
            f"'{format_timespan(ttl)}' and allowed clock skew is '{format_timespan(skew)}'.",
            step=STEP,
            element=ts.element,
        )


def _parse_time(ctx: ReceiveContext, element: etree._Element, what: str) -> tuple[Instant, str]:
    """ReadContentAsDateTime().ToUniversalTime(): XmlConvert's AllXsd grammar (mockwcf/xsdtime.py).
    Also returns the text read, which the step record shows when it is already in WCF's form."""
    value = xmlread.content(element)
    try:
        return xsdtime.parse(value, ctx.now), value
    except ValueError:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"wsu:{what} {value!r} is not a value XmlConvert.ToDateTime reads (it takes xs:dateTime as "
            "yyyy-MM-ddTHH:mm:ss[.fffffff][Z|+hh:mm], 'T' and not a space, seconds required).",
            step=STEP,
        ) from None


# yyyy-MM-ddTHH:mm:ss.fffZ, what format_wcf_time writes; [0-9], not \d (which takes any Unicode digit)
_WCF_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")


def _shown(text: str, value: Instant) -> str:
    """`_fmt(value)` for the step record; a value sent in WCF's own form (every WCF and most other clients)
    is that text already, which saves formatting it back (two datetime conversions, ~4 µs each)."""
    return text if _WCF_FORM.match(text) else _fmt(value)


def _fmt(value: Instant | datetime | None) -> str:
    if isinstance(value, Instant):
        value = value.datetime
    return "-" if value is None else format_wcf_time(value)


@functools.lru_cache(maxsize=64)
def _ticks(span: timedelta) -> int:
    """In .NET ticks; cached because MaxClockSkew and ReplayWindow are the binding's, the same for every
    request, and validate runs twice a request when replays are detected."""
    return span // MICROSECOND * 10


def _ahead(delta: timedelta) -> str:
    return format_timespan(delta - timedelta(microseconds=delta.microseconds))
