"""The server's clock and WCF TimeSpan values.

Clock skew is the single most common reason a client is rejected (seed 002), so the server clock
is a setting: an offset from real time or a frozen instant, changed by the scenario or the admin API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_TIMESPAN = re.compile(
    r"^(?P<sign>[-+])?(?:(?P<days>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{1,2}):(?P<s>\d{1,2})(?:\.(?P<frac>\d{1,7}))?$"
)


def parse_timespan(text: str) -> timedelta:
    """Parse WCF's TimeSpan text form: `[-][d.]hh:mm:ss[.fffffff]` (`00:05:00`, `1.00:00:00`).

    Raises ValueError with a message fit for a validation error.
    """
    m = _TIMESPAN.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a TimeSpan like 00:05:00 or 1.00:00:00")
    hours, minutes, seconds = int(m["h"]), int(m["m"]), int(m["s"])
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"{text!r} is not a TimeSpan: hours must be 0-23, minutes and seconds 0-59")
    frac = m["frac"] or "0"
    value = timedelta(
        days=int(m["days"] or 0),
        hours=hours,
        minutes=minutes,
        seconds=seconds,
        microseconds=int(frac.ljust(7, "0")[:6]),
    )
    return -value if m["sign"] == "-" else value


def format_timespan(value: timedelta, signed: bool = False) -> str:
    """Format as WCF prints TimeSpans (`00:05:00`, `1.02:03:04`), the form the catalog messages use."""
    sign = "-" if value < timedelta(0) else ("+" if signed else "")
    total = abs(value)
    days, rem = divmod(int(total.total_seconds()), 86400)
    hours, rem = divmod(rem, 3600)
    minutes, seconds = divmod(rem, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if total.microseconds:
        text += f".{total.microseconds:06d}0"
    return f"{sign}{days}.{text}" if days else f"{sign}{text}"


def format_wcf_time(value: datetime) -> str:
    """WCF writes timestamps as yyyy-MM-ddTHH:mm:ss.fffZ (RS SM/Security/SecurityTimestamp.cs)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"  # isoformat: 10x strftime


def parse_instant(text: str) -> datetime:
    """Parse an ISO instant for the admin API; a trailing Z means UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; write it like 2026-01-01T00:00:00Z")
    return value.astimezone(UTC)


@dataclass
class Clock:
    """Real time shifted by `offset`, or a frozen instant when `frozen_at` is set."""

    offset: timedelta = timedelta(0)
    frozen_at: datetime | None = None

    def now(self) -> datetime:
        if self.frozen_at is not None:
            return self.frozen_at
        return datetime.now(UTC) + self.offset

    def describe(self) -> dict[str, str]:
        """The admin API's view (DESIGN.md section 5)."""
        if self.frozen_at is not None:
            return {"frozenAt": self.frozen_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        return {"offset": format_timespan(self.offset, signed=True)}
