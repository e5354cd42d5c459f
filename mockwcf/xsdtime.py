""".NET's xs:dateTime reading: XmlConvert.ToDateTime(s, RoundtripKind) followed by ToUniversalTime().

WCF reads wsu:Created and wsu:Expires with `reader.ReadContentAsDateTime().ToUniversalTime()`
(RS SM/Security/WSUtilitySpecificationVersion.cs ReadTimestamp). The reader's fast path
(RS System.Runtime.Serialization/System/Xml/XmlConverter.cs TryParseDateTime) accepts a subset of what its
fallback, XmlConvert.ToDateTime(value, XmlDateTimeSerializationMode.RoundtripKind), accepts, so the rule is
XmlConvert's: the XsdDateTime parser with XsdDateTimeFlags.AllXsd (RS System.Xml/System/Xml/Schema/XsdDateTime.cs
Parser.Parse). No Python library reads that grammar: it takes every XSD date/time type (dateTime, date, time,
gYearMonth, gYear, gMonthDay, gMonth, gDay), any number of fraction digits (rounded half-to-even at the 7th),
zone hours and minutes 00-99, 'Z' or 'z', only 'T' between date and time, and any Unicode white space around the
value. `datetime.fromisoformat` and the ISO 8601 libraries accept a space separator, reject more than six
fraction digits or zone-less years, and know nothing of gMonth; so the grammar is written here, small and tested
(tests/test_readers_dates.py), and docs/design.md ("How values are read") explains why.

Values are kept as .NET ticks (100 ns) so comparisons are as exact as WCF's; a zone-less value is the server's
local time, and mockwcf's servers run in UTC (design.md's deviation table).
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

TICKS_PER_SECOND = 10_000_000
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_MAX_TICKS = 3_155_378_975_999_999_999  # DateTime.MaxValue.Ticks
_FRACTION_DIGITS = 7
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class Instant:
    """A UTC instant in .NET ticks since 0001-01-01T00:00:00Z."""

    ticks: int

    @property
    def datetime(self) -> datetime:
        """As a Python datetime (floored to the microsecond, which is all datetime holds)."""
        return _EPOCH + timedelta(microseconds=self.ticks // 10)

    @classmethod
    def of(cls, value: datetime) -> Instant:
        return cls((value - _EPOCH) // MICROSECOND * 10)


def _is_white(ch: str) -> bool:
    """char.IsWhiteSpace: the Unicode separators plus U+0009-U+000D and U+0085."""
    return ch in "\t\n\v\f\r\x85" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


@dataclass
class _Fields:
    year: int = 1904  # XsdDateTime's leapYear for types without a year
    month: int = 1
    day: int = 1
    hour: int = 0
    minute: int = 0
    second: int = 0
    fraction: int = 0  # ticks
    zone: str = ""  # "" (none) | "Z" | "+" | "-"
    zone_hour: int = 0
    zone_minute: int = 0
    kind: str = "dateTime"


class _Parser:
    """XsdDateTime.Parser, branch for branch; each method answers whether its form matched at `i`."""

    def __init__(self, text: str) -> None:
        self.t = text
        self.n = len(text)

    def digits(self, i: int, count: int) -> int | None:
        chunk = self.t[i : i + count]
        if len(chunk) == count and all("0" <= c <= "9" for c in chunk):
            return int(chunk)
        return None

    def char(self, i: int, ch: str) -> bool:
        return i < self.n and self.t[i] == ch

    def date(self, i: int, f: _Fields) -> bool:
        year, month, day = self.digits(i, 4), self.digits(i + 5, 2), self.digits(i + 8, 2)
        if year is None or year < 1 or not self.char(i + 4, "-") or month is None or not 1 <= month <= 12:
            return False
        if not self.char(i + 7, "-") or day is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
            return False
        f.year, f.month, f.day = year, month, day
        return True

    def time(self, i: int, f: _Fields) -> int | None:
        """HH:mm:ss[.f+]; returns the index after it. Any number of fraction digits, at least one."""
        hour, minute, second = self.digits(i, 2), self.digits(i + 3, 2), self.digits(i + 6, 2)
        if hour is None or hour >= 24 or not self.char(i + 2, ":") or minute is None or minute >= 60:
            return None
        if not self.char(i + 5, ":") or second is None or second >= 60:
            return None
        f.hour, f.minute, f.second, f.fraction = hour, minute, second, 0
        i += 8
        if self.char(i, "."):
            j = i + 1
            while j < self.n and "0" <= self.t[j] <= "9":
                j += 1
            digits = self.t[i + 1 : j]
            if not digits:
                return None  # "cannot end with ."
            f.fraction = _round_fraction(digits)
            i = j
        return i

    def zone_and_white(self, i: int, f: _Fields) -> bool:
        """[Z|z|(+|-)hh:mm] then white space to the end; hh and mm may be 00-99 (XsdDateTime does not check)."""
        f.zone = ""
        if i < self.n:
            ch = self.t[i]
            if ch in "Zz":
                f.zone, i = "Z", i + 1
            elif i + 5 < self.n and ch in "+-":
                zh, zm = self.digits(i + 1, 2), self.digits(i + 4, 2)
                if zh is not None and self.char(i + 3, ":") and zm is not None:
                    f.zone, f.zone_hour, f.zone_minute, i = ch, zh, zm, i + 6
        while i < self.n and _is_white(self.t[i]):
            i += 1
        return i == self.n

    def parse(self) -> _Fields | None:
        start = 0
        while start < self.n and _is_white(self.t[start]):
            start += 1
        f = _Fields()
        if self.date(start, f):
            end = self.time(start + 11, f) if self.char(start + 10, "T") else None
            if end is not None and self.zone_and_white(end, f):
                return f
            f.hour = f.minute = f.second = f.fraction = 0
            if self.zone_and_white(start + 10, f):
                f.kind = "date"
                return f
        f = _Fields(kind="time")
        end = self.time(start, f)
        if end is not None and self.zone_and_white(end, f):
            return f
        f = _Fields()
        year = self.digits(start, 4)
        if year is not None and year >= 1:
            month = self.digits(start + 5, 2)
            if (
                self.char(start + 4, "-")
                and month is not None
                and 1 <= month <= 12
                and self.zone_and_white(start + 7, f)
            ):
                return _Fields(year=year, month=month, kind="gYearMonth", **_zone(f))
            if self.zone_and_white(start + 4, f):
                return _Fields(year=year, kind="gYear", **_zone(f))
        month = self.digits(start + 2, 2)
        if self.char(start, "-") and self.char(start + 1, "-") and month is not None and 1 <= month <= 12:
            day = self.digits(start + 5, 2)
            leap_days = calendar.monthrange(1904, month)[1]
            if (
                self.char(start + 4, "-")
                and day is not None
                and 1 <= day <= leap_days
                and self.zone_and_white(start + 7, f)
            ):
                return _Fields(month=month, day=day, kind="gMonthDay", **_zone(f))
            if self.zone_and_white(start + 4, f) or (
                self.char(start + 4, "-") and self.char(start + 5, "-") and self.zone_and_white(start + 6, f)
            ):
                return _Fields(month=month, kind="gMonth", **_zone(f))
        day = self.digits(start + 3, 2)
        if (
            self.t[start : start + 3] == "---"
            and day is not None
            and 1 <= day <= 31
            and self.zone_and_white(start + 5, f)
        ):
            return _Fields(day=day, kind="gDay", **_zone(f))
        return None


def _zone(f: _Fields) -> dict[str, object]:
    return {"zone": f.zone, "zone_hour": f.zone_hour, "zone_minute": f.zone_minute}


def _round_fraction(digits: str) -> int:
    """Keep 7 digits; the 8th and later round half to even, as XsdDateTime.Parser.ParseTime does."""
    value = int(digits[:_FRACTION_DIGITS].ljust(_FRACTION_DIGITS, "0"))
    rest = digits[_FRACTION_DIGITS:]
    if not rest:
        return value
    first, tail = rest[0], rest[1:]
    if first > "5" or (first == "5" and tail.strip("0")):
        return value + 1
    if first == "5":
        return value + (value & 1)
    return value


def _ticks(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return Instant.of(datetime(year, month, day, hour, minute, second, tzinfo=UTC)).ticks


_COMMON = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,7}))?Z\Z"
)


def _common(text: str) -> Instant | None:
    """The form every client sends (yyyy-MM-ddTHH:mm:ss[.fffffff]Z), read without the general parser, as
    XmlConverter.TryParseDateTime does before it falls back to XmlConvert; None for anything else."""
    m = _COMMON.match(text)
    if m is None:
        return None
    g = m.groups()
    hour, minute, second = int(g[3]), int(g[4]), int(g[5])
    if hour >= 24 or minute >= 60 or second >= 60:
        return None
    days = _days(g[0], g[1], g[2])
    if days is None:
        return None
    frac = g[6]
    ticks = (days * 86400 + hour * 3600 + minute * 60 + second) * TICKS_PER_SECOND
    return Instant(ticks + (int(frac.ljust(7, "0")) if frac else 0))


@functools.lru_cache(maxsize=64)
def _days(year: str, month: str, day: str) -> int | None:
    """Days from 0001-01-01 to the date, None for no such date. Cached: a Timestamp's Created and Expires
    name today's date on nearly every request, and the cache hit costs a fifth of date() + toordinal()."""
    try:  # date() refuses year 0, month 13, 31 April and 29 February outside leap years
        return date(int(year), int(month), int(day)).toordinal() - 1
    except ValueError:
        return None


