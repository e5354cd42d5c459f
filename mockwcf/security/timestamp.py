"""wsu:Timestamp reading and the four freshness comparisons (reference 2.1-2.3).

The age limit is ReplayWindow (not TimestampValidityDuration) plus MaxClockSkew, whether or not
replay detection is on; equality counts as failure; failures are InvalidSecurity, never MessageExpired.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from mockwcf import codes, ns
from mockwcf.clock import format_timespan, format_wcf_time
from mockwcf.envelope import WSU_ID, elements
from mockwcf.faults import Rejection
from mockwcf.security.context import ReceiveContext, TimestampInfo

STEP = "timestamp"
_CREATED = ns.q(ns.WSU, "Created")
_EXPIRES = ns.q(ns.WSU, "Expires")


def read(ctx: ReceiveContext, element: etree._Element) -> None:
    """Read one Timestamp child of the header and validate it at once, as WCF's ReadTimestamp does."""
    if ctx.timestamp is not None:
        raise Rejection(
            codes.DuplicateTimestampInSecurityHeader,
            "The security header holds a second wsu:Timestamp.",
            step=STEP,
        )
    children = elements(element)
    if not children or children[0].tag != _CREATED:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            "wsu:Timestamp must start with wsu:Created (WCF's reader fails on a missing Created with an XML error).",
            step=STEP,
        )
    created = _parse_time(children[0].text, "Created")
    expires = None
    if len(children) > 1:
        if children[1].tag != _EXPIRES or len(children) > 2:
            raise Rejection(
                codes.MessageSecurityVerificationFailed,
                "wsu:Timestamp may hold only wsu:Created and then wsu:Expires.",
                step=STEP,
            )
        expires = _parse_time(children[1].text, "Expires")
    if expires is not None and created > expires:
        raise Rejection(
            codes.CreationTimeUtcIsAfterExpiryTime,
            f"Created {created:%Y-%m-%dT%H:%M:%S.%fZ} is after Expires {expires:%Y-%m-%dT%H:%M:%S.%fZ} "
            "(WCF: 'Creation time must be before expiration time.').",
            step=STEP,
        )
    info = TimestampInfo(element, element.get(WSU_ID), created, expires)
    ctx.timestamp = info
    validate(ctx, info)
    ctx.record(STEP, "ok", f"created {_fmt(created)}, expires {_fmt(expires) if expires else 'never'}")


def validate(ctx: ReceiveContext, ts: TimestampInfo) -> None:
    """SecurityTimestamp.ValidateRangeAndFreshness; also run again after the header when replays are detected."""
    now = ctx.now
    skew = ctx.binding.settings.max_clock_skew
    ttl = ctx.binding.settings.replay_window
    expires = ts.expires
    if expires is not None and ts.created >= expires:
        raise Rejection(
            codes.TimeStampHasCreationAheadOfExpiry,
            f"The security timestamp is invalid because its creation time ('{_fmt(ts.created)}') is greater "
            f"than or equal to its expiration time ('{_fmt(expires)}').",
            step=STEP,
            element=ts.element,
        )
    if expires is not None and expires <= now - skew:
        raise Rejection(
            codes.TimeStampHasExpiryTimeInPast,
            f"The security timestamp is stale because its expiration time ('{_fmt(expires)}') is in the past. "
            f"Current time is '{_fmt(now)}' and allowed clock skew is '{format_timespan(skew)}'.",
            step=STEP,
            element=ts.element,
        )
    if ts.created >= now + skew:
        raise Rejection(
            codes.TimeStampHasCreationTimeInFuture,
            f"The security timestamp is invalid because its creation time ('{_fmt(ts.created)}') is in the "
            f"future. Current time is '{_fmt(now)}' and allowed clock skew is '{format_timespan(skew)}'. "
            f"The client's clock is {_ahead(ts.created - now)} ahead of the server's.",
            step=STEP,
            element=ts.element,
        )
    if ts.created <= now - (ttl + skew):
        raise Rejection(
            codes.TimeStampWasCreatedTooLongAgo,
            f"The security timestamp is stale because its creation time ('{_fmt(ts.created)}') is too far "
            f"back in the past. Current time is '{_fmt(now)}', maximum timestamp lifetime is "
            f"'{format_timespan(ttl)}' and allowed clock skew is '{format_timespan(skew)}'.",
            step=STEP,
            element=ts.element,
        )


def _parse_time(text: str | None, what: str) -> datetime:
    """xs:dateTime as .NET reads it: a value without a zone is server local time (UTC on our servers)."""
    value = (text or "").strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Rejection(
            codes.MessageSecurityVerificationFailed,
            f"wsu:{what} {value!r} is not an xs:dateTime.",
            step=STEP,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _fmt(value: datetime | None) -> str:
    return "-" if value is None else format_wcf_time(value)


def _ahead(delta: timedelta) -> str:
    return format_timespan(delta - timedelta(microseconds=delta.microseconds))
