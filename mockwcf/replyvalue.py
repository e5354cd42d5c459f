"""A reply value as the service's DataContractSerializer would write it: checked at load, converted per request.

A scenario's `reply` stands for the value a WCF service method returns, so each value is read the way .NET reads
that type from text and written the way WCF writes it. config/builder.py checks every constant value here at load
(a reply that cannot be written is a scenario error with its line, not a fault on every call); service.py
converts templated and echoed values here on each request.

dateTime: WCF's message writer writes a DateTime with XmlConverter.ToChars(DateTime)
(RS System.Runtime.Serialization/System/Xml/XmlConverter.cs, reached from XmlWriterDelegator.WriteDateTime ->
XmlBaseWriter.WriteValue(DateTime) -> XmlUTF8NodeWriter.WriteDateTimeText), the same text as
XmlConvert.ToString(value, XmlDateTimeSerializationMode.RoundtripKind) (RS System.Xml/System/Xml/XmlConvert.cs,
XsdDateTime.ToString): yyyy-MM-ddTHH:mm:ss, then '.' and up to 7 fraction digits with trailing zeros trimmed
(ToCharsD7) when the ticks within the second are not 0, then by DateTime.Kind 'Z' (Utc), the local offset
(Local) or nothing (Unspecified). The kind is the one .NET's own reading gives the text: XmlConverter.ToDateTime
(string) is XmlConvert.ToDateTime(value, RoundtripKind), whose XsdDateTime -> DateTime conversion
(XsdDateTime.cs, implicit operator DateTime) makes 'Z' Utc, an offset Local (converted to the server's zone) and
no offset Unspecified. mockwcf's servers run in UTC, so a Local value is written with +00:00.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

from mockwcf import xsdtime

_INT_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}  # Int32 / Int64


def scalar(value: Any, name: str) -> Any:
    """One non-None reply value of type `name` as Spyne writes it (dateTime: already WCF's text).
    Raises ValueError saying why the value cannot be that type."""
    if name == "string":
        return value
    if name in _INT_RANGES:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{value} is not a whole number")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
        low, high = _INT_RANGES[name]
        if not low <= number <= high:
            raise ValueError(f"{number} is outside the range of {name} ({low} to {high})")
        return number
    if name == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()  # XmlConvert.ToBoolean: true/false/1/0 between white space
        if text not in ("true", "1", "false", "0"):
            raise ValueError("a boolean is true, false, 1 or 0")
        return text in ("true", "1")
    if name == "decimal":
        try:
            number = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
        if not number.is_finite():  # System.Decimal has no NaN or infinity
            raise ValueError("a decimal is a finite number")
        return number
    if name == "double":
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    if name == "dateTime":
        return datetime_text(value)
    return value


def constant_problems(name: str, is_list: bool, value: Any) -> list[str]:
    """Why a scenario's reply value (or a list's items) cannot be written as type `name`, for config/builder.py
    to report at load: WCF's service could not have returned it either, so it is no fault on every call.
    Templates (`{field}`) are left to the request that fills them in."""
    if name in ("string", "base64Binary") or (isinstance(value, list) and not is_list):
        return []  # any text is a string or its bytes; a list for one value is joined as text per call
    problems = []
    for i, item in enumerate(value if isinstance(value, list) else [value]):
        if item is None or (isinstance(item, str) and re.search(r"{(\w+)}", item)):
            continue  # nil, or a template
        try:
            scalar(item, name)
        except ValueError as exc:
            where = f"item {i + 1}, " if isinstance(value, list) else ""
            example = " such as 2026-01-02T03:04:05Z (quote it in YAML)" if name == "dateTime" else ""
            problems.append(
                f"{where}{item!r} cannot be written as {name} ({exc}); give a value of that type{example} "
                "or change the output's type"
            )
    return problems


def datetime_text(value: Any) -> str:
    """The text WCF writes for the DateTime that `value` stands for (a Python datetime read from a request,
    or text read as XmlConvert.ToDateTime(text, RoundtripKind) reads it)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return _format(xsdtime.Instant.of(value.replace(tzinfo=dt.UTC)).ticks, "")
        # Spyne reads a trailing Z as pytz.utc and an offset as a FixedOffset: Utc and Local kinds in .NET
        utc = getattr(value.tzinfo, "zone", None) == "UTC" or value.tzinfo is dt.UTC
        return _format(xsdtime.Instant.of(value).ticks, "Z" if utc else "+00:00")
    if isinstance(value, DateTimeText):
        return str(value)  # a plain str: service._write writes a str of a plain field as it is
    instant, zone = xsdtime.parse_with_zone(str(value), dt.datetime.now(dt.UTC))  # ValueError: .NET's wording
    return _format(instant.ticks, "Z" if zone == "Z" else "+00:00" if zone else "")


class DateTimeText(str):
    """A DateTime's text already as WCF writes it (a request value read once, written back as it is)."""


def _format(ticks: int, suffix: str) -> str:
    """XmlConverter.ToChars(DateTime): the wall-clock ticks, fraction trimmed as ToCharsD7 does, then the kind."""
    seconds, fraction = divmod(ticks, xsdtime.TICKS_PER_SECOND)
    days, seconds = divmod(seconds, 86400)
    day = dt.date.fromordinal(days + 1)  # ticks count from 0001-01-01, ordinal 1
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    text = f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}"
    if fraction:
        text += "." + f"{fraction:07d}".rstrip("0")
    return text + suffix