def parse(text: str, now: datetime) -> Instant:
    """XmlConvert.ToDateTime(text, RoundtripKind).ToUniversalTime() on a server whose local time is UTC.

    `now` is the server clock: xs:time takes today's date, gMonth and gDay this year (XsdDateTime's
    implicit DateTime operator uses DateTime.Now). Raises ValueError with .NET's wording when no form matches.
    """
    common = _common(text)
    if common is not None:
        return common
    return parse_with_zone(text, now)[0]


def parse_with_zone(text: str, now: datetime) -> tuple[Instant, str]:
    """`parse`, with the zone the text carries: "Z", "+", "-" or "" (none), which sets the DateTime's Kind
    (Utc, Local, Unspecified) in XsdDateTime's conversion to DateTime (replyvalue.py writes by it)."""
    common = _common(text)
    if common is not None:
        return common, "Z"
    f = _Parser(text).parse()
    if f is None:
        raise ValueError(f"The string '{text}' is not a valid AllXsd value.")
    if f.kind == "time":
        base = _ticks(now.year, now.month, now.day, f.hour, f.minute, f.second)
    elif f.kind in ("gMonth", "gDay"):
        base = _ticks(now.year, f.month, f.day)
    else:
        base = _ticks(f.year, f.month, f.day, f.hour, f.minute, f.second)
    ticks = base + f.fraction
    if ticks > _MAX_TICKS:  # DateTime.AddTicks past 9999-12-31 throws; WCF reports a conversion error
        raise ValueError(f"The string '{text}' is past DateTime.MaxValue.")
    offset = (f.zone_hour * 3600 + f.zone_minute * 60) * TICKS_PER_SECOND
    if f.zone == "+":
        ticks -= offset
    elif f.zone == "-":
        ticks += offset
    return Instant(min(max(ticks, 0), _MAX_TICKS)), f.zone  # XsdDateTime clamps an over/underflowing offset
